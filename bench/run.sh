#!/usr/bin/env bash
# run.sh: the speed benchmark (not a test): instructions per inference, MACs per instruction, the slowest layers,
# code bytes and the ratio to TF Lite Micro + CMSIS-NN for the shared real models, as Markdown.
#
# Usage: bench/run.sh [--build DIR] [--shared DIR] [--target cortex-m7|cortex-m4] [--board NAME|none] [--out FILE]
#                     [--top N] [--no-configs] [MODEL...]
#   MODEL: a stem of SHARED/models/tflite/MODEL.tflite (default: every one of them).
#   --build DIR   the build directory with bin/mcunet-run (default: build)
#   --shared DIR  the shared directory (default: ../shared, else /work/shared)
#   --out FILE    write the Markdown there (default: stdout)
#   --top N       slowest layers listed per model (default 5)
#   --no-configs  skip the MCUNet configurations (bench/configs.sh, about a minute per target)
#   --board NAME  compile for that board (mcunetc --board: the fastest memory schedule that fits its SRAM, and the
#                 fit checked); default stm32f746 for cortex-m7 (the board of ../shared/docs/anchors.md), stm32f412
#                 for cortex-m4; `none`: no board (the least-memory schedule: every inverted-residual block streamed)
# For each model: one `mcunet-run MODEL --target T --board B --input IN --per-layer --keep DIR` with IN the first file of
# SHARED/models/expected/inputs/MODEL.*.bin (its outputs are compared with TF Lite Micro's expected ones: the
# "outputs" column), the exact executed instructions of SYM_run (per layer; mcunet-run checks that the layers and
# the glue add up to the total, which is the plain --count figure: the code is not instrumented), MACs from the
# compiled program, `.text` bytes of the measured object (arm-none-eabi-size -A: every .text* section, i.e. the
# model's code with the kernel code linked into it; weights are in .rodata.SYM and not counted), and the ratio to
# the "TFLM + CMSIS-NN instructions" column of SHARED/docs/anchors.md (measured on the emulated Cortex-M7 with the
# same counting; for --target cortex-m4 the ratio is still against those M7 figures), and the arena bytes
# (SYM_ARENA_SIZE of the measured object's header: all the SRAM the model needs, scratch included).
# Known weaknesses: instruction counts are a proxy for cycles; one input per model (counts vary by a few
# instructions across inputs). The MCUNet configurations (SHARED/models/mcunet-configs/*.json) follow, exported to
# int8 ONNX by the NAS driver and measured by bench/configs.sh.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$src/build
shared=
target=cortex-m7
out=
top=5
configs=1
board=
models=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --shared) shared=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    --no-configs) configs=0; shift ;;
    --board) board=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
if [[ -z $shared ]]; then
  for d in "$src/../shared" /work/shared; do [[ -d $d/models/tflite ]] && { shared=$d; break; }; done
fi
[[ -n $shared && -d $shared/models/tflite ]] || { echo "run.sh: no shared directory with models/tflite" >&2; exit 2; }
run=$build/bin/mcunet-run
[[ -x $run ]] || { echo "run.sh: $run not built" >&2; exit 2; }
case $target in cortex-m7|cortex-m4) ;; *) echo "run.sh: --target must be cortex-m7 or cortex-m4" >&2; exit 2 ;; esac
[[ -z $board ]] && { [[ $target == cortex-m7 ]] && board=stm32f746 || board=stm32f412; }
board_args=(--board "$board")
[[ $board == none ]] && board_args=()
for c in arm-none-eabi-size qemu-system-arm; do
  command -v "$c" >/dev/null || { echo "run.sh: $c not found" >&2; exit 2; }
done
anchors=$shared/docs/anchors.md
exp=$shared/models/expected
if ((${#models[@]} == 0)); then
  for m in "$shared"/models/tflite/*.tflite; do models+=("$(basename "$m" .tflite)"); done
fi
w=$(mktemp -d "${TMPDIR:-/tmp}/mcunet-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT

# anchor MODEL: the TFLM + CMSIS-NN instruction count of MODEL.tflite in anchors.md (empty when absent).
anchor() {
  [[ -f $anchors ]] || return 0
  awk -F'|' -v m="$1.tflite" '
    /TFLM \+ CMSIS-NN instructions/ { for (i = 1; i <= NF; i++) if ($i ~ /TFLM \+ CMSIS-NN instructions/) col = i }
    col && $2 ~ "^ *" m " *$" { v = $col; sub(/\(.*/, "", v); gsub(/[ ,]/, "", v); print v; exit }' "$anchors"
}

