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
 * Block of tn widened columns (4-byte aligned, tn * (2 * (k / 4) + 2) 32-bit words), interleaved so that one
 * pointer walks it: group g (values 4g .. 4g + 3) of column j is the two words at 2 * tn * g + 2 * j:
 * sxtb16(X) = (x0, x2) then sxtb16(X ror 8) = (x1, x3) (X the 4 bytes little-endian); after the k / 4 groups, each
 * column's k % 4 tail values as int16 in order, column j's at word 2 * tn * (k / 4) + 2 * j.
 *
 * Weakness: the filter is re-read from flash for every column block (no blocking over K), the k % 4 tail is scalar,
 * and the requantization (TF Lite's double rounding, per channel) costs ~15 instructions per output, which dominates
 * when k is small (k < 32). */

#include <stdint.h>

#include "k_dsp.h"
#include "k_fixedpoint.h"
#include "k_onnx_rq.h"
#include "k_tflite.h"
#include "kernel_select.h" /* MCU_W16_CHUNK */

/* Every helper of the core is forced inline: each call site then sees its layer's constant shapes (trip counts,
 * strides, tile), which is what makes the loops tight; a shared out-of-line copy would run generic loops. */
#define MCU_GEMM_INLINE static inline __attribute__((always_inline))

/* The k loops stay loops (clang): fully unrolled with constant trip counts, LLVM hoists every column word out of
 * the output-channel loop as an invariant and spills them all, which costs more than the loop's compare-branch. */
#if defined(__clang__)
#define MCU_GEMM_KLOOP _Pragma("clang loop unroll(disable)")
#define MCU_GEMM_KLOOP2 _Pragma("clang loop unroll_count(2)")
#if defined(__ARM_FEATURE_DSP)
/* Full unrolling only where the trip count becomes a constant (the device bitcode, specialised per call); a host
 * build of the library (tests, fuzzing) has run-time counts, and clang would fail the request (-Wpass-failed). */
#define MCU_GEMM_KLOOP_FULL _Pragma("clang loop unroll(full)")
#else
#define MCU_GEMM_KLOOP_FULL
#endif
#else
#define MCU_GEMM_KLOOP_FULL
#define MCU_GEMM_KLOOP
#define MCU_GEMM_KLOOP2
#endif

/* Params of the fast kernels (k_conv_gemm.c): the scalar conv's params plus the GEMM view. FULLY_CONNECTED runs as
 * a 1x1 conv: n = 1, h = oh = 1, w = ow = batches, c = depth, o = units, kh = kw = groups = strides = dilations = 1,
 * no padding. */
typedef struct mcu_k_gemm_params {
  mcu_k_conv_params_t c; /* geometry and quantization, exactly as mcu_k_conv_s8 receives them (groups == 1) */
  int32_t k;             /* reduction length kh * kw * c (>= 1) */
  int32_t tile_m, tile_n; /* register tile: 1x4, 2x2, 1x1 or (1x1 convs, k_gemm_w16.h) 4x1 (channels x pixels) */
  int32_t rq_mode;        /* MCU_GEMM_RQ_* (mcu_gemm_requant), from mcu_gemm_rq_mode at compile time */
  int32_t x_aligned;      /* 1 when every pixel of the input starts 4-byte aligned (an arena tensor, c % 4 == 0) */
  int32_t w16_epi;        /* the 4x1 tile's epilogue form (MCU_W16_EPI_*, k_gemm_w16.h; 0 = in C) */
  int32_t w16_shift;      /* its per-channel RELU form's right shift R (2..31), else 0 */
} mcu_k_gemm_params_t;

/* Scratch bytes of a GEMM kernel call of `pixels` output pixels (the size twin prepare uses): one widened pixel (2k
 * bytes) for the 4x1 tile of 1x1 convs (k_gemm_w16.h), a chunk of up to 16 widened pixels and one widened tile for
 * its 4x16 form, none for the 1x1 tile of a 1x1 conv / fully connected layer (direct: it reads its input in place),
 * else one block of tn widened columns (mcu_gemm_block_words). */
MCU_GEMM_INLINE int64_t mcu_gemm_scratch_bytes(int32_t tm, int32_t tn, int direct, int64_t k, int64_t pixels) {
  if (tm == 4 && tn == 1) return 2 * k;
  if (tm == 4 && tn == 16) /* the tile: 4 biases, 2k filter words, up to 12 words of epilogue record */
    return (pixels < MCU_W16_CHUNK ? pixels : MCU_W16_CHUNK) * 2 * k + 4 * (4 + 2 * k + 12);
  if (direct && tn == 1) return 0;
  return (int64_t)tn * (2 * (k / 4) + 2) * 4;
}

/* Words of a block of tn widened columns of k values (layout above). */
MCU_GEMM_INLINE int32_t mcu_gemm_block_words(int32_t k, int32_t tn) { return tn * (2 * (k >> 2) + 2); }

/* Widens k contiguous int8 values at src into column j of a block of tn columns. */
MCU_GEMM_INLINE void mcu_gemm_widen(const int8_t *src, int32_t k, uint32_t *blk, int32_t tn, int32_t j) {
  const int32_t k4 = k >> 2;
  uint32_t *d = blk + 2 * j;
  if (k4 <= 8) { /* short columns (a layer constant): straight-line code, no loop control */
    MCU_GEMM_KLOOP_FULL
    for (int32_t i = 0; i < k4; ++i) {
      const uint32_t x = mcu_dsp_load32(src + 4 * i);
      d[0] = mcu_dsp_sxtb16(x);
      d[1] = mcu_dsp_sxtb16_ror8(x);
      d += 2 * tn;
    }
  } else {
    MCU_GEMM_KLOOP2
    for (int32_t i = 0; i < k4; ++i) {
      const uint32_t x = mcu_dsp_load32(src + 4 * i);
      d[0] = mcu_dsp_sxtb16(x);
      d[1] = mcu_dsp_sxtb16_ror8(x);
      d += 2 * tn;
    }
  }
  int16_t *t = (int16_t *)(blk + 2 * tn * k4 + 2 * j);
  for (int32_t v = 0; v < (k & 3); ++v) t[v] = src[4 * k4 + v];
}

/* Stores value v as element kk (0 <= kk < k) of column j of a block of tn columns (any order of calls). */
MCU_GEMM_INLINE void mcu_gemm_put(uint32_t *blk, int32_t k, int32_t tn, int32_t j, int32_t kk, int32_t v) {
  int16_t *e = (int16_t *)blk;
  const int32_t k4 = k >> 2;
  if (kk < 4 * k4) {
    const int32_t within = (kk & 1) << 1 | (kk & 2) >> 1; /* k % 4 = 0, 1, 2, 3 -> 0, 2, 1, 3 */
    e[2 * ((kk >> 2) * 2 * tn + 2 * j + (within >> 1)) + (within & 1)] = (int16_t)v;
  } else {
    e[2 * (2 * tn * k4 + 2 * j) + (kk - 4 * k4)] = (int16_t)v;
  }
}

/* Fills the whole groups g0 .. g0 + n - 1 of column j with the int16 pair word zz. */
MCU_GEMM_INLINE void mcu_gemm_fill(uint32_t *blk, int32_t tn, int32_t j, int32_t g0, int32_t n, uint32_t zz) {
  uint32_t *d = blk + 2 * tn * g0 + 2 * j;
  for (int32_t i = 0; i < n; ++i) d[0] = zz, d[1] = zz, d += 2 * tn;
}

/* Two groups (8 k) of the 1x4 tile: 2 LDR + 4 LDM + 4 SXTB16 + 16 SMLAD. */
#define MCU_GEMM_1X4_BODY                                                                                              \
  "ldr %[wa], [%[wp]], #4\n\t"                                                                                         \
  "ldmia %[b]!, {r8, r9, r10, r11}\n\t"                                                                                \
  "sxtb16 %[wb], %[wa], ror #8\n\t"                                                                                    \
  "sxtb16 %[wa], %[wa]\n\t"                                                                                            \
  "smlad %[a0], %[wa], r8, %[a0]\n\t"                                                                                  \
  "smlad %[a0], %[wb], r9, %[a0]\n\t"                                                                                  \
  "smlad %[a1], %[wa], r10, %[a1]\n\t"                                                                                 \
  "smlad %[a1], %[wb], r11, %[a1]\n\t"                                                                                 \
  "ldmia %[b]!, {r8, r9, r10, r11}\n\t"                                                                                \
  "smlad %[a2], %[wa], r8, %[a2]\n\t"                                                                                  \
  "smlad %[a2], %[wb], r9, %[a2]\n\t"                                                                                  \
  "smlad %[a3], %[wa], r10, %[a3]\n\t"                                                                                 \
  "smlad %[a3], %[wb], r11, %[a3]\n\t"                                                                                 \
  "ldr %[wa], [%[wp]], #4\n\t"                                                                                         \
  "ldmia %[b]!, {r8, r9, r10, r11}\n\t"                                                                                \
  "sxtb16 %[wb], %[wa], ror #8\n\t"                                                                                    \
  "sxtb16 %[wa], %[wa]\n\t"                                                                                            \
  "smlad %[a0], %[wa], r8, %[a0]\n\t"                                                                                  \
  "smlad %[a0], %[wb], r9, %[a0]\n\t"                                                                                  \
  "smlad %[a1], %[wa], r10, %[a1]\n\t"                                                                                 \
  "smlad %[a1], %[wb], r11, %[a1]\n\t"                                                                                 \
  "ldmia %[b]!, {r8, r9, r10, r11}\n\t"                                                                                \
  "smlad %[a2], %[wa], r8, %[a2]\n\t"                                                                                  \
  "smlad %[a2], %[wb], r9, %[a2]\n\t"                                                                                  \
  "smlad %[a3], %[wa], r10, %[a3]\n\t"                                                                                 \
  "smlad %[a3], %[wb], r11, %[a3]\n\t"
#define MCU_GEMM_1X4_OUT                                                                                               \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wp] "+r"(wp), [b] "+r"(b), [wa] "=&r"(wa),              \
      [wb] "=&r"(wb), "=&r"(t0), "=&r"(t1), "=&r"(t2), "=&r"(t3)
/* The body repeated n times, no loop (n a literal). The copies are spelled out by the preprocessor, not by the
 * assembler's .rept: LLVM sizes inline assembly by its statements, and a .rept block it would count once pushes
 * literal-pool loads (VLDR of float constants) out of their +-1 KiB range ("out of range pc-relative fixup"). */
#define MCU_GEMM_REP_1(x) x
#define MCU_GEMM_REP_2(x) x x
#define MCU_GEMM_REP_3(x) MCU_GEMM_REP_2(x) x
#define MCU_GEMM_REP_4(x) MCU_GEMM_REP_2(x) MCU_GEMM_REP_2(x)
#define MCU_GEMM_REP_5(x) MCU_GEMM_REP_4(x) x
#define MCU_GEMM_REP_6(x) MCU_GEMM_REP_4(x) MCU_GEMM_REP_2(x)
#define MCU_GEMM_REP_7(x) MCU_GEMM_REP_4(x) MCU_GEMM_REP_3(x)
#define MCU_GEMM_REP_8(x) MCU_GEMM_REP_4(x) MCU_GEMM_REP_4(x)
#define MCU_GEMM_1X4_UNROLLED(n)                                                                                       \
  case n:                                                                                                              \
    __asm__ volatile(MCU_GEMM_REP_##n(MCU_GEMM_1X4_BODY) : MCU_GEMM_1X4_OUT : : "memory");                             \
    break;

/* Accumulates one filter row w (k int8) against the 4 columns of a block (tn = 4). On the DSP target the groups
 * are taken two at a time by hand-scheduled inline assembly (the same SXTB16 / SMLAD operations in the same order
 * as the C loop, so the same int32 values): per two groups 2 LDR + 4 LDM (four column words each, written back) +
 * 4 SXTB16 + 16 SMLAD, 26 instructions for 32 MACs; LLVM's own schedule of the C loop needs ~21 per group (it
 * re-derives addresses and rarely pairs the column loads). Up to 8 pairs of groups (k < 72, a layer constant, so
 * the switch folds) the body is repeated without a loop (no compare-branch and one register fewer, which spares
 * the caller's state spills); longer rows loop (CMP/BNE per pair, or per two pairs when their count is even). Returns w advanced past the groups the
 * assembly consumed (the C loop and the tail continue from there). */
MCU_GEMM_INLINE void mcu_gemm_tile_1x4(const int8_t *w, const uint32_t *blk, int32_t k, int32_t *acc) {
  const int32_t k4 = k >> 2;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const uint32_t *b = blk;
  int32_t i = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__clang__)
  if (k4 >= 2) {
    const int8_t *wp = w, *wend = w + 8 * (k4 >> 1);
    uint32_t wa, wb;
    /* LDM needs its registers in ascending order: the four column words live in r8..r11. */
    register uint32_t t0 __asm__("r8"), t1 __asm__("r9"), t2 __asm__("r10"), t3 __asm__("r11");
    switch (k4 >> 1) {
      MCU_GEMM_1X4_UNROLLED(1)
      MCU_GEMM_1X4_UNROLLED(2)
      MCU_GEMM_1X4_UNROLLED(3)
      MCU_GEMM_1X4_UNROLLED(4)
      MCU_GEMM_1X4_UNROLLED(5)
      MCU_GEMM_1X4_UNROLLED(6)
      MCU_GEMM_1X4_UNROLLED(7)
      MCU_GEMM_1X4_UNROLLED(8)
    default:
      if ((k4 & 2) == 0) { /* an even number of pairs: two bodies per compare-branch */
        __asm__ volatile("1:\n\t" MCU_GEMM_1X4_BODY MCU_GEMM_1X4_BODY "cmp %[wp], %[wend]\n\t"
                         "bne 1b\n\t"
                         : MCU_GEMM_1X4_OUT
                         : [wend] "r"(wend)
                         : "cc", "memory");
      } else {
        __asm__ volatile("1:\n\t" MCU_GEMM_1X4_BODY "cmp %[wp], %[wend]\n\t"
                         "bne 1b\n\t"
                         : MCU_GEMM_1X4_OUT
                         : [wend] "r"(wend)
                         : "cc", "memory");
      }
      break;
    }
    i = 2 * (k4 >> 1);
  }
#endif
  MCU_GEMM_KLOOP
  for (; i < k4; ++i) {
    const uint32_t x = mcu_dsp_load32(w + 4 * i);
    const uint32_t wa = mcu_dsp_sxtb16(x), wb = mcu_dsp_sxtb16_ror8(x);
    a0 = mcu_dsp_smlad(wa, b[0], a0);
    a0 = mcu_dsp_smlad(wb, b[1], a0);
    a1 = mcu_dsp_smlad(wa, b[2], a1);
    a1 = mcu_dsp_smlad(wb, b[3], a1);
    a2 = mcu_dsp_smlad(wa, b[4], a2);
    a2 = mcu_dsp_smlad(wb, b[5], a2);
    a3 = mcu_dsp_smlad(wa, b[6], a3);
    a3 = mcu_dsp_smlad(wb, b[7], a3);
    b += 8;
  }
  const int16_t *t = (const int16_t *)b; /* column j's tail at t + 4 * j */
  for (int32_t v = 0; v < (k & 3); ++v) {
    const int32_t wv = w[4 * k4 + v];
    a0 += wv * t[v], a1 += wv * t[4 + v], a2 += wv * t[8 + v], a3 += wv * t[12 + v];
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Accumulates two filter rows (w, w + k) against the 2 columns of a block (tn = 2): acc[m * 2 + n]. */
MCU_GEMM_INLINE void mcu_gemm_tile_2x2(const int8_t *w, const uint32_t *blk, int32_t k, int32_t *acc) {
  const int32_t k4 = k >> 2;
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  const int8_t *w0 = w, *w1 = w + k;
  const uint32_t *b = blk;
  MCU_GEMM_KLOOP
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t x0 = mcu_dsp_load32(w0 + 4 * i), x1 = mcu_dsp_load32(w1 + 4 * i);
    const uint32_t w0a = mcu_dsp_sxtb16(x0), w0b = mcu_dsp_sxtb16_ror8(x0);
    const uint32_t w1a = mcu_dsp_sxtb16(x1), w1b = mcu_dsp_sxtb16_ror8(x1);
    const uint32_t p0 = b[0], q0 = b[1], p1 = b[2], q1 = b[3];
    a00 = mcu_dsp_smlad(w0a, p0, a00);
    a00 = mcu_dsp_smlad(w0b, q0, a00);
    a01 = mcu_dsp_smlad(w0a, p1, a01);
    a01 = mcu_dsp_smlad(w0b, q1, a01);
    a10 = mcu_dsp_smlad(w1a, p0, a10);
    a10 = mcu_dsp_smlad(w1b, q0, a10);
    a11 = mcu_dsp_smlad(w1a, p1, a11);
    a11 = mcu_dsp_smlad(w1b, q1, a11);
    b += 4;
  }
  const int16_t *t = (const int16_t *)b;
  for (int32_t v = 0; v < (k & 3); ++v) {
    const int32_t v0 = w0[4 * k4 + v], v1 = w1[4 * k4 + v];
    a00 += v0 * t[v], a01 += v0 * t[4 + v], a10 += v1 * t[v], a11 += v1 * t[4 + v];
  }
  acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
}

/* Accumulates one filter row against column j of a block of tn columns. */
MCU_GEMM_INLINE int32_t mcu_gemm_dot(const int8_t *w, const uint32_t *blk, int32_t tn, int32_t j, int32_t k,
                                     int32_t acc) {
  const int32_t k4 = k >> 2;
  const uint32_t *b = blk + 2 * j;
  MCU_GEMM_KLOOP
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t x = mcu_dsp_load32(w + 4 * i);
    acc = mcu_dsp_smlad(mcu_dsp_sxtb16(x), b[0], acc);
    acc = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(x), b[1], acc);
    b += 2 * tn;
  }
  const int16_t *t = (const int16_t *)(blk + 2 * tn * k4 + 2 * j);
  for (int32_t v = 0; v < (k & 3); ++v) acc += (int32_t)w[4 * k4 + v] * t[v];
  return acc;
}

