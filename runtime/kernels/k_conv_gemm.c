/* k_conv_gemm.c: fast int8 convolutions (pointwise, im2col) and fully connected on the GEMM core (k_gemm_s8.h). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "k_gemm_s8.h"
#include "k_gemm_w16.h"

/* The three kernels compute exactly what mcu_k_conv_s8 / mcu_k_fc_s8 compute (groups == 1, filter zero point 0),
 * through the GEMM core: columns of tile_n output pixels are widened into the scratch, then multiplied by every
 * filter row (k_gemm_s8.h explains the bit-exactness: the input offset is folded into bias' at compile time).
 *
 * mcu_k_conv_pw_s8: 1x1 filter, no padding, any stride: column j is the input pixel (b, oy * stride_h,
 *   ox * stride_w), its c bytes widened in place of an im2col copy.
 * mcu_k_conv_im2col_s8: any kh x kw, stride, dilation, padding (groups 1): column j is the pixel's receptive field in
 *   filter order (ky, kx, ic); a position outside the image holds the input zero point z = -input_offset, whose
 *   term w * z cancels against the folded input_offset * w (w * (z + input_offset) = 0), which is the same as TF Lite
 *   Micro skipping it. Also the first layer of a network (few input channels: k = kh * kw * c is small and not a
 *   multiple of 4 per position; the column is built value by value).
 * mcu_k_fc_gemm_s8: FULLY_CONNECTED as a 1x1 conv (mcu_k_gemm_params_t), weights zero point 0.
 *
 * Params: mcu_k_gemm_params_t. aux0: int32 mult[O] then shift[O]; aux1: int32 bias'[O] = bias[O] (0 if none) +
 * input_offset * sum_k w[o, k] (wrapping int32). In the MMLA requantization modes (k_gemm_s8.h) aux0 holds one
 * record {bias'[o], m[o], C[o], R[o]} per channel instead and aux1 is unused (NULL). in0: int8 input NHWC (FC: [batches, depth]); in1: int8 filter
 * [O, kh, kw, c] (FC: [units, depth]); in2: unused (its bias is inside bias'). out: int8 [n, oh, ow, O].
 * scratch: one block of tile_n widened columns, mcu_gemm_block_words(k, tile_n) * 4 bytes (4-byte aligned); none
 * for the 1x1 tile of mcu_k_conv_pw_s8 / mcu_k_fc_gemm_s8, which reads the input in place (a fully connected
 * layer's one long row would otherwise need 2 bytes of scratch per input value), four output channels per pass
 * (mcu_gemm_dot4_direct: each input word is widened once for four filter rows).
 * The 4x1 tile of mcu_k_conv_pw_s8 (k_gemm_w16.h; c % 4 == 0, o % 4 == 0): aux0 is its compile-time stream (int16
 * filter pairs, biases, and in the fused form the multipliers), aux1 the epilogue's tables (mult || shift, or the
 * MMLA records) unless the stream holds them (then NULL); in1 is not read (lower.c folds the filter out of the
 * weights blob); scratch: one widened pixel, 2 * c bytes. Its 4x16 form (tile_n 16): aux0 the compact stream (int8
 * filter groups, mcu_w16_chunk), scratch up to 16 widened pixels then one widened tile (mcu_gemm_scratch_bytes).
 * The 2x1 tile (o == 2, c % 16 == 0; conv or fully connected): aux0 its stream (two channels' int16 pairs and
 * biases), aux1 the epilogue's tables, the input read in place, no scratch.
 * First layers (c % 4 != 0, dilation_w 1, k <= 256): a window entirely inside the image is gathered row by row
 * (kw * c contiguous bytes per row) into a stack buffer and widened as one run, 4 values per SXTB16 pair; windows
 * that touch the border go value by value (mcu_gemm_put, ~5 instructions per value).
 * Weakness: the column of a pixel whose window is entirely inside the image is still copied (widened) rather than
 * read in place; the gather costs a 256-byte stack buffer (outside the arena). */

/* Largest window (kh * kw * c bytes) gathered on the stack by the im2col kernel when c % 4 != 0. */
#define MCU_GEMM_GATHER_MAX 256

