/* k_onnx_binary.c: QLinearAdd and QLinearMul (com.microsoft) as ONNX Runtime computes them on x86-64, int8/uint8. */
#include <math.h>
#include <stdint.h>

#include "k_onnx.h"

/* Row-major walk over the broadcast output with the two inputs' element offsets. */
typedef struct walk {
  int32_t idx[MCU_KO_RANK];
  int32_t a, b;
} walk_t;

static inline void walk_next(const mcu_ko_bcast_t *bc, walk_t *w) {
  for (int d = MCU_KO_RANK - 1; d >= 0; --d) {
    ++w->idx[d];
    w->a += bc->a_stride[d];
    w->b += bc->b_stride[d];
    if (w->idx[d] < bc->out_shape[d]) return;
    w->a -= bc->a_stride[d] * bc->out_shape[d];
    w->b -= bc->b_stride[d] * bc->out_shape[d];
    w->idx[d] = 0;
  }
}

static inline int32_t walk_count(const mcu_ko_bcast_t *bc) {
  int32_t n = 1;
  for (int d = 0; d < MCU_KO_RANK; ++d) n *= bc->out_shape[d];
  return n;
}

/* mcu_k_qladd_q8 reproduces MLAS's AVX2 QLinearAdd kernel (MlasQLinearAddKernelAvx2Helper, what ONNX Runtime runs
 * on x86-64 with AVX2), element by element. xa, xb: the stored input values converted to float (zero points are in
 * `fixed`). With ra = ratio_a, rb = ratio_b and fmaf a fused multiply-add (one rounding):
 *   MCU_KO_SPAN_BOTH: v = fmaf(xa, ra, fmaf(xb, rb, fixed))
 *   MCU_KO_SCALAR_A:  v = fmaf(xb, rb, fixed + xa * ra)     (the scalar's term is folded into `fixed` unfused)
 *   MCU_KO_SCALAR_B:  v = fmaf(xa, ra, fixed + xb * rb)
 * then y = CVTPS2DQ(v) (round half to even) saturated to the type by PACKSSDW/PACKSSWB (PACKUSWB for uint8)
 * (mcu_ko_cvt_pack_q8). The output zero point is inside `fixed`. Params: mcu_ko_qladd_params_t; in0, in1: 8-bit
 * inputs of the type, out: the broadcast output. Weakness: the order of the float operations is ONNX Runtime's
 * x86-64 AVX2 build's; its SSE2 and NEON builds round differently (docs/numerics-onnx.md). fmaf is exact on both
 * sides (the Cortex-M7's VFMA.F32 and the host's correctly rounded fmaf). */
void mcu_k_qladd_q8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                    const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_qladd_params_t *p = (const mcu_ko_qladd_params_t *)params;
  const int32_t n = walk_count(&p->bc);
  walk_t w;
  for (int d = 0; d < MCU_KO_RANK; ++d) w.idx[d] = 0;
  w.a = w.b = 0;
  uint8_t *y = (uint8_t *)out;
  for (int32_t i = 0; i < n; ++i, walk_next(&p->bc, &w)) {
    const float xa = (float)mcu_ko_load_q8(in0, w.a, p->type), xb = (float)mcu_ko_load_q8(in1, w.b, p->type);
    float v;
    if (p->mode == MCU_KO_SCALAR_A) {
      const float ta = xa * p->ratio_a;
      v = fmaf(xb, p->ratio_b, p->fixed + ta);
    } else if (p->mode == MCU_KO_SCALAR_B) {
      const float tb = xb * p->ratio_b;
      v = fmaf(xa, p->ratio_a, p->fixed + tb);
    } else {
      v = fmaf(xa, p->ratio_a, fmaf(xb, p->ratio_b, p->fixed));
    }
    y[i] = (uint8_t)(uint32_t)mcu_ko_cvt_pack_q8(v, p->type);
  }
  (void)aux0;
  (void)aux1;
  (void)in2;
}

/* mcu_k_qlmul_q8 reproduces MLAS's SSE2 QLinearMul kernel (the one x86-64 runs; there is no AVX2 variant):
 *   prod = (a - z_a) * (b - z_b)            exact int32 (|prod| <= 65025)
 *   v = (float)prod * ratio + zero_c        two float32 roundings (multiply, then add; no fusion)
 *   y = CVTPS2DQ(v) saturated to the type   (round half to even, mcu_ko_cvt_pack_q8)
 * ratio = s_a * s_b / s_c in float32, left to right (commutative, so ONNX Runtime's swapped operands for a scalar
 * input 0 give the same value). Params: mcu_ko_qlmul_params_t; in0, in1, out as mcu_k_qladd_q8. */
void mcu_k_qlmul_q8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                    const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_qlmul_params_t *p = (const mcu_ko_qlmul_params_t *)params;
  const int32_t n = walk_count(&p->bc);
  walk_t w;
  for (int d = 0; d < MCU_KO_RANK; ++d) w.idx[d] = 0;
  w.a = w.b = 0;
  uint8_t *y = (uint8_t *)out;
  for (int32_t i = 0; i < n; ++i, walk_next(&p->bc, &w)) {
    const int32_t prod =
        (mcu_ko_load_q8(in0, w.a, p->type) - p->zero_a) * (mcu_ko_load_q8(in1, w.b, p->type) - p->zero_b);
    const float scaled = (float)prod * p->ratio;
    const float v = scaled + p->zero_c;
    y[i] = (uint8_t)(uint32_t)mcu_ko_cvt_pack_q8(v, p->type);
  }
  (void)aux0;
  (void)aux1;
  (void)in2;
}
