/* onnx_import.h: the ONNX front end, an ONNX ModelProto (QOperator form) to a `mcu` dialect module. */
#ifndef MCUNET_COMPILER_ONNX_IMPORT_H
#define MCUNET_COMPILER_ONNX_IMPORT_H

#include <mlir-c/IR.h>

#include "mcunet.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the ONNX model at `path` and builds a module holding one `func.func @main` in the `mcu` dialect, as
 * docs/ir.md describes. `ctx` must come from mcu_context_create (the `mcu` dialect and quant loaded).
 *
 * bindings[0..num_bindings): each graph input named `input_name` becomes a constant read from the ONNX
 * TensorProto file `tensor_path`; a name that is not a graph input is an error. num_bindings may be 0
 * (bindings may then be NULL).
 *
 * Supported operators (default domain): QLinearConv (2-D), QLinearMatMul (rank >= 2), QuantizeLinear,
 * DequantizeLinear, Relu, Clip, Reshape, Flatten, Identity, Constant; float32 Conv, Gemm, MatMul, Add, Sub, Mul,
 * LeakyRelu, Sigmoid, HardSigmoid, HardSwish, AveragePool, MaxPool, GlobalAveragePool, BatchNormalization,
 * Softmax, LogSoftmax, Squeeze, Unsqueeze, Concat, Pad, Resize/Upsample (nearest), Transpose; Shape, Size,
 * Gather, Cast, ConstantOfShape, Div and integer Add/Sub/Mul folded on constants. com.microsoft: QLinearAdd,
 * QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu.
 * QDQ models import as they are (DequantizeLinear -> float op -> QuantizeLinear); a constant conv weight's
 * DequantizeLinear yields the OHWI filter directly. Element types: uint8/int8 (quantized),
 * int32 (biases), float32. Constant `value` attributes hold the raw storage as dense elements of `ui8` (uint8
 * data), `i8` (int8 data), `i32` or `f32`; the constant's result type carries the quantization.
 *
 * Layout: ONNX is NCHW, mcu.conv2d NHWC. Conv inputs are transposed lazily (one mcu.transpose per value, none
 * between chained convs) and conv results go back to NCHW only where an ONNX-layout consumer or a graph output
 * needs them. Constant weights are transposed at import time.
 *
 * Ops carry locations `FILE:N:1` where N is the 1-based node index (line 0 for graph inputs and initializers).
 * On success *out_module is owned by the caller (mlirModuleDestroy) and verifies. On error nothing is left
 * allocated and the status holds one line: "FILE: node 'NAME' (OPTYPE): reason", "FILE: cannot open",
 * "FILE: not an ONNX model (...)", ... */
mcu_status_t mcu_onnx_import(MlirContext ctx, const char *path, const mcu_binding_t *bindings, int num_bindings,
                             MlirModule *out_module);

/* mcu_onnx_import with shape overrides (mcunetc's --shape): shapes[0..num_shapes) each pin every dimension of
 * the graph input `input_name`. A graph input with a symbolic or unknown dimension and no override is refused
 * ("input 'x' dimension 0 is symbolic ('N'): pin it with --shape x=1x3x96x96"); an override must name a graph
 * input, have its rank and agree with its static dimensions. num_shapes may be 0 (shapes may then be NULL). */
mcu_status_t mcu_onnx_import_shaped(MlirContext ctx, const char *path, const mcu_binding_t *bindings,
                                    int num_bindings, const mcu_shape_override_t *shapes, int num_shapes,
                                    MlirModule *out_module);

#ifdef __cplusplus
}
#endif
#endif
