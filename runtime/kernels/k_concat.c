/* k_concat.c: concatenation of two tensors along one axis (TF Lite Micro CONCATENATION), any element type. */
#include <stdint.h>
#include <string.h>

#include "k_tflite.h"

/* Exact data movement. TF Lite Micro's CONCATENATION copies stored values for every type, int8 included: it
 * records the input scales and zero points but its Eval (EvalUnquantized) never requantizes, so inputs whose
 * quantization differs from the output's are copied unchanged, and so are they here. For each of `outer` steps
 * (product of the dimensions before the axis) it copies a_bytes of in0 then b_bytes of in1. Params:
 * mcu_k_concat_params_t. */
void mcu_k_concat(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_concat_params_t *p = (const mcu_k_concat_params_t *)params;
  const uint8_t *a = (const uint8_t *)in0, *b = (const uint8_t *)in1;
  uint8_t *y = (uint8_t *)out;
  for (int32_t o = 0; o < p->outer; ++o) {
    memcpy(y, a + (size_t)o * p->a_bytes, (size_t)p->a_bytes);
    y += p->a_bytes;
    memcpy(y, b + (size_t)o * p->b_bytes, (size_t)p->b_bytes);
    y += p->b_bytes;
  }
  (void)aux0;
  (void)aux1;
  (void)in2;
}
