#!/usr/bin/python3
# make_dw_layer.py H W C K S M PAD OUT.mlir: a one-layer int8 depthwise conv model in the mcu dialect (input
# [1, H, W, C] -> mcu.conv2d groups C, K x K, stride S, multiplier M, padding PAD on every side -> output), with
# deterministic pseudo-random weights and biases, per-tensor scales. Used for the depthwise figures in
# docs/benchmarks.md (build/bin/mcunet-run OUT.mlir --input RAW --count). Standard library only.
import random
import sys


def nest(vals, shape):
    if len(shape) == 1:
        return "[" + ", ".join(map(str, vals)) + "]"
    n = len(vals) // shape[0]
    return "[" + ", ".join(nest(vals[i * n:(i + 1) * n], shape[1:]) for i in range(shape[0])) + "]"


def dense(vals, shape, ty):
    return "dense<" + nest(vals, shape) + "> : tensor<" + "x".join(map(str, shape)) + "x" + ty + ">"


def main():
    h, w, c, k, s, m, pad = (int(a) for a in sys.argv[1:8])
    out = sys.argv[8]
    random.seed(h * 1000 + c * 10 + k)
    o = c * m
    oh, ow = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
    wv = [random.randint(-127, 127) for _ in range(o * k * k)]
    bv = [random.randint(-2000, 2000) for _ in range(o)]
    xt, yt, wt = f"tensor<1x{h}x{w}x{c}x!x>", f"tensor<1x{oh}x{ow}x{o}x!y>", f"tensor<{o}x{k}x{k}x1x!w>"
    lines = [
        "!x = !quant.uniform<i8:f32, 0.05:-3>",
        "!y = !quant.uniform<i8:f32, 0.1:2>",
        "!w = !quant.uniform<i8:f32, 0.002>",
        f"func.func @main(%in: {xt}) -> {yt} {{",
        f'  %wd = "mcu.constant"() {{value = {dense(wv, [o, k, k, 1], "i8")}}} : () -> {wt}',
        f'  %bd = "mcu.constant"() {{value = {dense(bv, [o], "i32")}}} : () -> tensor<{o}xi32>',
        f'  %d = "mcu.conv2d"(%in, %wd, %bd) {{strides = array<i64: {s}, {s}>, pads = array<i64: {pad}, {pad}, '
        f'{pad}, {pad}>, dilations = array<i64: 1, 1>, groups = {c} : i64, numerics = "tflite"}} : '
        f'({xt}, {wt}, tensor<{o}xi32>) -> {yt}',
        f"  return %d : {yt}",
        "}",
    ]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"MACs {oh * ow * o * k * k}")


if __name__ == "__main__":
    main()
