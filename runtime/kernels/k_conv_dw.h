/* k_conv_dw.h: the int8 depthwise convolution core shared by the depthwise kernels and the streamed block. */
#ifndef MCUNET_RUNTIME_KERNELS_K_CONV_DW_H
#define MCUNET_RUNTIME_KERNELS_K_CONV_DW_H

/* What: mcu_dw_row_s8 computes a run of depthwise output pixels (multiplier 1) of one output row, all channels,
 * exactly as mcu_k_conv_s8 does (k_conv.c: int32 sum over the taps inside the image of w * (x + input_offset),
 * + bias, MultiplyByQuantizedMultiplier, + output_offset, clamp). It lives in a header as `static inline` so that
 * each caller (k_conv_dw.c, k_stream_block.c) gets it inlined and specialised on its constant params.
 *
 * Algorithm: per output pixel, the valid tap window [ky_lo, ky_hi) x [kx_lo, kx_hi) is computed once (image
 * borders); a pixel whose window is complete runs a copy of the loop with constant bounds (fully unrolled by LLVM,
 * no bounds checks), a border pixel the same loop with its clipped bounds, so skipped taps are skipped exactly as
 * in mcu_k_conv_s8 and no offset folding is needed. Channels go by 4: one 32-bit load brings the 4 NHWC channels
 * of a tap, SXTAB16 splits them into the pairs (c, c+2) and (c+1, c+3) as int16 with input_offset already added
 * (x + input_offset is in [-255, 255], so the 16-bit lanes never carry), and SMLABB / SMLATB multiply each lane by
 * its channel's weight into 4 int32 accumulators; leftover channels (C % 4) run one at a time. The requantization
 * (dw_mbqm) takes an exact short path when it can (see there).
 * Exactness: each accumulator is the int32 (wrapping) sum of the same products as mcu_k_conv_s8's, in another
 * order; int32 addition modulo 2^32 is commutative and associative, so the sums are equal; the requantization is
 * mcu_fx_mbqm's value (proof at mcu_dw_mbqm), the offset and clamp are the same expressions.
 * Weakness: without wq (mcu_k_conv_dw_s8) the 4 weights of a tap are 4 byte loads, about 2.75 instructions per MAC
 * in the loop; with wq (the streamed block: its prepare packs the filter, a second copy of it in flash) about 2.25;
 * plus ~15 per output for the requantization, and border windows (clipped loops) cost about twice a complete one.
 *
 * Params: d: the depthwise conv's params (groups == c == o, all sizes >= 1). rows: the input rows of one batch
 * element, row r (0 <= r < d->h) at rows + (r % ring) * d->w * d->c (ring = d->h for a whole tensor; the ring of
 * the streamed block otherwise; every row of the window that is inside the image must be present). y0 = oy *
 * stride_h - pad_top of the output row, ox0 its first output column, npix >= 1 columns. w: int8 filter [c, kh, kw]
 * (the conv's own layout); wq: the same filter packed by mcu_dw_pack (4-byte aligned), or NULL (then the 4-channel
 * loops load the 4 weight bytes of a tap one by one). mult, shift: int32 [c] (mult in [0, 2^31 - 1] as
 * mcu_quantize_multiplier makes it, shift in [-31, 31]); hr: NULL, or when every channel is mcu_dw_rq_fast_ok, its
 * int32 [2c] tables (mcu_dw_rq_fast_make; the requantization is then mcu_dw_rq_fast). bias: int32 [c] or NULL.
 * out: int8 [npix, c]. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "k_fixedpoint.h"
#include "k_onnx_rq.h"
#include "k_tflite.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* An empty asm that takes the four accumulators in registers: LLVM must finish all four sums before the first
 * requantization (otherwise it sinks three of them past the first one's branch and spills their inputs). */
#define MCU_DW_KEEP4(a, b, c, d) __asm__("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d))

#define MCU_DW_KMAX 8 /* kernel heights up to this run the fast paths (a row-pointer array of this size) */

/* Low and high signed 16-bit lane of a 32-bit pattern. */
static inline int32_t mcu_dw_lo16(uint32_t v) { return (int32_t)((v & 0xffffu) ^ 0x8000u) - 0x8000; }
static inline int32_t mcu_dw_hi16(uint32_t v) { return (int32_t)((v >> 16) ^ 0x8000u) - 0x8000; }

