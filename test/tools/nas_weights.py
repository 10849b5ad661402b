# nas_weights.py: test helper (numpy, run with /usr/bin/python3) for `mcunet-nas export --weights`:
#   gen CONFIG OUT.npz SEED [--compressed] [--f64 KEY] [--drop KEY] [--extra KEY] [--reshape KEY]
#       writes a PyTorch-style state dict of MCUNet's ProxylessNASNets for CONFIG (MCUNet's module names, random
#       weights and batch-norm statistics, num_batches_tracked included) with np.savez; the options damage it.
#   images CONFIG OUT.raw COUNT SEED: smooth random float32 NHWC images in the ImageNet-normalized range.
#   forward CONFIG W.npz IMAGES.raw: numpy float forward pass (batch norm applied as PyTorch does in eval mode,
#       not folded: an independent check of the C pass), one line of logits per image.
#   quantize IMAGES.raw CONFIG SCALE ZP OUT.raw: the first image as the model's int8 NCHW input.
#   compare FLOAT_LOGITS INT8_OUT.raw SCALE ZP TOL: the int8 logits dequantized vs the float ones: same argmax and
#       max |difference| <= TOL x (max - min of the float logits); prints the figures.
import json
import sys

import numpy as np


def blocks_of(cfg):
    """(state-dict index, conv dict, has residual) of every non-skipped block."""
    out = []
    for j, b in enumerate(cfg["blocks"]):
        c = b["mobile_inverted_conv"]
        if c["name"] == "ZeroLayer":
            continue
        out.append((j, c, b.get("shortcut") is not None))
    return out


def mid_of(c):
    if c["expand_ratio"] == 1:
        return c["in_channels"]
    return c.get("mid_channels") or round(c["in_channels"] * c["expand_ratio"])


def gen(cfg, seed):
    rng = np.random.default_rng(seed)
    sd = {}

    def conv_bn(prefix, cout, cin_g, k, gain=1.0):
        fan_in = cin_g * k * k
        sd[prefix + ".conv.weight"] = (rng.standard_normal((cout, cin_g, k, k)) * gain / np.sqrt(fan_in)).astype(
            np.float32)
        sd[prefix + ".bn.weight"] = rng.uniform(0.6, 1.2, cout).astype(np.float32)
        sd[prefix + ".bn.bias"] = rng.normal(0.1, 0.2, cout).astype(np.float32)
        sd[prefix + ".bn.running_mean"] = rng.normal(0, 0.1, cout).astype(np.float32)
        sd[prefix + ".bn.running_var"] = rng.uniform(0.5, 1.5, cout).astype(np.float32)
        sd[prefix + ".bn.num_batches_tracked"] = np.array(1000, dtype=np.int64)

    fc = cfg["first_conv"]
    conv_bn("first_conv", fc["out_channels"], fc["in_channels"], fc["kernel_size"], 2.0)
    for j, c, _ in blocks_of(cfg):
        p = "blocks.%d.mobile_inverted_conv." % j
        mid = mid_of(c)
        if c["expand_ratio"] != 1:
            conv_bn(p + "inverted_bottleneck", mid, c["in_channels"], 1, 2.0)
        conv_bn(p + "depth_conv", mid, 1, c["kernel_size"], 2.0)
        conv_bn(p + "point_linear", c["out_channels"], mid, 1, 1.0)
    last = blocks_of(cfg)[-1][1]["out_channels"]
    fm = cfg.get("feature_mix_layer")
    if fm:
        conv_bn("feature_mix_layer", fm["out_channels"], fm["in_channels"], 1, 2.0)
        last = fm["out_channels"]
    k = cfg["classifier"]["out_features"]
    sd["classifier.linear.weight"] = (rng.standard_normal((k, last)) * 3 / np.sqrt(last)).astype(np.float32)
    sd["classifier.linear.bias"] = rng.normal(0, 0.1, k).astype(np.float32)
    return sd


def images(cfg, count, seed):
    rng = np.random.default_rng(seed)
    r, ch = cfg["resolution"], cfg["first_conv"]["in_channels"]
    y, x = np.mgrid[0:r, 0:r].astype(np.float64)
    out = np.zeros((count, r, r, ch), np.float32)
    for i in range(count):
        for c in range(ch):
            v = rng.uniform(-0.5, 0.5) + 0.1 * rng.standard_normal((r, r))
            for _ in range(3):
                fx, fy = rng.uniform(0, 3, 2) * 2 * np.pi / r
                v += rng.uniform(0.2, 0.7) * np.cos(fx * x + fy * y + rng.uniform(0, 2 * np.pi))
            out[i, :, :, c] = np.clip(v, -2.1, 2.6)
    return out


