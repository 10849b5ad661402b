#!/usr/bin/env bash
# configs.sh: the speed benchmark of the MCUNet configurations (bench/run.sh calls it), as a Markdown section.
#
# Usage: bench/configs.sh [--build DIR] [--shared DIR] [--target cortex-m7|cortex-m4] [--board B] [CONFIG.json...]
#   CONFIG: MCUNet JSON network configs (default: every SHARED/models/mcunet-configs/*.json)
#   --board B  compile with --board B (default: none, the compiler's default schedule)
# For each config: `mcunet-nas export CONFIG -o net.onnx` (int8 ONNX, deterministic weights from seed 1: the
# architecture is what is measured, not accuracy), `mcunetc net.onnx --target T` for the object's `.text` bytes and
# arena, one `mcunet-run net.onnx --target T --per-layer` on a deterministic input (bytes of a fixed LCG), and
# `mcunet-nas cost CONFIG` for the cost model's figures: its instruction estimate is printed next to the measured
# count (the estimate's error is the NAS driver's latency-model error, docs/nas.md).
# Known weaknesses: one input per network; these are ONNX models (ONNX's requantization, docs/numerics-onnx.md), so
# their kernels are the ONNX-numerics ones, not the TFLite ones the shared .tflite models use.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$src/build
shared=
target=cortex-m7
board=
configs=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --shared) shared=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --board) board=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "configs.sh: unknown option $1" >&2; exit 2 ;;
    *) configs+=("$1"); shift ;;
  esac
done
if [[ -z $shared ]]; then
  for d in "$src/../shared" /work/shared; do [[ -d $d/models/mcunet-configs ]] && { shared=$d; break; }; done
fi
if ((${#configs[@]} == 0)); then
  [[ -n $shared ]] || { echo "configs.sh: no shared directory with models/mcunet-configs" >&2; exit 2; }
  for c in "$shared"/models/mcunet-configs/*.json; do configs+=("$c"); done
fi
for t in mcunet-nas mcunetc mcunet-run; do
  [[ -x $build/bin/$t ]] || { echo "configs.sh: $build/bin/$t not built" >&2; exit 2; }
done
w=$(mktemp -d "${TMPDIR:-/tmp}/mcunet-configs.XXXXXX")
trap 'rm -rf "$w"' EXIT
group() { printf "%s" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
bflag=()
[[ -n $board ]] && bflag=(--board "$board")

status=0
echo "### MCUNet configurations on $target${board:+ (--board $board)}"
echo
echo "Produced by \`bench/configs.sh --target $target${board:+ --board $board}\` (exported with \`mcunet-nas export\`,"
echo "seed 1; instructions of one SYM_run call; estimate = \`mcunet-nas cost\`'s \`instructions_estimate\`)."
echo
echo "| config | MACs | instructions | MACs/instr | estimate | estimate error | arena bytes | .text bytes |"
echo "|---|---|---|---|---|---|---|---|"
for c in "${configs[@]}"; do
  name=$(basename "$c" .json)
  d=$w/$name
  mkdir -p "$d"
  if ! "$build/bin/mcunet-nas" export "$c" -o "$d/net.onnx" 2> "$d/err"; then
    echo "| \`$name\` | export failed: $(tail -n 1 "$d/err") | | | | | | |"; status=1; continue
  fi
  if ! "$build/bin/mcunetc" "$d/net.onnx" --target="$target" "${bflag[@]}" -o "$d/net.o" 2> "$d/err"; then
    if grep -q "bytes of SRAM, board\|bytes of flash" "$d/err"; then # a fact about the board, not a failure
      echo "| \`$name\` | does not fit $board: $(grep -o 'needs [0-9]* bytes of [A-Za-z]*' "$d/err" | head -n 1) | | | | | | |"
    else
      echo "| \`$name\` | mcunetc failed: $(tail -n 1 "$d/err") | | | | | | |"; status=1
    fi
    continue
  fi
  bytes=$(awk '/_INPUT0_BYTES/ { print $3; exit }' "$d/net.h")
  arena=$(awk '/^#define [A-Za-z0-9_]*_ARENA_SIZE / { print $3; exit }' "$d/net.h")
  awk -v n="$bytes" 'BEGIN { s = 12345; for (i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648
      printf "%c", int(s / 65536) % 256 } }' | LC_ALL=C cat > "$d/in.bin"
  if ! "$build/bin/mcunet-run" "$d/net.onnx" --target="$target" "${bflag[@]}" --input "$d/in.bin" --per-layer \
      > "$d/run.txt" 2> "$d/err"; then
    echo "| \`$name\` | mcunet-run failed: $(tail -n 1 "$d/err") | | | | | | |"; status=1; continue
  fi
  instr=$(awk '/^instructions:/ { print $2 }' "$d/run.txt")
  macs=$(awk '/^total:/ { print $4 }' "$d/run.txt")
  text=$(arm-none-eabi-size -A "$d/net.o" | awk '$1 ~ /^\.text/ { s += $2 } END { print s + 0 }')
  est=$("$build/bin/mcunet-nas" cost "$c" "${bflag[@]}" 2> "$d/err" |
    sed -n 's/.*"instructions_estimate": \([0-9]*\).*/\1/p')
  per=$(awk -v a="$macs" -v b="$instr" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
  if [[ -n $est ]]; then
    err=$(awk -v e="$est" -v m="$instr" 'BEGIN { printf "%+.1f%%", m ? 100 * (e - m) / m : 0 }')
    est=$(group "$est")
  else
    est="-"; err="-"
  fi
  echo "| \`$name\` | $(group "$macs") | $(group "$instr") | $per | $est | $err | $(group "$arena") | $(group "$text") |"
done
exit $status
