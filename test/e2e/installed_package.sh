#!/usr/bin/env bash
# installed_package.sh BUILD_DIR SHARED_DIR: a firmware project outside the repository, using only the installed
# package. `cmake --install` puts mcunet into a temporary prefix; a project generated in a temporary directory
# calls find_package(mcunet), mcunet_add_model (person_detect.tflite from ../shared), mcunet_target_board and
# mcunet_example_main, and is configured with the installed Cortex-M7 toolchain file for stm32f746 and for the
# emulator (mps2-an500). Both build; the STM32 one has its arena in DTCM and fits the board's flash; the emulator
# one runs on QEMU and prints TF Lite Micro's output bytes. A second build does nothing; touching the model or
# changing the flags re-runs mcunetc. The installed plain-make helper (mcunet.mk) builds the same emulator firmware,
# and `cpack -G DEB` builds a Debian package holding the tools, the CMake helper and the board files.
# Skips when ../shared is absent.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
[[ -n $shared && -f $shared/models/tflite/person_detect.tflite ]] || skip "the shared models are not there ($shared)"
need_built mcunetc mcunet-run mcunet-opt
need_cmd cmake ninja arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm make

prefix=$w/prefix
run_cmd "$w/install.log" cmake --install "$build" --prefix "$prefix" || { fail "cmake --install"; finish; }
for f in bin/mcunetc bin/mcunet-run bin/mcunet-opt lib/cmake/mcunet/mcunetConfig.cmake \
    lib/cmake/mcunet/mcunetConfigVersion.cmake include/mcunet/mcunet_fw.h share/mcunet/mcunet.mk \
    share/mcunet/harness/startup.c share/mcunet/harness/mps2_an500.ld share/mcunet/boards/stm32f746/stm32f746.ld.in; do
  [[ -f $prefix/$f ]] || fail "not installed: $f"
done

proj=$w/project
mkdir -p "$proj"
cp "$shared/models/tflite/person_detect.tflite" "$proj/net.tflite"
cp "$shared/models/expected/inputs/person_detect.person.bin" "$proj/input.bin"
expected=$shared/models/expected/outputs/person_detect.person.out0.bin
cat > "$proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(outside_firmware C ASM)
find_package(mcunet 0.1 REQUIRED)
set(BOARD stm32f746 CACHE STRING "stm32f746, stm32h743 or mps2-an500")
set(EXTRA_FLAGS "" CACHE STRING "more mcunetc options")
add_executable(fw)
mcunet_add_model(TARGET fw MODEL net.tflite NAME net BOARD ${BOARD} OPTIONS ${EXTRA_FLAGS})
mcunet_target_board(TARGET fw BOARD ${BOARD})
mcunet_example_main(TARGET fw NAME net INPUT input.bin)
CMAKE

# configure BOARD DIR [cmake args]
configure() {
  local board=$1 dir=$2; shift 2
  run_cmd "$w/cfg.$board.log" cmake -S "$proj" -B "$dir" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_TOOLCHAIN_FILE="$prefix/lib/cmake/mcunet/mcunet-arm-none-eabi.cmake" -DBOARD="$board" "$@"
}

for board in stm32f746 mps2-an500; do
  echo "== $board"
  d=$w/build.$board
  if ! configure "$board" "$d" || ! run_cmd "$w/build.$board.log" cmake --build "$d"; then
    fail "$board: the outside project does not build"; continue
  fi
  ok "$board: built with the installed package only"
  arm-none-eabi-size "$d/fw.elf" | sed 's/^/   /'
done

d=$w/build.stm32f746
if [[ -f $d/fw.elf ]]; then
  arena=$(arm-none-eabi-size -A -d "$d/fw.elf" | awk '$1 == ".arena" { print $3 }')
  [[ $arena == 536870912 ]] && ok "stm32f746: the arena is at 0x20000000 (DTCM)" || fail "stm32f746: arena at '$arena'"
  grep -q -- "--board=stm32f746" "$d/mcunet/net/net.flags" && ok "stm32f746: mcunetc checked the fit (--board)" ||
    fail "stm32f746: no --board in the mcunetc flags"
  # Rebuilds: nothing to do; the model touched -> mcunetc again; a flag changed -> mcunetc again.
  cmake --build "$d" > "$w/rebuild0.log" 2>&1
  grep -q "no work to do" "$w/rebuild0.log" && ok "stm32f746: a second build does nothing" ||
    fail "stm32f746: second build did work: $(tail -n 2 "$w/rebuild0.log")"
  touch "$proj/net.tflite"
  cmake --build "$d" > "$w/rebuild1.log" 2>&1
  grep -q "mcunetc net" "$w/rebuild1.log" && ok "stm32f746: touching the model re-runs mcunetc" ||
    fail "stm32f746: mcunetc did not re-run after touching the model"
  configure stm32f746 "$d" -DEXTRA_FLAGS=--no-schedule && cmake --build "$d" > "$w/rebuild2.log" 2>&1
  grep -q "mcunetc net" "$w/rebuild2.log" && grep -q -- "--no-schedule" "$d/mcunet/net/net.flags" &&
    ok "stm32f746: a changed flag re-runs mcunetc" || fail "stm32f746: mcunetc did not re-run after a flag change"
