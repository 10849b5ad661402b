// RUN: %mcunet-opt %s --mark-aliases | FileCheck %s
// RUN: %mcunet-opt %s --plan-memory | FileCheck %s --check-prefix=UNMARKED

// A reshape of an activation or of a model input is marked; a reshape that is a model output (a copy into the
// caller's buffer) or reads a constant is not.
// CHECK-LABEL: func.func @main
// CHECK: "mcu.reshape"(%{{.*}}) {mcu.alias}
// CHECK: "mcu.reshape"(%arg0) {mcu.alias}
// CHECK: "mcu.reshape"(%{{.*}}) : (tensor<2x2xi8>) -> tensor<4xi8>
// CHECK: "mcu.reshape"(%{{.*}}) : (tensor<4x4xi8>) -> tensor<16xi8>
// Without the mark, plan-memory gives every reshape a buffer of its own (a copy).
// UNMARKED: %[[T:.*]] = "mcu.transpose"
// UNMARKED: "mcu.reshape"(%[[T]]) {mcu.live = array<i64: {{[0-9, ]+}}>, mcu.offset = [[OFF:[0-9]+]] : i64}
// UNMARKED-NOT: mcu.alias
func.func @main(%x: tensor<4x4xi8>) -> (tensor<16xi8>, tensor<16xi8>, tensor<4xi8>, tensor<16xi8>) {
  %t = "mcu.transpose"(%x) {perm = array<i64: 1, 0>} : (tensor<4x4xi8>) -> tensor<4x4xi8>
  %r = "mcu.reshape"(%t) : (tensor<4x4xi8>) -> tensor<16xi8>
  %a = "mcu.clamp"(%r) {min = 0 : i64, max = 127 : i64} : (tensor<16xi8>) -> tensor<16xi8>
  %f = "mcu.reshape"(%x) : (tensor<4x4xi8>) -> tensor<16xi8>
  %g = "mcu.clamp"(%f) {min = 0 : i64, max = 127 : i64} : (tensor<16xi8>) -> tensor<16xi8>
  %c = "mcu.constant"() {value = dense<1> : tensor<2x2xi8>} : () -> tensor<2x2xi8>
  %k = "mcu.reshape"(%c) : (tensor<2x2xi8>) -> tensor<4xi8>
  %h = "mcu.clamp"(%k) {min = 0 : i64, max = 127 : i64} : (tensor<4xi8>) -> tensor<4xi8>
  %o = "mcu.reshape"(%t) : (tensor<4x4xi8>) -> tensor<16xi8>
  return %a, %g, %h, %o : tensor<16xi8>, tensor<16xi8>, tensor<4xi8>, tensor<16xi8>
}