# group N: 1234567 -> 1,234,567
group() { printf "%s" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

summary=$w/summary.md
layers=$w/layers.md
onebyone=$w/onebyone.md
: > "$summary"
: > "$layers"
: > "$onebyone"
status=0
for m in "${models[@]}"; do
  model=$shared/models/tflite/$m.tflite
  input=$(ls "$exp/inputs/$m".*.bin 2>/dev/null | head -n 1)
  if [[ ! -f $model || -z $input ]]; then
    echo "| \`$m\` | model or input missing | | | | | | | | |" >> "$summary"; status=1; continue
  fi
  d=$w/$m
  nout=$(ls "$exp/outputs/$(basename "$input" .bin)".out*.bin 2>/dev/null | wc -l)
  args=()
  for ((j = 0; j < nout; j++)); do args+=(--output "$d.out$j.bin"); done
  if ! "$run" "$model" --target="$target" "${board_args[@]}" --input "$input" --per-layer --keep "$d" "${args[@]}" \
      > "$d.txt" 2> "$d.err"; then
    echo "| \`$m\` | mcunet-run failed: $(tail -n 1 "$d.err") | | | | | | | | |" >> "$summary"; status=1; continue
  fi
  match=yes
  for ((j = 0; j < nout; j++)); do
    cmp -s "$exp/outputs/$(basename "$input" .bin).out$j.bin" "$d.out$j.bin" || match=NO
  done
  ((nout > 0)) || match="(no expected output)"
  [[ $match == NO ]] && status=1
  instr=$(awk '/^instructions:/ { print $2 }' "$d.txt")
  macs=$(awk '/^total:/ { print $4 }' "$d.txt")
  text=$(arm-none-eabi-size -A "$d/model.o" | awk '$1 ~ /^\.text/ { s += $2 } END { print s + 0 }')
  arena=$(awk '/#define [A-Za-z0-9_]*_ARENA_SIZE / { print $3; exit }' "$d/model.h" 2>/dev/null)
  arena=${arena%u}; arena=${arena%U}; [[ -n $arena ]] || arena=?
  ref=$(anchor "$m")
  per=$(awk -v a="$macs" -v b="$instr" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
  ipm=$(awk -v a="$macs" -v b="$instr" 'BEGIN { if (a) printf "%.2f", b / a; else printf "-" }')
  if [[ -n $ref ]]; then
    ratio=$(awk -v a="$instr" -v b="$ref" 'BEGIN { printf "%.3fx", a / b }')
    refs=$(group "$ref")
  else
    ratio="-"; refs="-"
  fi
  echo "| \`$m\` | $(group "$macs") | $(group "$instr") | $per | $ipm | $refs | $ratio | $(group "$text") | $(group "$arena") | $match |" >> "$summary"
  {
    echo
    nl=$(grep -c '^layer [0-9]*:' "$d.txt")
    echo "### \`$m\` on $target: the $((top < nl ? top : nl)) slowest of $nl layers"
    echo
    echo "| layer | op | shape | instructions | share | MACs | MACs/instr | name |"
    echo "|---|---|---|---|---|---|---|---|"
    grep '^layer [0-9]*:' "$d.txt" | sort -k4,4nr -s | head -n "$top" | awk -v total="$instr" '{
      name = ""; for (i = 8; i <= NF; i++) name = name (i > 8 ? " " : "") $i
      gsub(/\|/, "\\|", name)
      idx = $2; sub(/:$/, "", idx)
      printf "| %s | %s | %s | %s | %.1f%% | %s | %s | %s |\n", idx, $3, $7, group($4), total ? 100 * $4 / total : 0,
        group($5), $6, name }
    function group(n,   s) { s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } return n s }'
  } >> "$layers"
  # 1x1 convolutions with 16 or more input channels (the kernel issue's bar: at least 1.0 MAC per instruction).
  grep '^layer [0-9]*:' "$d.txt" | awk -v m="$m" '$3 == "conv2d" && $7 ~ /^1x1s[0-9]+:[0-9]+->/ {
      split(substr($7, index($7, ":") + 1), io, "->"); if (io[1] + 0 < 16 || $4 == 0) next
      r = $5 / $4; n++; if (r >= 1.0) good++; if (n == 1 || r < lo) lo = r; if (n == 1 || r > hi) hi = r }
    END { if (n) printf "| `%s` | %d | %.2f | %.2f | %d |\n", m, n, lo, hi, good
          else printf "| `%s` | 0 | - | - | - |\n", m }' >> "$onebyone"
done

{
  echo "## mcunet on the emulated $target ($(date -u +%Y-%m-%d), $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  if [[ $board == none ]]; then
    echo "Compiled without a board: the least-memory schedule (every inverted-residual block streamed)."
  else
    echo "Compiled with \`--board $board\`: the fastest memory schedule that fits its SRAM (blocks streamed or"
    echo "patches only when the model would not fit otherwise), the fit checked."
  fi
  echo
  echo "Produced by \`bench/run.sh --target $target --board $board\`: instructions are the exact count of one SYM_run call"
  echo "(\`mcunet-run --count\`), MACs from the compiled program, \`.text\` the object's code bytes (arm-none-eabi-size),"
  echo "ratio = instructions / TF Lite Micro + CMSIS-NN instructions on the emulated Cortex-M7 (../shared/docs/anchors.md),"
  echo "arena = SYM_ARENA_SIZE (all the model's SRAM, scratch included),"
  echo "outputs = equal to TF Lite Micro's expected bytes for the input used."
  echo
  echo "| model | MACs | instructions | MACs/instr | instr/MAC | TFLM + CMSIS-NN | ratio | .text bytes | arena bytes | outputs |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  cat "$summary"
  cat "$layers"
  echo
  echo "### 1x1 convolutions with 16 or more input channels (separate layers; those inside stream blocks are not split out)"
  echo
  echo "| model | layers | lowest MACs/instr | highest MACs/instr | at least 1.0 |"
  echo "|---|---|---|---|---|"
  cat "$onebyone"
  echo
  if ((configs)); then
    cbargs=()
    [[ $board != none ]] && cbargs=(--board "$board")
    bash "$here/configs.sh" --build "$build" --shared "$shared" --target "$target" "${cbargs[@]}" || status=1
  else
    echo "MCUNet configurations: not measured (--no-configs; bench/configs.sh measures them)."
  fi
} > "$w/out.md"
if [[ -n $out ]]; then cp "$w/out.md" "$out"; else cat "$w/out.md"; fi
exit $status
