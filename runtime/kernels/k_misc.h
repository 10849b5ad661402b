/* k_misc.h: parameter structs and entry points of the misc kernel-library group (softmax, pooling, tables, resize). */
#ifndef MCUNET_RUNTIME_KERNELS_K_MISC_H
#define MCUNET_RUNTIME_KERNELS_K_MISC_H

/* Every struct holds only int32_t and float members so its bytes mean the same on the host and the Cortex-M
 * (kernel_call.h). The prepare functions (prepare_misc*.c) fill them at compile time; docs/numerics-misc.md states
 * the arithmetic of each kernel. */

#include <stdint.h>

/* mcu_k_softmax_s8: TF Lite Micro's int8 softmax over the last dimension, output scale 1/256, zero point -128.
 * aux0: int32[256], entry d = exp_on_negative_values(input diff -d rescaled to Q5.26) as Q0.31, 0 where
 * -d < diff_min (such inputs output -128, exactly as a zero exponential does). */
typedef struct mcu_k_softmax_s8_params {
  int32_t outer;            /* rows (product of all but the last dimension), >= 1 */
  int32_t depth;            /* elements per row (last dimension), >= 1 */
  int32_t diff_min;         /* -CalculateInputRadius(5, input_left_shift) (informative: folded into aux0) */
  int32_t input_multiplier; /* PreprocessSoftmaxScaling (informative: folded into aux0) */
  int32_t input_left_shift;
} mcu_k_softmax_s8_params_t;

/* mcu_k_softmax_f32: exp((x - max) * beta) / sum, float32. */
typedef struct mcu_k_softmax_f32_params {
  int32_t outer, depth;
  float beta;
} mcu_k_softmax_f32_params_t;

/* mcu_k_log_softmax_s8: TF Lite Micro's int8 log_softmax (output scale 16/256, zero point 127).
 * aux0: int32[256] exp table as for softmax; aux1: int32[256], entry d = MultiplyByQuantizedMultiplier(-d,
 * input_multiplier, input_left_shift) (the diff in Q5.26), 0 where -d < diff_min (never read there). */
typedef struct mcu_k_log_softmax_s8_params {
  int32_t outer, depth;
  int32_t diff_min;
  int32_t reverse_scaling_divisor;     /* Q0.31 */
  int32_t reverse_scaling_right_shift; /* >= 0 */
} mcu_k_log_softmax_s8_params_t;

/* mcu_k_log_softmax_f32: x - max - log(sum exp(x - max)). */
typedef struct mcu_k_rows_params {
  int32_t outer, depth;
} mcu_k_rows_params_t;

/* mcu_k_lut_s8: out[i] = aux0[(uint8_t)in[i]] (int8 LOGISTIC and HARD_SWISH: aux0 is the 256-entry output table
 * the prepare computed with the exact integer algorithm). mcu_k_logistic_f32 / mcu_k_hard_swish_f32: float32. */
typedef struct mcu_k_count_params {
  int32_t count; /* elements, >= 0 */
} mcu_k_count_params_t;

/* Pooling, NHWC. Window of output (oy, ox) starts at input (oy * stride_h - pad_h, ox * stride_w - pad_w) and is
 * clipped to the input; padded positions are excluded (TF Lite's rule). */
typedef struct mcu_k_pool_params {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t stride_h, stride_w, pad_h, pad_w, kernel_h, kernel_w;
  int32_t act_min, act_max; /* int8 kernels: the clamp, within [-128, 127] */
  float fact_min, fact_max; /* f32 kernels: the clamp */
} mcu_k_pool_params_t;

/* mcu_k_resize_nearest: NHWC, any element size. aux0: int32[out_h] source row of each output row, aux1:
 * int32[out_w] source column of each output column (TF Lite's GetNearestNeighbor, computed at compile time). */
typedef struct mcu_k_resize_params {
  int32_t batches, in_h, in_w, out_h, out_w;
  int32_t pixel_bytes; /* channels * element size */
} mcu_k_resize_params_t;

void mcu_k_softmax_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                      const void *in2, void *out, void *scratch);
void mcu_k_softmax_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch);
void mcu_k_log_softmax_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                          const void *in2, void *out, void *scratch);
void mcu_k_log_softmax_f32(const void *params, const void *aux0, const void *aux1, const void *in0,
                           const void *in1, const void *in2, void *out, void *scratch);
void mcu_k_lut_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                  const void *in2, void *out, void *scratch);
void mcu_k_logistic_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch);
void mcu_k_hard_swish_f32(const void *params, const void *aux0, const void *aux1, const void *in0,
                          const void *in1, const void *in2, void *out, void *scratch);
void mcu_k_avg_pool_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch);
void mcu_k_max_pool_s8(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                       const void *in2, void *out, void *scratch);
void mcu_k_avg_pool_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch);
void mcu_k_max_pool_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                        const void *in2, void *out, void *scratch);
void mcu_k_resize_nearest(const void *params, const void *aux0, const void *aux1, const void *in0,
                          const void *in1, const void *in2, void *out, void *scratch);

#endif
