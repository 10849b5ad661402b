/* k_conv_dw.c: TF Lite Micro-exact int8 depthwise convolution kernels (separate buffers, and in place). */
#include <stddef.h>
#include <stdint.h>

#include "k_conv_dw.h"
#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* mcu_k_conv_dw_s8: mcu_k_conv_s8 (k_conv.c) restricted to depthwise convolutions (groups == c, filter
 * [o, kh, kw, 1], o = c * M for a depth multiplier M >= 1; output channel o reads input channel o / M), computing
 * the same bytes faster. Why: depthwise layers are a large share of a MobileNet's instructions and the general
 * kernel spends ~12 instructions per MAC on them (index arithmetic and a general requantization per output).
 * Algorithm: M == 1: each output row is one mcu_dw_row_s8 call over the whole row (k_conv_dw.h: channels by 4
 * with SXTAB16 / SMLABB, complete windows unrolled, border windows clipped). M > 1 (TF Lite's first layer of a
 * one-channel image, for instance): per output pixel and input channel, the window's clipped bounds are computed
 * once and shared by its M output channels. Exactness: the sums are mcu_k_conv_s8's (int32 wrapping sums are
 * order-independent), the requantization is mcu_fx_mbqm's value (mcu_dw_mbqm). Params, aux and inputs as for
 * mcu_k_conv_s8 (aux0: int32 mult[o], aux1: int32 shift[o], in1: int8 filter [o, kh, kw, 1], in2: int32 bias [o]
 * or NULL); scratch: none. Weakness: M > 1 is plain scalar C; out must not overlap in0. */
void mcu_k_conv_dw_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int8_t *x = (const int8_t *)in0, *w = (const int8_t *)in1;
  const int32_t *mult = (const int32_t *)aux0, *shift = (const int32_t *)aux1, *bias = (const int32_t *)in2;
  int8_t *y = (int8_t *)out;
  const int32_t C = p->c, O = p->o, M = p->o / p->c, kh = p->kh, kw = p->kw;
  for (int32_t b = 0; b < p->n; ++b) {
    const int8_t *xb = x + (size_t)b * p->h * p->w * C;
    for (int32_t oy = 0; oy < p->oh; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int8_t *yr = y + (size_t)(b * p->oh + oy) * p->ow * O;
      if (M == 1) {
        mcu_dw_row_s8(p, xb, p->h, y0, 0, p->ow, w, mult, shift, bias, yr);
        continue;
      }
      const int32_t ky_lo = mcu_dw_first_at_least(y0, p->dilation_h, 0, kh);
      const int32_t ky_hi = mcu_dw_end_at_most(y0, p->dilation_h, p->h - 1, kh);
      for (int32_t ox = 0; ox < p->ow; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        const int32_t kx_lo = mcu_dw_first_at_least(x0, p->dilation_w, 0, kw);
        const int32_t kx_hi = mcu_dw_end_at_most(x0, p->dilation_w, p->w - 1, kw);
        for (int32_t o = 0; o < O; ++o) {
          const int32_t ci = o / M;
          int32_t acc = bias ? bias[o] : 0;
          for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
            const int8_t *r = xb + (size_t)(y0 + ky * p->dilation_h) * p->w * C + ci;
            const int8_t *wr = w + ((size_t)o * kh + ky) * kw;
            for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
              acc = mcu_fx_add_wrap(acc, (int32_t)wr[kx] *
                                             ((int32_t)r[(ptrdiff_t)(x0 + kx * p->dilation_w) * C] + p->input_offset));
          }
          yr[(size_t)ox * O + o] = mcu_dw_out(p, acc, mult[o], shift[o]);
        }
      }
    }
  }
}

#define DW_TMAX 64 /* windows up to 8x8 keep their weights in a local array */

/* One channel's plane (n * h * w bytes, row-major) -> its outputs, stored at y[pixel * c_total]. Interior outputs
 * (window inside the image) use constant loop bounds and bias + input_offset * sum(w) folded once: for them
 * sum_t w_t * (x_t + off) = sum_t w_t * x_t + off * sum_t w_t exactly (wrapping int32). Border outputs add the
 * offset per tap over their clipped window, as mcu_k_conv_s8 does. */
