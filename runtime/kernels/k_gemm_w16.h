/* k_gemm_w16.h: the 4x1 pointwise tile (four output channels of a pixel from a compile-time int16 stream) and kin. */
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
 * shift per channel: ASR by register, SSAT's shift is an immediate); where the output offset is -128 (ReLU outputs)
 * the sign term never matters and 3 do (SMMLA(R), SSAT, STRB: the RELU form below, per-channel shifts folded into
 * the stream's scale). A tile of 64 MACs (k = 16) then costs ~59 instructions (~67 with the sign term and
 * per-channel shifts); wider layers approach 11/16.
 *
 * Stream (aux0, int32 words), per tile t (channels 4t .. 4t + 3, o % 4 == 0):
 *   bias''[4t + j] for j = 0..3 (2^s bias' with s = mcu_w16_scale_log2: 1 in the MMLA modes, 1 + R - e_c in the
 *     per-channel RELU form, 0 otherwise);
 *   per group g = 0 .. k/4 - 1, per channel j = 0..3: the words (w0, w2) and (w1, w3) of its values 4g .. 4g + 3 as
 *     int16 halves (low, high), scaled by the same 2^s;
 *   the epilogue record (mcu_w16_tail_words): with one right shift R for the layer (MCU_GEMM_RQ_MMLA_R0 + R)
 *     m[4t + j] for j = 0..3, then C (the MMLA constant, the same for every channel); with a right shift per channel
 *     (MCU_GEMM_RQ_MMLA) m, C, e of each channel (SIGN, 12 words) or m, C_c (RELU, 8 words); none in the C form.
 * The C form (SAT, EXACT, FAST, ONNX, or a clamp narrower than int8) keeps its tables in aux1 (k_gemm_s8.h's
 * layout) and runs the epilogue in C after the assembly accumulation.
 *
 * Two relatives below: the 4x16 form (mcu_w16_chunk: the same tile over chunks of pixels, its filter kept as int8
 * and widened once per chunk) and the 2x1 tile (mcu_w16_pair: two output channels, the input read in place).
 *
 * Weakness: the stream takes two bytes of flash per filter value (lower.c folds the int8 filter out of the weights
 * blob, so one more than before), hence the cost model's cap (kernel_select.h) and the 4x16 form for wider
 * filters; k % 4 and o % 4 must be 0; the
 * pixel's widening (10 instructions per 16 values), the pixel loop and the per-tile bias and multiplier loads keep
 * k = 16 layers near one MAC per instruction (1.03-1.04 in the RELU form, 0.79-0.92 with the sign term). */

#include <stdint.h>

#include "k_gemm_s8.h"

/* Epilogue forms of the tile (mcu_k_gemm_params_t.w16_epi, chosen at compile time by mcu_w16_epi_form):
 *  MCU_W16_EPI_C: the requantization in C after the assembly accumulation (SAT, EXACT, FAST, ONNX, or a clamp
 *    narrower than int8); its tables in aux1 (k_gemm_s8.h's layout).
 *  MCU_W16_EPI_SIGN: an MMLA mode and the full int8 range: SMMLAR, ADD (the accumulator's sign), SSAT with the right
 *    shift, STRB; with a right shift per channel also an ASR by register (SSAT's shift is an immediate).
 *  MCU_W16_EPI_RELU: the same and output offset -128 (ReLU / ReLU6 outputs): SMMLA(R), SSAT, STRB.
 *    Why it is exact: with v = SRDHM(a, m) and right shift e, TF Lite Micro's output is
 *    f = floor((v + 2^(e-1) - [v < 0]) / 2^e) + z (k_gemm_s8.h). The [v < 0] term only matters for v < 0, where
 *    f <= z = -128 and the form below is <= z as well: both saturate to -128. For v >= 0,
 *    f - z = floor((a m + 2^30 + 2^(30+e)) / 2^(31+e)) (nested floors). One right shift R for the layer: the
 *    uniform MMLA mode's SMMLAR with its C = 2^(R-1) + z 2^R gives that without the ADD. A right shift e_c per
 *    channel: R = max e_c + 1, channel c's stream (filter and bias) scaled by 2^s, s = 1 + d, d = R - e_c >= 1,
 *    so the accumulator is A = 2^s a, and SMMLA (no rounding) with C_c = 2^(d-1) + 2^(R-1) + z 2^R gives
 *    floor((C_c 2^32 + A m) / 2^(32+R)) = floor(2^s (a m + 2^30 + 2^(30+e) + z 2^(31+e)) / 2^(s+31+e)) = f for
 *    v >= 0: one immediate shift for every channel. mcu_w16_relu_shift checks s <= 8 (2^s w stays int16), |A| < 2^31
 *    and |C_c| + |A m / 2^32| + 1 < 2^31 for the accumulator bound. */
