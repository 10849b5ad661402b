/* prepare_onnx_table.c: ONNX Runtime's compile-time arithmetic: MLAS logistic, QuantizeLinear, lookup tables. */
#include <math.h>
#include <string.h>

#include "k_onnx.h"
#include "prepare_onnx.h"

/* MLAS's logistic constants (Eigen's rational approximation, logistic.cpp). */
static const float k_lower = -18.0f, k_upper = 18.0f;
static const float k_alpha_9 = 4.37031012579801e-11f, k_alpha_7 = 1.15627324459942e-07f,
                   k_alpha_5 = 6.08574864600143e-05f, k_alpha_3 = 8.51377133304701e-03f,
                   k_alpha_1 = 2.48287947061529e-01f;
static const float k_beta_10 = 6.10247389755681e-13f, k_beta_8 = 5.76102136993427e-09f,
                   k_beta_6 = 6.29106785017040e-06f, k_beta_4 = 1.70198817374094e-03f,
                   k_beta_2 = 1.16817656904453e-01f, k_beta_0 = 9.93151921023180e-01f;

/* MlasLogisticKernelFma3 (the x86-64 kernel ONNX Runtime dispatches to on AVX2 machines), one lane:
 * x = min(18, max(-18, x)); x2 = x * x; p = fma chain alpha_9..alpha_1 in x2; p = x * p; q = fma chain
 * beta_10..beta_0 in x2; y = max(0, p / q + 0.5). Every fma is a fused multiply-add (one rounding). */
float mcu_onnx_mlas_logistic(float x) {
  x = k_lower > x ? k_lower : x; /* VMAXPS(lower, x): x unless lower is greater */
  x = k_upper < x ? k_upper : x;
  const float x2 = x * x;
  float p = fmaf(x2, k_alpha_9, k_alpha_7);
  p = fmaf(x2, p, k_alpha_5);
  p = fmaf(x2, p, k_alpha_3);
  p = fmaf(x2, p, k_alpha_1);
  float q = fmaf(x2, k_beta_10, k_beta_8);
  q = fmaf(x2, q, k_beta_6);
  q = fmaf(x2, q, k_beta_4);
  q = fmaf(x2, q, k_beta_2);
  q = fmaf(x2, q, k_beta_0);
  p = x * p;
  const float r = p / q + 0.5f;
  return 0.0f > r ? 0.0f : r;
}

int32_t mcu_onnx_quantize_linear(float x, float scale, int32_t zero_point, mcu_dtype_t dt) {
  const int32_t lo = dt == MCU_DT_U8 ? 0 : -128, hi = dt == MCU_DT_U8 ? 255 : 127;
  float v = x / scale;
  const float flo = (float)(lo - zero_point), fhi = (float)(hi - zero_point);
  v = v > flo ? v : flo; /* MAXPS / MINPS against the bounds */
  v = v < fhi ? v : fhi;
  const float r = (v + 12582912.0f) - 12582912.0f; /* |v| <= 510: round half to even */
  return (int32_t)r + zero_point;
}

void mcu_onnx_lookup_table(mcu_dtype_t dt, float x_scale, int32_t x_zero_point, float y_scale, int32_t y_zero_point,
                           int fn, float alpha, uint8_t out_table[256]) {
  for (int i = 0; i < 256; ++i) {
    const int32_t x = dt == MCU_DT_U8 ? i : (int32_t)(int8_t)(uint8_t)i; /* static_cast<T>(i) */
    float v = x_scale * (float)(x - x_zero_point);
    if (fn == MCU_ONNX_LUT_SIGMOID) v = mcu_onnx_mlas_logistic(v);
    else if (fn == MCU_ONNX_LUT_LEAKY) v = v >= 0.0f ? v : alpha * v;
    out_table[i] = (uint8_t)(uint32_t)mcu_onnx_quantize_linear(v, y_scale, y_zero_point, dt);
  }
}

/* ONNX Runtime's BroadcastLooper: a single-element input 0 (then input 1) is a scalar for the whole output;
 * otherwise the innermost run decides: the trailing dimensions merge while their broadcast pattern stays the same,
 * and along that run an input of size 1 is the scalar of each span. Shapes are right-aligned (numpy rules). */
int mcu_onnx_broadcast_mode(const mcu_tensor_t *a, const mcu_tensor_t *b) {
  if (mcu_tensor_elements(a) == 1) return MCU_KO_SCALAR_A;
  if (mcu_tensor_elements(b) == 1) return MCU_KO_SCALAR_B;
  const int r = a->rank > b->rank ? a->rank : b->rank;
  for (int d = r - 1; d >= 0; --d) { /* innermost dimension where the sizes are not both 1 */
    const int32_t da = d - (r - a->rank) >= 0 ? a->shape[d - (r - a->rank)] : 1;
    const int32_t db = d - (r - b->rank) >= 0 ? b->shape[d - (r - b->rank)] : 1;
    if (da == 1 && db == 1) continue;
    if (da == db) return MCU_KO_SPAN_BOTH;
    return da == 1 ? MCU_KO_SCALAR_A : MCU_KO_SCALAR_B;
  }
  return MCU_KO_SPAN_BOTH;
}
