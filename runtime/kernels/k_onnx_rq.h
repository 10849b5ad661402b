/* k_onnx_rq.h: ONNX's float32 requantization of an int32 accumulator in a few instructions (device and host side). */
#ifndef MCUNET_RUNTIME_KERNELS_K_ONNX_RQ_H
#define MCUNET_RUNTIME_KERNELS_K_ONNX_RQ_H

/* What: the epilogue of the ONNX-numerics int8 convolution / matmul kernels, the value mcu_ref_requantize
 * (runtime/ref/requant.c, docs/ir.md steps 3-5) gives: v = (float)acc * m (float32, m = the compile-time multiplier
 * s_x * s_w[o] / s_y of mcu_ref_requant_scale), clamped to [qmin - zp, qmax - zp], rounded half to even, + zp.
 *
 * How: when |v| < 2^22, v + 1.5 * 2^23 lies in (2^22, 2^24 - 2^22) where float32 values are exactly the integers,
 * so that one IEEE addition (round to nearest even, the C default and the Cortex-M FPU's reset mode) rounds v half
 * to even, and the integer is the addition's bit pattern minus 0x4B400000. Clamping then rounding equals rounding
 * then clamping to integer bounds (rounding is monotone and fixes integers), so the clamp moves to the integer side
 * after "+ zp" (one SSAT for the full int8 range). On the Cortex-M7: VMOV, VCVT.F32.S32, VMUL, VADD, VMOV, ADD,
 * SSAT: 7 instructions against ~14 for the generic float clamp-and-round.
 * Exactness: (float)acc, the multiply and the add are single IEEE float32 operations in the reference's order;
 * kernels are built with -ffp-contract=off, so the multiply and the add are never fused into one rounding.
 * Precondition (the caller's, checked at compile time by mcu_onnx_rq_short_ok): every |acc| the layer can produce
 * times |m| is below 2^22. Known weakness: depends on the FPU's rounding mode being round-to-nearest-even (the
 * reset value; firmware that changes FPSCR.RMode changes the results, as it would for any float code). */

#include <stdint.h>
#include <string.h>

/* ONNX requantization of acc with multiplier m, zero point zp, stored range [lo, hi] (lo <= zp <= hi not needed).
 * Requires |(float)acc * m| < 2^22 (mcu_onnx_rq_short_ok). */
static inline int32_t mcu_onnx_rq(int32_t acc, float m, int32_t zp, int32_t lo, int32_t hi) {
  const float t = (float)acc * m + 12582912.0f; /* two roundings: the product, then the sum (fp-contract off) */
  uint32_t bits;
  memcpy(&bits, &t, sizeof bits);
  int32_t r = (int32_t)(bits - 0x4B400000u) + zp; /* |r| < 2^22 + 2^8: no overflow */
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  return r;
}

/* Whether mcu_onnx_rq is exact for every accumulator in [-acc_bound, acc_bound] with multiplier m: |acc| * |m|
 * computed in double (exact enough: the test is against 2^21, a factor 2 below the bound), finite m. */
static inline int mcu_onnx_rq_short_ok(int64_t acc_bound, float m) {
  if (!(m == m) || m > 3.0e38f || m < -3.0e38f || acc_bound < 0) return 0;
  const double v = (double)acc_bound * (m < 0 ? -(double)m : (double)m);
  return v < 2097152.0;
}

#endif
