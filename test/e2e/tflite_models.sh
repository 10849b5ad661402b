#!/usr/bin/env bash
# tflite_models.sh BUILD_DIR SHARED_DIR: every shared real TFLite model, every expected input, on the emulated
# Cortex-M7 and on the host: the outputs must equal TF Lite Micro's bytes (shared/models/expected); the 100 MNIST
# digits must also give the labels of mnist_labels.json.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
exp=$shared/models/expected
[[ -n $shared && -d $exp ]] || skip "the shared models are not there ($shared)"
need_built mcunet-run
need_cmd qemu-system-arm arm-none-eabi-gcc

# one_case MODEL INPUT TARGET: runs one input, compares every output file; prints "ok"/"FAIL" lines.
one_case() {
  local model=$1 input=$2 target=$3 case out args=() j
  case=$(basename "$input" .bin)
  out=$w/$case.$target
  mkdir -p "$out"
  local n=$(ls "$exp/outputs/$case".out*.bin 2>/dev/null | wc -l)
  for ((j = 0; j < n; j++)); do args+=(--output "$out/out$j.bin"); done
  if ! "$bin/mcunet-run" "$model" --target="$target" --input "$input" "${args[@]}" > "$out/log" 2>&1; then
    echo "FAIL: $case on $target: mcunet-run failed: $(tail -n 1 "$out/log")"; return
  fi
  for ((j = 0; j < n; j++)); do
    cmp -s "$exp/outputs/$case.out$j.bin" "$out/out$j.bin" || { echo "FAIL: $case on $target: output $j differs"; return; }
  done
  echo "ok: $case on $target"
}
export -f one_case
export bin w exp

for model in "$shared"/models/tflite/*.tflite; do
  stem=$(basename "$model" .tflite)
  for input in "$exp/inputs/$stem".*.bin; do
    [[ -f $input ]] || continue
    for target in cortex-m7 host; do echo "$model $input $target"; done
  done
done | xargs -P "$(nproc)" -L 1 bash -c 'one_case "$0" "$1" "$2"' > "$w/results"

sort "$w/results" | grep -v '^ok' || true
pass=$(grep -c '^ok' "$w/results"); bad=$(grep -c '^FAIL' "$w/results")
echo "$pass runs match TF Lite Micro, $bad differ or fail"
((bad == 0)) || failures=$((failures + bad))

# The MNIST digits: the argmax of each cortex-m7 output is the digit's label.
labels=$exp/mnist_labels.json
if [[ -f $labels ]]; then
  if "$py" - "$labels" "$w" <<'PY'
import json, os, sys
import numpy as np
labels, w = json.load(open(sys.argv[1])), sys.argv[2]
wrong = []
for name, digit in labels.items():
    case = os.path.basename(name)
    case = case[:-4] if case.endswith(".bin") else case
    path = os.path.join(w, case + ".cortex-m7", "out0.bin")
    out = np.fromfile(path, dtype=np.float32 if os.path.getsize(path) == 40 else np.int8)  # 10 scores
    if int(np.argmax(out)) != int(digit):
        wrong.append(case)
print("%d of %d MNIST digits classified as labelled" % (len(labels) - len(wrong), len(labels)))
sys.exit(1 if wrong else 0)
PY
  then ok "MNIST labels"; else fail "MNIST labels"; fi
fi
finish
