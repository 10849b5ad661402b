// RUN: sed 's/BUDGET/100000/' %s > %t.fits.mlir
// RUN: %mcunet-opt %t.fits.mlir --stream-blocks | FileCheck %s --check-prefix=FITS
// RUN: sed 's/BUDGET/2500/' %s > %t.one.mlir
// RUN: %mcunet-opt %t.one.mlir --stream-blocks | FileCheck %s --check-prefix=ONE
// RUN: sed 's/BUDGET/2000/' %s > %t.both.mlir
// RUN: %mcunet-opt %t.both.mlir --stream-blocks | FileCheck %s --check-prefix=BOTH
// RUN: sed 's/mcu.stream_budget = BUDGET : i64/mcu.other = 1 : i64/' %s > %t.none.mlir
// RUN: %mcunet-opt %t.none.mlir --stream-blocks | FileCheck %s --check-prefix=BOTH-NOBUDGET

// stream-blocks with a board budget (`mcu.stream_budget`, the driver's --board): streamed blocks are slower, so
// only what the model needs to fit is streamed, the block with the largest expanded tensor first. Two candidate
// chains: "big" (expands to 12x12x16 = 2304 B; the estimate's peak, 2880 B, is there) and "small" (6x6x32 =
// 1152 B; 2304 B live at its depthwise). A budget above 2880: nothing is fused. 2500: only "big" (the estimate
// then 2304). 2000: both (1280 B). Without a budget: both (least memory, today's default without a board).

// FITS: mcu.stream_choice = "none streamed (estimated peak 2880 B fits the budget of 100000 B)"
// FITS-NOT: mcu.stream_block
// FITS-COUNT-6: "mcu.conv2d"
// FITS-NOT: mcu.stream_block

// ONE: mcu.stream_choice = "1 block streamed (estimated peak 2880 B without, 2304 B with; budget 2500 B)"
// ONE: "mcu.stream_block"(%arg0,
// ONE-SAME: mcu.name = "big"
// ONE-COUNT-3: "mcu.conv2d"
// ONE-NOT: mcu.stream_block

// BOTH: mcu.stream_choice = "2 blocks streamed (estimated peak 2880 B without, 1280 B with; budget 2000 B)"
// BOTH-NOT: mcu.conv2d
// BOTH: "mcu.stream_block"(%arg0,
// BOTH-SAME: mcu.name = "big"
// BOTH: "mcu.stream_block"
// BOTH-SAME: mcu.name = "small"
// BOTH-NOT: mcu.conv2d

// BOTH-NOBUDGET: mcu.stream_choice = "2 blocks streamed (every candidate: least memory)"
// BOTH-NOBUDGET-NOT: mcu.conv2d
// BOTH-NOBUDGET-COUNT-2: "mcu.stream_block"
// BOTH-NOBUDGET-NOT: mcu.conv2d
!x = !quant.uniform<i8:f32, 0.05:-3>
!e = !quant.uniform<i8:f32, 0.1:-128>
!d = !quant.uniform<i8:f32, 0.08:5>
!y = !quant.uniform<i8:f32, 0.1:2>
!w = !quant.uniform<i8:f32, 0.02>
module attributes {mcu.stream_budget = BUDGET : i64} {
func.func @main(%in: tensor<1x12x12x4x!x>) -> tensor<1x6x6x8x!y> {
  %we = "mcu.constant"() {value = dense<3> : tensor<16x1x1x4xi8>} : () -> tensor<16x1x1x4x!w>
  %be = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %wd = "mcu.constant"() {value = dense<2> : tensor<16x3x3x1xi8>} : () -> tensor<16x3x3x1x!w>
  %bd = "mcu.constant"() {value = dense<-4> : tensor<16xi32>} : () -> tensor<16xi32>
  %wp = "mcu.constant"() {value = dense<1> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %bp = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %e = "mcu.conv2d"(%in, %we, %be) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite", mcu.name = "e1"} : (tensor<1x12x12x4x!x>, tensor<16x1x1x4x!w>, tensor<16xi32>) -> tensor<1x12x12x16x!e>
  %d = "mcu.conv2d"(%e, %wd, %bd) {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 16 : i64, numerics = "tflite", mcu.name = "big"} : (tensor<1x12x12x16x!e>, tensor<16x3x3x1x!w>, tensor<16xi32>) -> tensor<1x6x6x16x!d>
  %y = "mcu.conv2d"(%d, %wp, %bp) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite", mcu.name = "p1"} : (tensor<1x6x6x16x!d>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x6x6x8x!y>
  %we2 = "mcu.constant"() {value = dense<3> : tensor<32x1x1x8xi8>} : () -> tensor<32x1x1x8x!w>
  %be2 = "mcu.constant"() {value = dense<7> : tensor<32xi32>} : () -> tensor<32xi32>
  %wd2 = "mcu.constant"() {value = dense<2> : tensor<32x3x3x1xi8>} : () -> tensor<32x3x3x1x!w>
  %bd2 = "mcu.constant"() {value = dense<-4> : tensor<32xi32>} : () -> tensor<32xi32>
  %wp2 = "mcu.constant"() {value = dense<1> : tensor<8x1x1x32xi8>} : () -> tensor<8x1x1x32x!w>
  %bp2 = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %e2 = "mcu.conv2d"(%y, %we2, %be2) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite", mcu.name = "e2"} : (tensor<1x6x6x8x!y>, tensor<32x1x1x8x!w>, tensor<32xi32>) -> tensor<1x6x6x32x!e>
  %d2 = "mcu.conv2d"(%e2, %wd2, %bd2) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 32 : i64, numerics = "tflite", mcu.name = "small"} : (tensor<1x6x6x32x!e>, tensor<32x3x3x1x!w>, tensor<32xi32>) -> tensor<1x6x6x32x!d>
  %y2 = "mcu.conv2d"(%d2, %wp2, %bp2) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite", mcu.name = "p2"} : (tensor<1x6x6x32x!d>, tensor<8x1x1x32x!w>, tensor<8xi32>) -> tensor<1x6x6x8x!y>
  return %y2 : tensor<1x6x6x8x!y>
}
}
