// Input of plan-memory-inplace.mlir: an mcu.inplace conv whose input %a is read again later (an error).
!x = !quant.uniform<i8:f32, 0.05:-3>
!y = !quant.uniform<i8:f32, 0.1:2>
!w = !quant.uniform<i8:f32, 0.02>
func.func @main(%in: tensor<1x8x8x4x!x>) -> (tensor<1x4x4x4x!y>, tensor<1x8x8x4x!x>) {
  %wp = "mcu.constant"() {value = dense<1> : tensor<4x1x1x4xi8>} : () -> tensor<4x1x1x4x!w>
  %wd = "mcu.constant"() {value = dense<2> : tensor<4x3x3x1xi8>} : () -> tensor<4x3x3x1x!w>
  %b4 = "mcu.constant"() {value = dense<5> : tensor<4xi32>} : () -> tensor<4xi32>
  %a = "mcu.conv2d"(%in, %wp, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<4x1x1x4x!w>, tensor<4xi32>) -> tensor<1x8x8x4x!x>
  %d = "mcu.conv2d"(%a, %wd, %b4) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite", mcu.inplace = 0 : i64} : (tensor<1x8x8x4x!x>, tensor<4x3x3x1x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  %e = "mcu.clamp"(%d) {min = 0 : i64, max = 127 : i64} : (tensor<1x4x4x4x!y>) -> tensor<1x4x4x4x!y>
  %c = "mcu.clamp"(%a) {min = 0 : i64, max = 127 : i64} : (tensor<1x8x8x4x!x>) -> tensor<1x8x8x4x!x>
  return %e, %c : tensor<1x4x4x4x!y>, tensor<1x8x8x4x!x>
}
