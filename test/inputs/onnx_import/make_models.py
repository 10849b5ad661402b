#!/usr/bin/python3
# make_models.py: writes the small ONNX models compiler/onnx_import_test.c imports (run with /usr/bin/python3).
import os
import numpy as np
import onnx
from onnx import TensorProto as TP, helper as h, numpy_helper as nh

HERE = os.path.dirname(os.path.abspath(__file__))


def save(graph, name, opset=13):
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], producer_name="make_models.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(HERE, name))


def const(name, arr, dtype=None):
    return nh.from_array(np.asarray(arr, dtype=dtype), name)


# unsupported.onnx: Relu n1, Relu n2, LSTM n3 -> "node 'n3' (LSTM): unsupported operator"
save(h.make_graph(
    [h.make_node("Relu", ["x"], ["a"], name="n1"), h.make_node("Relu", ["a"], ["b"], name="n2"),
     h.make_node("LSTM", ["b", "w", "r"], ["y"], name="n3", hidden_size=2)],
    "unsupported", [h.make_tensor_value_info("x", TP.FLOAT, [1, 1, 2])],
    [h.make_tensor_value_info("y", TP.FLOAT, [1, 1, 1, 2])],
    [const("w", np.zeros((1, 8, 2)), np.float32), const("r", np.zeros((1, 8, 2)), np.float32)]),
    "unsupported.onnx")

# symbolic.onnx: a symbolic batch dim
save(h.make_graph([h.make_node("Relu", ["x"], ["y"], name="r")], "symbolic",
                  [h.make_tensor_value_info("x", TP.FLOAT, ["N", 4])],
                  [h.make_tensor_value_info("y", TP.FLOAT, ["N", 4])]), "symbolic.onnx")

# chain.onnx: f32 [1,3,8,8] -> QuantizeLinear -> conv c1 (3x1 kernel, per-channel int8 weights, pads 1,0)
# -> depthwise conv c2 (stride 2, SAME_UPPER) -> Relu -> conv c3 (1x1, no bias) -> Clip -> Flatten ->
# Reshape [0, -1] -> QLinearMatMul (per-column b) -> DequantizeLinear -> f32 [1,10].
# Weights of c1: w[o][c][kh][kw] = o*9 + c*3 + kh - 18 (the test recomputes the transposed bytes).
w1 = np.array([[[[o * 9 + c * 3 + kh - 18] for kh in range(3)] for c in range(3)] for o in range(4)], np.int8)
w2 = (np.arange(4 * 9).reshape(4, 1, 3, 3) % 7 - 3).astype(np.int8)
w3 = (np.arange(6 * 4).reshape(6, 4, 1, 1) % 5 - 2).astype(np.int8)
bm = (np.arange(96 * 10).reshape(96, 10) % 9 - 4).astype(np.int8)
inits = [
    const("xs", 0.02, np.float32), const("xz", 128, np.uint8),
    const("w1", w1), const("w1s", [0.01, 0.02, 0.03, 0.04], np.float32), const("w1z", [0, 0, 0, 0], np.int8),
    const("b1", [1, -2, 3, -4], np.int32), const("y1s", 0.05, np.float32), const("y1z", 120, np.uint8),
    const("w2", w2), const("w2s", 0.02, np.float32), const("w2z", 0, np.int8),
    const("y2s", 0.06, np.float32), const("y2z", 110, np.uint8),
    const("w3", w3), const("w3s", 0.03, np.float32), const("w3z", 0, np.int8),
    const("y3s", 0.07, np.float32), const("y3z", 100, np.uint8),
    const("cmin", 10, np.uint8), const("cmax", 240, np.uint8),
    const("shape", [0, -1], np.int64),
    const("bm", bm), const("bms", np.linspace(0.01, 0.1, 10), np.float32), const("bmz", np.zeros(10), np.int8),
    const("ys", 0.1, np.float32), const("yz", 128, np.uint8),
]
nodes = [
    h.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q"),
    h.make_node("QLinearConv", ["xq", "xs", "xz", "w1", "w1s", "w1z", "y1s", "y1z", "b1"], ["c1"], name="c1",
                pads=[1, 0, 1, 0], kernel_shape=[3, 1]),
    h.make_node("QLinearConv", ["c1", "y1s", "y1z", "w2", "w2s", "w2z", "y2s", "y2z"], ["c2"], name="c2",
                group=4, strides=[2, 2], auto_pad="SAME_UPPER"),
    h.make_node("Relu", ["c2"], ["r2"], name="relu"),
    h.make_node("QLinearConv", ["r2", "y2s", "y2z", "w3", "w3s", "w3z", "y3s", "y3z"], ["c3"], name="c3"),
    h.make_node("Clip", ["c3", "cmin", "cmax"], ["k3"], name="clip"),
    h.make_node("Flatten", ["k3"], ["f"], name="flat"),
    h.make_node("Reshape", ["f", "shape"], ["f2"], name="reshape"),
    h.make_node("Identity", ["f2"], ["f3"], name="id"),
    h.make_node("QLinearMatMul", ["f3", "y3s", "y3z", "bm", "bms", "bmz", "ys", "yz"], ["m"], name="fc"),
    h.make_node("DequantizeLinear", ["m", "ys", "yz"], ["y"], name="dq"),
]
save(h.make_graph(nodes, "chain", [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 8, 8])],
                  [h.make_tensor_value_info("y", TP.FLOAT, [1, 10])], inits), "chain.onnx")