def conv2d(x, w, stride, groups):
    """x [H, W, C] float64, w [O, C/g, k, k]: 'same' padding k//2, output ceil(H / stride)."""
    o, cg, k, _ = w.shape
    h, wd, c = x.shape
    p = k // 2
    xp = np.pad(x, ((p, p), (p, p), (0, 0)))
    ho, wo = (h + stride - 1) // stride, (wd + stride - 1) // stride
    y = np.zeros((ho, wo, o))
    for ky in range(k):
        for kx in range(k):
            patch = xp[ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride, :]
            if groups == 1:
                y += patch @ w[:, :, ky, kx].T
            else:
                y += patch * w[:, 0, ky, kx]
    return y


def bn(sd, prefix, y, eps):
    g, b = sd[prefix + ".bn.weight"], sd[prefix + ".bn.bias"]
    m, v = sd[prefix + ".bn.running_mean"], sd[prefix + ".bn.running_var"]
    return (y - m) / np.sqrt(v.astype(np.float64) + eps) * g + b


def forward(cfg, sd, img):
    eps = cfg.get("bn", {}).get("eps", 1e-5)
    relu6 = lambda t: np.clip(t, 0, 6)
    fc = cfg["first_conv"]
    x = relu6(bn(sd, "first_conv", conv2d(img.astype(np.float64), sd["first_conv.conv.weight"], fc["stride"], 1), eps))
    for j, c, res in blocks_of(cfg):
        p = "blocks.%d.mobile_inverted_conv." % j
        t = x
        if c["expand_ratio"] != 1:
            t = relu6(bn(sd, p + "inverted_bottleneck", conv2d(t, sd[p + "inverted_bottleneck.conv.weight"], 1, 1), eps))
        w = sd[p + "depth_conv.conv.weight"]
        t = relu6(bn(sd, p + "depth_conv", conv2d(t, w, c["stride"], w.shape[0]), eps))
        t = bn(sd, p + "point_linear", conv2d(t, sd[p + "point_linear.conv.weight"], 1, 1), eps)
        x = x + t if res else t
    if cfg.get("feature_mix_layer"):
        x = relu6(bn(sd, "feature_mix_layer", conv2d(x, sd["feature_mix_layer.conv.weight"], 1, 1), eps))
    f = x.mean(axis=(0, 1))
    return sd["classifier.linear.weight"].astype(np.float64) @ f + sd["classifier.linear.bias"]


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        cfg = json.load(open(a[0]))
        sd = gen(cfg, int(a[2]))
        opts = a[3:]
        i = 0
        while i < len(opts):
            o = opts[i]
            i += 1
            if o == "--compressed":
                continue
            i += 1
            if o == "--f64":
                sd[opts[i - 1]] = sd[opts[i - 1]].astype(np.float64)
            elif o == "--drop":
                del sd[opts[i - 1]]
            elif o == "--extra":
                sd[opts[i - 1]] = np.zeros(3, np.float32)
            elif o == "--reshape":
                sd[opts[i - 1]] = np.concatenate([sd[opts[i - 1]], sd[opts[i - 1]][:1]])
        (np.savez_compressed if "--compressed" in opts else np.savez)(a[1], **sd)
    elif cmd == "images":
        cfg = json.load(open(a[0]))
        images(cfg, int(a[2]), int(a[3])).tofile(a[1])
    elif cmd == "forward":
        cfg = json.load(open(a[0]))
        sd = dict(np.load(a[1]))
        r, ch = cfg["resolution"], cfg["first_conv"]["in_channels"]
        ims = np.fromfile(a[2], np.float32).reshape(-1, r, r, ch)
        for im in ims:
            print(" ".join("%.9g" % v for v in forward(cfg, sd, im)))
    elif cmd == "quantize":
        cfg = json.load(open(a[1]))
        r, ch = cfg["resolution"], cfg["first_conv"]["in_channels"]
        im = np.fromfile(a[0], np.float32).reshape(-1, r, r, ch)[0]
        q = np.clip(np.round(im.astype(np.float64) / float(a[2])) + int(a[3]), -128, 127).astype(np.int8)
        q.transpose(2, 0, 1).tofile(a[4])
    elif cmd == "compare":
        ref = np.array([float(v) for v in open(a[0]).readline().split()])
        q = np.fromfile(a[1], np.int8).astype(np.float64)
        got = (q - int(a[3])) * float(a[2])
        span = ref.max() - ref.min()
        err = np.abs(got - ref).max()
        top2 = np.sort(ref)[-2:]
        print("float argmax %d, int8 argmax %d, float top-2 gap %.4g, max |error| %.4g = %.2f%% of the logit range "
              "%.4g, mean |error| %.4g" % (ref.argmax(), got.argmax(), top2[1] - top2[0], err, 100 * err / span,
                                         span, np.abs(got - ref).mean()))
        sys.exit(0 if ref.argmax() == got.argmax() and err <= float(a[4]) * span else 1)
    elif cmd == "maxdiff":
        x = np.loadtxt(a[0], ndmin=2)
        y = np.loadtxt(a[1], ndmin=2)
        span = x.max() - x.min()
        d = np.abs(x - y).max() / span
        print("max |difference| / logit range = %.3g" % d)
        sys.exit(0 if x.shape == y.shape and d <= float(a[2]) else 1)


main()
