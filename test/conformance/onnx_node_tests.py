#!/usr/bin/python3
# onnx_node_tests.py: runs ONNX's own backend node tests through mcunet and prints "N passed, M failed".
"""Usage: onnx_node_tests.py BUILD_DIR [--targets host,cortex-m7] [--jobs N] [--filter SUBSTR] [-v]

Every test in /usr/share/libonnx-testdata/data/node is compiled with mcunetc. A model whose operator, dtype or
attribute mcunet does not support must be refused cleanly: exit status 1 and one line on stderr (a crash, a
signal, a hang or a multi-line message is a failure). A model that compiles is run with mcunet-run on every
target with test_data_set_0's inputs, and each output is compared with output_N.pb: exactly for integer types,
within rtol 1e-4 / atol 1e-5 for float32.

Inputs: first every graph input is given at run time; if the compiler says an input must be a constant (scales and
zero points of the QLinear ops, shapes, ...), the inputs it names are bound with --bind to their .pb files and the
compile is retried. Run with /usr/bin/python3 (needs onnx and numpy)."""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def graph_inputs(model_path):
    m = onnx.load(model_path)
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits]


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", "timed out"


def check_test(build, name, targets, verbose):
    """Returns (status, message): status is 'pass', 'fail' or 'unsupported'."""
    d = os.path.join(DATA, name)
    model = os.path.join(d, "model.onnx")
    ds = os.path.join(d, "test_data_set_0")
    if not os.path.isfile(model) or not os.path.isdir(ds):
        return "unsupported", "no model or data set"
    names = graph_inputs(model)
    inputs = [os.path.join(ds, "input_%d.pb" % i) for i in range(len(names))]
    outputs = sorted(f for f in os.listdir(ds) if f.startswith("output_"))
    mcunetc = os.path.join(build, "bin", "mcunetc")
    with tempfile.TemporaryDirectory() as w:
        bound = set()
        for attempt in range(2):
            binds = []
            for i, n in enumerate(names):
                if n in bound:
                    binds += ["--bind", "%s=%s" % (n, inputs[i])]
            rc, _, err = run([mcunetc, model, "-o", os.path.join(w, "m.o"), "--target=host"] + binds, 120)
            if rc == 0:
                break
            if rc is None or rc != 1 or err.count("\n") > 1 or not err.strip():
                return "fail", "compile did not fail cleanly (status %s): %s" % (rc, err.strip()[:300])
            if os.path.exists(os.path.join(w, "m.o")) or os.path.exists(os.path.join(w, "m.h")):
                return "fail", "a failed compile left output files"
            # A model whose scales or shapes are graph inputs: bind every input but the first, once.
            if attempt == 0 and "constant" in err and len(names) > 1:
                bound = set(names[1:])
                continue
            return "unsupported", err.strip()
        run_inputs = [inputs[i] for i, n in enumerate(names) if n not in bound]
        for target in targets:
            outs = [os.path.join(w, "%s.%d.bin" % (target, j)) for j in range(len(outputs))]
            cmd = [os.path.join(build, "bin", "mcunet-run"), model, "--target=" + target]
            for f in run_inputs:
                cmd += ["--input", f]
            for f in outs:
                cmd += ["--output", f]
            for n in sorted(bound):
                cmd += ["--bind", "%s=%s" % (n, inputs[names.index(n)])]
            rc, _, err = run(cmd, 300)
            if rc != 0:
                return "fail", "%s: mcunet-run failed (status %s): %s" % (target, rc, err.strip()[:300])
            for j, o in enumerate(outputs):
                want = load_pb(os.path.join(ds, o))
                got = np.fromfile(outs[j], dtype=want.dtype)
                if got.size != want.size:
                    return "fail", "%s: output %d has %d elements, expected %d" % (target, j, got.size, want.size)
                got = got.reshape(want.shape)
                if want.dtype.kind == "f":
                    if not np.allclose(got, want, rtol=1e-4, atol=1e-5, equal_nan=True):
                        err = np.max(np.abs(got.astype(np.float64) - want))
                        return "fail", "%s: output %d differs (max abs error %g)" % (target, j, err)
                elif not np.array_equal(got, want):
                    return "fail", "%s: output %d differs in %d of %d elements" % (
                        target, j, int(np.sum(got != want)), want.size)
    return "pass", ""


def main(argv):
    args = argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    build = os.path.abspath(args[0])
    targets, jobs, filt, verbose = ["host", "cortex-m7"], os.cpu_count() or 2, "", False
    i = 1
    while i < len(args):
        if args[i] == "--targets":
            targets = args[i + 1].split(",")
            i += 1
        elif args[i] == "--jobs":
            jobs = int(args[i + 1])
            i += 1
        elif args[i] == "--filter":
            filt = args[i + 1]
            i += 1
        elif args[i] == "-v":
            verbose = True
        else:
            sys.exit("unknown argument " + args[i])
        i += 1
    if not os.path.isdir(DATA):
        print("skip: %s not found" % DATA)
        return 77
    tests = sorted(t for t in os.listdir(DATA) if filt in t)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {ex.submit(check_test, build, t, targets, verbose): t for t in tests}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()
    counts = {"pass": 0, "fail": 0, "unsupported": 0}
    for t in tests:
        status, msg = results[t]
        counts[status] += 1
        if status == "fail" or (verbose and status == "pass"):
            print("%s %s %s" % (status.upper(), t, msg))
        elif verbose:
            print("UNSUPPORTED %s: %s" % (t, msg))
    print("%d tests: %d compiled and ran on %s, %d refused as unsupported" % (
        len(tests), counts["pass"] + counts["fail"], ",".join(targets), counts["unsupported"]))
    print("%d passed, %d failed" % (counts["pass"], counts["fail"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
