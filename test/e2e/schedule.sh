#!/usr/bin/env bash
# schedule.sh BUILD_DIR SHARED_DIR: the schedule pass on real models and on a branching graph. Every shared TFLite
# model, the example ONNX models and test/passes/schedule.mlir (two branches, where the file's order is worse) are
# compiled for the Cortex-M7 with and without --no-schedule: the scheduled arena_bytes (report) must be <= the
# unscheduled one (strictly lower for the branching graph), and every input must give the same output bytes with
# both orders, run on QEMU through the shared, independent harness (shared/tools/m7/run-model; mcunet-run has no
# --no-schedule). mcunet_vww1 and person_detect must still match TF Lite Micro (shared/tools/verify-model).
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
exp=$shared/models/expected
runner=$shared/tools/m7/run-model
verify=$shared/tools/verify-model
[[ -n $shared && -d $exp && -x $runner && -x $verify ]] || skip "the shared models or harness are not there ($shared)"
need_built mcunetc
need_cmd qemu-system-arm arm-none-eabi-gcc

arena_of() { "$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["arena_bytes"])' "$1"; }

# check STEM MODEL STRICT INPUT...: compiles both ways, compares the arenas and the outputs of each input.
check() {
  local stem=$1 model=$2 strict=$3; shift 3
  local mode a_on="" a_off="" in c j e
  for mode in sched file; do
    local flags=(); [[ $mode == file ]] && flags=(--no-schedule)
    local d=$w/$stem.$mode; mkdir -p "$d"
    if ! run_cmd "$d/log" "$bin/mcunetc" "$model" -o "$d/m.o" --name=m --target=cortex-m7 --report="$d/r.json" \
      "${flags[@]}"; then
      fail "$stem ($mode) does not compile"; return
    fi
    [[ $mode == sched ]] && a_on=$(arena_of "$d/r.json") || a_off=$(arena_of "$d/r.json")
    for in in "$@"; do
      c=$(basename "$in" .bin)
      "$runner" "$d/m.o" "$d/m.h" m "$d/$c" "$in" > "$d/$c.log" 2>&1 || fail "$stem $c ($mode): run failed"
    done
  done
  if [[ $strict == 1 ]]; then
    ((a_on < a_off)) && ok "$stem: scheduled arena $a_on < file order's $a_off bytes" ||
      fail "$stem: scheduled arena $a_on, file order's $a_off (expected lower)"
  else
    ((a_on <= a_off)) && ok "$stem: scheduled arena $a_on <= file order's $a_off bytes" ||
      fail "$stem: scheduled arena $a_on > file order's $a_off bytes"
  fi
  local nout; nout=$(header_macro "$w/$stem.sched/m.h" m_NUM_OUTPUTS)
  for in in "$@"; do
    c=$(basename "$in" .bin)
    for ((j = 0; j < nout; j++)); do
      e=$w/$stem.sched/$c/output$j.bin
      [[ -s $e ]] && cmp -s "$e" "$w/$stem.file/$c/output$j.bin" &&
        ok "$stem $c output $j: identical in both orders" || fail "$stem $c output $j: the orders differ"
    done
  done
}

for model in "$shared"/models/tflite/*.tflite; do
  stem=$(basename "$model" .tflite)
  ins=(); for in in "$exp/inputs/$stem".*.bin; do [[ -f $in ]] && ins+=("$in"); done
  ((${#ins[@]} > 3)) && ins=("${ins[@]:0:3}") # the orders either agree or not: a few inputs suffice
  ((${#ins[@]})) || { echo "($stem: no inputs)"; continue; }
  check "$stem" "$model" 0 "${ins[@]}"
done
for model in "$models"/*.onnx; do
  stem=$(basename "$model" .onnx)
  ins=(); for in in "$models"/tiny_cnn.input*.bin; do [[ -f $in ]] && ins+=("$in"); done
  ((${#ins[@]})) || { echo "($stem: no inputs)"; continue; }
  check "$stem" "$model" 0 "${ins[@]}"
done
# The branching graph: 1x8x8x4 int8 inputs, one of bytes 0..255 and one pseudo-random.
"$py" -c 'import sys; open(sys.argv[1], "wb").write(bytes(range(256)))' "$w/ramp.bin"
"$py" -c 'import sys; open(sys.argv[1], "wb").write(bytes((i * 97 + 13) % 256 for i in range(256)))' "$w/mix.bin"
check branching "$src/test/passes/schedule.mlir" 1 "$w/ramp.bin" "$w/mix.bin"

for stem in mcunet_vww1 person_detect; do
  model=$shared/models/tflite/$stem.tflite
  [[ -f $model ]] || { echo "($stem absent)"; continue; }
  if "$verify" "$bin/mcunetc" "$model" > "$w/$stem.verify" 2>&1; then
    ok "$stem: $(tail -n 1 "$w/$stem.verify")"
  else
    fail "$stem: does not match TF Lite Micro"; tail -n 5 "$w/$stem.verify"
  fi
done
finish
