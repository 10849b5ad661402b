#!/bin/bash
# run_icount.sh: the Cortex-M7 harness and the icount plugin on an assembly function of known instruction count.
# Usage: run_icount.sh BUILD_DIR SHARED_DIR. Exit 77 (skip) when qemu-system-arm or arm-none-eabi-gcc is missing.
#
# The function under test is assembly, so the expected count does not depend on a compiler:
#   test_loop(n): "1: subs; bne 1b; bx lr"            -> 2n + 1 instructions (its entry is also the loop head)
#   test_run(n):  push; mov; bl test_loop; mov; bl test_loop; pop {pc}
#                                                      -> 6 + 2 * (2n + 1) = 4n + 8 instructions, callees included
# main calls test_run(1000) with `bl` (4-byte call) and test_run(5) through a function pointer (`blx`, 2 bytes),
# so the plugin must print exactly "instructions: 4008" then "instructions: 28", identically on two runs.
# It also checks that main's status becomes QEMU's exit status and that a fault exits 1 with a message.
set -u
build=$(readlink -f "$1")
src=$(readlink -f "$(dirname "$0")/../..")
harness=$src/runtime/harness
plugin=$build/lib/mcunet-icount.so
command -v qemu-system-arm >/dev/null || { echo "skip: qemu-system-arm not found"; exit 77; }
command -v arm-none-eabi-gcc >/dev/null || { echo "skip: arm-none-eabi-gcc not found"; exit 77; }
[[ -f $plugin ]] || { echo "FAIL: $plugin not built (ninja mcunet_icount)"; exit 1; }

w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cat > "$w/f.S" <<'ASM'
    .syntax unified
    .thumb
    .text
    .global test_loop
    .type test_loop, %function
    .thumb_func
test_loop:
1:  subs r0, r0, #1
    bne 1b
    bx lr
    .size test_loop, . - test_loop

    .global test_run
    .type test_run, %function
    .thumb_func
test_run:
    push {r4, lr}
    mov r4, r0
    bl test_loop
    mov r0, r4
    bl test_loop
    pop {r4, pc}
    .size test_run, . - test_run
ASM
cat > "$w/main.c" <<'C'
#include <stdio.h>
int test_run(int n);
int (*volatile indirect)(int) = test_run;
static double arena[4] __attribute__((section(".bss.test_arena")));
int main(int argc, char **argv) {
  (void)argc; (void)argv;
  test_run(1000);
  indirect(5);
  volatile float x = 1.5f; /* a VFP instruction: the FPU must be on */
  arena[1] += x;
  printf("done %d\n", (int)(arena[1] * 2));
  return 7;
}
C
cat > "$w/fault.c" <<'C'
#include <stdio.h>
int main(void) { puts("about to fault"); __builtin_trap(); }
C
flags=(-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -O2 --specs=nano.specs --specs=rdimon.specs
       -nostartfiles -T "$harness/mps2_an500.ld" -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)
arm-none-eabi-gcc "${flags[@]}" "$harness/startup.c" "$w/main.c" "$w/f.S" -o "$w/prog.elf" -lm || { echo "FAIL: link"; exit 1; }
arm-none-eabi-gcc "${flags[@]}" "$harness/startup.c" "$w/fault.c" -o "$w/fault.elf" -lm || { echo "FAIL: link fault"; exit 1; }
entry=$(arm-none-eabi-nm "$w/prog.elf" | awk '$3 == "test_run" { print $1 }')
[[ -n $entry ]] || { echo "FAIL: no test_run symbol"; exit 1; }
arena=$(arm-none-eabi-nm "$w/prog.elf" | awk '$3 == "arena" { print $1 }')
[[ $arena == 2* ]] || { echo "FAIL: .bss.*_arena not in RAM (at $arena)"; exit 1; }

qemu=(timeout 60 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native)
for run in 1 2; do
  out=$("${qemu[@]}" -kernel "$w/prog.elf" -plugin "$plugin,entry=0x$entry" -d plugin -D "$w/log$run.txt")
  rc=$?
  [[ $rc == 7 ]] || { echo "FAIL: exit status $rc, expected main's 7"; exit 1; }
  [[ $out == "done 3" ]] || { echo "FAIL: firmware printed '$out'"; exit 1; }
  got=$(grep '^instructions:' "$w/log$run.txt" | tr '\n' ' ')
  [[ $got == "instructions: 4008 instructions: 28 " ]] || { echo "FAIL: run $run counted '$got'"; cat "$w/log$run.txt"; exit 1; }
done
cmp -s "$w/log1.txt" "$w/log2.txt" || { echo "FAIL: counts differ between runs"; exit 1; }

"${qemu[@]}" -kernel "$w/fault.elf" > "$w/fault.out" 2> "$w/fault.err"
rc=$?
[[ $rc == 1 ]] || { echo "FAIL: fault exit status $rc, expected 1"; exit 1; }
grep -q '^firmware fault: pc=0x' "$w/fault.err" || { echo "FAIL: no fault message"; cat "$w/fault.err"; exit 1; }

# The plugin refuses bad arguments instead of counting nothing.
if "${qemu[@]}" -kernel "$w/prog.elf" -plugin "$plugin,entry=zz" -d plugin -D "$w/bad.txt" >/dev/null 2>&1; then
  echo "FAIL: plugin accepted entry=zz"; exit 1
fi
echo "PASS: instructions 4008 and 28, exit status, fault handler"