/* Accumulates four filter rows (w, w + k, w + 2k, w + 3k) against column j of a block of tn columns: per group 4 LDR
 * + 8 SXTB16 + 1 LDRD + 8 SMLAD, 21 instructions for 16 MACs (four mcu_gemm_dot calls: 4 x 7). For the columns of
 * a partial block (the last nb < tn pixels of a layer). acc[r]: row r. */
MCU_GEMM_INLINE void mcu_gemm_dot4(const int8_t *w, const uint32_t *blk, int32_t tn, int32_t j, int32_t k,
                                   int32_t *acc) {
  const int32_t k4 = k >> 2;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
  const uint32_t *b = blk + 2 * j;
  MCU_GEMM_KLOOP
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t xa = b[0], xb = b[1];
    const uint32_t u0 = mcu_dsp_load32(w0 + 4 * i), u1 = mcu_dsp_load32(w1 + 4 * i);
    a0 = mcu_dsp_smlad(mcu_dsp_sxtb16(u0), xa, a0);
    a0 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u0), xb, a0);
    a1 = mcu_dsp_smlad(mcu_dsp_sxtb16(u1), xa, a1);
    a1 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u1), xb, a1);
    const uint32_t u2 = mcu_dsp_load32(w2 + 4 * i), u3 = mcu_dsp_load32(w3 + 4 * i);
    a2 = mcu_dsp_smlad(mcu_dsp_sxtb16(u2), xa, a2);
    a2 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u2), xb, a2);
    a3 = mcu_dsp_smlad(mcu_dsp_sxtb16(u3), xa, a3);
    a3 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u3), xb, a3);
    b += 2 * tn;
  }
  const int16_t *t = (const int16_t *)(blk + 2 * tn * k4 + 2 * j);
  for (int32_t v = 0; v < (k & 3); ++v) {
    const int32_t xv = t[v], i = 4 * k4 + v;
    a0 += (int32_t)w0[i] * xv, a1 += (int32_t)w1[i] * xv, a2 += (int32_t)w2[i] * xv, a3 += (int32_t)w3[i] * xv;
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Accumulates one filter row against k int8 input values read in place (no widened column: both operands are
 * widened on the fly, 8 instructions per 4 values instead of 6, but no scratch). */
MCU_GEMM_INLINE int32_t mcu_gemm_dot_direct(const int8_t *w, const int8_t *x, int32_t k, int32_t acc) {
  const int32_t k4 = k >> 2;
  MCU_GEMM_KLOOP
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t a = mcu_dsp_load32(w + 4 * i), b = mcu_dsp_load32(x + 4 * i);
    acc = mcu_dsp_smlad(mcu_dsp_sxtb16(a), mcu_dsp_sxtb16(b), acc);
    acc = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(a), mcu_dsp_sxtb16_ror8(b), acc);
  }
  for (int32_t v = 4 * k4; v < k; ++v) acc += (int32_t)w[v] * x[v];
  return acc;
}

