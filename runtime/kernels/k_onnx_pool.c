/* k_onnx_pool.c: QLinearAveragePool, QLinearGlobalAveragePool and QLinearConcat as ONNX Runtime computes them. */
#include <stdint.h>
#include <string.h>

#include "k_onnx.h"

/* mcu_k_qlavgpool_q8 reproduces ONNX Runtime's QLinearAveragePool (contrib_ops/cpu/quantization/qlinear_pool.cc,
 * 2-D, count_include_pad = 0, channels last or not: the per-element arithmetic is the same):
 *   xf = scale_x * (float)(x - zero_x)                         dequantize every input element (float32)
 *   window of output (oy, ox): rows [max(0, oy*stride_h - pad_h), min(that + kernel_h, in_h)), columns likewise
 *   sum = 0.0f; sum += xf over the window, rows then columns    (float32, in this order)
 *   avg = sum / (float)count                                    count = clipped window size (padding excluded)
 *   y = clamp((int32)nearbyintf(avg / scale_y + zero_y), type range)   (round half to even)
 * The prepare rejects windows with count 0, and layers whose window is the whole image without padding (ONNX
 * Runtime sends those to QLinearGlobalAveragePool: mcu_k_qlgavgpool_q8). Params: mcu_ko_qlavgpool_params_t; in0:
 * 8-bit NHWC input, out: 8-bit NHWC output. Weakness: the float sum's order matters and is ONNX Runtime's; inputs
 * are re-dequantized per window (cheap next to the division). */
void mcu_k_qlavgpool_q8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_qlavgpool_params_t *p = (const mcu_ko_qlavgpool_params_t *)params;
  uint8_t *y = (uint8_t *)out;
  for (int32_t b = 0; b < p->batches; ++b)
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      int32_t y0 = oy * p->stride_h - p->pad_h;
      int32_t y1 = y0 + p->kernel_h < p->in_h ? y0 + p->kernel_h : p->in_h;
      y0 = y0 > 0 ? y0 : 0;
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        int32_t x0 = ox * p->stride_w - p->pad_w;
        int32_t x1 = x0 + p->kernel_w < p->in_w ? x0 + p->kernel_w : p->in_w;
        x0 = x0 > 0 ? x0 : 0;
        const int32_t count = (y1 - y0) * (x1 - x0);
        for (int32_t c = 0; c < p->channels; ++c) {
          float sum = 0.0f;
          for (int32_t iy = y0; iy < y1; ++iy)
            for (int32_t ix = x0; ix < x1; ++ix) {
              const int32_t q = mcu_ko_load_q8(in0, ((b * p->in_h + iy) * p->in_w + ix) * p->channels + c, p->type);
              sum += p->scale_x * (float)(q - p->zero_x);
            }
          const float avg = sum / (float)count;
          const float v = avg / p->scale_y + p->zero_y;
          /* nearbyintf then a clamp in int32: the saturating conversion gives the same stored value */
          const int32_t q = mcu_ko_cvt_pack_q8(v, p->type);
          y[((b * p->out_h + oy) * p->out_w + ox) * p->channels + c] = (uint8_t)(uint32_t)q;
        }
      }
    }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}

/* mcu_k_qlgavgpool_q8 reproduces MLAS's x86 QLinearGlobalAveragePool (MlasQLinearGlobalAveragePool /
 * MlasNhwcQLinearGlobalAveragePool with MlasRequantizeOutput), for any set of reduced axes:
 *   acc = bias + sum of the stored values over the reduced elements    (int32, exact: count < 2^24)
 *   v = (float)acc * scale                                              (float32; scale = s_x / (s_y * count))
 *   v = min(max(v, lo), hi)                                             lo/hi = type min/max - z_y as floats
 *   y = CVTPS2DQ(v) + z_y                                               round half to even
 * Params: mcu_ko_qlgavg_params_t; in0: 8-bit input, out: 8-bit output (kept dimensions, row-major). */
void mcu_k_qlgavgpool_q8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                         const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_qlgavg_params_t *p = (const mcu_ko_qlgavg_params_t *)params;
  int32_t kept_total = 1;
  for (int d = 0; d < p->n_kept; ++d) kept_total *= p->kept_size[d];
  int32_t kidx[MCU_KO_RANK] = {0, 0, 0, 0, 0, 0};
  uint8_t *y = (uint8_t *)out;
  for (int32_t o = 0; o < kept_total; ++o) {
    int32_t base = 0;
    for (int d = 0; d < p->n_kept; ++d) base += kidx[d] * p->kept_stride[d];
    int32_t ridx[MCU_KO_RANK] = {0, 0, 0, 0, 0, 0};
    int32_t acc = p->bias;
    for (int32_t r = 0; r < p->count; ++r) {
      int32_t off = base;
      for (int d = 0; d < p->n_red; ++d) off += ridx[d] * p->red_stride[d];
      acc += mcu_ko_load_q8(in0, off, p->type);
      for (int d = p->n_red - 1; d >= 0; --d) {
        if (++ridx[d] < p->red_size[d]) break;
        ridx[d] = 0;
      }
    }
    float v = (float)acc * p->scale;
    v = v > p->lo ? v : p->lo; /* MAXPS(v, lo): lo when not greater */
    v = v < p->hi ? v : p->hi;
    const float r = (v + 12582912.0f) - 12582912.0f; /* |v| <= 255: round half to even */
    y[o] = (uint8_t)(uint32_t)((int32_t)r + p->zero_y);
    for (int d = p->n_kept - 1; d >= 0; --d) {
      if (++kidx[d] < p->kept_size[d]) break;
      kidx[d] = 0;
    }
  }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}

/* mcu_k_qlconcat_q8 reproduces ONNX Runtime's QLinearConcat for two inputs: an input whose scale and zero point
 * equal the output's is copied; the other is mapped through a 256-entry table built at compile time exactly as
 * ONNX Runtime builds it (QlinearBuildLookupTable with the identity: y = QuantizeLinear(s_x * (x - z_x), s_y,
 * z_y)). For each of `outer` steps: a_len elements of in0, then b_len of in1. Params: mcu_ko_qlconcat_params_t;
 * aux0/aux1: uint8[256] tables of a/b indexed by the input byte (NULL when copied). No rounding here. */
void mcu_k_qlconcat_q8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_qlconcat_params_t *p = (const mcu_ko_qlconcat_params_t *)params;
  const uint8_t *a = (const uint8_t *)in0, *b = (const uint8_t *)in1;
  const uint8_t *ta = (const uint8_t *)aux0, *tb = (const uint8_t *)aux1;
  uint8_t *y = (uint8_t *)out;
  for (int32_t o = 0; o < p->outer; ++o) {
    const uint8_t *sa = a + (size_t)o * (size_t)p->a_len, *sb = b + (size_t)o * (size_t)p->b_len;
    if (p->a_table)
      for (int32_t i = 0; i < p->a_len; ++i) y[i] = ta[sa[i]];
    else
      memcpy(y, sa, (size_t)p->a_len);
    y += p->a_len;
    if (p->b_table)
      for (int32_t i = 0; i < p->b_len; ++i) y[i] = tb[sb[i]];
    else
      memcpy(y, sb, (size_t)p->b_len);
    y += p->b_len;
  }
  (void)in2;
}
