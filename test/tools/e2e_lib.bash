# e2e_lib.bash: shared helpers of the end-to-end scripts in test/e2e (sourced, not run): paths, skip/fail, checks.
# Every script sources it as: source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
# It sets: build (absolute BUILD_DIR), shared, src (the source tree), bin (tools), tools (this directory),
# models (examples/models), py (/usr/bin/python3), w (a temporary work directory removed on exit).
set -u
[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [SHARED_DIR]"; exit 2; }
build=$(readlink -f "$1")
shared=${2:-}
src=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")
tools=$src/test/tools
models=$src/examples/models
bin=$build/bin
py=/usr/bin/python3
w=$(mktemp -d "${TMPDIR:-/tmp}/mcunet-e2e.XXXXXX")
trap 'rm -rf "$w"' EXIT
failures=0

# skip MESSAGE: the test cannot run here (a system file or tool is absent).
skip() { echo "SKIP: $*"; exit 77; }
# fail MESSAGE: records a failure and goes on, so one run reports every problem.
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# ok MESSAGE: prints a passed check.
ok() { echo "ok: $*"; }
# finish: the exit status of the script.
finish() {
  if ((failures)); then echo "$failures check(s) failed"; exit 1; fi
  echo "PASS"; exit 0
}
# need_file PATH... / need_cmd NAME...: skip when absent.
need_file() { local f; for f; do [[ -e $f ]] || skip "$f not found"; done; }
need_cmd() { local c; for c; do command -v "$c" >/dev/null || skip "$c not found"; done; }
# need_built TOOL...: a tool of this build is missing: that is a failure, not a skip.
need_built() { local t; for t; do [[ -x $bin/$t ]] || { echo "FAIL: $bin/$t not built"; exit 1; }; done; }
need_python_onnx() { "$py" -c 'import onnx, numpy' 2>/dev/null || skip "$py lacks onnx/numpy"; }

# header_macro HEADER NAME: the value of "#define NAME value" (empty when absent).
header_macro() { sed -n "s/^#define $2[[:space:]]\+\(.*[^[:space:]]\)[[:space:]]*$/\1/p" "$1" | head -n 1; }

# run_cmd LOG CMD...: runs CMD with stdout+stderr in LOG; on failure prints the command and the log.
run_cmd() {
  local log=$1; shift
  "$@" > "$log" 2>&1
  local rc=$?
  ((rc == 0)) && return 0
  echo "   command failed (status $rc): $*"
  sed 's/^/   | /' "$log" | head -n 20
  return $rc
}

# same_bytes WHAT EXPECTED GOT: compares two files byte for byte; on a mismatch shows both as hex.
same_bytes() {
  if cmp -s "$2" "$3"; then ok "$1"; return 0; fi
  fail "$1: $(basename "$3") differs from $(basename "$2")"
  echo "   expected: $(od -An -tx1 -v "$2" | head -c 300 | tr -s ' \n' ' ')"
  echo "   got:      $(od -An -tx1 -v "$3" 2>/dev/null | head -c 300 | tr -s ' \n' ' ')"
  return 1
}

# m7_kernel_cc SRC OBJ: compiles a C file with the kernel library's Cortex-M7 flags (clang-22, the DSP extension on,
# runtime/kernels on the include path), for firmware that runs kernel code on QEMU mps2-an500; the log in OBJ.log.
m7_kernel_cc() {
  clang-22 --target=thumbv7em-none-unknown-eabihf -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb \
    --sysroot=/usr/lib/arm-none-eabi -std=c17 -O2 -ffp-contract=off -fno-math-errno \
    -I"$(dirname "${BASH_SOURCE[0]}")/../../runtime/kernels" -c "$1" -o "$2" > "$2.log" 2>&1
}

# m7_firmware ELF SRC_OR_OBJ...: links an mps2-an500 firmware (the harness's startup and linker script, newlib with
# semihosting) from C sources and objects; the log in ELF.log.
m7_firmware() {
  local elf=$1; shift
  local h k
  h=$(dirname "${BASH_SOURCE[0]}")/../../runtime/harness
  k=$(dirname "${BASH_SOURCE[0]}")/../../runtime/kernels
  arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -O2 -std=c17 -ffp-contract=off \
    --specs=nano.specs --specs=rdimon.specs -nostartfiles -T "$h/mps2_an500.ld" -I"$k" "$h/startup.c" "$@" \
    -o "$elf" -lm -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments > "$elf.log" 2>&1
}

# m7_run ELF LOG [SECONDS]: runs a firmware on QEMU mps2-an500 with semihosting (its output in LOG); its exit status.
m7_run() {
  timeout "${3:-300}" qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
    -kernel "$1" > "$2" 2>&1
}
