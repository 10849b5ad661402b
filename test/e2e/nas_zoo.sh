#!/usr/bin/env bash
# nas_zoo.sh: the MCUNet zoo through mcunet-nas. For each of the five configs in SHARED/models/mcunet-configs:
#  - `mcunet-nas export` writes an int8 ONNX model, byte-identical for the same seed, different for another seed;
#  - mcunetc compiles it for cortex-m7 with --board stm32h743;
#  - the cost query's MACs (the compiled layers') and params equal the published figures of ../shared/docs/anchors.md
#    at their rounding (MACs to 0.1M, params to 0.01M);
#  - the cost query's peak_sram_bytes and weights_bytes equal SYM_ARENA_SIZE and SYM_WEIGHTS_SIZE of the object
#    mcunetc compiles from the export (seed 7), with the default schedule and the same board (stm32h743) and with
#    forced 4x4 patches (one code
#    path), and the query gives the same figures through its IR text with splat weights (the default) as through
#    the full ONNX export (--via-onnx).
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunet-nas mcunetc
cfgdir=$shared/models/mcunet-configs
need_file "$cfgdir/mcunet-5fps_imagenet.json"
# config  published-MACs(M)  published-params(M)
while read -r cfg macs params; do
  c=$cfgdir/$cfg.json
  if ! "$bin/mcunet-nas" export "$c" -o "$w/$cfg.onnx" --seed 7 2>"$w/err"; then
    fail "$cfg: export: $(cat "$w/err")"; continue
  fi
  "$bin/mcunet-nas" export "$c" -o "$w/again.onnx" --seed 7 && cmp -s "$w/$cfg.onnx" "$w/again.onnx" ||
    fail "$cfg: export is not deterministic"
  "$bin/mcunet-nas" export "$c" -o "$w/other.onnx" --seed 8 && ! cmp -s "$w/$cfg.onnx" "$w/other.onnx" ||
    fail "$cfg: another seed gives the same weights"
  if ! "$bin/mcunetc" "$w/$cfg.onnx" -o "$w/$cfg.o" --board stm32h743 2>"$w/err"; then
    fail "$cfg: mcunetc --board stm32h743: $(cat "$w/err")"; continue
  fi
  "$bin/mcunetc" "$w/$cfg.onnx" -o "$w/p$cfg.o" --patches=4x4 2>"$w/err" || fail "$cfg: mcunetc --patches=4x4"
  for sched in default patches-4x4; do
    h=$w/$cfg.h; [[ $sched == default ]] || h=$w/p$cfg.h
    "$bin/mcunet-nas" cost "$c" --board stm32h743 --schedule $sched >"$w/cost.json" 2>"$w/err" ||
      { fail "$cfg: cost --schedule $sched: $(cat "$w/err")"; continue; }
    "$bin/mcunet-nas" cost "$c" --board stm32h743 --schedule $sched --via-onnx >"$w/cost-onnx.json" 2>&1 &&
      cmp -s "$w/cost.json" "$w/cost-onnx.json" || fail "$cfg ($sched): the IR path and the ONNX path disagree"
    arena=$(header_macro "$h" model_ARENA_SIZE); weights=$(header_macro "$h" model_WEIGHTS_SIZE)
    if "$py" - "$w/cost.json" "$arena" "$weights" "$macs" "$params" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
arena, weights, macs, params = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
bad = []
if c["peak_sram_bytes"] != arena: bad.append("peak_sram_bytes %d != SYM_ARENA_SIZE %d" % (c["peak_sram_bytes"], arena))
if c["weights_bytes"] != weights: bad.append("weights_bytes %d != SYM_WEIGHTS_SIZE %d" % (c["weights_bytes"], weights))
if round(c["macs"] / 1e6, 1) != macs: bad.append("MACs %d, published %.1fM" % (c["macs"], macs))
if round(c["params"] / 1e6, 2) != params: bad.append("params %d, published %.2fM" % (c["params"], params))
for k in ("flash_bytes", "fits"):
    if k not in c: bad.append("no " + k)
if bad: print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
    then ok "$cfg ($sched): arena $arena, weights $weights, MACs ${macs}M, params ${params}M"
    else fail "$cfg ($sched)"; fi
  done
done <<'EOF2'
mcunet-10fps_imagenet 6.4 0.74
mcunet-5fps_imagenet 12.8 0.63
mcunet-256kb-1mb_imagenet 67.3 0.72
mbv2-w0.3-r80_imagenet 7.3 0.63
proxyless-w0.25-r112_imagenet 10.7 0.56
EOF2
# mcunet-in0's export runs on the emulated Cortex-M7 (QEMU) with the same output bytes as the reference kernels.
if command -v qemu-system-arm >/dev/null && [[ -f $w/mcunet-10fps_imagenet.onnx ]]; then
  "$py" -c "import random; random.seed(3); open('$w/in0.raw','wb').write(bytes(random.randrange(256) for _ in range(3*48*48)))"
  if "$bin/mcunet-run" "$w/mcunet-10fps_imagenet.onnx" --target=cortex-m7 --input "$w/in0.raw" --output "$w/m7.raw" \
       >"$w/m7.log" 2>&1 &&
     "$bin/mcunet-run" "$w/mcunet-10fps_imagenet.onnx" --target=ref --input "$w/in0.raw" --output "$w/ref.raw" \
       >"$w/ref.log" 2>&1; then
    cmp -s "$w/m7.raw" "$w/ref.raw" && [[ $(stat -c %s "$w/m7.raw") == 1000 ]] &&
      ok "mcunet-in0 export runs on QEMU, output = reference" || fail "mcunet-in0: cortex-m7 output differs from ref"
  else fail "mcunet-run on the mcunet-in0 export: $(tail -3 "$w/m7.log" "$w/ref.log")"; fi
else echo "SKIP (QEMU run): qemu-system-arm not found"; fi

# An unsupported config: a clear error, a non-zero exit and no output file.
sed 's/"IdentityLayer"/"ConvLayer"/' "$cfgdir/mcunet-5fps_imagenet.json" >"$w/bad.json"
if "$bin/mcunet-nas" export "$w/bad.json" -o "$w/bad.onnx" 2>"$w/err"; then fail "a ConvLayer shortcut was accepted"
elif [[ -e $w/bad.onnx ]]; then fail "an output was left behind"
else ok "unsupported shortcut: $(cat "$w/err")"; fi
finish
