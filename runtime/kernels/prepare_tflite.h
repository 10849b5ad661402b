/* prepare_tflite.h: host-side helpers and entry points that turn layers into calls of the TF Lite kernels. */
#ifndef MCUNET_RUNTIME_KERNELS_PREPARE_TFLITE_H
#define MCUNET_RUNTIME_KERNELS_PREPARE_TFLITE_H

#include <stdint.h>

#include "kernel_call.h"
#include "prepare_util.h"
#include "program.h"
#include "status.h"

/* ---- the TF Lite group's own helpers (prepare_tflite_util.c); those shared with the misc group (QuantizeMultiplier,
 * params, aux tables, per-tensor checks) are in prepare_util.h ---- */

/* The layer's input i / output tensor, or NULL when the index is invalid. */
const mcu_tensor_t *mcu_tfl_in(const mcu_program_t *p, const mcu_layer_t *l, int i);
const mcu_tensor_t *mcu_tfl_out(const mcu_program_t *p, const mcu_layer_t *l);
/* Nonzero when tensor t exists and has dtype dt. */
int mcu_tfl_is(const mcu_tensor_t *t, mcu_dtype_t dt);
/* [act_min, act_max] intersected with the 8-bit type's range (error when empty or the type is not i8/u8). */
mcu_status_t mcu_tfl_act_range_q8(const mcu_layer_t *l, mcu_dtype_t dt, int32_t *out_lo, int32_t *out_hi);
/* The float activation range TF Lite Micro uses: an infinite bound becomes -FLT_MAX / FLT_MAX (its
 * CalculateActivationRange uses numeric_limits<float>::lowest() / max() without an activation). */
void mcu_tfl_act_range_f32(const mcu_layer_t *l, float *out_lo, float *out_hi);
/* Element count of t as int32 (error when it does not fit). */
mcu_status_t mcu_tfl_count(const mcu_layer_t *l, const mcu_tensor_t *t, int32_t *out_n);

/* ---- kernel selection (prepare_tflite_gemm.c; kernel_select.h) ---- */
struct mcu_ksel_shape;
struct mcu_ksel_choice;
/* Fills *out with the layer as the cost model sees it; 0 when l is no int8 TF Lite conv / fully connected layer. */
int mcu_tfl_ksel_shape(const mcu_program_t *p, const mcu_layer_t *l, struct mcu_ksel_shape *out);
/* The layer's kernel family and tile: the recorded one (select-kernels) when it applies, else the cost model's. */
struct mcu_ksel_choice mcu_tfl_kernel_choice(const mcu_program_t *p, const mcu_layer_t *l);

/* ---- table entries: matches / prepare per kernel ---- */
#define MCU_TFL_ENTRY(name)                                                                                        \
  int mcu_tfl_match_##name(const mcu_program_t *p, const mcu_layer_t *l);                                          \
  mcu_status_t mcu_tfl_prepare_##name(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call)

MCU_TFL_ENTRY(conv_s8);        /* prepare_tflite_conv.c */
MCU_TFL_ENTRY(conv_dw_inplace_s8);
int mcu_tfl_match_conv_dw_s8(const mcu_program_t *p, const mcu_layer_t *l); /* prepare_tflite_dw.c */
MCU_TFL_ENTRY(conv_f32);
MCU_TFL_ENTRY(fc_s8);
MCU_TFL_ENTRY(fc_f32);
MCU_TFL_ENTRY(conv_pw_s8);     /* prepare_tflite_gemm.c: the GEMM-core kernels of k_conv_gemm.c */
MCU_TFL_ENTRY(conv_im2col_s8);
MCU_TFL_ENTRY(fc_gemm_s8);
MCU_TFL_ENTRY(requantize);     /* prepare_tflite_eltwise.c */
MCU_TFL_ENTRY(quantize_f32);
MCU_TFL_ENTRY(dequantize_f32);
mcu_status_t mcu_tfl_prepare_addsub_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
MCU_TFL_ENTRY(mul_s8);
mcu_status_t mcu_tfl_prepare_binary_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
MCU_TFL_ENTRY(pad);            /* prepare_tflite_shape.c */
MCU_TFL_ENTRY(concat);
MCU_TFL_ENTRY(mean);

int mcu_tfl_match_add_s8(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_tfl_match_sub_s8(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_tfl_match_add_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_tfl_match_sub_f32(const mcu_program_t *p, const mcu_layer_t *l);
int mcu_tfl_match_mul_f32(const mcu_program_t *p, const mcu_layer_t *l);

/* Fills the broadcast walk of a binary op (output shape and both inputs' strides, numpy rules). */
mcu_status_t mcu_tfl_broadcast(const mcu_layer_t *l, const mcu_tensor_t *a, const mcu_tensor_t *b,
                               const mcu_tensor_t *y, void *out_bcast);

#endif
