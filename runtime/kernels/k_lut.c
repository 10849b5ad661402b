/* k_lut.c: int8 -> int8 elementwise function by a 256-entry table (int8 LOGISTIC and HARD_SWISH). */
#include <stdint.h>

#include "k_misc.h"

/* mcu_k_lut_s8: out[i] = aux0[(uint8_t)in0[i]] for i < count. Why: an int8 input has 256 values, so the prepare
 * evaluates TF Lite Micro's exact integer algorithm for each of them at compile time (prepare_misc_act.c) and the
 * device only looks the result up: exact by construction and one load per element.
 * Parameters: mcu_k_count_params_t; in0/out int8 [count] (may alias); aux0 int8[256] indexed by the input's two's
 * complement byte. No rounding here (it is all in the table). */
void mcu_k_lut_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_count_params_t *p = (const mcu_k_count_params_t *)params;
  const int8_t *table = (const int8_t *)aux0;
  const uint8_t *x = (const uint8_t *)in0;
  int8_t *y = (int8_t *)out;
  for (int32_t i = 0; i < p->count; ++i) y[i] = table[x[i]];
}
