/* requant.c: the scalar numerics of ONNX quantized ops: multiplier, requantize, round, quantize, dequantize. */
#include <string.h>

#include "ref.h"

/* Every float32 step below is stored into a float variable before the next one: C rounds on assignment even
 * when FLT_EVAL_METHOD != 0, so the results are those of float32 arithmetic on any host. The project compiles
 * with -ffp-contract=off, so no multiply-add is fused. */

/* mcu_ref_requant_scale: M = (float)s_in * (float)s_w / (float)s_out, float32, left to right, as ONNX Runtime
 * computes it (docs/ir.md step 2). s_* are the model's float32 scales held in doubles (so the casts are exact
 * for them). Zero or non-finite scales give inf/NaN, which mcu_ref_requantize then clamps. */
float mcu_ref_requant_scale(double s_in, double s_w, double s_out) {
  float a = (float)s_in;
  float b = (float)s_w;
  float c = (float)s_out;
  float ab = a * b;
  float m = ab / c;
  return m;
}

/* Round half to even of a float32 v with |v| < 2^31.
 * Algorithm: for |v| < 2^22, v + 1.5 * 2^23 lies in (2^23, 2^24) where the float32 spacing is exactly 1, so the
 * float addition itself rounds v to the nearest integer, ties to even (IEEE default rounding), and the integer is
 * the low mantissa bits: bits(v + 12582912.0f) - 0x4B400000 (the same trick generated code uses). For larger |v|
 * a float32 has at most one fractional bit (0.5), so truncation plus a tie test is exact.
 * Weakness: relies on the IEEE round-to-nearest-even mode being in effect (the C default). NaN/inf or |v| >= 2^31
 * are the caller's error (callers clamp first); they give an unspecified value, never undefined behaviour. */
int64_t mcu_ref_round_half_even(float v) {
  if (v > -4194304.0f && v < 4194304.0f) {
    float t = v + 12582912.0f;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    return (int64_t)bits - 0x4B400000;
  }
  if (!(v > -2147483648.0f && v < 2147483648.0f)) return v > 0 ? INT32_MAX : INT32_MIN; /* incl. NaN */
  int64_t t = (int64_t)v; /* toward zero, exact */
  float frac = v - (float)t; /* exact: 0, +-0.5 */
  if (frac == 0.5f && t % 2 != 0) ++t;
  if (frac == -0.5f && t % 2 != 0) --t;
  return t;
}

/* Clamps v to [lo, hi] as minnum(maxnum(v, lo), hi): a NaN becomes lo. Returns the rounded value plus zp,
 * clamped again to [qmin, qmax] in integers (a no-op unless lo/hi were not exact float32 values, which happens
 * only for ranges wider than 2^24, e.g. i32 outputs). */
static int32_t clamp_round_add(float v, int32_t zp, int32_t qmin, int32_t qmax) {
  float lo = (float)((int64_t)qmin - zp);
  float hi = (float)((int64_t)qmax - zp);
  if (!(v >= lo)) v = lo; /* maxnum(v, lo), NaN -> lo */
  if (v > hi) v = hi;     /* minnum(v, hi) */
  int64_t r = mcu_ref_round_half_even(v) + zp;
  if (r < qmin) r = qmin;
  if (r > qmax) r = qmax;
  return (int32_t)r;
}

/* mcu_ref_requantize: docs/ir.md steps 3-5. acc: any int32 accumulator; m: the multiplier from
 * mcu_ref_requant_scale; zp: output zero point; [act_min, act_max]: the stored-value range (type range
 * intersected with any fused activation), act_min <= act_max. v = (float)acc * m rounds acc to float32 nearest
 * even first. */
int32_t mcu_ref_requantize(int32_t acc, float m, int32_t zp, int32_t act_min, int32_t act_max) {
  float a = (float)acc;
  float v = a * m;
  return clamp_round_add(v, zp, act_min, act_max);
}

/* mcu_ref_quantize_value: ONNX QuantizeLinear: v = x / s in float32 (s the float32 scale; s == 0 gives +-inf or
 * NaN, which clamp to a bound), then steps 4-5 with [qmin, qmax] (the storage type's range) and zp. */
int32_t mcu_ref_quantize_value(float x, float s, int32_t zp, int32_t qmin, int32_t qmax) {
  float v = x / s;
  return clamp_round_add(v, zp, qmin, qmax);
}

/* mcu_ref_dequantize_value: ONNX DequantizeLinear: (float)(q - zp) * s; q - zp is exact in int64 and converts
 * to float32 with round to nearest even (exact for 8-bit storage). */
float mcu_ref_dequantize_value(int32_t q, float s, int32_t zp) {
  float d = (float)((int64_t)q - zp);
  float y = d * s;
  return y;
}
