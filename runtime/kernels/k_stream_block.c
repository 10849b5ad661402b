/* k_stream_block.c: an int8 inverted-residual block (1x1 expand, depthwise, 1x1 project) run row by row. */
#include <stddef.h>
#include <stdint.h>

#include "k_conv_dw.h"
#include "k_fixedpoint.h"
#include "k_gemm_s8.h"
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
 * Expand and projection run on the GEMM core (k_gemm_s8.h, bit-exact with mcu_k_conv_s8 through the folded
 * bias'): a row's pixels tile_n at a time for the expand; for the projection, the depthwise values of tile_n
 * output pixels are computed first (tile_n * ce bytes instead of ce) and projected as one block, so each widened
 * projection filter word serves tile_n pixels. Trade-off: the scratch grows by (tile_n - 1) * ce bytes plus
 * tile_n widened columns (~2 * tile_n * max(c, ce) bytes).
 * Weakness: rows a stride skips over are never expanded, and no expanded row is computed twice, so the MACs equal
 * the unfused chain's; the depthwise step (mcu_dw_row_s8, k_conv_dw.h) re-derives each pixel's window. */

/* Expanded row r of batch b into `dst` ([w, ce]): the row's w pixels are a 1x1 conv on the GEMM core, tile_n
 * pixels at a time (widened into cols). */
MCU_GEMM_INLINE void stream_expand_row(const mcu_k_stream_params_t *k, const int8_t *x, const int8_t *we,
                                       const int32_t *t, int32_t b, int32_t r, int8_t *dst, uint32_t *cols) {
  const mcu_k_conv_params_t *e = &k->e;
  const int32_t ce = e->o, co = k->p.o, tn = k->tile_n;
  const int32_t *bias = t + 5 * ce + 3 * co;
  const int8_t *row = x + (size_t)(b * e->h + r) * e->w * e->c;
  for (int32_t ix = 0; ix < e->w; ix += tn) {
    const int32_t nb = e->w - ix < tn ? e->w - ix : tn;
    for (int32_t j = 0; j < nb; ++j) mcu_gemm_widen(row + (size_t)(ix + j) * e->c, e->c, cols, tn, j);
    mcu_gemm_block(we, cols, e->c, ce, nb, k->tile_m, tn, t, bias, k->e_rq_mode, e, dst + (size_t)ix * ce, ce);
  }
}

void mcu_k_stream_block_s8(const void *params, const void *aux0, const void *aux1, const void *in0,
                           const void *in1, const void *in2, void *out, void *scratch) {
  (void)in2;
  const mcu_k_stream_params_t *k = (const mcu_k_stream_params_t *)params;
  const mcu_k_conv_params_t *d = &k->d, *pj = &k->p;
  const int32_t ce = d->c, co = pj->o, ring = k->ring_rows, tn = k->tile_n;
  const int8_t *x = (const int8_t *)in0;
  const uint32_t *wq = (const uint32_t *)aux1; /* 4-byte aligned (kernel_call.h) */
  const int8_t *wd = (const int8_t *)aux1 + 4 * mcu_dw_packed_words(ce, d->kh * d->kw);
  const int8_t *wp = wd + (size_t)ce * d->kh * d->kw;
  const int32_t *t = (const int32_t *)aux0; /* 4-byte aligned tables (kernel_call.h) */
  const int32_t *d_tab = t + 2 * ce, *p_tab = t + 5 * ce;
  const int32_t *d_hr = k->d_rq_fast ? t + 6 * ce + 3 * co : NULL; /* mcu_dw_rq_fast's tables (k_stream_block.h) */
  int8_t *rows = (int8_t *)scratch, *dw_block = rows + (size_t)ring * d->w * ce;
  uint32_t *cols = (uint32_t *)(void *)(rows + k->cols_offset); /* 4-byte aligned (prepare) */
  int8_t *y = (int8_t *)out;
  for (int32_t b = 0; b < d->n; ++b) {
    int32_t next = 0; /* rows [0, next) were expanded (or skipped for good) */
    for (int32_t oy = 0; oy < d->oh; ++oy) {
      const int32_t y0 = oy * d->stride_h - d->pad_top;
      int32_t last = y0 + (d->kh - 1) * d->dilation_h;
      if (last > d->h - 1) last = d->h - 1;
      for (int32_t r = next > y0 ? next : (y0 > 0 ? y0 : 0); r <= last; ++r)
        stream_expand_row(k, x, (const int8_t *)in1, t, b, r, rows + (size_t)(r % ring) * d->w * ce, cols);
      if (last + 1 > next) next = last + 1;
      /* tile_n output pixels at a time: their depthwise values (ce bytes each, dw_block; k_conv_dw.h), then the
       * projection of the block on the GEMM core. */
      for (int32_t ox0 = 0; ox0 < d->ow; ox0 += tn) {
        const int32_t nb = d->ow - ox0 < tn ? d->ow - ox0 : tn;
        mcu_dw_row_s8(d, rows, ring, y0, ox0, nb, wd, wq, d_tab, d_tab + ce, d_hr, d_tab + 2 * ce, dw_block);
        for (int32_t j = 0; j < nb; ++j) {
          mcu_gemm_widen(dw_block + (size_t)j * ce, ce, cols, tn, j);
        }
        int8_t *yp = y + ((size_t)(b * d->oh + oy) * d->ow + ox0) * co;
        mcu_gemm_block(wp, cols, ce, co, nb, k->tile_m, tn, p_tab, p_tab + 2 * co, k->p_rq_mode, pj, yp, co);
      }
    }
  }
}