#define MCU_W16_EPI_C 0
#define MCU_W16_EPI_SIGN 1
#define MCU_W16_EPI_RELU 2

/* The C_c of the per-channel RELU form: d = R - e_c (>= 1), z the output offset. */
MCU_GEMM_INLINE int64_t mcu_w16_relu_nudge(int32_t r, int32_t e, int32_t z) {
  return ((int64_t)1 << (r - e - 1)) + ((int64_t)1 << (r - 1)) + (int64_t)z * ((int64_t)1 << r);
}

/* The layer shift R of the per-channel RELU form, or 0 when a channel does not allow it. rec: the MMLA records
 * {bias', m, C, e} of o channels; amax[o]: accumulator bounds (|a| <= amax); z: the output offset. */
MCU_GEMM_INLINE int32_t mcu_w16_relu_shift(const int32_t *rec, const int64_t *amax, int32_t o, int32_t z) {
  int32_t r = 0;
  for (int32_t c = 0; c < o; ++c)
    r = rec[4 * c + 3] > r ? rec[4 * c + 3] : r;
  if (++r > 31)
    return 0;
  for (int32_t c = 0; c < o; ++c) {
    const int32_t e = rec[4 * c + 3], s = 1 + r - e;
    if (e < 1 || s > 8 || amax[c] < 0 || amax[c] >= ((int64_t)1 << (31 - s)))
      return 0;
    const int64_t cc = mcu_w16_relu_nudge(r, e, z), hi = (((amax[c] << s) * (int64_t)rec[4 * c + 1]) >> 32) + 1;
    if ((cc < 0 ? -cc : cc) + hi + 1 >= ((int64_t)1 << 31))
      return 0;
  }
  return r;
}

/* The epilogue form of a layer in requantization mode (k_gemm_s8.h) with output params q; for the per-channel
 * RELU form also its shift R (*out_shift, else 0). rec, amax: as mcu_w16_relu_shift (read in mode
 * MCU_GEMM_RQ_MMLA only). */
MCU_GEMM_INLINE int32_t mcu_w16_epi_form(int32_t mode, const mcu_k_conv_params_t *q, const int32_t *rec,
                                         const int64_t *amax, int32_t o, int32_t *out_shift) {
  *out_shift = 0;
  if (mode < MCU_GEMM_RQ_MMLA || q->act_min != -128 || q->act_max != 127)
    return MCU_W16_EPI_C;
  if (q->output_offset != -128)
    return MCU_W16_EPI_SIGN;
  if (mode >= MCU_GEMM_RQ_MMLA_R0)
    return MCU_W16_EPI_RELU;
  *out_shift = mcu_w16_relu_shift(rec, amax, o, q->output_offset);
  return *out_shift ? MCU_W16_EPI_RELU : MCU_W16_EPI_SIGN;
}

/* Words of a tile's epilogue record in the stream: m0..m3 and the shared C (one right shift for the layer);
 * per channel {m, C, e} (SIGN) or {m, C_c} (RELU); none in the C form. */
MCU_GEMM_INLINE int32_t mcu_w16_tail_words(int32_t mode, int32_t epi) {
  if (epi == MCU_W16_EPI_C)
    return 0;
  if (mode >= MCU_GEMM_RQ_MMLA_R0)
    return 5;
  return epi == MCU_W16_EPI_RELU ? 8 : 12;
}

/* log2 of the factor of channel c's stream values (filter and bias): 1 in the MMLA modes (the accumulator is 2a),
 * 1 + R - e_c in the per-channel RELU form (shift R, the channel's right shift e_c), else 0. */