# misc.onnx: a pending uint8 input through Reshape into QLinearMatMul; f32 Relu/Clip; per-axis Quantize and
# Dequantize; a conv whose weights are a graph input (transposed by an op); int8 activations.
inits = [
    const("shape", [3, 4], np.int64), const("as", 0.1, np.float32), const("az", 3, np.uint8),
    const("b", (np.arange(8).reshape(4, 2) - 4), np.int8), const("bs", 0.05, np.float32), const("bz", 0, np.int8),
    const("ys", 0.2, np.float32), const("yz", -5, np.int8),
    const("lo", -1.0, np.float32), const("hi", 6.0, np.float32),
    const("qs", [0.1, 0.2, 0.3, 0.4], np.float32), const("qz", [1, 2, 3, 4], np.int8),
    const("xs", 0.5, np.float32), const("xz", 0, np.uint8), const("ws", 0.25, np.float32), const("wz", 0, np.uint8),
    const("cs", 1.5, np.float32), const("cz", 7, np.uint8),
]
nodes = [
    h.make_node("Reshape", ["a", "shape"], ["a2"], name="ra"),
    h.make_node("QLinearMatMul", ["a2", "as", "az", "b", "bs", "bz", "ys", "yz"], ["m"], name="mm"),
    h.make_node("DequantizeLinear", ["m", "ys", "yz"], ["mf"], name="dqm"),
    h.make_node("Relu", ["f"], ["fr"], name="frelu"),
    h.make_node("Clip", ["fr", "lo", "hi"], ["fc"], name="fclip"),
    h.make_node("QuantizeLinear", ["fc", "qs", "qz"], ["fq"], name="qaxis", axis=1),
    h.make_node("DequantizeLinear", ["fq", "qs", "qz"], ["fd"], name="dqaxis", axis=1),
    h.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "cs", "cz"], ["c"], name="cw", pads=[1, 1, 1, 1]),
    h.make_node("Clip", ["m"], ["mc"], name="iclip"),
]
save(h.make_graph(nodes, "misc",
                  [h.make_tensor_value_info("a", TP.UINT8, [2, 6]), h.make_tensor_value_info("f", TP.FLOAT, [1, 4]),
                   h.make_tensor_value_info("x", TP.UINT8, [1, 1, 3, 3]),
                   h.make_tensor_value_info("w", TP.UINT8, [2, 1, 3, 3])],
                  [h.make_tensor_value_info("mf", TP.FLOAT, [3, 2]), h.make_tensor_value_info("fd", TP.FLOAT, [1, 4]),
                   h.make_tensor_value_info("c", TP.UINT8, [1, 2, 3, 3]),
                   h.make_tensor_value_info("mc", TP.INT8, [3, 2])], inits), "misc.onnx")