/* Accumulates four filter rows (w, w + k, w + 2k, w + 3k) against k int8 input values read in place: each group of
 * 4 input values is widened once and serves the four rows (per group 5 LDR + 10 SXTB16 + 8 SMLAD, 23 instructions
 * for 16 MACs, against 4 x 8 for four mcu_gemm_dot_direct calls); no scratch. acc[r]: row r. */
MCU_GEMM_INLINE void mcu_gemm_dot4_direct(const int8_t *w, const int8_t *x, int32_t k, int32_t *acc) {
  const int32_t k4 = k >> 2;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
  MCU_GEMM_KLOOP2
  for (int32_t i = 0; i < k4; ++i) {
    const uint32_t v = mcu_dsp_load32(x + 4 * i);
    const uint32_t xa = mcu_dsp_sxtb16(v), xb = mcu_dsp_sxtb16_ror8(v);
    const uint32_t u0 = mcu_dsp_load32(w0 + 4 * i), u1 = mcu_dsp_load32(w1 + 4 * i);
    a0 = mcu_dsp_smlad(mcu_dsp_sxtb16(u0), xa, a0);
    a0 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u0), xb, a0);
    a1 = mcu_dsp_smlad(mcu_dsp_sxtb16(u1), xa, a1);
    a1 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u1), xb, a1);
    const uint32_t u2 = mcu_dsp_load32(w2 + 4 * i), u3 = mcu_dsp_load32(w3 + 4 * i);
    a2 = mcu_dsp_smlad(mcu_dsp_sxtb16(u2), xa, a2);
    a2 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u2), xb, a2);
    a3 = mcu_dsp_smlad(mcu_dsp_sxtb16(u3), xa, a3);
    a3 = mcu_dsp_smlad(mcu_dsp_sxtb16_ror8(u3), xb, a3);
  }
  for (int32_t v = 4 * k4; v < k; ++v) {
    const int32_t xv = x[v];
    a0 += (int32_t)w0[v] * xv, a1 += (int32_t)w1[v] * xv, a2 += (int32_t)w2[v] * xv, a3 += (int32_t)w3[v] * xv;
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* The epilogue of one output channel: TF Lite's MultiplyByQuantizedMultiplier (double rounding, k_fixedpoint.h),
 * + output_offset, the clamp. Three modes (rq_mode, a compile-time constant of the layer):
 *  MCU_GEMM_RQ_EXACT: the shift split once per channel into left / right, RoundingDivideByPOT's mask precomputed.
 *  MCU_GEMM_RQ_SAT: the same with SaturatingRoundingDoublingHighMul's saturation check (a multiplier may be
 *    INT32_MIN, which only a negative scale gives); without it a * m never overflows and the check is dropped.
 *  MCU_GEMM_RQ_FAST: every channel has shift <= -2 (right shift R >= 2, no left shift) and multiplier m >= 0 (the
 *    usual case, checked at compile time). Both roundings become one 64-bit multiply-accumulate and a shift:
 *      v = floor((a m + 2^30) / 2^31) (SRDHM); result = floor((v + 2^(R-1) - [v < 0]) / 2^R) (RDBPOT, which rounds
 *      half away from zero); floor(floor(y) / n) = floor(y / n) for integer n, so
 *      result = floor((a m + 2^30 + 2^(30+R) - [v < 0] 2^31) / 2^(31+R)).
 *    [v < 0] may be replaced by s = [a < 0]: they differ only when -2^30 <= a m < 0, where v = 0 and both forms give
 *    0 (the numerator is then in [2^(30+R) - 2^31, 2^(30+R)), inside [0, 2^(31+R)) for R >= 1). The nudge
 *    2^(30+R) + 2^30 - s 2^31 is, as a 64-bit value hi:lo, hi = 2^(R-2) - s and lo = 2^30 + s 2^31 (R >= 2), so
 *    one SMLAL accumulates a m onto it; |a m| < 2^62, no overflow; the result is hi >> (R - 1) (N >> (31 + R)).
 *    Tested against mcu_fx_mbqm on random and extreme values (kernels_gemm_test.c).
 *  MCU_GEMM_RQ_MMLA (per-channel right shift) and MCU_GEMM_RQ_MMLA_R0 + R (the same right shift R for every
 *    channel, a constant of the call): every channel has m >= 0, right shift R in [1, 31], and the accumulator is
 *    bounded, |a| <= A < 2^30 with A = |bias'| + 128 sum_k |w| (prepare checks it, mcu_gemm_mmla_ok). Then 2a does
 *    not overflow and one SMMLAR gives SRDHM plus a constant: smmlar(2a, m, C) = C + floor((2am + 2^31) / 2^32)
 *    = C + floor((am + 2^30) / 2^31) = C + v. RDBPOT(v, R) + z = floor((v + 2^(R-1) - [v < 0]) / 2^R) + z
 *    = floor((v + C - [v < 0]) / 2^R) with C = 2^(R-1) + z 2^R (z the output offset, an exact multiple of 2^R);
 *    [v < 0] may again be [a < 0] (they differ only when v = 0, where both give z for R >= 1), which is -(a >> 31).
 *    So the epilogue is SMMLAR, ADD (a ASR #31), ASR #R, SSAT: 4 instructions plus the 2a (1) and the store,
 *    against ~10 for the SMLAL form. The bound check keeps |v| + |C| + 1 < 2^31, so no int32 step wraps where
 *    TF Lite Micro's does not (its sum v' + z cannot wrap either under that bound). Table of both MMLA modes: one
 *    16-byte record per channel, {bias'[o], m[o], C[o], R[o]} (the channel loop walks one pointer and the four
 *    words load together; the bias argument of the block functions is then unused); MCU_GEMM_RQ_MMLA_R0 + R takes
 *    R from the mode (a constant, so the shift folds into the instruction). */
