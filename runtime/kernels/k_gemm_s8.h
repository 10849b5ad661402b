/* k_gemm_s8.h: the int8 GEMM core of the fast convolution and fully connected kernels (device and host side). */
#ifndef MCUNET_RUNTIME_KERNELS_K_GEMM_S8_H
#define MCUNET_RUNTIME_KERNELS_K_GEMM_S8_H

/* What: out[p, o] = clamp(MultiplyByQuantizedMultiplier(bias'[o] + sum_k w[o, k] * a[p, k], mult[o], shift[o]) +
 * output_offset) for a block of columns a[p, :] (k int8 values each) and the rows w[o, :] of an int8 filter in its
 * original [O, K] order. bias'[o] = bias[o] + input_offset * sum_k w[o, k] is folded at compile time (prepare), so
 * the inner loop multiplies raw int8 values: sum_k w * (x + input_offset) = sum_k w * x + input_offset * sum_k w in
 * int32 modular arithmetic, which is how both sides wrap, hence the result is mcu_k_conv_s8's to the bit.
 *
 * Why this shape (Cortex-M7 DSP): a column is widened once to int16 pairs ("widened column", below) and then used by
 * every output channel, so its widening is amortised over O; a filter word (4 int8) is widened by two SXTB16 into
 * (w0, w2) and (w1, w3) and multiplied with the column's matching pairs by SMLAD (two MACs per instruction). A
 * register tile of TM output channels x TN columns reuses each widened filter word TN times and each column word TM
 * times: per 4 k a 1x4 tile costs 1 LDR + 2 SXTB16 + 4 LDRD + 8 SMLAD for 16 MACs, a 2x2 tile 2 LDR + 4 SXTB16 + 2
 * LDRD + 8 SMLAD. Both fit the 14 usable registers (accumulators + operands + 2 pointers + bound).
 *
 * Widened column layout (4-byte aligned, col_words 32-bit words): for each full group of 4 values x0..x3 two
 * words, sxtb16(X) = (x0, x2) then sxtb16(X ror 8) = (x1, x3) (X the 4 bytes little-endian); then the k % 4 tail
 * values as int16 in order; col_words = 2 * (k / 4) + ceil((k % 4) / 2).
 *
 * Weakness: the filter is re-read from flash for every column block (no blocking over K), the k % 4 tail is scalar,
 * and the requantization (TF Lite's double rounding, per channel) costs ~15 instructions per output, which dominates
 * when k is small (k < 32). */

#include <stdint.h>

#include "k_dsp.h"
#include "k_fixedpoint.h"
#include "k_tflite.h"

/* Params of the fast kernels (k_conv_gemm.c): the scalar conv's params plus the GEMM view. FULLY_CONNECTED runs as
 * a 1x1 conv: n = 1, h = oh = 1, w = ow = batches, c = depth, o = units, kh = kw = groups = strides = dilations = 1,
 * no padding. */
typedef struct mcu_k_gemm_params {
  mcu_k_conv_params_t c; /* geometry and quantization, exactly as mcu_k_conv_s8 receives them (groups == 1) */
  int32_t k;             /* reduction length kh * kw * c (>= 1) */
  int32_t col_words;     /* mcu_gemm_col_words(k) */
  int32_t tile_m, tile_n; /* register tile: 1x4, 2x2 or 1x1 (output channels x pixels) */
} mcu_k_gemm_params_t;

/* Words of one widened column of k values. */
static inline int32_t mcu_gemm_col_words(int32_t k) { return 2 * (k >> 2) + (((k & 3) + 1) >> 1); }

/* Widens k contiguous int8 values at src into the column at dst (layout above). */
static inline void mcu_gemm_widen(const int8_t *src, int32_t k, uint32_t *dst) {
  const int32_t k4 = k >> 2;
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t x = mcu_dsp_load32(src + 4 * i);
    dst[2 * i] = mcu_dsp_sxtb16(x);
    dst[2 * i + 1] = mcu_dsp_sxtb16_ror8(x);
  }
  int16_t *t = (int16_t *)(dst + 2 * k4);
  for (int32_t j = 0; j < (k & 3); ++j) t[j] = src[4 * k4 + j];
}

