#!/usr/bin/env bash
# gemm_w16.sh BUILD_DIR SHARED_DIR: the Cortex-M7 assembly of the 4x1 pointwise tile (runtime/kernels/k_gemm_w16.h:
# the LDM/STM widening, the LDRD/LDM/SMLAD groups unrolled and looped, the fused epilogues: SMMLAR with one shift or a
# shift per channel, the RELU forms' SMMLAR / SMMLA without the sign term, the C epilogue), which the host unit tests cannot reach, on QEMU mps2-an500 against the C
# epilogue of k_gemm_s8.h on the plain accumulator (gemm_w16_m7.c). Every output must match.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_cmd qemu-system-arm arm-none-eabi-gcc clang-22
src=$(cd "$(dirname "$0")/../.." && pwd)
m7_kernel_cc "$src/test/e2e/gemm_w16_m7.c" "$w/t.o" ||
  { fail "gemm_w16_m7.c does not compile for the M7: $(tail -n 3 "$w/t.o.log")"; finish; }
m7_firmware "$w/t.elf" "$w/t.o" || { fail "the firmware does not link: $(tail -n 3 "$w/t.elf.log")"; finish; }
arm-none-eabi-objdump -d "$w/t.elf" > "$w/t.dis"
grep -q "smmlar" "$w/t.dis" && grep -q "smmla\s" "$w/t.dis" && grep -q "ssat.*asr #" "$w/t.dis" &&
  ok "the M7 build has the fused epilogues" || fail "no fused SMMLAR/SMMLA/SSAT epilogue in the M7 build"
if m7_run "$w/t.elf" "$w/run.log" 300; then
  ok "$(tail -n 1 "$w/run.log")"
else
  fail "mismatches on the M7: $(head -n 3 "$w/run.log" | tr '\n' ' ')"
fi
finish
