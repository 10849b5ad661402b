/* prepare_misc_act.c: the compile-time 256-entry tables of int8 LOGISTIC and HARD_SWISH, and elementwise f32 prepare. */
#include <math.h>
#include <string.h>

#include "k_misc.h"
#include "k_fixedpoint.h"
#include "prepare_misc.h"

/* ---- LOGISTIC int8 (TF Lite Micro's reference_integer_ops::Logistic and its prepare) ----
 * input multiplier: frexp(input_scale * 2^27) -> (fraction rounded to Q0.31 half away from zero, left_shift);
 * radius = CalculateInputRadius(4, left_shift, 31); per input v: x = v - zero_point; x <= -radius -> -128,
 * x >= radius -> 127, else q4 = MultiplyByQuantizedMultiplier(x, multiplier, left_shift) (Q4.27),
 * out = clamp(RoundingDivideByPOT(logistic(q4) in Q0.31, 23) - 128, -128, 127). TF Lite Micro requires the output
 * zero point -128 and assumes scale 1/256 without checking it; so do we. A fraction that rounds to 2^31 is stored
 * as INT32_MAX (what the Cortex-M's saturating float-to-int conversion gives TF Lite Micro). */
mcu_status_t mcu_misc_logistic_table(float input_scale, int32_t input_zero_point, int8_t out_table[256]) {
  const double real = (double)input_scale * (double)(1 << (31 - 4));
  int left_shift = 0;
  const double fraction = frexp(real, &left_shift);
  const double q = round(fraction * 2147483648.0);
  const int32_t multiplier = q >= 2147483647.0 ? INT32_MAX : (int32_t)q;
  if (left_shift < 0 || left_shift > 31)
    return mcu_status_errorf("input scale %g out of the range TF Lite Micro's int8 logistic handles",
                             (double)input_scale);
  const int32_t radius = mcu_misc_input_radius(4, left_shift, 31);
  for (int v = -128; v <= 127; ++v) {
    const int32_t x = v - input_zero_point;
    int32_t out;
    if (x <= -radius) out = -128;
    else if (x >= radius) out = 127;
    else {
      const int32_t q4 = mcu_fx_mbqm(x, multiplier, left_shift);
      out = mcu_fx_rdbypot(mcu_fx_logistic(q4, 4), 31 - 8) - 128;
      out = out < -128 ? -128 : out > 127 ? 127 : out;
    }
    out_table[(uint8_t)(int8_t)v] = (int8_t)out;
  }
  return NULL;
}

/* ---- HARD_SWISH int8 (TF Lite's reference_ops::HardSwish<int8_t> and TF Lite Micro's HardSwishPrepare) ----
 * All in int16 with TF Lite's int16 rounding/saturating primitives, emulated exactly below (including the
 * truncations to int16 of their intermediate results). */

static int16_t i16(int32_t v) { return (int16_t)v; } /* two's complement truncation, as the C++ conversions */

static int16_t srdhm16(int16_t a, int16_t b) { /* gemmlowp SaturatingRoundingDoublingHighMul<int16_t> */
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int16_t nudge = ab >= 0 ? (int16_t)(1 << 14) : (int16_t)(1 - (1 << 14));
  return i16((ab + nudge) / (1 << 15));
}

