#!/usr/bin/env bash
# onnx_fast_conv.sh BUILD_DIR SHARED_DIR: ONNX int8 convs on the fast kernels (runtime/kernels/prepare_onnx_conv.c)
# against the scalar reference. For each of the five MCUNet exports (`mcunet-nas export`, seed 1) and two random
# inputs (bytes of a fixed LCG per model and input): the expected output is `mcunet-run --target=ref --kernel=scalar`
# (every conv runs runtime/ref/conv2d.c, the cg_conv.c semantics, independent of the kernel library); then
#  - `--target=cortex-m7` (QEMU) with the cost model's choice, and on the first input of the four smaller models
#    also with every kernel family / tile forced in turn,
#  - `--target=host` and `--target=ref` with the cost model's choice,
# must give the same bytes. Also checks that the default compile really puts the convs on the library (the IR
# records pointwise, depthwise and a first-layer/im2col kernel) and that --kernel=scalar records only "scalar".
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
cfgdir=$shared/models/mcunet-configs
[[ -n $shared && -d $cfgdir ]] || skip "the shared MCUNet configs are not there ($shared)"
need_built mcunet-nas mcunet-run mcunetc
need_cmd qemu-system-arm arm-none-eabi-gcc

variants="auto pointwise:1x4 pointwise:2x2 pointwise:1x1 im2col:1x4 im2col:2x2 im2col:1x1 first:1x4 first:2x2
first:1x1 depthwise"

# lcg_bytes N SEED: N bytes of a fixed LCG (deterministic inputs).
lcg_bytes() {
  awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648
      printf "%c", int(s / 65536) % 256 } }' | LC_ALL=C cat
}

# one_case MODEL INPUT TARGET VARIANT EXPECTED: "ok"/"FAIL" line.
one_case() {
  local model=$1 input=$2 target=$3 variant=$4 expected=$5 flags=()
  local out=$w/$(basename "$model" .onnx).$(basename "$input" .bin).$target.${variant/:/_}
  [[ $variant == auto ]] || flags=(--kernel="$variant")
  if ! "$bin/mcunet-run" "$model" --target="$target" "${flags[@]}" --input "$input" --output "$out.bin" \
      > "$out.log" 2>&1; then
    echo "FAIL: $(basename "$model") $(basename "$input") $target $variant: mcunet-run failed: $(tail -n 1 "$out.log")"
    return
  fi
  cmp -s "$expected" "$out.bin" && echo "ok: $(basename "$model") $(basename "$input") $target $variant" ||
    echo "FAIL: $(basename "$model") $(basename "$input") $target $variant: output differs from the scalar reference"
}
export -f one_case
export bin w

jobs=$w/jobs
: > "$jobs"
seed=1
for c in "$cfgdir"/*.json; do
  name=$(basename "$c" .json)
  m=$w/$name.onnx
  if ! "$bin/mcunet-nas" export "$c" -o "$m" 2> "$w/err"; then fail "$name: export: $(cat "$w/err")"; continue; fi
  "$bin/mcunetc" "$m" --emit=mlir -o "$w/$name.mlir" 2> "$w/err" ||
    { fail "$name: mcunetc: $(cat "$w/err")"; continue; }
  "$bin/mcunetc" "$m" -o "$w/$name.o" 2> "$w/err" || { fail "$name: mcunetc: $(cat "$w/err")"; continue; }
  bytes=$(header_macro "$w/$name.h" model_INPUT0_BYTES)
  [[ -n $bytes ]] || { fail "$name: no INPUT0_BYTES in the header"; continue; }
  for f in pointwise depthwise; do
    grep -q "mcu.kernel = \"$f\"" "$w/$name.mlir" && ok "$name: some conv runs the $f kernel" ||
      fail "$name: no conv records the $f kernel"
  done
  grep -Eq 'mcu.kernel = "(first|im2col)"' "$w/$name.mlir" && ok "$name: the first conv runs the GEMM core" ||
    fail "$name: no conv records first / im2col"
  "$bin/mcunetc" "$m" --emit=mlir --kernel=scalar -o "$w/$name.scalar.mlir" 2> "$w/err" || fail "$name: --kernel=scalar"
  grep -o 'mcu.kernel = "[a-z]*"' "$w/$name.scalar.mlir" | grep -qv '"scalar"' &&
    fail "$name: --kernel=scalar leaves another family" || ok "$name: --kernel=scalar records only scalar"
  for i in 1 2; do
    in=$w/$name.in$i.bin
    lcg_bytes "$bytes" $((seed * 7919 + i)) > "$in"
    exp=$w/$name.in$i.expected.bin
    if ! "$bin/mcunet-run" "$m" --target=ref --kernel=scalar --input "$in" --output "$exp" > "$w/err" 2>&1; then
      fail "$name: the scalar reference failed: $(tail -n 1 "$w/err")"; continue
    fi
    # every variant on the first input of the models up to 40,000 input bytes (mcunet-256kb-1mb's 160x160 runs
    # ~155 M instructions per call on QEMU: it gets the cost model's choice only); the cost model's choice on all
    if ((i == 1 && bytes <= 40000)); then
      for v in $variants; do echo "$m $in cortex-m7 $v $exp" >> "$jobs"; done
    else
      echo "$m $in cortex-m7 auto $exp" >> "$jobs"
    fi
    echo "$m $in host auto $exp" >> "$jobs"
    echo "$m $in ref auto $exp" >> "$jobs"
  done
  seed=$((seed + 1))
done

xargs -P "$(nproc)" -L 1 bash -c 'one_case "$0" "$1" "$2" "$3" "$4"' < "$jobs" > "$w/results"
sort "$w/results" | grep -v '^ok' || true
pass=$(grep -c '^ok' "$w/results"); bad=$(grep -c '^FAIL' "$w/results")
echo "$pass runs equal the scalar reference, $bad differ or fail"
((pass > 0 && bad == 0)) && ok "every kernel variant equals the scalar reference" || failures=$((failures + bad + 1))
finish
