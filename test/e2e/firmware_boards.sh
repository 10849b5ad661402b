#!/usr/bin/env bash
# firmware_boards.sh BUILD_DIR SHARED_DIR: the example firmware (examples/Makefile with cmake/mcunet.mk) builds
# with arm-none-eabi-gcc for STM32F746G-DISCO, NUCLEO-H743ZI and the emulator, and fits each board.
# Model: shared person_detect.tflite with its "person" input when ../shared is there, else the bundled
# tiny_cnn_int8.onnx. For each STM32 board `arm-none-eabi-size -A` must show every allocated section inside one of
# the board's memories (flash, ITCM, DTCM, SRAM), the load image (vectors, code, weights, .data) within flash, the
# arena in DTCM (it fits beside the stack), and in SRAM when the placement is forced with a larger
# MCUNET_ARENA_BYTES; with --pool dtcm/sram the pools land in DTCM and SRAM. The emulator build runs on QEMU: its
# output bytes must be the expected ones (TF Lite Micro's for person_detect). Prints the size table recorded in
# docs/benchmarks.md.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunetc
need_cmd arm-none-eabi-gcc arm-none-eabi-size make qemu-system-arm

if [[ -n $shared && -f $shared/models/tflite/person_detect.tflite ]]; then
  model=$shared/models/tflite/person_detect.tflite
  input=$shared/models/expected/inputs/person_detect.person.bin
  expected=$shared/models/expected/outputs/person_detect.person.out0.bin
else
  echo "note: $shared/models is absent: using the bundled tiny_cnn_int8"
  model=$models/tiny_cnn_int8.onnx input=$models/tiny_cnn.input.bin expected=$models/tiny_cnn_int8.logits.bin
fi
echo "model: $model"

# build BOARD OUT [make variables...]
build() {
  local board=$1 out=$2; shift 2
  run_cmd "$w/make.$board.log" make -C "$src/examples" BOARD="$board" MODEL="$model" INPUT="$input" OUT="$out" \
    MCUNETC="$bin/mcunetc" "$@"
}

# check_fit BOARD ELF EXPECT_ARENA_REGION: the sections against the board's memory map (addresses from
# examples/boards/BOARD/BOARD.ld.in, sizes from the reference manuals).
check_fit() {
  local board=$1 elf=$2 arena_region=$3
  arm-none-eabi-size -A -d "$elf" > "$w/size.txt"
  "$py" - "$board" "$w/size.txt" "$arena_region" <<'PY'
import sys
board, path, want_arena = sys.argv[1:]
K = 1024
regions = {
    "stm32f746": {"FLASH": (0x08000000, 1024 * K), "ITCM": (0, 16 * K), "DTCM": (0x20000000, 64 * K),
                  "SRAM": (0x20010000, 256 * K)},
    "stm32h743": {"FLASH": (0x08000000, 2048 * K), "ITCM": (0, 64 * K), "DTCM": (0x20000000, 128 * K),
                  "SRAM": (0x24000000, 512 * K)},
}[board]
flash_sections = (".vectors", ".text", ".rodata", ".ARM.exidx", ".ARM.extab", ".init_array", ".zero_table")
bad = []
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond: bad.append(what)
secs = {}
for line in open(path):
    f = line.split()
    if len(f) == 3 and f[0].startswith(".") and f[1].isdigit():
        secs[f[0]] = (int(f[1]), int(f[2]))
used = {r: 0 for r in regions}
where = {}
for name, (size, addr) in secs.items():
    if name.startswith((".debug", ".comment", ".ARM.attributes")) or size == 0:
        continue
    inside = [r for r, (o, l) in regions.items() if o <= addr and addr + size <= o + l]
    check(len(inside) == 1, "%s: %s (%d bytes at 0x%08x) lies inside %s" % (board, name, size, addr, inside or "no memory"))
    if inside:
        used[inside[0]] += size
        where[name] = inside[0]
load = sum(secs[s][0] for s in flash_sections if s in secs) + secs.get(".data", (0, 0))[0] + secs.get(".itcm", (0, 0))[0]
check(load <= regions["FLASH"][1], "%s: flash image %d bytes <= %d" % (board, load, regions["FLASH"][1]))
if want_arena != "-":
    check(where.get(".arena") == want_arena, "%s: the arena is in %s (%s)" % (board, want_arena, where.get(".arena")))
for pool, region in ((".dtcm_pool", "DTCM"), (".sram_pool", "SRAM")):
    if pool in where:
        check(where[pool] == region, "%s: %s is in %s" % (board, pool, region))
print("SIZES %s flash %d of %d, DTCM %d of %d (arena %d, stack %d), SRAM %d of %d" % (
    board, load, regions["FLASH"][1], used["DTCM"], regions["DTCM"][1], secs.get(".arena", (0, 0))[0],
    secs.get(".stack", (0, 0))[0], used["SRAM"], regions["SRAM"][1]))
sys.exit(1 if bad else 0)
PY
}

for board in stm32f746 stm32h743; do
  echo "== $board"
  if ! build "$board" "$w/$board"; then fail "$board: the firmware does not build"; continue; fi
  check_fit "$board" "$w/$board/fw.elf" DTCM || fail "$board: does not fit as expected"
  arm-none-eabi-size "$w/$board/fw.elf" | sed 's/^/   /'
  # The same firmware with the placement forced to SRAM (an arena too large for DTCM beside the stack).
  if build "$board" "$w/$board.sram" MCUNET_ARENA_BYTES=200000; then
    check_fit "$board" "$w/$board.sram/fw.elf" SRAM > "$w/fit.sram.log" && ok "$board: arena in SRAM when forced" ||
      { cat "$w/fit.sram.log"; fail "$board: arena not in SRAM when forced"; }
  else fail "$board: the SRAM-arena firmware does not build"; fi
  # Two pools: the fastest in DTCM, the rest in SRAM.
  if build "$board" "$w/$board.pools" MODEL_FLAGS="--pool dtcm:16384 --pool sram:300000"; then
    check_fit "$board" "$w/$board.pools/fw.elf" - > "$w/fit.pools.log" && grep -q "ok: $board: .dtcm_pool is in DTCM" "$w/fit.pools.log" &&
      ok "$board: --pool dtcm/sram land in DTCM and SRAM" || { cat "$w/fit.pools.log"; fail "$board: pools misplaced"; }
  else fail "$board: the pooled firmware does not build"; fi
done

echo "== mps2_an500 (QEMU)"
if build mps2_an500 "$w/emu"; then
  if timeout 300 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
      -kernel "$w/emu/fw.elf" > "$w/emu.out" 2>&1; then
    sed 's/^/   | /' "$w/emu.out"
    sed -n 's/^output0 ([0-9]* bytes)://p' "$w/emu.out" | tr -d ' \n' > "$w/got.hex"
    od -An -tx1 -v "$expected" | tr -d ' \n' > "$w/want.hex"
    [[ -s $w/got.hex ]] && cmp -s "$w/got.hex" "$w/want.hex" && ok "emulator: output0 equals $(basename "$expected")" ||
      fail "emulator: output0 '$(cat "$w/got.hex")' differs from '$(cat "$w/want.hex")'"
  else
    fail "emulator firmware failed on QEMU: $(tail -n 3 "$w/emu.out")"
  fi
else fail "the emulator firmware does not build"; fi
finish
