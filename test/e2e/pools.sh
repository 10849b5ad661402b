#!/usr/bin/env bash
# pools.sh BUILD_DIR SHARED_DIR: several memory pools (--pool). mcunet_vww1.tflite and the example tiny_cnn_int8.onnx
# are compiled for the Cortex-M7 with --pool dtcm:16384 --pool sram:200000 and with the default single arena. The
# pooled object must have one .bss section per pool (.bss.m_dtcm, .bss.m_sram, no .bss.m_arena) of the header's
# m_POOL_*_SIZE bytes, aligned 16, the first within its 16384 bytes, m_ARENA_SIZE their sum and the object's .bss;
# the default build keeps .bss.m_arena. Both builds run every input on QEMU through the shared harness
# (shared/tools/m7/run-model, which links the object as it is): the output bytes must be identical (and equal to
# TF Lite Micro's for mcunet_vww1). Pools that cannot hold the model fail with one diagnostic line giving the
# shortfall (followed, as for every pass failure, by mcunetc's "pass plan-memory failed").
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
runner=$shared/tools/m7/run-model
[[ -n $shared && -x $runner ]] || skip "the shared harness is not there ($shared)"
need_built mcunetc
need_cmd qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-objdump

# section_size OBJ NAME: the size (decimal) of section NAME, empty when absent; section_align: its 2**k.
section_size() {
  local h; h=$(arm-none-eabi-objdump -h "$1" | awk -v s="$2" '$2 == s { print $3 }')
  [[ -n $h ]] && echo $((16#$h))
}
section_align() { arm-none-eabi-objdump -h "$1" | awk -v s="$2" '$2 == s { print $7 }'; }
bss_of() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $3 }'; }

src=$(cd "$(dirname "$0")/../.." && pwd)
models=("$src/examples/models/tiny_cnn_int8.onnx")
[[ -f $shared/models/tflite/mcunet_vww1.tflite ]] && models+=("$shared/models/tflite/mcunet_vww1.tflite") ||
  skip "mcunet_vww1.tflite is not in $shared/models/tflite"

for model in "${models[@]}"; do
  stem=$(basename "$model"); stem=${stem%.*}
  echo "== $stem"
  d=$w/$stem; mkdir -p "$d"
  if ! run_cmd "$d/pools.log" "$bin/mcunetc" "$model" -o "$d/pools.o" --name=m --pool dtcm:16384 \
      --pool sram:200000 --report="$d/pools.json" ||
     ! run_cmd "$d/arena.log" "$bin/mcunetc" "$model" -o "$d/arena.o" --name=m; then
    fail "$stem does not compile"; continue
  fi
  dtcm=$(header_macro "$d/pools.h" m_POOL_DTCM_SIZE) sram=$(header_macro "$d/pools.h" m_POOL_SRAM_SIZE)
  arena=$(header_macro "$d/pools.h" m_ARENA_SIZE)
  s_dtcm=$(section_size "$d/pools.o" .bss.m_dtcm) s_sram=$(section_size "$d/pools.o" .bss.m_sram)
  [[ -n $dtcm && -n $sram && $s_dtcm == "$dtcm" && ( $sram == 0 || $s_sram == "$sram" ) ]] &&
    ok "$stem: .bss.m_dtcm $s_dtcm = m_POOL_DTCM_SIZE, .bss.m_sram ${s_sram:-absent} = m_POOL_SRAM_SIZE $sram" ||
    fail "$stem: sections dtcm '$s_dtcm' sram '$s_sram' vs header '$dtcm' '$sram'"
  [[ $(section_align "$d/pools.o" .bss.m_dtcm) == '2**4' ]] && ok "$stem: dtcm aligned 16" ||
    fail "$stem: dtcm alignment $(section_align "$d/pools.o" .bss.m_dtcm)"
  [[ -z $(section_size "$d/pools.o" .bss.m_arena) && -n $(section_size "$d/arena.o" .bss.m_arena) ]] &&
    ok "$stem: .bss.m_arena only without --pool" || fail "$stem: .bss.m_arena misplaced"
  ((dtcm > 0 && dtcm <= 16384 && arena == dtcm + sram)) && [[ $(bss_of "$d/pools.o") == "$arena" ]] &&
    ok "$stem: dtcm $dtcm <= 16384, m_ARENA_SIZE $arena = dtcm + sram = .bss" ||
    fail "$stem: dtcm $dtcm sram $sram arena $arena .bss $(bss_of "$d/pools.o")"
  grep -q '"pools": \[' "$d/pools.json" && ok "$stem: the report lists the pools" || fail "$stem: no pools in the report"
  if [[ $stem == mcunet_vww1 ]]; then
    inputs=("$shared/models/expected/inputs/$stem".*.bin)
  else
    inputs=("$src/examples/models/tiny_cnn".input*.bin)
  fi
  n=0
  for in in "${inputs[@]}"; do
    [[ -f $in ]] || continue
    c=$(basename "$in" .bin)
    for v in pools arena; do
      "$runner" "$d/$v.o" "$d/$v.h" m "$d/$v.$c" "$in" > "$d/$v.$c.log" 2>&1 || fail "$c ($v): run failed"
    done
    for a in "$d/pools.$c"/output*.bin; do
      j=$(basename "$a")
      if cmp -s "$a" "$d/arena.$c/$j"; then ok "$c $j: pools = single arena"; n=$((n + 1))
      else fail "$c $j: pools and single arena differ"; fi
      e=$shared/models/expected/outputs/$c.out${j#output}
      if [[ $stem == mcunet_vww1 && -f $e ]]; then
        cmp -s "$a" "$e" && ok "$c $j: = TF Lite Micro" || fail "$c $j: differs from TF Lite Micro"
      fi
    done
  done
  ((n > 0)) || fail "$stem: no input ran"
done

# Pools too small: one line, the shortfall in bytes, no output.
if "$bin/mcunetc" "$src/examples/models/tiny_cnn_int8.onnx" -o "$w/small.o" --pool a:512 --pool b:512 \
    2> "$w/small.err"; then
  fail "pools of 512 + 512 bytes accepted"
else
  [[ $(grep -c 'error: the arena buffers do not fit the pools by [0-9]* bytes' "$w/small.err") == 1 ]] &&
    [[ ! -e $w/small.o ]] && ok "too small: $(cat "$w/small.err")" || fail "too small: $(cat "$w/small.err")"
fi
finish