MCU_GEMM_INLINE void gemm_conv(const mcu_k_gemm_params_t *g, const int32_t *tab, const int32_t *bias, const int8_t *x,
                             const int8_t *w, int8_t *y, uint32_t *cols, int im2col) {
  const mcu_k_conv_params_t *c = &g->c;
  const int32_t k = g->k, tn = g->tile_n, o_count = c->o;
  const int32_t pixels = c->n * c->oh * c->ow;
  const int16_t zp = (int16_t)(-c->input_offset);
  const uint32_t zp2 = ((uint32_t)(uint16_t)zp) | ((uint32_t)(uint16_t)zp << 16);
  int32_t b = 0, oy = 0, ox = 0;
  int8_t gather[MCU_GEMM_GATHER_MAX] __attribute__((aligned(4))); /* one window (im2col, few input channels) */
  if (!im2col && g->tile_m == 4 && tn == 16) { /* 4x16: chunks of pixels widened, then the compact stream's tiles */
    const int32_t nqmax = pixels < MCU_W16_CHUNK ? pixels : MCU_W16_CHUNK, kw = k >> 1;
    int32_t *gs = (int32_t *)(cols + (size_t)nqmax * kw); /* one widened tile */
    for (int32_t p0 = 0; p0 < pixels; p0 += nqmax) {
      const int32_t nq = pixels - p0 < nqmax ? pixels - p0 : nqmax;
      for (int32_t j = 0; j < nq; ++j) {
        const int8_t *src = c->stride_h == 1 && c->stride_w == 1 && c->h == c->oh && c->w == c->ow
                                ? x + (size_t)(p0 + j) * c->c
                                : x + ((size_t)(b * c->h + oy * c->stride_h) * c->w + ox * c->stride_w) * c->c;
        uint32_t *xs = cols + (size_t)j * kw;
        mcu_w16_widen(src, xs, k, g->x_aligned);
        if (g->rq_mode >= MCU_GEMM_RQ_MMLA) /* 2x: the compact stream's filter is w itself, its bias 2 bias' */
          for (int32_t i = 0; i < kw; ++i) xs[i] = mcu_dsp_sadd16(xs[i], xs[i]);
        if (++ox == c->ow) {
          ox = 0;
          if (++oy == c->oh) oy = 0, ++b;
        }
      }
      mcu_w16_chunk(cols, nq, tab, gs, y + (size_t)p0 * o_count, k, o_count, g->rq_mode, g->w16_epi, bias, c);
    }
    return;
  }
  if (!im2col && g->tile_m == 2 && tn == 1) { /* the 2x1 tile (k_gemm_w16.h, o == 2): tab its stream, bias aux1 */
    for (int32_t p0 = 0; p0 < pixels; ++p0) {
      const int8_t *src = c->stride_h == 1 && c->stride_w == 1 && c->h == c->oh && c->w == c->ow
                              ? x + (size_t)p0 * c->c
                              : x + ((size_t)(b * c->h + oy * c->stride_h) * c->w + ox * c->stride_w) * c->c;
      int32_t acc[2];
      mcu_w16_pair(src, tab, k, g->x_aligned, acc);
      for (int32_t j = 0; j < 2; ++j) {
        const mcu_gemm_rq_t r = mcu_gemm_rq(bias, o_count, j, g->rq_mode, c);
        y[(size_t)p0 * o_count + j] = mcu_w16_requant(acc[j], &r, g->rq_mode, c);
      }
      if (++ox == c->ow) {
        ox = 0;
        if (++oy == c->oh) oy = 0, ++b;
      }
    }
    return;
  }
  if (!im2col && g->tile_m == 4 && tn == 1) { /* the 4x1 tile (k_gemm_w16.h): tab is its stream, bias its tables */
    for (int32_t p0 = 0; p0 < pixels; ++p0) {
      const int8_t *src = c->stride_h == 1 && c->stride_w == 1 && c->h == c->oh && c->w == c->ow
                              ? x + (size_t)p0 * c->c
                              : x + ((size_t)(b * c->h + oy * c->stride_h) * c->w + ox * c->stride_w) * c->c;
      mcu_w16_pixel(src, cols, tab, y + (size_t)p0 * o_count, k, o_count, g->rq_mode, g->w16_epi, g->w16_shift, bias, c,
                    g->x_aligned);
      if (++ox == c->ow) {
        ox = 0;
        if (++oy == c->oh) oy = 0, ++b;
      }
    }
    return;
  }
  if (!im2col && tn == 1) { /* the 1x1 tile of a 1x1 conv / fully connected layer: no scratch, x read in place */
    for (int32_t p0 = 0; p0 < pixels; ++p0) {
      const int8_t *src = c->stride_h == 1 && c->stride_w == 1 && c->h == c->oh && c->w == c->ow
                              ? x + (size_t)p0 * c->c
                              : x + ((size_t)(b * c->h + oy * c->stride_h) * c->w + ox * c->stride_w) * c->c;
      int8_t *yp = y + (size_t)p0 * o_count;
      int32_t o = 0;
      for (; o + 3 < o_count; o += 4) { /* four rows per pass over the input (mcu_gemm_dot4_direct) */
        int32_t acc[4];
        for (int32_t r = 0; r < 4; ++r) acc[r] = mcu_gemm_bias(tab, bias, o + r, g->rq_mode);
        mcu_gemm_dot4_direct(w + (size_t)o * k, src, k, acc);
        for (int32_t r = 0; r < 4; ++r) {
          const mcu_gemm_rq_t rq = mcu_gemm_rq(tab, o_count, o + r, g->rq_mode, c);
          yp[o + r] = mcu_gemm_requant(acc[r], &rq, g->rq_mode, c);
        }
      }
      for (; o < o_count; ++o) {
        const mcu_gemm_rq_t r = mcu_gemm_rq(tab, o_count, o, g->rq_mode, c);
        yp[o] = mcu_gemm_requant(mcu_gemm_dot_direct(w + (size_t)o * k, src, k, mcu_gemm_bias(tab, bias, o, g->rq_mode)), &r, g->rq_mode, c);
      }
      if (++ox == c->ow) {
        ox = 0;
        if (++oy == c->oh) oy = 0, ++b;
      }
    }
    return;
  }
  for (int32_t p0 = 0; p0 < pixels; p0 += tn) {
    const int32_t nb = pixels - p0 < tn ? pixels - p0 : tn;
    for (int32_t j = 0; j < nb; ++j) {
      if (!im2col) {
        const int8_t *src = c->stride_h == 1 && c->stride_w == 1 && c->h == c->oh && c->w == c->ow
                                ? x + (size_t)(p0 + j) * c->c
                                : x + ((size_t)(b * c->h + oy * c->stride_h) * c->w + ox * c->stride_w) * c->c;
        mcu_gemm_widen(src, k, cols, tn, j);
      } else {
        const int32_t y0 = oy * c->stride_h - c->pad_top, x0 = ox * c->stride_w - c->pad_left;
        const int32_t run = c->kw * c->c; /* bytes of one window row (dilation_w 1: contiguous in the input) */
        if ((c->c & 3) != 0 && c->dilation_w == 1 && k <= MCU_GEMM_GATHER_MAX && y0 >= 0 && x0 >= 0 &&
            y0 + (c->kh - 1) * c->dilation_h < c->h && x0 + c->kw - 1 < c->w) {
          /* the window is inside the image: its kh rows copied end to end, then widened as one contiguous run */
          int8_t *gp = gather;
          for (int32_t ky = 0; ky < c->kh; ++ky, gp += run)
            memcpy(gp, x + ((size_t)(b * c->h + y0 + ky * c->dilation_h) * c->w + x0) * c->c, (size_t)run);
          mcu_gemm_widen(gather, k, cols, tn, j);
        } else {
          for (int32_t ky = 0; ky < c->kh; ++ky) {
            const int32_t iy = y0 + ky * c->dilation_h;
            for (int32_t kx = 0; kx < c->kw; ++kx) {
              const int32_t ix = x0 + kx * c->dilation_w;
              const int inside = iy >= 0 && iy < c->h && ix >= 0 && ix < c->w;
              const int8_t *src = inside ? x + ((size_t)(b * c->h + iy) * c->w + ix) * c->c : x;
              const int32_t k0 = (ky * c->kw + kx) * c->c;
              if ((c->c & 3) == 0) { /* runs start on a group of 4: widen or fill whole words */
                if (inside) {
                  mcu_gemm_widen(src, c->c, cols + 2 * tn * (k0 / 4), tn, j);
                } else {
                  mcu_gemm_fill(cols, tn, j, k0 / 4, c->c / 4, zp2);
                }
              } else {
                for (int32_t i = 0; i < c->c; ++i) mcu_gemm_put(cols, k, tn, j, k0 + i, inside ? src[i] : zp);
              }
            }
          }
        }
      }
      if (++ox == c->ow) {
        ox = 0;
        if (++oy == c->oh) oy = 0, ++b;
      }
    }
    mcu_gemm_block(w, cols, k, o_count, nb, g->tile_m, tn, tab, bias, g->rq_mode, c, y + (size_t)p0 * o_count, o_count);
  }
}

void mcu_k_conv_pw_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)in2;
  gemm_conv((const mcu_k_gemm_params_t *)params, (const int32_t *)aux0, (const int32_t *)aux1, (const int8_t *)in0,
            (const int8_t *)in1, (int8_t *)out, (uint32_t *)scratch, 0);
}

void mcu_k_conv_im2col_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                          const void *in2, void *out, void *scratch) {
  (void)in2;
  gemm_conv((const mcu_k_gemm_params_t *)params, (const int32_t *)aux0, (const int32_t *)aux1, (const int8_t *)in0,
            (const int8_t *)in1, (int8_t *)out, (uint32_t *)scratch, 1);
}

void mcu_k_fc_gemm_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)in2;
  gemm_conv((const mcu_k_gemm_params_t *)params, (const int32_t *)aux0, (const int32_t *)aux1, (const int8_t *)in0,
            (const int8_t *)in1, (int8_t *)out, (uint32_t *)scratch, 0);
}