/* SXTAB16(a, b): lanes (lo16(a) + sext(byte0(b)), hi16(a) + sext(byte2(b))), each modulo 2^16. */
static inline uint32_t mcu_dw_sxtab16(uint32_t a, uint32_t b) {
#if defined(__ARM_FEATURE_DSP)
  return (uint32_t)__sxtab16((int32_t)a, (int32_t)b);
#else
  const uint32_t b0 = (uint32_t)((int32_t)((b & 0xffu) ^ 0x80u) - 0x80);
  const uint32_t b2 = (uint32_t)((int32_t)(((b >> 16) & 0xffu) ^ 0x80u) - 0x80);
  return ((a + b0) & 0xffffu) | (((a >> 16) + b2) << 16);
#endif
}

/* acc + lo16(a) * lo16(b) and acc + hi16(a) * lo16(b), wrapping modulo 2^32 (SMLABB / SMLATB). */
static inline int32_t mcu_dw_smlabb(uint32_t a, int32_t b, int32_t acc) {
#if defined(__ARM_FEATURE_DSP)
  return __smlabb((int32_t)a, b, acc);
#else
  return mcu_fx_i32((uint32_t)acc + (uint32_t)(mcu_dw_lo16(a) * mcu_dw_lo16((uint32_t)b)));
#endif
}
static inline int32_t mcu_dw_smlatb(uint32_t a, int32_t b, int32_t acc) {
#if defined(__ARM_FEATURE_DSP)
  return __smlatb((int32_t)a, b, acc);
#else
  return mcu_fx_i32((uint32_t)acc + (uint32_t)(mcu_dw_hi16(a) * mcu_dw_lo16((uint32_t)b)));
#endif
}

static inline int32_t mcu_dw_smlatt(uint32_t a, uint32_t b, int32_t acc) {
#if defined(__ARM_FEATURE_DSP)
  return __smlatt((int32_t)a, (int32_t)b, acc);
#else
  return mcu_fx_i32((uint32_t)acc + (uint32_t)(mcu_dw_hi16(a) * mcu_dw_hi16(b)));
#endif
}

/* The filter of channels [4q, 4q + 4) packed for the 4-channel loops (prepared at compile time by the callers'
 * prepare, see mcu_dw_pack): per tap t (ky * kw + kx), wq[q * 2T + 2t] = (w[4q][t], w[4q + 2][t]) and
 * wq[q * 2T + 2t + 1] = (w[4q + 1][t], w[4q + 3][t]) as int16 pairs, matching SXTAB16's lanes (c, c + 2) and
 * (c + 1, c + 3): one 64-bit load brings a tap's 4 weights (4 byte loads otherwise). Channels past the last
 * multiple of 4 keep the int8 layout. */
static inline size_t mcu_dw_packed_words(int32_t c, int32_t taps) { return (size_t)(c / 4) * 2 * (size_t)taps; }

static inline void mcu_dw_pack(const int8_t *w, int32_t c, int32_t taps, uint32_t *out_wq) {
  for (int32_t q = 0; q < c / 4; ++q)
    for (int32_t t = 0; t < taps; ++t) {
      const int8_t *wt = w + (size_t)4 * q * taps + t;
      uint32_t *o = out_wq + (size_t)q * 2 * taps + 2 * t;
      o[0] = ((uint32_t)(int32_t)wt[0] & 0xffffu) | (uint32_t)(int32_t)wt[2 * taps] << 16;
      o[1] = ((uint32_t)(int32_t)wt[taps] & 0xffffu) | (uint32_t)(int32_t)wt[3 * taps] << 16;
    }
}

