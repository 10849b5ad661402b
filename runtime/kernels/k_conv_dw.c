/* k_conv_dw.c: TF Lite Micro-exact int8 depthwise convolution kernels (separate buffers, and in place). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "k_conv_dw.h"
#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

#define DW_TMAX 64 /* windows up to 8x8 are gathered into a local array (multiplier > 1) */

/* mcu_k_conv_dw_s8: mcu_k_conv_s8 (k_conv.c) restricted to depthwise convolutions (groups == c, filter
 * [o, kh, kw, 1], o = c * M for a depth multiplier M >= 1; output channel o reads input channel o / M), computing
 * the same bytes faster. Why: depthwise layers are a large share of a MobileNet's instructions and the general
 * kernel spends ~12 instructions per MAC on them (index arithmetic and a general requantization per output).
 * Algorithm: M == 1: each output row is one mcu_dw_row_s8 call over the whole row (k_conv_dw.h: channels by 4
 * with SXTAB16 / SMLABB, complete windows unrolled, border windows clipped). M > 1 (TF Lite's first layer of a
 * one-channel image, for instance): per output pixel and input channel, the window (x + input_offset, zeros for
 * the taps outside the image) is read once into a local array and shared by its M output channels. Exactness: the sums
 * are mcu_k_conv_s8's (int32 wrapping sums are order-independent), the requantization is mcu_fx_mbqm's value
 * (mcu_dw_mbqm). Params, aux and inputs as for mcu_k_conv_s8 (aux0: int32 mult[o], aux1: int32 shift[o], in1: int8
 * filter [o, kh, kw, 1], in2: int32 bias [o] or NULL); scratch: none. Weakness: M > 1 is plain scalar C; out must not
 * overlap in0. */
void mcu_k_conv_dw_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int8_t *x = (const int8_t *)in0, *w = (const int8_t *)in1;
  const int32_t *mult = (const int32_t *)aux0, *shift = (const int32_t *)aux1, *bias = (const int32_t *)in2;
  int8_t *y = (int8_t *)out;
  const int32_t C = p->c, O = p->o, M = p->o / p->c, kh = p->kh, kw = p->kw, T = kh * kw;
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
        for (int32_t ci = 0; ci < C; ++ci) {
          if (T <= DW_TMAX) {
            /* The window of input channel ci once, x + input_offset, 0 for the taps outside the image (a zero
             * term adds nothing, so the sum is the clipped one), then its M output channels from it. */
            int32_t xw[DW_TMAX];
            for (int32_t t = 0; t < T; ++t)
              xw[t] = 0;
            for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
              const int8_t *r = xb + (size_t)(y0 + ky * p->dilation_h) * p->w * C + ci;
              for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
                xw[ky * kw + kx] = (int32_t)r[(ptrdiff_t)(x0 + kx * p->dilation_w) * C] + p->input_offset;
            }
            for (int32_t o = ci * M; o < ci * M + M; ++o) {
              int32_t acc = bias ? bias[o] : 0;
              const int8_t *wo = w + (size_t)o * T;
              for (int32_t t = 0; t < T; ++t)
                acc = mcu_fx_add_wrap(acc, (int32_t)wo[t] * xw[t]);
              yr[(size_t)ox * O + o] = mcu_dw_out(p, acc, mult[o], shift[o]);
            }
            continue;
          }
          for (int32_t o = ci * M; o < ci * M + M; ++o) {
            int32_t acc = bias ? bias[o] : 0;
            for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
              const int8_t *r = xb + (size_t)(y0 + ky * p->dilation_h) * p->w * C + ci;
              const int8_t *wr = w + ((size_t)o * kh + ky) * kw;
              for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
                acc = mcu_fx_add_wrap(
                    acc, (int32_t)wr[kx] * ((int32_t)r[(ptrdiff_t)(x0 + kx * p->dilation_w) * C] + p->input_offset));
            }
            yr[(size_t)ox * O + o] = mcu_dw_out(p, acc, mult[o], shift[o]);
          }
        }
      }
    }
  }
}

/* One channel's plane (n * h * w bytes, row-major) -> its outputs, stored at y[pixel * c_total]: every output over
 * its window with the taps outside the image skipped, as mcu_k_conv_s8 does (loops of constant trip count that
 * LLVM unrolls; the bounds checks are cheap next to a per-channel setup, which is why small planes use this). */
