// RUN: %mcunet-opt %s --mark-aliases --plan-memory | FileCheck %s

// A chain: %t (48 B) feeds %c (128 B), %c feeds %k (128 B), %k is the model output (no arena).
// %t and %c are live together (offsets 0 and 48... the larger is placed first), %k writes the caller's buffer.
// CHECK-LABEL: module attributes {mcu.arena_lower_bound = 176 : i64, {{.*}}mcu.arena_size = 176 : i64
// CHECK: "mcu.transpose"
// CHECK-SAME: mcu.offset = 128 : i64
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.offset = 0 : i64
// CHECK: "mcu.clamp"
// CHECK-NOT: mcu.offset
// CHECK: return
!x = tensor<1x3x4x4xi8>
!t = tensor<1x4x4x3xi8>
!y = tensor<1x4x4x8xi8>
func.func @main(%x: !x) -> !y {
  %w = "mcu.constant"() {value = dense<1> : tensor<8x1x1x3xi8>} : () -> tensor<8x1x1x3xi8>
  %b = "mcu.constant"() {value = dense<0> : tensor<8xi32>} : () -> tensor<8xi32>
  %t = "mcu.transpose"(%x) {perm = array<i64: 0, 2, 3, 1>} : (!x) -> !t
  %c = "mcu.conv2d"(%t, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (!t, tensor<8x1x1x3xi8>, tensor<8xi32>) -> !y
  %k = "mcu.clamp"(%c) {min = 0 : i64, max = 127 : i64} : (!y) -> !y
  return %k : !y
}
