/* k_pool.c: TF Lite Micro's reference average and max pooling, NHWC, int8 and float32. */
#include <stdint.h>

#include "k_misc.h"

/* The window of output (oy, ox) starts at input (oy * stride_h - pad_h, ox * stride_w - pad_w), spans kernel_h x
 * kernel_w and is clipped to the input: padded positions are excluded from the sum, the count and the max. */
static void window(const mcu_k_pool_params_t *p, int32_t oy, int32_t ox, int32_t *out_y0, int32_t *out_y1,
                   int32_t *out_x0, int32_t *out_x1) {
  const int32_t iy = oy * p->stride_h - p->pad_h, ix = ox * p->stride_w - p->pad_w;
  const int32_t y_end = p->in_h - iy < p->kernel_h ? p->in_h - iy : p->kernel_h;
  const int32_t x_end = p->in_w - ix < p->kernel_w ? p->in_w - ix : p->kernel_w;
  *out_y0 = iy + (iy < 0 ? -iy : 0);
  *out_y1 = iy + y_end;
  *out_x0 = ix + (ix < 0 ? -ix : 0);
  *out_x1 = ix + x_end;
  if (*out_y1 < *out_y0) *out_y1 = *out_y0; /* empty window: no iterations, size 0 */
  if (*out_x1 < *out_x0) *out_x1 = *out_x0;
}

/* mcu_k_avg_pool_s8: acc = sum of the clipped window (int32), n = its size (the prepare guarantees n >= 1);
 * y = acc > 0 ? (acc + n/2) / n : (acc - n/2) / n with C's truncating division (round half away from zero), then
 * clamp to [act_min, act_max]. Input and output share a scale and zero point (TF Lite does not requantize).
 * Parameters: mcu_k_pool_params_t; in0 int8 [batches, in_h, in_w, channels], out int8 [batches, out_h, out_w,
 * channels]. Weakness: one pass per channel over the window (strided loads); fine for the sizes of MCU models. */
void mcu_k_avg_pool_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_pool_params_t *p = (const mcu_k_pool_params_t *)params;
  const int8_t *x = (const int8_t *)in0;
  int8_t *y = (int8_t *)out;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t oy = 0; oy < p->out_h; ++oy)
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        int32_t y0, y1, x0, x1;
        window(p, oy, ox, &y0, &y1, &x0, &x1);
        const int32_t n = (y1 - y0) * (x1 - x0);
        for (int32_t c = 0; c < p->channels; ++c) {
          int32_t acc = 0;
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix) acc += x[((b * p->in_h + iy) * p->in_w + ix) * p->channels + c];
          if (n > 0) acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
          acc = acc < p->act_min ? p->act_min : acc;
          acc = acc > p->act_max ? p->act_max : acc;
          *y++ = (int8_t)acc;
        }
      }
}

/* mcu_k_max_pool_s8: y = clamp(max over the clipped window (-128 when empty), act_min, act_max). Parameters and
 * layout as mcu_k_avg_pool_s8. */
void mcu_k_max_pool_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_pool_params_t *p = (const mcu_k_pool_params_t *)params;
  const int8_t *x = (const int8_t *)in0;
  int8_t *y = (int8_t *)out;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t oy = 0; oy < p->out_h; ++oy)
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        int32_t y0, y1, x0, x1;
        window(p, oy, ox, &y0, &y1, &x0, &x1);
        for (int32_t c = 0; c < p->channels; ++c) {
          int32_t m = -128;
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix) {
              const int32_t v = x[((b * p->in_h + iy) * p->in_w + ix) * p->channels + c];
              m = v > m ? v : m;
            }
          m = m < p->act_min ? p->act_min : m;
          m = m > p->act_max ? p->act_max : m;
          *y++ = (int8_t)m;
        }
      }
}

/* Clamp as TF Lite's ActivationFunctionWithMinMax: min(max(v, lo), hi) with std::max/std::min's comparisons. */
static float fclamp(float v, float lo, float hi) {
  const float a = v < lo ? lo : v;
  return hi < a ? hi : a;
}

/* mcu_k_avg_pool_f32: total = float32 sum of the clipped window in row-major order, y = clamp(total / n) with
 * n the window size as a float. Layout as mcu_k_avg_pool_s8 with float elements. */
void mcu_k_avg_pool_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_pool_params_t *p = (const mcu_k_pool_params_t *)params;
  const float *x = (const float *)in0;
  float *y = (float *)out;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t oy = 0; oy < p->out_h; ++oy)
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        int32_t y0, y1, x0, x1;
        window(p, oy, ox, &y0, &y1, &x0, &x1);
        const float n = (float)((y1 - y0) * (x1 - x0));
        for (int32_t c = 0; c < p->channels; ++c) {
          float total = 0.0f;
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix) total += x[((b * p->in_h + iy) * p->in_w + ix) * p->channels + c];
          *y++ = fclamp(total / n, p->fact_min, p->fact_max);
        }
      }
}

/* mcu_k_max_pool_f32: y = clamp(max over the clipped window, starting from the lowest float; a NaN input is kept
 * only if it comes first, as std::max does). Layout as mcu_k_avg_pool_s8 with float elements. */
void mcu_k_max_pool_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_pool_params_t *p = (const mcu_k_pool_params_t *)params;
  const float *x = (const float *)in0;
  float *y = (float *)out;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t oy = 0; oy < p->out_h; ++oy)
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        int32_t y0, y1, x0, x1;
        window(p, oy, ox, &y0, &y1, &x0, &x1);
        for (int32_t c = 0; c < p->channels; ++c) {
          float m = -3.40282347e+38f;
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix) {
              const float v = x[((b * p->in_h + iy) * p->in_w + ix) * p->channels + c];
              m = m < v ? v : m;
            }
          *y++ = fclamp(m, p->fact_min, p->fact_max);
        }
      }
}