/* 4 bytes from any address (an unaligned LDR on the Cortex-M7). */
static inline uint32_t mcu_dw_load4(const int8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Four output bytes with one (unaligned) 32-bit store; byte k of the word is b_k in memory on a little-endian
 * target (the Cortex-M7 build and every host this project builds on). */
static inline void mcu_dw_store4(int8_t *p, int8_t b0, int8_t b1, int8_t b2, int8_t b3) {
  const uint32_t v =
      (uint32_t)(uint8_t)b0 | (uint32_t)(uint8_t)b1 << 8 | (uint32_t)(uint8_t)b2 << 16 | (uint32_t)(uint8_t)b3 << 24;
  memcpy(p, &v, 4);
}

/* mcu_fx_mbqm(x, m, shift), with a short exact path. When -30 <= shift <= -1 and -2^30 <= x < 2^30:
 * 2x fits int32, so ((2x * m + 2^31) >> 32) = floor((x * m + 2^30) / 2^31) = srdhm(x, m) (x is not INT32_MIN:
 * no saturation case); one SMMULR on the Cortex-M7. Its result t has |t| <= 2^30, so t + 2^(e-1) cannot overflow
 * (e = -shift <= 30), and floor((t + 2^(e-1) - [t < 0]) / 2^e) = rdbypot(t, e): with r = t mod 2^e the added
 * term carries into the quotient exactly when r >= 2^(e-1) + [t < 0], i.e. r > gemmlowp's threshold
 * 2^(e-1) - 1 + [t < 0]. Every other case goes through mcu_fx_mbqm itself. */
static inline int32_t mcu_dw_mbqm(int32_t x, int32_t m, int32_t shift) {
  if ((uint32_t)shift + 30u < 30u && (uint32_t)x + 0x40000000u < 0x80000000u) {
    const int32_t x2 = mcu_fx_i32((uint32_t)x << 1);
    const int32_t t = (int32_t)mcu_fx_asr64((int64_t)x2 * m + ((int64_t)1 << 31), 32);
    const int e = -shift;
    return mcu_fx_asr32(t + ((int32_t)1 << (e - 1)) - (int32_t)((uint32_t)t >> 31), e);
  }
  return mcu_fx_mbqm(x, m, shift);
}

/* The output byte of accumulator acc (bias included) for a channel with multiplier m and shift s. With d->onnx_rq
 * (a compile-time constant of the layer) m holds the bits of the channel's float32 multiplier
 * (mcu_ref_requant_scale) and the output is mcu_onnx_rq's (prepare_onnx_conv.c checks mcu_onnx_rq_short_ok). */
static inline int8_t mcu_dw_out(const mcu_k_conv_params_t *d, int32_t acc, int32_t m, int32_t s) {
  if (d->onnx_rq) {
    float mf;
    memcpy(&mf, &m, sizeof mf);
    return (int8_t)mcu_onnx_rq(acc, mf, d->output_offset, d->act_min, d->act_max);
  }
  const int32_t v = mcu_dw_mbqm(acc, m, s) + d->output_offset;
  return (int8_t)mcu_fx_clamp(v, d->act_min, d->act_max);
}

/* MultiplyByQuantizedMultiplier(acc, m, shift) for m >= 0 and shift in [-31, -2] (R = -shift), with hb = 2^(R-2)
 * and r1 = R - 1 worked out beforehand (mcu_dw_rq_fast_ok, mcu_dw_rq_fast_make). v = srdhm(acc, m) = floor((acc m +
 * 2^30) / 2^31) and rdbypot(v, R) = floor((v + 2^(R-1) - [v < 0]) / 2^R) combine into floor((acc m + 2^30 +
 * 2^(30+R) - [v < 0] 2^31) / 2^(31+R)) (a floor of a floor by an integer); [v < 0] may be [acc < 0] (they differ
 * only where v = 0, and both give 0 there), and that nudge as a 64-bit hi:lo is hi = 2^(R-2) - [acc < 0], lo = 2^30
 * + [acc < 0] 2^31; |acc m| < 2^62, so nothing overflows; the result is hi(acc m + nudge) >> (R - 1): one SMLAL and
 * a shift (the GEMM core's MCU_GEMM_RQ_FAST, k_gemm_s8.h). k_conv_dw_test.c checks it against mcu_fx_mbqm. */
static inline int32_t mcu_dw_rq_fast(int32_t acc, int32_t m, int32_t hb, int32_t r1) {
  const int32_t sgn = mcu_fx_asr32(acc, 31);
  const uint32_t lo = 0x40000000u | ((uint32_t)sgn & 0x80000000u);
  const uint32_t hi = (uint32_t)hb + (uint32_t)sgn;
  const uint64_t nudge = ((uint64_t)hi << 32) | lo;
  const int64_t n = (int64_t)(nudge + (uint64_t)((int64_t)acc * (int64_t)m));
  return mcu_fx_asr32((int32_t)mcu_fx_asr64(n, 32), r1);
}

static inline int mcu_dw_rq_fast_ok(int32_t m, int32_t shift) { return m >= 0 && shift <= -2 && shift >= -31; }

/* hb and r1 of mcu_dw_rq_fast for c channels (each mcu_dw_rq_fast_ok): out_hr[k] = hb, out_hr[c + k] = r1. */
static inline void mcu_dw_rq_fast_make(const int32_t *shift, int32_t c, int32_t *out_hr) {
  for (int32_t k = 0; k < c; ++k)
    out_hr[k] = (int32_t)((uint32_t)1 << (-shift[k] - 2)), out_hr[c + k] = -shift[k] - 1;
}

/* The output byte of channel c's accumulator: through mcu_dw_rq_fast when hr (its tables over the cs channels of
 * the layer) is given, else mcu_dw_out. */
static inline int8_t mcu_dw_out_hr(const mcu_k_conv_params_t *d, int32_t acc, const int32_t *mult, const int32_t *shift,
                                   const int32_t *hr, int32_t cs, int32_t c) {
  if (hr) {
    const int32_t v = mcu_dw_rq_fast(acc, mult[c], hr[c], hr[cs + c]) + d->output_offset;
    return (int8_t)mcu_fx_clamp(v, d->act_min, d->act_max);
  }
  return mcu_dw_out(d, acc, mult[c], shift[c]);
}

/* A channel's requantization constants worked out once (by a caller that reuses them for many outputs):
 * e = -shift and k = 2^(e-1) when -30 <= shift <= -1 (mcu_dw_mbqm's short path applies), else e = 0. */
typedef struct mcu_dw_rq {
  int32_t m, s, e, k;
} mcu_dw_rq_t;

static inline mcu_dw_rq_t mcu_dw_rq_make(int32_t m, int32_t s) {
  mcu_dw_rq_t q = {m, s, 0, 0};
  if (s <= -1 && s >= -30)
    q.e = -s, q.k = (int32_t)1 << (-s - 1);
  return q;
}

/* mcu_dw_out with the constants of q: the same value (mcu_dw_mbqm's short path, else mcu_fx_mbqm). */
static inline int8_t mcu_dw_out_rq(const mcu_k_conv_params_t *d, int32_t acc, const mcu_dw_rq_t *q) {
  int32_t v;
  if (q->e != 0 && (uint32_t)acc + 0x40000000u < 0x80000000u) {
    const int32_t x2 = mcu_fx_i32((uint32_t)acc << 1);
    const int32_t t = (int32_t)mcu_fx_asr64((int64_t)x2 * q->m + ((int64_t)1 << 31), 32);
    v = mcu_fx_asr32(t + q->k - (int32_t)((uint32_t)t >> 31), q->e);
  } else {
    v = mcu_fx_mbqm(acc, q->m, q->s);
  }
  return (int8_t)mcu_fx_clamp(v + d->output_offset, d->act_min, d->act_max);
}

/* One output pixel, taps [ky_lo, ky_hi) x [kx_lo, kx_hi), row ky at rp[ky] (offset in bytes of the row start),
 * input column of tap kx: x0 + kx * dilation_w. */
static inline __attribute__((always_inline)) void
mcu_dw_pixel_s8(const mcu_k_conv_params_t *d, const int8_t *rows, const int32_t *rp, int32_t x0, int32_t ky_lo,
                int32_t ky_hi, int32_t kx_lo, int32_t kx_hi, const int8_t *w, const uint32_t *wq, const int32_t *mult,
                const int32_t *shift, const int32_t *hr, const int32_t *bias, int8_t *out) {
  const int32_t C = d->c, kw = d->kw, T = d->kh * d->kw;
  const uint32_t off2 = ((uint32_t)d->input_offset & 0xffffu) * 0x10001u;
  int32_t c = 0;
  for (; c + 4 <= C; c += 4) {
    int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
    int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
    const int8_t *wc = w + (size_t)c * T;
    for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
      const int8_t *r = rows + rp[ky] + c;
      for (int32_t kx = kx_lo; kx < kx_hi; ++kx) {
        const uint32_t xv = mcu_dw_load4(r + (ptrdiff_t)(x0 + kx * d->dilation_w) * C);
        const uint32_t xe = mcu_dw_sxtab16(off2, xv), xo = mcu_dw_sxtab16(off2, (xv >> 8) | (xv << 24));
        if (wq) {
          const uint32_t *wp = wq + (size_t)(c / 4) * 2 * T + 2 * (ky * kw + kx);
          a0 = mcu_dw_smlabb(xe, (int32_t)wp[0], a0);
          a2 = mcu_dw_smlatt(xe, wp[0], a2);
          a1 = mcu_dw_smlabb(xo, (int32_t)wp[1], a1);
          a3 = mcu_dw_smlatt(xo, wp[1], a3);
          continue;
        }
        const int8_t *wt = wc + ky * kw + kx;
        a0 = mcu_dw_smlabb(xe, wt[0], a0);
        a1 = mcu_dw_smlabb(xo, wt[T], a1);
        a2 = mcu_dw_smlatb(xe, wt[2 * T], a2);
        a3 = mcu_dw_smlatb(xo, wt[3 * T], a3);
      }
    }
    MCU_DW_KEEP4(a0, a1, a2, a3);
    mcu_dw_store4(out + c, mcu_dw_out_hr(d, a0, mult, shift, hr, C, c), mcu_dw_out_hr(d, a1, mult, shift, hr, C, c + 1),
                  mcu_dw_out_hr(d, a2, mult, shift, hr, C, c + 2), mcu_dw_out_hr(d, a3, mult, shift, hr, C, c + 3));
  }
  for (; c < C; ++c) {
    int32_t acc = bias ? bias[c] : 0;
    const int8_t *wc = w + (size_t)c * T;
    for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
      const int8_t *r = rows + rp[ky] + c;
      for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
        acc = mcu_fx_add_wrap(acc, (int32_t)wc[ky * kw + kx] *
                                       ((int32_t)r[(ptrdiff_t)(x0 + kx * d->dilation_w) * C] + d->input_offset));
    }
    out[c] = mcu_dw_out_hr(d, acc, mult, shift, hr, C, c);
  }
}

