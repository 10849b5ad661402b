// RUN: %mcunet-opt %s --fuse-activation | FileCheck %s

!x = tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-3>>
!w = tensor<8x1x1x3x!quant.uniform<i8:f32:0, {0.1,0.2,0.3,0.4,0.1,0.2,0.3,0.4}>>
!y = tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:5>>

// A Relu after a conv becomes the conv's act_min.
// CHECK-LABEL: func.func @main
// CHECK: %[[C:.*]] = "mcu.conv2d"
// CHECK-SAME: act_max = 127 : i64, act_min = 0 : i64
// CHECK-NOT: mcu.clamp
// CHECK: return %[[C]]
func.func @main(%x: !x) -> !y {
  %w = "mcu.constant"() {value = dense<1> : tensor<8x1x1x3xi8>} : () -> !w
  %b = "mcu.constant"() {value = dense<0> : tensor<8xi32>} : () -> tensor<8xi32>
  %c = "mcu.conv2d"(%x, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (!x, !w, tensor<8xi32>) -> !y
  %r = "mcu.clamp"(%c) {min = 0 : i64, max = 127 : i64} : (!y) -> !y
  return %r : !y
}

// Two clamps in a row intersect their ranges.
// CHECK-LABEL: func.func @two
// CHECK: "mcu.matmul"
// CHECK-SAME: act_max = 6 : i64, act_min = 0 : i64
// CHECK-NOT: mcu.clamp
func.func @two(%a: tensor<2x3xi8>, %b: tensor<3x4xi8>) -> tensor<2x4xi8> {
  %m = "mcu.matmul"(%a, %b) : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
  %r1 = "mcu.clamp"(%m) {min = 0 : i64, max = 100 : i64} : (tensor<2x4xi8>) -> tensor<2x4xi8>
  %r2 = "mcu.clamp"(%r1) {min = -20 : i64, max = 6 : i64} : (tensor<2x4xi8>) -> tensor<2x4xi8>
  return %r2 : tensor<2x4xi8>
}
