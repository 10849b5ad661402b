#!/usr/bin/env bash
# shared_arena.sh BUILD_DIR SHARED_DIR: two models in one firmware share one arena through SYM_run_with_arena.
# Models: person_detect and micro_speech from ../shared (outputs compared with TF Lite Micro's bytes), else the
# bundled tiny_cnn_int8 and tiny_cnn_uint8 (outputs compared with their .logits.bin). A project outside the
# repository, using the installed package (cmake --install into a temporary prefix) and the CMake helper, compiles
# both models (mcunet_add_model twice) and a main that defines one arena of max(a_ARENA_SIZE, b_ARENA_SIZE) bytes,
# aligned to the larger ARENA_ALIGN, runs a, b, then a again on it, and checks that a NULL or misaligned arena
# returns SYM_STATUS_BAD_ARENA. Built for the emulator (run on QEMU) and for stm32f746 (ARENA_BYTES: the shared
# arena's size; it must land in DTCM). Checks: every output equals the expected bytes (a's twice), the shared arena
# section is exactly the larger arena, and --gc-sections dropped both static arenas (no a_arena/b_arena symbols,
# zero-initialised data, the stack aside, below the sum of the two arenas).
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunetc
need_cmd cmake ninja arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-nm qemu-system-arm

proj=$w/project
mkdir -p "$proj"
exp=$shared/models/expected
if [[ -n $shared && -f $shared/models/tflite/person_detect.tflite && -f $shared/models/tflite/micro_speech.tflite ]]; then
  cp "$shared/models/tflite/person_detect.tflite" "$proj/a.tflite"
  cp "$shared/models/tflite/micro_speech.tflite" "$proj/b.tflite"
  ma=a.tflite mb=b.tflite
  cp "$exp/inputs/person_detect.person.bin" "$proj/a.in"; cp "$exp/outputs/person_detect.person.out0.bin" "$w/a.want"
  cp "$exp/inputs/micro_speech.rand0.bin" "$proj/b.in"; cp "$exp/outputs/micro_speech.rand0.out0.bin" "$w/b.want"
else
  echo "note: $shared/models is absent: using the bundled tiny_cnn_int8 and tiny_cnn_uint8"
  cp "$models/tiny_cnn_int8.onnx" "$proj/a.onnx"; cp "$models/tiny_cnn_uint8.onnx" "$proj/b.onnx"
  ma=a.onnx mb=b.onnx
  cp "$models/tiny_cnn.input.bin" "$proj/a.in"; cp "$models/tiny_cnn_int8.logits.bin" "$w/a.want"
  cp "$models/tiny_cnn.input1.bin" "$proj/b.in"; cp "$models/tiny_cnn_uint8.logits1.bin" "$w/b.want"
fi
echo "models: a = $ma, b = $mb"

prefix=$w/prefix
run_cmd "$w/install.log" cmake --install "$build" --prefix "$prefix" || { fail "cmake --install"; finish; }

cat > "$proj/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(two_models C ASM)
find_package(mcunet REQUIRED)
set(BOARD mps2-an500 CACHE STRING "")
add_executable(fw main.c inputs.S)
mcunet_add_model(TARGET fw MODEL $ma NAME a BOARD \${BOARD})
mcunet_add_model(TARGET fw MODEL $mb NAME b BOARD \${BOARD})
# The arenas the linker script places: the firmware's one shared arena (.bss.fw_shared_arena).
mcunet_target_board(TARGET fw BOARD \${BOARD} ARENA_BYTES "(a_ARENA_SIZE > b_ARENA_SIZE ? a_ARENA_SIZE : b_ARENA_SIZE)")
set_source_files_properties(inputs.S PROPERTIES OBJECT_DEPENDS "\${CMAKE_CURRENT_SOURCE_DIR}/a.in;\${CMAKE_CURRENT_SOURCE_DIR}/b.in"
  INCLUDE_DIRECTORIES "\${CMAKE_CURRENT_SOURCE_DIR}")
CMAKE
cat > "$proj/inputs.S" <<'ASM'
  .section .rodata.inputs, "a", %progbits
  .balign 16
  .global in_a, in_a_end, in_b, in_b_end
in_a: .incbin "a.in"
in_a_end:
  .balign 16
in_b: .incbin "b.in"
in_b_end:
  .section .note.GNU-stack, "", %progbits
ASM
cat > "$proj/main.c" <<'C'
/* main.c: two mcunet models run one after another on one shared arena (SYM_run_with_arena). */
#include <stdint.h>
#include <stdio.h>

#include "a.h"
#include "b.h"
#include "mcunet_fw.h"

#define MAX(x, y) ((x) > (y) ? (x) : (y))
#define SHARED_BYTES MAX(a_ARENA_SIZE, b_ARENA_SIZE)
#define SHARED_ALIGN MAX(a_ARENA_ALIGN, b_ARENA_ALIGN)
/* Named *_arena so that the board linker scripts place it with the arenas (DTCM when it fits). */
static uint8_t shared_arena[SHARED_BYTES] __attribute__((aligned(SHARED_ALIGN), section(".bss.fw_shared_arena")));

