/* quantize_fast_m7.c: firmware of quantize_fast.sh: the Cortex-M7 build of mcu_k_quantize_f32 against the formula. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_tflite.h"

/* TF Lite Micro's AffineQuantize with the conversion spelled out (no reliance on the compiler's cast): roundf, then
 * truncation saturating to int32 with NaN -> 0, the zero point added in 64 bits, the type's clamp. */
static int32_t expected(float x, float scale, int32_t zp, int u8) {
  const float r = roundf(x / scale);
  int64_t q;
  if (r != r) q = 0;
  else if (r >= 2147483648.0f) q = INT32_MAX;
  else if (r <= -2147483648.0f) q = INT32_MIN;
  else q = (int64_t)r;
  q += zp;
  const int64_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
  return (int32_t)(q < lo ? lo : q > hi ? hi : q);
}

static uint32_t seed = 12345u;
static uint32_t next(void) { return seed = seed * 1664525u + 1013904223u; }

int main(void) {
  enum { N = 4099 }; /* not a multiple of 4: the tail loop runs too */
  static float x[N];
  static uint8_t y[N];
  const float special[] = {0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 2147483648.0f,
                           -2147483648.0f, 2147483520.0f, -2147483520.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f};
  const float scales[] = {1.0f, 0.5f, 0.0078125f, 0.003921569f, 0.1f, 3.7e-5f};
  const int32_t zps[] = {0, -128, 127, 5, -1, 255, 0};
  int bad = 0, runs = 0;
  for (size_t si = 0; si < sizeof scales / sizeof scales[0]; ++si)
    for (size_t zi = 0; zi < sizeof zps / sizeof zps[0]; ++zi)
      for (int u8 = 0; u8 < 2; ++u8) {
        const float s = scales[si];
        for (int i = 0; i < N; ++i) {
          const uint32_t r = next();
          if (i < (int)(sizeof special / sizeof special[0])) x[i] = special[i];
          else if (i % 3 == 0) x[i] = s * ((float)(int32_t)(r % 1024u) - 512.0f) * 0.5f; /* exact ties */
          else if (i % 3 == 1) memcpy(&x[i], &r, 4);                                      /* any bit pattern */
          else x[i] = s * ((float)(int32_t)(r % 200001u) - 100000.0f) / 256.0f;
        }
        mcu_k_affine_params_t p = {N, u8 ? MCU_K_U8 : MCU_K_I8, zps[zi], s};
        mcu_k_quantize_f32(&p, NULL, NULL, x, NULL, NULL, y, NULL);
        for (int i = 0; i < N; ++i) {
          const int32_t e = expected(x[i], s, zps[zi], u8), g = u8 ? (int32_t)y[i] : (int32_t)(int8_t)y[i];
          uint32_t xb, sb;
          memcpy(&xb, &x[i], 4), memcpy(&sb, &s, 4);
          if (e != g && bad++ < 10)
            printf("mismatch: x bits 0x%08lx, scale bits 0x%08lx, zp %d, u8 %d: %d, expected %d\n", (unsigned long)xb,
                   (unsigned long)sb, (int)zps[zi], u8, (int)g, (int)e);
        }
        ++runs;
      }
  printf("%d runs of %d values, %d mismatches\n", runs, N, bad);
  return bad ? 1 : 0;
}