MCU_GEMM_INLINE int32_t mcu_w16_scale_log2(int32_t mode, int32_t epi, int32_t shift, int32_t e) {
  if (epi == MCU_W16_EPI_RELU && mode < MCU_GEMM_RQ_MMLA_R0)
    return 1 + shift - e;
  return mode >= MCU_GEMM_RQ_MMLA ? 1 : 0;
}

/* Words of the stream for o channels of k values. */
MCU_GEMM_INLINE int64_t mcu_w16_stream_words(int64_t o, int64_t k, int32_t mode, int32_t epi) {
  return (o / 4) * (4 + 2 * k + mcu_w16_tail_words(mode, epi));
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
                   : [wp] "+&r"(wp), "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3)                                        \
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
                     : [wp] "+&r"(wp), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)                                          \
                     : [ip] "r"(ip)                                                                                    \
                     : "r4", "r5", "r6", "r8", "r9", "r10", "memory");                                                 \
    break;

/* The fused epilogues. op points at channel 3's byte of the tile: channels 0..2 go to [op, #-3..-1] and channel 3's
 * store is post-indexed, so op moves to the next tile with no extra instruction. R, the layer's right shift, is an
 * immediate: one case per value (MCU_W16_R_CASES), only the layer's own survives specialisation. */
#define MCU_W16_R_CASES(X)                                                                                             \
  X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20)     \
      X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
#define MCU_W16_CLOBBERS "r4", "r5", "r6", "r8", "r9", "r10", "memory"

/* SIGN, one right shift R: m0..m3 and C by one LDM, then per channel SMMLAR, ADD (sign), SSAT asr #R, STRB. */
#define MCU_W16_EPI_ONE(ACC, M, T, OFF, R)                                                                             \
  "smmlar " T ", " ACC ", " M ", r9\n\t"                                                                               \
  "add " T ", " T ", " ACC ", asr #31\n\t"                                                                             \
  "ssat " T ", #8, " T ", asr #" #R "\n\t"                                                                             \
  "strb " T ", [%[op]" OFF "\n\t"
/* A fused epilogue with one constant C shared by the layer (r9): m0..m3 and C by one LDM, then ONE per channel. */
#define MCU_W16_SHARED_C(ONE, R)                                                                                       \
  case R:                                                                                                              \
    __asm__ volatile("ldmia %[wp]!, {r4, r5, r6, r8, r9}\n\t" ONE("r0", "r4", "r10", ", #-3]", R)                      \
                         ONE("r1", "r5", "r4", ", #-2]", R) ONE("r2", "r6", "r5", ", #-1]", R)                         \
                             ONE("r3", "r8", "r6", "], #4", R) MCU_W16_EPI_OPS);                                       \
    break;
/* The operands of every fused epilogue: the stream and output pointers, the four accumulators (r0..r3). */
#define MCU_W16_EPI_OPS                                                                                                \
  : [wp] "+&r"(wp), [op] "+r"(op) : "r"(a0), "r"(a1), "r"(a2), "r"(a3) : MCU_W16_CLOBBERS
#define MCU_W16_EPI_CASE(R) MCU_W16_SHARED_C(MCU_W16_EPI_ONE, R)

/* SIGN, a right shift per channel: {m, C, e} of two channels per LDM (r4..r10), then SMMLAR, ADD (sign), ASR by
 * register, SSAT, STRB per channel. */
#define MCU_W16_EPI_PC(ACC, M, C, R, OFF)                                                                              \
  "smmlar " M ", " ACC ", " M ", " C "\n\t"                                                                            \
  "add " M ", " M ", " ACC ", asr #31\n\t"                                                                             \
  "asr " M ", " M ", " R "\n\t"                                                                                        \
  "ssat " M ", #8, " M "\n\t"                                                                                          \
  "strb " M ", [%[op]" OFF "\n\t"
/* clang-format off */
#define MCU_W16_EPI_PERCHANNEL                                                                                         \
  __asm__ volatile("ldmia %[wp]!, {r4, r5, r6, r8, r9, r10}\n\t" MCU_W16_EPI_PC("r0", "r4", "r5", "r6", ", #-3]")     \
                       MCU_W16_EPI_PC("r1", "r8", "r9", "r10", ", #-2]")                                               \
                   "ldmia %[wp]!, {r4, r5, r6, r8, r9, r10}\n\t" MCU_W16_EPI_PC("r2", "r4", "r5", "r6", ", #-1]")     \
                       MCU_W16_EPI_PC("r3", "r8", "r9", "r10", "], #4") MCU_W16_EPI_OPS)
