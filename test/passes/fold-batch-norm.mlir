// RUN: %mcunet-opt %s --fold-batch-norm | FileCheck %s

!x = tensor<1x3x3x2xf32>
!w = tensor<2x1x1x2xf32>

// k = scale / sqrt(var + eps) = [4 / sqrt(3 + 1), 0.5 / sqrt(0 + 1)] = [2, 0.5]; w' = w * k per output channel,
// b' = (b - mean) * k + bias = [(1 - 0.5) * 2 + 1, (2 - 2) * 0.5 - 1] = [2, -1]. The filter constant shared with
// another conv is not changed (new constants), the statistics go.
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[W:.*]] = "mcu.constant"() {mcu.name = "w", value = dense<{{\[\[\[\[}}2.000000e+00, 4.000000e+00]]], {{\[\[\[}}1.500000e+00, -2.000000e+00]]]]> : tensor<2x1x1x2xf32>}
// CHECK-DAG: %[[B:.*]] = "mcu.constant"() {value = dense<[2.000000e+00, -1.000000e+00]> : tensor<2xf32>}
// CHECK: "mcu.conv2d"(%arg0, %[[W]], %[[B]])
// CHECK-NOT: mcu.batch_norm
// CHECK: "mcu.conv2d"(%arg0, %[[OLD:[0-9]+]],
// CHECK-NOT: mcu.batch_norm
// CHECK: return
func.func @main(%x: !x) -> (!x, !x) {
  %w = "mcu.constant"() {value = dense<[[[[1.0, 2.0]]], [[[3.0, -4.0]]]]> : !w, mcu.name = "w"} : () -> !w
  %b = "mcu.constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %scale = "mcu.constant"() {value = dense<[4.0, 0.5]> : tensor<2xf32>} : () -> tensor<2xf32>
  %bias = "mcu.constant"() {value = dense<[1.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %mean = "mcu.constant"() {value = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %var = "mcu.constant"() {value = dense<[3.0, 0.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "mcu.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (!x, !w, tensor<2xf32>) -> !x
  %n = "mcu.batch_norm"(%c, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32} : (!x, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> !x
  %c2 = "mcu.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (!x, !w, tensor<2xf32>) -> !x
  return %n, %c2 : !x, !x
}

// A batch norm after a conv whose result has another reader, or after a fused Relu, or on a model input, stays.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: "mcu.batch_norm"
func.func @kept(%x: !x) -> (!x, !x, !x, !x) {
  %w = "mcu.constant"() {value = dense<1.0> : !w} : () -> !w
  %b = "mcu.constant"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %s = "mcu.constant"() {value = dense<2.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "mcu.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (!x, !w, tensor<2xf32>) -> !x
  %n = "mcu.batch_norm"(%c, %s, %s, %s, %s) {epsilon = 1.0e-5 : f32} : (!x, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> !x
  %r = "mcu.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, act_fmin = 0.0 : f32} : (!x, !w, tensor<2xf32>) -> !x
  %m = "mcu.batch_norm"(%r, %s, %s, %s, %s) {epsilon = 1.0e-5 : f32} : (!x, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> !x
  %i = "mcu.batch_norm"(%x, %s, %s, %s, %s) {epsilon = 1.0e-5 : f32} : (!x, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> !x
  return %n, %c, %m, %i : !x, !x, !x, !x
}
