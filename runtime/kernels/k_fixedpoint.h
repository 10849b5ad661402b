/* k_fixedpoint.h: the kernel library's one set of TF Lite / gemmlowp fixed-point helpers (device and host side). */
#ifndef MCUNET_RUNTIME_KERNELS_K_FIXEDPOINT_H
#define MCUNET_RUNTIME_KERNELS_K_FIXEDPOINT_H

/* These reproduce, bit for bit, the integer arithmetic TF Lite Micro's reference kernels use (gemmlowp's
 * SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, TF Lite's MultiplyByQuantizedMultiplier in its default
 * double-rounding form, i.e. without TFLITE_SINGLE_ROUNDING), plus the gemmlowp Q-format transcendental
 * approximations of TF Lite's softmax, log_softmax and logistic (exp_on_negative_values, one_over_one_plus_x,
 * logistic, log). Written from the published definitions. Every kernel of runtime/kernels uses them, and so do the
 * host-side prepare functions that build tables (prepare_misc_*.c): one definition keeps device and compile-time
 * results identical. Device code: <stdint.h> only, no state, no division or modulo by a run-time value (a 64-bit
 * one would make the Cortex-M7 object call libgcc's __aeabi_ldivmod).
 * A value in format Qm (m integer bits, 0..31) is raw / 2^(31-m). Wrapping additions are done in uint32 (TF Lite's
 * plain int32 adds, undefined on overflow there, wrap here).
 *
 * Ranges: multipliers are Q0.31 values in [2^30, 2^31 - 1] (or 0), as mcu_quantize_multiplier() (prepare_util.h)
 * produces; shifts are in [-31, 31] (positive = left; the TF Lite group keeps them <= 30). Known weakness: like
 * TF Lite Micro, `x * 2^left_shift` wraps
 * (two's complement) when it overflows int32; TF Lite Micro leaves that case undefined, we define it as the
 * wrap a Cortex-M produces. */

#include <stdint.h>

/* Two's complement reinterpretation of a 32-bit pattern, without implementation-defined conversions. */
static inline int32_t mcu_fx_i32(uint32_t u) {
  return u >= 0x80000000u ? (int32_t)(u - 0x80000000u) - INT32_MAX - 1 : (int32_t)u;
}

/* x * 2^s for 0 <= s <= 31, wrapping like the 32-bit multiply of TF Lite Micro on Cortex-M. */
static inline int32_t mcu_fx_shl_wrap(int32_t x, int s) { return mcu_fx_i32((uint32_t)x << s); }

/* Right shift of a signed value by 0 <= e <= 63: floor(x / 2^e). C17 leaves >> of a negative value
 * implementation-defined; gcc and clang define it as the arithmetic shift (floor) on every target we build for
 * (x86-64, AArch64, Cortex-M), which is what these helpers rely on. Never a division, so no library call. */
static inline int64_t mcu_fx_asr64(int64_t x, int e) { return x >> e; }
static inline int32_t mcu_fx_asr32(int32_t x, int e) { return x >> e; }

/* gemmlowp SaturatingRoundingDoublingHighMul: a * b / 2^31 rounded to nearest with ties toward +infinity. gemmlowp
 * adds a nudge (+2^30 for a non-negative product, 1 - 2^30 for a negative one) then divides truncating toward zero;
 * for ab >= 0 that is floor((ab + 2^30) / 2^31), and for ab < 0 the sum s = ab + 1 - 2^30 is negative, so the
 * truncation is ceil(s / 2^31) = floor((s + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31) as well: one arithmetic
 * shift (|ab| <= 2^62, no int64 overflow). The only overflow, INT32_MIN * INT32_MIN, saturates to INT32_MAX (ARM
 * VQRDMULH); every other result fits int32. */
static inline int32_t mcu_fx_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  return (int32_t)mcu_fx_asr64(ab + ((int64_t)1 << 30), 31);
}

/* gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; 0 <= e <= 31 (e may come from a
 * per-channel table, so it need not be a compile-time constant). gemmlowp's form: mask = 2^e - 1, remainder =
 * x & mask, threshold = (mask >> 1) + (x < 0), result = floor(x / 2^e) + (remainder > threshold). No division. */
static inline int32_t mcu_fx_rdbypot(int32_t x, int e) {
  const int32_t mask = (int32_t)(((uint32_t)1 << e) - 1u); /* e = 31: 0x7fffffff */
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return mcu_fx_asr32(x, e) + (remainder > threshold ? 1 : 0);
}

/* TF Lite MultiplyByQuantizedMultiplier (double rounding): rdbypot(srdhm(x * 2^max(shift,0), m), max(-shift,0)).
 * shift in [-31, 31]; x * 2^shift wraps when it overflows int32 (see above). */
static inline int32_t mcu_fx_mbqm(int32_t x, int32_t m, int32_t shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return mcu_fx_rdbypot(mcu_fx_srdhm(mcu_fx_shl_wrap(x, left), m), right);
}

