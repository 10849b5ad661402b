/* k_conv_dw.c: TF Lite Micro-exact int8 depthwise convolution kernels (separate buffers, and in place). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "k_conv_dw.h"
#include "k_dsp.h"
#include "k_fixedpoint.h"
#include "k_gemm_s8.h"
#include "k_mem.h"
#include "k_tflite.h"

/* A loop LLVM must not unroll (clang only; other host compilers do not know the pragma). */
#if defined(__clang__)
#define DW_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define DW_NO_UNROLL
#endif

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
        mcu_dw_row_s8(p, xb, p->h, y0, 0, p->ow, w, NULL, mult, shift, NULL, bias, yr);
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

/* A channel's requantization, worked out once per slice. fast: multiplier >= 0 and shift in [-31, -2], where
 * MultiplyByQuantizedMultiplier is one 64-bit multiply-accumulate onto a nudge and a shift (dw16_rq_fast, the
 * GEMM core's MCU_GEMM_RQ_FAST derivation, k_gemm_s8.h): hb = 2^(R-2), r1 = R - 1 for R = -shift. */
typedef struct dw16_rq {
  int32_t m, s, hb, r1, fast;
} dw16_rq_t;

static inline dw16_rq_t dw16_rq_make(int32_t m, int32_t s) {
  dw16_rq_t q = {m, s, 0, 0, mcu_dw_rq_fast_ok(m, s)};
  if (q.fast)
    q.hb = (int32_t)((uint32_t)1 << (-s - 2)), q.r1 = -s - 1;
  return q;
}

/* mcu_fx_mbqm(acc, m, shift) for a fast channel (q->fast): mcu_dw_rq_fast (k_conv_dw.h, with its proof). */
static inline int32_t dw16_rq_fast(int32_t acc, const dw16_rq_t *q) { return mcu_dw_rq_fast(acc, q->m, q->hb, q->r1); }