static inline __attribute__((always_inline)) void dw_plane_channel(const mcu_k_conv_params_t *p, const int8_t *plane,
                                                                   const int32_t *wc, int32_t bias, int32_t mult,
                                                                   int32_t shift, int8_t *y, int32_t c_total) {
  const int32_t kh = p->kh, kw = p->kw, dh = p->dilation_h, dw = p->dilation_w, W = p->w;
  int32_t sum_w = 0;
  for (int32_t t = 0; t < kh * kw; ++t) sum_w += wc[t];
  const int32_t bias_in = mcu_fx_add_wrap(bias, mcu_fx_i32((uint32_t)sum_w * (uint32_t)p->input_offset));
  /* Output columns whose window is inside the image horizontally: [ox_lo, ox_hi). */
  const int32_t ox_lo = mcu_dw_first_at_least(-p->pad_left, p->stride_w, 0, p->ow);
  const int32_t ox_hi = mcu_dw_end_at_most(-p->pad_left, p->stride_w, W - 1 - (kw - 1) * dw, p->ow);
  for (int32_t b = 0; b < p->n; ++b) {
    const int8_t *pb = plane + (size_t)b * p->h * W;
    for (int32_t oy = 0; oy < p->oh; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      const int32_t ky_lo = mcu_dw_first_at_least(y0, dh, 0, kh), ky_hi = mcu_dw_end_at_most(y0, dh, p->h - 1, kh);
      int8_t *yr = y + (size_t)(b * p->oh + oy) * p->ow * c_total;
      const int full_rows = ky_lo == 0 && ky_hi == kh;
      for (int32_t ox = 0; ox < p->ow; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int32_t acc;
        if (full_rows && ox >= ox_lo && ox < ox_hi) {
          const int8_t *q = pb + (size_t)y0 * W + x0;
          acc = bias_in;
          for (int32_t ky = 0; ky < kh; ++ky)
            for (int32_t kx = 0; kx < kw; ++kx)
              acc = mcu_fx_add_wrap(acc, wc[ky * kw + kx] * (int32_t)q[ky * dh * W + kx * dw]);
        } else {
          const int32_t kx_lo = mcu_dw_first_at_least(x0, dw, 0, kw), kx_hi = mcu_dw_end_at_most(x0, dw, W - 1, kw);
          acc = bias;
          for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
            const int8_t *r = pb + (size_t)(y0 + ky * dh) * W;
            for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
              acc = mcu_fx_add_wrap(acc, wc[ky * kw + kx] * ((int32_t)r[x0 + kx * dw] + p->input_offset));
          }
        }
        yr[(size_t)ox * c_total] = mcu_dw_out(p, acc, mult, shift);
      }
    }
  }
}

/* Windows of more than DW_TMAX taps: every output over its clipped window, weights read from the filter. */
static void dw_plane_channel_big(const mcu_k_conv_params_t *p, const int8_t *plane, const int8_t *wc, int32_t bias,
                                 int32_t mult, int32_t shift, int8_t *y, int32_t c_total) {
  const int32_t kh = p->kh, kw = p->kw, dh = p->dilation_h, dw = p->dilation_w, W = p->w;
  for (int32_t b = 0; b < p->n; ++b)
    for (int32_t oy = 0; oy < p->oh; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      const int32_t ky_lo = mcu_dw_first_at_least(y0, dh, 0, kh), ky_hi = mcu_dw_end_at_most(y0, dh, p->h - 1, kh);
      for (int32_t ox = 0; ox < p->ow; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        const int32_t kx_lo = mcu_dw_first_at_least(x0, dw, 0, kw), kx_hi = mcu_dw_end_at_most(x0, dw, W - 1, kw);
        int32_t acc = bias;
        for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
          const int8_t *r = plane + (size_t)(b * p->h + y0 + ky * dh) * W;
          for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
            acc = mcu_fx_add_wrap(acc, (int32_t)wc[ky * kw + kx] * ((int32_t)r[x0 + kx * dw] + p->input_offset));
        }
        y[((size_t)(b * p->oh + oy) * p->ow + ox) * c_total] = mcu_dw_out(p, acc, mult, shift);
      }
    }
}

