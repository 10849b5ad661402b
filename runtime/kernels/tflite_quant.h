/* tflite_quant.h: host-side TF Lite multiplier computation: float scales to (Q0.31 multiplier, shift) pairs. */
#ifndef MCUNET_RUNTIME_KERNELS_TFLITE_QUANT_H
#define MCUNET_RUNTIME_KERNELS_TFLITE_QUANT_H

/* These reproduce TF Lite's QuantizeMultiplier family (tensorflow/lite/kernels/internal/quantization_util.cc,
 * default build: no TFLITE_EMULATE_FLOAT, no TFLITE_SINGLE_ROUNDING). They run at compile time (prepare functions
 * of the kernel library); the device side uses the pairs with k_fixedpoint.h. Scales are the model's float32
 * values; callers form the double real multiplier exactly as the TF Lite Micro op does (documented per op in
 * docs/numerics-tflite.md). */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* QuantizeMultiplier: m = frexp(real) -> (q in [0.5, 1), e); q_fixed = round_half_away(q * 2^31); a q_fixed of
 * 2^31 becomes 2^30 with e + 1; e < -31 flushes to (0, 0); real == 0 gives (0, 0). real must be finite; negative
 * values give negative multipliers as TF Lite does. out_shift is e (positive = left shift). Returns 0, or -1 for a
 * non-finite input or a shift above 30 (which the double-rounding MultiplyByQuantizedMultiplier cannot apply). */
int mcu_tfl_quantize_multiplier(double real, int32_t *out_multiplier, int32_t *out_shift);

/* QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1 (-1 otherwise); out_left_shift <= 0. */
int mcu_tfl_quantize_multiplier_smaller_than_one_exp(double real, int32_t *out_multiplier, int32_t *out_left_shift);

/* QuantizeMultiplierGreaterThanOne: requires real > 1 (-1 otherwise); out_left_shift >= 0. */
int mcu_tfl_quantize_multiplier_greater_than_one(double real, int32_t *out_multiplier, int32_t *out_left_shift);

/* TfLiteRound on doubles (std::round): half away from zero. */
double mcu_tfl_round(double x);

#ifdef __cplusplus
}
#endif
#endif
