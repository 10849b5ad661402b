#!/usr/bin/env bash
# cortex_m4.sh BUILD_DIR SHARED_DIR: --target=cortex-m4 on the emulated Cortex-M4 (QEMU mps2-an386): the shared real
# TFLite models give TF Lite Micro's bytes (shared/models/expected; 10 of the 100 MNIST digits), the float ONNX
# mnist_cntk is within 1e-4 of its expected output with no double-precision instruction in its object, and
# --per-layer on person_detect adds up to the plain --count of the same model.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
exp=$shared/models/expected
[[ -n $shared && -d $exp ]] || skip "the shared models are not there ($shared)"
need_built mcunet-run mcunetc
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-objdump arm-none-eabi-readelf
qemu-system-arm -M help | grep -q '^mps2-an386' || skip "this QEMU has no mps2-an386 machine"

# one_case MODEL INPUT: runs one input on cortex-m4, compares every output file; prints "ok"/"FAIL" lines.
one_case() {
  local model=$1 input=$2 case out args=() j
  case=$(basename "$input" .bin)
  out=$w/$case.m4
  mkdir -p "$out"
  local n=$(ls "$exp/outputs/$case".out*.bin 2>/dev/null | wc -l)
  for ((j = 0; j < n; j++)); do args+=(--output "$out/out$j.bin"); done
  if ! "$bin/mcunet-run" "$model" --target=cortex-m4 --input "$input" "${args[@]}" > "$out/log" 2>&1; then
    echo "FAIL: $case on cortex-m4: mcunet-run failed: $(tail -n 1 "$out/log")"; return
  fi
  for ((j = 0; j < n; j++)); do
    cmp -s "$exp/outputs/$case.out$j.bin" "$out/out$j.bin" || { echo "FAIL: $case on cortex-m4: output $j differs"; return; }
  done
  echo "ok: $case on cortex-m4"
}
export -f one_case
export bin w exp

for model in "$shared"/models/tflite/*.tflite; do
  stem=$(basename "$model" .tflite)
  ls "$exp/inputs/$stem".*.bin 2>/dev/null | head -n 10 | while read -r input; do echo "$model $input"; done
done | xargs -P "$(nproc)" -L 1 bash -c 'one_case "$0" "$1"' > "$w/results"
sort "$w/results" | grep -v '^ok' || true
pass=$(grep -c '^ok' "$w/results"); bad=$(grep -c '^FAIL' "$w/results")
echo "$pass cortex-m4 runs match TF Lite Micro, $bad differ or fail"
((pass > 0)) || fail "no model ran"
((bad == 0)) || failures=$((failures + bad))

# Float: mnist_cntk (ONNX model zoo) on the M4's single-precision FPU.
dir=$shared/models/onnx/mnist_cntk
if [[ -f $dir/model.onnx ]] && "$py" -c 'import onnx, numpy' 2>/dev/null; then
  run_cmd "$w/cntk.log" "$bin/mcunetc" "$dir/model.onnx" --target=cortex-m4 -o "$w/cntk.o" || fail "mnist_cntk: mcunetc"
  arm-none-eabi-readelf -A "$w/cntk.o" | grep -q 'Tag_ABI_HardFP_use: SP only' && ok "mnist_cntk: SP-only FP attributes" \
    || fail "mnist_cntk: the object's attributes do not say single precision"
  n64=$(arm-none-eabi-objdump -d "$w/cntk.o" | grep -c '\.f64')
  ((n64 == 0)) && ok "mnist_cntk: no .f64 instruction" || fail "mnist_cntk: $n64 double-precision instructions"
  if run_cmd "$w/cntk_run.log" "$bin/mcunet-run" "$dir/model.onnx" --target=cortex-m4 \
      --input "$dir/test_data_set_0/input_0.pb" --output "$w/cntk.bin"; then
    if msg=$("$py" - "$dir/test_data_set_0/output_0.pb" "$w/cntk.bin" <<'PY'
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
print("max relative error %.2e" % rel)
sys.exit(0 if rel <= 1e-4 and np.argmax(got) == np.argmax(want) else 1)
PY
    ); then ok "mnist_cntk on cortex-m4: $msg"; else fail "mnist_cntk on cortex-m4: $msg"; fi
  else
    fail "mnist_cntk: mcunet-run on cortex-m4"
  fi
else
  echo "(mnist_cntk or python onnx absent: the float model is not checked)"
fi

# --per-layer on a real model: 18 layer lines whose sum (with the glue) is the total and the plain count.
pd=$shared/models/tflite/person_detect.tflite
for target in cortex-m4 cortex-m7; do
  if run_cmd "$w/pl.$target" "$bin/mcunet-run" "$pd" --target=$target --input "$exp/inputs/person_detect.person.bin" \
      --per-layer && run_cmd "$w/plain.$target" "$bin/mcunet-run" "$pd" --target=$target \
      --input "$exp/inputs/person_detect.person.bin" --count; then
    sums=$(cat "$w/pl.$target" "$w/plain.$target" | awk -f "$src/test/mcunet-run/Inputs/per_layer_sums.awk")
    read -r _ layers _ sum _ total _ instr _ plain _ nonzero <<< "$sums"
    if ((layers > 10 && nonzero == layers && sum == total && total == instr && instr == plain)); then
      ok "person_detect --per-layer on $target: $sums"
    else
      fail "person_detect --per-layer on $target: $sums"
    fi
  else
    fail "person_detect --per-layer on $target: mcunet-run failed"
  fi
done
finish
