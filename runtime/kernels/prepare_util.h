/* prepare_util.h: host-side helpers shared by every prepare function of the kernel library (both kernel groups). */
#ifndef MCUNET_RUNTIME_KERNELS_PREPARE_UTIL_H
#define MCUNET_RUNTIME_KERNELS_PREPARE_UTIL_H

/* One definition of each compile-time helper the TF Lite group (prepare_tflite_*.c) and the misc group
 * (prepare_misc_*.c) both need: TF Lite's QuantizeMultiplier family, filling a call's params and aux tables,
 * checking a layer's tensor indices, and reading per-tensor quantization. */

#include <stdint.h>

#include "kernel_call.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TF Lite's QuantizeMultiplier family (tensorflow/lite/kernels/internal/quantization_util.cc, default build:
 * no TFLITE_EMULATE_FLOAT, no TFLITE_SINGLE_ROUNDING). The device side applies the pairs with k_fixedpoint.h. ---- */

/* Largest shift the double-rounding MultiplyByQuantizedMultiplier can apply (TF Lite computes x * (1 << shift) in
 * int32); the TF Lite group asks for it. */
#define MCU_QM_MAX_SHIFT 30

/* QuantizeMultiplier: frexp(real) -> (q in [0.5, 1), e); q_fixed = round_half_away(q * 2^31); a q_fixed of 2^31
 * becomes 2^30 with e + 1; e < -31 flushes to (0, 0); real == 0 gives (0, 0). Negative values give negative
 * multipliers as TF Lite does. out_shift is e (positive = left shift). Returns 0, or -1 (with (0, 0)) for a
 * non-finite input or a shift above max_shift (which the caller's kernel cannot apply). */
int mcu_quantize_multiplier(double real, int max_shift, int32_t *out_multiplier, int32_t *out_shift);

/* QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1 (-1 otherwise); out_left_shift <= 0. */
int mcu_quantize_multiplier_smaller_than_one_exp(double real, int32_t *out_multiplier, int32_t *out_left_shift);

/* QuantizeMultiplierGreaterThanOne: requires real > 1 and a shift <= MCU_QM_MAX_SHIFT (-1 otherwise);
 * out_left_shift >= 0. */
int mcu_quantize_multiplier_greater_than_one(double real, int32_t *out_multiplier, int32_t *out_left_shift);

/* ---- layers and calls ---- */

/* Fails unless the layer has exactly `n` inputs and every input/output tensor index is valid. */
mcu_status_t mcu_prep_check_arity(const mcu_program_t *p, const mcu_layer_t *l, int n);
/* Per-tensor quantization (num_scales == 1, scales and zero points present) with a positive finite scale: 1, else
 * 0 (also for t == NULL). */
int mcu_prep_is_per_tensor(const mcu_tensor_t *t);
/* The per-tensor scale as the float32 TF Lite stores and its zero point; fails (naming the layer and `what`) unless
 * mcu_prep_is_per_tensor(t) holds and the float32 scale is positive and finite too. */
mcu_status_t mcu_prep_per_tensor(const mcu_layer_t *l, const mcu_tensor_t *t, const char *what, float *out_scale,
                                 int32_t *out_zero_point);
/* Copies `size` bytes of params into the call (fails above MCU_KERNEL_MAX_PARAMS). */
mcu_status_t mcu_prep_set_params(const mcu_layer_t *l, mcu_kernel_call_t *call, const void *params, uint32_t size);
/* Appends a zeroed aux table of `size` bytes to the call (aux index = call->num_aux before the call) and returns
 * it through out_table; the call owns it (mcu_kernel_call_free). */
mcu_status_t mcu_prep_new_aux(const mcu_layer_t *l, mcu_kernel_call_t *call, uint32_t size, void **out_table);
/* Appends the size of an aux table without its bytes (aux NULL): for a program with sizes_only set, whose callers
 * read only the sizes; the call stays safe to release. */
mcu_status_t mcu_prep_size_aux(const mcu_layer_t *l, mcu_kernel_call_t *call, uint32_t size);
/* Appends an aux table holding the n int32 values v, little-endian. */
mcu_status_t mcu_prep_add_aux_i32(const mcu_layer_t *l, mcu_kernel_call_t *call, const int32_t *v, int32_t n);

#ifdef __cplusplus
}
#endif
#endif