#define MCU_GEMM_RQ_EXACT 0
#define MCU_GEMM_RQ_SAT 1
#define MCU_GEMM_RQ_FAST 2
/* MCU_GEMM_RQ_ONNX: ONNX's float32 requantization (mcu_onnx_rq, k_onnx_rq.h): mult[o] holds the bits of the float
 * multiplier of mcu_ref_requant_scale, shift[o] is 0, output_offset is the output zero point (prepare_onnx_conv.c
 * checks mcu_onnx_rq_short_ok for every channel's accumulator bound). */
#define MCU_GEMM_RQ_ONNX 3 /* below MCU_GEMM_RQ_MMLA: the MMLA modes are tested with >= */
#define MCU_GEMM_RQ_MMLA 4
#define MCU_GEMM_RQ_MMLA_R0 64 /* + R, 1 <= R <= 31 */

typedef struct mcu_gemm_rq {
  int32_t mult, left, right, mask, half;
  int32_t hbase; /* MCU_GEMM_RQ_FAST: 2^(R-2), the high word of the nudge for a >= 0 */
  int32_t nudge; /* MCU_GEMM_RQ_MMLA*: C = 2^(R-1) + output_offset 2^R */
} mcu_gemm_rq_t;

/* The constant C of the MMLA modes for right shift r (1..31) and output offset z (the caller checked the range). */
MCU_GEMM_INLINE int32_t mcu_gemm_mmla_nudge(int32_t r, int32_t z) {
  return mcu_dsp_i32(((uint32_t)1 << (r - 1)) + (uint32_t)z * ((uint32_t)1 << r));
}

