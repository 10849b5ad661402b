/* k_hard_swish.c: float32 hard swish as TF Lite's reference kernel (the int8 one is a table: k_lut.c). */
#include <stdint.h>

#include "k_misc.h"

/* mcu_k_hard_swish_f32: y = x * min(6, max(0, x + 3)) / 6 in float32, evaluated left to right (multiply, then
 * divide; no fused multiply-add). max/min keep the left operand unless the comparison says otherwise, as
 * std::max/std::min do. Parameters: mcu_k_count_params_t; in0/out float [count] (may alias). */
void mcu_k_hard_swish_f32(const void *params, const void *aux0, const void *aux1, const void *in0,
                          const void *in1, const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_count_params_t *p = (const mcu_k_count_params_t *)params;
  const float *x = (const float *)in0;
  float *y = (float *)out;
  for (int32_t i = 0; i < p->count; ++i) {
    const float v = x[i];
    const float shifted = v + 3.0f;
    const float relu = 0.0f < shifted ? shifted : 0.0f; /* std::max(0, v + 3) */
    const float relu6 = relu < 6.0f ? relu : 6.0f;      /* std::min(6, relu) */
    y[i] = v * relu6 / 6.0f;
  }
}
