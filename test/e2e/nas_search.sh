#!/usr/bin/env bash
# nas_search.sh: mcunet-nas search (both stages) on stm32f746 with a small budget:
#  - an uninterrupted run prints the stage-1 ranking, writes the CDF SVG and the best config;
#  - the best config exports and compiles with mcunetc --board stm32f746 (it fits), with the SRAM the search reported;
#  - a run killed (SIGKILL) once in stage 1 and once in stage 2, and resumed from its checkpoint each time, prints
#    the same result as the uninterrupted run; a checkpoint from other options is refused;
#  - --jobs 1 and --jobs 2 give the same result; so do two MPI ranks (mpirun -np 2; skipped without mpirun);
#  - --sram and --instructions bound the best network;
#  - an external evaluator (the line protocol of docs/nas.md) drives the fitness.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunet-nas mcunetc
nas=$bin/mcunet-nas
args=(--board stm32f746 --samples 2 --population 8 --iterations 6 --seed 5 --quiet)
small=(--board stm32f746 --space-index 7 --population 6 --iterations 3 --seed 2 --quiet)

"$nas" search "${args[@]}" --svg "$w/cdf.svg" --out "$w/best.json" >"$w/full.out" 2>"$w/err" ||
  { fail "search: $(cat "$w/err")"; finish; }
grep -q "^stage 1 ranking" "$w/full.out" && grep -Eq "^ +1\. width" "$w/full.out" || fail "no stage-1 ranking"
grep -q "<polyline" "$w/cdf.svg" || fail "the SVG has no CDF"
sram=$(sed -n 's/^best: .*"peak_sram_bytes": \([0-9]*\).*/\1/p' "$w/full.out")
[[ -n $sram ]] && ok "search: best needs $sram B of SRAM" || fail "no best line"

# The best network compiles and fits, with the SRAM the search reported (the schedule it used).
sched=$(sed -n 's/^best: .*"schedule": "\([a-z0-9-]*\)".*/\1/p' "$w/full.out")
case $sched in default) p=auto ;; patches-off) p=off ;; patches-2x2) p=2x2 ;; patches-4x4) p=4x4 ;; *) p=? ;; esac
"$nas" export "$w/best.json" -o "$w/best.onnx" || fail "export of the best"
if "$bin/mcunetc" "$w/best.onnx" -o "$w/best.o" --board stm32f746 --patches=$p 2>"$w/err"; then
  arena=$(header_macro "$w/best.h" model_ARENA_SIZE)
  [[ $arena == "$sram" ]] && ok "best compiles for stm32f746 (--patches=$p), arena $arena" ||
    fail "best: SYM_ARENA_SIZE $arena, search said $sram"
else fail "mcunetc --board stm32f746 on the best: $(cat "$w/err")"; fi

# wait_for FILE PATTERN PID: until FILE matches PATTERN (or the process ended); 0 when it matched.
wait_for() {
  local i
  for ((i = 0; i < 600; i++)); do
    [[ -f $1 ]] && grep -Eq "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
ck=$w/ck.txt
setsid "$nas" search "${args[@]}" --checkpoint "$ck" >/dev/null 2>&1 & pid=$!
if wait_for "$ck" '^stage1 [0-9]+ ([3-9]|[12][0-9]) ' $pid; then kill -KILL -- -$pid; ok "killed in stage 1: $(grep ^stage1 "$ck")"
else fail "the checkpoint never showed stage 1 in progress"; fi
wait $pid 2>/dev/null
setsid "$nas" search "${args[@]}" --checkpoint "$ck" >/dev/null 2>&1 & pid=$!
if wait_for "$ck" '^stage2 [1-4] ' $pid; then kill -KILL -- -$pid; ok "killed in stage 2: $(grep ^stage2 "$ck")"
else fail "the checkpoint never showed stage 2 in progress"; fi
wait $pid 2>/dev/null
"$nas" search "${args[@]}" --checkpoint "$ck" >"$w/resumed.out" 2>"$w/err" || fail "resume: $(cat "$w/err")"
cmp -s "$w/full.out" "$w/resumed.out" && ok "killed twice and resumed: same result" ||
  fail "resumed result differs: $(diff "$w/full.out" "$w/resumed.out" | head -5)"
if "$nas" search "${args[@]}" --iterations 7 --checkpoint "$ck" >/dev/null 2>"$w/err"; then
  fail "a checkpoint of other options was accepted"
else ok "checkpoint of other options refused: $(cat "$w/err")"; fi

"$nas" search "${small[@]}" --jobs 1 >"$w/j1.out" 2>&1 && "$nas" search "${small[@]}" --jobs 2 >"$w/j2.out" 2>&1 &&
  cmp -s "$w/j1.out" "$w/j2.out" && ok "--jobs 1 and --jobs 2 agree" || fail "--jobs changes the result"

if command -v mpirun >/dev/null; then
  if OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 \
      "$nas" search "${small[@]}" --jobs 1 >"$w/mpi.out" 2>"$w/err"; then
    cmp -s "$w/j1.out" "$w/mpi.out" && ok "mpirun -np 2 agrees" || fail "MPI result differs"
  elif grep -qi "root\|not enough slots\|orte\|prte" "$w/err"; then echo "SKIP (MPI): mpirun refused: $(head -2 "$w/err")"
  else fail "mpirun -np 2: $(head -5 "$w/err")"; fi
else echo "SKIP (MPI): mpirun not found"; fi

# Lower limits than the board's: --sram and an instruction budget bound the best network.
if "$nas" search "${small[@]}" --sram 120000 --instructions 150000000 >"$w/lim.out" 2>"$w/err"; then
  s=$(sed -n 's/^best: .*"peak_sram_bytes": \([0-9]*\).*/\1/p' "$w/lim.out")
  i=$(sed -n 's/^best: .*"instructions_estimate": \([0-9]*\).*/\1/p' "$w/lim.out")
  [[ -n $s && -n $i && $s -le 120000 && $i -le 150000000 ]] && ok "limits: SRAM $s <= 120000, instructions $i" ||
    fail "limits not kept: SRAM '$s', instructions '$i'"
else fail "search with --sram/--instructions: $(cat "$w/err")"; fi

# External evaluator: scores each candidate -peak_sram_bytes (the smallest SRAM wins), checking the ids.
cat >"$w/eval.py" <<'PY'
import json, sys
expected = 0
for line in sys.stdin:
    req = json.loads(line)
    assert req["id"] == expected and req["config"]["name"] == "ProxylessNASNets", req
    expected += 1
    print(json.dumps({"id": req["id"], "score": -req["peak_sram_bytes"]}), flush=True)
PY
if "$nas" search "${small[@]}" --evaluator "$py $w/eval.py" >"$w/ext.out" 2>"$w/err"; then
  f=$(sed -n 's/^best: {"fitness": \([-0-9.e+]*\),.*/\1/p' "$w/ext.out")
  s=$(sed -n 's/^best: .*"peak_sram_bytes": \([0-9]*\).*/\1/p' "$w/ext.out")
  [[ -n $s && $f == "-$s" ]] && ok "external evaluator: best fitness $f = -SRAM" || fail "external fitness $f, SRAM $s"
else fail "external evaluator: $(cat "$w/err")"; fi
finish
