/* k_add_s8.c: TF Lite Micro-exact int8 ADD and SUB (table-driven, with a flat fast path and broadcasting). */
#include <stdint.h>

#include "k_bcast.h"
#include "k_dsp.h"
#include "k_fixedpoint.h"
#include "k_tflite.h"

/* Reproduces reference_integer_ops::Add / BroadcastAdd (and Sub / BroadcastSub, identical but for the sign):
 *   a' = (a + input1_offset) * 2^left_shift;  b' = (b + input2_offset) * 2^left_shift    (left_shift = 20)
 *   a'' = MultiplyByQuantizedMultiplierSmallerThanOneExp(a', m1, s1);  b'' likewise with (m2, s2)
 *   y = MultiplyByQuantizedMultiplierSmallerThanOneExp(a'' +/- b'', mo, so) + output_offset, clamped to
 *   [act_min, act_max].
 * The multipliers come from QuantizeMultiplierSmallerThanOneExp of s1 / (2 max(s1, s2)), s2 / (2 max(s1, s2)) and
 * 2 max(s1, s2) / (2^20 so), in double (prepare_tflite_eltwise.c).
 *
 * Why tables: a'' depends on one int8 value only, so the compiler tabulates it (prepare_tflite_eltwise.c): aux0[u] =
 * 2 a'' of (int8_t)u, aux1[u] = +/- 2 b'' (SUB's sign folded in: a'' - b'' = a'' + (-b'')). |a''|, |b''| <=
 * 255 * 2^20 / 2 < 2^27, so the doubled values and their sum t = 2 raw (raw = a'' +/- b'') fit int32 easily.
 * An element is then two byte loads, two table loads, an add and one requantization.
 * The output requantization rdbypot(srdhm(raw, mo), R), R = -so, equals (k_gemm_s8.h's MCU_GEMM_RQ_FAST proof)
 *   floor((raw mo + 2^30 + 2^(30+R) - s 2^31) / 2^(31+R)),  s = [raw < 0]   (any R >= 1, mo > 0).
 * Doubling numerator and denominator: floor((t mo + 2^31 + (2^(R-1) - s) 2^32) / 2^(32+R)); the inner
 * floor((t mo + 2^31) / 2^32) + 2^(R-1) - s is exactly SMMLAR t, mo, acc (ARM: the high word of acc 2^32 + t mo
 * rounded by + 2^31), and floor(floor(x) / 2^R) = floor(x / 2^R). The output offset joins the accumulator
 * (zy 2^R): v = (SMMLAR(t, mo, rq_acc - s)) >> R, then the clamp (SSAT). rq_fast needs mo > 0 and 1 <= R <= 22
 * (then |rq_acc| <= 2^21 + 128 2^22 and |t mo / 2^32| < 2^28: no overflow); else the kernel runs the generic
 * helpers (mcu_fx_mbqm_smaller_than_one_exp on raw = t / 2, exact since t is even).
 * Known weakness: the broadcast walk is the generic 6-D iterator (about 3x the flat cost per element); the two
 * 1 KiB tables are constants per layer (flash, not SRAM).
 * Params: mcu_k_addsub_params_t; aux0, aux1: int32[256] tables (see above); in0, in1: int8 inputs, out: int8
 * output of the broadcast shape. In place (flat only): element i is read before it is written and never again. */

#define ADD_INLINE static inline __attribute__((always_inline))

/* The output of t = 2 (a'' +/- b''). */
ADD_INLINE int32_t add_requant(int32_t t, const mcu_k_addsub_params_t *p) {
  int32_t v;
  if (p->rq_fast) {
    v = mcu_fx_asr32(mcu_dsp_smmlar(t, p->output_multiplier, p->rq_acc + mcu_fx_asr32(t, 31)), p->rq_shift);
  } else {
    v = mcu_fx_add_wrap(
        mcu_fx_mbqm_smaller_than_one_exp(mcu_fx_asr32(t, 1), p->output_multiplier, p->output_shift),
        p->output_offset);
  }
  return mcu_fx_clamp(v, p->act_min, p->act_max);
}

ADD_INLINE void addsub_s8(const mcu_k_addsub_params_t *p, const int32_t *ta, const int32_t *tb, const uint8_t *a,
                      const uint8_t *b, int8_t *y) {
  const int32_t n = mcu_kb_count(&p->bc);
  if (p->flat) {
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
      const uint32_t a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
      const uint32_t b0 = b[i], b1 = b[i + 1], b2 = b[i + 2], b3 = b[i + 3];
      y[i] = (int8_t)add_requant(ta[a0] + tb[b0], p);
      y[i + 1] = (int8_t)add_requant(ta[a1] + tb[b1], p);
      y[i + 2] = (int8_t)add_requant(ta[a2] + tb[b2], p);
      y[i + 3] = (int8_t)add_requant(ta[a3] + tb[b3], p);
    }
    for (; i < n; ++i) y[i] = (int8_t)add_requant(ta[a[i]] + tb[b[i]], p);
    return;
  }
  mcu_kb_it_t it;
  mcu_kb_start(&it);
  for (int32_t i = 0; i < n; ++i, mcu_kb_next(&p->bc, &it)) y[i] = (int8_t)add_requant(ta[a[it.a]] + tb[b[it.b]], p);
}

void mcu_k_add_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  (void)in2;
  addsub_s8((const mcu_k_addsub_params_t *)params, (const int32_t *)aux0, (const int32_t *)aux1,
            (const uint8_t *)in0, (const uint8_t *)in1, (int8_t *)out);
}

/* SUB differs from ADD only in its second table (negated at compile time). */
void mcu_k_sub_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  mcu_k_add_s8(params, aux0, aux1, in0, in1, in2, out, scratch);
}
