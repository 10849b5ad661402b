#!/usr/bin/env python3
"""conv_layer_mlir.py: writes a one-layer int8 TF Lite conv model as graph IR (mcunet-run/mcunetc accept .mlir).

Usage: conv_layer_mlir.py C O H KH > layer.mlir   (input 1xHxHxC, KHxKH filter, stride 1, 'same' padding, O outputs)
Random (seeded) filter and bias, per-tensor scales that keep the outputs unsaturated. Used for the per-layer
MAC-per-instruction figures of docs/benchmarks.md: `mcunet-run layer.mlir --input IN --count`, IN = H*H*C bytes."""
import random
import sys

C, O, H, KH = map(int, sys.argv[1:5])
random.seed(1)
w = bytes(random.randint(-127, 127) & 255 for _ in range(O * KH * KH * C)).hex().upper()
b = b"".join((random.randint(-2000, 2000) & 0xFFFFFFFF).to_bytes(4, "little") for _ in range(O)).hex().upper()
p = (KH - 1) // 2
ys = 0.05 * 0.004 * 20 * (C * KH * KH) ** 0.5
x, f, y = f"tensor<1x{H}x{H}x{C}x!x>", f"tensor<{O}x{KH}x{KH}x{C}", f"tensor<1x{H}x{H}x{O}x!y>"
print(f"""!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8:f32, 0.004>
!y = !quant.uniform<i8:f32, {ys:g}:2>
func.func @main(%in: {x}) -> {y} {{
  %w = "mcu.constant"() {{value = dense<"0x{w}"> : {f}xi8>}} : () -> {f}x!w>
  %b = "mcu.constant"() {{value = dense<"0x{b}"> : tensor<{O}xi32>}} : () -> tensor<{O}xi32>
  %y = "mcu.conv2d"(%in, %w, %b) {{strides = array<i64: 1, 1>, pads = array<i64: {p}, {p}, {p}, {p}>, dilations = array<i64: 1, 1>, groups = 1 : i64, numerics = "tflite"}} : ({x}, {f}x!w>, tensor<{O}xi32>) -> {y}
  return %y : {y}
}}""")