/* The epilogue constants of channel o; tab: mult[O], shift[O], or the MMLA records. */
/* The folded bias' of channel o: bias[o], or the MMLA record's first word. */
MCU_GEMM_INLINE int32_t mcu_gemm_bias(const int32_t *tab, const int32_t *bias, int32_t o, int32_t mode) {
  return mode >= MCU_GEMM_RQ_MMLA ? tab[4 * o] : bias[o];
}

MCU_GEMM_INLINE mcu_gemm_rq_t mcu_gemm_rq(const int32_t *tab, int32_t o_count, int32_t o, int32_t mode,
                                          const mcu_k_conv_params_t *q) {
  mcu_gemm_rq_t r;
  if (mode >= MCU_GEMM_RQ_MMLA) {
    r.mult = tab[4 * o + 1], r.nudge = tab[4 * o + 2];
    r.right = mode >= MCU_GEMM_RQ_MMLA_R0 ? mode - MCU_GEMM_RQ_MMLA_R0 : tab[4 * o + 3];
    r.left = r.mask = r.half = r.hbase = 0;
    (void)q;
    return r;
  }
  const int32_t shift = tab[o_count + o];
  r.mult = tab[o];
  r.left = shift > 0 ? shift : 0;
  r.right = shift > 0 ? 0 : -shift;
  r.mask = (int32_t)(((uint32_t)1 << r.right) - 1u);
  r.half = r.mask >> 1;
  r.hbase = mode == MCU_GEMM_RQ_FAST ? (int32_t)((uint32_t)1 << (r.right - 2)) : 0;
  r.nudge = 0;
  return r;
}