/* A pixel whose window is complete: mcu_dw_pixel_s8 with the loops fully unrolled (constant trip counts once the
 * params are constants), the tap addresses constant offsets from the row pointers. Kept a separate body so that
 * LLVM does not merge it with the clipped copy. Channels [0, cn) of rows whose pixels are cs bytes apart (cs = c
 * for NHWC rows; the in-place kernel's ring holds a slice of 4 channels); w, mult, shift, bias, out start at the
 * first of those channels. rq: the channels' requantization constants (mcu_dw_rq_make), or NULL: from mult/shift. */
static inline __attribute__((always_inline)) void mcu_dw_pixel_full_s8(const mcu_k_conv_params_t *d, const int8_t *rows,
                                                                       const int32_t *rp, int32_t x0, int32_t cn,
                                                                       int32_t cs, const int8_t *w,
                                                                       const uint32_t *wq, const int32_t *mult,
                                                                       const int32_t *shift, const int32_t *hr,
                                                                       const int32_t *bias, const mcu_dw_rq_t *rq,
                                                                       int8_t *out) {
  const int32_t C = cn, kh = d->kh, kw = d->kw, T = d->kh * d->kw, step = d->dilation_w * cs;
  const uint32_t off2 = ((uint32_t)d->input_offset & 0xffffu) * 0x10001u;
  int32_t c = 0;
  for (; c + 4 <= C; c += 4) {
    int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
    int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
    const int8_t *wc = w + (size_t)c * T;

    for (int32_t ky = 0; ky < kh; ++ky) {
      const int8_t *r = rows + rp[ky] + (ptrdiff_t)x0 * cs + c;
      const int8_t *wt = wc + ky * kw;

      for (int32_t kx = 0; kx < kw; ++kx) {
        const uint32_t xv = mcu_dw_load4(r + kx * step);
        const uint32_t xe = mcu_dw_sxtab16(off2, xv), xo = mcu_dw_sxtab16(off2, (xv >> 8) | (xv << 24));
        if (wq) {
          const uint32_t *wp = wq + (size_t)(c / 4) * 2 * T + 2 * (ky * kw + kx);
          a0 = mcu_dw_smlabb(xe, (int32_t)wp[0], a0);
          a2 = mcu_dw_smlatt(xe, wp[0], a2);
          a1 = mcu_dw_smlabb(xo, (int32_t)wp[1], a1);
          a3 = mcu_dw_smlatt(xo, wp[1], a3);
          continue;
        }
        a0 = mcu_dw_smlabb(xe, wt[kx], a0);
        a1 = mcu_dw_smlabb(xo, wt[T + kx], a1);
        a2 = mcu_dw_smlatb(xe, wt[2 * T + kx], a2);
        a3 = mcu_dw_smlatb(xo, wt[3 * T + kx], a3);
      }
    }
    MCU_DW_KEEP4(a0, a1, a2, a3);
    if (rq)
      mcu_dw_store4(out + c, mcu_dw_out_rq(d, a0, &rq[c]), mcu_dw_out_rq(d, a1, &rq[c + 1]),
                    mcu_dw_out_rq(d, a2, &rq[c + 2]), mcu_dw_out_rq(d, a3, &rq[c + 3]));
    else
      mcu_dw_store4(out + c, mcu_dw_out_hr(d, a0, mult, shift, hr, C, c),
                    mcu_dw_out_hr(d, a1, mult, shift, hr, C, c + 1), mcu_dw_out_hr(d, a2, mult, shift, hr, C, c + 2),
                    mcu_dw_out_hr(d, a3, mult, shift, hr, C, c + 3));
  }
  for (; c < C; ++c) {
    int32_t acc = bias ? bias[c] : 0;
    const int8_t *wc = w + (size_t)c * T;

    for (int32_t ky = 0; ky < kh; ++ky) {
      const int8_t *r = rows + rp[ky] + (ptrdiff_t)x0 * cs + c;

      for (int32_t kx = 0; kx < kw; ++kx)
        acc = mcu_fx_add_wrap(acc, (int32_t)wc[ky * kw + kx] * ((int32_t)r[kx * step] + d->input_offset));
    }
    out[c] = rq ? mcu_dw_out_rq(d, acc, &rq[c]) : mcu_dw_out_hr(d, acc, mult, shift, hr, C, c);
  }
}