static inline __attribute__((always_inline)) void dw_plane_channel(const mcu_k_conv_params_t *p, const int8_t *plane,
                                                                   const int8_t *wc, int32_t bias, int32_t mult,
                                                                   int32_t shift, int8_t *y, int32_t c_total) {
  for (int32_t b = 0; b < p->n; ++b)
    for (int32_t oy = 0; oy < p->oh; ++oy)
      for (int32_t ox = 0; ox < p->ow; ++ox) {
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        int32_t acc = bias;
        for (int32_t ky = 0; ky < p->kh; ++ky) {
          const int32_t iy = y0 + ky * p->dilation_h;
          if (iy < 0 || iy >= p->h)
            continue;
          for (int32_t kx = 0; kx < p->kw; ++kx) {
            const int32_t ix = x0 + kx * p->dilation_w;
            if (ix < 0 || ix >= p->w)
              continue;
            acc = mcu_fx_add_wrap(acc, (int32_t)wc[ky * p->kw + kx] *
                                           ((int32_t)plane[(b * p->h + iy) * p->w + ix] + p->input_offset));
          }
        }
        y[((size_t)(b * p->oh + oy) * p->ow + ox) * c_total] =
            (int8_t)mcu_fx_clamp(mcu_fx_mbqm(acc, mult, shift) + p->output_offset, p->act_min, p->act_max);
      }
}

/* SMLAD(a, b, acc): acc + lo16(a) * lo16(b) + hi16(a) * hi16(b), wrapping modulo 2^32. */
static inline int32_t dw_smlad(uint32_t a, uint32_t b, int32_t acc) {
#if defined(__ARM_FEATURE_DSP)
  return __smlad((int32_t)a, (int32_t)b, acc);
#else
  return mcu_fx_i32((uint32_t)acc + (uint32_t)(mcu_dw_lo16(a) * mcu_dw_lo16(b)) +
                    (uint32_t)(mcu_dw_hi16(a) * mcu_dw_hi16(b)));
#endif
}

/* One output pixel of a 4-channel ring slice (dw_inplace_ring), complete window, taps taken two at a time: the
 * lanes of two taps' SXTAB16 results are regrouped per channel (PKHBT / PKHTB: (c@t, c@t+1)) and multiplied by
 * the channel's packed weight pair (wp[j][t / 2] = (w_j[t], w_j[t + 1]) as int16) with one SMLAD; an odd last tap
 * goes by SMLABB / SMLATB with ws[j] = w_j[T - 1]. Same products as mcu_dw_pixel_full_s8, so the same sums. */
static inline __attribute__((always_inline)) void dw_ring4_pixel(const mcu_k_conv_params_t *p, const int8_t *ring,
                                                                 const int32_t *rp, int32_t x0,
                                                                 const uint32_t (*wp)[DW_TMAX / 2], const int32_t *ws,
                                                                 const int32_t *bias, const mcu_dw_rq_t *rq,
                                                                 int8_t *out) {
  const int32_t kw = p->kw, T = p->kh * p->kw, step = p->dilation_w * 4;
  const uint32_t off2 = ((uint32_t)p->input_offset & 0xffffu) * 0x10001u;
  int32_t a0 = bias ? bias[0] : 0, a1 = bias ? bias[1] : 0, a2 = bias ? bias[2] : 0, a3 = bias ? bias[3] : 0;
  const int8_t *base = ring + (ptrdiff_t)x0 * 4;
  for (int32_t t = 0; t + 1 < T; t += 2) {
    const uint32_t v0 = mcu_dw_load4(base + rp[t / kw] + (t % kw) * step);
    const uint32_t v1 = mcu_dw_load4(base + rp[(t + 1) / kw] + ((t + 1) % kw) * step);
    const uint32_t e0 = mcu_dw_sxtab16(off2, v0), o0 = mcu_dw_sxtab16(off2, (v0 >> 8) | (v0 << 24));
    const uint32_t e1 = mcu_dw_sxtab16(off2, v1), o1 = mcu_dw_sxtab16(off2, (v1 >> 8) | (v1 << 24));
    a0 = dw_smlad((e0 & 0xffffu) | (e1 << 16), wp[0][t / 2], a0);
    a1 = dw_smlad((o0 & 0xffffu) | (o1 << 16), wp[1][t / 2], a1);
    a2 = dw_smlad((e1 & 0xffff0000u) | (e0 >> 16), wp[2][t / 2], a2);
    a3 = dw_smlad((o1 & 0xffff0000u) | (o0 >> 16), wp[3][t / 2], a3);
  }
  if (T % 2) {
    const uint32_t v = mcu_dw_load4(base + rp[(T - 1) / kw] + ((T - 1) % kw) * step);
    const uint32_t e = mcu_dw_sxtab16(off2, v), o = mcu_dw_sxtab16(off2, (v >> 8) | (v << 24));
    a0 = mcu_dw_smlabb(e, ws[0], a0);
    a1 = mcu_dw_smlabb(o, ws[1], a1);
    a2 = mcu_dw_smlatb(e, ws[2], a2);
    a3 = mcu_dw_smlatb(o, ws[3], a3);
  }
  MCU_DW_KEEP4(a0, a1, a2, a3);
  mcu_dw_store4(out, mcu_dw_out_rq(p, a0, &rq[0]), mcu_dw_out_rq(p, a1, &rq[1]), mcu_dw_out_rq(p, a2, &rq[2]),
                mcu_dw_out_rq(p, a3, &rq[3]));
}

