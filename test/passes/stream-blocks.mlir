// RUN: %mcunet-opt %s --stream-blocks | FileCheck %s
// RUN: %mcunet-opt %s --stream-blocks --plan-memory | FileCheck %s --check-prefix=PLAN

// stream-blocks fuses an int8 TF Lite expand 1x1 -> depthwise (multiplier 1) -> project 1x1 chain whose inner
// results have one use each into one mcu.stream_block (the depthwise's geometry, the projection's activation, the
// inner types and activation ranges as attributes), when the kernel's ring of rows is smaller than the expanded
// tensor. It leaves alone: a chain whose expansion has a second user, ONNX numerics, and a map so small that the
// ring would hold all of it.
!x = !quant.uniform<i8:f32, 0.05:-3>
!e = !quant.uniform<i8:f32, 0.1:-128>
!d = !quant.uniform<i8:f32, 0.08:5>
!y = !quant.uniform<i8:f32, 0.1:2>
!w = !quant.uniform<i8:f32, 0.02>

// CHECK-LABEL: func.func @main
// CHECK-NOT: mcu.conv2d
// CHECK: %[[S:[0-9]+]] = "mcu.stream_block"(%arg0, %0, %1, %2, %3, %4, %5)
// CHECK-SAME: act_max = 100 : i64
// CHECK-SAME: dilations = array<i64: 1, 1>
// CHECK-SAME: mcu.name = "dw"
// CHECK-SAME: mid_act = array<i64: -128, 127, 5, 60>
// CHECK-SAME: mid_types = [tensor<1x12x12x16x!quant.uniform<i8:f32, 1.000000e-01:-128>>, tensor<1x6x6x16x!quant.uniform<i8:f32, 8.000000e-02:5>>]
// CHECK-SAME: numerics = "tflite"
// CHECK-SAME: pads = array<i64: 1, 1, 1, 1>
// CHECK-SAME: strides = array<i64: 2, 2>
// CHECK-SAME: -> tensor<1x6x6x8x
// CHECK-NOT: mcu.conv2d
// CHECK: return %[[S]]
// The block's scratch: 3 rows of 12 x 16 bytes, 4 depthwise pixels of 16, a block of 4 widened columns of 16
// values (160 bytes): 800 (the expanded tensor would take 2304 bytes).
// PLAN: "mcu.stream_block"
// PLAN-SAME: mcu.scratch = array<i64: {{[0-9]+}}, 800>
func.func @main(%in: tensor<1x12x12x4x!x>) -> tensor<1x6x6x8x!y> {
  %we = "mcu.constant"() {value = dense<3> : tensor<16x1x1x4xi8>} : () -> tensor<16x1x1x4x!w>
  %be = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %wd = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %bd = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %wp = "mcu.constant"() {value = dense<1> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %bp = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %e = "mcu.conv2d"(%in, %we, %be) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x12x12x4x!x>, tensor<16x1x1x4x!w>, tensor<16xi32>) -> tensor<1x12x12x16x!e>
  %d = "mcu.conv2d"(%e, %wd, %bd) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "tflite", act_min = 5 : i64, act_max = 60 : i64, mcu.name = "dw"} : (tensor<1x12x12x16x!e>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x6x6x16x!d>
  %y = "mcu.conv2d"(%d, %wp, %bp) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite", act_max = 100 : i64} : (tensor<1x6x6x16x!d>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x6x6x8x!y>
  return %y : tensor<1x6x6x8x!y>
}

// The expansion is also returned: nothing is fused.
// CHECK-LABEL: func.func @shared
// CHECK-NOT: mcu.stream_block
// CHECK-COUNT-3: "mcu.conv2d"
// CHECK-NOT: mcu.stream_block
func.func @shared(%in: tensor<1x12x12x4x!x>) -> (tensor<1x6x6x8x!y>, tensor<1x12x12x16x!e>) {
  %we = "mcu.constant"() {value = dense<3> : tensor<16x1x1x4xi8>} : () -> tensor<16x1x1x4x!w>
  %be = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %wd = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %bd = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %wp = "mcu.constant"() {value = dense<1> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %bp = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %e = "mcu.conv2d"(%in, %we, %be) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x12x12x4x!x>, tensor<16x1x1x4x!w>, tensor<16xi32>) -> tensor<1x12x12x16x!e>
  %d = "mcu.conv2d"(%e, %wd, %bd) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "tflite"} : (tensor<1x12x12x16x!e>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x6x6x16x!d>
  %y = "mcu.conv2d"(%d, %wp, %bp) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x6x6x16x!d>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x6x6x8x!y>
  return %y, %e : tensor<1x6x6x8x!y>, tensor<1x12x12x16x!e>
}

// ONNX numerics (the ONNX Runtime arithmetic has no streamed kernel): nothing is fused.
// CHECK-LABEL: func.func @onnx
// CHECK-NOT: mcu.stream_block
// CHECK-COUNT-3: "mcu.conv2d"
// CHECK-NOT: mcu.stream_block
func.func @onnx(%in: tensor<1x12x12x4x!x>) -> tensor<1x6x6x8x!y> {
  %we = "mcu.constant"() {value = dense<3> : tensor<16x1x1x4xi8>} : () -> tensor<16x1x1x4x!w>
  %be = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %wd = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %bd = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %wp = "mcu.constant"() {value = dense<1> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %bp = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %e = "mcu.conv2d"(%in, %we, %be) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "onnx"} : (tensor<1x12x12x4x!x>, tensor<16x1x1x4x!w>, tensor<16xi32>) -> tensor<1x12x12x16x!e>
  %d = "mcu.conv2d"(%e, %wd, %bd) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "onnx"} : (tensor<1x12x12x16x!e>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x6x6x16x!d>
  %y = "mcu.conv2d"(%d, %wp, %bp) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "onnx"} : (tensor<1x6x6x16x!d>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x6x6x8x!y>
  return %y : tensor<1x6x6x8x!y>
}

// A 2x2 map under a 3x3 depthwise: the ring would be the whole expanded tensor, nothing is gained.
// CHECK-LABEL: func.func @small
// CHECK-NOT: mcu.stream_block
// CHECK-COUNT-3: "mcu.conv2d"
// CHECK-NOT: mcu.stream_block
func.func @small(%in: tensor<1x2x2x4x!x>) -> tensor<1x2x2x8x!y> {
  %we = "mcu.constant"() {value = dense<3> : tensor<16x1x1x4xi8>} : () -> tensor<16x1x1x4x!w>
  %be = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %wd = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %bd = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %wp = "mcu.constant"() {value = dense<1> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %bp = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %e = "mcu.conv2d"(%in, %we, %be) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x2x2x4x!x>, tensor<16x1x1x4x!w>, tensor<16xi32>) -> tensor<1x2x2x16x!e>
  %d = "mcu.conv2d"(%e, %wd, %bd) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "tflite"} : (tensor<1x2x2x16x!e>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x2x2x16x!d>
  %y = "mcu.conv2d"(%d, %wp, %bp) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x2x2x16x!d>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x2x2x8x!y>
  return %y : tensor<1x2x2x8x!y>
}