/* mcu_k_conv_dw_inplace_s8: the depthwise case of mcu_k_conv_s8 (groups == c == o, depth multiplier 1, filter
 * [o, kh, kw, 1]) computing exactly the same values, written so that `out` may be the same buffer as `in0` (it may
 * also be a separate one). Why: TinyEngine's in-place depthwise trick, exact: the layer then needs one buffer of
 * max(input, output) bytes plus a scratch plane instead of input + output.
 * Algorithm: for each channel c in order: copy the input plane x[:, :, :, c] (n * h * w bytes) into `scratch`, then
 * compute every output y[b, oy, ox, c] from the scratch (dw_plane_channel: the channel's weights, bias, multiplier
 * and shift loaded once; interior outputs with an unrolled window and the input offset folded into the bias,
 * border outputs over their clipped window) and store it. Proof that out == in0 is safe: the store of
 * y[b, oy, ox, c] goes to byte e = ((b * oh + oy) * ow + ox) * c_total + c, so e % c_total == c: it can only
 * overwrite an input byte of channel c (e < n*h*w*c_total) or a byte past the input. The input bytes of channel c
 * were all copied to the scratch before the first store of channel c, and the computation of channel c reads only
 * the scratch; channels c' > c, whose input is still needed, occupy bytes e' with e' % c_total == c' != c, never
 * written while processing c. So every input value is read (from in0 or the scratch) before anything overwrites
 * it. The per-output arithmetic is mcu_k_conv_s8's: its int32 sum over the window in another order (order-free
 * modulo 2^32; the folded form equals the per-tap form since every tap of an interior window is inside), bias,
 * MultiplyByQuantizedMultiplier (mcu_dw_mbqm, exact), offset, clamp; so the bytes equal mcu_k_conv_s8's.
 * Params: mcu_k_conv_params_t with groups == c == o; aux0/aux1/in1/in2 as for mcu_k_conv_s8; scratch: n * h * w
 * bytes (any alignment). out must hold n * oh * ow * o bytes; when out == in0 the buffer must hold the larger of
 * the input and output sizes. Weakness: the gather is one strided byte read per input value and channel, and the
 * window sum is scalar (about 2 instructions per MAC), no SIMD across output pixels yet. */
void mcu_k_conv_dw_inplace_s8(const void *params, const void *aux0, const void *aux1, const void *in0,
                              const void *in1, const void *in2, void *out, void *scratch) {
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int8_t *x = (const int8_t *)in0, *w = (const int8_t *)in1;
  const int32_t *mult = (const int32_t *)aux0, *shift = (const int32_t *)aux1, *bias = (const int32_t *)in2;
  int8_t *y = (int8_t *)out;
  int8_t *plane = (int8_t *)scratch;
  const int32_t c_total = p->c, n_pix = p->n * p->h * p->w, T = p->kh * p->kw;
  for (int32_t c = 0; c < c_total; ++c) {
    const int8_t *xc = x + c;
    for (int32_t i = 0; i < n_pix; ++i) plane[i] = xc[(size_t)i * c_total];
    /* The window's weights as int32 in a local array: it cannot alias the int8 stores, so they stay in registers. */
    int32_t wl[DW_TMAX];
    const int32_t tn = T < DW_TMAX ? T : DW_TMAX;
    for (int32_t t = 0; t < tn; ++t) wl[t] = w[(size_t)c * T + t];
    if (T <= DW_TMAX)
      dw_plane_channel(p, plane, wl, bias ? bias[c] : 0, mult[c], shift[c], y + c, c_total);
    else
      dw_plane_channel_big(p, plane, w + (size_t)c * T, bias ? bias[c] : 0, mult[c], shift[c], y + c, c_total);
  }
}