# conflict.onnx: one uint8 input read with two different scales.
inits = [const("s1", 0.1, np.float32), const("s2", 0.2, np.float32), const("z", 0, np.uint8),
         const("b", np.ones((2, 2)), np.uint8)]
nodes = [h.make_node("QLinearMatMul", ["a", "s1", "z", "b", "s1", "z", "s1", "z"], ["y1"], name="m1"),
         h.make_node("QLinearMatMul", ["a", "s2", "z", "b", "s1", "z", "s1", "z"], ["y2"], name="m2")]
save(h.make_graph(nodes, "conflict", [h.make_tensor_value_info("a", TP.UINT8, [2, 2])],
                  [h.make_tensor_value_info("y1", TP.UINT8, [2, 2]), h.make_tensor_value_info("y2", TP.UINT8, [2, 2])],
                  inits), "conflict.onnx")

# ---- float models ----
rng = np.random.default_rng(7)


def rnd(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# float_ops.onnx: a float CNN touching every float op family. Layout: one transpose into NHWC (conv c1), one back
# (for Flatten); everything between runs on NHWC values.
inits = [
    const("w1", rnd(4, 3, 3, 3)), const("b1", rnd(4)),
    const("bn_s", rnd(4)), const("bn_b", rnd(4)), const("bn_m", rnd(4)), const("bn_v", np.abs(rnd(4)) + 0.5),
    const("w2", rnd(4, 1, 3, 3)), const("k", rnd(4, 1, 1)),
    const("pads", [0, 0, 1, 2, 0, 0, 3, 4], np.int64), const("pv", 0.5, np.float32),
    const("sizes", [1, 8, 16, 20], np.int64),
    const("wg", rnd(5, 8)), const("bg", rnd(5)),
]
nodes = [
    h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="c1", pads=[1, 1, 1, 1]),
    h.make_node("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"], name="bn", epsilon=1e-3),
    h.make_node("LeakyRelu", ["bn"], ["lr"], name="lrelu", alpha=0.1),
    h.make_node("MaxPool", ["lr"], ["mp"], name="mpool", kernel_shape=[2, 2], strides=[2, 2]),
    h.make_node("Conv", ["mp", "w2"], ["c2"], name="c2", group=4, auto_pad="SAME_UPPER", kernel_shape=[3, 3]),
    h.make_node("HardSwish", ["c2"], ["hs"], name="hswish"),
    h.make_node("Add", ["hs", "mp"], ["ad"], name="add"),
    h.make_node("Mul", ["ad", "k"], ["mu"], name="mul"),
    h.make_node("Sigmoid", ["mu"], ["sg"], name="sigm"),
    h.make_node("HardSigmoid", ["mu"], ["hsg"], name="hsigm", alpha=0.25, beta=0.4),
    h.make_node("Concat", ["sg", "hsg"], ["cat"], name="cat", axis=1),
    h.make_node("Pad", ["cat", "pads", "pv"], ["pd"], name="pad"),
    h.make_node("AveragePool", ["pd"], ["ap"], name="apool", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    h.make_node("Resize", ["ap", "", "", "sizes"], ["rs"], name="resize", mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
    h.make_node("GlobalAveragePool", ["rs"], ["gp"], name="gap"),
    h.make_node("Flatten", ["gp"], ["fl"], name="flat"),
    h.make_node("Gemm", ["fl", "wg", "bg"], ["gm"], name="gemm", transB=1, alpha=2.0),
    h.make_node("Softmax", ["gm"], ["y"], name="softmax"),
]
save(h.make_graph(nodes, "float_ops", [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 8, 8])],
                  [h.make_tensor_value_info("y", TP.FLOAT, [1, 5])], inits), "float_ops.onnx", opset=14)