/* clang-format on */

/* RELU (output offset -128), one right shift R: m0..m3 and C by one LDM, then per channel SMMLAR, SSAT asr #R,
 * STRB. */
#define MCU_W16_RELU_ONE(ACC, M, T, OFF, R)                                                                            \
  "smmlar " T ", " ACC ", " M ", r9\n\t"                                                                               \
  "ssat " T ", #8, " T ", asr #" #R "\n\t"                                                                             \
  "strb " T ", [%[op]" OFF "\n\t"
#define MCU_W16_RELU_CASE(R) MCU_W16_SHARED_C(MCU_W16_RELU_ONE, R)

/* RELU, a right shift per channel folded into the stream's scale: {m, C_c} of two channels per LDM, then per
 * channel SMMLA, SSAT asr #R (the layer's R), STRB. */
#define MCU_W16_RELUPC_ONE(ACC, M, C, OFF, R)                                                                          \
  "smmla " M ", " ACC ", " M ", " C "\n\t"                                                                             \
  "ssat " M ", #8, " M ", asr #" #R "\n\t"                                                                             \
  "strb " M ", [%[op]" OFF "\n\t"
#define MCU_W16_RELUPC_CASE(R)                                                                                         \
  case R:                                                                                                              \
    __asm__ volatile("ldmia %[wp]!, {r4, r5, r6, r8}\n\t" MCU_W16_RELUPC_ONE("r0", "r4", "r5", ", #-3]", R)            \
                         MCU_W16_RELUPC_ONE("r1", "r6", "r8", ", #-2]", R)                                             \
                     "ldmia %[wp]!, {r4, r5, r6, r8}\n\t" MCU_W16_RELUPC_ONE("r2", "r4", "r5", ", #-1]", R)            \
                         MCU_W16_RELUPC_ONE("r3", "r6", "r8", "], #4", R) MCU_W16_EPI_OPS);                            \
    break;

/* The requantization of a 4x1 accumulator outside the fused form: acc is 2a in the MMLA modes (mcu_w16_scale_log2). */
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

/* The RELU form's output of accumulator acc (host form of the assembly): SMMLAR with the shared C (one right shift
 * for the layer) or SMMLA with the channel's C_c (per-channel form), then the shift r and int8's saturation. */
MCU_GEMM_INLINE int8_t mcu_w16_relu_out(int32_t acc, int32_t m, int32_t c, int32_t r, int rounding) {
  const int32_t t = rounding ? mcu_dsp_smmlar(acc, m, c) : mcu_dsp_smmla(acc, m, c);
  return (int8_t)mcu_dsp_ssat8(mcu_fx_asr32(t, r));
}

/* One tile (four channels) of one pixel: xs the widened pixel (k / 4 word pairs), *io_wp the tile's part of the
 * stream (advanced past it), *io_op the byte of the tile's channel 3 (advanced by 4), t the tile's index (the C
 * epilogue's tables). Other arguments as mcu_w16_pixel. */
