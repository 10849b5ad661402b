/* k_logistic.c: float32 logistic as TF Lite's reference kernel (the int8 one is a table: k_lut.c). */
#include <math.h>
#include <stdint.h>

#include "k_misc.h"

/* mcu_k_logistic_f32: y = 1 for x > 16.619047164916992188, expf(x) for x < -9, else 1 / (1 + expf(-x)), float32
 * (TF Lite's cut-offs, where the float result saturates). Parameters: mcu_k_count_params_t; in0/out float [count].
 * Weakness: expf is each side's C library (last-bit differences possible); NaN propagates through the last branch. */
void mcu_k_logistic_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_count_params_t *p = (const mcu_k_count_params_t *)params;
  const float *x = (const float *)in0;
  float *y = (float *)out;
  for (int32_t i = 0; i < p->count; ++i) {
    const float v = x[i];
    if (v > 16.619047164916992188f) y[i] = 1.0f;
    else if (v < -9.0f) y[i] = expf(v);
    else y[i] = 1.0f / (1.0f + expf(-v));
  }
}
