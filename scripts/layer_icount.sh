#!/usr/bin/env bash
# layer_icount.sh BUILD_DIR MODEL INPUT: the exact instructions executed by each layer of MODEL on the emulated
# Cortex-M7, one line "model_l<N>_<op> COUNT" per layer function, in layer order.
# How: mcunet-run builds and keeps the firmware (--keep), then QEMU runs it once per layer with the project's
# counting plugin (runtime/harness/icount_plugin.c) pointed at that layer's function (entry=ADDRESS) instead of
# SYM_run; each layer is a noinline function model_l<N>_<op>, so its count includes the kernel it calls.
# Weakness: one QEMU run per layer (slow for large models); a layer whose function LLVM merged with another's would
# be missing (none do today).
set -euo pipefail
build=$(cd "$1" && pwd) model=$2 input=$3
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$build/bin/mcunet-run" "$model" --input "$input" --keep "$d" > /dev/null
plugin=$build/lib/mcunet-icount.so
arm-none-eabi-nm "$d/prog.elf" |
  awk '($2 == "t" || $2 == "T") && $3 ~ /^model_l[0-9]+_[a-z_0-9]+$/ && $3 !~ /_(aux[0-9]+|params)$/ { print $1, $3 }' |
  while read -r addr name; do
    entry=$(printf '0x%x' $((0x$addr & ~1)))
    qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native -kernel "$d/prog.elf" \
      -plugin "$plugin,entry=$entry" -d plugin -D "$d/icount.log" > /dev/null 2>&1 < /dev/null
    echo "$name $(sed -n 's/^instructions: //p' "$d/icount.log" | head -1)"
  done | sort -t_ -k2.2 -n
