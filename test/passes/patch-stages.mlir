// RUN: %mcunet-opt %s --patch-stages | FileCheck %s
// RUN: %mcunet-opt %s --patch-stages --plan-memory | FileCheck %s --check-prefix=PLAN

// patch-stages on conv 3x3 stride 2 -> depthwise 3x3 -> conv 1x1 -> conv 3x3 stride 2: unpatched, the 16x16x16
// maps of the first two convs (4096 bytes each) are live together (8192 bytes). Recomputing the first conv's halos
// would cost more than 5% of the network's MACs, so the stage is the depthwise and the 1x1 conv, read from the
// first conv's whole output; the grid is the coarsest within 1/64 of the lowest peak (6 x 8 patches, a column
// split: the depthwise's input region is gathered, the 1x1 conv's output region staged).
!x = !quant.uniform<i8:f32, 0.05:-3>
!a = !quant.uniform<i8:f32, 0.1:-128>
!w = !quant.uniform<i8:f32, 0.02>

// CHECK-LABEL: func.func @main
// CHECK: "mcu.conv2d"
// CHECK-NOT: mcu.patch
// CHECK-SAME: -> tensor<1x16x16x16x
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.patch = array<i64: 0, 6, 8>
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.patch = array<i64: 0, 6, 8>
// CHECK: "mcu.conv2d"
// CHECK-NOT: mcu.patch
// CHECK: return
// The largest tile is 3 rows x 2 columns (16 / 6 and 16 / 8): the depthwise's output patch takes 96 bytes, its input
// region with the halo 5 x 4 pixels (320 bytes, gathered after the kernel's scratch); the 1x1 conv stages 3 x 2 x 8 = 48. At the
// depthwise: the first conv's output 4096 + the stage output 2048 + 96 + 320 = 6560 bytes, the arena.
// PLAN: mcu.arena_size = 6560
// PLAN: "mcu.conv2d"
// PLAN: "mcu.conv2d"
// PLAN-SAME: mcu.patch_buf = 320
// PLAN-SAME: mcu.patch_bytes = 96
// PLAN: "mcu.conv2d"
// PLAN-SAME: mcu.patch_buf = 48
func.func @main(%in: tensor<1x32x32x3x!x>) -> tensor<1x8x8x8x!a> {
  %w0 = "mcu.constant"() {value = dense<3> : tensor<16x3x3x3xi8>} : () -> tensor<16x3x3x3x!w>
  %b0 = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %w1 = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %b1 = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %w2 = "mcu.constant"() {value = dense<1> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %b2 = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %w3 = "mcu.constant"() {value = dense<1> : tensor<8x3x3x8xi8>} : () -> tensor<8x3x3x8x!w>
  %b3 = "mcu.constant"() {value = dense<1> : tensor<8xi32>} : () -> tensor<8xi32>
  %c0 = "mcu.conv2d"(%in, %w0, %b0) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x32x32x3x!x>, tensor<16x3x3x3x!w>, tensor<16xi32>) -> tensor<1x16x16x16x!a>
  %c1 = "mcu.conv2d"(%c0, %w1, %b1) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "tflite"} : (tensor<1x16x16x16x!a>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x16x16x16x!a>
  %c2 = "mcu.conv2d"(%c1, %w2, %b2) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x16x16x16x!a>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x16x16x8x!a>
  %c3 = "mcu.conv2d"(%c2, %w3, %b3) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x16x16x8x!a>, tensor<8x3x3x8x!w>, tensor<8xi32>) -> tensor<1x8x8x8x!a>
  return %c3 : tensor<1x8x8x8x!a>
}

