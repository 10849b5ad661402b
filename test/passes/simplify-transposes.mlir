// RUN: %mcunet-opt %s --simplify-transposes | FileCheck %s

// NHWC -> NCHW -> NHWC cancels.
// CHECK-LABEL: func.func @cancel
// CHECK-NOT: mcu.transpose
// CHECK: return %arg0
func.func @cancel(%x: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8> {
  %a = "mcu.transpose"(%x) {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x8xi8>) -> tensor<1x8x4x4xi8>
  %b = "mcu.transpose"(%a) {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x4x4xi8>) -> tensor<1x4x4x8xi8>
  return %b : tensor<1x4x4x8xi8>
}

// Two transposes compose into one.
// CHECK-LABEL: func.func @compose
// CHECK: "mcu.transpose"(%arg0) {perm = array<i64: 2, 0, 1>}
// CHECK-NOT: mcu.transpose
func.func @compose(%x: tensor<2x3x4xi8>) -> tensor<4x2x3xi8> {
  %a = "mcu.transpose"(%x) {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xi8>) -> tensor<3x2x4xi8>
  %b = "mcu.transpose"(%a) {perm = array<i64: 2, 1, 0>} : (tensor<3x2x4xi8>) -> tensor<4x2x3xi8>
  return %b : tensor<4x2x3xi8>
}

// NCHW -> NHWC of a single-channel map moves no byte: a reshape.
// CHECK-LABEL: func.func @one_channel
// CHECK: "mcu.reshape"(%arg0) {mcu.name = "t"}
// CHECK-NOT: mcu.transpose
func.func @one_channel(%x: tensor<1x1x7x7xi8>) -> tensor<1x7x7x1xi8> {
  %a = "mcu.transpose"(%x) {perm = array<i64: 0, 2, 3, 1>, mcu.name = "t"} : (tensor<1x1x7x7xi8>) -> tensor<1x7x7x1xi8>
  return %a : tensor<1x7x7x1xi8>
}

// A real transpose stays.
// CHECK-LABEL: func.func @real
// CHECK: "mcu.transpose"
func.func @real(%x: tensor<1x3x7x7xi8>) -> tensor<1x7x7x3xi8> {
  %a = "mcu.transpose"(%x) {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x7x7xi8>) -> tensor<1x7x7x3xi8>
  return %a : tensor<1x7x7x3xi8>
}