/* TF Lite MultiplyByQuantizedMultiplierSmallerThanOneExp: rdbypot(srdhm(x, m), -left_shift), left_shift <= 0. */
static inline int32_t mcu_fx_mbqm_smaller_than_one_exp(int32_t x, int32_t m, int32_t left_shift) {
  return mcu_fx_rdbypot(mcu_fx_srdhm(x, m), -left_shift);
}

/* TF Lite MultiplyByQuantizedMultiplierGreaterThanOne: srdhm(x * 2^left_shift, m), left_shift >= 0. */
static inline int32_t mcu_fx_mbqm_greater_than_one(int32_t x, int32_t m, int32_t left_shift) {
  return mcu_fx_srdhm(mcu_fx_shl_wrap(x, left_shift), m);
}

/* min(max(v, lo), hi) on int32. */
static inline int32_t mcu_fx_clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* std::min(std::max(v, lo), hi) on floats, as TF Lite's ActivationFunctionWithMinMax: a NaN passes through. */
static inline float mcu_fx_fclamp(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

/* static_cast<int32_t>(float) as a Cortex-M's VCVT does it: truncation toward zero, saturating, NaN -> 0 (C leaves
 * out-of-range conversions undefined; TF Lite Micro on Cortex-M gets this). */
static inline int32_t mcu_fx_f2i_sat(float f) {
  if (f != f) return 0;
  if (f >= 2147483648.0f) return INT32_MAX;
  if (f <= -2147483648.0f) return INT32_MIN;
  return (int32_t)f;
}

/* ---- gemmlowp Q-format arithmetic of the softmax, log_softmax and logistic kernels ---- */

/* a + b and a - b wrapping modulo 2^32. */
static inline int32_t mcu_fx_add_wrap(int32_t a, int32_t b) { return mcu_fx_i32((uint32_t)a + (uint32_t)b); }
static inline int32_t mcu_fx_sub_wrap(int32_t a, int32_t b) { return mcu_fx_i32((uint32_t)a - (uint32_t)b); }

/* Number of leading zero bits of x (32 for 0). */
static inline int mcu_fx_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

/* x * 2^e saturated to int32 (0 <= e <= 31): gemmlowp's SaturatingRoundingMultiplyByPOT for e >= 0. */
static inline int32_t mcu_fx_sat_shl(int32_t x, int e) {
  if (e == 0) return x;
  const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return mcu_fx_shl_wrap(x, e); /* in range: no wrap */
}

/* gemmlowp Rescale of a Q(from) value to Q(to): saturating left shift or rounding right shift. */
static inline int32_t mcu_fx_rescale(int32_t x, int from, int to) {
  return from >= to ? mcu_fx_sat_shl(x, from - to) : mcu_fx_rdbypot(x, to - from);
}

/* (a + b) / 2 rounded half away from zero (gemmlowp RoundingHalfSum: (sum + sign) / 2 truncating toward zero,
 * which is (sum + 1) >> 1 for sum >= 0 and sum >> 1, i.e. floor(sum / 2), for sum < 0). No division. */
static inline int32_t mcu_fx_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)(sum >= 0 ? mcu_fx_asr64(sum + 1, 1) : mcu_fx_asr64(sum, 1));
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor expansion around -1/8. */
static inline int32_t mcu_fx_exp_on_interval_neg_quarter_0(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;
  const int32_t one_third = 715827883;
  const int32_t x = mcu_fx_add_wrap(a, (int32_t)1 << 28);
  const int32_t x2 = mcu_fx_srdhm(x, x);
  const int32_t x3 = mcu_fx_srdhm(x2, x);
  const int32_t x4 = mcu_fx_srdhm(x2, x2);
  const int32_t x4_over_4 = mcu_fx_rdbypot(x4, 2);
  const int32_t poly = mcu_fx_rdbypot(mcu_fx_add_wrap(mcu_fx_srdhm(mcu_fx_add_wrap(x4_over_4, x3), one_third), x2), 1);
  return mcu_fx_add_wrap(exp_minus_one_eighth, mcu_fx_srdhm(exp_minus_one_eighth, mcu_fx_add_wrap(x, poly)));
}

/* exp(a) for a <= 0 given in Q(ib).(31-ib), 1 <= ib <= 30; result Q0.31 (exp(0) = INT32_MAX). */
static inline int32_t mcu_fx_exp_on_negative_values(int32_t a, int ib) {
  const int fb = 31 - ib;
  const int32_t quarter = (int32_t)1 << (fb - 2);
  const int32_t a_mod_quarter_minus_quarter = mcu_fx_sub_wrap(a & (quarter - 1), quarter);
  int32_t result = mcu_fx_exp_on_interval_neg_quarter_0(mcu_fx_sat_shl(a_mod_quarter_minus_quarter, ib));
  const int32_t remainder = mcu_fx_sub_wrap(a_mod_quarter_minus_quarter, a);
  /* exp(-2^k) in Q0.31 for k = -2 .. 4 */
  const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = 0; k < 7; ++k) {
    const int exponent = k - 2;
    if (ib > exponent && (remainder & ((int32_t)1 << (fb + exponent)))) result = mcu_fx_srdhm(result, multipliers[k]);
  }
  if (ib > 5 && a < -((int32_t)1 << (36 - ib))) result = 0; /* below -32 */
  if (a == 0) result = INT32_MAX;
  return result;
}

