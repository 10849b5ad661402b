/* k_add_s8.c: TF Lite Micro-exact int8 ADD and SUB with broadcasting. */
#include <stdint.h>

#include "k_bcast.h"
#include "k_fixedpoint.h"
#include "k_tflite.h"

/* Reproduces reference_integer_ops::Add / BroadcastAdd (and Sub / BroadcastSub, identical but for the sign):
 *   a' = (a + input1_offset) * 2^left_shift;  b' = (b + input2_offset) * 2^left_shift    (left_shift = 20)
 *   a'' = MultiplyByQuantizedMultiplierSmallerThanOneExp(a', m1, s1);  b'' likewise with (m2, s2)
 *   y = MultiplyByQuantizedMultiplierSmallerThanOneExp(a'' +/- b'', mo, so) + output_offset, clamped to
 *   [act_min, act_max].
 * The multipliers come from QuantizeMultiplierSmallerThanOneExp of s1 / (2 max(s1, s2)), s2 / (2 max(s1, s2)) and
 * 2 max(s1, s2) / (2^20 so), in double (prepare_tflite_eltwise.c). int8 inputs keep every intermediate inside
 * int32 (|a + offset| <= 255, times 2^20). Params: mcu_k_addsub_params_t; in0, in1: int8 inputs, out: int8 output
 * of the broadcast shape. */
static void addsub_s8(const mcu_k_addsub_params_t *p, const int8_t *a, const int8_t *b, int8_t *y, int32_t sign) {
  mcu_kb_it_t it;
  mcu_kb_start(&it);
  const int32_t n = mcu_kb_count(&p->bc);
  for (int32_t i = 0; i < n; ++i, mcu_kb_next(&p->bc, &it)) {
    const int32_t av = mcu_fx_shl_wrap((int32_t)a[it.a] + p->input1_offset, p->left_shift);
    const int32_t bv = mcu_fx_shl_wrap((int32_t)b[it.b] + p->input2_offset, p->left_shift);
    const int32_t as = mcu_fx_mbqm_smaller_than_one_exp(av, p->input1_multiplier, p->input1_shift);
    const int32_t bs = mcu_fx_mbqm_smaller_than_one_exp(bv, p->input2_multiplier, p->input2_shift);
    const int32_t raw = sign > 0 ? as + bs : as - bs;
    const int32_t v = mcu_fx_mbqm_smaller_than_one_exp(raw, p->output_multiplier, p->output_shift) + p->output_offset;
    y[i] = (int8_t)mcu_fx_clamp(v, p->act_min, p->act_max);
  }
}

void mcu_k_add_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  addsub_s8((const mcu_k_addsub_params_t *)params, (const int8_t *)in0, (const int8_t *)in1, (int8_t *)out, 1);
  (void)aux0;
  (void)aux1;
  (void)in2;
}

void mcu_k_sub_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  addsub_s8((const mcu_k_addsub_params_t *)params, (const int8_t *)in0, (const int8_t *)in1, (int8_t *)out, -1);
  (void)aux0;
  (void)aux1;
  (void)in2;
}
