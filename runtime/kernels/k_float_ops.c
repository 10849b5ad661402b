/* k_float_ops.c: float32 kernels without a numerics variant: batched matmul, leaky relu, hard sigmoid, batch norm. */
#include <stdint.h>

#include "k_onnx.h"

static inline float clampf_minmax(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

/* mcu_k_matmul_f32: y[..., i, j] = clamp(sum_k a[..., i, k] * b[..., k, j], fact_min, fact_max), the sum in
 * float32 from 0.0f with k ascending (no fused multiply-add). Batch dimensions follow numpy broadcasting (the
 * prepare gives each operand's matrix stride per output batch dimension, 0 where it is broadcast).
 * Params: mcu_ko_matmul_params_t (m, k, n >= 1); in0: float [..., M, K], in1: float [..., K, N], out: float
 * [..., M, N]. Weakness: naive loops; ONNX Runtime's SGEMM sums in another order (results agree to float
 * tolerance, not bit for bit). */
void mcu_k_matmul_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_matmul_params_t *p = (const mcu_ko_matmul_params_t *)params;
  const int32_t mk = p->m * p->k, kn = p->k * p->n, mn = p->m * p->n;
  int32_t idx[MCU_KO_MM_BATCH] = {0, 0, 0, 0};
  int32_t batches = 1;
  for (int d = 0; d < MCU_KO_MM_BATCH; ++d) batches *= p->batch_shape[d];
  for (int32_t bt = 0; bt < batches; ++bt) {
    int32_t am = 0, bm = 0;
    for (int d = 0; d < MCU_KO_MM_BATCH; ++d) {
      am += idx[d] * p->a_stride[d];
      bm += idx[d] * p->b_stride[d];
    }
    const int32_t ao = am * mk, bo = bm * kn, yo = bt * mn;
    for (int32_t i = 0; i < p->m; ++i)
      for (int32_t j = 0; j < p->n; ++j) {
        float total = 0.0f;
        for (int32_t t = 0; t < p->k; ++t)
          total += mcu_ko_f32(in0, ao + i * p->k + t) * mcu_ko_f32(in1, bo + t * p->n + j);
        mcu_ko_set_f32(out, yo + i * p->n + j, clampf_minmax(total, p->fact_min, p->fact_max));
      }
    for (int d = MCU_KO_MM_BATCH - 1; d >= 0; --d) {
      if (++idx[d] < p->batch_shape[d]) break;
      idx[d] = 0;
    }
  }
  (void)aux0;
  (void)aux1;
  (void)in2;
}

/* mcu_k_leaky_relu_f32: y = x >= 0 ? x : alpha * x (ONNX LeakyRelu; ONNX Runtime's functor; NaN takes the second
 * branch and stays NaN). Params: mcu_ko_unary_params_t (count, alpha); in0/out float [count] (may alias). */
void mcu_k_leaky_relu_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                          const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_unary_params_t *p = (const mcu_ko_unary_params_t *)params;
  for (int32_t i = 0; i < p->count; ++i) {
    const float x = mcu_ko_f32(in0, i);
    mcu_ko_set_f32(out, i, x >= 0.0f ? x : p->alpha * x);
  }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}

/* mcu_k_hard_sigmoid_f32: y = max(0, min(1, alpha * x + beta)) in float32, multiply then add (two roundings, as
 * ONNX Runtime's Eigen expression without FMA). Params: mcu_ko_unary_params_t; in0/out float [count]. */
void mcu_k_hard_sigmoid_f32(const void *params, const void *aux0, const void *aux1, const void *in0,
                            const void *in1, const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_unary_params_t *p = (const mcu_ko_unary_params_t *)params;
  for (int32_t i = 0; i < p->count; ++i) {
    const float t = p->alpha * mcu_ko_f32(in0, i);
    float v = t + p->beta;
    v = v < 1.0f ? v : 1.0f;
    v = v > 0.0f ? v : 0.0f;
    mcu_ko_set_f32(out, i, v);
  }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}

/* mcu_k_batch_norm_f32: y[r, c] = x[r, c] * a[c] + b[c] (multiply then add, float32), the form ONNX Runtime's
 * BatchNormalization evaluates for inference: the prepare computed a = scale / sqrtf(var + epsilon) and
 * b = bias - mean * a in float32 (each operation rounded once, sqrtf correctly rounded), as ONNX Runtime does
 * per call. Params: mcu_ko_batch_norm_params_t; aux0: float a[C], aux1: float b[C]; in0/out float
 * [outer, channels] (channels last). */
void mcu_k_batch_norm_f32(const void *params, const void *aux0, const void *aux1, const void *in0,
                          const void *in1, const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_ko_batch_norm_params_t *p = (const mcu_ko_batch_norm_params_t *)params;
  for (int32_t r = 0; r < p->outer; ++r)
    for (int32_t c = 0; c < p->channels; ++c) {
      const int32_t i = r * p->channels + c;
      const float t = mcu_ko_f32(in0, i) * mcu_ko_f32(aux0, c);
      mcu_ko_set_f32(out, i, t + mcu_ko_f32(aux1, c));
    }
  (void)in1;
  (void)in2;
}