extern const uint8_t in_a[], in_a_end[], in_b[], in_b_end[];
static uint8_t out_a[a_OUTPUT0_BYTES], out_a2[a_OUTPUT0_BYTES], out_b[b_OUTPUT0_BYTES];

static void print_bytes(const char *what, const uint8_t *p, unsigned n) {
  printf("%s:", what);
  for (unsigned i = 0; i < n; ++i) printf(" %02x", p[i]);
  printf("\n");
}

int main(void) {
  mcunet_board_init();
  if ((unsigned)(in_a_end - in_a) != a_INPUT0_BYTES || (unsigned)(in_b_end - in_b) != b_INPUT0_BYTES) {
    printf("error: input sizes\n");
    return 2;
  }
  int rc = a_run_with_arena(shared_arena, (const void *)in_a, (void *)out_a);
  rc |= b_run_with_arena(shared_arena, (const void *)in_b, (void *)out_b);
  for (unsigned i = 0; i < sizeof shared_arena; ++i) shared_arena[i] = 0xA5; /* nothing survives between calls */
  rc |= a_run_with_arena(shared_arena, (const void *)in_a, (void *)out_a2);
  printf("status: %d\n", rc);
  print_bytes("a", out_a, sizeof out_a);
  print_bytes("b", out_b, sizeof out_b);
  print_bytes("a again", out_a2, sizeof out_a2);
  const int bad_null = a_run_with_arena(0, (const void *)in_a, (void *)out_a2);
  const int bad_align = b_run_with_arena(shared_arena + 1, (const void *)in_b, (void *)out_b);
  printf("bad arena: %d %d (expected %d)\n", bad_null, bad_align, a_STATUS_BAD_ARENA);
  printf("shared arena: %u bytes (a %u, b %u)\n", (unsigned)sizeof shared_arena, (unsigned)a_ARENA_SIZE,
         (unsigned)b_ARENA_SIZE);
  return rc || bad_null != a_STATUS_BAD_ARENA || bad_align != b_STATUS_BAD_ARENA;
}
C

for board in mps2-an500 stm32f746; do
  echo "== $board"
  d=$w/build.$board
  if ! run_cmd "$w/cfg.$board.log" cmake -S "$proj" -B "$d" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_TOOLCHAIN_FILE="$prefix/lib/cmake/mcunet/mcunet-arm-none-eabi.cmake" -DBOARD="$board" ||
     ! run_cmd "$w/build.$board.log" cmake --build "$d"; then
    fail "$board: the two-model firmware does not build"; continue
  fi
  elf=$d/fw.elf
  aa=$(header_macro "$d/mcunet/a/a.h" a_ARENA_SIZE) ab=$(header_macro "$d/mcunet/b/b.h" b_ARENA_SIZE)
  want=$((aa > ab ? aa : ab))
  got=$(arm-none-eabi-nm -S -t d "$elf" | awk '$4 == "shared_arena" { print $2 + 0 }')
  [[ $got == "$want" ]] && ok "$board: one shared arena of $got bytes = max($aa, $ab)" ||
    fail "$board: shared arena '$got' bytes, expected max($aa, $ab) = $want"
  statics=$(arm-none-eabi-nm "$elf" | awk '$3 == "a_arena" || $3 == "b_arena"' | wc -l)
  # Zero-initialised bytes without the reserved stack section of the STM32 scripts.
  stack=$(arm-none-eabi-size -A -d "$elf" | awk '$1 == ".stack" { print $2 }')
  bss=$(($(arm-none-eabi-size "$elf" | awk 'NR == 2 { print $3 }') - ${stack:-0}))
  ((statics == 0 && bss < aa + ab)) && ok "$board: the static arenas are gone (--gc-sections), .bss $bss < $((aa + ab))" ||
    fail "$board: $statics static arenas left, .bss $bss"
  arm-none-eabi-size "$elf" | sed 's/^/   /'
  if [[ $board == stm32f746 ]]; then
    addr=$(arm-none-eabi-nm "$elf" | awk '$3 == "shared_arena" { print $1 }')
    [[ $addr == 20000000 ]] && ok "stm32f746: the shared arena is in DTCM (0x$addr)" || fail "stm32f746: shared arena at 0x$addr"
    continue
  fi
  if ! timeout 300 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
      -kernel "$elf" > "$w/qemu.out" 2>&1; then
    sed 's/^/   | /' "$w/qemu.out"; fail "the two-model firmware failed on QEMU"; continue
  fi
  sed 's/^/   | /' "$w/qemu.out" | cut -c1-200
  for k in "a:a" "b:b" "a again:a"; do
    label=${k%%:*} m=${k##*:}
    sed -n "s/^$label://p" "$w/qemu.out" | tr -d ' \n' > "$w/got.hex"
    od -An -tx1 -v "$w/$m.want" | tr -d ' \n' > "$w/want.hex"
    [[ -s $w/got.hex ]] && cmp -s "$w/got.hex" "$w/want.hex" && ok "emulator: '$label' output equals the expected bytes" ||
      fail "emulator: '$label' output differs from the expected bytes"
  done
  grep -q "^bad arena: -1 -1 (expected -1)" "$w/qemu.out" && ok "emulator: NULL and misaligned arenas return SYM_STATUS_BAD_ARENA" ||
    fail "emulator: bad arenas not refused"
done
finish
