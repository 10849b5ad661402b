#!/usr/bin/env bash
# quantize_fast.sh BUILD_DIR SHARED_DIR: the Cortex-M7 fast path of mcu_k_quantize_f32 (VDIV, VCVTA, QADD, SSAT/USAT;
# runtime/kernels/k_quantize.c), which the host unit tests cannot reach: the kernel compiled for the M7 with the
# kernel library's flags runs on QEMU mps2-an500 against TF Lite Micro's AffineQuantize spelled out in C
# (quantize_fast_m7.c): NaN, infinities, int32 range ends, exact ties, random bit patterns, int8 and uint8, zero
# points at the ends of the range. Every value must match.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_cmd qemu-system-arm arm-none-eabi-gcc clang-22
src=$(cd "$(dirname "$0")/../.." && pwd)
k=$src/runtime/kernels
m7_kernel_cc "$k/k_quantize.c" "$w/k_quantize.o" ||
  { fail "k_quantize.c does not compile for the M7: $(tail -n 3 "$w/k_quantize.o.log")"; finish; }
m7_firmware "$w/q.elf" "$src/test/e2e/quantize_fast_m7.c" "$w/k_quantize.o" ||
  { fail "the firmware does not link: $(tail -n 3 "$w/q.elf.log")"; finish; }
arm-none-eabi-objdump -d "$w/q.elf" | grep -q vcvta && ok "the M7 build uses VCVTA" || fail "no VCVTA in the M7 build"
if m7_run "$w/q.elf" "$w/run.log" 120; then
  ok "$(tail -n 1 "$w/run.log")"
else
  fail "mismatches on the M7: $(head -n 3 "$w/run.log" | tr '\n' ' ')"
fi
finish
