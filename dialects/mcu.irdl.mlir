// mcu.irdl.mlir: the graph-level dialect `mcu`, value semantics over tensors whose element types carry
// quantization (`!quant.uniform<...>`). Loaded at start-up by compiler/context.c; the op contract (layouts,
// attributes, numerics) is written down in docs/ir.md.
irdl.dialect @mcu {
  // A constant tensor (weights, biases, bound inputs). `value` holds the raw storage (i8, u8, i32, f32);
  // the result type carries the quantization.
  irdl.operation @constant {
    %value = irdl.any
    %out = irdl.base "!builtin.tensor"
    irdl.attributes {"value" = %value}
    irdl.results(output: %out)
  }
  // 2-D convolution, NHWC input, filter [O, KH, KW, I/groups], bias i32 [O], NHWC output.
  irdl.operation @conv2d {
    %in = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    %dilations = irdl.base "#builtin.dense_array"
    %groups = irdl.base "#builtin.integer"
    irdl.operands(input: %in, filter: %w, bias: %b)
    irdl.results(output: %out)
    irdl.attributes {"strides" = %strides, "pads" = %pads, "dilations" = %dilations, "groups" = %groups}
  }
  // Batched matrix product [..., M, K] x [..., K, N] -> [..., M, N], batch dimensions broadcast.
  irdl.operation @matmul {
    %a = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(a: %a, b: %b)
    irdl.results(output: %out)
  }
  // float -> quantized, rounding half to even, saturating.
  irdl.operation @quantize {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
  // quantized -> float.
  irdl.operation @dequantize {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
  // Element-wise clamp to [min, max] on stored values (raw integers for quantized tensors).
  irdl.operation @clamp {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %min = irdl.any
    %max = irdl.any
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"min" = %min, "max" = %max}
  }
  // Permutation of dimensions: output dim i is input dim perm[i].
  irdl.operation @transpose {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %perm = irdl.base "#builtin.dense_array"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"perm" = %perm}
  }
  // Same elements in the same order, another shape.
  irdl.operation @reshape {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
}
