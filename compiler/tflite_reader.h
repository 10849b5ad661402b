/* tflite_reader.h: a bounds-checked FlatBuffers reader for the TFLite model schema, into plain C structs. */
#ifndef MCUNET_COMPILER_TFLITE_READER_H
#define MCUNET_COMPILER_TFLITE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The reader decodes the whole model eagerly (subgraphs, tensors, operators, buffers and the builtin options the
 * importer understands) and checks every offset and length on the way, so code using the structs below never
 * touches unchecked bytes. Field ids follow /work/shared/formats/tflite_schema.fbs (declaration order; a union
 * field takes two ids, its type byte then its table). Buffer data points into the caller's file bytes, which must
 * outlive the model. */

/* TensorType values used by the importer (schema enum TensorType). */
enum {
  TFL_FLOAT32 = 0,
  TFL_FLOAT16 = 1,
  TFL_INT32 = 2,
  TFL_UINT8 = 3,
  TFL_INT64 = 4,
  TFL_INT16 = 7,
  TFL_INT8 = 9,
};

/* BuiltinOperator values the importer handles (schema enum BuiltinOperator). */
enum {
  TFL_OP_ADD = 0,
  TFL_OP_AVERAGE_POOL_2D = 1,
  TFL_OP_CONCATENATION = 2,
  TFL_OP_CONV_2D = 3,
  TFL_OP_DEPTHWISE_CONV_2D = 4,
  TFL_OP_DEQUANTIZE = 6,
  TFL_OP_FULLY_CONNECTED = 9,
  TFL_OP_LOGISTIC = 14,
  TFL_OP_MAX_POOL_2D = 17,
  TFL_OP_MUL = 18,
  TFL_OP_RELU = 19,
  TFL_OP_RELU_N1_TO_1 = 20,
  TFL_OP_RELU6 = 21,
  TFL_OP_RESHAPE = 22,
  TFL_OP_SOFTMAX = 25,
  TFL_OP_CUSTOM = 32,
  TFL_OP_PAD = 34,
  TFL_OP_TRANSPOSE = 39,
  TFL_OP_MEAN = 40,
  TFL_OP_SUB = 41,
  TFL_OP_SQUEEZE = 43,
  TFL_OP_LOG_SOFTMAX = 50,
  TFL_OP_PADV2 = 60,
  TFL_OP_RESIZE_NEAREST_NEIGHBOR = 97,
  TFL_OP_QUANTIZE = 114,
  TFL_OP_HARD_SWISH = 117,
};

/* BuiltinOptions union type values of the options tables decoded into tfl_options_t. */
enum {
  TFL_OPT_NONE = 0,
  TFL_OPT_CONV2D = 1,
  TFL_OPT_DEPTHWISE_CONV2D = 2,
  TFL_OPT_POOL2D = 5,
  TFL_OPT_FULLY_CONNECTED = 8,
  TFL_OPT_SOFTMAX = 9,
  TFL_OPT_CONCATENATION = 10,
  TFL_OPT_ADD = 11,
  TFL_OPT_RESHAPE = 17,
  TFL_OPT_MUL = 21,
  TFL_OPT_REDUCER = 27,
  TFL_OPT_SUB = 28,
  TFL_OPT_SQUEEZE = 30,
  TFL_OPT_RESIZE_NEAREST = 74,
};

/* ActivationFunctionType and Padding. */
enum { TFL_ACT_NONE = 0, TFL_ACT_RELU = 1, TFL_ACT_RELU_N1_TO_1 = 2, TFL_ACT_RELU6 = 3 };
enum { TFL_PAD_SAME = 0, TFL_PAD_VALID = 1 };

#define TFL_MAX_SQUEEZE_DIMS 8

/* The decoded builtin options; only the fields of `type`'s table are meaningful, the rest hold schema defaults.
 * `type` is the union type byte as stored (TFL_OPT_NONE when absent); tables of other types are not decoded. */
typedef struct tfl_options {
  int type;
  int padding, stride_w, stride_h, dilation_w, dilation_h, depth_multiplier, activation; /* conv, pool */
  int filter_w, filter_h;                                                                /* pool */
  int weights_format, keep_num_dims;                                                     /* fully connected */
  int keep_dims;                                                                         /* reducer */
  float beta;                                                                            /* softmax */
  int axis;                                                                              /* concatenation */
  int align_corners, half_pixel_centers;                                                 /* resize nearest */
  int num_squeeze_dims; /* -1: absent (squeeze every size-1 dimension) */
  int32_t squeeze_dims[TFL_MAX_SQUEEZE_DIMS];
} tfl_options_t;

typedef struct tfl_quant {
  int num_scales, num_zero_points; /* 0 when absent */
  float *scales;
  int64_t *zero_points;
  int32_t quantized_dimension;
  int has_details; /* a QuantizationDetails union is present (custom or blockwise: not supported) */
} tfl_quant_t;

typedef struct tfl_tensor {
  char *name; /* never NULL; control characters replaced by '?' */
  int type;   /* TensorType */
  uint32_t buffer;
  int rank; /* -1 when `shape` is absent */
  int32_t *shape;
  int sig_rank; /* -1 when `shape_signature` is absent */
  int32_t *shape_signature;
  int has_quant;
  tfl_quant_t quant;
  int is_variable, is_sparse;
} tfl_tensor_t;

typedef struct tfl_operator {
  uint32_t opcode_index;
  int num_inputs, num_outputs;
  int32_t *inputs, *outputs; /* tensor indices; -1 = absent optional input (not range-checked here) */
  int has_custom_options;
  tfl_options_t options;
} tfl_operator_t;

typedef struct tfl_subgraph {
  char *name;
  int num_tensors, num_inputs, num_outputs, num_operators;
  tfl_tensor_t *tensors;
  int32_t *inputs, *outputs;
  tfl_operator_t *operators;
} tfl_subgraph_t;

typedef struct tfl_opcode {
  int32_t builtin; /* max(deprecated_builtin_code, builtin_code), as the schema prescribes */
  int32_t version;
  char *custom_code; /* NULL when absent */
} tfl_opcode_t;

typedef struct tfl_buffer {
  const uint8_t *data; /* NULL when empty */
  size_t size;
} tfl_buffer_t;

typedef struct tfl_model {
  uint32_t version;
  int num_opcodes, num_subgraphs, num_buffers;
  tfl_opcode_t *opcodes;
  tfl_subgraph_t *subgraphs;
  tfl_buffer_t *buffers;
  /* every allocation of the model (freed by tfl_model_free) */
  void **allocs;
  size_t num_allocs, cap_allocs;
  size_t budget; /* bytes the decoder may still allocate: bounds the work on files whose offsets alias */
} tfl_model_t;

/* Decodes `len` bytes of a .tflite file (identifier "TFL3"). On error the status says what is malformed ("bad
 * tensor 3: shape vector exceeds the buffer", "file identifier is not TFL3", ...) and *out_model holds nothing.
 * On success free the model with tfl_model_free; `buf` must stay alive while it is used. */
mcu_status_t tfl_model_read(const uint8_t *buf, size_t len, tfl_model_t *out_model);
void tfl_model_free(tfl_model_t *m);

/* The schema name of a builtin operator ("CONV_2D"), or "UNKNOWN". */
const char *tfl_builtin_name(int32_t code);
/* The schema name of a TensorType ("INT8"), or "UNKNOWN". */
const char *tfl_type_name(int type);

#ifdef __cplusplus
}
#endif
#endif
