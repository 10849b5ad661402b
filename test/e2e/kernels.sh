#!/usr/bin/env bash
# kernels.sh BUILD_DIR SHARED_DIR: every conv / fully connected kernel variant forced (--kernel) on every shared real
# TFLite model, with and without streamed blocks (--no-stream leaves the 1x1 convs standalone, so the pointwise
# variants run on them), on the emulated Cortex-M7: the outputs of the first two expected inputs of each model must
# equal TF Lite Micro's bytes (shared/models/expected), as test/e2e/tflite_models.sh compares them. Also checks, on
# the graph IR, that each forced family was really recorded on some layer of the models it applies to.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
exp=$shared/models/expected
[[ -n $shared && -d $exp ]] || skip "the shared models are not there ($shared)"
need_built mcunet-run
need_built mcunetc
need_cmd qemu-system-arm arm-none-eabi-gcc

variants="scalar pointwise:1x4 pointwise:2x2 pointwise:1x1 pointwise:4x1 pointwise:4x16 pointwise:2x1 im2col:1x4 im2col:2x2
im2col:1x1 first:1x4 first:2x2 first:1x1 fc:1x4 fc:2x2 fc:1x1 fc:2x1"

# one_case MODEL INPUT VARIANT STREAM: one input on cortex-m7 with the variant forced; "ok"/"FAIL" lines.
one_case() {
  local model=$1 input=$2 variant=$3 stream=$4 case out args=() j flags=()
  flags=(--kernel="$variant")
  [[ $stream == no-stream ]] && flags+=(--no-stream)
  case=$(basename "$input" .bin)
  out=$w/$case.${variant/:/_}.$stream
  mkdir -p "$out"
  local n=$(ls "$exp/outputs/$case".out*.bin 2>/dev/null | wc -l)
  for ((j = 0; j < n; j++)); do args+=(--output "$out/out$j.bin"); done
  if ! "$bin/mcunet-run" "$model" --target=cortex-m7 "${flags[@]}" --input "$input" "${args[@]}" > "$out/log" 2>&1; then
    echo "FAIL: $case $variant $stream: mcunet-run failed: $(tail -n 1 "$out/log")"; return
  fi
  for ((j = 0; j < n; j++)); do
    cmp -s "$exp/outputs/$case.out$j.bin" "$out/out$j.bin" || { echo "FAIL: $case $variant $stream: output $j differs"; return; }
  done
  echo "ok: $case $variant $stream"
}
export -f one_case
export bin w exp

for model in "$shared"/models/tflite/*.tflite; do
  stem=$(basename "$model" .tflite)
  for input in $(ls "$exp/inputs/$stem".*.bin 2>/dev/null | head -n 2); do
    for variant in $variants; do
      for stream in stream no-stream; do echo "$model $input $variant $stream"; done
    done
  done
done | xargs -P "$(nproc)" -L 1 bash -c 'one_case "$0" "$1" "$2" "$3"' > "$w/results"

sort "$w/results" | grep -v '^ok' || true
pass=$(grep -c '^ok' "$w/results"); bad=$(grep -c '^FAIL' "$w/results")
echo "$pass runs match TF Lite Micro, $bad differ or fail"
((bad == 0)) && ok "every variant matches TF Lite Micro" || failures=$((failures + bad))

# Each family was applied somewhere: person_detect (--no-stream) has first-layer, pointwise, 3x3-free im2col-able
# and depthwise convs; lenet is fully connected.
recorded() { # recorded MODEL VARIANT FAMILY [FLAGS...]
  local model=$1 variant=$2 family=$3; shift 3
  "$bin/mcunetc" "$shared/models/tflite/$model.tflite" --emit=mlir -o "$w/k.mlir" --kernel="$variant" "$@" 2>/dev/null &&
    grep -q "mcu.kernel = \"$family\"" "$w/k.mlir" && ok "$model --kernel=$variant records $family" ||
    fail "$model --kernel=$variant records no $family layer"
}
recorded person_detect pointwise:2x2 pointwise --no-stream
recorded person_detect im2col:1x1 im2col --no-stream
recorded person_detect first:2x2 first
recorded person_detect scalar scalar
recorded lenet_300_100_mnist fc:2x2 fc
# The tiles of k_gemm_w16.h: forced, and where the cost model takes them on its own (person_detect's logits, 256->2;
# mcunet_vww1's fully connected 160->2 and its wide 1x1 convs, whose int16 stream the flash cap refuses).
tile() { # tile MODEL "M, N" FLAGS...
  local model=$1 t=$2; shift 2
  "$bin/mcunetc" "$shared/models/tflite/$model.tflite" --emit=mlir -o "$w/t.mlir" "$@" 2>/dev/null &&
    grep -q "mcu.tile = array<i64: $t>" "$w/t.mlir" && ok "$model $* records the tile $t" ||
    fail "$model $* records no tile $t"
}
tile person_detect "4, 1" --kernel=pointwise:4x1 --no-stream
tile person_detect "4, 16" --kernel=pointwise:4x16 --no-stream
tile person_detect "2, 1"
tile mcunet_vww1 "2, 1"
tile mcunet_vww1 "4, 16" --board stm32f746
finish
