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
h=$src/runtime/harness
clang-22 --target=thumbv7em-none-unknown-eabihf -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb \
  --sysroot=/usr/lib/arm-none-eabi -std=c17 -O2 -ffp-contract=off -fno-math-errno -I"$k" -c "$k/k_quantize.c" \
  -o "$w/k_quantize.o" > "$w/cc.log" 2>&1 || { fail "k_quantize.c does not compile for the M7: $(tail -n 3 "$w/cc.log")"; finish; }
arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -O2 -std=c17 -ffp-contract=off \
  --specs=nano.specs --specs=rdimon.specs -nostartfiles -T "$h/mps2_an500.ld" -I"$k" "$h/startup.c" \
  "$src/test/e2e/quantize_fast_m7.c" "$w/k_quantize.o" -o "$w/q.elf" -lm -Wl,-z,noexecstack \
  -Wl,--no-warn-rwx-segments > "$w/ld.log" 2>&1 || { fail "the firmware does not link: $(tail -n 3 "$w/ld.log")"; finish; }
arm-none-eabi-objdump -d "$w/q.elf" | grep -q vcvta && ok "the M7 build uses VCVTA" || fail "no VCVTA in the M7 build"
if timeout 120 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
    -kernel "$w/q.elf" > "$w/run.log" 2>&1; then
  ok "$(tail -n 1 "$w/run.log")"
else
  fail "mismatches on the M7: $(head -n 3 "$w/run.log" | tr '\n' ' ')"
fi
finish
