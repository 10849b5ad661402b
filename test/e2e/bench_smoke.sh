#!/usr/bin/env bash
# bench_smoke.sh BUILD_DIR SHARED_DIR: bench/run.sh (the speed benchmark, itself out of ctest) on hello_world_int8
# only, on both emulated targets (each with its default board, stm32f746 / stm32f412, named in the output): one table
# row with the model's 288 MACs, the plain --count figure, TF Lite Micro's outputs, the ratio to the anchor's figure,
# non-zero .text bytes and the arena bytes of mcunetc's header (32); a per-layer table of the 3 layers; and the note
# on the MCUNet configurations.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
[[ -n $shared && -f $shared/models/tflite/hello_world_int8.tflite ]] || skip "the shared models are not there"
need_built mcunet-run
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size
input=$(ls "$shared"/models/expected/inputs/hello_world_int8.*.bin | head -n 1)
for target in cortex-m7 cortex-m4; do
  if ! run_cmd "$w/bench.$target.log" bash "$src/bench/run.sh" --build "$build" --shared "$shared" --target $target \
      --out "$w/bench.$target.md" hello_world_int8; then
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
  grep -q '^MCUNet configurations' "$w/bench.$target.md" && ok "$target: the MCUNet note" || fail "$target: no MCUNet note"
  board=stm32f746; [[ $target == cortex-m4 ]] && board=stm32f412
  grep -q "^Compiled with \`--board $board\`" "$w/bench.$target.md" && ok "$target: compiled for $board" ||
    fail "$target: the output does not name --board $board"
done
finish
