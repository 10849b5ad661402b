// RUN: %mcunet-opt %s --mark-aliases --plan-memory | FileCheck %s

// A reshape shares its input's bytes: marked mcu.alias with the input's offset, and the input's buffer lives
// until the reshape's last reader, so %t (16 B) and %r never overlap %m's output... the arena holds %t + %m.
// CHECK-LABEL: module attributes {mcu.arena_lower_bound = 24 : i64, {{.*}}mcu.arena_size = 24 : i64
// CHECK: %[[T:.*]] = "mcu.transpose"
// CHECK-SAME: mcu.offset = 0 : i64
// CHECK: "mcu.reshape"(%[[T]])
// CHECK-SAME: mcu.alias
// CHECK-SAME: mcu.offset = 0 : i64
// CHECK: "mcu.matmul"
// CHECK-SAME: mcu.offset = 16 : i64
// A reshape of a model input reads the caller's buffer in place: no offset.
// CHECK: "mcu.reshape"(%arg0)
// CHECK-SAME: mcu.alias
// CHECK-NOT: mcu.offset
func.func @main(%x: tensor<4x4xi8>, %b: tensor<16x8xi8>) -> (tensor<1x8xi8>, tensor<16xi8>) {
  %t = "mcu.transpose"(%x) {perm = array<i64: 1, 0>} : (tensor<4x4xi8>) -> tensor<4x4xi8>
  %r = "mcu.reshape"(%t) : (tensor<4x4xi8>) -> tensor<1x16xi8>
  %m = "mcu.matmul"(%r, %b) : (tensor<1x16xi8>, tensor<16x8xi8>) -> tensor<1x8xi8>
  %c = "mcu.clamp"(%m) {min = 0 : i64, max = 127 : i64} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  %f = "mcu.reshape"(%x) : (tensor<4x4xi8>) -> tensor<16xi8>
  %g = "mcu.clamp"(%f) {min = 0 : i64, max = 127 : i64} : (tensor<16xi8>) -> tensor<16xi8>
  return %c, %g : tensor<1x8xi8>, tensor<16xi8>
}
