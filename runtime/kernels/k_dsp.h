/* k_dsp.h: the Cortex-M DSP-extension operations the fast kernels use, with portable C twins for the host. */
#ifndef MCUNET_RUNTIME_KERNELS_K_DSP_H
#define MCUNET_RUNTIME_KERNELS_K_DSP_H

/* On a target with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4/M7, thumbv7em) these are the ACLE intrinsics
 * of <arm_acle.h>, one instruction each (LLVM folds the rotate into `sxtb16 rd, rm, ror #8`). Elsewhere (the host
 * build the reference and --target=host run) they are plain C computing the identical 32-bit results, so a kernel
 * written with them is bit-exact on both sides. Wrapping: SMLAD's additions wrap modulo 2^32 (it only sets the Q
 * flag, which nothing reads); the C twins add in uint32 to wrap the same way. */

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* Two's complement view of a 32-bit pattern (C17 has no defined conversion for values >= 2^31). */
static inline int32_t mcu_dsp_i32(uint32_t u) {
  return u >= 0x80000000u ? (int32_t)(u - 0x80000000u) - INT32_MAX - 1 : (int32_t)u;
}

/* The signed 16-bit halves of a word. */
static inline int32_t mcu_dsp_lo16(uint32_t v) { return (int32_t)(int16_t)(uint16_t)(v & 0xffffu); }
static inline int32_t mcu_dsp_hi16(uint32_t v) { return (int32_t)(int16_t)(uint16_t)(v >> 16); }

/* SXTB16: bytes 0 and 2 of x sign-extended to the low and high 16-bit halves. */
static inline uint32_t mcu_dsp_sxtb16(uint32_t x) {
#if defined(__ARM_FEATURE_DSP)
  return (uint32_t)__sxtb16(x);
#else
  const uint32_t b0 = (uint32_t)(int32_t)(int8_t)(uint8_t)(x & 0xffu) & 0xffffu;
  const uint32_t b2 = (uint32_t)(int32_t)(int8_t)(uint8_t)((x >> 16) & 0xffu) & 0xffffu;
  return b0 | (b2 << 16);
#endif
}

/* SXTB16 with ROR #8: bytes 1 and 3 of x sign-extended to the low and high halves. */
static inline uint32_t mcu_dsp_sxtb16_ror8(uint32_t x) {
#if defined(__ARM_FEATURE_DSP)
  return (uint32_t)__sxtb16(__ror(x, 8));
#else
  return mcu_dsp_sxtb16(x >> 8);
#endif
}

/* SMLAD: acc + lo(a) * lo(b) + hi(a) * hi(b), 16-bit signed halves, wrapping. */
static inline int32_t mcu_dsp_smlad(uint32_t a, uint32_t b, int32_t acc) {
#if defined(__ARM_FEATURE_DSP)
  return __smlad(a, b, acc);
#else
  const uint32_t p0 = (uint32_t)(mcu_dsp_lo16(a) * mcu_dsp_lo16(b));
  const uint32_t p1 = (uint32_t)(mcu_dsp_hi16(a) * mcu_dsp_hi16(b));
  return mcu_dsp_i32((uint32_t)acc + p0 + p1);
#endif
}

/* SSAT #8: v saturated to [-128, 127]. */
static inline int32_t mcu_dsp_ssat8(int32_t v) {
#if defined(__ARM_FEATURE_DSP)
  return __ssat(v, 8);
#else
  return v < -128 ? -128 : v > 127 ? 127 : v;
#endif
}

/* SMMLA and SMMLAR: the high word of (acc << 32) + a * b (+ 2^31 for SMMLAR, which rounds; SMMLA truncates toward
 * minus infinity), 64-bit, the high word wrapping like acc + ... . ROUND: the 2^31 of the host form. */
#if defined(__ARM_FEATURE_DSP)
#define MCU_DSP_MMLA(NAME, INSN, ROUND)                                                                                \
  static inline int32_t NAME(int32_t a, int32_t b, int32_t acc) {                                                      \
    int32_t r;                                                                                                         \
    __asm__(INSN " %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));                                              \
    return r;                                                                                                          \
  }
#else
#define MCU_DSP_MMLA(NAME, INSN, ROUND)                                                                                \
  static inline int32_t NAME(int32_t a, int32_t b, int32_t acc) {                                                      \
    const uint64_t sum = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * (int64_t)b) + (ROUND);            \
    return mcu_dsp_i32((uint32_t)(sum >> 32));                                                                         \
  }
#endif
MCU_DSP_MMLA(mcu_dsp_smmlar, "smmlar", 0x80000000u)
MCU_DSP_MMLA(mcu_dsp_smmla, "smmla", 0u)

/* SADD16: the two signed halfwords of a and b added lane by lane (each lane wrapping). */
static inline uint32_t mcu_dsp_sadd16(uint32_t a, uint32_t b) {
#if defined(__ARM_FEATURE_DSP)
  uint32_t r;
  __asm__("sadd16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return ((a + b) & 0xffffu) | (((a >> 16) + (b >> 16)) << 16);
#endif
}


/* An unaligned little-endian 32-bit load (a plain LDR on Cortex-M7, which allows unaligned word loads). */
static inline uint32_t mcu_dsp_load32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

#endif
