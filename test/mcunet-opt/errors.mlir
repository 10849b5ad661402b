// Parse and verification errors print file:line:col and exit 1.
// RUN: not %mcunet-opt %s 2>&1 | FileCheck %s
// CHECK: errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'mcu.conv2d' op attribute "groups" is expected but not provided
func.func @main(%a: tensor<1x4x4x3xi8>, %w: tensor<3x1x1x3xi8>, %b: tensor<3xi32>) -> tensor<1x4x4x3xi8> {
  %0 = "mcu.conv2d"(%a, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<3x1x1x3xi8>, tensor<3xi32>) -> tensor<1x4x4x3xi8>
  return %0 : tensor<1x4x4x3xi8>
}
