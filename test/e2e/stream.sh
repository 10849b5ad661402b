#!/usr/bin/env bash
# stream.sh BUILD_DIR SHARED_DIR: row-streamed inverted-residual blocks (stream-blocks) on mcunet_vww1. The model is
# compiled for the Cortex-M7 with and without --no-stream; every expected input runs on QEMU through the shared,
# independent harness (shared/tools/m7/run-model) for both objects and through mcunet-run (which compiles with the
# default pipeline, streaming on): all outputs must equal TF Lite Micro's. The streamed build must contain
# stream_block layers, its arena must be smaller than without (89,600 bytes then) and below TinyEngine's patched
# 62,352 bytes, and the arena (SYM_ARENA_SIZE) must equal the object's .bss (scratch included).
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
exp=$shared/models/expected
runner=$shared/tools/m7/run-model
stem=mcunet_vww1
model=$shared/models/tflite/$stem.tflite
[[ -n $shared && -d $exp && -x $runner && -f $model ]] || skip "the shared model or harness is not there ($shared)"
need_built mcunetc mcunet-run
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size

bss_of() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $3 }'; }

for mode in stream no-stream; do
  flags=(); [[ $mode == no-stream ]] && flags=(--no-stream)
  d=$w/$mode; mkdir -p "$d"
  if ! run_cmd "$d/log" "$bin/mcunetc" "$model" -o "$d/m.o" --name=m --target=cortex-m7 --report="$d/r.json" \
      "${flags[@]}"; then
    fail "$stem ($mode) does not compile"; finish
  fi
  arena=$(header_macro "$d/m.h" m_ARENA_SIZE)
  [[ $mode == stream ]] && a_on=$arena || a_off=$arena
  blocks=$(grep -c '"op": *"stream_block"' "$d/r.json")
  [[ $mode == stream ]] && b_on=$blocks || b_off=$blocks
  bss=$(bss_of "$d/m.o")
  [[ $arena == "$bss" ]] && ok "$mode: arena $arena == .bss $bss" || fail "$mode: arena $arena != .bss $bss"
  for in in "$exp/inputs/$stem".*.bin; do
    c=$(basename "$in" .bin)
    "$runner" "$d/m.o" "$d/m.h" m "$d/$c" "$in" > "$d/$c.log" 2>&1 || fail "$c ($mode): run-model failed"
  done
done
((b_on > 0 && b_off == 0)) && ok "$b_on stream blocks with streaming, none with --no-stream" ||
  fail "stream blocks: $b_on with streaming, $b_off with --no-stream"
((a_on < a_off && a_on < 62352)) && ok "arena $a_on bytes streamed < $a_off without, < TinyEngine's 62352" ||
  fail "arena $a_on bytes streamed, $a_off without (must be smaller, and below 62352)"

for in in "$exp/inputs/$stem".*.bin; do
  c=$(basename "$in" .bin)
  outs=(); for e in "$exp/outputs/$c".out*.bin; do outs+=(--output "$w/mr.$c.${e##*.out}"); done
  run_cmd "$w/mr.$c.log" "$bin/mcunet-run" "$model" --target=cortex-m7 --input "$in" "${outs[@]}" ||
    fail "$c: mcunet-run failed"
  for e in "$exp/outputs/$c".out*.bin; do
    j=${e##*.out}; j=${j%.bin}
    a=$w/stream/$c/output$j.bin b=$w/no-stream/$c/output$j.bin r=$w/mr.$c.$j.bin
    if cmp -s "$a" "$e" && cmp -s "$b" "$e" && cmp -s "$r" "$e"; then
      ok "$c output $j: streamed, unstreamed and mcunet-run all = TF Lite Micro"
    else
      fail "$c output $j: streamed / unstreamed / mcunet-run differ from TF Lite Micro"
    fi
  done
done
finish
