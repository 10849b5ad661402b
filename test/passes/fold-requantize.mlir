// RUN: %mcunet-opt %s --fold-requantize | FileCheck %s

!a = !quant.uniform<i8:f32, 0.05:-128>
!b = !quant.uniform<i8:f32, 0.1:-128>

// A requantize to the same quantization with an activation range (TFLite RELU6 on int8) is a clamp of the stored
// values; without one it disappears.
// CHECK-LABEL: func.func @same
// CHECK: %[[C:.*]] = "mcu.clamp"(%arg0) {max = 100 : i64, mcu.name = "relu6", min = -128 : i64}
// CHECK-NOT: mcu.requantize
// CHECK: "mcu.max_pool2d"(%[[C]])
// CHECK: return %arg0, %{{.*}}
func.func @same(%x: tensor<1x4x4x2x!a>) -> (tensor<1x4x4x2x!a>, tensor<1x1x1x2x!a>) {
  %r = "mcu.requantize"(%x) : (tensor<1x4x4x2x!a>) -> tensor<1x4x4x2x!a>
  %c = "mcu.requantize"(%x) {act_min = -128 : i64, act_max = 100 : i64, mcu.name = "relu6", numerics = "tflite"} : (tensor<1x4x4x2x!a>) -> tensor<1x4x4x2x!a>
  %p = "mcu.max_pool2d"(%c) {kernel = array<i64: 4, 4>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, numerics = "tflite"} : (tensor<1x4x4x2x!a>) -> tensor<1x1x1x2x!a>
  return %r, %p : tensor<1x4x4x2x!a>, tensor<1x1x1x2x!a>
}

// A requantize to another scale changes the values: it stays.
// CHECK-LABEL: func.func @other
// CHECK: "mcu.requantize"
func.func @other(%x: tensor<8x!a>) -> tensor<8x!b> {
  %r = "mcu.requantize"(%x) : (tensor<8x!a>) -> tensor<8x!b>
  return %r : tensor<8x!b>
}

// dequantize -> quantize with the same parameters (per axis too) gives back the stored values; the dequantize
// goes when nothing else reads it.
// CHECK-LABEL: func.func @pair
// CHECK-NOT: mcu.dequantize
// CHECK-NOT: mcu.quantize
// CHECK: return %arg0, %arg1
!p = !quant.uniform<u8:f32:1, {0.5:3, 0.25:100}>
func.func @pair(%x: tensor<8x!a>, %y: tensor<4x2x!p>) -> (tensor<8x!a>, tensor<4x2x!p>) {
  %d = "mcu.dequantize"(%x) : (tensor<8x!a>) -> tensor<8xf32>
  %q = "mcu.quantize"(%d) : (tensor<8xf32>) -> tensor<8x!a>
  %e = "mcu.dequantize"(%y) : (tensor<4x2x!p>) -> tensor<4x2xf32>
  %r = "mcu.quantize"(%e) : (tensor<4x2xf32>) -> tensor<4x2x!p>
  return %q, %r : tensor<8x!a>, tensor<4x2x!p>
}

// With other parameters the pair is a requantization (its rounding is kept); a dequantize read elsewhere stays.
// CHECK-LABEL: func.func @pair_kept
// CHECK: %[[D:.*]] = "mcu.dequantize"(%arg0)
// CHECK: "mcu.quantize"(%[[D]])
// CHECK-NOT: mcu.quantize
// CHECK: return %{{.*}}, %arg0, %[[D]]
func.func @pair_kept(%x: tensor<8x!a>) -> (tensor<8x!b>, tensor<8x!a>, tensor<8xf32>) {
  %d = "mcu.dequantize"(%x) : (tensor<8x!a>) -> tensor<8xf32>
  %q = "mcu.quantize"(%d) : (tensor<8xf32>) -> tensor<8x!b>
  %s = "mcu.quantize"(%d) : (tensor<8xf32>) -> tensor<8x!a>
  return %q, %s, %d : tensor<8x!b>, tensor<8x!a>, tensor<8xf32>
}
