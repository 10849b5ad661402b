/* prepare_misc.h: host-side prepare functions of the misc kernel group and the quantization helpers they share. */
#ifndef MCUNET_RUNTIME_KERNELS_PREPARE_MISC_H
#define MCUNET_RUNTIME_KERNELS_PREPARE_MISC_H

#include <stdint.h>

#include "kernel_call.h"
#include "prepare_util.h"

/* ---- TF Lite's softmax scaling arithmetic (prepare_misc_util.c), double-rounding build; QuantizeMultiplier and
 * the params/aux/arity/per-tensor helpers are in prepare_util.h ---- */

/* PreprocessSoftmaxScaling: min(beta * input_scale * 2^(31 - integer_bits), 2^31 - 1) as a multiplier > 1 with a
 * left shift >= 0. Fails when the real multiplier is not above 1 (TF Lite Micro aborts there). */
mcu_status_t mcu_misc_softmax_scaling(double beta, double input_scale, int integer_bits, int32_t *out_q,
                                      int *out_left_shift);

/* CalculateInputRadius: floor((2^integer_bits - 1) * 2^(total_bits - integer_bits) / 2^left_shift). */
int32_t mcu_misc_input_radius(int integer_bits, int left_shift, int total_bits);

/* ---- Layer shape helper (prepare_misc_util.c) ---- */
/* Rows and row length for an op over the last dimension; fails for rank 0 or sizes beyond int32. */
mcu_status_t mcu_misc_rows(const mcu_layer_t *l, const mcu_tensor_t *t, int32_t *out_outer, int32_t *out_depth);

/* ---- Prepare functions (registered in kernels_misc.c) ---- */
mcu_status_t mcu_prepare_softmax_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_log_softmax_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_log_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_logistic_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_hard_swish_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_elementwise_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_pool(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
mcu_status_t mcu_prepare_resize_nearest(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);

/* The 256-entry int8 tables (exposed for the tests): entry (uint8_t)v is the output for input v. */
mcu_status_t mcu_misc_logistic_table(float input_scale, int32_t input_zero_point, int8_t out_table[256]);
mcu_status_t mcu_misc_hard_swish_table(float input_scale, int32_t input_zero_point, float output_scale,
                                       int32_t output_zero_point, int8_t out_table[256]);

#endif
