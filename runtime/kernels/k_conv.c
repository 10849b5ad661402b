/* k_conv.c: TF Lite Micro-exact 2-D convolution (plain, grouped and depthwise), int8 per-channel and float32. */
#include <stddef.h>
#include <stdint.h>

#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* mcu_k_conv_s8 reproduces reference_integer_ops::ConvPerChannel and DepthwiseConvPerChannel (a depthwise conv with
 * depth multiplier M is groups == C here, output channel o reading input channel o / M, the same pairing as TF
 * Lite's o = c * M + m). For each output (b, y, x, o), g = o / (O / groups), cpg = C / groups:
 *   acc = sum over (ky, kx) inside the image, ic < cpg of  w[o, ky, kx, ic] * (x[b, iy, ix, g * cpg + ic] + input_offset)
 *   (int32; positions outside the image are skipped, as TF Lite Micro does: they stand for the zero point);
 *   acc += bias[o] (if any); acc = MultiplyByQuantizedMultiplier(acc, mult[o], shift[o]) (double rounding,
 *   k_fixedpoint.h); acc += output_offset; clamp to [act_min, act_max].
 * Params: mcu_k_conv_params_t (all sizes >= 1, iy = y * stride_h - pad_top + ky * dilation_h). aux0: int32 mult[O],
 * aux1: int32 shift[O] (per tensor: the same pair repeated). in0: int8 input NHWC, in1: int8 filter
 * [O, KH, KW, C / groups], in2: int32 bias [O] or NULL, out: int8 [N, OH, OW, O]. The filter zero point is 0
 * (TF Lite Micro ignores it). Weakness: the int32 accumulator wraps on overflow (TF Lite Micro leaves that
 * undefined); int32 sums are order-independent, so the loop order does not matter for int8.
 *
 * mcu_k_conv_f32 reproduces reference_ops::Conv / DepthwiseConv for float: total = 0.0f, then total += x * w in the
 * order ky, kx, ic (float32, no fused multiply-add), then ActivationFunctionWithMinMax(total + bias, fmin, fmax). */

static inline int32_t conv_inside(int32_t v, int32_t n) { return v >= 0 && v < n; }

void mcu_k_conv_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                   const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int8_t *x = (const int8_t *)in0;
  const int8_t *w = (const int8_t *)in1;
  int8_t *y = (int8_t *)out;
  const int32_t cpg = p->c / p->groups, opg = p->o / p->groups;
  for (int32_t b = 0; b < p->n; ++b)
    for (int32_t oy = 0; oy < p->oh; ++oy)
      for (int32_t ox = 0; ox < p->ow; ++ox) {
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        for (int32_t o = 0; o < p->o; ++o) {
          const int32_t g = o / opg;
          int32_t acc = 0;
          for (int32_t ky = 0; ky < p->kh; ++ky) {
            const int32_t iy = y0 + ky * p->dilation_h;
            if (!conv_inside(iy, p->h)) continue;
            for (int32_t kx = 0; kx < p->kw; ++kx) {
              const int32_t ix = x0 + kx * p->dilation_w;
              if (!conv_inside(ix, p->w)) continue;
              const int8_t *xp = x + ((size_t)(b * p->h + iy) * p->w + ix) * p->c + (size_t)g * cpg;
              const int8_t *wp = w + ((size_t)(o * p->kh + ky) * p->kw + kx) * cpg;
              for (int32_t ic = 0; ic < cpg; ++ic) acc += (int32_t)wp[ic] * ((int32_t)xp[ic] + p->input_offset);
            }
          }
          if (in2) acc += mcu_km_i32(in2, o);
          acc = mcu_fx_mbqm(acc, mcu_km_i32(aux0, o), mcu_km_i32(aux1, o));
          acc += p->output_offset;
          y[((size_t)(b * p->oh + oy) * p->ow + ox) * p->o + o] = (int8_t)mcu_fx_clamp(acc, p->act_min, p->act_max);
        }
      }
}

/* The depthwise kernels (mcu_k_conv_dw_s8, mcu_k_conv_dw_inplace_s8) are in k_conv_dw.c. */

void mcu_k_conv_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                    const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int32_t cpg = p->c / p->groups, opg = p->o / p->groups;
  for (int32_t b = 0; b < p->n; ++b)
    for (int32_t oy = 0; oy < p->oh; ++oy)
      for (int32_t ox = 0; ox < p->ow; ++ox) {
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        for (int32_t o = 0; o < p->o; ++o) {
          const int32_t g = o / opg;
          float total = 0.0f;
          for (int32_t ky = 0; ky < p->kh; ++ky) {
            const int32_t iy = y0 + ky * p->dilation_h;
            if (!conv_inside(iy, p->h)) continue;
            for (int32_t kx = 0; kx < p->kw; ++kx) {
              const int32_t ix = x0 + kx * p->dilation_w;
              if (!conv_inside(ix, p->w)) continue;
              const int32_t xi = ((b * p->h + iy) * p->w + ix) * p->c + g * cpg;
              const int32_t wi = ((o * p->kh + ky) * p->kw + kx) * cpg;
              for (int32_t ic = 0; ic < cpg; ++ic) total += mcu_km_f32(in0, xi + ic) * mcu_km_f32(in1, wi + ic);
            }
          }
          const float bias = in2 ? mcu_km_f32(in2, o) : 0.0f;
          mcu_km_set_f32(out, ((b * p->oh + oy) * p->ow + ox) * p->o + o,
                         mcu_fx_fclamp(total + bias, p->fact_min, p->fact_max));
        }
      }
  (void)aux0;
  (void)aux1;
}
