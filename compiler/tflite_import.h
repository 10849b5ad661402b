/* tflite_import.h: the TFLite front end, a .tflite model (subgraph 0) to a `mcu` dialect module. */
#ifndef MCUNET_COMPILER_TFLITE_IMPORT_H
#define MCUNET_COMPILER_TFLITE_IMPORT_H

#include <mlir-c/IR.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the TFLite FlatBuffer at `path` and builds a module holding one `func.func @main` in the `mcu` dialect
 * (docs/ir.md, docs/tflite.md): the arguments are subgraph 0's inputs and the results its outputs, with `mcu.name`
 * argument/result attributes holding the tensor names. `ctx` must come from mcu_context_create.
 *
 * TFLite is NHWC already: no layout changes. Every op but mcu.constant carries `numerics = "tflite"`; fused
 * activations become `act_min`/`act_max` (stored integer bounds, computed as TF Lite's
 * CalculateActivationRangeQuantized does) or `act_fmin`/`act_fmax` (f32 tensors). Constants are mcu.constant with
 * a dense `value` of the storage type (i8, ui8, i32, f32) and the tensor's quantized type as result type.
 * Locations are `FILE:N:1` with N the 0-based operator index (`FILE:0:0` for graph-level values).
 *
 * Supported operators: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, AVERAGE_POOL_2D, MAX_POOL_2D,
 * MEAN, PAD, PADV2, RESHAPE, SQUEEZE, SOFTMAX, LOG_SOFTMAX, QUANTIZE, DEQUANTIZE, TRANSPOSE, CONCATENATION,
 * RESIZE_NEAREST_NEIGHBOR, LOGISTIC, HARD_SWISH, RELU, RELU6, RELU_N1_TO_1; int8 (per tensor or per channel),
 * uint8 and float32 tensors, int32 biases.
 *
 * On success *out_module is owned by the caller (mlirModuleDestroy) and verifies. On error nothing is left
 * allocated and the status holds one line: "FILE: not a TFLite model (...)", "FILE: operator N (NAME):
 * unsupported operator (TFLite front end)", "FILE: operator N (NAME): reason", "FILE: reason". */
mcu_status_t mcu_tflite_import(MlirContext ctx, const char *path, MlirModule *out_module);

#ifdef __cplusplus
}
#endif
#endif