/* The first k in [0, n) with lo <= start + k * step (step >= 1), or n. */
static inline int32_t mcu_dw_first_at_least(int32_t start, int32_t step, int32_t lo, int32_t n) {
  if (start >= lo)
    return 0;
  const int32_t k = (lo - start + step - 1) / step;
  return k < n ? k : n;
}

/* One past the last k in [0, n) with start + k * step <= hi (step >= 1), or 0. */
static inline int32_t mcu_dw_end_at_most(int32_t start, int32_t step, int32_t hi, int32_t n) {
  if (start > hi)
    return 0;
  const int32_t k = (hi - start) / step + 1;
  return k < n ? k : n;
}

/* See the top of this file. Always inlined: each layer gets its own copy specialised on its constant params (an
 * out-of-line copy shared by several layers would run with run-time shapes). */
static inline __attribute__((always_inline)) void
mcu_dw_row_s8(const mcu_k_conv_params_t *d, const int8_t *rows, int32_t ring, int32_t y0, int32_t ox0, int32_t npix,
              const int8_t *w, const uint32_t *wq, const int32_t *mult, const int32_t *shift, const int32_t *hr,
              const int32_t *bias, int8_t *out) {
  const int32_t C = d->c, kh = d->kh, kw = d->kw, dh = d->dilation_h, dw = d->dilation_w;
  const int32_t row_bytes = d->w * C;
  const int32_t ky_lo = mcu_dw_first_at_least(y0, dh, 0, kh), ky_hi = mcu_dw_end_at_most(y0, dh, d->h - 1, kh);
  if (kh <= MCU_DW_KMAX) {
    int32_t rp[MCU_DW_KMAX];
    for (int32_t ky = ky_lo; ky < ky_hi; ++ky)
      rp[ky] = ((y0 + ky * dh) % ring) * row_bytes;
    for (int32_t p = 0; p < npix; ++p) {
      const int32_t x0 = (ox0 + p) * d->stride_w - d->pad_left;
      const int32_t kx_lo = mcu_dw_first_at_least(x0, dw, 0, kw), kx_hi = mcu_dw_end_at_most(x0, dw, d->w - 1, kw);
      int8_t *o = out + (size_t)p * C;
      if (ky_lo == 0 && ky_hi == kh && kx_lo == 0 && kx_hi == kw)
        mcu_dw_pixel_full_s8(d, rows, rp, x0, C, C, w, wq, mult, shift, hr, bias, NULL, o);
      else
        mcu_dw_pixel_s8(d, rows, rp, x0, ky_lo, ky_hi, kx_lo, kx_hi, w, wq, mult, shift, hr, bias, o);
    }
    return;
  }
  /* Taller kernels: the same sums, one tap at a time. */
  for (int32_t p = 0; p < npix; ++p) {
    const int32_t x0 = (ox0 + p) * d->stride_w - d->pad_left;
    const int32_t kx_lo = mcu_dw_first_at_least(x0, dw, 0, kw), kx_hi = mcu_dw_end_at_most(x0, dw, d->w - 1, kw);
    for (int32_t c = 0; c < C; ++c) {
      int32_t acc = bias ? bias[c] : 0;
      for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
        const int8_t *r = rows + (size_t)(((y0 + ky * dh) % ring) * row_bytes) + c;
        for (int32_t kx = kx_lo; kx < kx_hi; ++kx)
          acc = mcu_fx_add_wrap(acc, (int32_t)w[((size_t)c * kh + ky) * kw + kx] *
                                         ((int32_t)r[(ptrdiff_t)(x0 + kx * dw) * C] + d->input_offset));
      }
      out[(size_t)p * C + c] = mcu_dw_out(d, acc, mult[c], shift[c]);
    }
  }
}