MCU_GEMM_INLINE int8_t mcu_gemm_requant(int32_t acc, const mcu_gemm_rq_t *r, int32_t mode,
                                        const mcu_k_conv_params_t *q) {
  if (mode == MCU_GEMM_RQ_ONNX) {
    float m;
    memcpy(&m, &r->mult, sizeof m);
    return (int8_t)mcu_onnx_rq(acc, m, q->output_offset, q->act_min, q->act_max);
  }
  int32_t v;
  if (mode >= MCU_GEMM_RQ_MMLA) { /* the output offset is inside the nudge */
    const int32_t t = mcu_dsp_smmlar(mcu_dsp_i32((uint32_t)acc << 1), r->mult, r->nudge);
    v = mcu_fx_asr32(mcu_dsp_i32((uint32_t)t + (uint32_t)mcu_fx_asr32(acc, 31)), r->right);
  } else {
    if (mode == MCU_GEMM_RQ_FAST) {
      const int32_t sgn = mcu_fx_asr32(acc, 31); /* -s */
      const uint32_t lo = 0x40000000u | ((uint32_t)sgn & 0x80000000u);
      const uint32_t hi = (uint32_t)r->hbase + (uint32_t)sgn;
      const uint64_t nudge = ((uint64_t)hi << 32) | lo;
      const int64_t n = (int64_t)(nudge + (uint64_t)((int64_t)acc * (int64_t)r->mult));
      v = mcu_fx_asr32((int32_t)mcu_fx_asr64(n, 32), r->right - 1);
    } else {
      const int32_t x = mcu_fx_shl_wrap(acc, r->left);
      if (mode == MCU_GEMM_RQ_SAT) {
        v = mcu_fx_srdhm(x, r->mult);
      } else {
        v = (int32_t)mcu_fx_asr64((int64_t)x * (int64_t)r->mult + ((int64_t)1 << 30), 31);
      }
      const int32_t rem = v & r->mask, threshold = r->half + (int32_t)((uint32_t)v >> 31);
      v = mcu_fx_asr32(v, r->right) + (rem > threshold ? 1 : 0);
    }
    v = mcu_fx_add_wrap(v, q->output_offset); /* wraps where TF Lite Micro's int32 sum would overflow (undefined) */
  }
  if (q->act_min == -128 && q->act_max == 127) return (int8_t)mcu_dsp_ssat8(v);
  return (int8_t)mcu_fx_clamp(v, q->act_min, q->act_max);
}

