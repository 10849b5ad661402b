/* ref.h: the reference kernels, portable C that defines the numerics generated code must match bit for bit. */
#ifndef MCUNET_RUNTIME_REF_H
#define MCUNET_RUNTIME_REF_H

#include "program.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Scalar numerics (requant.c): docs/ir.md "Numerics", float32 only, no fused multiply-add. ---- */

/* ONNX requantization multiplier: (float)s_in * (float)s_w / (float)s_out in float32, left to right. */
float mcu_ref_requant_scale(double s_in, double s_w, double s_out);

/* ONNX requantization of one accumulator (docs/ir.md steps 3-5): clamp((float)acc * m) to
 * [act_min - zp, act_max - zp], round half to even, add zp. */
int32_t mcu_ref_requantize(int32_t acc, float m, int32_t zp, int32_t act_min, int32_t act_max);

/* Round half to even of a finite float32 whose magnitude is below 2^31 (the caller clamps first). Uses
 * bits(v + 12582912.0f) - 0x4B400000 for |v| < 2^22 and an exact truncate-and-compare path above. */
int64_t mcu_ref_round_half_even(float v);

/* ONNX QuantizeLinear of one value: v = x / s (float32), then clamp to [qmin - zp, qmax - zp] (NaN becomes the
 * lower bound), round half to even, add zp. */
int32_t mcu_ref_quantize_value(float x, float s, int32_t zp, int32_t qmin, int32_t qmax);

/* ONNX DequantizeLinear of one value: (float)(q - zp) * s in float32 (q - zp computed exactly in 64 bits). */
float mcu_ref_dequantize_value(int32_t q, float s, int32_t zp);

/* ---- Tensor kernels. Each reads tensor descriptors (dtype, shape, quantization; storage is ignored) and raw
 * little-endian bytes, writes the output bytes, and returns 0, or -1 when the operands are outside what the
 * kernel supports or inconsistent (then the output is untouched). ---- */

/* conv2d.c: NHWC grouped convolution. `l` gives stride, pad, dilation, groups, act_min/act_max; `b` may be NULL
 * (no bias). */
int mcu_ref_conv2d(const mcu_layer_t *l, const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *w,
                   const void *w_data, const mcu_tensor_t *b, const void *b_data, const mcu_tensor_t *y,
                   void *y_data);

/* matmul.c: batched integer matmul with numpy broadcasting; `l` gives act_min/act_max. */
int mcu_ref_matmul(const mcu_layer_t *l, const mcu_tensor_t *a, const void *a_data, const mcu_tensor_t *b,
                   const void *b_data, const mcu_tensor_t *y, void *y_data);

/* quantize.c: f32 -> i8/u8 (per tensor or per axis of y), and i8/u8/i32 -> f32 (per tensor or per axis of x). */
int mcu_ref_quantize(const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y, void *y_data);
int mcu_ref_dequantize(const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y, void *y_data);

/* clamp.c: clamp of stored values, [l->act_min, l->act_max] for i8/u8/i32, [l->fact_min, l->fact_max] for f32. */
int mcu_ref_clamp(const mcu_layer_t *l, const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y,
                  void *y_data);

/* movement.c: transpose (output dimension i is input dimension perm[i]) and byte copy (same byte size). */
int mcu_ref_transpose(const int32_t *perm, const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y,
                      void *y_data);
int mcu_ref_copy(const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y, void *y_data);

/* ---- Programs (run.c) ---- */

/* Runs one layer of `p` with the reference kernels. `in[i]` points to the bytes of the layer's input i, `out` to
 * its output buffer (mcu_tensor_bytes of the output tensor). Returns 0, or -1 for an op it cannot run. */
int mcu_ref_run_layer(const mcu_program_t *p, const mcu_layer_t *l, const void *const *in, void *out);

/* Runs the whole program with every tensor in a buffer of its own (so the memory plan is not trusted):
 * inputs[i] holds model input i, outputs[j] receives model output j. Returns 0 on success. */
int mcu_ref_run(const mcu_program_t *p, const void *const *inputs, void *const *outputs);

#ifdef __cplusplus
}
#endif
#endif