fi

# check_emulator ELF WHAT: runs the firmware on QEMU and compares output0 with TF Lite Micro's bytes.
check_emulator() {
  local elf=$1 what=$2
  if ! timeout 300 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
      -kernel "$elf" > "$w/qemu.out" 2>&1; then
    fail "$what: the firmware failed on QEMU: $(tail -n 3 "$w/qemu.out")"; return
  fi
  sed 's/^/   | /' "$w/qemu.out"
  sed -n 's/^output0 ([0-9]* bytes)://p' "$w/qemu.out" | tr -d ' \n' > "$w/got.hex"
  od -An -tx1 -v "$expected" | tr -d ' \n' > "$w/want.hex"
  [[ -s $w/got.hex ]] && cmp -s "$w/got.hex" "$w/want.hex" &&
    ok "$what: prints TF Lite Micro's output ($(cat "$w/want.hex"))" ||
    fail "$what: output '$(cat "$w/got.hex")', expected '$(cat "$w/want.hex")'"
}
[[ -f $w/build.mps2-an500/fw.elf ]] && check_emulator "$w/build.mps2-an500/fw.elf" "emulator (CMake helper)"

# The plain-make helper from the installed prefix.
mk=$w/make
mkdir -p "$mk"
cat > "$mk/Makefile" <<MAKE
MCUNET_BOARD := mps2_an500
MCUNET_OUT := $mk/out
include $prefix/share/mcunet/mcunet.mk
\$(eval \$(call mcunet_model,net,$proj/net.tflite,))
SOURCES := \$(MCUNET_FIRMWARE_DIR)/fw_main.c \$(MCUNET_FIRMWARE_DIR)/fw_input.S \$(MCUNET_BOARD_SOURCES)
fw.elf: \$(SOURCES) \$(MCUNET_OBJS) \$(MCUNET_LDSCRIPT)
	\$(MCUNET_CC) \$(MCUNET_CFLAGS) -DMCUNET_FW_MODEL=net '-DMCUNET_FW_HEADER="net.h"' \\
	  '-DMCUNET_FW_INPUT_FILE="$proj/input.bin"' \$(SOURCES) \$(MCUNET_OBJS) \$(MCUNET_LDFLAGS) -o \$@
.DEFAULT_GOAL := fw.elf
MAKE
if run_cmd "$w/make.log" make -C "$mk"; then
  check_emulator "$mk/fw.elf" "emulator (installed mcunet.mk)"
else fail "the installed mcunet.mk does not build the emulator firmware"; fi

# The Debian package.
if command -v cpack > /dev/null && command -v dpkg-deb > /dev/null; then
  if run_cmd "$w/cpack.log" cpack -G DEB -B "$w/pkg" --config "$build/CPackConfig.cmake"; then
    deb=$(ls "$w"/pkg/*.deb 2>/dev/null | head -n 1)
    if [[ -n $deb ]]; then
      dpkg-deb -c "$deb" > "$w/deb.txt"
      dpkg-deb -f "$deb" Package Version Depends | sed 's/^/   /'
      for f in ./usr/bin/mcunetc ./usr/bin/mcunet-run ./usr/bin/mcunet-opt ./usr/lib/cmake/mcunet/mcunetConfig.cmake \
          ./usr/share/mcunet/mcunet.mk ./usr/share/mcunet/boards/stm32h743/board.c ./usr/include/mcunet/mcunet_fw.h; do
        grep -q " $f\$" "$w/deb.txt" || fail "the Debian package lacks $f"
      done
      ok "cpack -G DEB: $(basename "$deb") ($(stat -c %s "$deb") bytes)"
    else fail "cpack produced no .deb"; fi
  else fail "cpack -G DEB failed"; fi
else echo "note: cpack or dpkg-deb absent: no Debian package check"; fi
finish
