#!/bin/bash
# memory.sh: --board, --report's memory fields, --memory-svg and --verbose on a synthetic model and a real one.
# Usage: memory.sh BUILD_DIR [SHARED_DIR]. Exit 0 pass, 1 fail, 77 skip (Debian's python with onnx absent).
#
# The synthetic model (made here with onnx.helper): x u8 [1,3,160,160] -> QLinearConv 3x3 pad 1, 16 channels ->
# QLinearConv 1x1, 1 channel -> y. Its 16x160x160 activation alone is 409600 bytes, above the STM32F746's 320 KB
# (327680 bytes) and below the STM32H743's 512 KB AXI SRAM. Checks:
#  - --board stm32f746 --patches=off fails with one line "model needs N bytes of SRAM, board stm32f746 has 327680: K bytes
#    short; the peak is at layer 'NAME' (index I)" where N - 327680 == K, and writes nothing;
#  - --board stm32f746 with patch-based execution (the default takes it when the model would not fit otherwise:
#    the two convs run patch by patch) compiles;
#  - --board stm32h743 compiles (--patches=off); the report's arena_bytes is that N, the layer at the peak is that
#    I, and the report holds every arena tensor's bytes, offset and lifetime and every layer's scratch (kernel
#    scratch, a patch stage's gather and staging buffers; a buffer live at its layer): no two buffers live at one
#    layer share a byte, live_bytes of each layer is the sum of the buffers live there, the lower bound is the
#    largest of them;
#  - the SVG is well-formed XML with one rectangle per arena tensor (plus the peak layer's band);
#  - --board stm32f412 (Cortex-M4), an unknown board and a host target with a board are refused;
#  - --verbose prints the per-layer table; the same report checks on mcunet_vww1.tflite (--no-inplace) when the
#    shared models exist.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_python_onnx
need_built mcunetc

"$py" - "$w/big.onnx" <<'PY' || { echo "FAIL: cannot make the model"; exit 1; }
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T
rng = np.random.default_rng(7)
def const(name, arr, dt):
    return h.make_tensor(name, dt, arr.shape, arr.flatten().tolist())
w1 = rng.integers(0, 255, size=(16, 3, 3, 3)).astype(np.uint8)
w2 = rng.integers(0, 255, size=(1, 16, 1, 1)).astype(np.uint8)
inits = [const("w1", w1, T.UINT8), const("w2", w2, T.UINT8),
         const("xs", np.array(0.02, np.float32), T.FLOAT), const("xz", np.array(128, np.uint8), T.UINT8),
         const("ws", np.array(0.01, np.float32), T.FLOAT), const("wz", np.array(128, np.uint8), T.UINT8),
         const("as", np.array(0.05, np.float32), T.FLOAT), const("az", np.array(128, np.uint8), T.UINT8),
         const("ys", np.array(0.1, np.float32), T.FLOAT), const("yz", np.array(128, np.uint8), T.UINT8)]
