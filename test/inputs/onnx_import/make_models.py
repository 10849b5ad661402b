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
