/* k_requantize.c: TF Lite Micro-exact int -> int requantization (QUANTIZE int8/uint8 paths, quantized RELU). */
#include <stdint.h>

#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* Reproduces reference_ops::Requantize (TF Lite Micro QUANTIZE with an int8/uint8 input) and ReluQuantized (RELU on
 * int8), which share one formula:
 *   y = clamp(output_zero_point + MultiplyByQuantizedMultiplier(x - input_zero_point, multiplier, shift),
 *             act_min, act_max)
 * with multiplier/shift = QuantizeMultiplier((double)s_in / (double)s_out) (double rounding). Requantize clamps to the
 * output type's range (act_min/act_max = that range); RELU to [max(type_min, zy), type_max]. Requantize's int8 <->
 * uint8 fast path (x ^ 0x80 when the scales are equal and the zero points differ by 128) gives the same bytes as
 * the formula, so it needs no special case. Params: mcu_k_requant_params_t; in0: count elements of in_type (I8/U8),
 * out: count elements of out_type (I8/U8). */
void mcu_k_requantize(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_requant_params_t *p = (const mcu_k_requant_params_t *)params;
  for (int32_t i = 0; i < p->count; ++i) {
    const int32_t x = mcu_km_q8(in0, i, p->in_type) - p->input_zero_point;
    const int32_t v = p->output_zero_point + mcu_fx_mbqm(x, p->multiplier, p->shift);
    mcu_km_set_q8(out, i, mcu_fx_clamp(v, p->act_min, p->act_max));
  }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}