/* ---- The in-place kernel's ring (k_conv_dw.c, mcu_k_conv_dw_inplace_s8); shared with its prepare. ---- */

/* The in-place kernel's variants (mcu_dw_inplace_ring picks one from the constant params):
 *  - MCU_DW_RING16, one channel at a time: S = slots = (kh - 1) * dilation_h + 1 (the window height) int16 rows
 *    stored twice (2 * S rows: a window's rows are S consecutive ones), each row `pw` int16 columns: pl zero
 *    columns on the left, the w input columns as x + input_offset, zero columns on the right up to the last window
 *    column, plus one more zero column (the taps go in pairs; an odd kernel width reads one column past its window
 *    with a zero weight): 2 * S * pw * 2 bytes. Chosen when a window has many taps per input value (the copy
 *    costs 4 instructions per input value, the taps about 1.3 per MAC): kh * kw >= MCU_DW_RING16_TAPS * stride_h
 *    * stride_w, i.e. 5x5 and 7x7 at stride 1, 7x7 at stride 2 (measured on person_detect and mcunet_vww1: 3x3
 *    at stride 1 is faster in MCU_DW_RING4 except with very few channels). flat: when the rows the windows read
 *    (need = (oh - 1) * stride_h + S, from the first padding row on) fit 2 * S rows, or need * pw * 2 <=
 *    MCU_DW_FLAT_BYTES, the scratch holds them all (rows = max(2 S, need)) and each input row has a fixed place.
 *  - MCU_DW_RING4, slices of g = min(4, c) channels: slots = min(S, h) int8 rows of pw pixels of g bytes (pl
 *    columns of the zero point on the left, enough on the right for the last window), plus one row of the zero
 *    point for the rows above and below the image: (slots + 1) * pw * g bytes. The copy is one word per pixel.
 *  - MCU_DW_PLANE (ok = 0): kernel taller or wider than MCU_DW_KMAX, a dilated window of more than 32 taps, or a
 *    copy schedule that is not safe in place (mcu_dw_inplace_ring_safe): one channel plane, n * h * w bytes.
 * Each ring is a few input rows, independent of the channel count. */
