// RUN: %mcunet-opt %s --fold-qdq | FileCheck %s
// RUN: %mcunet-opt %s --fold-qdq --fold-constants --simplify-transposes | FileCheck %s --check-prefix=PIPE

// The importer's form of an ONNX QDQ conv: NCHW DequantizeLinear, a transpose to NHWC, the f32 conv over a
// transposed dequantized per-axis filter, Relu, a transpose back, QuantizeLinear. The transposes move to the
// integer side, the group becomes an integer conv (no `numerics`: ONNX, as QLinearConv): the f32 bias
// [1.0, -0.3] is quantized with sx * sw[o] = [0.125, 0.0625] to [8, round(-4.8) = -5], and the Relu is
// act_min = quantize(0) = zy = 20.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[X:.*]] = "mcu.transpose"(%arg0) {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x3x!quant.uniform<u8:f32, 5.000000e-01:10>>) -> tensor<1x3x3x2x!quant.uniform<u8:f32, 5.000000e-01:10>>
// CHECK-DAG: %[[W:.*]] = "mcu.transpose"(%{{.*}}) {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x2x1x1x!quant.uniform<i8:f32:0, {2.500000e-01,1.250000e-01}>>) -> tensor<2x1x1x2x!quant.uniform<i8:f32:0, {2.500000e-01,1.250000e-01}>>
// CHECK-DAG: %[[B:.*]] = "mcu.constant"() {value = dense<[8, -5]> : tensor<2xi32>}
// CHECK: %[[C:.*]] = "mcu.conv2d"(%[[X]], %[[W]], %[[B]]) {act_max = 255 : i64, act_min = 20 : i64, dilations = array<i64: 1, 1>, groups = 1 : i64, mcu.name = "conv", pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : {{.*}} -> tensor<1x3x3x2x!quant.uniform<u8:f32, 2.000000e-01:20>>
// CHECK: %[[Y:.*]] = "mcu.transpose"(%[[C]]) {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NOT: mcu.dequantize
// CHECK-NOT: mcu.quantize
// CHECK: return %[[Y]]
// After fold-constants the filter is an OHWI int8 constant.
// PIPE-LABEL: func.func @conv
// PIPE: "mcu.constant"() {value = dense<{{\[\[\[\[}}1, 2]]], {{\[\[\[}}3, 4]]]]> : tensor<2x1x1x2xi8>} : () -> tensor<2x1x1x2x!quant.uniform<i8:f32:0, {2.500000e-01,1.250000e-01}>>
!xq = tensor<1x2x3x3x!quant.uniform<u8:f32, 0.5:10>>
!wq = tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.25:0, 0.125:0}>>
!yq = tensor<1x2x3x3x!quant.uniform<u8:f32, 0.2:20>>
func.func @conv(%x: !xq) -> !yq {
  %xd = "mcu.dequantize"(%x) : (!xq) -> tensor<1x2x3x3xf32>
  %xt = "mcu.transpose"(%xd) {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x3xf32>) -> tensor<1x3x3x2xf32>
  %w = "mcu.constant"() {value = dense<[[[[1]], [[2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi8>} : () -> !wq
  %wd = "mcu.dequantize"(%w) : (!wq) -> tensor<2x2x1x1xf32>
  %wt = "mcu.transpose"(%wd) {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x2x1x1xf32>) -> tensor<2x1x1x2xf32>
  %b = "mcu.constant"() {value = dense<[1.0, -0.3]> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "mcu.conv2d"(%xt, %wt, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, mcu.name = "conv"} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %r = "mcu.clamp"(%c) {min = 0.0 : f32, max = 0x7F800000 : f32} : (tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  %rt = "mcu.transpose"(%r) {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %q = "mcu.quantize"(%rt) : (tensor<1x2x3x3xf32>) -> !yq
  return %q : !yq
}

// An int32 bias behind a DequantizeLinear is taken as it is (QLinearConv ignores its scale); without an
// activation no act_min/act_max is set.
// CHECK-LABEL: func.func @int_bias
// CHECK: %[[B:.*]] = "mcu.constant"() {value = dense<[100, -7]> : tensor<2xi32>} : () -> tensor<2xi32>
// CHECK: "mcu.conv2d"(%arg0, %{{.*}}, %[[B]]) {dilations
// CHECK-NOT: act_min
// CHECK-NOT: mcu.dequantize
!x4 = tensor<1x3x3x2x!quant.uniform<i8:f32, 0.5:-1>>
!w4 = tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.25:0, 0.125:0}>>
!y4 = tensor<1x3x3x2x!quant.uniform<i8:f32, 0.2:3>>
func.func @int_bias(%x: !x4) -> !y4 {
  %xd = "mcu.dequantize"(%x) : (!x4) -> tensor<1x3x3x2xf32>
  %w = "mcu.constant"() {value = dense<1> : tensor<2x1x1x2xi8>} : () -> !w4
  %wd = "mcu.dequantize"(%w) : (!w4) -> tensor<2x1x1x2xf32>
  %b = "mcu.constant"() {value = dense<[100, -7]> : tensor<2xi32>} : () -> tensor<2x!quant.uniform<i32:f32:0, {0.125:0, 0.0625:0}>>
  %bd = "mcu.dequantize"(%b) : (tensor<2x!quant.uniform<i32:f32:0, {0.125:0, 0.0625:0}>>) -> tensor<2xf32>
  %c = "mcu.conv2d"(%xd, %wd, %bd) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %q = "mcu.quantize"(%c) : (tensor<1x3x3x2xf32>) -> !y4
  return %q : !y4
}

// QDQ MatMul with a per-column int8 b and a Clip(-1, 1): act_min = quantize(-1) = -20 - 3, act_max = 20 - 3.
// CHECK-LABEL: func.func @matmul
// CHECK: "mcu.matmul"(%arg0, %{{.*}}) {act_max = 17 : i64, act_min = -23 : i64} : (tensor<2x3x!quant.uniform<i8:f32, 5.000000e-01:1>>, tensor<3x2x!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01}>>) -> tensor<2x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-NOT: mcu.clamp
!a5 = tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>
!b5 = tensor<3x2x!quant.uniform<i8:f32:1, {0.1:0, 0.2:0}>>
!y5 = tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>>
func.func @matmul(%a: !a5) -> !y5 {
  %ad = "mcu.dequantize"(%a) : (!a5) -> tensor<2x3xf32>
  %b = "mcu.constant"() {value = dense<2> : tensor<3x2xi8>} : () -> !b5
  %bd = "mcu.dequantize"(%b) : (!b5) -> tensor<3x2xf32>
  %m = "mcu.matmul"(%ad, %bd) : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %k = "mcu.clamp"(%m) {min = -1.0 : f32, max = 1.0 : f32} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = "mcu.quantize"(%k) : (tensor<2x2xf32>) -> !y5
  return %q : !y5
}

// Left alone: an f32 result read by something else than the quantize, a TFLite-numerics op, and a filter
// quantized along another axis than the output channels.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: "mcu.conv2d"({{.*}}) -> tensor<1x3x3x2xf32>
!w6 = tensor<2x1x1x2x!quant.uniform<i8:f32:3, {0.25:0, 0.125:0}>>
func.func @kept(%x: !x4) -> (!y4, tensor<1x3x3x2xf32>, !y4, !y4) {
  %xd = "mcu.dequantize"(%x) : (!x4) -> tensor<1x3x3x2xf32>
  %w = "mcu.constant"() {value = dense<1> : tensor<2x1x1x2xi8>} : () -> !w4
  %wd = "mcu.dequantize"(%w) : (!w4) -> tensor<2x1x1x2xf32>
  %b = "mcu.constant"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "mcu.conv2d"(%xd, %wd, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %q = "mcu.quantize"(%c) : (tensor<1x3x3x2xf32>) -> !y4
  %t = "mcu.conv2d"(%xd, %wd, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %tq = "mcu.quantize"(%t) : (tensor<1x3x3x2xf32>) -> !y4
  %v = "mcu.constant"() {value = dense<1> : tensor<2x1x1x2xi8>} : () -> !w6
  %vd = "mcu.dequantize"(%v) : (!w6) -> tensor<2x1x1x2xf32>
  %a = "mcu.conv2d"(%xd, %vd, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %aq = "mcu.quantize"(%a) : (tensor<1x3x3x2xf32>) -> !y4
  return %q, %c, %tq, %aq : !y4, tensor<1x3x3x2xf32>, !y4, !y4
}
