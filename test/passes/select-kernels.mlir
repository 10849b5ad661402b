// RUN: %mcunet-opt %s --select-kernels | FileCheck %s
// RUN: sed 's/^module {/module attributes {mcu.force_kernel = "im2col:2x2"} {/' %s > %t.force.mlir
// RUN: %mcunet-opt %t.force.mlir --select-kernels | FileCheck %s --check-prefix=FORCE
// RUN: sed 's/^module {/module attributes {mcu.force_kernel = "scalar"} {/' %s > %t.scalar.mlir
// RUN: %mcunet-opt %t.scalar.mlir --select-kernels | FileCheck %s --check-prefix=SCALAR
// RUN: sed 's/^module {/module attributes {mcu.force_kernel = "im2col:3x3"} {/' %s > %t.bad.mlir
// RUN: not %mcunet-opt %t.bad.mlir --select-kernels 2>&1 | FileCheck %s --check-prefix=BAD

// select-kernels records on each int8 TF Lite conv2d / fully_connected the kernel family, im2col strategy,
// register tile, unroll and the cost model's instruction estimate (runtime/kernels/kernel_select.c): a 1x1 conv
// runs on the pointwise GEMM kernel (no im2col) with the 4x1 tile (int16 filter stream, k_gemm_w16.h), a 3x3 conv with 8 input channels on the im2col kernel, the
// 3-channel first layer on the first-layer column build, a depthwise conv keeps its own kernel (no tile), a fully
// connected layer the GEMM kernel; an ONNX-numerics conv gets nothing. mcu.force_kernel (--kernel) moves every op
// the family applies to onto it (im2col applies to every groups-1 conv, 1x1 included, not to the depthwise or the
// fully connected layer); scalar applies to all of them; a malformed value is an error.
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.02>
!y = !quant.uniform<i8:f32, 0.1:2>

// CHECK-LABEL: func.func @main
// CHECK: "mcu.conv2d"(%arg0,
// CHECK-SAME: mcu.im2col = "partial", mcu.kernel = "first", mcu.kernel_cost = {{[0-9]+}} : i64, mcu.tile = array<i64: 1, 4>, mcu.unroll = 4 : i64
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.im2col = "none", mcu.kernel = "pointwise", mcu.kernel_cost = {{[0-9]+}} : i64, mcu.tile = array<i64: 4, 1>, mcu.unroll = 4 : i64
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.im2col = "partial", mcu.kernel = "im2col", mcu.kernel_cost = {{[0-9]+}} : i64, mcu.tile = array<i64: 1, 4>, mcu.unroll = 4 : i64
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.im2col = "none", mcu.kernel = "depthwise", mcu.kernel_cost = {{[0-9]+}} : i64, mcu.tile = array<i64: 0, 0>, mcu.unroll = 1 : i64
// CHECK: "mcu.conv2d"
// CHECK-NOT: mcu.kernel
// CHECK-SAME: numerics = "onnx"
// CHECK: "mcu.fully_connected"
// CHECK-SAME: mcu.im2col = "none", mcu.kernel = "fc", mcu.kernel_cost = {{[0-9]+}} : i64, mcu.tile = array<i64: 1, 1>, mcu.unroll = 4 : i64

// FORCE: mcu.kernel = "im2col"{{.*}}mcu.tile = array<i64: 2, 2>
// FORCE: mcu.kernel = "im2col"{{.*}}mcu.tile = array<i64: 2, 2>
// FORCE: mcu.kernel = "im2col"{{.*}}mcu.tile = array<i64: 2, 2>
// FORCE: mcu.kernel = "depthwise"
// FORCE: mcu.kernel = "fc"

// SCALAR-COUNT-4: mcu.kernel = "scalar"{{.*}}mcu.tile = array<i64: 0, 0>
// SCALAR: numerics = "onnx"
// SCALAR: mcu.kernel = "scalar"

// BAD: error: select-kernels: mcu.force_kernel must be FAMILY or FAMILY:MxN
module {
func.func @main(%in: tensor<1x16x16x3x!x>, %fin: tensor<1x64x!x>) -> (tensor<1x8x8x8x!y>, tensor<1x8x8x8xf32>, tensor<1x10x!y>) {
  %w0 = "mcu.constant"() {value = dense<3> : tensor<16x3x3x3xi8>} : () -> tensor<16x3x3x3x!w>
  %b0 = "mcu.constant"() {value = dense<7> : tensor<16xi32>} : () -> tensor<16xi32>
  %a = "mcu.conv2d"(%in, %w0, %b0) {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x16x16x3x!x>, tensor<16x3x3x3x!w>, tensor<16xi32>) -> tensor<1x8x8x16x!x>
  %w1 = "mcu.constant"() {value = dense<2> : tensor<8x1x1x16xi8>} : () -> tensor<8x1x1x16x!w>
  %b1 = "mcu.constant"() {value = dense<-4> : tensor<8xi32>} : () -> tensor<8xi32>
  %p = "mcu.conv2d"(%a, %w1, %b1) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x16x!x>, tensor<8x1x1x16x!w>, tensor<8xi32>) -> tensor<1x8x8x8x!x>
  %w2 = "mcu.constant"() {value = dense<1> : tensor<8x3x3x8xi8>} : () -> tensor<8x3x3x8x!w>
  %b2 = "mcu.constant"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>
  %c = "mcu.conv2d"(%p, %w2, %b2) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x8x8x8x!x>, tensor<8x3x3x8x!w>, tensor<8xi32>) -> tensor<1x8x8x8x!x>
  %w3 = "mcu.constant"() {value = dense<1> : tensor<8x3x3x1xi8>} : () -> tensor<8x3x3x1x!w>
  %d = "mcu.conv2d"(%c, %w3, %b2) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 8 : i64, numerics = "tflite"} : (tensor<1x8x8x8x!x>, tensor<8x3x3x1x!w>, tensor<8xi32>) -> tensor<1x8x8x8x!y>
  %fx = "mcu.constant"() {value = dense<0.5> : tensor<1x8x8x8xf32>} : () -> tensor<1x8x8x8xf32>
  %fw = "mcu.constant"() {value = dense<0.25> : tensor<8x1x1x8xf32>} : () -> tensor<8x1x1x8xf32>
  %fb = "mcu.constant"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %f = "mcu.conv2d"(%fx, %fw, %fb) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "onnx"} : (tensor<1x8x8x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %w4 = "mcu.constant"() {value = dense<1> : tensor<10x64xi8>} : () -> tensor<10x64x!w>
  %b4 = "mcu.constant"() {value = dense<3> : tensor<10xi32>} : () -> tensor<10xi32>
  %g = "mcu.fully_connected"(%fin, %w4, %b4) {numerics = "tflite"} : (tensor<1x64x!x>, tensor<10x64x!w>, tensor<10xi32>) -> tensor<1x10x!y>
  return %d, %f, %g : tensor<1x8x8x8x!y>, tensor<1x8x8x8xf32>, tensor<1x10x!y>
}
}
