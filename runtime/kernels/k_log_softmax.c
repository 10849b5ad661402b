/* k_log_softmax.c: TF Lite Micro's reference log_softmax over the last dimension, int8 and float32. */
#include <math.h>
#include <stdint.h>

#include "k_misc.h"
#include "k_fixedpoint.h"
#include "k_softmax_rows.h"

/* mcu_k_log_softmax_s8: int8 -> int8 log_softmax (output scale 16/256, zero point 127), bit-exact with TF Lite
 * Micro's reference_ops::LogSoftmaxQuantized<int8_t> (double-rounding build).
 * Parameters: mcu_k_log_softmax_s8_params_t; in0/out int8 [outer * depth]; aux0 int32[256] the exp table (as
 * softmax, beta 1); aux1 int32[256] the input difference -d in Q5.26 (MultiplyByQuantizedMultiplier).
 * Per row: sum = sum of RoundingDivideByPOT(aux0[d], 12) over the row (d = max - x; entries beyond the radius
 * are 0) in Q12.19; log_sum = log_x_for_x_greater_than_or_equal_to_1(sum) in Q5.26;
 * adjusted_diff_min = max(diff_min - 1, MultiplyByQuantizedMultiplier(log_sum + INT32_MIN, reverse_scaling_divisor,
 * -reverse_scaling_right_shift)); element with diff > adjusted_diff_min: clamp(RoundingDivideByPOT(aux1[d] -
 * log_sum, 22) + 127, -128, 127), else -128. Rounding: SRDHM ties toward +infinity, RoundingDivideByPOT
 * ties away from zero. */
void mcu_k_log_softmax_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                          const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_log_softmax_s8_params_t *p = (const mcu_k_log_softmax_s8_params_t *)params;
  const int32_t *exp_table = (const int32_t *)aux0;
  const int32_t *diff_q5 = (const int32_t *)aux1;
  const int8_t *x = (const int8_t *)in0;
  int8_t *y = (int8_t *)out;
  for (int32_t row = 0; row < p->outer; ++row, x += p->depth, y += p->depth) {
    const int32_t max = mcu_ksr_row_max_s8(x, p->depth);
    const uint32_t sum = mcu_ksr_row_exp_sum_q12(x, p->depth, max, exp_table); /* Q12.19 */
    const int32_t log_sum = mcu_fx_log_x_ge_1((int32_t)sum, 12, 5);
    const int32_t rescaled =
        mcu_fx_mbqm(mcu_fx_add_wrap(log_sum, INT32_MIN), p->reverse_scaling_divisor, -p->reverse_scaling_right_shift);
    const int32_t adjusted_diff_min = (p->diff_min - 1) > rescaled ? (p->diff_min - 1) : rescaled;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max;
      if (diff > adjusted_diff_min) {
        const int32_t v = mcu_fx_rdbypot(mcu_fx_sub_wrap(diff_q5[-diff], log_sum), 31 - 5 - 4) + 127;
        y[c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
      } else {
        y[c] = -128;
      }
    }
  }
}

/* mcu_k_log_softmax_f32: TF Lite's reference float log_softmax: m = row max, s = sum of expf(x - m) in order,
 * y = x - m - logf(s), float32 throughout. Parameters: mcu_k_rows_params_t; in0/out float [outer * depth].
 * Weakness: expf/logf come from each side's C library (last-bit differences possible). */
void mcu_k_log_softmax_f32(const void *params, const void *aux0, const void *aux1, const void *in0,
                           const void *in1, const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_rows_params_t *p = (const mcu_k_rows_params_t *)params;
  const float *x = (const float *)in0;
  float *y = (float *)out;
  for (int32_t row = 0; row < p->outer; ++row, x += p->depth, y += p->depth) {
    float max = -3.40282347e+38f;
    for (int32_t c = 0; c < p->depth; ++c) max = max < x[c] ? x[c] : max;
    float sum = 0.0f;
    for (int32_t c = 0; c < p->depth; ++c) sum += expf(x[c] - max);
    const float log_sum = logf(sum);
    for (int32_t c = 0; c < p->depth; ++c) y[c] = x[c] - max - log_sum;
  }
}