MCU_GEMM_INLINE void mcu_w16_tile(const uint32_t *xs, const int32_t **io_wp, int8_t **io_op, int32_t k, int32_t o,
                                  int32_t t, int32_t mode, int32_t epi, int32_t shift, const int32_t *tab,
                                  const mcu_k_conv_params_t *q) {
  const int32_t k4 = k >> 2;
#if defined(__ARM_FEATURE_DSP) && defined(__clang__)
  register const int32_t *wp __asm__("r12") = *io_wp;
  int8_t *op = *io_op;
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
                     : [wp] "+&r"(wp), [ip] "+&r"(ip), "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3)
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
  if (epi == MCU_W16_EPI_RELU && mode >= MCU_GEMM_RQ_MMLA_R0) {
    switch (mode - MCU_GEMM_RQ_MMLA_R0) {
      MCU_W16_R_CASES(MCU_W16_RELU_CASE)
    default:
      break;
    }
  } else if (epi == MCU_W16_EPI_RELU) {
    switch (shift) {
      MCU_W16_R_CASES(MCU_W16_RELUPC_CASE)
    default:
      break;
    }
  } else if (epi == MCU_W16_EPI_SIGN && mode >= MCU_GEMM_RQ_MMLA_R0) {
    switch (mode - MCU_GEMM_RQ_MMLA_R0) {
      MCU_W16_R_CASES(MCU_W16_EPI_CASE)
    default:
      break;
    }
  } else if (epi == MCU_W16_EPI_SIGN) {
    MCU_W16_EPI_PERCHANNEL;
  } else {
    const int32_t acc[4] = {a0, a1, a2, a3};
    for (int32_t j = 0; j < 4; ++j) {
      const mcu_gemm_rq_t r = mcu_gemm_rq(tab, o, 4 * t + j, mode, q);
      op[j - 3] = mcu_w16_requant(acc[j], &r, mode, q);
    }
    op += 4;
  }
  *io_wp = wp, *io_op = op;
#else
  const int32_t *wp = *io_wp;
  int8_t *y = *io_op - 3;
  int32_t acc[4];
  for (int32_t j = 0; j < 4; ++j)
    acc[j] = wp[j];
  wp += 4;
  for (int32_t g = 0; g < k4; ++g, wp += 8)
    for (int32_t j = 0; j < 4; ++j) {
      acc[j] = mcu_dsp_smlad(xs[2 * g], (uint32_t)wp[2 * j], acc[j]);
      acc[j] = mcu_dsp_smlad(xs[2 * g + 1], (uint32_t)wp[2 * j + 1], acc[j]);
    }
  const int uniform = mode >= MCU_GEMM_RQ_MMLA_R0;
  for (int32_t j = 0; j < 4; ++j) {
    mcu_gemm_rq_t r;
    if (epi == MCU_W16_EPI_RELU && uniform) {
      y[j] = mcu_w16_relu_out(acc[j], wp[j], wp[4], mode - MCU_GEMM_RQ_MMLA_R0, 1);
      continue;
    }
    if (epi == MCU_W16_EPI_RELU) {
      y[j] = mcu_w16_relu_out(acc[j], wp[2 * j], wp[2 * j + 1], shift, 0);
      continue;
    }
    if (epi == MCU_W16_EPI_SIGN && uniform) {
      r.mult = wp[j], r.nudge = wp[4], r.right = mode - MCU_GEMM_RQ_MMLA_R0;
      r.left = r.mask = r.half = r.hbase = 0;
    } else if (epi == MCU_W16_EPI_SIGN) {
      r.mult = wp[3 * j], r.nudge = wp[3 * j + 1], r.right = wp[3 * j + 2];
      r.left = r.mask = r.half = r.hbase = 0;
    } else {
      r = mcu_gemm_rq(tab, o, 4 * t + j, mode, q);
    }
    y[j] = mcu_w16_requant(acc[j], &r, mode, q);
  }
  *io_wp = wp + mcu_w16_tail_words(mode, epi), *io_op = y + 3 + 4;
#endif
}

/* One pixel: src its k int8 values, xs the scratch (k / 4 word pairs), stream the compile-time stream (above), y its
 * o outputs. mode: the requantization mode; epi: the epilogue form (MCU_W16_EPI_*), shift: the per-channel RELU
 * form's R; tab: aux1 (the requantization tables in the C form, else unused); aligned: src is 4-byte aligned. */
MCU_GEMM_INLINE void mcu_w16_pixel(const int8_t *src, uint32_t *xs, const int32_t *stream, int8_t *y, int32_t k,
                                   int32_t o, int32_t mode, int32_t epi, int32_t shift, const int32_t *tab,
                                   const mcu_k_conv_params_t *q, int aligned) {
  mcu_w16_widen(src, xs, k, aligned);
  const int32_t *wp = stream;
  int8_t *op = y + 3; /* channel 3 of the current tile (the epilogues' addressing) */
  for (int32_t t = 0; t < (o >> 2); ++t)
    mcu_w16_tile(xs, &wp, &op, k, o, t, mode, epi, shift, tab, q);
}

