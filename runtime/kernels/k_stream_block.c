/* k_stream_block.c: an int8 inverted-residual block (1x1 expand, depthwise, 1x1 project) run row by row. */
#include <stddef.h>
#include <stdint.h>

#include "k_conv_dw.h"
#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_stream_block.h"

/* mcu_k_stream_block_s8: what mcu_k_conv_s8 computes for the chain expand (1x1, stride 1, no padding, groups 1)
 * -> depthwise (kh x kw, any stride/padding/dilation, multiplier 1) -> project (1x1, stride 1, no padding), with
 * the expanded tensor [n, h, w, ce] (usually the largest of the network) never stored whole. Why: the memory plan
 * then only needs input + output + scratch, not input + expanded (TinyEngine-style patch/row streaming, exact).
 *
 * Algorithm, per batch b: a ring of expanded rows, R = (kh - 1) * dilation_h + 1.
 * For each depthwise output row oy, the window rows iy = oy * stride_h - pad_top + ky * dilation_h inside [0, h) are
 * all in [max(y0, 0), min(y0 + R - 1, h - 1)] (y0 = oy * stride_h - pad_top), at most R' = min(R, h) consecutive
 * rows (the ring has R' slots: row r in slot r % R'); the rows of that band not yet computed are expanded into
 * their slots (rows below y0 are never needed again since y0 only grows; a row computed later than a needed row
 * iy in the same slot would be >= iy + R', beyond the band, so no needed row is overwritten). Then for each ox:
 * the depthwise values of all ce channels into a ce-byte buffer, then the co projection outputs of that pixel.
 *
 * Exactness (bit-identical to the three unfused mcu_k_conv_s8 calls with params e, d, p and the same aux): every
 * expanded value E[b, r, x, c] stored in the ring is computed by the same formula as mcu_k_conv_s8 with params e
 * for a 1x1 stride-1 unpadded conv (int32 sum of w * (x + input_offset) over the input channels, + bias,
 * MultiplyByQuantizedMultiplier with mult/shift[c], + output_offset, clamp to [act_min, act_max]), so it is the
 * same int8 value the unfused expand would store. The depthwise reads only those values (the ring holds every row
 * of the window, argued above) and skips out-of-image positions exactly as mcu_k_conv_s8 does, so each D value is
 * the unfused depthwise's byte; the projection likewise reads exactly the D bytes of its pixel. Int32 sums do not
 * depend on the order of their terms (wrapping arithmetic is a commutative group), so the loop order is free.
 * Hence every output byte equals the unfused chain's. Tested against the three ordinary kernels
 * (kernels_stream_test.c: random shapes, strides 1/2, kernels 3/5/7, padding, dilation).
 *
 * Params: mcu_k_stream_params_t (k_stream_block.h; all sizes >= 1, e.o == d.c == d.o == d.groups == p.c,
 * e.h/w == d.h/w, d.oh/ow == p.h/w). aux0/aux1 as documented there. in0: int8 input NHWC, in1: int8 expand filter
 * [ce, 1, 1, c], in2: int32 expand bias [ce] or NULL, out: int8 [n, oh, ow, co]. scratch: R' * w * ce + ce bytes
 * (R' = ring_rows).
 * Weakness: rows a stride skips over are never expanded, and no expanded row is computed twice, so the MACs equal
 * the unfused chain's; but the projection re-reads its whole filter for every pixel (no blocking) and the
 * expand re-reads the input pixel per output channel, so it is slower than a tiled kernel. */

static inline int8_t stream_requant(int32_t acc, const mcu_k_conv_params_t *q, int32_t mult, int32_t shift) {
  acc = mcu_fx_mbqm(acc, mult, shift) + q->output_offset;
  return (int8_t)mcu_fx_clamp(acc, q->act_min, q->act_max);
}

/* Expanded row r of batch b into `dst` ([w, ce]). */
static void stream_expand_row(const mcu_k_stream_params_t *k, const int8_t *x, const int8_t *we, const void *be,
                              const void *aux0, int32_t b, int32_t r, int8_t *dst) {
  const mcu_k_conv_params_t *e = &k->e;
  for (int32_t ix = 0; ix < e->w; ++ix) {
    const int8_t *xp = x + ((size_t)(b * e->h + r) * e->w + ix) * e->c;
    for (int32_t o = 0; o < e->o; ++o) {
      const int8_t *wp = we + (size_t)o * e->c;
      int32_t acc = 0;
      for (int32_t ic = 0; ic < e->c; ++ic) acc += (int32_t)wp[ic] * ((int32_t)xp[ic] + e->input_offset);
      if (be) acc += mcu_km_i32(be, o);
      dst[(size_t)ix * e->o + o] = stream_requant(acc, e, mcu_km_i32(aux0, o), mcu_km_i32(aux0, e->o + o));
    }
  }
}

void mcu_k_stream_block_s8(const void *params, const void *aux0, const void *aux1, const void *in0,
                           const void *in1, const void *in2, void *out, void *scratch) {
  const mcu_k_stream_params_t *k = (const mcu_k_stream_params_t *)params;
  const mcu_k_conv_params_t *d = &k->d, *pj = &k->p;
  const int32_t ce = d->c, co = pj->o, ring = k->ring_rows;
  const int8_t *x = (const int8_t *)in0;
  const int8_t *wd = (const int8_t *)aux1, *wp = wd + (size_t)ce * d->kh * d->kw;
  const int32_t *t = (const int32_t *)aux0; /* 4-byte aligned tables (kernel_call.h) */
  const int32_t *d_tab = t + 2 * ce, *p_tab = t + 5 * ce;
  int8_t *rows = (int8_t *)scratch, *dw = rows + (size_t)ring * d->w * ce;
  int8_t *y = (int8_t *)out;
  for (int32_t b = 0; b < d->n; ++b) {
    int32_t next = 0; /* rows [0, next) were expanded (or skipped for good) */
    for (int32_t oy = 0; oy < d->oh; ++oy) {
      const int32_t y0 = oy * d->stride_h - d->pad_top;
      int32_t last = y0 + (d->kh - 1) * d->dilation_h;
      if (last > d->h - 1) last = d->h - 1;
      for (int32_t r = next > y0 ? next : (y0 > 0 ? y0 : 0); r <= last; ++r)
        stream_expand_row(k, x, (const int8_t *)in1, in2, aux0, b, r, rows + (size_t)(r % ring) * d->w * ce);
      if (last + 1 > next) next = last + 1;
      for (int32_t ox = 0; ox < d->ow; ++ox) {
        /* The ce depthwise values of pixel (oy, ox) from the ring (k_conv_dw.h). */
        mcu_dw_row_s8(d, rows, ring, y0, ox, 1, wd, d_tab, d_tab + ce, d_tab + 2 * ce, dw);
        int8_t *yp = y + ((size_t)(b * d->oh + oy) * d->ow + ox) * co;
        for (int32_t o = 0; o < co; ++o) {
          const int8_t *w = wp + (size_t)o * ce;
          int32_t acc = 0;
          for (int32_t c = 0; c < ce; ++c) acc += (int32_t)w[c] * ((int32_t)dw[c] + pj->input_offset);
          acc += p_tab[2 * co + o];
          yp[o] = stream_requant(acc, pj, p_tab[o], p_tab[co + o]);
        }
      }
    }
  }
}
