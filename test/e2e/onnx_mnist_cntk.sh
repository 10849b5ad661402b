#!/usr/bin/env bash
# onnx_mnist_cntk.sh BUILD_DIR SHARED_DIR: the float ONNX model zoo MNIST (shared/models/onnx/mnist_cntk) on the
# reference kernels, the host and the emulated Cortex-M7: each of its three test data sets within 1e-4 relative
# error of output_0.pb (float kernels: the FPU, not integer arithmetic).
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
dir=$shared/models/onnx/mnist_cntk
[[ -n $shared && -f $dir/model.onnx ]] || skip "the shared mnist_cntk model is not there"
need_built mcunet-run
need_python_onnx
for set in "$dir"/test_data_set_*; do
  name=$(basename "$set")
  for target in ref host cortex-m7; do
    if ! run_cmd "$w/$name.$target.log" "$bin/mcunet-run" "$dir/model.onnx" --target=$target \
        --input "$set/input_0.pb" --output "$w/$name.$target.bin"; then
      fail "$name on $target: mcunet-run failed"; continue
    fi
    if msg=$("$py" - "$set/output_0.pb" "$w/$name.$target.bin" <<'PY'
import sys
import numpy as np
import onnx
from onnx import numpy_helper
t = onnx.TensorProto()
t.ParseFromString(open(sys.argv[1], "rb").read())
want = numpy_helper.to_array(t).astype(np.float64).ravel()
got = np.fromfile(sys.argv[2], dtype=np.float32).astype(np.float64)
assert got.size == want.size, "got %d values, expected %d" % (got.size, want.size)
rel = np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-6))
print("max relative error %.2e, argmax %d (expected %d)" % (rel, np.argmax(got), np.argmax(want)))
sys.exit(0 if rel <= 1e-4 and np.argmax(got) == np.argmax(want) else 1)
PY
    ); then ok "$name on $target: $msg"; else fail "$name on $target: $msg"; fi
  done
done
finish
