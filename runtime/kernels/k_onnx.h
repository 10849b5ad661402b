/* k_onnx.h: parameter structs, entry points and shared helpers of the ONNX kernel group (device and host side). */
#ifndef MCUNET_RUNTIME_KERNELS_K_ONNX_H
#define MCUNET_RUNTIME_KERNELS_K_ONNX_H

/* Two kinds of kernels live here (docs/numerics-onnx.md states the arithmetic of each):
 * - ONNX-numerics quantized kernels (layer numerics == MCU_NUMERICS_ONNX): the com.microsoft QOperator ops as ONNX
 *   Runtime's CPU provider computes them on x86-64 (QLinearAdd, QLinearMul, QLinearAveragePool,
 *   QLinearGlobalAveragePool, QLinearConcat; QLinearSigmoid is a table run by mcu_k_lut_s8).
 * - float32 kernels with no numerics variant (matmul, leaky relu, hard sigmoid, batch norm).
 * Every struct holds only int32_t and float members (and fixed arrays of them) so its bytes mean the same on the
 * host and on the Cortex-M (kernel_call.h). Element type codes are those of mcu_dtype_t (0 = i8, 1 = u8). */

#include <stdint.h>
#include <string.h>

#define MCU_KO_RANK 6

/* ---- shared device helpers ---- */

/* An 8-bit element of type 0 (int8) or 1 (uint8) as int32. */
static inline int32_t mcu_ko_load_q8(const void *base, int32_t i, int32_t type) {
  const uint8_t b = ((const uint8_t *)base)[i];
  return type == 1 ? (int32_t)b : (int32_t)b - ((b & 0x80u) ? 256 : 0);
}

static inline float mcu_ko_f32(const void *base, int32_t i) {
  float v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, 4);
  return v;
}

static inline void mcu_ko_set_f32(void *base, int32_t i, float v) { memcpy((uint8_t *)base + 4 * (size_t)i, &v, 4); }

/* x86 CVTPS2DQ (round to nearest, ties to even; NaN and values outside int32 give INT32_MIN) followed by the
 * saturating packs PACKSSDW then PACKSSWB / PACKUSWB: the stored 8-bit value of type `type` for the float v.
 * Round half to even is done with the 1.5 * 2^23 trick (exact for |v| < 2^22, beyond that v is already an
 * integer far outside the 8-bit range, so only the saturation matters). */
static inline int32_t mcu_ko_cvt_pack_q8(float v, int32_t type) {
  const int32_t lo = type == 1 ? 0 : -128, hi = type == 1 ? 255 : 127;
  if (!(v >= -2147483648.0f && v < 2147483648.0f)) return lo; /* NaN or out of range: INT32_MIN saturates low */
  if (v >= 4194304.0f) return hi;
  if (v <= -4194304.0f) return lo;
  const float r = (v + 12582912.0f) - 12582912.0f; /* round half to even */
  const int32_t q = (int32_t)r;
  return q < lo ? lo : q > hi ? hi : q;
}

/* ---- ONNX-numerics quantized kernels ---- */

/* Broadcast walk over the output (row-major) with element strides of both inputs over the output shape padded
 * on the left to MCU_KO_RANK (0 along broadcast dimensions). */
typedef struct mcu_ko_bcast {
  int32_t out_shape[MCU_KO_RANK];
  int32_t a_stride[MCU_KO_RANK];
  int32_t b_stride[MCU_KO_RANK];
} mcu_ko_bcast_t;

/* Which of ONNX Runtime's three broadcast loops computes the layer (they order the float additions differently). */
#define MCU_KO_SPAN_BOTH 0  /* both inputs vary along the innermost run */
#define MCU_KO_SCALAR_A 1   /* input 0 is constant along the innermost run (or a single element) */
#define MCU_KO_SCALAR_B 2   /* input 1 is constant along the innermost run (or a single element) */

/* mcu_k_qladd_q8: QLinearAdd. */
typedef struct mcu_ko_qladd_params {
  mcu_ko_bcast_t bc;
  int32_t type;       /* element type of both inputs and the output: 0 int8, 1 uint8 */
  int32_t mode;       /* MCU_KO_SPAN_BOTH / MCU_KO_SCALAR_A / MCU_KO_SCALAR_B */
  float ratio_a;      /* (float)s_a / (float)s_c */
  float ratio_b;      /* (float)s_b / (float)s_c */
  float fixed;        /* (float)z_c - (ratio_a * (float)z_a + ratio_b * (float)z_b), float32, unfused */
} mcu_ko_qladd_params_t;

