/* k_gemm_w16.h: the 4x1 pointwise tile: four output channels of a pixel from a compile-time int16 filter stream. */
#ifndef MCUNET_RUNTIME_KERNELS_K_GEMM_W16_H
#define MCUNET_RUNTIME_KERNELS_K_GEMM_W16_H

/* What: out[p, o] for a 1x1 convolution, one pixel at a time: the pixel's k int8 values are widened once into the
 * scratch (k / 4 pairs of words, sxtb16(X) = (x0, x2) then sxtb16(X ror 8) = (x1, x3)), then every group of four
 * output channels ("tile") accumulates against them with SMLAD, its filter read from a compile-time stream of int16
 * pairs in the same (x0, x2), (x1, x3) order, so no filter word is widened at run time.
 *
 * Why: the 1x4 tile of k_gemm_s8.h widens each filter word at run time (2 SXTB16 per 4 values, shared by 4 pixels)
 * and needs ~26 instructions per 32 MACs; here a group of four values costs one LDRD of the widened pixel, two LDM
 * of four filter words and eight SMLAD: 11 instructions for 16 MACs. With the MMLA requantization (k_gemm_s8.h) the
 * stream holds 2 w and 2 bias' (exact in int16 / int32: |w| <= 128, |bias'| < 2^30), so the accumulator is 2a and
 * the epilogue of one output is SMMLAR, ADD (sign), SSAT (with the right shift), STRB: 4 instructions (5 with a right
 * shift per channel: ASR by register, SSAT's shift is an immediate). A tile of 64 MACs (k = 16) then costs ~62
 * instructions (67 with per-channel shifts); wider layers approach 11/16.
 *
 * Stream (aux0, int32 words), per tile t (channels 4t .. 4t + 3, o % 4 == 0):
 *   bias''[4t + j] for j = 0..3 (2 bias' in the MMLA modes, bias' otherwise);
 *   per group g = 0 .. k/4 - 1, per channel j = 0..3: the words (w0, w2) and (w1, w3) of its values 4g .. 4g + 3 as
 *     int16 halves (low, high), doubled in the MMLA modes;
 *   in the fused-epilogue form only (mcu_w16_fused): m[4t + j] for j = 0..3, then C (the MMLA constant, the same for
 *     every channel: one right shift R for the layer, MCU_GEMM_RQ_MMLA_R0 + R); with a right shift per channel
 *     (MCU_GEMM_RQ_MMLA) m, C, R of each channel instead (12 words; ASR by register, 5 instructions per output).
 * Other requantization modes (SAT, EXACT, FAST, ONNX, or a clamp narrower than int8) keep their tables in aux1
 * (k_gemm_s8.h's layout) and run the epilogue in C after the assembly accumulation.
 *
 * Weakness: the stream takes two bytes of flash per filter value (lower.c folds the int8 filter out of the weights
 * blob, so one more than before), hence the cost model's cap (kernel_select.h); k % 4 and o % 4 must be 0; the
 * pixel's widening (10 instructions per 16 values), the pixel loop and the per-tile bias and multiplier loads keep
 * k = 16 layers below one MAC per instruction (0.91 with per-channel shifts). */

#include <stdint.h>

#include "k_gemm_s8.h"

/* Whether the layer runs the fused assembly epilogue: an MMLA mode and the full int8 range. */
MCU_GEMM_INLINE int mcu_w16_fused(int32_t mode, const mcu_k_conv_params_t *q) {
  return mode >= MCU_GEMM_RQ_MMLA && q->act_min == -128 && q->act_max == 127;
}

/* Words of a fused tile's epilogue record: m0..m3 and the shared C (one right shift for the layer), or m, C, R per
 * channel. */
MCU_GEMM_INLINE int32_t mcu_w16_tail_words(int32_t mode) { return mode >= MCU_GEMM_RQ_MMLA_R0 ? 5 : 12; }

/* Whether the stream is doubled (the MMLA modes: the accumulator is 2a). */
MCU_GEMM_INLINE int mcu_w16_doubled(int32_t mode) { return mode >= MCU_GEMM_RQ_MMLA; }

/* Words of the stream for o channels of k values. */
MCU_GEMM_INLINE int64_t mcu_w16_stream_words(int64_t o, int64_t k, int32_t mode, int fused) {
  return (o / 4) * (4 + 2 * k + (fused ? mcu_w16_tail_words(mode) : 0));
}

