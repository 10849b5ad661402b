#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS: builds nothing; runs each libFuzzer target of a -DMCUNET_FUZZ=ON build for SECONDS on
# a seed corpus (a copy: the seeds stay untouched) of real models, and of small .npz state dicts for the weights
# reader, and fails on any finding.
set -euo pipefail
build=$(readlink -f "$1") secs=${2:-20}
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=$src/../shared
w=$(mktemp -d); trap 'rm -rf "$w" /tmp/mcunet-fuzz-*' EXIT
mkdir -p "$w/onnx" "$w/tflite" "$w/npz"
cp "$src"/examples/models/*.onnx "$src"/test/inputs/onnx_import/*.onnx "$w/onnx/" 2>/dev/null || true
for t in qlinearconv qlinearmatmul_2D relu clip reshape_reordered_all_dims flatten_axis1 quantizelinear; do
  f=/usr/share/libonnx-testdata/data/node/test_$t/model.onnx
  [[ -f $f ]] && cp "$f" "$w/onnx/$t.onnx"
done
ls "$shared"/models/tflite/*.tflite >/dev/null 2>&1 && cp "$shared"/models/tflite/*.tflite "$w/tflite/"
cp "$src"/test/inputs/tflite/*.tflite "$w/tflite/" 2>/dev/null || true
# .npz seeds: small state dicts as np.savez writes them (when Debian's numpy is there; else the fuzzer starts empty)
/usr/bin/python3 - "$w/npz" <<'PY' 2>/dev/null || true
import sys, numpy as np
d = sys.argv[1]
np.savez(d + "/a.npz", **{"first_conv.conv.weight": np.ones((2, 3, 3, 3), np.float32),
                          "first_conv.bn.num_batches_tracked": np.array(7, np.int64)})
np.savez(d + "/b.npz", x=np.arange(6, dtype=np.float32).reshape(2, 3), y=np.zeros((), np.float64))
PY
fail=0
for fmt in onnx tflite npz; do
  exe=$build/test/fuzz/fuzz_$fmt
  [[ -x $exe ]] || { echo "missing $exe"; exit 1; }
  echo "== fuzz_$fmt: $(ls "$w/$fmt" | wc -l) seeds, $secs s"
  if ! "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=1048576 -print_final_stats=1 \
      -artifact_prefix="$w/" "$w/$fmt" > "$w/$fmt.log" 2>&1; then
    echo "FAIL: fuzz_$fmt found a problem:"; grep -E "ERROR|SUMMARY|Test unit written" "$w/$fmt.log" | head -20
    fail=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$w/$fmt.log" | tr '\n' ' '; echo
  fi
done
exit $fail