/* mcu_k_qlmul_q8: QLinearMul. */
typedef struct mcu_ko_qlmul_params {
  mcu_ko_bcast_t bc;
  int32_t type;
  int32_t zero_a, zero_b; /* input zero points */
  float ratio;            /* (float)s_a * (float)s_b / (float)s_c, float32 left to right */
  float zero_c;           /* (float)z_c */
} mcu_ko_qlmul_params_t;

/* mcu_k_qlavgpool_q8: QLinearAveragePool (NHWC, padding excluded from the count). */
typedef struct mcu_ko_qlavgpool_params {
  int32_t type;
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t stride_h, stride_w, pad_h, pad_w, kernel_h, kernel_w;
  int32_t zero_x;  /* input zero point */
  float scale_x;   /* input scale (float32) */
  float scale_y;   /* output scale (float32) */
  float zero_y;    /* (float)output zero point */
} mcu_ko_qlavgpool_params_t;

/* mcu_k_qlgavgpool_q8: QLinearGlobalAveragePool generalised to any reduced axes (MEAN; AVG_POOL whose window is
 * the whole image without padding). For each output element (kept dimensions, row-major) the reduced elements
 * (reduced dimensions, row-major); strides in input elements. */
typedef struct mcu_ko_qlgavg_params {
  int32_t type;
  int32_t n_kept, kept_size[MCU_KO_RANK], kept_stride[MCU_KO_RANK];
  int32_t n_red, red_size[MCU_KO_RANK], red_stride[MCU_KO_RANK];
  int32_t count;   /* reduced elements per output, 1 .. 2^24 - 1 */
  int32_t bias;    /* -z_x * count */
  float scale;     /* (float)s_x / ((float)s_y * (float)count) */
  float lo, hi;    /* (float)(type min - z_y), (float)(type max - z_y) */
  int32_t zero_y;
} mcu_ko_qlgavg_params_t;

/* mcu_k_qlconcat_q8: QLinearConcat of two inputs. */
typedef struct mcu_ko_qlconcat_params {
  int32_t outer;         /* product of the dimensions before the axis */
  int32_t a_len, b_len;  /* elements of a / b per outer step */
  int32_t a_table;       /* 1: a is mapped through aux0 (256 bytes), 0: copied */
  int32_t b_table;       /* 1: b is mapped through aux1, 0: copied */
} mcu_ko_qlconcat_params_t;

/* ---- float32 kernels (any numerics) ---- */

/* mcu_k_matmul_f32: [..., M, K] x [..., K, N] -> [..., M, N]; batch dimensions (up to 4) broadcast. */
#define MCU_KO_MM_BATCH 4
typedef struct mcu_ko_matmul_params {
  int32_t m, k, n;
  int32_t batch_shape[MCU_KO_MM_BATCH];   /* output batch dimensions, padded on the left with 1 */
  int32_t a_stride[MCU_KO_MM_BATCH];      /* matrices of a to skip per step of each batch dimension (0: broadcast) */
  int32_t b_stride[MCU_KO_MM_BATCH];
  float fact_min, fact_max;               /* fused activation range */
} mcu_ko_matmul_params_t;

/* mcu_k_leaky_relu_f32 / mcu_k_hard_sigmoid_f32. */
typedef struct mcu_ko_unary_params {
  int32_t count;
  float alpha, beta;
} mcu_ko_unary_params_t;

/* mcu_k_batch_norm_f32: y = x * a[c] + b[c] over rows of `channels`. aux0: float a[C], aux1: float b[C]. */
typedef struct mcu_ko_batch_norm_params {
  int32_t outer;     /* rows */
  int32_t channels;  /* C, the last dimension */
} mcu_ko_batch_norm_params_t;

#define MCU_KO_FN(name)                                                                                            \
  void name(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,             \
            const void *in2, void *out, void *scratch)

MCU_KO_FN(mcu_k_qladd_q8);
MCU_KO_FN(mcu_k_qlmul_q8);
MCU_KO_FN(mcu_k_qlavgpool_q8);
MCU_KO_FN(mcu_k_qlgavgpool_q8);
MCU_KO_FN(mcu_k_qlconcat_q8);
MCU_KO_FN(mcu_k_matmul_f32);
MCU_KO_FN(mcu_k_leaky_relu_f32);
MCU_KO_FN(mcu_k_hard_sigmoid_f32);
MCU_KO_FN(mcu_k_batch_norm_f32);

#endif
