#!/bin/bash
# report.sh: checks mcunetc --report JSON against the header, the object and MAC counts derived by hand.
# Usage: report.sh BUILD_DIR SHARED_DIR. Exit 0 pass, 1 fail, 77 skip (ARM binutils or Debian's python absent).
#
# For tiny_cnn_int8/uint8 (examples/models) and ONNX's test_qlinearconv / test_qlinearmatmul_2D (bound inputs):
#  - the report parses as JSON and has arena_bytes, weights_bytes, code_bytes, macs (integers) and layers[], each
#    with name, op, output_shape, macs, output_offset (an integer for arena outputs, else null);
#  - arena_bytes == SYM_ARENA_SIZE and weights_bytes == SYM_WEIGHTS_SIZE of the header; code_bytes == the size of the
#    object's executable sections (arm-none-eabi-objdump -h, CODE flag); tables_bytes == its .rodata sections minus
#    the weights (the kernels' constant tables), flash_bytes == .rodata + executable sections;
#  - macs == the sum of the layers' macs == the count worked out from the network by hand (below);
#  - every arena output lies inside [0, arena_bytes); the model's input and output names are the graph's;
#  - the header's section comment gives the same weights and arena bytes; the code is in .text.SYM (layers,
#    SYM_run_with_arena) and .text.SYM_run.
# Expected MACs (output elements x receptive field):
#   tiny_cnn: conv1 8x8x8 x 3*3*3 = 13824, depthwise 8x8x8 x 3*3 = 4608, conv3 8x8x16 x 8 = 8192,
#             conv4 4x4x16 x 16*3*3 = 36864, fc 10 x 256 = 2560; total 66048.
#   test_qlinearconv: 1x1 filter over 7x7, one channel = 49.  test_qlinearmatmul_2D: [2,4]x[4,3] = 24.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"

data=/usr/share/libonnx-testdata/data/node
need_cmd arm-none-eabi-objdump
need_python_onnx
need_built mcunetc

