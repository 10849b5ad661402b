#!/usr/bin/env bash
# planner_figures.sh BUILD_DIR SHARED_DIR: the memory planner's quality, locked. For every shared real model and
# each memory schedule (the default, patches whenever they lower the peak, without streaming, without in-place
# execution), the report's arena, lower bound and every strategy's peak (greedy by size, greedy by conflicts, best
# fit, exact, local search; "-" when a strategy does not run: the exact search above 12 buffers, the local search
# when another reached the lower bound) must equal the figures below, byte for byte. A change that moves any of
# them must update this table (and docs/memory.md) on purpose.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunetc
[[ -n $shared && -d $shared/models/tflite ]] || skip "the shared models are not there ($shared)"

# model | flags | arena lower_bound greedy_by_size greedy_by_conflicts best_fit exact local_search
figures="
hello_world_int8|                                        |32 32 32 32 32 32 -
lenet_300_100_mnist|                                        |1084 1084 1084 1084 1084 1084 -
micro_speech|                                        |4672 4672 4672 4672 4672 4672 -
person_detect|                                        |39392 39392 39392 39392 39392 - -
person_detect|--patches=min                           |23832 23832 24760 23832 24760 - -
person_detect|--no-stream                             |55328 55328 55328 55328 55328 - -
person_detect|--no-stream --no-inplace                |55312 55312 55312 55312 73728 - -
mcunet_vww1|                                        |45024 45024 45024 57632 45024 - -
mcunet_vww1|--patches=min                           |16288 16288 19200 19200 18320 - 16288
mcunet_vww1|--no-stream                             |89616 89616 89616 89616 89616 - -
mcunet_vww1|--no-stream --no-inplace                |96000 96000 96000 96000 108800 - -
"
k=0
while IFS='|' read -r stem flags want; do
  [[ -z $stem ]] && continue
  k=$((k + 1))
  # shellcheck disable=SC2086 # the flags are words
  if ! run_cmd "$w/$k.log" "$bin/mcunetc" "$shared/models/tflite/$stem.tflite" -o "$w/$k.o" --report="$w/$k.json" $flags; then
    fail "$stem $flags: does not compile"; continue
  fi
  got=$("$py" -c "
import json, sys
r = json.load(open(sys.argv[1])); p = r['arena_strategy_peaks']
print(r['arena_bytes'], r['arena_lower_bound_bytes'],
      *[p[s] if p[s] is not None else '-' for s in ('greedy_by_size', 'greedy_by_conflicts', 'best_fit', 'exact', 'local_search')])
" "$w/$k.json")
  want=$(echo $want)
  label="$stem $(echo $flags)"
  [[ $got == "$want" ]] && ok "$label: $got" || fail "$label: got '$got', want '$want'"
done <<< "$figures"
finish
