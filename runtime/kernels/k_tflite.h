/* k_tflite.h: parameter structs and entry points of the TF Lite Micro-exact kernels (device and host side). */
#ifndef MCUNET_RUNTIME_KERNELS_K_TFLITE_H
#define MCUNET_RUNTIME_KERNELS_K_TFLITE_H

/* Every struct holds only int32_t and float members (and fixed arrays of them), so its bytes mean the same on the
 * host and on the Cortex-M (kernel_call.h). The host-side prepare functions (prepare_tflite_*.c) fill them; the
 * rounding each kernel reproduces is documented at the top of its k_*.c file and in docs/numerics-tflite.md. */

#include <stdint.h>

#define MCU_K_RANK 6

/* Element type codes inside params (same values as mcu_dtype_t). */
#define MCU_K_I8 0
#define MCU_K_U8 1
#define MCU_K_I32 2
#define MCU_K_F32 3

/* CONV2D (grouped, depthwise = groups == C), int8 and float32. Input [n, h, w, c] NHWC, filter
 * [o, kh, kw, c / groups], bias [o] (int32 for int8, float for float32; in2 may be NULL), output [n, oh, ow, o]. */
typedef struct mcu_k_conv_params {
  int32_t n, h, w, c;        /* input shape */
  int32_t oh, ow, o;         /* output shape (batch n) */
  int32_t kh, kw, groups;    /* filter window, groups (>= 1, divides c and o) */
  int32_t stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t input_offset;      /* -input zero point (int8) */
  int32_t output_offset;     /* output zero point (int8) */
  int32_t act_min, act_max;  /* stored output range (int8) */
  float fact_min, fact_max;  /* output range (float32) */
  int32_t onnx_rq;           /* 0: TF Lite's requantization; 1 (ONNX-numerics int8 layers on the depthwise kernel,
                                prepare_onnx_conv.c): ONNX's float32 one, mult[o] holding the float multiplier's bits
                                (mcu_dw_out, k_conv_dw.h) */
} mcu_k_conv_params_t;

/* FULLY_CONNECTED: input rows [batches, depth], weight [units, depth], bias [units] (in2 may be NULL),
 * output [batches, units]. */
typedef struct mcu_k_fc_params {
  int32_t batches, depth, units;
  int32_t input_offset, weights_offset, output_offset; /* -zx, -zw, zy (int8) */
  int32_t act_min, act_max;
  float fact_min, fact_max;
} mcu_k_fc_params_t;

/* Element-wise int -> int requantization (QUANTIZE int8/uint8 -> int8/uint8, quantized RELU). */
typedef struct mcu_k_requant_params {
  int32_t count, in_type, out_type;
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift;
  int32_t act_min, act_max;
} mcu_k_requant_params_t;

/* QUANTIZE float32 -> int8/uint8 and DEQUANTIZE int8/uint8 -> float32 (per tensor). */
typedef struct mcu_k_affine_params {
  int32_t count, q_type; /* q_type: the integer side's element type */
  int32_t zero_point;
  float scale; /* the model's float32 scale */
} mcu_k_affine_params_t;

/* Broadcast walk shared by the binary ops: output shape padded on the left to MCU_K_RANK, element strides of each
 * input over that shape (0 along broadcast dimensions). */
typedef struct mcu_k_bcast {
  int32_t out_shape[MCU_K_RANK];
  int32_t a_stride[MCU_K_RANK];
  int32_t b_stride[MCU_K_RANK];
} mcu_k_bcast_t;

/* ADD / SUB int8 (TF Lite Micro's left_shift scheme) and their float32 forms. */
typedef struct mcu_k_addsub_params {
  mcu_k_bcast_t bc;
  int32_t input1_offset, input2_offset, output_offset; /* -z1, -z2, zy */
  int32_t left_shift;                                  /* 20 for int8 */
  int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift, output_multiplier, output_shift;
  int32_t act_min, act_max;
  float fact_min, fact_max;
  /* int8 only (k_add_s8.c): aux0 / aux1 are int32[256] tables, entry u = twice the rescaled addend of the int8
   * value (int8_t)u of input 1 / input 2 (negated for SUB); `flat` = 1 when neither input is broadcast (the walk is
   * then i -> (i, i)); `rq_fast` = 1 when the output rescale takes the one-SMMLAR form with the accumulator rq_acc
   * (2^(R-1) + output_offset 2^R) and rq_shift = R = -output_shift. */
  int32_t flat, rq_fast, rq_acc, rq_shift;
} mcu_k_addsub_params_t;