/* The ring variant of mcu_k_conv_dw_inplace_s8 (see there): per slice of g channels (k_conv_dw.h), input rows
 * copied into a zero-point-padded ring as the windows reach them, every output from a complete window. */
static inline __attribute__((always_inline)) void dw_inplace_ring(const mcu_k_conv_params_t *p, const mcu_dw_ring_t *g,
                                                                  const int8_t *x, const int8_t *w, const int32_t *mult,
                                                                  const int32_t *shift, const int32_t *bias, int8_t *y,
                                                                  int8_t *ring) {
  const int32_t C = p->c, T = p->kh * p->kw, G = g->g, slot_bytes = g->pw * G, zero_slot = g->slots * slot_bytes;
  const int8_t zp = (int8_t)(-p->input_offset);
  for (int32_t c0 = 0; c0 < C; c0 += G) {
    const int32_t cn = C - c0 < G ? C - c0 : G;
    for (int32_t i = 0; i < (g->slots + 1) * slot_bytes; ++i)
      ring[i] = zp;
    /* The slice's weights as int16 pairs of consecutive taps per channel (and the odd last tap), for
     * dw_ring4_pixel; a local array: it cannot alias the int8 stores. */
    uint32_t wp[4][DW_TMAX / 2];
    int32_t ws[4] = {0, 0, 0, 0};
    if (cn == 4 && T <= DW_TMAX)
      for (int32_t j = 0; j < 4; ++j) {
        const int8_t *wj = w + (size_t)(c0 + j) * T;
        for (int32_t t = 0; t + 1 < T; t += 2)
          wp[j][t / 2] = ((uint32_t)(int32_t)wj[t] & 0xffffu) | ((uint32_t)(int32_t)wj[t + 1] << 16);
        if (T % 2)
          ws[j] = wj[T - 1];
      }
    for (int32_t b = 0; b < p->n; ++b) {
      int32_t next = 0;
      for (int32_t oy = 0; oy < p->oh; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        int32_t last = y0 + (p->kh - 1) * p->dilation_h;
        if (last > p->h - 1)
          last = p->h - 1;
        for (int32_t r = next > y0 ? next : (y0 > 0 ? y0 : 0); r <= last; ++r) {
          const int8_t *src = x + ((size_t)(b * p->h + r) * p->w) * C + c0;
          int8_t *dst = ring + (size_t)(r % g->slots) * slot_bytes + (size_t)p->pad_left * G;
          if (cn == 4)
            for (int32_t ix = 0; ix < p->w; ++ix)
              memcpy(dst + (size_t)ix * 4, src + (size_t)ix * C, 4);
          else
            for (int32_t ix = 0; ix < p->w; ++ix)
              for (int32_t k = 0; k < cn; ++k)
                dst[ix * G + k] = src[(size_t)ix * C + k];
        }
        if (last + 1 > next)
          next = last + 1;
        int32_t rp[MCU_DW_KMAX];
        for (int32_t ky = 0; ky < p->kh; ++ky) {
          const int32_t iy = y0 + ky * p->dilation_h;
          rp[ky] = iy >= 0 && iy < p->h ? (iy % g->slots) * slot_bytes : zero_slot;
        }
        int8_t *yr = y + (size_t)(b * p->oh + oy) * p->ow * C + c0;
        const int8_t *wg = w + (size_t)c0 * T;
        mcu_dw_rq_t rq[4]; /* the slice's requantization constants, once per row */
        for (int32_t k = 0; k < cn; ++k)
          rq[k] = mcu_dw_rq_make(mult[c0 + k], shift[c0 + k]);
        const int32_t *bg = bias ? bias + c0 : NULL;
        if (cn == 4 && T <= DW_TMAX) /* taps in pairs (SMLAD) with the slice's packed weights */
          for (int32_t ox = 0; ox < p->ow; ++ox)
            dw_ring4_pixel(p, ring, rp, ox * p->stride_w, wp, ws, bg, rq, yr + (size_t)ox * C);
        else if (cn == 4) /* separate copies with constant channel counts */
          for (int32_t ox = 0; ox < p->ow; ++ox)
            mcu_dw_pixel_full_s8(p, ring, rp, ox * p->stride_w, 4, G, wg, mult + c0, shift + c0, bg, rq,
                                 yr + (size_t)ox * C);
        else if (cn == 1)
          for (int32_t ox = 0; ox < p->ow; ++ox)
            mcu_dw_pixel_full_s8(p, ring, rp, ox * p->stride_w, 1, G, wg, mult + c0, shift + c0, bg, rq,
                                 yr + (size_t)ox * C);
        else
          for (int32_t ox = 0; ox < p->ow; ++ox)
            mcu_dw_pixel_full_s8(p, ring, rp, ox * p->stride_w, cn, G, wg, mult + c0, shift + c0, bg, rq,
                                 yr + (size_t)ox * C);
      }
    }
  }
}

