/* k_mul_s8.c: TF Lite Micro-exact int8 MUL with broadcasting. */
#include <stdint.h>

#include "k_bcast.h"
#include "k_fixedpoint.h"
#include "k_tflite.h"

/* Reproduces reference_integer_ops::Mul / BroadcastMul4DSlow:
 *   y = output_offset + MultiplyByQuantizedMultiplier((a + input1_offset) * (b + input2_offset), m, s),
 *   clamped to [act_min, act_max];
 * (m, s) = QuantizeMultiplier((double)s1 * (double)s2 / (double)so) (double rounding). The product of two offset
 * int8 values fits int32. Params: mcu_k_mul_params_t; in0, in1: int8, out: int8 of the broadcast shape. */
void mcu_k_mul_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_mul_params_t *p = (const mcu_k_mul_params_t *)params;
  const int8_t *a = (const int8_t *)in0, *b = (const int8_t *)in1;
  int8_t *y = (int8_t *)out;
  mcu_kb_it_t it;
  mcu_kb_start(&it);
  const int32_t n = mcu_kb_count(&p->bc);
  for (int32_t i = 0; i < n; ++i, mcu_kb_next(&p->bc, &it)) {
    const int32_t prod = ((int32_t)a[it.a] + p->input1_offset) * ((int32_t)b[it.b] + p->input2_offset);
    const int32_t v = p->output_offset + mcu_fx_mbqm(prod, p->output_multiplier, p->output_shift);
    y[i] = (int8_t)mcu_fx_clamp(v, p->act_min, p->act_max);
  }
  (void)aux0;
  (void)aux1;
  (void)in2;
}