/* Stores value v as element k of a widened column of length k_total (any k, any order of calls). */
static inline void mcu_gemm_put(uint32_t *col, int32_t k_total, int32_t k, int32_t v) {
  int16_t *e = (int16_t *)col;
  const int32_t idx = k < (k_total & ~3) ? ((k & ~3) | ((k & 1) << 1) | ((k & 2) >> 1)) : k;
  e[idx] = (int16_t)v;
}

/* The k % 4 tail of a widened column (int16 values in order). */
static inline const int16_t *mcu_gemm_tail(const uint32_t *col, int32_t k) {
  return (const int16_t *)(col + 2 * (k >> 2));
}

/* Accumulates one filter row w (k int8) against TN = 4 columns (col, col + cw, ...). */
static inline void mcu_gemm_tile_1x4(const int8_t *w, const uint32_t *col, int32_t cw, int32_t k, int32_t *acc) {
  const int32_t k4 = k >> 2;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const uint32_t *c0 = col, *c1 = col + cw, *c2 = col + 2 * cw, *c3 = col + 3 * cw;
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t x = mcu_dsp_load32(w + 4 * i);
    const uint32_t wa = mcu_dsp_sxtb16(x), wb = mcu_dsp_sxtb16_ror8(x);
    a0 = mcu_dsp_smlad(wa, c0[2 * i], a0);
    a0 = mcu_dsp_smlad(wb, c0[2 * i + 1], a0);
    a1 = mcu_dsp_smlad(wa, c1[2 * i], a1);
    a1 = mcu_dsp_smlad(wb, c1[2 * i + 1], a1);
    a2 = mcu_dsp_smlad(wa, c2[2 * i], a2);
    a2 = mcu_dsp_smlad(wb, c2[2 * i + 1], a2);
    a3 = mcu_dsp_smlad(wa, c3[2 * i], a3);
    a3 = mcu_dsp_smlad(wb, c3[2 * i + 1], a3);
  }
  const int16_t *t0 = mcu_gemm_tail(c0, k), *t1 = mcu_gemm_tail(c1, k), *t2 = mcu_gemm_tail(c2, k),
                *t3 = mcu_gemm_tail(c3, k);
  for (int32_t j = 0; j < (k & 3); ++j) {
    const int32_t wv = w[4 * k4 + j];
    a0 += wv * t0[j], a1 += wv * t1[j], a2 += wv * t2[j], a3 += wv * t3[j];
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Accumulates two filter rows (w, w + k) against TN = 2 columns: acc[m * 2 + n]. */
static inline void mcu_gemm_tile_2x2(const int8_t *w, const uint32_t *col, int32_t cw, int32_t k, int32_t *acc) {
  const int32_t k4 = k >> 2;
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  const int8_t *w0 = w, *w1 = w + k;
  const uint32_t *c0 = col, *c1 = col + cw;
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t x0 = mcu_dsp_load32(w0 + 4 * i), x1 = mcu_dsp_load32(w1 + 4 * i);
    const uint32_t w0a = mcu_dsp_sxtb16(x0), w0b = mcu_dsp_sxtb16_ror8(x0);
    const uint32_t w1a = mcu_dsp_sxtb16(x1), w1b = mcu_dsp_sxtb16_ror8(x1);
    const uint32_t p0 = c0[2 * i], q0 = c0[2 * i + 1], p1 = c1[2 * i], q1 = c1[2 * i + 1];
    a00 = mcu_dsp_smlad(w0a, p0, a00);
    a00 = mcu_dsp_smlad(w0b, q0, a00);
    a01 = mcu_dsp_smlad(w0a, p1, a01);
    a01 = mcu_dsp_smlad(w0b, q1, a01);
    a10 = mcu_dsp_smlad(w1a, p0, a10);
    a10 = mcu_dsp_smlad(w1b, q0, a10);
    a11 = mcu_dsp_smlad(w1a, p1, a11);
    a11 = mcu_dsp_smlad(w1b, q1, a11);
  }
  const int16_t *t0 = mcu_gemm_tail(c0, k), *t1 = mcu_gemm_tail(c1, k);
  for (int32_t j = 0; j < (k & 3); ++j) {
    const int32_t v0 = w0[4 * k4 + j], v1 = w1[4 * k4 + j];
    a00 += v0 * t0[j], a01 += v0 * t1[j], a10 += v1 * t0[j], a11 += v1 * t1[j];
  }
  acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
}

