/* tflite_quant.c: host-side TF Lite multiplier computation (QuantizeMultiplier and its variants). */
#include "tflite_quant.h"

#include <math.h>

double mcu_tfl_round(double x) { return round(x); }

int mcu_tfl_quantize_multiplier(double real, int32_t *out_multiplier, int32_t *out_shift) {
  *out_multiplier = 0;
  *out_shift = 0;
  if (!isfinite(real)) return -1;
  if (real == 0.0) return 0;
  int e = 0;
  const double q = frexp(real, &e); /* |q| in [0.5, 1) */
  int64_t q_fixed = (int64_t)mcu_tfl_round(q * 2147483648.0); /* exact product: a power-of-two scaling */
  if (q_fixed == ((int64_t)1 << 31)) { /* q rounded up to 1.0: halve it and bump the exponent */
    q_fixed /= 2;
    ++e;
  } /* a negative multiplier may round to -2^31, which fits int32: TF Lite keeps it as is */
  if (e < -31) { /* flush tiny multipliers to zero */
    e = 0;
    q_fixed = 0;
  }
  if (e > 30) return -1;
  *out_multiplier = (int32_t)q_fixed;
  *out_shift = e;
  return 0;
}

int mcu_tfl_quantize_multiplier_smaller_than_one_exp(double real, int32_t *out_multiplier, int32_t *out_left_shift) {
  *out_multiplier = 0;
  *out_left_shift = 0;
  if (!(real < 1.0 && real > 0.0)) return -1;
  int32_t m, s;
  if (mcu_tfl_quantize_multiplier(real, &m, &s) || s > 0) return -1;
  *out_multiplier = m;
  *out_left_shift = s;
  return 0;
}

int mcu_tfl_quantize_multiplier_greater_than_one(double real, int32_t *out_multiplier, int32_t *out_left_shift) {
  *out_multiplier = 0;
  *out_left_shift = 0;
  if (!(real > 1.0)) return -1;
  int32_t m, s;
  if (mcu_tfl_quantize_multiplier(real, &m, &s) || s < 0) return -1;
  *out_multiplier = m;
  *out_left_shift = s;
  return 0;
}