/* Whether one channel may use the MMLA epilogue: multiplier m >= 0, shift in [-31, -1] (right shift only), the
 * accumulator bound amax = |bias'| + 128 sum_k |w| below 2^30, and |v| + |C| + 1 < 2^31 for the output offset z. */
MCU_GEMM_INLINE int mcu_gemm_mmla_ok(int64_t amax, int32_t mult, int32_t shift, int32_t z) {
  if (mult < 0 || shift > -1 || shift < -31 || amax < 0 || amax >= ((int64_t)1 << 30)) return 0;
  const int64_t r = -shift, c = ((int64_t)1 << (r - 1)) + (int64_t)z * ((int64_t)1 << r);
  const int64_t vmax = ((amax * (int64_t)mult + ((int64_t)1 << 30)) >> 31) + 1;
  return (c < 0 ? -c : c) + vmax + 1 < ((int64_t)1 << 31);
}

/* The MMLA mode of a layer (MCU_GEMM_RQ_MMLA_R0 + R when every channel shifts by R, else MCU_GEMM_RQ_MMLA), or -1
 * when a channel fails mcu_gemm_mmla_ok. amax[n]: the accumulator bounds; z: the output offset. */
MCU_GEMM_INLINE int32_t mcu_gemm_rq_mode_mmla(const int32_t *mult, const int32_t *shift, const int64_t *amax,
                                              int32_t n, int32_t z) {
  int uniform = 1;
  for (int32_t i = 0; i < n; ++i) {
    if (!mcu_gemm_mmla_ok(amax[i], mult[i], shift[i], z)) return -1;
    uniform &= shift[i] == shift[0];
  }
  return n >= 1 && uniform ? MCU_GEMM_RQ_MMLA_R0 - shift[0] : MCU_GEMM_RQ_MMLA;
}

/* The requantization mode of a layer from its mult[n] and shift[n] tables. */
MCU_GEMM_INLINE int32_t mcu_gemm_rq_mode(const int32_t *mult, const int32_t *shift, int32_t n) {
  int32_t fast = 1;
  for (int32_t i = 0; i < n; ++i) {
    if (mult[i] == INT32_MIN) return MCU_GEMM_RQ_SAT;
    if (mult[i] < 0 || shift[i] > -2 || shift[i] < -31) fast = 0;
  }
  return fast ? MCU_GEMM_RQ_FAST : MCU_GEMM_RQ_EXACT;
}

/* The block step shared by every fast kernel: nb (1..tn) columns of a block of tn times all O filter rows; output
 * column j goes to y + j * o_stride (o_stride >= O, channel o at offset o). tab: int32 mult[O], shift[O] (the
 * MMLA modes: the 16-byte records, bias unused); bias: int32 bias'[O]; mode: MCU_GEMM_RQ_* (mcu_gemm_requant).
 * tm x tn: 1x4, 2x2 or 1x1; a partial block (and the 1x1 tile) runs four channels at a time against each column
 * (mcu_gemm_dot4), the last O % 4 channels as single dots. */
