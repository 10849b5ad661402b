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

  // Fully connected: input [..., K] (read as [prod / K, K]), weight [O, K], bias i32 [O] -> [..., O].
  irdl.operation @fully_connected {
    %in = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in, weight: %w, bias: %b)
    irdl.results(output: %out)
  }
  // Element-wise binary ops with numpy broadcasting; each operand requantized to the output.
  irdl.operation @add {
    %a = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(a: %a, b: %b)
    irdl.results(output: %out)
  }
  irdl.operation @sub {
    %a = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(a: %a, b: %b)
    irdl.results(output: %out)
  }
  irdl.operation @mul {
    %a = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(a: %a, b: %b)
    irdl.results(output: %out)
  }
  // Pooling over NHWC windows; padded positions are excluded (average) or ignored (max).
  irdl.operation @avg_pool2d {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %kernel = irdl.base "#builtin.dense_array"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"kernel" = %kernel, "strides" = %strides, "pads" = %pads}
  }
  irdl.operation @max_pool2d {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %kernel = irdl.base "#builtin.dense_array"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"kernel" = %kernel, "strides" = %strides, "pads" = %pads}
  }
  // Mean over the dimensions in `axes`; the result keeps them as size 1 or drops them (its type says which).
  irdl.operation @mean {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %axes = irdl.base "#builtin.dense_array"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"axes" = %axes}
  }
  // Constant padding: `pads` holds the before-amounts of every dimension, then the after-amounts. The padding
  // value is the stored value `value` (the zero point for quantized tensors).
  irdl.operation @pad {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %pads = irdl.base "#builtin.dense_array"
    %value = irdl.any
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"pads" = %pads, "value" = %value}
  }
  // Softmax and log-softmax over the last dimension, with input scaling `beta`.
  irdl.operation @softmax {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %beta = irdl.base "#builtin.float"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"beta" = %beta}
  }
  irdl.operation @log_softmax {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
  // Two tensors joined along `axis` (IRDL cannot type a variadic operand list of different types: N inputs are a
  // chain of these).
  irdl.operation @concat {
    %a = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %axis = irdl.base "#builtin.integer"
    irdl.operands(a: %a, b: %b)
    irdl.results(output: %out)
    irdl.attributes {"axis" = %axis}
  }
  // Nearest-neighbour resize of NHWC H and W to the result's size.
  irdl.operation @resize_nearest {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %ac = irdl.base "#builtin.integer"
    %hp = irdl.base "#builtin.integer"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"align_corners" = %ac, "half_pixel_centers" = %hp}
  }
  // Element-wise functions.
  irdl.operation @logistic {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
  irdl.operation @hard_swish {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
  // Integer -> integer with the result's quantization (TFLite RELU/RELU6 on int8, int8 -> int8 QUANTIZE); optional
  // `act_min` / `act_max` on stored output values.
  irdl.operation @requantize {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
  // Batch normalization over the last (channel) dimension, float: (x - mean) / sqrt(var + epsilon) * scale + bias.
  // Folded into a preceding conv2d by fold-batch-norm where possible.
  irdl.operation @batch_norm {
    %in = irdl.base "!builtin.tensor"
    %scale = irdl.base "!builtin.tensor"
    %bias = irdl.base "!builtin.tensor"
    %mean = irdl.base "!builtin.tensor"
    %var = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %eps = irdl.base "#builtin.float"
    irdl.operands(input: %in, scale: %scale, bias: %bias, mean: %mean, var: %var)
    irdl.results(output: %out)
    irdl.attributes {"epsilon" = %eps}
  }
  // x < 0 ? alpha * x : x.
  irdl.operation @leaky_relu {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %alpha = irdl.base "#builtin.float"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"alpha" = %alpha}
  }
  // An inverted-residual block made by stream-blocks: expand 1x1 conv2d -> depthwise conv2d -> project 1x1
  // conv2d (TF Lite int8), run row band by row band so that the expanded tensor never exists whole. strides, pads,
  // dilations: the depthwise's; act_min/act_max, numerics: the projection's; mid_types: the expanded and the
  // depthwise output types (their quantization); mid_act: [expand min, max, depthwise min, max].
  irdl.operation @stream_block {
    %in = irdl.base "!builtin.tensor"
    %we = irdl.base "!builtin.tensor"
    %be = irdl.base "!builtin.tensor"
    %wd = irdl.base "!builtin.tensor"
    %bd = irdl.base "!builtin.tensor"
    %wp = irdl.base "!builtin.tensor"
    %bp = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    %dilations = irdl.base "#builtin.dense_array"
    %mid_types = irdl.base "#builtin.array"
    %mid_act = irdl.base "#builtin.dense_array"
    irdl.operands(input: %in, expand_filter: %we, expand_bias: %be, dw_filter: %wd, dw_bias: %bd,
                  project_filter: %wp, project_bias: %bp)
    irdl.results(output: %out)
    irdl.attributes {"strides" = %strides, "pads" = %pads, "dilations" = %dilations, "mid_types" = %mid_types,
                     "mid_act" = %mid_act}
  }
  // max(0, min(1, alpha * x + beta)).
  irdl.operation @hard_sigmoid {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %alpha = irdl.base "#builtin.float"
    %beta = irdl.base "#builtin.float"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {"alpha" = %alpha, "beta" = %beta}
  }
}
