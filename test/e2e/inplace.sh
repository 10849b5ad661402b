#!/usr/bin/env bash
# inplace.sh BUILD_DIR SHARED_DIR: in-place execution and kernel scratch on the shared real models. Each model is
# compiled for the Cortex-M7 with and without --no-inplace and every expected input runs on QEMU through the
# shared, independent harness (shared/tools/m7/run-model): both builds must give the same output bytes, equal to
# TF Lite Micro's. The arena (SYM_ARENA_SIZE) must equal the object's .bss (the exact SRAM, scratch included), in
# place never needs more than without, and mcunet_vww1 must go below TinyEngine's 93992 bytes (96000 without).
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
exp=$shared/models/expected
runner=$shared/tools/m7/run-model
[[ -n $shared && -d $exp && -x $runner ]] || skip "the shared models or harness are not there ($shared)"
need_built mcunetc
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size

bss_of() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $3 }'; }

for stem in mcunet_vww1 person_detect micro_speech; do
  model=$shared/models/tflite/$stem.tflite
  [[ -f $model ]] || { echo "($stem absent)"; continue; }
  echo "== $stem"
    for mode in inplace no-inplace; do
    flags=(); [[ $mode == no-inplace ]] && flags=(--no-inplace)
    d=$w/$stem.$mode; mkdir -p "$d"
    if ! run_cmd "$d/log" "$bin/mcunetc" "$model" -o "$d/m.o" --name=m --target=cortex-m7 "${flags[@]}"; then
      fail "$stem ($mode) does not compile"; continue 2
    fi
    arena=$(header_macro "$d/m.h" m_ARENA_SIZE)
    [[ $mode == inplace ]] && a_on=$arena || a_off=$arena
    bss=$(bss_of "$d/m.o")
    [[ $arena == "$bss" ]] && ok "$stem ($mode): arena $arena == .bss $bss" ||
      fail "$stem ($mode): arena $arena != .bss $bss"
    for in in "$exp/inputs/$stem".*.bin; do
      [[ -f $in ]] || continue
      c=$(basename "$in" .bin)
      "$runner" "$d/m.o" "$d/m.h" m "$d/$c" "$in" > "$d/$c.log" 2>&1 || fail "$c ($mode): run failed"
    done
  done
  ((a_on <= a_off)) && ok "$stem: in place $a_on <= $a_off bytes" ||
    fail "$stem: in place needs $a_on > $a_off bytes"
  if [[ $stem == mcunet_vww1 ]]; then
    ((a_on < 93992 && a_on < a_off)) &&
      ok "mcunet_vww1: $a_on bytes, below TinyEngine's 93992" ||
      fail "mcunet_vww1: $a_on bytes, not below 93992 and $a_off"
  fi
  for in in "$exp/inputs/$stem".*.bin; do
    [[ -f $in ]] || continue
    c=$(basename "$in" .bin)
    for e in "$exp/outputs/$c".out*.bin; do
      j=${e##*.out}; j=${j%.bin}
      a=$w/$stem.inplace/$c/output$j.bin b=$w/$stem.no-inplace/$c/output$j.bin
      if cmp -s "$a" "$b" && cmp -s "$a" "$e"; then ok "$c output $j: identical with and without in place, = TF Lite Micro"
      else fail "$c output $j: in place, without, TF Lite Micro differ"; fi
    done
  done
done
finish
