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
flags=(-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -O2)
arm-none-eabi-gcc "${flags[@]}" --specs=nano.specs --specs=rdimon.specs -nostartfiles \
  -T runtime/harness/mps2_an500.ld -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -u _printf_float \
  -DMCUNET_DEMO_HEADER="\"$top/$out/net.h\"" -DMCUNET_DEMO_INPUT="\"$top/examples/models/tiny_cnn.input.bin\"" \
  examples/emulator/main.c runtime/harness/startup.c "$out/net.o" -o "$out/demo.elf"
echo "== running on qemu-system-arm -M mps2-an500 (Cortex-M7)"
timeout 300 qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native \
  -kernel "$out/demo.elf"
echo "== object sections (arm-none-eabi-size -A $out/net.o)"
arm-none-eabi-size -A "$out/net.o" | awk '$2 > 0 && $1 ~ /^\./ {print "  " $1 ": " $2 " bytes"}'
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("report: arena %d B (lower bound %d B), weights %d B, code %d B, %d MACs, %d layers" % (r["arena_bytes"], r["arena_lower_bound_bytes"], r["weights_bytes"], r["code_bytes"], r["macs"], len(r["layers"])))' "$out/net.json"