MCU_GEMM_INLINE void mcu_gemm_block(const int8_t *w, const uint32_t *blk, int32_t k, int32_t o_count, int32_t nb,
                                    int32_t tm, int32_t tn, const int32_t *tab, const int32_t *bias, int32_t mode,
                                    const mcu_k_conv_params_t *q, int8_t *y, int32_t o_stride) {
  if (tm == 1 && tn == 4 && nb == 4 && mode >= MCU_GEMM_RQ_MMLA) {
    /* One pointer walks the records, one the filter rows, one the outputs. The empty assembly statement makes them
     * opaque to LLVM, which otherwise rewrites them as constant bases + an index and, the bases' registers being
     * taken by the tile's assembly, rematerializes each base (MOVW + MOVT) on every channel. */
    const int32_t *t = tab, *const t_end = tab + 4 * (size_t)o_count;
    const int8_t *wo = w;
    int8_t *yo = y;
    do {
#if defined(__ARM_FEATURE_DSP) && defined(__clang__)
      __asm__("" : "+r"(t));
#endif
      const int32_t b = t[0];
      int32_t acc[4] = {b, b, b, b};
      mcu_gemm_tile_1x4(wo, blk, k, acc);
      const mcu_gemm_rq_t r = mcu_gemm_rq(t, 0, 0, mode, q);
      for (int32_t j = 0; j < 4; ++j) yo[(size_t)j * o_stride] = mcu_gemm_requant(acc[j], &r, mode, q);
      t += 4, wo += k, ++yo;
    } while (t != t_end);
    return;
  }
  if (tm == 1 && tn == 4 && nb == 4) {
    for (int32_t o = 0; o < o_count; ++o) {
      const int32_t b = mcu_gemm_bias(tab, bias, o, mode);
      int32_t acc[4] = {b, b, b, b};
      mcu_gemm_tile_1x4(w + (size_t)o * k, blk, k, acc);
      const mcu_gemm_rq_t r = mcu_gemm_rq(tab, o_count, o, mode, q);
      for (int32_t j = 0; j < 4; ++j) y[(size_t)j * o_stride + o] = mcu_gemm_requant(acc[j], &r, mode, q);
    }
    return;
  }
  if (tm == 2 && tn == 2 && nb == 2) {
    int32_t o = 0;
    for (; o + 1 < o_count; o += 2) {
      const int32_t b0 = mcu_gemm_bias(tab, bias, o, mode), b1 = mcu_gemm_bias(tab, bias, o + 1, mode);
      int32_t acc[4] = {b0, b0, b1, b1};
      mcu_gemm_tile_2x2(w + (size_t)o * k, blk, k, acc);
      const mcu_gemm_rq_t r0 = mcu_gemm_rq(tab, o_count, o, mode, q), r1 = mcu_gemm_rq(tab, o_count, o + 1, mode, q);
      for (int32_t j = 0; j < 2; ++j) {
        y[(size_t)j * o_stride + o] = mcu_gemm_requant(acc[j], &r0, mode, q);
        y[(size_t)j * o_stride + o + 1] = mcu_gemm_requant(acc[2 + j], &r1, mode, q);
      }
    }
    if (o < o_count) {
      const mcu_gemm_rq_t r = mcu_gemm_rq(tab, o_count, o, mode, q);
      for (int32_t j = 0; j < 2; ++j)
        y[(size_t)j * o_stride + o] =
            mcu_gemm_requant(mcu_gemm_dot(w + (size_t)o * k, blk, tn, j, k, mcu_gemm_bias(tab, bias, o, mode)), &r, mode, q);
    }
    return;
  }
  int32_t o = 0;
  for (; o + 3 < o_count; o += 4) { /* a partial block (or the 1x1 tile): four channels per pass over a column */
    mcu_gemm_rq_t r[4];
    for (int32_t i = 0; i < 4; ++i) r[i] = mcu_gemm_rq(tab, o_count, o + i, mode, q);
    for (int32_t j = 0; j < nb; ++j) {
      int32_t acc[4];
      for (int32_t i = 0; i < 4; ++i) acc[i] = mcu_gemm_bias(tab, bias, o + i, mode);
      mcu_gemm_dot4(w + (size_t)o * k, blk, tn, j, k, acc);
      for (int32_t i = 0; i < 4; ++i) y[(size_t)j * o_stride + o + i] = mcu_gemm_requant(acc[i], &r[i], mode, q);
    }
  }
  for (; o < o_count; ++o) {
    const mcu_gemm_rq_t r = mcu_gemm_rq(tab, o_count, o, mode, q);
    for (int32_t j = 0; j < nb; ++j)
      y[(size_t)j * o_stride + o] =
          mcu_gemm_requant(mcu_gemm_dot(w + (size_t)o * k, blk, tn, j, k, mcu_gemm_bias(tab, bias, o, mode)), &r, mode, q);
  }
}

#endif
