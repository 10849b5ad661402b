/* k_fully_connected.c: TF Lite Micro-exact fully connected layer, int8 (per tensor or per channel) and float32. */
#include <stddef.h>
#include <stdint.h>

#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* mcu_k_fc_s8 reproduces reference_integer_ops::FullyConnected (per tensor) and FullyConnectedPerChannel: for each
 * row b and unit u,
 *   acc = sum_d (w[u, d] + weights_offset) * (x[b, d] + input_offset)  (int32; weights_offset = -zw, 0 for int8)
 *   acc += bias[u] (if any); acc = MultiplyByQuantizedMultiplier(acc, mult[u], shift[u]) (double rounding);
 *   acc += output_offset; clamp to [act_min, act_max].
 * Params: mcu_k_fc_params_t. aux0/aux1: int32 mult[units], shift[units] (per tensor: one pair repeated). in0: int8
 * [batches, depth], in1: int8 [units, depth], in2: int32 bias [units] or NULL, out: int8 [batches, units].
 * Weakness: int32 wrap on accumulator overflow, as on the target.
 *
 * mcu_k_fc_f32 reproduces reference_ops::FullyConnected for float: total = 0.0f; total += x[b, d] * w[u, d] for d
 * in order; ActivationFunctionWithMinMax(total + bias[u], fmin, fmax) (bias 0.0f when absent). */

void mcu_k_fc_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                 const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_fc_params_t *p = (const mcu_k_fc_params_t *)params;
  const int8_t *x = (const int8_t *)in0;
  const int8_t *w = (const int8_t *)in1;
  int8_t *y = (int8_t *)out;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t u = 0; u < p->units; ++u) {
      const int8_t *xr = x + (size_t)b * p->depth;
      const int8_t *wr = w + (size_t)u * p->depth;
      int32_t acc = 0;
      for (int32_t d = 0; d < p->depth; ++d)
        acc += ((int32_t)wr[d] + p->weights_offset) * ((int32_t)xr[d] + p->input_offset);
      if (in2) acc += mcu_km_i32(in2, u);
      acc = mcu_fx_mbqm(acc, mcu_km_i32(aux0, u), mcu_km_i32(aux1, u));
      acc += p->output_offset;
      y[(size_t)b * p->units + u] = (int8_t)mcu_fx_clamp(acc, p->act_min, p->act_max);
    }
}

void mcu_k_fc_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_fc_params_t *p = (const mcu_k_fc_params_t *)params;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t u = 0; u < p->units; ++u) {
      float total = 0.0f;
      for (int32_t d = 0; d < p->depth; ++d)
        total += mcu_km_f32(in0, b * p->depth + d) * mcu_km_f32(in1, u * p->depth + d);
      const float bias = in2 ? mcu_km_f32(in2, u) : 0.0f;
      mcu_km_set_f32(out, b * p->units + u, mcu_fx_fclamp(total + bias, p->fact_min, p->fact_max));
    }
  (void)aux0;
  (void)aux1;
}
