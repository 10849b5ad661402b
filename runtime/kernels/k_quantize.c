/* k_quantize.c: TF Lite Micro-exact QUANTIZE float32 -> int8/uint8 and DEQUANTIZE int8/uint8 -> float32. */
#include <math.h>
#include <stdint.h>
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* mcu_k_quantize_f32 reproduces reference_ops::AffineQuantize: q = (int32)TfLiteRound(x / scale) + zero_point,
 * clamped to the type's range; the division is float32 (TF Lite Micro stores the scale as a double and casts it
 * back to float, which gives the model's float32 scale), TfLiteRound is roundf (half away from zero), and the
 * float -> int32 conversion saturates (NaN -> 0) as the Cortex-M's VCVT does (C++ leaves it undefined). The zero
 * point is added in 64 bits, so a saturated value stays at the range end (on the target the int32 add could wrap:
 * only for |x / scale| >= 2^31).
 *
 * mcu_k_dequantize_f32 reproduces reference_ops::Dequantize: y = (float)((double)scale * (double)(q - zero_point)),
 * computed in double (the op's scale is a double holding the float32 scale) and rounded once to float32.
 * Params: mcu_k_affine_params_t; q_type is MCU_K_I8 or MCU_K_U8.
 *
 * Fast form (Cortex-M with a double-precision FPv5, __ARM_FP & 8, which has VCVTA): VDIV, then one VCVTA (round to
 * nearest, ties away from zero, to int32, saturating, NaN -> 0: exactly roundf then the saturating conversion),
 * then QADD of the zero point (saturating at int32, so a saturated value keeps its end, as the 64-bit add does)
 * and SSAT/USAT #8. Known weakness: the division stays a division (x * (1 / scale) rounds differently), which is
 * one instruction but 14 cycles on the M7. */
#if defined(__ARM_FP) && (__ARM_FP & 8) && defined(__ARM_FEATURE_DSP)
#define QUANT_FAST 1
static inline __attribute__((always_inline)) int32_t quant_round_sat(float f) {
  int32_t q;
  float t;
  __asm__("vcvta.s32.f32 %1, %2\n\tvmov %0, %1" : "=r"(q), "=t"(t) : "t"(f));
  return q;
}

/* One element's stored byte; zp == 0 (a compile-time constant after inlining) drops the QADD. */
static inline __attribute__((always_inline)) uint8_t quant_store(float x, float scale, int32_t zp, int32_t u8) {
  int32_t q = quant_round_sat(x / scale);
  if (zp) q = __qadd(q, zp);
  return u8 ? (uint8_t)__usat(q, 8) : (uint8_t)__ssat(q, 8);
}
#else
#define QUANT_FAST 0
#endif

void mcu_k_quantize_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_affine_params_t *p = (const mcu_k_affine_params_t *)params;
#if QUANT_FAST
  const float scale = p->scale;
  const int32_t zp = p->zero_point, n = p->count, u8 = p->q_type == MCU_K_U8;
  uint8_t *y = (uint8_t *)out;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) /* four per iteration: the loop's own instructions amortised */
    for (int32_t j = 0; j < 4; ++j) y[i + j] = quant_store(mcu_km_f32(in0, i + j), scale, zp, u8);
  for (; i < n; ++i) y[i] = quant_store(mcu_km_f32(in0, i), scale, zp, u8);
#else
  const int32_t lo = p->q_type == MCU_K_U8 ? 0 : -128, hi = p->q_type == MCU_K_U8 ? 255 : 127;
  for (int32_t i = 0; i < p->count; ++i) {
    const int64_t v = (int64_t)mcu_fx_f2i_sat(roundf(mcu_km_f32(in0, i) / p->scale)) + p->zero_point;
    mcu_km_set_q8(out, i, v < lo ? lo : v > hi ? hi : (int32_t)v);
  }
#endif
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}

void mcu_k_dequantize_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                          const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_affine_params_t *p = (const mcu_k_affine_params_t *)params;
  const double scale = (double)p->scale;
  for (int32_t i = 0; i < p->count; ++i)
    mcu_km_set_f32(out, i, (float)(scale * (double)(mcu_km_q8(in0, i, p->q_type) - p->zero_point)));
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}