# shapes.onnx (opset 11): shape arithmetic folded at import time (Shape -> Gather -> Unsqueeze -> Concat -> Cast
# -> Reshape), Squeeze/Unsqueeze with attribute axes, Transpose, MatMul with a 1-D operand, Gemm with a
# non-constant B, and an opset-11 Softmax whose axis is not the last.
inits = [const("i0", 0, np.int64), const("m1", [-1], np.int64), const("v", rnd(6))]
nodes = [
    h.make_node("Shape", ["x"], ["sh"], name="shape"),
    h.make_node("Gather", ["sh", "i0"], ["d0"], name="gather", axis=0),
    h.make_node("Unsqueeze", ["d0"], ["d0u"], name="unsq0", axes=[0]),
    h.make_node("Concat", ["d0u", "m1"], ["newshape_f"], name="shcat", axis=0),
    h.make_node("Cast", ["newshape_f"], ["newshape"], name="cast", to=TP.INT64),
    h.make_node("Reshape", ["x", "newshape"], ["r"], name="reshape"),
    h.make_node("Unsqueeze", ["r"], ["r3"], name="unsq", axes=[1]),
    h.make_node("Squeeze", ["r3"], ["r2"], name="sq", axes=[1]),
    h.make_node("Transpose", ["x"], ["xt"], name="tr", perm=[0, 2, 1]),
    h.make_node("MatMul", ["xt", "v"], ["mv"], name="matvec"),
    h.make_node("Gemm", ["mv", "b"], ["g"], name="gemm_nc", transB=1),
    h.make_node("Softmax", ["x"], ["sm"], name="softmax1", axis=1),
]
save(h.make_graph(nodes, "shapes", [h.make_tensor_value_info("x", TP.FLOAT, [2, 6, 3]),
                                    h.make_tensor_value_info("b", TP.FLOAT, [4, 3])],
                  [h.make_tensor_value_info("r2", TP.FLOAT, [2, 18]), h.make_tensor_value_info("g", TP.FLOAT, [2, 4]),
                   h.make_tensor_value_info("sm", TP.FLOAT, [2, 6, 3])], inits), "shapes.onnx", opset=11)

# qdq.onnx: QDQ form. Weights int8 per-output-channel -> DequantizeLinear -> Conv: the constant must be
# transposed to OHWI before the dequantize (axis 0 stays the output channel).
wq = (np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2) % 11 - 5).astype(np.int8)
inits = [const("xs", 0.05, np.float32), const("xz", 0, np.int8), const("wq", wq),
         const("ws", [0.1, 0.2], np.float32), const("wz", [0, 0], np.int8),
         const("ys", 0.07, np.float32), const("yz", 3, np.int8)]
nodes = [
    h.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="qx"),
    h.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dqx"),
    h.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="dqw", axis=0),
    h.make_node("Conv", ["xd", "wd"], ["c"], name="conv"),
    h.make_node("QuantizeLinear", ["c", "ys", "yz"], ["cq"], name="qc"),
    h.make_node("DequantizeLinear", ["cq", "ys", "yz"], ["y"], name="dqc"),
]
save(h.make_graph(nodes, "qdq", [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 4, 4])],
                  [h.make_tensor_value_info("y", TP.FLOAT, [1, 2, 3, 3])], inits), "qdq.onnx")


def save_ms(graph, name):
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 13), h.make_opsetid("com.microsoft", 1)],
                     producer_name="make_models.py")
    m.ir_version = 8
    onnx.save(m, os.path.join(HERE, name))  # the checker does not know com.microsoft ops