nodes = [h.make_node("QLinearConv", ["x", "xs", "xz", "w1", "ws", "wz", "as", "az"], ["a"], name="wide_conv",
                     pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
         h.make_node("QLinearConv", ["a", "as", "az", "w2", "ws", "wz", "ys", "yz"], ["y"], name="narrow_conv",
                     kernel_shape=[1, 1])]
g = h.make_graph(nodes, "big", [h.make_tensor_value_info("x", T.UINT8, [1, 3, 160, 160])],
                 [h.make_tensor_value_info("y", T.UINT8, [1, 1, 160, 160])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
PY

# check_memory_report REPORT.json SVG|- : the memory fields of a report (and its drawing).
check_memory_report() {
  "$py" - "$1" "$2" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
bad = []
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond: bad.append(what)
tensors = [t for t in r["tensors"] if t["alias_of"] is None]
# Each layer's scratch (kernel scratch, and a patch stage's gather/staging buffer) is a buffer live at that layer.
tensors += [{"name": "scratch:" + l["name"], "offset": l["scratch"]["offset"], "bytes": l["scratch"]["bytes"],
             "live": [l["index"], l["index"]], "scratch": True} for l in r["layers"] if l["scratch"]]
check(all(isinstance(t["live"], list) and len(t["live"]) == 2 and 0 <= t["live"][0] <= t["live"][1] for t in tensors),
      "every arena tensor has a lifetime [first, last]")
check(all(t["offset"] % 4 == 0 and t["offset"] + t["bytes"] <= r["arena_bytes"] for t in tensors),
      "every arena tensor is aligned and inside the arena")
clash = [(a["name"], b["name"]) for i, a in enumerate(tensors) for b in tensors[i + 1:]
         if a["live"][0] <= b["live"][1] and b["live"][0] <= a["live"][1] and a["bytes"] and b["bytes"]
         and a["offset"] < b["offset"] + b["bytes"] and b["offset"] < a["offset"] + a["bytes"]]
check(not clash, "no two tensors live together share a byte %s" % clash[:3])
live = [sum(t["bytes"] for t in tensors if t["live"][0] <= i <= t["live"][1]) for i in range(len(r["layers"]))]
check(all((l["scratch"] or {"bytes": 0})["bytes"] == l["scratch_bytes"] for l in r["layers"]),
      "each layer's scratch_bytes is its scratch buffer's size")
check(live == [l["live_bytes"] for l in r["layers"]],
      "each layer's live_bytes is the sum of the tensors live there and its scratch")
check(r["arena_lower_bound_bytes"] == max(live), "lower bound %d == the most live bytes %d" % (r["arena_lower_bound_bytes"], max(live)))
check(r["arena_peak_layer"]["index"] == live.index(max(live)) and r["arena_peak_layer"]["live_bytes"] == max(live),
      "the peak layer %r is the first with the most live bytes" % r["arena_peak_layer"])
check(r["arena_lower_bound_bytes"] <= r["arena_bytes"], "lower bound <= arena")
peaks = r["arena_strategy_peaks"]
check(peaks.get(r["arena_strategy"]) == r["arena_bytes"], "the winning strategy %s has the arena's size" % r["arena_strategy"])
check(all(v is None or v >= r["arena_bytes"] for v in peaks.values()), "no strategy beats the kept one: %r" % peaks)
ends = [t["name"] for t in tensors if t["offset"] + t["bytes"] == r["arena_bytes"]]
check(r["arena_peak_tensor"] in ends, "arena_peak_tensor %r ends at the arena's end" % r["arena_peak_tensor"])
if sys.argv[2] != "-":
    try:
        root = ET.parse(sys.argv[2]).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        rects = [e for e in root.iter(ns + "rect") if e.get("class") == "tensor"]
        check(root.tag == ns + "svg", "the SVG is well-formed XML with an svg root")
        check(len(rects) == len([t for t in tensors if t["bytes"] > 0 and "scratch" not in t]),
              "one rectangle per tensor (%d)" % len(rects))
        check(all(e.find(ns + "title") is not None for e in rects), "every rectangle has a <title>")
        check(any(e.get("class") == "peak" for e in root.iter(ns + "line")), "the peak is marked")
    except ET.ParseError as e:
        check(False, "the SVG parses: %s" % e)
sys.exit(1 if bad else 0)
PY
}

echo "== stm32f746: too small"
if "$bin/mcunetc" "$w/big.onnx" -o "$w/f7.o" --board stm32f746 --report="$w/f7.json" --patches=off > "$w/f7.log" 2>&1; then
  fail "the model compiled for stm32f746"
fi
cat "$w/f7.log"
msg_re="^mcunetc: error: model needs ([0-9]+) bytes of SRAM, board stm32f746 has 327680: ([0-9]+) bytes short; the peak is at layer '([^']*)' \(index ([0-9]+)\)$"
need= short= peak_index=
if [[ $(wc -l < "$w/f7.log") -eq 1 && $(cat "$w/f7.log") =~ $msg_re ]]; then
  need=${BASH_REMATCH[1]} short=${BASH_REMATCH[2]} peak_index=${BASH_REMATCH[4]}
  ((need - 327680 == short)) && ok "shortfall $short == $need - 327680" || fail "shortfall $short != $need - 327680"
  ((need >= 409600)) && ok "needs at least the 409600-byte activation" || fail "needs only $need bytes"
else
  fail "the message is not the one-line shortfall"
fi
for f in f7.o f7.h f7.json; do [[ -e $w/$f ]] && fail "$f was written"; done
ls "$w" | grep -q tmp && fail "a temporary file was left behind"

echo "== stm32h743: fits"
if run_cmd "$w/h7.log" "$bin/mcunetc" "$w/big.onnx" -o "$w/h7.o" --board=stm32h743 --report="$w/h7.json" \
  --memory-svg="$w/h7.svg" --verbose --patches=off; then
  ok "compiles for stm32h743"
  arena=$(header_macro "$w/h7.h" model_ARENA_SIZE)
  [[ $arena == "$need" ]] && ok "arena $arena == the $need bytes the stm32f746 error gave" || fail "arena $arena != $need"
  ((arena <= 524288)) || fail "arena $arena above 512 KB"
  "$py" -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['arena_peak_layer']['index'] == int(sys.argv[2]) and r['board'] == 'stm32h743' else 1)" \
    "$w/h7.json" "${peak_index:--1}" && ok "the report's peak layer is the error's" || fail "peak layer differs"
  check_memory_report "$w/h7.json" "$w/h7.svg" || fail "memory report of the synthetic model"
  grep -q "^index  *name  *op  *output shape  *bytes  *offset  *live bytes" <(sed 's/^ *//' "$w/h7.log") \
    && ok "--verbose prints the table" || fail "--verbose table header missing"
  grep -q "wide_conv.*<- peak" "$w/h7.log" && ok "--verbose marks the peak layer" || fail "no peak mark at wide_conv"
fi

echo "== stm32f746 with patch-based execution (the default): fits"
if run_cmd "$w/p7.log" "$bin/mcunetc" "$w/big.onnx" -o "$w/p7.o" --board=stm32f746 --report="$w/p7.json" \
  --memory-svg="$w/p7.svg"; then
  arena=$(header_macro "$w/p7.h" model_ARENA_SIZE)
  ((arena < 327680)) && ok "patches: arena $arena fits the stm32f746" || fail "patches: arena $arena"
  "$py" -c "import json,sys; r=json.load(open(sys.argv[1])); s=r['patch_stage']; sys.exit(0 if s and s['first_layer'] == 1 and s['last_layer'] == 2 else 1)" \
    "$w/p7.json" && ok "the report names the patch stage" || fail "no patch stage in the report"
  check_memory_report "$w/p7.json" "$w/p7.svg" || fail "memory report of the patched model"
fi

echo "== refusals"
expect_error() { # expect_error WHAT REGEX ARGS...
  local what=$1 re=$2; shift 2
  if "$bin/mcunetc" "$w/big.onnx" -o "$w/r.o" "$@" > "$w/r.log" 2>&1; then fail "$what: compiled"; return; fi
  grep -Eq "$re" "$w/r.log" && ok "$what: $(cat "$w/r.log")" || fail "$what: unexpected message: $(cat "$w/r.log")"
  [[ -e $w/r.o ]] && fail "$what: r.o written"
}
expect_error "cortex-m4 board, cortex-m7 target" "board stm32f412 has a cortex-m4 core, but the target is cortex-m7 \(use --target=cortex-m4\)" --board stm32f412 --target cortex-m7
# --board without --target takes the board's core: the Cortex-M4 code is compiled, then the arena is too big.
expect_error "cortex-m4 board implies cortex-m4" "model needs [0-9]+ bytes of SRAM, board stm32f412 has 262144" --board stm32f412 --patches=off
expect_error "unknown board" "unknown board 'stm32f999' \(stm32f746, stm32h743, stm32f412\)" --board stm32f999
expect_error "host target" "board stm32h743 has a cortex-m7 core, but the target is host" --board stm32h743 --target host

vww=${shared:+$shared/models/tflite/mcunet_vww1.tflite}
if [[ -n $vww && -f $vww ]]; then
  echo "== mcunet_vww1"
  # --no-inplace --no-stream: the report lists tensors and lifetimes, not yet in-place sharing or kernel scratch, so
  # its per-layer sums only describe a plan without them (test/e2e/inplace.sh and stream.sh check those arenas).
  run_cmd "$w/vww.log" "$bin/mcunetc" "$vww" -o "$w/vww.o" --report="$w/vww.json" --memory-svg="$w/vww.svg" \
    --board stm32f746 --no-inplace --no-stream && check_memory_report "$w/vww.json" "$w/vww.svg" || fail "mcunet_vww1 memory report"
else
  echo "(shared models absent: mcunet_vww1 not checked)"
fi
finish