static int16_t sdhm16(int16_t a, int16_t b) { /* TF Lite SaturatingDoublingHighMul: truncating */
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  return i16(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t rdbpot16(int16_t x, int e) { /* gemmlowp RoundingDivideByPOT<int16_t>, 0 <= e <= 31 */
  const int16_t mask = i16((int32_t)(((int64_t)1 << e) - 1));
  const int16_t remainder = i16(x & mask);
  const int16_t threshold = i16((int16_t)(mask >> 1) + (x < 0 ? 1 : 0));
  return i16((int16_t)(x >> e) + (remainder > threshold ? 1 : 0));
}

static int16_t sat_shl16(int16_t v, int amount) { /* TF Lite SaturatingLeftShift */
  int64_t r = (int64_t)v * ((int64_t)1 << amount);
  r = r > INT16_MAX ? INT16_MAX : r < INT16_MIN ? INT16_MIN : r;
  return (int16_t)r;
}

/* DownScaleInt32ToInt16Multiplier: round the Q0.31 multiplier to Q0.15, saturating. */
static int16_t downscale16(int32_t m) {
  if (m >= INT32_MAX - (1 << 15)) return INT16_MAX;
  return (int16_t)((m + (1 << 15)) >> 16);
}

mcu_status_t mcu_misc_hard_swish_table(float input_scale, int32_t input_zero_point, float output_scale,
                                       int32_t output_zero_point, int8_t out_table[256]) {
  const float hires_input_scale = (1.0f / 128.0f) * input_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  int32_t m32, output_exponent, reluish_exponent;
  if (mcu_quantize_multiplier((double)(hires_input_scale / output_scale), INT32_MAX, &m32, &output_exponent))
    return mcu_status_errorf("hard swish multipliers out of range");
  const int16_t output_multiplier = downscale16(m32);
  if (output_exponent > 0)
    return mcu_status_errorf("input scale / output scale = %g is too large (TF Lite needs the output multiplier "
                             "exponent <= 0)", (double)(input_scale / output_scale));
  if (mcu_quantize_multiplier((double)(hires_input_scale / reluish_scale), INT32_MAX, &m32, &reluish_exponent))
    return mcu_status_errorf("hard swish multipliers out of range");
  const int16_t reluish_multiplier = downscale16(m32);
  if (reluish_exponent > 31 || reluish_exponent < -31 || output_exponent < -31)
    return mcu_status_errorf("hard swish multipliers out of range");
  for (int v = -128; v <= 127; ++v) {
    const int16_t input_value = i16(v - input_zero_point);
    const int16_t hires = i16(input_value * (1 << 7));
    const int16_t preshift_output_scale = srdhm16(hires, output_multiplier);
    int16_t reluish = hires;
    if (reluish_exponent > 0) reluish = sat_shl16(reluish, reluish_exponent - 1);
    reluish = srdhm16(reluish, reluish_multiplier);
    if (reluish_exponent > 0) reluish = sat_shl16(reluish, 1);
    if (reluish_exponent < 0) reluish = rdbpot16(reluish, -reluish_exponent);
    reluish = i16((reluish + (1 << 15)) >> 1);
    const int16_t preshift_output = sdhm16(reluish, preshift_output_scale);
    int16_t out = rdbpot16(preshift_output, -output_exponent);
    out = i16(out + output_zero_point);
    out = out > 127 ? 127 : out;
    out = out < -128 ? -128 : out;
    out_table[(uint8_t)(int8_t)v] = (int8_t)out;
  }
  return NULL;
}

/* Common checks of an int8 table op: one input, same element count, per-tensor quantization. */
static mcu_status_t table_op(const mcu_program_t *p, const mcu_layer_t *l, float *sx, int32_t *zx, float *sy,
                             int32_t *zy, mcu_k_count_params_t *prm) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  if ((s = mcu_prep_per_tensor(l, x, "input", sx, zx)) || (s = mcu_prep_per_tensor(l, y, "output", sy, zy)))
    return s;
  const int64_t n = mcu_tensor_elements(x);
  if (n != mcu_tensor_elements(y) || n > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): input and output sizes differ", l->name, mcu_op_name(l->op));
  prm->count = (int32_t)n;
  return NULL;
}

mcu_status_t mcu_prepare_logistic_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float sx, sy;
  int32_t zx, zy;
  mcu_k_count_params_t prm;
  mcu_status_t s = table_op(p, l, &sx, &zx, &sy, &zy, &prm);
  if (s) return s;
  if (zy != -128)
    return mcu_status_errorf("layer '%s' (logistic): an int8 output must have zero point -128 (TF Lite Micro's "
                             "requirement), got %d", l->name, (int)zy);
  void *table;
  if ((s = mcu_prep_new_aux(l, call, 256, &table))) return s;
  if ((s = mcu_misc_logistic_table(sx, zx, (int8_t *)table)))
    return mcu_status_annotatef(s, "layer '%s' (logistic): ", l->name);
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}

mcu_status_t mcu_prepare_hard_swish_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float sx, sy;
  int32_t zx, zy;
  mcu_k_count_params_t prm;
  mcu_status_t s = table_op(p, l, &sx, &zx, &sy, &zy, &prm);
  if (s) return s;
  void *table;
  if ((s = mcu_prep_new_aux(l, call, 256, &table))) return s;
  if ((s = mcu_misc_hard_swish_table(sx, zx, sy, zy, (int8_t *)table)))
    return mcu_status_annotatef(s, "layer '%s' (hard_swish): ", l->name);
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}

/* float32 LOGISTIC / HARD_SWISH: only the element count. */
mcu_status_t mcu_prepare_elementwise_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const int64_t n = mcu_tensor_elements(&p->tensors[l->inputs[0]]);
  if (n != mcu_tensor_elements(&p->tensors[l->output]) || n > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): input and output sizes differ", l->name, mcu_op_name(l->op));
  mcu_k_count_params_t prm = {(int32_t)n};
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}