/* 2 int16 values from any address (an unaligned LDR on the Cortex-M7). */
static inline uint32_t dw16_load2(const int16_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* The window sum of one output pixel of the ring's channel: tap row ky at r + ky * rs (int16), the window starts
 * at column 0 of r. dilation_w == 1: taps in pairs (x[2j], x[2j + 1]) . wp[ky * np + j] (int16 pairs, a zero high
 * half for the odd last tap of a row: it reads the ring's extra zero column) by SMLAD; otherwise one tap at a time
 * (wp[ky * kw + kx] the weight). */
static inline __attribute__((always_inline)) int32_t dw16_dot(const mcu_k_conv_params_t *p, const int16_t *r,
                                                              int32_t rs, const uint32_t *wp, int32_t acc) {
  const int32_t kh = p->kh, kw = p->kw, dw = p->dilation_w;
  if (dw == 1) {
    const int32_t np = (kw + 1) / 2;
    for (int32_t ky = 0; ky < kh; ++ky)
      for (int32_t j = 0; j < np; ++j)
        acc = dw_smlad(dw16_load2(r + ky * rs + 2 * j), wp[ky * np + j], acc);
    return acc;
  }
  for (int32_t ky = 0; ky < kh; ++ky)
    for (int32_t kx = 0; kx < kw; ++kx)
      acc = mcu_fx_add_wrap(acc, (int32_t)r[ky * rs + kx * dw] * (int32_t)wp[ky * kw + kx]);
  return acc;
}

/* The outputs of the ring's channel along one output row: yo[ox * c] for ox in [0, ow); window row 0 at r. */
static inline __attribute__((always_inline)) void dw16_channel_row(const mcu_k_conv_params_t *p, const int16_t *r,
                                                                   int32_t rs, const uint32_t *wp, int32_t bias,
                                                                   const dw16_rq_t *q, int8_t *yo) {
  const int32_t C = p->c, sw = p->stride_w, zo = p->output_offset, lo = p->act_min, hi = p->act_max;
  if (q->fast) {
    /* Not unrolled: one output's weights, pointers and constants fill the registers; an unrolled copy spills. */
    DW_NO_UNROLL
    for (int32_t ox = 0; ox < p->ow; ++ox) {
      const int32_t acc = dw16_dot(p, r + ox * sw, rs, wp, bias);
      yo[(size_t)ox * C] = (int8_t)mcu_fx_clamp(dw16_rq_fast(acc, q) + zo, lo, hi);
    }
  } else
    for (int32_t ox = 0; ox < p->ow; ++ox) {
      const int32_t acc = dw16_dot(p, r + ox * sw, rs, wp, bias);
      yo[(size_t)ox * C] = (int8_t)mcu_fx_clamp(mcu_dw_mbqm(acc, q->m, q->s) + zo, lo, hi);
    }
}

/* The ring variant of mcu_k_conv_dw_inplace_s8 (see there), one channel at a time: the window's input rows as
 * int16 (x + input_offset) in a doubled ring of S = window-height rows (row r at positions (r + pad_top) % S and
 * that + S, so a window's rows are always S consecutive positions: one pointer, constant offsets), rows outside
 * the image written as zeros, every output from a complete window. Small maps whose padded plane fits the scratch
 * skip the ring bookkeeping (g->flat: each row at a fixed position, copied once per channel). */
static inline __attribute__((always_inline)) void dw_inplace_ring(const mcu_k_conv_params_t *p, const mcu_dw_ring_t *g,
                                                                  const int8_t *x, const int8_t *w, const int32_t *mult,
                                                                  const int32_t *shift, const int32_t *bias, int8_t *y,
                                                                  int16_t *ring) {
  const int32_t C = p->c, kh = p->kh, kw = p->kw, T = kh * kw, S = g->slots, pw = g->pw, pt = p->pad_top;
  const int32_t off = p->input_offset, np = p->dilation_w == 1 ? (kw + 1) / 2 : kw, W = p->w, pl = p->pad_left;
  /* The padding columns and the extra column stay 0: the row writes only touch the image columns. */
  memset(ring, 0, (size_t)g->rows * pw * sizeof *ring);
  /* Positions read: [0, need) (window rows from -pad_top on); flat (k_conv_dw.h): all of them in the scratch. */
  const int32_t need = (p->oh - 1) * p->stride_h + S, flat = g->flat;
  for (int32_t c = 0; c < C; ++c) {
    /* The channel's weights, packed for dw16_dot (a local array: it cannot alias the int8 stores). */
    uint32_t wp[32];
    const int8_t *wc = w + (size_t)c * T;
    for (int32_t ky = 0; ky < kh; ++ky)
      for (int32_t j = 0; j < np; ++j) {
        if (p->dilation_w != 1) {
          wp[ky * np + j] = (uint32_t)(int32_t)wc[ky * kw + j];
          continue;
        }
        const uint32_t w0 = (uint32_t)(int32_t)wc[ky * kw + 2 * j] & 0xffffu;
        const uint32_t w1 = 2 * j + 1 < kw ? (uint32_t)(int32_t)wc[ky * kw + 2 * j + 1] << 16 : 0u;
        wp[ky * np + j] = w0 | w1;
      }
    const dw16_rq_t rq = dw16_rq_make(mult[c], shift[c]);
    const int32_t bc = bias ? bias[c] : 0;
    if (flat) {
      /* The padded plane fits the scratch: row r at position r + pad_top for good, the rows above and below the
       * image stay zero; all the channel's rows are copied before its first output (safe in place as the plane
       * variant is), then every output row reads positions [oy * stride_h, + S). */
      for (int32_t b = 0; b < p->n; ++b) {
        for (int32_t r = 0; r < p->h && r + pt < need; ++r) {
          const int8_t *src = x + ((size_t)(b * p->h + r) * W) * C + c;
          int16_t *d0 = ring + (size_t)(r + pt) * pw + pl;
          for (int32_t ix = 0; ix < W; ++ix)
            d0[ix] = (int16_t)(src[(size_t)ix * C] + off);
        }
        for (int32_t oy = 0; oy < p->oh; ++oy)
          dw16_channel_row(p, ring + (size_t)oy * p->stride_h * pw, p->dilation_h * pw, wp, bc, &rq,
                           y + (size_t)(b * p->oh + oy) * p->ow * C + c);
      }
      continue;
    }
    for (int32_t b = 0; b < p->n; ++b) {
      int32_t next = -pt; /* rows [-pad_top, next) are in the ring (or were skipped for good) */
      for (int32_t oy = 0; oy < p->oh; ++oy) {
        const int32_t y0 = oy * p->stride_h - pt, top = y0 + S - 1;
        for (int32_t r = next > y0 ? next : y0; r <= top; ++r) {
          int16_t *d0 = ring + (size_t)((r + pt) % S) * pw + pl, *d1 = d0 + (size_t)S * pw;
          if (r >= 0 && r < p->h) {
            const int8_t *src = x + ((size_t)(b * p->h + r) * W) * C + c;
            for (int32_t ix = 0; ix < W; ++ix) {
              const int16_t v = (int16_t)(src[(size_t)ix * C] + off);
              d0[ix] = v, d1[ix] = v;
            }
          } else {
            memset(d0, 0, (size_t)W * sizeof *d0);
            memset(d1, 0, (size_t)W * sizeof *d1);
          }
        }
        if (top + 1 > next)
          next = top + 1;
        const int16_t *r0 = ring + (size_t)((y0 + pt) % S) * pw;
        dw16_channel_row(p, r0, p->dilation_h * pw, wp, bc, &rq, y + (size_t)(b * p->oh + oy) * p->ow * C + c);
      }
    }
  }
}

/* acc + hi16(a) * hi16(b), wrapping (SMLATT). */
static inline int32_t dw_smlatt(uint32_t a, uint32_t b, int32_t acc) {
#if defined(__ARM_FEATURE_DSP)
  return __smlatt((int32_t)a, (int32_t)b, acc);
#else
  return mcu_fx_i32((uint32_t)acc + (uint32_t)(mcu_dw_hi16(a) * mcu_dw_hi16(b)));
#endif
}

/* The output byte of accumulator acc for a channel with requantization q (dw16_rq_fast or mcu_dw_mbqm). */
static inline int8_t dw_out_q(const mcu_k_conv_params_t *p, int32_t acc, const dw16_rq_t *q) {
  const int32_t v = q->fast ? dw16_rq_fast(acc, q) : mcu_dw_mbqm(acc, q->m, q->s);
  return (int8_t)mcu_fx_clamp(v + p->output_offset, p->act_min, p->act_max);
}

/* A ring4 slice's requantization in the GEMM core's MMLA form (k_gemm_s8.h, MCU_GEMM_RQ_MMLA, with its proof):
 * {m, C, R} per channel, C = 2^(R-1) + output_offset 2^R; output = clamp((smmlar(2 acc, m, C) + (acc >> 31)) >> R).
 * It applies when every channel of the slice passes mcu_gemm_mmla_ok with the accumulator bound |bias| + 255 sum |w|
 * (|x + input_offset| <= 255); about 5 instructions per output against ~9 for dw16_rq_fast plus its branch. */
typedef struct dw_mmla {
  int32_t mc[4][2]; /* {m, C} of channel k: one LDRD (offset 8 k) */
  int32_t r[4];     /* R of channels 0-1, 2-3: one LDRD each (offsets 32, 40) */
  int32_t b[4];     /* the slice's accumulator start values bs (offsets 48, 56) */
} dw_mmla_t;
_Static_assert(offsetof(dw_mmla_t, r) == 32 && offsetof(dw_mmla_t, b) == 48, "the DW_LDRD offsets below");

/* a = the word at byte offset OFF (a literal multiple of 4, at most 1020) of *base, b = the next one: one LDRD on
 * Thumb-2; obj is the whole object read (the asm's memory operand, so the compiler keeps its stores before). Why:
 * as plain loads LLVM promotes the slice's constants to values, spills them and reloads each with its own LDR; the
 * asm keeps them in memory and brings two per instruction. Weakness: the compiler cannot schedule or fold what is
 * inside the asm. */
#if defined(__thumb2__)
#define DW_LDRD(base, OFF, a, b, obj) __asm__("ldrd %0, %1, [%2, #" #OFF "]" : "=r"(a), "=r"(b) : "r"(base), "m"(obj))
#else
#define DW_LDRD(base, OFF, a, b, obj)                                                                             \
  do {                                                                                                            \
    memcpy(&(a), (const char *)(base) + (OFF), 4);                                                                \
    memcpy(&(b), (const char *)(base) + (OFF) + 4, 4);                                                            \
  } while (0)
#endif

/* Fills q for the cn channels c0.. of a slice; 0 when a channel does not qualify (then q is not used). */
static inline int dw_mmla_make(const mcu_k_conv_params_t *p, const int8_t *w, const int32_t *mult, const int32_t *shift,
                               const int32_t *bias, int32_t c0, int32_t cn, dw_mmla_t *q) {
  const int32_t T = p->kh * p->kw;
  for (int32_t k = 0; k < cn; ++k) {
    int64_t amax = bias ? (bias[c0 + k] < 0 ? -(int64_t)bias[c0 + k] : bias[c0 + k]) : 0;
    for (int32_t t = 0; t < T; ++t) {
      const int32_t v = w[(size_t)(c0 + k) * T + t];
      amax += 255 * (int64_t)(v < 0 ? -v : v);
    }
    if (!mcu_gemm_mmla_ok(amax, mult[c0 + k], shift[c0 + k], p->output_offset)) return 0;
    q->mc[k][0] = mult[c0 + k], q->r[k] = -shift[c0 + k];
    q->mc[k][1] = mcu_gemm_mmla_nudge(q->r[k], p->output_offset);
  }
  return 1;
}

static inline int8_t dw_out_mmla(const mcu_k_conv_params_t *p, int32_t acc, int32_t m, int32_t c, int32_t r) {
  const int32_t t = mcu_dsp_smmlar(mcu_dsp_i32((uint32_t)acc << 1), m, c);
  const int32_t v = mcu_fx_asr32(mcu_dsp_i32((uint32_t)t + (uint32_t)mcu_fx_asr32(acc, 31)), r);
  return (int8_t)mcu_fx_clamp(v, p->act_min, p->act_max);
}

/* *out_a = (*pp)->a, *out_b = (*pp)->b, then ++*pp: one post-indexed LDRD on Thumb-2. Why: written as plain loads
 * LLVM promotes the slice's packed weights to 18 values and spills them, reloading each with its own LDR; the asm
 * keeps them in their array (its address escapes) and brings a tap's pair in one instruction. pp must be 4-byte
 * aligned. Weakness: the compiler cannot schedule or fold what is inside the asm. */
typedef struct dw_wpair {
  uint32_t a, b;
} dw_wpair_t;

static inline void dw_ldrd_post(const dw_wpair_t **pp, uint32_t *out_a, uint32_t *out_b) {
#if defined(__thumb2__)
  __asm__("ldrd %0, %1, [%2], #8" : "=r"(*out_a), "=r"(*out_b), "+r"(*pp) : "m"(**pp));
#else
  *out_a = (*pp)->a, *out_b = (*pp)->b;
  *pp += 1;
#endif
}

/* One output pixel of a 4-channel MCU_DW_RING4 slice, complete window: per tap one word brings the 4 channels,
 * SXTB16 splits them into (c0, c2) and (c1, c3) as int16 (raw bytes: bs holds bias + input_offset * sum w, see
 * dw_inplace_ring4), and SMLABB / SMLATT multiply them by the tap's packed weights wq[t] = {(w0, w2), (w1, w3)}
 * (int16 pairs, one LDRD). Tap row ky at ring + rp[ky], the window's first column x0 (ring columns). The sums equal
 * mcu_k_conv_s8's modulo 2^32 (hence exactly: the true sums fit int32). */
static inline __attribute__((always_inline)) void dw_ring4_pixel(const mcu_k_conv_params_t *p, const int8_t *ring,
                                                                 const int32_t *rp, int32_t x0, const dw_wpair_t *wq,
                                                                 const int32_t *bs, const dw16_rq_t *rq,
                                                                 const dw_mmla_t *mm, int8_t *out) {
  const int32_t kh = p->kh, kw = p->kw, step = p->dilation_w * 4;
  int32_t a0, a1, a2, a3;
  if (mm) {
    DW_LDRD(mm, 48, a0, a1, *mm);
    DW_LDRD(mm, 56, a2, a3, *mm);
  } else
    a0 = bs[0], a1 = bs[1], a2 = bs[2], a3 = bs[3];
  const int8_t *base = ring + (ptrdiff_t)x0 * 4;
  /* Tap (ky, kx) with the weight pair w02, w13. */
#define DW_RING4_TAP(ky, kx, w02, w13)                                                                            \
  do {                                                                                                            \
    const uint32_t v_ = mcu_dw_load4(base + rp[ky] + (kx) * step);                                                \
    const uint32_t e_ = mcu_dsp_sxtb16(v_), o_ = mcu_dsp_sxtb16_ror8(v_);                                         \
    a0 = mcu_dw_smlabb(e_, (int32_t)(w02), a0);                                                                   \
    a2 = dw_smlatt(e_, w02, a2);                                                                                  \
    a1 = mcu_dw_smlabb(o_, (int32_t)(w13), a1);                                                                   \
    a3 = dw_smlatt(o_, w13, a3);                                                                                  \
  } while (0)
  if (kh == 3 && kw == 3) { /* literal LDRD offsets: no pointer to step or reset per pixel */
    uint32_t w02, w13;
    /* tap (ky, kx): its packed weight pair at byte 8 * (3 * ky + kx), one LDRD */
#define DW_RING4_TAP3(off, ky, kx)                                                                                     \
  DW_LDRD(wq, off, w02, w13, *(const dw_wpair_t(*)[9])wq);                                                             \
  DW_RING4_TAP(ky, kx, w02, w13)
    DW_RING4_TAP3(0, 0, 0);
    DW_RING4_TAP3(8, 0, 1);
    DW_RING4_TAP3(16, 0, 2);
    DW_RING4_TAP3(24, 1, 0);
    DW_RING4_TAP3(32, 1, 1);
    DW_RING4_TAP3(40, 1, 2);
    DW_RING4_TAP3(48, 2, 0);
    DW_RING4_TAP3(56, 2, 1);
    DW_RING4_TAP3(64, 2, 2);
#undef DW_RING4_TAP3
  } else {
    const dw_wpair_t *wp = wq;
    for (int32_t ky = 0; ky < kh; ++ky)
      for (int32_t kx = 0; kx < kw; ++kx) {
        uint32_t w02, w13;
        dw_ldrd_post(&wp, &w02, &w13);
        DW_RING4_TAP(ky, kx, w02, w13);
      }
  }
#undef DW_RING4_TAP
  MCU_DW_KEEP4(a0, a1, a2, a3);
  if (mm) {
    mcu_dw_store4(out, dw_out_mmla(p, a0, mm->mc[0][0], mm->mc[0][1], mm->r[0]),
                  dw_out_mmla(p, a1, mm->mc[1][0], mm->mc[1][1], mm->r[1]),
                  dw_out_mmla(p, a2, mm->mc[2][0], mm->mc[2][1], mm->r[2]),
                  dw_out_mmla(p, a3, mm->mc[3][0], mm->mc[3][1], mm->r[3]));
  } else
    mcu_dw_store4(out, dw_out_q(p, a0, &rq[0]), dw_out_q(p, a1, &rq[1]), dw_out_q(p, a2, &rq[2]),
                  dw_out_q(p, a3, &rq[3]));
}

/* The MCU_DW_RING4 variant of mcu_k_conv_dw_inplace_s8 (see there): per slice of g channels (k_conv_dw.h), input
 * rows copied into a zero-point-padded ring as the windows reach them, every output from a complete window. */
static inline __attribute__((always_inline)) void dw_inplace_ring4(const mcu_k_conv_params_t *p,
                                                                   const mcu_dw_ring_t *g, const int8_t *x,
                                                                   const int8_t *w, const int32_t *mult,
                                                                   const int32_t *shift, const int32_t *bias,
                                                                   int8_t *y, int8_t *ring) {
  const int32_t C = p->c, T = p->kh * p->kw, G = g->g, slot_bytes = g->pw * G, zero_slot = g->slots * slot_bytes;
  const int8_t zp = (int8_t)(-p->input_offset);
  /* The padding columns and the zero slot keep the zero point: the copies only write the image columns (of the
   * slice's cn channels; a narrower last slice leaves stale lanes that it never reads). */
  memset(ring, zp, (size_t)(g->slots + 1) * slot_bytes);
  for (int32_t c0 = 0; c0 < C; c0 += G) {
    const int32_t cn = C - c0 < G ? C - c0 : G;
    /* The slice's weights as int16 pairs (w0, w2), (w1, w3) per tap, for dw_ring4_pixel (a local array: it cannot
     * alias the int8 stores), its biases and requantization constants. */
    _Alignas(8) dw_wpair_t wq[DW_TMAX];
    dw16_rq_t rq[4];
    int32_t bs[4];
    mcu_dw_rq_t rqs[4];
    if (cn == 4)
      for (int32_t t = 0; t < T; ++t) {
        const int8_t *wt = w + (size_t)c0 * T + t;
        wq[t].a = ((uint32_t)(int32_t)wt[0] & 0xffffu) | (uint32_t)(int32_t)wt[2 * T] << 16;
        wq[t].b = ((uint32_t)(int32_t)wt[T] & 0xffffu) | (uint32_t)(int32_t)wt[3 * T] << 16;
      }
    _Alignas(8) dw_mmla_t mm;
    const int mm_ok = cn == 4 && dw_mmla_make(p, w, mult, shift, bias, c0, cn, &mm);
    for (int32_t k = 0; k < cn; ++k) {
      rq[k] = dw16_rq_make(mult[c0 + k], shift[c0 + k]);
      rqs[k] = mcu_dw_rq_make(mult[c0 + k], shift[c0 + k]);
      bs[k] = bias ? bias[c0 + k] : 0;
    }
    /* dw_ring4_pixel multiplies the raw input bytes: input_offset * sum_t w[k, t] joins the bias instead (every
     * window is complete, the padding holding the zero point, so sum w (x + off) = sum w x + off sum w exactly;
     * modulo 2^32 like the accumulation, whose final value is unchanged). */
    if (cn == 4)
      for (int32_t k = 0; k < 4; ++k) {
        uint32_t sw = 0;
        for (int32_t t = 0; t < T; ++t)
          sw += (uint32_t)(int32_t)w[(size_t)(c0 + k) * T + t];
        bs[k] = mcu_fx_i32((uint32_t)bs[k] + sw * (uint32_t)p->input_offset);
      }
    if (mm_ok)
      memcpy(mm.b, bs, sizeof mm.b);
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
        const int32_t *bg = bias ? bias + c0 : NULL;
        if (cn == 4 && mm_ok) /* two copies of the loop: the epilogue choice is not made per pixel */
          for (int32_t ox = 0; ox < p->ow; ++ox)
            dw_ring4_pixel(p, ring, rp, ox * p->stride_w, wq, bs, rq, &mm, yr + (size_t)ox * C);
        else if (cn == 4)
          for (int32_t ox = 0; ox < p->ow; ++ox)
            dw_ring4_pixel(p, ring, rp, ox * p->stride_w, wq, bs, rq, NULL, yr + (size_t)ox * C);
        else if (cn == 1)
          for (int32_t ox = 0; ox < p->ow; ++ox)
            mcu_dw_pixel_full_s8(p, ring, rp, ox * p->stride_w, 1, G, wg, NULL, mult + c0, shift + c0, NULL, bg,
                                 rqs, yr + (size_t)ox * C);
        else
          for (int32_t ox = 0; ox < p->ow; ++ox)
            mcu_dw_pixel_full_s8(p, ring, rp, ox * p->stride_w, cn, G, wg, NULL, mult + c0, shift + c0, NULL, bg,
                                 rqs, yr + (size_t)ox * C);
      }
    }
  }
}