/* The 2x1 tile: the two output channels of a layer with o == 2 (the logits of a binary classifier), one pixel at a
 * time, its k int8 values (k % 16 == 0) read in place: per 16 values one LDM of the four raw words, then per raw
 * word X two SXTB16 ((x0, x2), then (x1, x3) in place), one LDM of the two channels' four stream words and four
 * SMLAD: 29 instructions for 32 MACs, against ~52 for the 1x1 tile's dot products, which widen both operands.
 * Stream (aux0): bias''[0], bias''[1], then per group of four values the words (w0, w2), (w1, w3) of channel 0 and
 * of channel 1 (the 4x1 stream's layout for a tile of two channels; doubled in the MMLA modes); the epilogue runs
 * in C from aux1. Why: with two channels the widened input serves only two dot products, so its widening is not
 * worth a scratch copy; up to 256 values the groups are unrolled without a loop. Weakness: o == 2 only (other
 * widths below 4 keep the 1x1 tile); an input that is not 4-byte aligned runs the C loop. */
#define MCU_W16_PAIR_WORD(X)                                                                                           \
  "ldmia %[wp]!, {r8, r9, r10, r11}\n\t"                                                                               \
  "sxtb16 lr, " X "\n\t"                                                                                               \
  "sxtb16 " X ", " X ", ror #8\n\t"                                                                                    \
  "smlad %[a0], lr, r8, %[a0]\n\t"                                                                                     \
  "smlad %[a0], " X ", r9, %[a0]\n\t"                                                                                  \
  "smlad %[a1], lr, r10, %[a1]\n\t"                                                                                    \
  "smlad %[a1], " X ", r11, %[a1]\n\t"
#define MCU_W16_PAIR_16                                                                                                \
  "ldmia %[xp]!, {r3, r4, r5, r6}\n\t" MCU_W16_PAIR_WORD("r3") MCU_W16_PAIR_WORD("r4") MCU_W16_PAIR_WORD("r5")       \
      MCU_W16_PAIR_WORD("r6")
#define MCU_W16_P2 MCU_W16_PAIR_16 MCU_W16_PAIR_16
#define MCU_W16_P4 MCU_W16_P2 MCU_W16_P2
#define MCU_W16_P8 MCU_W16_P4 MCU_W16_P4
#define MCU_W16_PAIR_OPS                                                                                               \
  : [xp] "+&r"(xp), [wp] "+&r"(wp), [a0] "+&r"(a0), [a1] "+&r"(a1)                                                     \
  :                                                                                                                    \
  : "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "memory"
#define MCU_W16_PAIR_CASE(n, BODY)                                                                                     \
  case n:                                                                                                              \
    __asm__ volatile(BODY MCU_W16_PAIR_OPS);                                                                           \
    break;

/* The two accumulators of one pixel: x its k values (k % 16 == 0), stream as above; out_acc[j] = bias''[j] +
 * sum_i w''[j, i] x[i]. aligned: x is 4-byte aligned (LDM). */
