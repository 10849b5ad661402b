// RUN: %mcunet-opt %s --patch-stages --plan-memory | FileCheck %s

// Forced (--patches=4x1@0+2): bands of 4 rows of the depthwise's output. The band of output rows [4, 8) needs
// depthwise input rows [3, 9): 6 rows of 16 x 16 bytes = 1536, the conv's patch buffer (the other bands need 5 or
// 6 rows). The arena: 4096 + 1536 + 224 (the first conv's im2col scratch: 4 columns of 56 bytes, its 27 values
// widened to int16 pairs) = 5856 bytes. Bands read whole rows, so nothing is gathered or staged (no mcu.patch_buf); the stage input (a model
// input) takes no arena, the stage output (4096 bytes) is live from the stage's first layer.
// CHECK: mcu.arena_size = 5856
// CHECK-LABEL: func.func @main
// CHECK-NOT: mcu.patch_buf
// CHECK: mcu.live = array<i64: 0, 1>, mcu.offset = {{[0-9]+}} : i64, mcu.patch = array<i64: 0, 4, 1>, mcu.patch_bytes = 1536 : i64
// CHECK-NOT: mcu.patch_buf
// CHECK: mcu.live = array<i64: 0, 2>, mcu.offset = {{[0-9]+}} : i64, mcu.patch = array<i64: 0, 4, 1>, numerics
// CHECK-NOT: mcu.patch
// CHECK: return
!x = !quant.uniform<i8:f32, 0.05:-3>
!a = !quant.uniform<i8:f32, 0.1:-128>
!w = !quant.uniform<i8:f32, 0.02>
module attributes {mcu.patch_request = array<i64: 4, 1, 0, 2>} {
func.func @main(%in: tensor<1x32x32x3x!x>) -> tensor<1x8x8x16x!a> {
  %w0 = "mcu.constant"() {value = dense<3> : tensor<16x3x3x3xi8>} : () -> tensor<16x3x3x3x!w>
  %b0 = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %w1 = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %b1 = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %w3 = "mcu.constant"() {value = dense<1> : tensor<16x3x3x16xi8>} : () -> tensor<16x3x3x16x!w>
  %b3 = "mcu.constant"() {value = dense<1> : tensor<16xi32>} : () -> tensor<16xi32>
  %c0 = "mcu.conv2d"(%in, %w0, %b0) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x32x32x3x!x>, tensor<16x3x3x3x!w>, tensor<16xi32>) -> tensor<1x16x16x16x!a>
  %c1 = "mcu.conv2d"(%c0, %w1, %b1) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "tflite"} : (tensor<1x16x16x16x!a>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x16x16x16x!a>
  %c3 = "mcu.conv2d"(%c1, %w3, %b3) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x16x16x16x!a>, tensor<16x3x3x16x!w>, tensor<16xi32>) -> tensor<1x8x8x16x!a>
  return %c3 : tensor<1x8x8x16x!a>
}
}