/* mcu_k_conv_dw_inplace_s8: the depthwise case of mcu_k_conv_s8 (groups == c == o, depth multiplier 1, filter
 * [o, kh, kw, 1]) computing exactly the same values, written so that `out` may be the same buffer as `in0` (it may
 * also be a separate one). Why: TinyEngine's in-place depthwise trick, exact: the layer then needs one buffer of
 * max(input, output) bytes plus a small scratch instead of input + output.
 * Algorithm, three variants (mcu_dw_inplace_ring, k_conv_dw.h, picks one from the constant params; prepare sizes
 * the scratch with the same function):
 *  - ring4 (3x3 windows, strided 5x5): for each slice of g = min(4, c) channels in order, for each output row: the
 *    input rows of its window not copied yet are copied (g bytes per pixel) into a ring of zero-point-padded rows
 *    (the padding and an extra all-zero-point row stand for the taps outside the image: x + input_offset == 0
 *    there, so they add nothing), then every output pixel of the row is a complete window (4-channel slices:
 *    dw_ring4_pixel, SXTB16 + SMLABB / SMLATT with the slice's weights packed on the stack as int16 pairs (one LDRD
 *    per tap) and input_offset folded into the bias, fast requantization; narrower slices: mcu_dw_pixel_full_s8),
 *    fully unrolled.
 *  - ring16 (5x5, 7x7 at stride 1, 7x7 at stride 2): the same schedule one channel at a time, the rows copied as
 *    int16 (x + input_offset) into a doubled ring of zero-padded rows (dw_inplace_ring), the taps of a row in
 *    pairs by SMLAD against the channel's packed weights (one 32-bit load of two adjacent columns).
 *  - plane (otherwise): for each channel c in order: copy the input plane x[:, :, :, c] (n * h * w bytes) into
 *    `scratch`, then compute every output of channel c from it with the taps outside the image skipped.
 * Proof that out == in0 is safe. A store of output (b, oy, ox, c) goes to byte e = P * c_total + c with P = (b * oh +
 * oy) * ow + ox, the same byte as input pixel P of channel c: it only ever overwrites input bytes of the channels
 * being processed (e % c_total == c), never those of later channels or slices, which are read only after. Plane: all
 * input bytes of channel c are in the scratch before its first store and the computation reads only the scratch. Rings
 * (both copy the same rows at the same output rows): the computation reads only the ring; an input row r of batch b is
 * copied (at output row oy) before being overwritten iff (b * h + r) * w >= (b * oh + oy) * ow, the output pixels
 * written so far in this slice; mcu_dw_inplace_ring_safe checks exactly that for every copy of the kernel's schedule,
 * and the variant is only used when it holds (it does for every stride >= 1 with the usual paddings). The ring slots
 * hold each needed row when it is read (the streamed block's argument: a row's slot is only reused by a row >= it +
 * slots, beyond the window). The per-output arithmetic is mcu_k_conv_s8's: the same int32 sum (order-free modulo 2^32;
 * the zero terms of the padding add nothing), bias, MultiplyByQuantizedMultiplier (mcu_dw_mbqm or mcu_fx_mbqm),
 * offset, clamp; so the bytes equal mcu_k_conv_s8's (k_conv_dw_test.c checks every variant, in place and not).
 * Params: mcu_k_conv_params_t with groups == c == o; aux0/aux1/in1/in2 as for mcu_k_conv_s8; scratch:
 * mcu_dw_inplace_ring(p).bytes (a few rows; 4-byte aligned as every scratch). out must hold n * oh * ow * o bytes;
 * when out == in0 the buffer must hold the larger of the input and output sizes. Weakness: ring4 spends about 3.3
 * instructions per MAC on a 3x3 window (9 per tap of 4 channels: the weights come from the stack, ~10 per output
 * for the requantization), about 4 at stride 2 with the copies; ring16 about 1.9-2.5 on 5x5 / 7x7 windows; slices
 * of 1-3 channels (c % 4) and the plane variant are scalar. */