/* Widens k (a multiple of 4) int8 values at src into xs (k / 4 pairs of words, 2k bytes). aligned: src is 4-byte
 * aligned (LDM). */
MCU_GEMM_INLINE void mcu_w16_widen(const int8_t *src, uint32_t *xs, int32_t k, int aligned) {
#if defined(__ARM_FEATURE_DSP) && defined(__clang__)
  if (aligned) {
    int32_t n16 = k >> 4;
    const int8_t *s = src;
    uint32_t *d = xs;
    if (n16 > 0) {
      /* 16 values: LDM of the 4 raw words into r5, r6, r8, r9, eight SXTB16 into r0..r6, r8 (each raw word read
       * before its register is rewritten), one STM. */
      __asm__ volatile("1:\n\t"
                       "ldmia %[s]!, {r5, r6, r8, r9}\n\t"
                       "sxtb16 r0, r5\n\t"
                       "sxtb16 r1, r5, ror #8\n\t"
                       "sxtb16 r2, r6\n\t"
                       "sxtb16 r3, r6, ror #8\n\t"
                       "sxtb16 r4, r8\n\t"
                       "sxtb16 r5, r8, ror #8\n\t"
                       "sxtb16 r6, r9\n\t"
                       "sxtb16 r8, r9, ror #8\n\t"
                       "stmia %[d]!, {r0, r1, r2, r3, r4, r5, r6, r8}\n\t"
                       "subs %[n], %[n], #1\n\t"
                       "bne 1b\n\t"
                       : [s] "+r"(s), [d] "+r"(d), [n] "+r"(n16)
                       :
                       : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "cc", "memory");
    }
    for (int32_t i = 0; i < ((k >> 2) & 3); ++i) {
      const uint32_t x = mcu_dsp_load32(s + 4 * i);
      d[2 * i] = mcu_dsp_sxtb16(x);
      d[2 * i + 1] = mcu_dsp_sxtb16_ror8(x);
    }
    return;
  }
#else
  (void)aligned;
#endif
  for (int32_t i = 0; i < (k >> 2); ++i) {
    const uint32_t x = mcu_dsp_load32(src + 4 * i);
    xs[2 * i] = mcu_dsp_sxtb16(x);
    xs[2 * i + 1] = mcu_dsp_sxtb16_ror8(x);
  }
}

/* One group of four values for the tile: the widened pixel's pair of words at [ip, #OFF], the four channels' words
 * in two LDM: 1 LDRD + 2 LDM + 8 SMLAD. */
#define MCU_W16_GROUP(OFF)                                                                                             \
  "ldrd r9, r10, [%[ip], #" OFF "]\n\t"                                                                                \
  "ldmia %[wp]!, {r4, r5, r6, r8}\n\t"                                                                                 \
  "smlad r0, r9, r4, r0\n\t"                                                                                           \
  "smlad r0, r10, r5, r0\n\t"                                                                                          \
  "smlad r1, r9, r6, r1\n\t"                                                                                           \
  "smlad r1, r10, r8, r1\n\t"                                                                                          \
  "ldmia %[wp]!, {r4, r5, r6, r8}\n\t"                                                                                 \
  "smlad r2, r9, r4, r2\n\t"                                                                                           \
  "smlad r2, r10, r5, r2\n\t"                                                                                          \
  "smlad r3, r9, r6, r3\n\t"                                                                                           \
  "smlad r3, r10, r8, r3\n\t"
#define MCU_W16_G1 MCU_W16_GROUP("0")
#define MCU_W16_G2 MCU_W16_G1 MCU_W16_GROUP("8")
#define MCU_W16_G3 MCU_W16_G2 MCU_W16_GROUP("16")
#define MCU_W16_G4 MCU_W16_G3 MCU_W16_GROUP("24")
#define MCU_W16_G5 MCU_W16_G4 MCU_W16_GROUP("32")
#define MCU_W16_G6 MCU_W16_G5 MCU_W16_GROUP("40")
#define MCU_W16_G7 MCU_W16_G6 MCU_W16_GROUP("48")
#define MCU_W16_G8 MCU_W16_G7 MCU_W16_GROUP("56")
#define MCU_W16_G9 MCU_W16_G8 MCU_W16_GROUP("64")
#define MCU_W16_G10 MCU_W16_G9 MCU_W16_GROUP("72")
#define MCU_W16_G11 MCU_W16_G10 MCU_W16_GROUP("80")
#define MCU_W16_G12 MCU_W16_G11 MCU_W16_GROUP("88")
#define MCU_W16_G13 MCU_W16_G12 MCU_W16_GROUP("96")
#define MCU_W16_G14 MCU_W16_G13 MCU_W16_GROUP("104")
#define MCU_W16_G15 MCU_W16_G14 MCU_W16_GROUP("112")
#define MCU_W16_G16 MCU_W16_G15 MCU_W16_GROUP("120")
/* Four groups at [ip, #0..24], then ip += 32 (the loop form for k > 64). */
#define MCU_W16_G4_STEP MCU_W16_G4 "adds %[ip], %[ip], #32\n\t"