MCU_GEMM_INLINE void mcu_w16_pair(const int8_t *x, const int32_t *stream, int32_t k, int aligned, int32_t *out_acc) {
  int32_t a0 = stream[0], a1 = stream[1];
  const int32_t *wp = stream + 2;
#if defined(__ARM_FEATURE_DSP) && defined(__clang__)
  if (aligned) {
    const int8_t *xp = x;
    int32_t n = k >> 4;
    switch (n) {
      MCU_W16_PAIR_CASE(1, MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(2, MCU_W16_P2)
      MCU_W16_PAIR_CASE(3, MCU_W16_P2 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(4, MCU_W16_P4)
      MCU_W16_PAIR_CASE(5, MCU_W16_P4 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(6, MCU_W16_P4 MCU_W16_P2)
      MCU_W16_PAIR_CASE(7, MCU_W16_P4 MCU_W16_P2 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(8, MCU_W16_P8)
      MCU_W16_PAIR_CASE(9, MCU_W16_P8 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(10, MCU_W16_P8 MCU_W16_P2)
      MCU_W16_PAIR_CASE(11, MCU_W16_P8 MCU_W16_P2 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(12, MCU_W16_P8 MCU_W16_P4)
      MCU_W16_PAIR_CASE(13, MCU_W16_P8 MCU_W16_P4 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(14, MCU_W16_P8 MCU_W16_P4 MCU_W16_P2)
      MCU_W16_PAIR_CASE(15, MCU_W16_P8 MCU_W16_P4 MCU_W16_P2 MCU_W16_PAIR_16)
      MCU_W16_PAIR_CASE(16, MCU_W16_P8 MCU_W16_P8)
    default: /* longer: four groups of 16 per iteration, then one at a time */
      for (; n >= 4; n -= 4)
        __asm__ volatile(MCU_W16_P4 MCU_W16_PAIR_OPS);
      for (; n > 0; --n)
        __asm__ volatile(MCU_W16_PAIR_16 MCU_W16_PAIR_OPS);
      break;
    }
    out_acc[0] = a0, out_acc[1] = a1;
    return;
  }
#else
  (void)aligned;
#endif
  for (int32_t g = 0; g < (k >> 2); ++g, wp += 4) {
    const uint32_t xw = mcu_dsp_load32(x + 4 * g), lo = mcu_dsp_sxtb16(xw), hi = mcu_dsp_sxtb16_ror8(xw);
    a0 = mcu_dsp_smlad(lo, (uint32_t)wp[0], a0);
    a0 = mcu_dsp_smlad(hi, (uint32_t)wp[1], a0);
    a1 = mcu_dsp_smlad(lo, (uint32_t)wp[2], a1);
    a1 = mcu_dsp_smlad(hi, (uint32_t)wp[3], a1);
  }
  out_acc[0] = a0, out_acc[1] = a1;
}

/* The 4x16 form (a compact stream, k_conv_gemm.c): the same tiles, each tile's filter kept as int8 in flash (per
 * group of four values the 16 bytes of channels 0..3, four each) and widened once per chunk of up to MCU_W16_CHUNK
 * pixels into gs, which then holds exactly the tile's part of the int16 stream (the widening of 16 contiguous bytes
 * gives the words (w0, w2), (w1, w3) of each channel in turn). xs: the chunk's nq widened pixels (k / 4 word pairs
 * each; doubled in the MMLA modes, where the compact stream keeps 2 bias' but w itself: (2x) w = 2 (x w)); stream:
 * per tile {bias'' x 4, 4k int8 bytes, the epilogue record (mcu_w16_tail_words)}; y: the chunk's first output pixel.
 * Why: the int16 stream costs one byte of flash per filter value more than the int8 filter; here the widening (12
 * instructions per 16 values) is paid once per tile and chunk instead of being stored. Weakness: the scratch holds
 * the chunk (2k bytes per pixel) and one widened tile (8k + 64 bytes); a chunk of few pixels (a layer's last) pays a
 * whole widening; the per-channel RELU form needs per-channel filter scales and is not offered (SIGN instead). */
MCU_GEMM_INLINE void mcu_w16_chunk(const uint32_t *xs, int32_t nq, const int32_t *stream, int32_t *gs, int8_t *y,
                                   int32_t k, int32_t o, int32_t mode, int32_t epi, const int32_t *tab,
                                   const mcu_k_conv_params_t *q) {
  const int32_t tail = mcu_w16_tail_words(mode, epi), kw = k >> 1; /* kw: words of one widened pixel */
  const int32_t *sp = stream;
  for (int32_t t = 0; t < (o >> 2); ++t) {
    for (int32_t i = 0; i < 4; ++i)
      gs[i] = sp[i];
    mcu_w16_widen((const int8_t *)(sp + 4), (uint32_t *)gs + 4, 4 * k, 1);
    sp += 4 + k;
    for (int32_t i = 0; i < tail; ++i)
      gs[4 + 2 * k + i] = sp[i];
    sp += tail;
    for (int32_t j = 0; j < nq; ++j) {
      const int32_t *wp = gs;
      int8_t *op = y + (size_t)j * o + 4 * t + 3;
      mcu_w16_tile(xs + (size_t)j * kw, &wp, &op, k, o, t, mode, epi, 0, tab, q);
    }
  }
}

/* Words of the compact (4x16) stream for o channels of k values. */
MCU_GEMM_INLINE int64_t mcu_w16_compact_words(int64_t o, int64_t k, int32_t mode, int32_t epi) {
  return (o / 4) * (4 + k + mcu_w16_tail_words(mode, epi));
}

#endif
