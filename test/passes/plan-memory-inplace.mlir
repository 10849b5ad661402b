// RUN: %mcunet-opt %s --plan-memory | FileCheck %s
// RUN: not %mcunet-opt %S/Inputs/plan-memory-inplace-late-reader.mlir --plan-memory 2>&1 | FileCheck %s --check-prefix=LATE

// An in-place op (mcu.inplace = k, as mark-inplace sets it) shares operand k's buffer: the same offset, the buffer
// as large as the larger of the two and live until the result's last reader; the depthwise kernel's scratch (its
// ring of 4 zero-point-padded rows of 9 pixels x 4 channels, 144 bytes, k_conv_dw.h) is a buffer of its own live
// only at its layer. Layers: 0 %a (256 B), 1 %d in place over %a (64 B; scratch 144 B), 2 %e (64 B), 3 %s = %d + %e
// in place over %d. At layer 1 %a and the scratch are live (400 B); at layer 2 %d and %e (the 256-byte buffer and
// 64 B); the arena is 400 bytes instead of 464. mcu.tables_bytes sums the same answers' constant tables (flash):
// the three convs' tables, 132 B, and the ADD's two 256-entry tables, 2,048 B.
!x = !quant.uniform<i8:f32, 0.05:-3>
!y = !quant.uniform<i8:f32, 0.1:2>
!w = !quant.uniform<i8:f32, 0.02>
// CHECK-LABEL: module attributes {mcu.arena_lower_bound = 400 : i64, {{.*}}mcu.arena_size = 400 : i64
// CHECK-SAME: mcu.tables_bytes = 2180 : i64}
// CHECK: "mcu.conv2d"(%arg0,
// CHECK-SAME: mcu.live = array<i64: 0, 1>, mcu.offset = [[A:0|64]] : i64
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.inplace = 0 : i64, mcu.live = array<i64: 1, 3>, mcu.offset = [[A]] : i64, mcu.scratch = array<i64: [[S:256|0]], 144>
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.live = array<i64: 2, 3>, mcu.offset = [[S]] : i64
// CHECK: "mcu.add"
// CHECK-SAME: mcu.inplace = 0 : i64, mcu.live = array<i64: 3, 4>, mcu.offset = [[A]] : i64
// CHECK-NOT: mcu.scratch
// LATE: plan-memory: an mcu.inplace operand is not an arena buffer whose last reader is this op
func.func @main(%in: tensor<1x8x8x4x!x>) -> tensor<1x4x4x4x!y> {
  %wp = "mcu.constant"() {value = dense<1> : tensor<4x1x1x4xi8>} : () -> tensor<4x1x1x4x!w>
  %wd = "mcu.constant"() {value = dense<2> : tensor<4x3x3x1xi8>} : () -> tensor<4x3x3x1x!w>
  %b4 = "mcu.constant"() {value = dense<5> : tensor<4xi32>} : () -> tensor<4xi32>
  %a = "mcu.conv2d"(%in, %wp, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<4x1x1x4x!w>, tensor<4xi32>) -> tensor<1x8x8x4x!x>
  %d = "mcu.conv2d"(%a, %wd, %b4) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite", mcu.inplace = 0 : i64} : (tensor<1x8x8x4x!x>, tensor<4x3x3x1x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  %e = "mcu.conv2d"(%d, %wd, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite"} : (tensor<1x4x4x4x!y>, tensor<4x3x3x1x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  %s = "mcu.add"(%d, %e) {numerics = "tflite", mcu.inplace = 0 : i64} : (tensor<1x4x4x4x!y>, tensor<1x4x4x4x!y>) -> tensor<1x4x4x4x!y>
  %r = "mcu.clamp"(%s) {min = 0 : i64, max = 127 : i64} : (tensor<1x4x4x4x!y>) -> tensor<1x4x4x4x!y>
  return %r : tensor<1x4x4x4x!y>
}