# check_report NAME MODEL EXPECTED_MACS INPUT_NAME OUTPUT_NAME [BIND...]
check_report() {
  local name=$1 model=$2 macs=$3 in_name=$4 out_name=$5
  shift 5
  echo "== $name"
  run_cmd "$w/$name.log" "$bin/mcunetc" "$model" -o "$w/$name.o" --name="$name" --report="$w/$name.json" "$@" \
    || { fail "$name: mcunetc failed"; return; }
  local arena weights code
  arena=$(header_macro "$w/$name.h" "${name}_ARENA_SIZE")
  weights=$(header_macro "$w/$name.h" "${name}_WEIGHTS_SIZE")
  code=0
  local size
  for size in $(arm-none-eabi-objdump -h "$w/$name.o" | awk '/^ *[0-9]+ / { size = $3; getline; if ($0 ~ /CODE/) print size }'); do
    code=$((code + 16#$size))
  done
  local ro=0
  for size in $(arm-none-eabi-objdump -h "$w/$name.o" | awk '/^ *[0-9]+ \.rodata/ { print $3 }'); do
    ro=$((ro + 16#$size))
  done
  "$py" - "$w/$name.json" "$arena" "$weights" "$code" "$macs" "$in_name" "$out_name" "$ro" <<'PY'
import json, sys
path, arena, weights, code, macs, in_name, out_name, ro = sys.argv[1:]
bad = []
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond: bad.append(what)
try:
    r = json.load(open(path))
except Exception as e:
    print("FAIL: report is not JSON: %s" % e); sys.exit(1)
isint = lambda v: isinstance(v, int) and not isinstance(v, bool)
for k in ("arena_bytes", "weights_bytes", "code_bytes", "macs"):
    check(isint(r.get(k)) and r[k] >= 0, "%s is a non-negative integer (%r)" % (k, r.get(k)))
layers = r.get("layers")
check(isinstance(layers, list) and len(layers) > 0, "layers[] is a non-empty list")
if bad: sys.exit(1)
check(str(r["arena_bytes"]) == arena, "arena_bytes %d == header ARENA_SIZE %s" % (r["arena_bytes"], arena))
check(str(r["weights_bytes"]) == weights, "weights_bytes %d == header WEIGHTS_SIZE %s" % (r["weights_bytes"], weights))
check(str(r["code_bytes"]) == code, "code_bytes %d == executable sections of the object (%s)" % (r["code_bytes"], code))
check(r["code_bytes"] > 0, "code_bytes > 0")
check(r.get("tables_bytes") == int(ro) - int(weights),
      "tables_bytes %r == constant sections of the object (%s) - weights" % (r.get("tables_bytes"), ro))
check(r.get("flash_bytes") == int(ro) + int(code), "flash_bytes %r == constant + executable sections (%d)" %
      (r.get("flash_bytes"), int(ro) + int(code)))
for i, l in enumerate(layers):
    ok = (isinstance(l.get("name"), str) and isinstance(l.get("op"), str) and l["op"]
          and isinstance(l.get("output_shape"), list) and all(isint(d) and d > 0 for d in l["output_shape"])
          and isint(l.get("macs")) and l["macs"] >= 0 and "output_offset" in l)
    check(ok, "layer %d (%s) has name, op, output_shape, macs, output_offset" % (i, l.get("name")))
    if not ok: continue
    off = l["output_offset"]
    if l.get("output_storage", "arena") == "arena":
        end = off + l.get("output_bytes", 0) if isint(off) else None
        check(isint(off) and 0 <= off and end <= r["arena_bytes"],
              "layer %d (%s): arena output [%s, %s) inside the %d-byte arena" % (i, l["name"], off, end, r["arena_bytes"]))
    else:
        check(off is None, "layer %d (%s): %s output has output_offset null" % (i, l["name"], l.get("output_storage")))
total = sum(l["macs"] for l in layers)
check(r["macs"] == total, "macs %d == sum of layer macs %d" % (r["macs"], total))
check(r["macs"] == int(macs), "macs %d == %s worked out by hand" % (r["macs"], macs))
ins = [t.get("name") for t in r.get("inputs", [])]
outs = [t.get("name") for t in r.get("outputs", [])]
check(ins == [in_name], "inputs named %r (graph: %r)" % (ins, [in_name]))
check(outs == [out_name], "outputs named %r (graph: %r)" % (outs, [out_name]))
sys.exit(1 if bad else 0)
PY
  local rc=$?
  ((rc == 0)) || fail "$name: report checks failed"
  # The header's contract comment states the same figures as the report and the object: the weights in
  # .rodata.SYM, the arena in .bss.SYM_arena (absent when the arena is empty), the entry points in .text.SYM and
  # .text.SYM_run.
  local rodata bss want_bss
  rodata=$(sed -n "s/^ \*   \.rodata\.$name .*weights ${name}_weights (\([0-9]*\) bytes.*/\1/p" "$w/$name.h")
  bss=$(sed -n "s/^ \*   \.bss\.${name}_arena .*(\([0-9]*\) bytes.*/\1/p" "$w/$name.h")
  want_bss=$arena; ((arena == 0)) && want_bss=
  [[ $rodata == "$weights" && $bss == "$want_bss" ]] &&
    ok "$name: the header's section comment states weights $rodata and arena ${bss:-none}" ||
    fail "$name: header comment weights '$rodata' arena '$bss' vs $weights / $arena"
  local sections
  sections=$(arm-none-eabi-objdump -h "$w/$name.o" | awk '$2 ~ /^\.text/ && $3 !~ /^0+$/ { print $2 }' | sort | tr '\n' ' ')
  [[ $sections == ".text.$name .text.${name}_run " ]] && ok "$name: code in .text.$name and .text.${name}_run" ||
    fail "$name: code sections '$sections'"
}

for type in int8 uint8; do
  check_report "tiny_cnn_$type" "$models/tiny_cnn_$type.onnx" 66048 input logits
done
if [[ -f $data/test_qlinearconv/model.onnx ]]; then
  binds() { # binds TEST: --bind for every graph input after the first
    local i=0 n
    for n in $("$py" "$tools/onnx_inputs.py" "$data/$1/model.onnx"); do
      ((i > 0)) && echo "--bind" "$n=$data/$1/test_data_set_0/input_$i.pb"
      i=$((i + 1))
    done
  }
  # shellcheck disable=SC2046 # the paths hold no spaces
  check_report qconv "$data/test_qlinearconv/model.onnx" 49 x y $(binds test_qlinearconv)
  # shellcheck disable=SC2046
  check_report qmm2d "$data/test_qlinearmatmul_2D/model.onnx" 24 a y $(binds test_qlinearmatmul_2D)
else
  echo "(libonnx-testdata absent: ONNX node models not checked)"
fi
finish
