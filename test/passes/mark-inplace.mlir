// RUN: %mcunet-opt %s --mark-aliases --mark-inplace | FileCheck %s
// RUN: %mcunet-opt %s --mark-aliases --mark-inplace --plan-memory | FileCheck %s --check-prefix=PLAN

// mark-inplace marks an int8 TF Lite depthwise conv (multiplier 1) whose input dies there with mcu.inplace = 0, and
// an int8 add without broadcasting on the operand that dies there; never a model input, an input read later, a
// grouped conv with multiplier 2, a broadcasting add or a model output.
!x = !quant.uniform<i8:f32, 0.05:-3>
!y = !quant.uniform<i8:f32, 0.1:2>
!w = !quant.uniform<i8:f32, 0.02>
// CHECK-LABEL: func.func @main
// CHECK: %[[A:.*]] = "mcu.conv2d"(%arg0,
// CHECK-NOT: mcu.inplace
// CHECK-SAME: -> tensor<1x8x8x4x
// CHECK: %[[D:.*]] = "mcu.conv2d"(%[[A]],
// CHECK-SAME: mcu.inplace = 0 : i64
// CHECK: %[[M:.*]] = "mcu.conv2d"(%[[D]],
// CHECK-NOT: mcu.inplace
// CHECK-SAME: -> tensor<1x4x4x8x
// CHECK: %[[P:.*]] = "mcu.conv2d"(%[[M]],
// CHECK: %[[Q:.*]] = "mcu.conv2d"(%[[P]],
// CHECK-NOT: mcu.inplace
// CHECK-SAME: -> tensor<1x4x4x4x
// CHECK: %[[S:.*]] = "mcu.add"(%[[P]], %[[Q]])
// CHECK-SAME: mcu.inplace = 1 : i64
// CHECK: "mcu.add"(%[[S]], %{{.*}})
// CHECK-NOT: mcu.inplace
// CHECK-SAME: -> tensor<1x4x4x4x
// CHECK: "mcu.conv2d"(%arg0,
// CHECK-NOT: mcu.inplace
// CHECK-SAME: -> tensor<1x4x4x4x
// The in-place result shares its input's offset; the depthwise layer gets its ring scratch (k_conv_dw.h: 4 rows of
// 9 pixels x 4 channels).
// PLAN: "mcu.conv2d"(%arg0,
// PLAN-SAME: mcu.offset = [[OA:[0-9]+]] : i64
// PLAN: "mcu.conv2d"
// PLAN-SAME: mcu.inplace = 0 : i64, mcu.live = array<i64: 1, 2>, mcu.offset = [[OA]] : i64, mcu.scratch = array<i64: {{[0-9]+}}, 144>
func.func @main(%in: tensor<1x8x8x4x!x>) -> (tensor<1x4x4x4x!y>, tensor<1x4x4x4x!y>) {
  %wp = "mcu.constant"() {value = dense<1> : tensor<4x1x1x4xi8>} : () -> tensor<4x1x1x4x!w>
  %wd = "mcu.constant"() {value = dense<2> : tensor<4x3x3x1xi8>} : () -> tensor<4x3x3x1x!w>
  %wm = "mcu.constant"() {value = dense<3> : tensor<8x3x3x1xi8>} : () -> tensor<8x3x3x1x!w>
  %wq = "mcu.constant"() {value = dense<1> : tensor<4x1x1x8xi8>} : () -> tensor<4x1x1x8x!w>
  %b4 = "mcu.constant"() {value = dense<5> : tensor<4xi32>} : () -> tensor<4xi32>
  %b8 = "mcu.constant"() {value = dense<5> : tensor<8xi32>} : () -> tensor<8xi32>
  %one = "mcu.constant"() {value = dense<1> : tensor<1x1x1x4xi8>} : () -> tensor<1x1x1x4x!y>
  // pointwise on the model input: not depthwise, and its input is the caller's
  %a = "mcu.conv2d"(%in, %wp, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<4x1x1x4x!w>, tensor<4xi32>) -> tensor<1x8x8x4x!x>
  // depthwise stride 2 on %a, its only reader: in place
  %d = "mcu.conv2d"(%a, %wd, %b4) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<4x3x3x1x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  // depth multiplier 2: no in-place kernel
  %m = "mcu.conv2d"(%d, %wm, %b8) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite"} : (tensor<1x4x4x4x!y>, tensor<8x3x3x1x!w>, tensor<8xi32>) -> tensor<1x4x4x8x!y>
  %p = "mcu.conv2d"(%m, %wq, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x4x4x8x!y>, tensor<4x1x1x8x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  // depthwise whose input %p is read again later: not in place
  %q = "mcu.conv2d"(%p, %wd, %b4) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite"} : (tensor<1x4x4x4x!y>, tensor<4x3x3x1x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  // %p is still read by nothing after this add, but it has two readers; %q dies here: in place on operand 1
  %s = "mcu.add"(%p, %q) {numerics = "tflite"} : (tensor<1x4x4x4x!y>, tensor<1x4x4x4x!y>) -> tensor<1x4x4x4x!y>
  // broadcasting and a model output: not in place
  %t = "mcu.add"(%s, %one) {numerics = "tflite"} : (tensor<1x4x4x4x!y>, tensor<1x1x1x4x!y>) -> tensor<1x4x4x4x!y>
  // depthwise on the model input and returned: not in place
  %r = "mcu.conv2d"(%in, %wd, %b4) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, groups = 4 : i64, numerics = "tflite"} : (tensor<1x8x8x4x!x>, tensor<4x3x3x1x!w>, tensor<4xi32>) -> tensor<1x4x4x4x!y>
  return %t, %r : tensor<1x4x4x4x!y>, tensor<1x4x4x4x!y>
}
