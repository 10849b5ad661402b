#!/usr/bin/env bash
# patches.sh BUILD_DIR SHARED_DIR: every memory schedule the passes can pick, forced through mcunet-run, gives the
# same outputs. On mcunet_vww1 and person_detect (one expected input each, run on QEMU's Cortex-M7 by mcunet-run):
# the default (no patches without a board), --patches=min (patch-stages chooses), --patches=off, bands (4x1), a 2-D grid (2x2, 3x3), stages forced to start
# at layer 0 or 1 with a given length, patches without streaming, with neither in-place nor streaming, the file's
# order (--no-schedule) and two pools: every output must equal TF Lite Micro's. The --patches=min build's arena
# (equal to the object's .bss) must be below the unpatched one, below TinyEngine's patched 62,352 bytes and 47,000 bytes
# for mcunet_vww1, below TF Lite Micro's 82,308 for person_detect, and the report must name the patch stage. The
# ONNX tiny_cnn_int8 model (native ONNX kernels, no shared files needed) runs with forced stages of 2 to 4 layers
# on cortex-m7 and host and must give its expected logits.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunetc mcunet-run
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size cc

bss_of() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $3 }'; }

# force MODEL INPUT EXPECTED_PREFIX TARGET LABEL FLAGS...: runs once, compares every output with PREFIX.outJ.bin.
force() {
  local model=$1 in=$2 prefix=$3 target=$4 label=$5; shift 5
  local outs=() e j
  for e in "$prefix".out*.bin; do j=${e##*.out}; j=${j%.bin}; outs+=(--output "$w/$label.$j.bin"); done
  if ! run_cmd "$w/$label.log" "$bin/mcunet-run" "$model" --target="$target" --input "$in" "${outs[@]}" "$@"; then
    fail "$label ($*): mcunet-run failed"; return
  fi
  for e in "$prefix".out*.bin; do
    j=${e##*.out}; j=${j%.bin}
    cmp -s "$w/$label.$j.bin" "$e" && ok "$label ($*): output $j = expected" || fail "$label ($*): output $j differs"
  done
}

schedules=("" "--patches=min" "--patches=off" "--patches=4x1" "--patches=2x2" "--patches=3x3" "--patches=2x3@0+3"
           "--patches=2x2@1+2" "--no-stream --patches=2x2" "--no-inplace --no-stream" "--no-schedule"
           "--pool dtcm:16384 --pool sram:300000")
exp=${shared:+$shared/models/expected}
for stem in mcunet_vww1 person_detect; do
  model=${shared:+$shared/models/tflite/$stem.tflite}
  if [[ -z $model || ! -f $model ]]; then echo "(shared models absent: $stem not checked)"; continue; fi
  echo "== $stem"
  in=$(ls "$exp/inputs/$stem".*.bin | head -1)
  c=$(basename "$in" .bin)
  for k in "${!schedules[@]}"; do
    # shellcheck disable=SC2086 # the flags are words
    force "$model" "$in" "$exp/outputs/$c" cortex-m7 "$stem.s$k" ${schedules[$k]}
  done
  for mode in min off; do
    run_cmd "$w/$stem.$mode.log" "$bin/mcunetc" "$model" -o "$w/$stem.$mode.o" --name=m --report="$w/$stem.$mode.json" \
      --patches=$mode || fail "$stem --patches=$mode does not compile"
  done
  # The default (auto) without a board: no patches (they cost instructions); with a board the model fits: none.
  for b in "" "--board=stm32f746"; do
    # shellcheck disable=SC2086
    run_cmd "$w/$stem.auto.log" "$bin/mcunetc" "$model" -o "$w/$stem.auto.o" --name=m --report="$w/$stem.auto.json" $b &&
      "$py" -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))['patch_stage'] is None else 1)" \
        "$w/$stem.auto.json" && ok "$stem: no patch stage by default ${b:-(no board)}" ||
      fail "$stem: a patch stage by default ${b:-(no board)}"
  done
  a_on=$(header_macro "$w/$stem.min.h" m_ARENA_SIZE) a_off=$(header_macro "$w/$stem.off.h" m_ARENA_SIZE)
  bss=$(bss_of "$w/$stem.min.o")
  [[ $a_on == "$bss" ]] && ok "$stem: arena $a_on == .bss" || fail "$stem: arena $a_on != .bss $bss"
  ((a_on < a_off)) && ok "$stem: arena $a_on with patches < $a_off without" || fail "$stem: arena $a_on, $a_off without"
  limit=82308; [[ $stem == mcunet_vww1 ]] && limit=47000
  ((a_on < limit)) && ok "$stem: arena $a_on < $limit" || fail "$stem: arena $a_on >= $limit"
  "$py" -c "import json,sys; s=json.load(open(sys.argv[1]))['patch_stage']; sys.exit(0 if s and s['rows'] * s['cols'] >= 2 else 1)" \
    "$w/$stem.min.json" && ok "$stem: the report names the patch stage" || fail "$stem: no patch stage reported"
done

echo "== tiny_cnn_int8 (ONNX)"
model=$models/tiny_cnn_int8.onnx
need_file "$model" "$models/tiny_cnn.input.bin" "$models/tiny_cnn_int8.logits.bin"
ln -sf "$models/tiny_cnn_int8.logits.bin" "$w/tiny.out0.bin"
for t in cortex-m7 host; do
  for f in --patches=2x2@2+4 --patches=4x1@2+3 --patches=3x2@2+2 --patches=2x1@3+2; do
    force "$model" "$models/tiny_cnn.input.bin" "$w/tiny" "$t" "tiny.$t${f//[^0-9a-z]/_}" "$f"
  done
done
finish