#define MCU_DW_PLANE 0
#define MCU_DW_RING16 1
#define MCU_DW_RING4 2
#define MCU_DW_RING16_TAPS 10
#define MCU_DW_FLAT_BYTES 2048 /* ring16's flat layout up to this many scratch bytes (beyond the doubled ring) */

typedef struct mcu_dw_ring {
  int32_t slots, pw, g, ok; /* ok: the variant, MCU_DW_* (0: the plane) */
  int32_t rows, flat;       /* MCU_DW_RING16: int16 rows of the scratch; flat: the padded-plane layout */
  int64_t bytes;            /* scratch bytes of the variant chosen */
} mcu_dw_ring_t;

/* Whether every input row the in-place ring kernel copies is still intact when it copies it: at output row oy of
 * batch b the kernel has written output pixels [0, (b * oh + oy) * ow) (of the current channel slice), which
 * overwrite the input pixels with the same flat index; it then copies input rows [from, last] (those of the window
 * not copied yet); row `from` starts at input pixel (b * h + from) * w. Safe iff that is >= the pixels written,
 * for every copy (same schedule as the kernel's loop). */
static inline __attribute__((always_inline)) int mcu_dw_inplace_ring_safe(const mcu_k_conv_params_t *p) {
  for (int32_t b = 0; b < p->n; ++b) {
    int32_t next = 0;
    for (int32_t oy = 0; oy < p->oh; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int32_t last = y0 + (p->kh - 1) * p->dilation_h;
      if (last > p->h - 1)
        last = p->h - 1;
      const int32_t from = next > y0 ? next : (y0 > 0 ? y0 : 0);
      if (from <= last && ((int64_t)b * p->h + from) * p->w < ((int64_t)b * p->oh + oy) * p->ow)
        return 0;
      if (last + 1 > next)
        next = last + 1;
    }
  }
  return 1;
}