/* Accumulates one filter row against one column. */
static inline int32_t mcu_gemm_dot(const int8_t *w, const uint32_t *col, int32_t k, int32_t acc) {
  const int32_t k4 = k >> 2;
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t x = mcu_dsp_load32(w + 4 * i);
    acc = mcu_dsp_smlad(mcu_dsp_sxtb16(x), col[2 * i], acc);
    acc = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(x), col[2 * i + 1], acc);
  }
  const int16_t *t = mcu_gemm_tail(col, k);
  for (int32_t j = 0; j < (k & 3); ++j) acc += (int32_t)w[4 * k4 + j] * t[j];
  return acc;
}

/* The epilogue: MultiplyByQuantizedMultiplier (k_fixedpoint.h), + output_offset, clamp; the int8 byte. */
static inline int8_t mcu_gemm_requant(int32_t acc, int32_t mult, int32_t shift, const mcu_k_conv_params_t *q) {
  return (int8_t)mcu_fx_clamp(mcu_fx_mbqm(acc, mult, shift) + q->output_offset, q->act_min, q->act_max);
}

/* The block step shared by every fast kernel: nb (1..tn) widened columns at cols (cw words apart) times all O
 * filter rows; output column j goes to y + j * o_stride (o_stride >= O, channel o at offset o). tab: int32
 * mult[O], shift[O]; bias: int32 bias'[O]. tm x tn: 1x4, 2x2 or 1x1 (any other value runs as 1x1). */
static inline void mcu_gemm_block(const int8_t *w, const uint32_t *cols, int32_t cw, int32_t k, int32_t o_count,
                                  int32_t nb, int32_t tm, int32_t tn, const int32_t *tab, const int32_t *bias,
                                  const mcu_k_conv_params_t *q, int8_t *y, int32_t o_stride) {
  const int32_t *mult = tab, *shift = tab + o_count;
  if (tm == 1 && tn == 4 && nb == 4) {
    for (int32_t o = 0; o < o_count; ++o) {
      const int32_t b = bias[o];
      int32_t acc[4] = {b, b, b, b};
      mcu_gemm_tile_1x4(w + (size_t)o * k, cols, cw, k, acc);
      const int32_t m = mult[o], s = shift[o];
      for (int32_t j = 0; j < 4; ++j) y[(size_t)j * o_stride + o] = mcu_gemm_requant(acc[j], m, s, q);
    }
    return;
  }
  if (tm == 2 && tn == 2 && nb == 2) {
    int32_t o = 0;
    for (; o + 1 < o_count; o += 2) {
      int32_t acc[4] = {bias[o], bias[o], bias[o + 1], bias[o + 1]};
      mcu_gemm_tile_2x2(w + (size_t)o * k, cols, cw, k, acc);
      for (int32_t j = 0; j < 2; ++j) {
        y[(size_t)j * o_stride + o] = mcu_gemm_requant(acc[j], mult[o], shift[o], q);
        y[(size_t)j * o_stride + o + 1] = mcu_gemm_requant(acc[2 + j], mult[o + 1], shift[o + 1], q);
      }
    }
    if (o < o_count)
      for (int32_t j = 0; j < 2; ++j)
        y[(size_t)j * o_stride + o] =
            mcu_gemm_requant(mcu_gemm_dot(w + (size_t)o * k, cols + j * cw, k, bias[o]), mult[o], shift[o], q);
    return;
  }
  for (int32_t j = 0; j < nb; ++j)
    for (int32_t o = 0; o < o_count; ++o)
      y[(size_t)j * o_stride + o] =
          mcu_gemm_requant(mcu_gemm_dot(w + (size_t)o * k, cols + j * cw, k, bias[o]), mult[o], shift[o], q);
}

#endif