/* mcu_k_conv_dw_inplace_s8: the depthwise case of mcu_k_conv_s8 (groups == c == o, depth multiplier 1, filter
 * [o, kh, kw, 1]) computing exactly the same values, written so that `out` may be the same buffer as `in0` (it may
 * also be a separate one). Why: TinyEngine's in-place depthwise trick, exact: the layer then needs one buffer of
 * max(input, output) bytes plus a small scratch instead of input + output.
 * Algorithm, two variants (mcu_dw_inplace_ring, k_conv_dw.h, picks one from the constant params; prepare sizes the
 * scratch with the same function):
 *  - ring (when a slice of g >= 2 channels fits in n * h * w bytes, kh <= MCU_DW_KMAX and the schedule is safe):
 *    for each slice of g channels in order, for each output row: the input rows of its window not copied yet are
 *    copied (g bytes per pixel) into a ring of zero-point-padded rows (the padding and an extra all-zero-point row
 *    stand for the taps outside the image: x + input_offset == 0 there, so they add nothing), then every output
 *    pixel of the row is a complete window (4-channel slices: dw_ring4_pixel, taps in pairs with SMLAD and the
 *    slice's weights packed on the stack; narrower slices: mcu_dw_pixel_full_s8), fully unrolled.
 *  - plane (otherwise): for each channel c in order: copy the input plane x[:, :, :, c] (n * h * w bytes) into
 *    `scratch`, then compute every output of channel c from it with the taps outside the image skipped.
 * Proof that out == in0 is safe. A store of output (b, oy, ox, c) goes to byte e = P * c_total + c with
 * P = (b * oh + oy) * ow + ox, the same byte as input pixel P of channel c: it only ever overwrites input bytes of
 * the channels being processed (e % c_total == c), never those of later channels or slices, which are read only
 * after. Plane: all input bytes of channel c are in the scratch before its first store and the computation reads
 * only the scratch. Ring: the computation reads only the ring; an input row r of batch b is copied (at output row
 * oy) before being overwritten iff (b * h + r) * w >= (b * oh + oy) * ow, the output pixels written so far in this
 * slice; mcu_dw_inplace_ring_safe checks exactly that for every copy of the kernel's schedule, and the variant is
 * only used when it holds (it does for every stride >= 1 with the usual paddings). The ring slots hold each needed
 * row when it is read (the streamed block's argument: a row's slot is only reused by a row >= it + slots, beyond
 * the window). The per-output arithmetic is mcu_k_conv_s8's: the same int32 sum (order-free modulo 2^32; the zero
 * terms of the padding add nothing), bias, MultiplyByQuantizedMultiplier (mcu_dw_mbqm or mcu_fx_mbqm), offset,
 * clamp; so the bytes equal mcu_k_conv_s8's (k_conv_dw_test.c checks both variants, in place and not).
 * Params: mcu_k_conv_params_t with groups == c == o; aux0/aux1/in1/in2 as for mcu_k_conv_s8; scratch:
 * mcu_dw_inplace_ring(p).bytes (never more than n * h * w; any alignment). out must hold n * oh * ow * o bytes; when
 * out == in0 the buffer must hold the larger of the input and output sizes. Weakness: about 4.3 instructions per
 * MAC for 3x3 in the ring variant with 4-channel slices (~12 per output for the requantization), ~6.6 with
 * 2-channel slices; the plane variant (small planes) is scalar with bounds checks, about 7 per MAC. */
void mcu_k_conv_dw_inplace_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                              const void *in2, void *out, void *scratch) {
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int8_t *x = (const int8_t *)in0, *w = (const int8_t *)in1;
  const int32_t *mult = (const int32_t *)aux0, *shift = (const int32_t *)aux1, *bias = (const int32_t *)in2;
  int8_t *y = (int8_t *)out;
  int8_t *plane = (int8_t *)scratch;
  const int32_t c_total = p->c, n_pix = p->n * p->h * p->w, T = p->kh * p->kw;
  const mcu_dw_ring_t g = mcu_dw_inplace_ring(p);
  if (g.ok) {
    dw_inplace_ring(p, &g, x, w, mult, shift, bias, y, (int8_t *)scratch);
    return;
  }
  for (int32_t c = 0; c < c_total; ++c) {
    const int8_t *xc = x + c;
    for (int32_t i = 0; i < n_pix; ++i)
      plane[i] = xc[(size_t)i * c_total];
    dw_plane_channel(p, plane, w + (size_t)c * T, bias ? bias[c] : 0, mult[c], shift[c], y + c, c_total);
  }
}
