#!/usr/bin/env bash
# bench_smoke.sh BUILD_DIR SHARED_DIR: bench/run.sh (the speed benchmark, itself out of ctest) on hello_world_int8
# only, on both emulated targets (each with its default board, stm32f746 / stm32f412, named in the output): one table
# row with the model's 288 MACs, the plain --count figure, TF Lite Micro's outputs, the ratio to the anchor's figure,
# non-zero .text bytes and the arena bytes of mcunetc's header (32); a per-layer table of the 3 layers; the note
# that the MCUNet configurations were skipped (--no-configs); then bench/configs.sh on the smallest configuration
# (mcunet-10fps) on cortex-m7: its row with the published MACs, a count, an estimate, the arena and .text bytes.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
[[ -n $shared && -f $shared/models/tflite/hello_world_int8.tflite ]] || skip "the shared models are not there"
need_built mcunet-run
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size
input=$(ls "$shared"/models/expected/inputs/hello_world_int8.*.bin | head -n 1)
for target in cortex-m7 cortex-m4; do
  if ! run_cmd "$w/bench.$target.log" bash "$src/bench/run.sh" --build "$build" --shared "$shared" --target $target \
      --no-configs --out "$w/bench.$target.md" hello_world_int8; then
    fail "bench/run.sh on $target"; continue
  fi
  plain=$("$bin/mcunet-run" "$shared/models/tflite/hello_world_int8.tflite" --target=$target --input "$input" --count \
    | awk '/^instructions:/ { print $2 }')
  row=$(grep '^| `hello_world_int8` |' "$w/bench.$target.md")
  # | model | MACs | instructions | MACs/instr | instr/MAC | TFLM + CMSIS-NN | ratio | .text bytes | arena bytes | outputs |
  IFS='|' read -r _ _ macs instr _ _ ref ratio text arena match <<< "$row"
  instr=${instr//[ ,]/}; macs=${macs//[ ,]/}; text=${text//[ ,]/}; ref=${ref//[ ,]/}; match=${match// /}
  arena=${arena//[ ,]/}
  want=$(awk -v a="$plain" -v b="$ref" 'BEGIN { printf "%.3fx", a / b }')
  if [[ -n $plain && $instr == "$plain" && $macs == 288 && $match == yes && $text -gt 0 && ${ratio// /} == "$want" &&
        $arena == 32 ]]
  then ok "$target row: $row"; else fail "$target row: '$row' (plain count $plain, ratio wanted $want)"; fi
  nl=$(grep -Ec '^\| [0-2] \| fully_connected \| (1|16)->(1|16) \|' "$w/bench.$target.md")
  ((nl == 3)) && ok "$target: 3 per-layer rows" || fail "$target: $nl per-layer rows, expected 3"
  grep -q '^MCUNet configurations: not measured' "$w/bench.$target.md" && ok "$target: the MCUNet note" ||
    fail "$target: no MCUNet note"
  board=stm32f746; [[ $target == cortex-m4 ]] && board=stm32f412
  grep -q "^Compiled with \`--board $board\`" "$w/bench.$target.md" && ok "$target: compiled for $board" ||
    fail "$target: the output does not name --board $board"
done
cfg=$shared/models/mcunet-configs/mcunet-10fps_imagenet.json
need_built mcunet-nas mcunetc
if [[ -f $cfg ]]; then
  if run_cmd "$w/configs.log" bash "$src/bench/configs.sh" --build "$build" --shared "$shared" --board stm32f746 "$cfg"
  then
    row=$(grep '^| `mcunet-10fps_imagenet` |' "$w/configs.log")
    IFS='|' read -r _ _ macs instr _ est _ arena text <<< "$row"
    instr=${instr//[ ,]/}; macs=${macs//[ ,]/}; arena=${arena//[ ,]/}; text=${text//[ ,]/}
    if [[ $macs == 6364224 && $instr -gt 0 && $arena -gt 0 && $text -gt 0 && ${est// /} != - ]]
    then ok "configs.sh row: $row"; else fail "configs.sh row: '$row'"; fi
  else
    fail "bench/configs.sh on mcunet-10fps"
  fi
fi
finish