/* MUL int8 and float32. */
typedef struct mcu_k_mul_params {
  mcu_k_bcast_t bc;
  int32_t input1_offset, input2_offset, output_offset;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
  float fact_min, fact_max;
} mcu_k_mul_params_t;

/* PAD (constant), any element size. The input shape and the padding amounts are padded on the left to
 * MCU_K_RANK; `value` is the padding element's bit pattern (its low elem_size bytes, little-endian). */
typedef struct mcu_k_pad_params {
  int32_t elem_size;
  int32_t in_shape[MCU_K_RANK], before[MCU_K_RANK], out_shape[MCU_K_RANK];
  int32_t value;
} mcu_k_pad_params_t;

/* CONCAT of two tensors: for each of `outer` steps, a_bytes of a then b_bytes of b. */
typedef struct mcu_k_concat_params {
  int32_t outer, a_bytes, b_bytes;
} mcu_k_concat_params_t;

/* MEAN: for each output element (kept dimensions, row-major) the reduced elements (reduced dimensions,
 * row-major); strides in input elements; count = number of reduced elements (>= 1). */
#define MCU_K_MEAN_SAME_QPARAMS 0 /* int8, equal scales and zero points: truncating integer division */
#define MCU_K_MEAN_FLOAT_RESCALE 1 /* int8, different qparams: QuantizedMeanOrSum's float path */
#define MCU_K_MEAN_INT_4D 2        /* int8: reference_integer_ops::Mean (older TF Lite Micro, 4-D axes {1,2}) */
#define MCU_K_MEAN_F32 3
typedef struct mcu_k_mean_params {
  int32_t mode;
  int32_t n_kept, kept_size[MCU_K_RANK], kept_stride[MCU_K_RANK];
  int32_t n_red, red_size[MCU_K_RANK], red_stride[MCU_K_RANK];
  int32_t count;
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift; /* MCU_K_MEAN_INT_4D */
  float scale;               /* MCU_K_MEAN_FLOAT_RESCALE: (float)s_in / (float)s_out */
} mcu_k_mean_params_t;

#define MCU_K_TFLITE_FN(name)                                                                                      \
  void name(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,             \
            const void *in2, void *out, void *scratch)

MCU_K_TFLITE_FN(mcu_k_conv_s8);
MCU_K_TFLITE_FN(mcu_k_conv_dw_inplace_s8);
MCU_K_TFLITE_FN(mcu_k_conv_dw_s8);
MCU_K_TFLITE_FN(mcu_k_conv_f32);
MCU_K_TFLITE_FN(mcu_k_fc_s8);
MCU_K_TFLITE_FN(mcu_k_fc_f32);
MCU_K_TFLITE_FN(mcu_k_conv_pw_s8); /* k_conv_gemm.c (params: mcu_k_gemm_params_t, k_gemm_s8.h) */
MCU_K_TFLITE_FN(mcu_k_conv_im2col_s8);
MCU_K_TFLITE_FN(mcu_k_fc_gemm_s8);
MCU_K_TFLITE_FN(mcu_k_requantize);
MCU_K_TFLITE_FN(mcu_k_quantize_f32);
MCU_K_TFLITE_FN(mcu_k_dequantize_f32);
MCU_K_TFLITE_FN(mcu_k_add_s8);
MCU_K_TFLITE_FN(mcu_k_sub_s8);
MCU_K_TFLITE_FN(mcu_k_mul_s8);
MCU_K_TFLITE_FN(mcu_k_add_f32);
MCU_K_TFLITE_FN(mcu_k_sub_f32);
MCU_K_TFLITE_FN(mcu_k_mul_f32);
MCU_K_TFLITE_FN(mcu_k_pad);
MCU_K_TFLITE_FN(mcu_k_concat);
MCU_K_TFLITE_FN(mcu_k_mean);

#endif