# ms_ops.onnx: ONNX Runtime's QOperator contrib ops on a uint8 NCHW activation.
inits = [const("s1", 0.1, np.float32), const("z1", 128, np.uint8), const("s2", 0.2, np.float32),
         const("z2", 100, np.uint8), const("s3", 0.3, np.float32), const("z3", 90, np.uint8),
         const("cb", np.arange(4).reshape(4, 1, 1) + 120, np.uint8)]
ms = "com.microsoft"
nodes = [
    h.make_node("QLinearAdd", ["a", "s1", "z1", "b", "s2", "z2", "s3", "z3"], ["ad"], name="qadd", domain=ms),
    h.make_node("QLinearMul", ["ad", "s3", "z3", "cb", "s1", "z1", "s2", "z2"], ["mu"], name="qmul", domain=ms),
    h.make_node("QLinearSigmoid", ["mu", "s2", "z2", "s1", "z1"], ["sg"], name="qsig", domain=ms),
    h.make_node("QLinearAveragePool", ["sg", "s1", "z1", "s2", "z2"], ["ap"], name="qavg", domain=ms,
                kernel_shape=[2, 2], strides=[2, 2]),
    h.make_node("QLinearGlobalAveragePool", ["ap", "s2", "z2", "s3", "z3"], ["gp"], name="qgap", domain=ms,
                channels_last=0),
    h.make_node("QLinearGlobalAveragePool", ["c", "s1", "z1", "s3", "z3"], ["gpl"], name="qgapl", domain=ms,
                channels_last=1),
    h.make_node("QLinearConcat", ["s2", "z2", "sg", "s1", "z1", "mu", "s2", "z2"], ["cat"], name="qcat", domain=ms,
                axis=1),
]
save_ms(h.make_graph(nodes, "ms_ops", [h.make_tensor_value_info("a", TP.UINT8, [1, 4, 6, 6]),
                                       h.make_tensor_value_info("b", TP.UINT8, [1, 4, 6, 6]),
                                       h.make_tensor_value_info("c", TP.UINT8, [1, 5, 5, 3])],
                     [h.make_tensor_value_info("gp", TP.UINT8, [1, 4, 1, 1]),
                      h.make_tensor_value_info("gpl", TP.UINT8, [1, 1, 1, 3]),
                      h.make_tensor_value_info("cat", TP.UINT8, [1, 8, 6, 6])], inits), "ms_ops.onnx")


# bad_*.onnx: one refused attribute each (the test checks the one-line message).
def bad(name, node, inits=(), out_shape=(1, 1, 3, 3), opset=13):
    save(h.make_graph([node], name, [h.make_tensor_value_info("x", TP.FLOAT, [1, 1, 4, 4])],
                      [h.make_tensor_value_info("y", TP.FLOAT, list(out_shape))], list(inits)), name + ".onnx", opset)


bad("bad_cip", h.make_node("AveragePool", ["x"], ["y"], name="p", kernel_shape=[2, 2], pads=[1, 1, 0, 0],
                           count_include_pad=1), out_shape=(1, 1, 4, 4))
bad("bad_pad", h.make_node("Pad", ["x", "pp"], ["y"], name="p", mode="reflect"), [const("pp", [0] * 8, np.int64)],
    out_shape=(1, 1, 4, 4))
bad("bad_resize", h.make_node("Resize", ["x", "", "sc"], ["y"], name="r", mode="linear"),
    [const("sc", [1, 1, 2, 2], np.float32)], out_shape=(1, 1, 8, 8))
bad("bad_resize_mode", h.make_node("Resize", ["x", "", "sc"], ["y"], name="r", mode="nearest",
                                   coordinate_transformation_mode="align_corners",
                                   nearest_mode="round_prefer_floor"),
    [const("sc", [1, 1, 2.25, 2.25], np.float32)], out_shape=(1, 1, 9, 9))
bad("bad_dilated_pool", h.make_node("MaxPool", ["x"], ["y"], name="p", kernel_shape=[2, 2], dilations=[2, 2]),
    out_shape=(1, 1, 2, 2))
