// RUN: %mcunet-opt %s --select-kernels | FileCheck %s
// RUN: sed 's/^module {/module attributes {mcu.lean_scratch} {/' %s > %t.lean.mlir
// RUN: %mcunet-opt %t.lean.mlir --select-kernels | FileCheck %s --check-prefix=LEAN
// RUN: sed 's/^module {/module attributes {mcu.force_kernel = "pointwise:4x16"} {/' %s > %t.force.mlir
// RUN: %mcunet-opt %t.force.mlir --select-kernels | FileCheck %s --check-prefix=FORCE

// The tiles of k_gemm_w16.h that select-kernels takes on its own: a 1x1 conv whose filter is wider than the 4x1
// tile's flash cap (128 x 128 values > MCU_KSEL_W16_MAX_WEIGHTS) gets the 4x16 form (the int8 filter widened once
// per chunk of pixels); two output channels (a binary classifier's logits) the 2x1 tile, conv or fully connected.
// mcu.lean_scratch (--patches=min) keeps the 4x16 form, whose scratch holds up to 16 widened pixels and a widened
// tile, out of the choice; --kernel=pointwise:4x16 forces it where it applies.
!x = !quant.uniform<i8:f32, 0.05:-128>
!w = !quant.uniform<i8:f32, 0.02>
!y = !quant.uniform<i8:f32, 0.1:2>

// CHECK-LABEL: func.func @main
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.kernel = "pointwise"{{.*}}mcu.tile = array<i64: 4, 16>
// CHECK: "mcu.conv2d"
// CHECK-SAME: mcu.kernel = "pointwise"{{.*}}mcu.tile = array<i64: 2, 1>
// CHECK: "mcu.fully_connected"
// CHECK-SAME: mcu.kernel = "fc"{{.*}}mcu.tile = array<i64: 2, 1>

// LEAN: "mcu.conv2d"
// LEAN-NOT: array<i64: 4, 16>
// LEAN-SAME: mcu.kernel = "pointwise"
// LEAN: array<i64: 2, 1>

// FORCE: "mcu.conv2d"
// FORCE-SAME: mcu.tile = array<i64: 4, 16>
module {
func.func @main(%in: tensor<1x3x3x128x!x>, %fin: tensor<1x160x!x>) -> (tensor<1x3x3x2x!y>, tensor<1x2x!y>) {
  %w0 = "mcu.constant"() {value = dense<3> : tensor<128x1x1x128xi8>} : () -> tensor<128x1x1x128x!w>
  %b0 = "mcu.constant"() {value = dense<7> : tensor<128xi32>} : () -> tensor<128xi32>
  %a = "mcu.conv2d"(%in, %w0, %b0) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x3x3x128x!x>, tensor<128x1x1x128x!w>, tensor<128xi32>) -> tensor<1x3x3x128x!x>
  %w1 = "mcu.constant"() {value = dense<2> : tensor<2x1x1x128xi8>} : () -> tensor<2x1x1x128x!w>
  %b1 = "mcu.constant"() {value = dense<-4> : tensor<2xi32>} : () -> tensor<2xi32>
  %p = "mcu.conv2d"(%a, %w1, %b1) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"} : (tensor<1x3x3x128x!x>, tensor<2x1x1x128x!w>, tensor<2xi32>) -> tensor<1x3x3x2x!y>
  %w4 = "mcu.constant"() {value = dense<1> : tensor<2x160xi8>} : () -> tensor<2x160x!w>
  %b4 = "mcu.constant"() {value = dense<3> : tensor<2xi32>} : () -> tensor<2xi32>
  %g = "mcu.fully_connected"(%fin, %w4, %b4) {numerics = "tflite"} : (tensor<1x160x!x>, tensor<2x160x!w>, tensor<2xi32>) -> tensor<1x2x!y>
  return %p, %g : tensor<1x3x3x2x!y>, tensor<1x2x!y>
}
}
