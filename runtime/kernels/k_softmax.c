/* k_softmax.c: TF Lite Micro's reference softmax over the last dimension, int8 (fixed point) and float32. */
#include <math.h>
#include <stdint.h>

#include "k_misc.h"
#include "k_fixedpoint.h"
#include "k_softmax_rows.h"

/* mcu_k_softmax_s8: int8 -> int8 softmax, bit-exact with TF Lite Micro's reference kernel
 * (reference_ops::Softmax<int8_t, int8_t>, double-rounding build).
 * Parameters: mcu_k_softmax_s8_params_t (outer >= 1 rows of depth >= 1 elements, contiguous); in0/out int8
 * [outer * depth]; aux0 int32[256]: aux0[d] = exp(scaled diff) in Q0.31 for the input difference -d (d = max - x,
 * 0..255), 0 where -d < diff_min. The prepare computed it as exp_on_negative_values(SRDHM(-d * 2^left_shift,
 * multiplier)) in Q5.26, the exact expression TF Lite Micro evaluates per element, so the lookup is identical.
 * Per row: sum = sum over the row of RoundingDivideByPOT(aux0[d], 12) (Q12.19 accumulator, wrapping beyond 4095
 * elements as TF Lite Micro's int32 does); reciprocal: h = clz(sum), scale = one_over_one_plus_x((sum << h) -
 * 2^31) in Q0.31, exponent = (12 - h) + 23; output = clamp(RoundingDivideByPOT(SRDHM(scale, aux0[d]), exponent) -
 * 128, -128, 127). Rounding: SRDHM rounds ties toward +infinity, RoundingDivideByPOT ties away from zero.
 * Weakness: TF Lite Micro aborts when the exponent exceeds 31 (row sums above 2^8, i.e. more than 256 maximal
 * elements); here it is clamped to 31 instead. */
void mcu_k_softmax_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_softmax_s8_params_t *p = (const mcu_k_softmax_s8_params_t *)params;
  const int32_t *exp_table = (const int32_t *)aux0;
  const int8_t *x = (const int8_t *)in0;
  int8_t *y = (int8_t *)out;
  for (int32_t row = 0; row < p->outer; ++row, x += p->depth, y += p->depth) {
    const int32_t max = mcu_ksr_row_max_s8(x, p->depth);
    const uint32_t sum = mcu_ksr_row_exp_sum_q12(x, p->depth, max, exp_table); /* Q12.19 */
    const int headroom_plus_one = mcu_fx_clz32(sum);
    const int32_t scale = mcu_fx_one_over_one_plus_x_for_x_in_0_1((int32_t)((sum << headroom_plus_one) - 0x80000000u));
    int exponent = (12 - headroom_plus_one) + 31 - 8;
    if (exponent > 31) exponent = 31;
    if (exponent < 0) exponent = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      int32_t v = mcu_fx_rdbypot(mcu_fx_srdhm(scale, exp_table[max - x[c]]), exponent) - 128;
      y[c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
  }
}

/* mcu_k_softmax_f32: float32 softmax as TF Lite's reference: per row m = max (starting from the lowest float),
 * e_c = expf((x_c - m) * beta), s = sum of e_c in order, y_c = e_c / s. All float32, no fused multiply-add.
 * Parameters: mcu_k_softmax_f32_params_t; in0/out float [outer * depth] (out may not alias in0).
 * Weakness: expf comes from the C library of each side, so host and device results can differ in the last bit. */
void mcu_k_softmax_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_softmax_f32_params_t *p = (const mcu_k_softmax_f32_params_t *)params;
  const float *x = (const float *)in0;
  float *y = (float *)out;
  for (int32_t row = 0; row < p->outer; ++row, x += p->depth, y += p->depth) {
    float max = -3.40282347e+38f;
    for (int32_t c = 0; c < p->depth; ++c) max = max < x[c] ? x[c] : max;
    float sum = 0.0f;
    for (int32_t c = 0; c < p->depth; ++c) {
      const float e = expf((x[c] - max) * p->beta);
      y[c] = e;
      sum += e;
    }
    for (int32_t c = 0; c < p->depth; ++c) y[c] = y[c] / sum;
  }
}