/* The accumulation of one tile: bias'' loaded into r0..r3 by one LDM, then the k / 4 groups; wp advances past the
 * tile's bias and filter words. The accumulators stay in r0..r3 for the epilogue statement that follows. */
#define MCU_W16_TILE_ASM(BODY)                                                                                         \
  __asm__ volatile("ldmia %[wp]!, {r0, r1, r2, r3}\n\t" BODY                                                           \
                   : [wp] "+r"(wp), "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3)                                         \
                   : [ip] "r"(xs)                                                                                      \
                   : "r4", "r5", "r6", "r8", "r9", "r10", "memory")
#define MCU_W16_TILE_CASE(n)                                                                                           \
  case n:                                                                                                              \
    MCU_W16_TILE_ASM(MCU_W16_G##n);                                                                                    \
    break;

/* The last k / 4 % 4 groups after the loop form, from the advanced input pointer. */
#define MCU_W16_TAIL_CASE(n)                                                                                           \
  case n:                                                                                                              \
    __asm__ volatile(MCU_W16_G##n                                                                                      \
                     : [wp] "+r"(wp), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)                                           \
                     : [ip] "r"(ip)                                                                                    \
                     : "r4", "r5", "r6", "r8", "r9", "r10", "memory");                                                 \
    break;

/* The fused epilogue of a tile: m0..m3 and C by one LDM, then per channel SMMLAR, ADD of the accumulator's sign,
 * SSAT with the layer's right shift R, STRB; op advances by 4. */
/* The fused epilogue of a tile: m0..m3 and C by one LDM, then per channel SMMLAR, ADD of the accumulator's sign,
 * SSAT with the layer's right shift R, STRB. op points at channel 3's byte: channels 0..2 go to [op, #-3..-1] and
 * channel 3's store is post-indexed, so op moves to the next tile with no extra instruction. */
#define MCU_W16_EPI_ONE(ACC, M, T, OFF, R)                                                                             \
  "smmlar " T ", " ACC ", " M ", r9\n\t"                                                                               \
  "add " T ", " T ", " ACC ", asr #31\n\t"                                                                             \
  "ssat " T ", #8, " T ", asr #" #R "\n\t"                                                                             \
  "strb " T ", [%[op]" OFF "\n\t"
#define MCU_W16_EPI_CASE(R)                                                                                            \
  case R:                                                                                                              \
    __asm__ volatile("ldmia %[wp]!, {r4, r5, r6, r8, r9}\n\t" MCU_W16_EPI_ONE("r0", "r4", "r10", ", #-3]", R)          \
                         MCU_W16_EPI_ONE("r1", "r5", "r4", ", #-2]", R) MCU_W16_EPI_ONE("r2", "r6", "r5", ", #-1]", R) \
                             MCU_W16_EPI_ONE("r3", "r8", "r6", "], #4", R)                                             \
                     : [wp] "+r"(wp), [op] "+r"(op)                                                                    \
                     : "r"(a0), "r"(a1), "r"(a2), "r"(a3)                                                              \
                     : "r4", "r5", "r6", "r8", "r9", "r10", "memory");                                                 \
    break;

/* The fused epilogue with a right shift per channel: {m, C, R} of two channels per LDM (r4..r10), then SMMLAR, ADD
 * (sign), ASR by register, SSAT, STRB per channel (op as above). */
#define MCU_W16_EPI_PC(ACC, M, C, R, OFF)                                                                              \
  "smmlar " M ", " ACC ", " M ", " C "\n\t"                                                                            \
  "add " M ", " M ", " ACC ", asr #31\n\t"                                                                             \
  "asr " M ", " M ", " R "\n\t"                                                                                        \
  "ssat " M ", #8, " M "\n\t"                                                                                          \
  "strb " M ", [%[op]" OFF "\n\t"
/* clang-format off */
#define MCU_W16_EPI_PERCHANNEL                                                                                         \
  __asm__ volatile("ldmia %[wp]!, {r4, r5, r6, r8, r9, r10}\n\t" MCU_W16_EPI_PC("r0", "r4", "r5", "r6", ", #-3]")     \
                       MCU_W16_EPI_PC("r1", "r8", "r9", "r10", ", #-2]")                                                \
                   "ldmia %[wp]!, {r4, r5, r6, r8, r9, r10}\n\t" MCU_W16_EPI_PC("r2", "r4", "r5", "r6", ", #-1]")     \
                       MCU_W16_EPI_PC("r3", "r8", "r9", "r10", "], #4")                                                 \
                   : [wp] "+r"(wp), [op] "+r"(op)                                                                      \
                   : "r"(a0), "r"(a1), "r"(a2), "r"(a3)                                                                \
                   : "r4", "r5", "r6", "r8", "r9", "r10", "memory")
/* clang-format on */

/* The requantization of a 4x1 accumulator outside the fused form: acc is 2a in the MMLA modes (mcu_w16_doubled). */
MCU_GEMM_INLINE int8_t mcu_w16_requant(int32_t acc, const mcu_gemm_rq_t *r, int32_t mode,
                                       const mcu_k_conv_params_t *q) {
  if (mode >= MCU_GEMM_RQ_MMLA) {
    const int32_t t = mcu_dsp_smmlar(acc, r->mult, r->nudge);
    const int32_t v = mcu_fx_asr32(mcu_dsp_i32((uint32_t)t + (uint32_t)mcu_fx_asr32(acc, 31)), r->right);
    if (q->act_min == -128 && q->act_max == 127)
      return (int8_t)mcu_dsp_ssat8(v);
    return (int8_t)mcu_fx_clamp(v, q->act_min, q->act_max);
  }
  return mcu_gemm_requant(acc, r, mode, q);
}

/* One pixel: src its k int8 values, xs the scratch (k / 4 word pairs), stream the compile-time stream (above), y its
 * o outputs. tab: aux1 (the requantization tables when not fused; NULL when fused). */
MCU_GEMM_INLINE void mcu_w16_pixel(const int8_t *src, uint32_t *xs, const int32_t *stream, int8_t *y, int32_t k,
                                   int32_t o, int32_t mode, const int32_t *tab, const mcu_k_conv_params_t *q,
                                   int aligned) {
  mcu_w16_widen(src, xs, k, aligned);
  const int32_t k4 = k >> 2, tiles = o >> 2;
#if defined(__ARM_FEATURE_DSP) && defined(__clang__)
  register const int32_t *wp __asm__("r12") = stream;
  int8_t *op = y + 3; /* channel 3 of the current tile (the epilogues' addressing) */
  for (int32_t t = 0; t < tiles; ++t) {
    register int32_t a0 __asm__("r0"), a1 __asm__("r1"), a2 __asm__("r2"), a3 __asm__("r3");
    switch (k4) {
      MCU_W16_TILE_CASE(1)
      MCU_W16_TILE_CASE(2)
      MCU_W16_TILE_CASE(3)
      MCU_W16_TILE_CASE(4)
      MCU_W16_TILE_CASE(5)
      MCU_W16_TILE_CASE(6)
      MCU_W16_TILE_CASE(7)
      MCU_W16_TILE_CASE(8)
      MCU_W16_TILE_CASE(9)
      MCU_W16_TILE_CASE(10)
      MCU_W16_TILE_CASE(11)
      MCU_W16_TILE_CASE(12)
      MCU_W16_TILE_CASE(13)
      MCU_W16_TILE_CASE(14)
      MCU_W16_TILE_CASE(15)
      MCU_W16_TILE_CASE(16)
    default: { /* k > 64: four groups per iteration, then the rest unrolled from the advanced pointer */
      const uint32_t *ip = xs, *const ip_end = xs + 2 * 4 * (k4 >> 2);
      __asm__ volatile("ldmia %[wp]!, {r0, r1, r2, r3}\n\t"
                       "1:\n\t" MCU_W16_G4_STEP "cmp %[ip], %[ie]\n\t"
                       "bne 1b\n\t"
                       : [wp] "+r"(wp), [ip] "+r"(ip), "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3)
                       : [ie] "r"(ip_end)
                       : "r4", "r5", "r6", "r8", "r9", "r10", "cc", "memory");
      switch (k4 & 3) {
        MCU_W16_TAIL_CASE(3)
        MCU_W16_TAIL_CASE(2)
        MCU_W16_TAIL_CASE(1)
      default:
        break;
      }
      break;
    }
    }
    if (mcu_w16_fused(mode, q) && mode == MCU_GEMM_RQ_MMLA) {
      MCU_W16_EPI_PERCHANNEL;
    } else if (mcu_w16_fused(mode, q)) {
      switch (mode - MCU_GEMM_RQ_MMLA_R0) {
        MCU_W16_EPI_CASE(1)
        MCU_W16_EPI_CASE(2)
        MCU_W16_EPI_CASE(3)
        MCU_W16_EPI_CASE(4)
        MCU_W16_EPI_CASE(5)
        MCU_W16_EPI_CASE(6)
        MCU_W16_EPI_CASE(7)
        MCU_W16_EPI_CASE(8)
        MCU_W16_EPI_CASE(9)
        MCU_W16_EPI_CASE(10)
        MCU_W16_EPI_CASE(11)
        MCU_W16_EPI_CASE(12)
        MCU_W16_EPI_CASE(13)
        MCU_W16_EPI_CASE(14)
        MCU_W16_EPI_CASE(15)
        MCU_W16_EPI_CASE(16)
        MCU_W16_EPI_CASE(17)
        MCU_W16_EPI_CASE(18)
        MCU_W16_EPI_CASE(19)
        MCU_W16_EPI_CASE(20)
        MCU_W16_EPI_CASE(21)
        MCU_W16_EPI_CASE(22)
        MCU_W16_EPI_CASE(23)
        MCU_W16_EPI_CASE(24)
        MCU_W16_EPI_CASE(25)
        MCU_W16_EPI_CASE(26)
        MCU_W16_EPI_CASE(27)
        MCU_W16_EPI_CASE(28)
        MCU_W16_EPI_CASE(29)
        MCU_W16_EPI_CASE(30)
        MCU_W16_EPI_CASE(31)
      default:
        break;
      }
    } else {
      const int32_t acc[4] = {a0, a1, a2, a3};
      for (int32_t j = 0; j < 4; ++j) {
        const mcu_gemm_rq_t r = mcu_gemm_rq(tab, o, 4 * t + j, mode, q);
        op[j - 3] = mcu_w16_requant(acc[j], &r, mode, q);
      }
      op += 4;
    }
  }
#else
  const int32_t *wp = stream;
  const int fused = mcu_w16_fused(mode, q);
  for (int32_t t = 0; t < tiles; ++t) {
    int32_t acc[4];
    for (int32_t j = 0; j < 4; ++j)
      acc[j] = wp[j];
    wp += 4;
    for (int32_t g = 0; g < k4; ++g, wp += 8)
      for (int32_t j = 0; j < 4; ++j) {
        acc[j] = mcu_dsp_smlad(xs[2 * g], (uint32_t)wp[2 * j], acc[j]);
        acc[j] = mcu_dsp_smlad(xs[2 * g + 1], (uint32_t)wp[2 * j + 1], acc[j]);
      }
    for (int32_t j = 0; j < 4; ++j) {
      mcu_gemm_rq_t r;
      if (fused && mode >= MCU_GEMM_RQ_MMLA_R0) {
        r.mult = wp[j], r.nudge = wp[4], r.right = mode - MCU_GEMM_RQ_MMLA_R0;
        r.left = r.mask = r.half = r.hbase = 0;
      } else if (fused) {
        r.mult = wp[3 * j], r.nudge = wp[3 * j + 1], r.right = wp[3 * j + 2];
        r.left = r.mask = r.half = r.hbase = 0;
      } else {
        r = mcu_gemm_rq(tab, o, 4 * t + j, mode, q);
      }
      y[4 * t + j] = mcu_w16_requant(acc[j], &r, mode, q);
    }
    if (fused)
      wp += mcu_w16_tail_words(mode);
  }
#endif
}

#endif
