#!/usr/bin/python3
# make_models.py: writes the example ONNX models (tiny_cnn int8 and uint8, QOperator form), their inputs and expected outputs.
"""Generates examples/models/ deterministically (seeded), so the checked-in files can be regenerated and compared.

Run with /usr/bin/python3 (Debian's onnx and numpy):  scripts/make_models.py [--out-dir DIR]

Files written:
  tiny_cnn_int8.onnx    int8 activations, int8 weights (per-channel, zero points 0), int32 biases, opset 14
  tiny_cnn_uint8.onnx   the same network with uint8 activations (zero points near 128) and int8 weights, the mix
                        ONNX Runtime's quantizer produces by default
  tiny_cnn.input.bin, tiny_cnn.input1.bin, tiny_cnn.input2.bin
                        float32 [1,3,16,16] NCHW inputs, raw little-endian
  tiny_cnn_int8.logits.bin, tiny_cnn_int8.logits1.bin, ... (and uint8)
                        the float32 [1,10] outputs for those inputs, computed here by an independent numpy model of
                        the ONNX integer semantics (docs/ir.md "Numerics"), so end-to-end tests can check the compiled
                        code against something the compiler did not produce.

The network: QuantizeLinear -> QLinearConv 3x3/2 (3->8) -> Relu -> QLinearConv depthwise 3x3/1 (group 8) -> Clip
-> QLinearConv 1x1 (8->16) -> Relu -> QLinearConv 3x3/2 (16->16) -> Flatten -> QLinearMatMul [1,256]x[256,10]
-> DequantizeLinear -> "logits".

Algorithm (calibration): float weights are drawn with He scaling, a float32 forward pass over a few random
calibration inputs gives each activation's range, and each tensor's scale/zero point is chosen from that range
(asymmetric: (max - min) / 255; ReLU outputs of the int8 model are symmetric with zero point 0 because ONNX Relu
acts on the stored int8 values). Weights are quantized symmetrically per output channel (per column for the int8
model's matmul). Why: the quantized outputs then use most of the int8 range without saturating, so a numerics bug
shows up as a wrong byte rather than hiding in a clamp. Known weakness: calibration is from the float network, not
layer by layer on the quantized one, so quantization error accumulates a little (the script prints the float vs
quantized agreement and the saturation rate and fails if saturation exceeds 2%).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261101
OPSET = 14  # Relu accepts int8 from opset 14 on; Clip accepts int8/uint8 since opset 12.
INPUT_SHAPE = (1, 3, 16, 16)
NUM_CLASSES = 10
NUM_CALIB = 16
NUM_EXAMPLES = 3

f32 = np.float32


# ---------------------------------------------------------------------------------------------------------------
# Shared arithmetic: a grouped 2-D convolution over one image, for floats (calibration) and integers (the reference).
def conv2d(x, w, stride, pad, groups, pad_value):
    """x [C,H,W], w [O,C/G,KH,KW] -> [O,OH,OW]; padded positions hold pad_value. Sums in x's dtype."""
    c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.full((c, h + 2 * pad, wd + 2 * pad), pad_value, dtype=x.dtype)
    xp[:, pad:pad + h, pad:pad + wd] = x
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    og = o // groups
    y = np.zeros((o, oh, ow), dtype=x.dtype)
    for oc in range(o):
        g = oc // og
        for i in range(kh):
            for j in range(kw):
                patch = xp[g * cg:(g + 1) * cg, i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[oc] += np.tensordot(w[oc, :, i, j].astype(x.dtype), patch, axes=(0, 0))
    return y


# ---------------------------------------------------------------------------------------------------------------
# The float network (architecture + weights), used for calibration.
LAYERS = [
    # name, out channels, kernel, stride, pad, groups, activation
    ("conv1", 8, 3, 2, 1, 1, "relu"),
    ("dwconv2", 8, 3, 1, 1, 8, "clip"),
    ("conv3", 16, 1, 1, 0, 1, "relu"),
    ("conv4", 16, 3, 2, 1, 1, None),
]


def make_float_weights(rng):
    ws = {}
    cin = INPUT_SHAPE[1]
    for name, cout, k, _, _, groups, _ in LAYERS:
        fan_in = (cin // groups) * k * k
        ws[name + ".w"] = (rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / fan_in)).astype(f32)
        ws[name + ".b"] = (rng.standard_normal(cout) * 0.1).astype(f32)
        cin = cout
    ws["fc.w"] = (rng.standard_normal((cin * 16, NUM_CLASSES)) * np.sqrt(1.0 / (cin * 16))).astype(f32)
    return ws


def float_forward(ws, x, clip_max):
    """Returns every intermediate: 'input', '<layer>.pre' (before the activation), '<layer>' (after), 'logits'."""
    acts = {"input": x}
    h = x[0].astype(np.float64)
    for name, _, _, stride, pad, groups, act in LAYERS:
        y = conv2d(h, ws[name + ".w"].astype(np.float64), stride, pad, groups, 0.0)
        y += ws[name + ".b"].astype(np.float64)[:, None, None]
        acts[name + ".pre"] = y
        if act == "relu":
            y = np.maximum(y, 0.0)
        elif act == "clip":
            y = np.clip(y, 0.0, clip_max if clip_max is not None else np.inf)
        acts[name] = y
        h = y
    acts["logits"] = h.reshape(1, -1) @ ws["fc.w"].astype(np.float64)
    return acts


# ---------------------------------------------------------------------------------------------------------------
# Quantization parameters.
class QType:
    def __init__(self, name, qmin, qmax, np_dtype, onnx_dtype):
        self.name, self.qmin, self.qmax, self.np, self.onnx = name, qmin, qmax, np_dtype, onnx_dtype


INT8 = QType("int8", -128, 127, np.int8, TensorProto.INT8)
UINT8 = QType("uint8", 0, 255, np.uint8, TensorProto.UINT8)


def asym_params(lo, hi, qt):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = f32((hi - lo) / 255.0)
    zp = int(np.clip(np.round(qt.qmin - lo / float(scale)), qt.qmin, qt.qmax))
    return scale, zp


def sym_params(hi, qt):
    return f32(hi / 127.0), 0


def quantize_weights_per_channel(w):
    """Symmetric int8 per output channel (axis 0): scales [O], zero points 0."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scales = (amax / 127.0).astype(f32)
    q = np.clip(np.round(w / scales.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
    return q, scales


# ---------------------------------------------------------------------------------------------------------------
# The integer reference: the ONNX QOperator semantics with float32 requantization exactly as docs/ir.md states it.
def requantize(acc, m, zy, act_min, act_max):
    """acc int64 [O,...] (fits int32), m float32 [O] -> stored values (int64)."""
    assert acc.min() >= -2**31 and acc.max() < 2**31, "accumulator overflows int32"
    v = acc.astype(f32) * m.reshape(-1, *([1] * (acc.ndim - 1)))
    v = np.minimum(np.maximum(v, f32(act_min - zy)), f32(act_max - zy))
    return np.rint(v).astype(np.int64) + zy


def ref_quantize(x, s, z, qt):
    v = (x.astype(f32) / f32(s)).astype(f32)
    v = np.minimum(np.maximum(v, f32(qt.qmin - z)), f32(qt.qmax - z))
    return np.rint(v).astype(np.int64) + z


def ref_dequantize(q, s, z):
    return (q - z).astype(f32) * f32(s)


def multiplier(sx, sw, sy):
    return ((f32(sx) * np.asarray(sw, dtype=f32)).astype(f32) / f32(sy)).astype(f32)


# ---------------------------------------------------------------------------------------------------------------
# Building one quantized model.
class Model:
    """One quantized network: its ONNX nodes and initializers, and the steps of its integer reference."""

    def __init__(self, qt, ws, calib, clip_max):
        self.qt, self.ws, self.clip_max = qt, ws, clip_max
        self.inits, self.nodes = [], []
        self.qnames = {"input_q": ("input_q_scale", "input_q_zero_point")}  # value -> its scale, zero point names
        self.build(calib)

    def init(self, name, array, onnx_dtype=None):
        t = numpy_helper.from_array(np.asarray(array), name)
        if onnx_dtype is not None:
            assert t.data_type == onnx_dtype, (name, t.data_type, onnx_dtype)
        self.inits.append(t)
        return name

    def scalar_q(self, prefix, scale, zp, qt):
        s = self.init(prefix + "_scale", np.array(scale, dtype=f32))
        z = self.init(prefix + "_zero_point", np.array(zp, dtype=qt.np))
        return s, z

    def build(self, calib):
        qt = self.qt
        c = calib
        # The input: asymmetric (non-zero zero point in both models).
        lo, hi = c["input"].min(), c["input"].max()
        in_s, in_z = asym_params(lo, hi, qt)
        x_s, x_z = self.scalar_q("input_q", in_s, in_z, qt)
        self.nodes.append(helper.make_node("QuantizeLinear", ["input", x_s, x_z], ["input_q"], name="quantize_input"))
        self.ref_in = (in_s, in_z)
        cur, cur_s, cur_z = "input_q", in_s, in_z
        self.ref_steps = []
        for name, cout, k, stride, pad, groups, act in LAYERS:
            wq, wsc = quantize_weights_per_channel(self.ws[name + ".w"])
            w = self.init(name + "_w", wq, TensorProto.INT8)
            w_s = self.init(name + "_w_scale", wsc)
            w_z = self.init(name + "_w_zero_point", np.zeros(cout, dtype=np.int8))
            bias_scale = (f32(cur_s) * wsc).astype(f32)
            bq = np.round(self.ws[name + ".b"] / bias_scale).astype(np.int32)
            b = self.init(name + "_b", bq, TensorProto.INT32)
            pre = c[name + ".pre"]
            act_min, act_max, act_node = qt.qmin, qt.qmax, None
            if qt is INT8 and act is not None:
                # Relu/Clip on stored int8 values is a real ReLU only with zero point 0.
                y_s, y_z = sym_params(c[name].max(), qt)
                if act == "clip":
                    y_s = f32(self.clip_max / 100.0)
                    lo_q, hi_q = 0, 100
                else:
                    lo_q, hi_q = 0, qt.qmax
            else:
                y_s, y_z = asym_params(pre.min(), pre.max(), qt)
                if act == "clip":
                    lo_q, hi_q = y_z, min(qt.qmax, y_z + int(np.round(self.clip_max / float(y_s))))
                else:
                    lo_q, hi_q = y_z, qt.qmax
            y_sn, y_zn = self.scalar_q(name + "_y", y_s, y_z, qt)
            out = name + "_out"
            self.nodes.append(helper.make_node(
                "QLinearConv", [cur, self.last_s(cur), self.last_z(cur), w, w_s, w_z, y_sn, y_zn, b], [out], name=name,
                kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=groups, dilations=[1, 1]))
            self.qnames[out] = (y_sn, y_zn)
            step = dict(kind="conv", act=False, w=wq.astype(np.int64), b=bq.astype(np.int64), stride=stride, pad=pad,
                        groups=groups, m=multiplier(cur_s, wsc, y_s), zx=cur_z, zy=y_z)
            self.ref_steps.append(step)
            if act is not None:
                a_out = name + "_act"
                if act == "relu" and qt is INT8:
                    self.nodes.append(helper.make_node("Relu", [out], [a_out], name=name + "_relu"))
                else:
                    mn = self.init(name + "_clip_min", np.array(lo_q, dtype=qt.np))
                    mx = self.init(name + "_clip_max", np.array(hi_q, dtype=qt.np))
                    self.nodes.append(helper.make_node("Clip", [out, mn, mx], [a_out], name=name + "_clip"))
                self.qnames[a_out] = (y_sn, y_zn)
                step["act"] = True
                self.ref_steps.append(dict(kind="clamp", act=False, lo=lo_q, hi=hi_q))
                out = a_out
            cur, cur_s, cur_z = out, y_s, y_z
        # Flatten NCHW [1,16,4,4] -> [1,256] (channel-major), then the classifier.
        self.nodes.append(helper.make_node("Flatten", [cur], ["flat"], name="flatten", axis=1))
        self.qnames["flat"] = self.qnames[cur]
        fcw = self.ws["fc.w"]
        if qt is INT8:  # per-column b scale
            amax = np.abs(fcw).max(axis=0)
            b_sc = (amax / 127.0).astype(f32)
            bq = np.clip(np.round(fcw / b_sc[None, :]), -127, 127).astype(np.int8)
            b_s = self.init("fc_w_scale", b_sc)
            b_z = self.init("fc_w_zero_point", np.zeros(NUM_CLASSES, dtype=np.int8))
        else:  # per-tensor
            b_sc = f32(np.abs(fcw).max() / 127.0)
            bq = np.clip(np.round(fcw / b_sc), -127, 127).astype(np.int8)
            b_s = self.init("fc_w_scale", np.array(b_sc, dtype=f32))
            b_z = self.init("fc_w_zero_point", np.array(0, dtype=np.int8))
            b_sc = np.full(NUM_CLASSES, b_sc, dtype=f32)
        b = self.init("fc_w", bq, TensorProto.INT8)
        y_s, y_z = asym_params(c["logits"].min(), c["logits"].max(), qt)
        y_sn, y_zn = self.scalar_q("fc_y", y_s, y_z, qt)
        self.nodes.append(helper.make_node("QLinearMatMul", ["flat", self.last_s("flat"), self.last_z("flat"), b, b_s,
                                                             b_z, y_sn, y_zn], ["logits_q"], name="fc"))
        self.ref_steps.append(dict(kind="matmul", act=False, b=bq.astype(np.int64), m=multiplier(cur_s, b_sc, y_s), zx=cur_z,
                                   zy=y_z))
        self.nodes.append(helper.make_node("DequantizeLinear", ["logits_q", y_sn, y_zn], ["logits"],
                                           name="dequantize_logits"))
        self.ref_out = (y_s, y_z)

    def last_s(self, v):
        return self.qnames[v][0]

    def last_z(self, v):
        return self.qnames[v][1]

    def reference(self, x):
        """Integer reference of the whole model: float32 [1,3,16,16] -> (float32 [1,10], saturation counts)."""
        qt = self.qt
        sat = [0, 0]  # values stuck at the type's bounds (after any activation), values
        q = ref_quantize(x, *self.ref_in, qt)[0]
        for st in self.ref_steps:
            if st["kind"] == "conv":  # weights have zero point 0: acc = bias + sum (x - zx) * w
                acc = conv2d(q - st["zx"], st["w"], st["stride"], st["pad"], st["groups"], 0)
                acc += st["b"][:, None, None]
                q = requantize(acc, st["m"], st["zy"], qt.qmin, qt.qmax)
            elif st["kind"] == "clamp":
                q = np.clip(q, st["lo"], st["hi"])
            else:
                a = q.reshape(1, -1) - st["zx"]
                acc = (a @ st["b"]).T  # [10,1]: one row per output column, as requantize expects
                q = requantize(acc, st["m"], st["zy"], qt.qmin, qt.qmax).T
            if not st["act"]:  # the final value of a layer
                low = (q == qt.qmin) if st["kind"] != "clamp" else np.zeros(q.shape, bool)
                sat[0] += int(np.count_nonzero(low | (q == qt.qmax)))
                sat[1] += q.size
        return ref_dequantize(q, *self.ref_out), sat

    def onnx_model(self):
        name = "tiny_cnn_" + self.qt.name
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(INPUT_SHAPE))],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, NUM_CLASSES])],
            initializer=self.inits)
        m = helper.make_model(graph, producer_name="mcunet scripts/make_models.py", producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 7
        m.doc_string = ("tiny_cnn, " + self.qt.name + " activations, int8 per-channel weights; generated by "
                        "scripts/make_models.py (seed %d)" % SEED)
        onnx.checker.check_model(m, full_check=True)
        return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out-dir", default=os.path.join(here, "..", "examples", "models"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    rng = np.random.default_rng(SEED)
    ws = make_float_weights(rng)
    calib_x = [rng.uniform(-1.0, 1.0, INPUT_SHAPE).astype(f32) for _ in range(NUM_CALIB)]
    examples = [rng.uniform(-1.0, 1.0, INPUT_SHAPE).astype(f32) for _ in range(NUM_EXAMPLES)]

    # The depthwise layer's Clip bound: the 95th percentile of its positive pre-activations, so the clip bites.
    pre = np.concatenate([float_forward(ws, x, None)["dwconv2.pre"].ravel() for x in calib_x])
    clip_max = float(np.percentile(pre[pre > 0], 95))
    runs = [float_forward(ws, x, clip_max) for x in calib_x]
    calib = {k: np.stack([r[k] for r in runs]) for k in runs[0]}

    ex_names = ["tiny_cnn.input.bin"] + ["tiny_cnn.input%d.bin" % i for i in range(1, NUM_EXAMPLES)]
    for x, fn in zip(examples, ex_names):
        with open(os.path.join(args.out_dir, fn), "wb") as f:
            f.write(x.astype("<f4").tobytes())

    for qt in (INT8, UINT8):
        m = Model(qt, ws, calib, clip_max)
        name = "tiny_cnn_" + qt.name
        onnx.save(m.onnx_model(), os.path.join(args.out_dir, name + ".onnx"))
        total_sat, total, agree = 0, 0, 0
        for i, x in enumerate(examples + calib_x):
            y, sat = m.reference(x)
            total_sat += sat[0]
            total += sat[1]
            fl = float_forward(ws, x, clip_max)["logits"]
            agree += int(np.argmax(y) == np.argmax(fl))
            if i < NUM_EXAMPLES:
                fn = name + (".logits.bin" if i == 0 else ".logits%d.bin" % i)
                with open(os.path.join(args.out_dir, fn), "wb") as f:
                    f.write(y.astype("<f4").tobytes())
        rate = total_sat / total
        print("%s: saturated %.2f%% of quantized values, argmax agrees with float on %d/%d inputs"
              % (name, 100 * rate, agree, len(examples) + len(calib_x)), file=sys.stderr)
        if rate > 0.02:
            sys.exit("%s: calibration failed: %.2f%% saturated" % (name, 100 * rate))


if __name__ == "__main__":
    main()
