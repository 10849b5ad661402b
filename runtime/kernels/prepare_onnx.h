/* prepare_onnx.h: host-side matches and prepare functions of the ONNX kernel group (registered in kernels_onnx.c). */
#ifndef MCUNET_RUNTIME_KERNELS_PREPARE_ONNX_H
#define MCUNET_RUNTIME_KERNELS_PREPARE_ONNX_H

#include <stdint.h>

#include "kernel_call.h"
#include "program.h"
#include "status.h"

/* ---- compile-time arithmetic of ONNX Runtime (prepare_onnx_table.c; exposed for the tests) ---- */

/* MLAS's x86-64 (FMA3) logistic: x clamped to [-18, 18], p/q rational approximation with fused multiply-adds,
 * max(0, p / q + 0.5). */
float mcu_onnx_mlas_logistic(float x);

/* MlasQuantizeLinear on x86: v = x / scale, clamped to [type min - z, type max - z], rounded half to even, + z. */
int32_t mcu_onnx_quantize_linear(float x, float scale, int32_t zero_point, mcu_dtype_t dt);

/* The function a lookup table applies between dequantization and quantization. */
#define MCU_ONNX_LUT_IDENTITY 0 /* QLinearConcat's requantization */
#define MCU_ONNX_LUT_SIGMOID 1  /* QLinearSigmoid: mcu_onnx_mlas_logistic */
#define MCU_ONNX_LUT_LEAKY 2    /* QLinearLeakyRelu: v >= 0 ? v : alpha * v */

/* The 256-entry table as ONNX Runtime's QlinearBuildLookupTable builds it: entry (uint8)x for every stored input
 * value x is QuantizeLinear(fn(x_scale * (float)(x - x_zero_point))). */
void mcu_onnx_lookup_table(mcu_dtype_t dt, float x_scale, int32_t x_zero_point, float y_scale, int32_t y_zero_point,
                           int fn, float alpha, uint8_t out_table[256]);

/* Which of ONNX Runtime's broadcast loops (MCU_KO_SPAN_BOTH / SCALAR_A / SCALAR_B) handles shapes a and b. */
int mcu_onnx_broadcast_mode(const mcu_tensor_t *a, const mcu_tensor_t *b);

/* ---- entries: matches / prepare ---- */
#define MCU_ONNX_ENTRY(name)                                                                                       \
  int mcu_onnx_match_##name(const mcu_program_t *p, const mcu_layer_t *l);                                         \
  mcu_status_t mcu_onnx_prepare_##name(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call)

MCU_ONNX_ENTRY(qladd);       /* prepare_onnx_q.c */
MCU_ONNX_ENTRY(qlmul);
MCU_ONNX_ENTRY(qlavgpool);
MCU_ONNX_ENTRY(qlgavgpool);  /* MEAN, and AVG_POOL over the whole image without padding */
MCU_ONNX_ENTRY(qlconcat);
MCU_ONNX_ENTRY(qlsigmoid);
MCU_ONNX_ENTRY(qlleakyrelu);
MCU_ONNX_ENTRY(matmul_f32);  /* prepare_onnx_float.c */
MCU_ONNX_ENTRY(leaky_relu_f32);
MCU_ONNX_ENTRY(hard_sigmoid_f32);
MCU_ONNX_ENTRY(batch_norm_f32);

/* Int8 convolutions on the fast kernels with ONNX's float32 epilogue (prepare_onnx_conv.c): GEMM core (pointwise,
 * im2col / first layer) and depthwise. Layers they do not match keep the scalar loop nest of targets/cg_conv.c. */
MCU_ONNX_ENTRY(conv_pw_s8);
MCU_ONNX_ENTRY(conv_im2col_s8);
MCU_ONNX_ENTRY(conv_dw_s8);
struct mcu_ksel_shape;
struct mcu_ksel_choice;
/* The layer as the cost model sees it; 0 when l is no int8 ONNX-numerics conv. fast_numerics is 1 only when the
 * fast kernels are exact for it (filter zero point 0, constant filter and bias, accumulator bound). */
int mcu_onnx_ksel_shape(const mcu_program_t *p, const mcu_layer_t *l, struct mcu_ksel_shape *out);
/* The layer's kernel family and tile: the recorded one (select-kernels) when it applies, else the cost model's. */
struct mcu_ksel_choice mcu_onnx_kernel_choice(const mcu_program_t *p, const mcu_layer_t *l);

/* Float32 layers of ONNX numerics that the TF Lite and misc groups' float kernels run unchanged (float arithmetic
 * has no numerics variant): conv, fully connected, add/sub/mul, pooling, mean, softmax, log softmax, logistic,
 * hard swish (prepare_onnx_float.c). */
int mcu_onnx_match_conv_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_fc_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_add_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_sub_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_mul_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_avg_pool_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_max_pool_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_mean_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_log_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_logistic_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_onnx_match_hard_swish_f32(const mcu_program_t *p, const mcu_layer_t *l);
/* RESIZE_NEAREST of ONNX numerics (data movement, any dtype): the importer only emits it when TF Lite's index rule
 * reproduces the node's ONNX rule for the shape. */
int mcu_onnx_match_resize(const mcu_program_t *p, const mcu_layer_t *l);

#endif
