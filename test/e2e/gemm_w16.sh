#!/usr/bin/env bash
# gemm_w16.sh BUILD_DIR SHARED_DIR: the Cortex-M7 assembly of the 4x1 pointwise tile (runtime/kernels/k_gemm_w16.h:
# the LDM/STM widening, the LDRD/LDM/SMLAD groups unrolled and looped, the fused SMMLAR epilogues with one shift or a
# shift per channel, the C epilogue), which the host unit tests cannot reach, on QEMU mps2-an500 against the C
# epilogue of k_gemm_s8.h on the plain accumulator (gemm_w16_m7.c). Every output must match.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_cmd qemu-system-arm arm-none-eabi-gcc clang-22
src=$(cd "$(dirname "$0")/../.." && pwd)
k=$src/runtime/kernels
h=$src/runtime/harness
clang-22 --target=thumbv7em-none-unknown-eabihf -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb \
  --sysroot=/usr/lib/arm-none-eabi -std=c17 -O2 -ffp-contract=off -fno-math-errno -I"$k" -c \
  "$src/test/e2e/gemm_w16_m7.c" -o "$w/t.o" > "$w/cc.log" 2>&1 || { fail "gemm_w16_m7.c does not compile for the M7: $(tail -n 3 "$w/cc.log")"; finish; }
arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -O2 \
  --specs=nano.specs --specs=rdimon.specs -nostartfiles -T "$h/mps2_an500.ld" "$h/startup.c" "$w/t.o" -o "$w/t.elf" \
  -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments > "$w/ld.log" 2>&1 || { fail "the firmware does not link: $(tail -n 3 "$w/ld.log")"; finish; }
arm-none-eabi-objdump -d "$w/t.elf" > "$w/t.dis"
grep -q "smmlar" "$w/t.dis" && grep -q "ssat.*asr #" "$w/t.dis" && ok "the M7 build has the fused epilogue" ||
  fail "no fused SMMLAR/SSAT epilogue in the M7 build"
if timeout 300 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
    -kernel "$w/t.elf" > "$w/run.log" 2>&1; then
  ok "$(tail -n 1 "$w/run.log")"
else
  fail "mismatches on the M7: $(head -n 3 "$w/run.log" | tr '\n' ' ')"
fi
finish
