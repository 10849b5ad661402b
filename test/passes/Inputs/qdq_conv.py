# qdq_conv.py OUTDIR: writes QDQ Conv+Relu ONNX models (u8 activations, per-channel int8 weights; the bias an int32
# DequantizeLinear in qdq_conv.onnx, a float initializer in qdq_conv_fbias.onnx), an input x.bin and y_ref.bin: the
# output of the QLinearConv that ONNX Runtime's QDQ fusion makes of the int32-bias model (docs/ir.md numerics in
# numpy; the float bias is quantized as onnxruntime.quantization does, so both models give it).
import os, sys
import numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
out = sys.argv[1]
rng = np.random.default_rng(0)
O, C = 4, 3
w = rng.integers(-127, 128, size=(O, C, 3, 3)).astype(np.int8)
ws = (rng.random(O) * 0.02 + 0.005).astype(np.float32)
bias = (rng.standard_normal(O) * 0.5).astype(np.float32)
sx, zx, sy, zy = np.float32(0.05), np.uint8(128), np.float32(0.1), np.uint8(3)
bq = np.round(bias / (sx * ws)).astype(np.int32)
inits = [nh.from_array(w, "w_q"), nh.from_array(ws, "w_s"), nh.from_array(np.zeros(O, np.int8), "w_z"),
         nh.from_array(np.array(sx), "x_s"), nh.from_array(np.array(zx), "x_z"),
         nh.from_array(np.array(sy), "y_s"), nh.from_array(np.array(zy), "y_z"),
         nh.from_array(bq, "b_q"), nh.from_array((sx * ws).astype(np.float32), "b_s"), nh.from_array(np.zeros(O, np.int32), "b_z")]
nodes = [h.make_node("QuantizeLinear", ["x", "x_s", "x_z"], ["xq"]),
         h.make_node("DequantizeLinear", ["xq", "x_s", "x_z"], ["xd"]),
         h.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["wd"], axis=0),
         h.make_node("DequantizeLinear", ["b_q", "b_s", "b_z"], ["bd"], axis=0),
         h.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]),
         h.make_node("Relu", ["c"], ["r"]),
         h.make_node("QuantizeLinear", ["r", "y_s", "y_z"], ["yq"]),
         h.make_node("DequantizeLinear", ["yq", "y_s", "y_z"], ["y"])]
g = h.make_graph(nodes, "qdq", [h.make_tensor_value_info("x", T.FLOAT, [1, C, 5, 5])],
                 [h.make_tensor_value_info("y", T.FLOAT, [1, O, 5, 5])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
onnx.save(m, os.path.join(out, "qdq_conv.onnx"))
# float-bias variant
nodes2 = [n for n in nodes if n.output[0] != "bd"]
nodes2[3] = h.make_node("Conv", ["xd", "wd", "b_f"], ["c"], pads=[1, 1, 1, 1])
g2 = h.make_graph(nodes2, "qdq2", g.input, g.output, inits + [nh.from_array(bias, "b_f")])
onnx.save(h.make_model(g2, opset_imports=[h.make_opsetid("", 13)]), os.path.join(out, "qdq_conv_fbias.onnx"))
x = (rng.standard_normal((1, C, 5, 5)) * 2).astype(np.float32)
x.tofile(os.path.join(out, "x.bin"))
# reference: ONNX QLinearConv numerics (docs/ir.md)
def q(v, s, z, lo, hi):
    r = np.clip(v.astype(np.float32) / np.float32(s), lo - z, hi - z)
    return (np.round(r) + z).astype(np.int32)  # numpy round = half even
xq = q(x, sx, int(zx), 0, 255)
xp = np.pad(xq - int(zx), ((0,0),(0,0),(1,1),(1,1)))
acc = np.zeros((O, 5, 5), np.int64)
for o in range(O):
    for i in range(5):
        for j in range(5):
            acc[o, i, j] = (xp[0, :, i:i+3, j:j+3].astype(np.int64) * w[o].astype(np.int64)).sum() + bq[o]
M = (sx * ws / sy).astype(np.float32)
v = acc.astype(np.float32) * M[:, None, None]
v = np.clip(v, np.float32(int(zy) - int(zy)), np.float32(255 - int(zy)))  # relu: act_min = zy
yq = (np.round(v) + int(zy)).astype(np.int32)
y = ((yq - int(zy)).astype(np.float32) * sy).astype(np.float32)
y.reshape(1, O, 5, 5).tofile(os.path.join(out, "y_ref.bin"))
