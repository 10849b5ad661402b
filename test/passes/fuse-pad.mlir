// RUN: %mcunet-opt %s --fuse-pad | FileCheck %s

!x = tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-3>>
!p = tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-3>>
!w = tensor<2x3x3x1xi8>
!y = tensor<1x2x2x2x!quant.uniform<i8:f32, 0.25:5>>

// A pad of one row below and one column right with the zero point (-3) becomes the conv's bottom/right pads.
// CHECK-LABEL: func.func @main
// CHECK-NOT: mcu.pad
// CHECK: "mcu.conv2d"(%arg0,
// CHECK-SAME: pads = array<i64: 0, 0, 1, 1>
func.func @main(%x: !x) -> !y {
  %w = "mcu.constant"() {value = dense<1> : !w} : () -> !w
  %b = "mcu.constant"() {value = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %p = "mcu.pad"(%x) {pads = array<i64: 0, 0, 0, 0, 0, 1, 1, 0>, value = -3 : i64} : (!x) -> !p
  %c = "mcu.conv2d"(%p, %w, %b) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : (!p, !w, tensor<2xi32>) -> !y
  return %c : !y
}

// A pad with another value than the zero point stays.
// CHECK-LABEL: func.func @other_value
// CHECK: "mcu.pad"
// CHECK: "mcu.conv2d"
// CHECK-SAME: pads = array<i64: 0, 0, 0, 0>
func.func @other_value(%x: !x) -> !y {
  %w = "mcu.constant"() {value = dense<1> : !w} : () -> !w
  %b = "mcu.constant"() {value = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %p = "mcu.pad"(%x) {pads = array<i64: 0, 0, 0, 0, 0, 1, 1, 0>, value = 0 : i64} : (!x) -> !p
  %c = "mcu.conv2d"(%p, %w, %b) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : (!p, !w, tensor<2xi32>) -> !y
  return %c : !y
}

// A pad of the channel dimension stays.
// CHECK-LABEL: func.func @channels
// CHECK: "mcu.pad"
func.func @channels(%x: !x) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:5>> {
  %w = "mcu.constant"() {value = dense<1> : tensor<3x1x1x3xi8>} : () -> tensor<3x1x1x3xi8>
  %b = "mcu.constant"() {value = dense<0> : tensor<3xi32>} : () -> tensor<3xi32>
  %p = "mcu.pad"(%x) {pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 1>, value = -3 : i64} : (!x) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-3>>
  %c = "mcu.conv2d"(%p, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-3>>, tensor<3x1x1x3xi8>, tensor<3xi32>) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:5>>
  return %c : tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:5>>
}