void mcu_k_conv_dw_inplace_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                              const void *in2, void *out, void *scratch) {
  const mcu_k_conv_params_t *p = (const mcu_k_conv_params_t *)params;
  const int8_t *x = (const int8_t *)in0, *w = (const int8_t *)in1;
  const int32_t *mult = (const int32_t *)aux0, *shift = (const int32_t *)aux1, *bias = (const int32_t *)in2;
  int8_t *y = (int8_t *)out;
  int8_t *plane = (int8_t *)scratch;
  const int32_t c_total = p->c, n_pix = p->n * p->h * p->w, T = p->kh * p->kw;
  const mcu_dw_ring_t g = mcu_dw_inplace_ring(p);
  if (g.ok == MCU_DW_RING16) {
    dw_inplace_ring(p, &g, x, w, mult, shift, bias, y, (int16_t *)scratch);
    return;
  }
  if (g.ok == MCU_DW_RING4) {
    dw_inplace_ring4(p, &g, x, w, mult, shift, bias, y, (int8_t *)scratch);
    return;
  }
  for (int32_t c = 0; c < c_total; ++c) {
    const int8_t *xc = x + c;
    for (int32_t i = 0; i < n_pix; ++i)
      plane[i] = xc[(size_t)i * c_total];
    dw_plane_channel(p, plane, w + (size_t)c * T, bias ? bias[c] : 0, mult[c], shift[c], y + c, c_total);
  }
}