static inline __attribute__((always_inline)) mcu_dw_ring_t mcu_dw_inplace_ring(const mcu_k_conv_params_t *p) {
  mcu_dw_ring_t g;
  const int32_t reach = (p->kh - 1) * p->dilation_h + 1;
  const int32_t last_col = (p->ow - 1) * p->stride_w - p->pad_left + (p->kw - 1) * p->dilation_w;
  const int32_t pr = last_col > p->w - 1 ? last_col - (p->w - 1) : 0;
  const int64_t plane = (int64_t)p->n * p->h * p->w;
  const int ok = p->kh <= MCU_DW_KMAX && p->kw <= MCU_DW_KMAX && (p->dilation_w == 1 || p->kh * p->kw <= 32) &&
                 mcu_dw_inplace_ring_safe(p);
  if (ok && p->kh * p->kw >= MCU_DW_RING16_TAPS * p->stride_h * p->stride_w) {
    g.ok = MCU_DW_RING16, g.slots = reach, g.pw = p->pad_left + p->w + pr + 1, g.g = 1;
    /* flat: the rows the windows read, [0, need) from pad_top up, fit the doubled ring or MCU_DW_FLAT_BYTES. */
    const int64_t need = (int64_t)(p->oh - 1) * p->stride_h + reach;
    g.flat = need <= 2 * (int64_t)reach || need * g.pw * 2 <= MCU_DW_FLAT_BYTES;
    g.rows = g.flat && need > 2 * reach ? (int32_t)need : 2 * reach;
    g.bytes = (int64_t)g.rows * g.pw * 2;
  } else if (ok) {
    g.ok = MCU_DW_RING4, g.slots = reach < p->h ? reach : p->h, g.pw = p->pad_left + p->w + pr, g.rows = g.flat = 0;
    g.g = p->c < 4 ? p->c : 4;
    g.bytes = ((int64_t)g.slots + 1) * g.pw * g.g;
  } else {
    g.ok = MCU_DW_PLANE, g.slots = g.pw = g.g = g.rows = g.flat = 0, g.bytes = plane;
  }
  return g;
}

#endif
