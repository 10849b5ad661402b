// RUN: %mcunet-opt %s --schedule | FileCheck %s
// RUN: %mcunet-opt %s --schedule --mark-aliases --mark-inplace --plan-memory | FileCheck %s --check-prefix=PLAN
// RUN: %mcunet-opt %s --mark-aliases --mark-inplace --plan-memory | FileCheck %s --check-prefix=FILE

// schedule: two branches from the stem %x joined by a concat (the model output). The file runs branch A (%a,
// 512 bytes) first, so %a waits while branch B's 2048-byte %b1 runs: x + a + b1 = 2816 bytes. Branch B first
// (%b1, then its 64-byte reduction %b2) peaks at x + b1 + b2 = 2368, and %a then runs with x and b2 only. The
// constants move to the top; the arena follows the lower peak. The two reshapes between %b1 and %b2 will be
// copy-free: the pass counts them as plan-memory will (no bytes, %b1 live until %b2), so the peaks are the same.
// Each conv also holds its kernel's scratch while it runs (the 4x1 pointwise tile widens one input pixel into it:
// 8 bytes for 4 input channels, 64 bytes for %b2's 32): the peaks with it are 2824 in the file's order and 2432
// with branch B first, still the lower one.
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.2>
// CHECK: module attributes {mcu.schedule_exact = true, mcu.schedule_peak_after = 2432 : i64, mcu.schedule_peak_before = 2824 : i64}
// CHECK-LABEL: func.func @main
// CHECK-COUNT-5: "mcu.constant"
// CHECK: %[[X:.*]] = "mcu.conv2d"(%arg0,
// CHECK-SAME: -> tensor<1x8x8x4x
// CHECK: %[[B1:.*]] = "mcu.conv2d"(%[[X]],
// CHECK-SAME: -> tensor<1x8x8x32x
// CHECK: %[[R1:.*]] = "mcu.reshape"(%[[B1]])
// CHECK: %[[R2:.*]] = "mcu.reshape"(%[[R1]])
// CHECK: %[[B2:.*]] = "mcu.conv2d"(%[[R2]],
// CHECK-SAME: -> tensor<1x4x4x4x
// CHECK: %[[A:.*]] = "mcu.conv2d"(%[[X]],
// CHECK-SAME: -> tensor<1x4x4x32x
// CHECK: "mcu.concat"(%[[A]], %[[B2]])
// PLAN: mcu.arena_size = 2432 : i64
// FILE: mcu.arena_size = 2824 : i64
func.func @main(%in: tensor<1x8x8x4x!x>) -> tensor<1x4x4x36x!x> {
  %w4 = "mcu.constant"() {value = dense<[[[[-3, 2, 0, -2]]], [[[3, 1, -1, -3]]], [[[2, 0, -2, 3]]], [[[1, -1, -3, 2]]]]> : tensor<4x1x1x4xi8>} : () -> tensor<4x1x1x4x!w>
  %b4 = "mcu.constant"() {value = dense<5> : tensor<4xi32>} : () -> tensor<4xi32>
  %x = "mcu.conv2d"(%in, %w4, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<4x1x1x4x!w>, tensor<4xi32>) -> tensor<1x8x8x4x!x>
  %w32 = "mcu.constant"() {value = dense<[[[[-3, 0, 3, -1]]], [[[2, -2, 1, -3]]], [[[0, 3, -1, 2]]], [[[-2, 1, -3, 0]]], [[[3, -1, 2, -2]]], [[[1, -3, 0, 3]]], [[[-1, 2, -2, 1]]], [[[-3, 0, 3, -1]]], [[[2, -2, 1, -3]]], [[[0, 3, -1, 2]]], [[[-2, 1, -3, 0]]], [[[3, -1, 2, -2]]], [[[1, -3, 0, 3]]], [[[-1, 2, -2, 1]]], [[[-3, 0, 3, -1]]], [[[2, -2, 1, -3]]], [[[0, 3, -1, 2]]], [[[-2, 1, -3, 0]]], [[[3, -1, 2, -2]]], [[[1, -3, 0, 3]]], [[[-1, 2, -2, 1]]], [[[-3, 0, 3, -1]]], [[[2, -2, 1, -3]]], [[[0, 3, -1, 2]]], [[[-2, 1, -3, 0]]], [[[3, -1, 2, -2]]], [[[1, -3, 0, 3]]], [[[-1, 2, -2, 1]]], [[[-3, 0, 3, -1]]], [[[2, -2, 1, -3]]], [[[0, 3, -1, 2]]], [[[-2, 1, -3, 0]]]]> : tensor<32x1x1x4xi8>} : () -> tensor<32x1x1x4x!w>
  %b32 = "mcu.constant"() {value = dense<[-100, -63, -26, 11, 48, 85, -78, -41, -4, 33, 70, -93, -56, -19, 18, 55, 92, -71, -34, 3, 40, 77, -86, -49, -12, 25, 62, 99, -64, -27, 10, 47]> : tensor<32xi32>} : () -> tensor<32xi32>
  // branch A: 1x1 stride 2, 512 bytes kept until the concat
  %a = "mcu.conv2d"(%x, %w32, %b32) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<32x1x1x4x!w>, tensor<32xi32>) -> tensor<1x4x4x32x!x>
  // branch B: 2048 bytes, reduced to 64
  %b1 = "mcu.conv2d"(%x, %w32, %b32) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<32x1x1x4x!w>, tensor<32xi32>) -> tensor<1x8x8x32x!x>
  %wr = "mcu.constant"() {value = dense<[[[[-2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2]]], [[[-2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2]]], [[[-2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2]]], [[[-2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2]]]]> : tensor<4x1x1x32xi8>} : () -> tensor<4x1x1x32x!w>
  // copy-free reshapes (mark-aliases): no bytes of their own, they keep %b1's bytes live until %b2 reads them
  %r1 = "mcu.reshape"(%b1) : (tensor<1x8x8x32x!x>) -> tensor<1x64x32x!x>
  %r2 = "mcu.reshape"(%r1) : (tensor<1x64x32x!x>) -> tensor<1x8x8x32x!x>
  %b2 = "mcu.conv2d"(%r2, %wr, %b4) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x32x!x>, tensor<4x1x1x32x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!x>
  %out = "mcu.concat"(%a, %b2) {axis = 3 : i64} : (tensor<1x4x4x32x!x>, tensor<1x4x4x4x!x>) -> tensor<1x4x4x36x!x>
  return %out : tensor<1x4x4x36x!x>
}
