/* k_pad.c: constant padding (TF Lite Micro PAD / PADV2), any element size. */
#include <stdint.h>
#include <string.h>

#include "k_tflite.h"

/* Exact data movement, as reference_ops::Pad: output element (i0..i5) is input element (i - before) when that lies
 * inside the input, otherwise the padding value (TF Lite Micro uses the constant_values operand, or the output zero
 * point for quantized tensors without one: the program states it). Params: mcu_k_pad_params_t (shapes padded on the
 * left with 1, before >= 0, out = before + in + after); in0: input, out: output; elem_size bytes per element
 * (1, 2 or 4); `value` holds the padding element's bytes, little-endian. Visits the output in row-major order. */
void mcu_k_pad(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
               const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_pad_params_t *p = (const mcu_k_pad_params_t *)params;
  const uint8_t *x = (const uint8_t *)in0;
  uint8_t *y = (uint8_t *)out;
  const size_t es = (size_t)p->elem_size;
  uint8_t value[4];
  const uint32_t v = (uint32_t)p->value;
  for (int k = 0; k < 4; ++k) value[k] = (uint8_t)(v >> (8 * k));
  int32_t idx[MCU_K_RANK] = {0, 0, 0, 0, 0, 0};
  int32_t total = 1;
  for (int d = 0; d < MCU_K_RANK; ++d) total *= p->out_shape[d];
  for (int32_t i = 0; i < total; ++i) {
    int32_t inside = 1, src = 0;
    for (int d = 0; d < MCU_K_RANK; ++d) {
      const int32_t s = idx[d] - p->before[d];
      if (s < 0 || s >= p->in_shape[d]) inside = 0;
      src = src * p->in_shape[d] + s;
    }
    memcpy(y + (size_t)i * es, inside ? x + (size_t)src * es : value, es);
    for (int d = MCU_K_RANK - 1; d >= 0; --d) {
      if (++idx[d] < p->out_shape[d]) break;
      idx[d] = 0;
    }
  }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}