/* 1 / (1 + a) for a in [0, 1) given in Q0.31; result Q0.31. Three Newton-Raphson steps in Q2.29. */
static inline int32_t mcu_fx_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = mcu_fx_rounding_half_sum(a, INT32_MAX);
  const int32_t c48_over_17 = 1515870810, cneg32_over_17 = -1010580540, one_q2 = (int32_t)1 << 29;
  int32_t x = mcu_fx_add_wrap(c48_over_17, mcu_fx_srdhm(half_denominator, cneg32_over_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = mcu_fx_srdhm(half_denominator, x);
    const int32_t one_minus = mcu_fx_sub_wrap(one_q2, half_denominator_times_x);
    x = mcu_fx_add_wrap(x, mcu_fx_sat_shl(mcu_fx_srdhm(x, one_minus), 2));
  }
  return mcu_fx_sat_shl(x, 1);
}

/* logistic(a) = 1 / (1 + exp(-a)) for a in Q(ib); result Q0.31. */
static inline int32_t mcu_fx_logistic(int32_t a, int ib) {
  if (a == 0) return (int32_t)1 << 30;
  const int32_t abs_a = a > 0 ? a : mcu_fx_sub_wrap(0, a);
  const int32_t if_positive =
      mcu_fx_one_over_one_plus_x_for_x_in_0_1(mcu_fx_exp_on_negative_values(mcu_fx_sub_wrap(0, abs_a), ib));
  return a > 0 ? if_positive : mcu_fx_sub_wrap(INT32_MAX, if_positive);
}

/* a + b and a - b saturated to int32. */
static inline int32_t mcu_fx_saturating_add(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}
static inline int32_t mcu_fx_saturating_sub(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a - b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

/* log(x) for x >= 1 given in Q(in_ib); result in Q(out_ib): TF Lite's log_x_for_x_greater_than_or_equal_to_1_impl
 * (range reduction by the leading-zero count, a rational approximation, an accumulator with out_ib + 1 integer
 * bits). 1 <= in_ib <= 30, 1 <= out_ib <= 29. */
static inline int32_t mcu_fx_log_x_ge_1(int32_t input, int in_ib, int out_ib) {
  const int acc_ib = out_ib + 1;
  const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250, one_quarter = 536870912;
  const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
  const int32_t shifted_quarter = mcu_fx_rescale(one_quarter, 0, acc_ib);

  const int32_t z_a = input;
  const int z_a_headroom_plus_1 = mcu_fx_clz32((uint32_t)z_a);
  const int32_t r_a_tmp = mcu_fx_sat_shl(z_a, z_a_headroom_plus_1 - 1);
  const int32_t r_a_raw = mcu_fx_sat_shl(mcu_fx_srdhm(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj =
      mcu_fx_saturating_add(mcu_fx_sat_shl((int32_t)(in_ib - z_a_headroom_plus_1), 31 - acc_ib), shifted_quarter);

  const int32_t z_b = mcu_fx_srdhm(z_a, sqrt_half);
  const int z_b_headroom = mcu_fx_clz32((uint32_t)z_b) - 1;
  const int32_t r_b_raw = mcu_fx_sat_shl(z_a, z_b_headroom);
  const int32_t z_b_pow_2_adj =
      mcu_fx_saturating_sub(mcu_fx_sat_shl((int32_t)(in_ib - z_b_headroom), 31 - acc_ib), shifted_quarter);

  const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;

  const int32_t p = mcu_fx_rounding_half_sum(r, sqrt_sqrt_half);
  int32_t q = mcu_fx_sub_wrap(r, sqrt_sqrt_half);
  q = mcu_fx_add_wrap(q, q);
  const int32_t common_sq = mcu_fx_srdhm(q, q);
  const int32_t num = mcu_fx_add_wrap(mcu_fx_srdhm(q, r), mcu_fx_srdhm(mcu_fx_srdhm(q, common_sq), alpha_n));
  const int32_t denom_minus_one_0 =
      mcu_fx_add_wrap(mcu_fx_srdhm(p, mcu_fx_add_wrap(mcu_fx_add_wrap(alpha_i, q), mcu_fx_srdhm(alpha_d, common_sq))),
                      mcu_fx_srdhm(alpha_f, q));
  const int32_t recip_denom = mcu_fx_one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);
  const int32_t num_scaled = mcu_fx_rescale(num, 0, acc_ib);
  return mcu_fx_rescale(mcu_fx_add_wrap(mcu_fx_srdhm(z_pow_2_adj, log_2), mcu_fx_srdhm(num_scaled, recip_denom)),
                        acc_ib, out_ib);
}

#endif
