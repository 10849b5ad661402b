// RUN: %mcunet-opt %s --fold-constants | FileCheck %s

// Transpose, quantize (round half to even, saturating), reshape then clamp: each folded with the reference, the
// result typed as the op's result, the value in the storage type; the inputs disappear.
// CHECK-LABEL: func.func @main
// CHECK-DAG: "mcu.constant"() {mcu.name = "t", value = dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
// CHECK-DAG: "mcu.constant"() {value = dense<[-1, 1, 3, 127]> : tensor<4xi8>} : () -> tensor<4x!quant.uniform<i8:f32, 5.000000e-01:1>>
// CHECK-DAG: "mcu.constant"() {value = dense<{{\[\[}}-2, 3, 4, 0]]> : tensor<1x4xi8>} : () -> tensor<1x4xi8>
// CHECK-NOT: mcu.transpose
// CHECK-NOT: mcu.quantize
// CHECK-NOT: mcu.reshape
// CHECK-NOT: mcu.clamp
// CHECK: return
func.func @main() -> (tensor<3x2xi8>, tensor<4x!quant.uniform<i8:f32, 0.5:1>>, tensor<1x4xi8>) {
  %c = "mcu.constant"() {value = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>} : () -> tensor<2x3xi8>
  %t = "mcu.transpose"(%c) {perm = array<i64: 1, 0>, mcu.name = "t"} : (tensor<2x3xi8>) -> tensor<3x2xi8>
  %f = "mcu.constant"() {value = dense<[-1.0, 0.25, 0.75, 100.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %q = "mcu.quantize"(%f) : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5:1>>
  %s = "mcu.constant"() {value = dense<[-5, 3, 9, 0]> : tensor<4xi8>} : () -> tensor<4xi8>
  %r = "mcu.reshape"(%s) : (tensor<4xi8>) -> tensor<1x4xi8>
  %k = "mcu.clamp"(%r) {min = -2 : i64, max = 4 : i64} : (tensor<1x4xi8>) -> tensor<1x4xi8>
  return %t, %q, %k : tensor<3x2xi8>, tensor<4x!quant.uniform<i8:f32, 0.5:1>>, tensor<1x4xi8>
}

// u8 storage: a pad with the zero point, then a concat with another constant (ui8 values).
// CHECK-LABEL: func.func @pad_concat
// CHECK: %[[C:.*]] = "mcu.constant"() {value = dense<{{\[\[}}7, 7, 7], [7, 200, 7], [7, 7, 7], [1, 2, 3]]> : tensor<4x3xui8>}
// CHECK-NEXT: return %[[C]]
!u = !quant.uniform<u8:f32, 0.1:7>
func.func @pad_concat() -> tensor<4x3x!u> {
  %a = "mcu.constant"() {value = dense<[[200]]> : tensor<1x1xui8>} : () -> tensor<1x1x!u>
  %p = "mcu.pad"(%a) {pads = array<i64: 1, 1, 1, 1>, value = 7 : i64} : (tensor<1x1x!u>) -> tensor<3x3x!u>
  %b = "mcu.constant"() {value = dense<[[1, 2, 3]]> : tensor<1x3xui8>} : () -> tensor<1x3x!u>
  %c = "mcu.concat"(%p, %b) {axis = 0 : i64} : (tensor<3x3x!u>, tensor<1x3x!u>) -> tensor<4x3x!u>
  return %c : tensor<4x3x!u>
}

// A dequantize is never folded (4x the flash, and the QDQ marker fold-qdq needs); an op with a non-constant
// operand stays; a pad that would add more than 64 KiB of weights stays.
// CHECK-LABEL: func.func @kept
// CHECK: "mcu.dequantize"
// CHECK: "mcu.matmul"
// CHECK: "mcu.pad"
!q = !quant.uniform<i8:f32, 0.5:0>
func.func @kept(%x: tensor<1x2x!q>) -> (tensor<2xf32>, tensor<1x3x!q>, tensor<300x300xi8>) {
  %w = "mcu.constant"() {value = dense<[1, 2]> : tensor<2xi8>} : () -> tensor<2x!q>
  %d = "mcu.dequantize"(%w) : (tensor<2x!q>) -> tensor<2xf32>
  %b = "mcu.constant"() {value = dense<1> : tensor<2x3xi8>} : () -> tensor<2x3x!q>
  %m = "mcu.matmul"(%x, %b) : (tensor<1x2x!q>, tensor<2x3x!q>) -> tensor<1x3x!q>
  %s = "mcu.constant"() {value = dense<1> : tensor<1x1xi8>} : () -> tensor<1x1xi8>
  %p = "mcu.pad"(%s) {pads = array<i64: 0, 0, 299, 299>, value = 0 : i64} : (tensor<1x1xi8>) -> tensor<300x300xi8>
  return %d, %m, %p : tensor<2xf32>, tensor<1x3x!q>, tensor<300x300xi8>
}
