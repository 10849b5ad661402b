#!/usr/bin/env bash
# demo.sh: set up, build, compile the bundled example model for Cortex-M7, link it into the example firmware,
# run it on QEMU mps2-an500 and print its output and memory figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build
out=build/demo
mkdir -p "$out"
model=examples/models/tiny_cnn_int8.onnx
echo "== mcunetc $model --target=cortex-m7 --name=net"
build/bin/mcunetc "$model" --target=cortex-m7 --name=net -o "$out/net.o" --report="$out/net.json"
echo "== the example firmware (examples/Makefile): examples/firmware/fw_main.c on the emulator board"
make -s -C examples BOARD=mps2_an500 MODEL="$top/$model" INPUT="$top/examples/models/tiny_cnn.input.bin" \
  OUT="$top/$out/fw" MCUNETC="$top/build/bin/mcunetc"
echo "== running on qemu-system-arm -M mps2-an500 (Cortex-M7)"
timeout 300 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
  -kernel "$out/fw/fw.elf" | tee "$out/run.log"
# The model's output is 10 float32 logits (little-endian): the prediction is the largest.
/usr/bin/python3 - "$out/run.log" <<'PY'
import struct, sys
line = next(l for l in open(sys.argv[1]) if l.startswith("output0"))
raw = bytes(int(b, 16) for b in line.split(":", 1)[1].split())
logits = struct.unpack("<%df" % (len(raw) // 4), raw)
best = max(range(len(logits)), key=lambda i: logits[i])
print("prediction: class %d (logit %.4f); logits %s" % (best, logits[best], " ".join("%.4f" % v for v in logits)))
PY
echo "== object sections (arm-none-eabi-size -A $out/net.o)"
arm-none-eabi-size -A "$out/net.o" | awk '$2 > 0 && $1 ~ /^\./ {print "  " $1 ": " $2 " bytes"}'
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("report: arena %d B (lower bound %d B), weights %d B, code %d B, %d MACs, %d layers" % (r["arena_bytes"], r["arena_lower_bound_bytes"], r["weights_bytes"], r["code_bytes"], r["macs"], len(r["layers"])))' "$out/net.json"
