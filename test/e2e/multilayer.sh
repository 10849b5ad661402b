#!/bin/bash
# multilayer.sh: runs the tiny_cnn example models on Cortex-M7, host and reference; outputs must agree byte for byte.
# Usage: multilayer.sh BUILD_DIR SHARED_DIR. Exit 0 pass, 1 fail, 77 skip (ARM toolchain or QEMU absent).
#
# For examples/models/tiny_cnn_int8.onnx and tiny_cnn_uint8.onnx and each example input tiny_cnn.input*.bin:
#  - mcunet-run --target=cortex-m7 (QEMU), --target=host and --target=ref (the reference kernels) write the logits;
#    the three must be byte-identical, and equal the expected logits tiny_cnn_<type>.logits*.bin that
#    scripts/make_models.py computed with its own numpy model of the ONNX integer semantics (independent of the
#    compiler; it matched ONNX Runtime 1.30 on these inputs when the files were generated);
#  - compiling is deterministic: two compiles of the same model (object, header, report) are identical, for
#    cortex-m7 and for host.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"

need_cmd arm-none-eabi-gcc qemu-system-arm cc
need_built mcunetc mcunet-run
need_file "$models/tiny_cnn_int8.onnx" "$models/tiny_cnn_uint8.onnx" "$models/tiny_cnn.input.bin"

for type in int8 uint8; do
  model=$models/tiny_cnn_$type.onnx
  echo "== tiny_cnn_$type"
  for input in "$models"/tiny_cnn.input*.bin; do
    base=$(basename "$input" .bin)          # tiny_cnn.input, tiny_cnn.input1, ...
    n=${base#tiny_cnn.input}                # "", 1, 2
    expected=$models/tiny_cnn_$type.logits$n.bin
    for t in cortex-m7 host ref; do
      got=$w/$type-$base-$t.bin
      run_cmd "$w/$type-$base-$t.log" "$bin/mcunet-run" "$model" --target="$t" --input "$input" --output "$got" \
        || fail "tiny_cnn_$type $base: mcunet-run --target=$t failed"
    done
    ref=$w/$type-$base-ref.bin
    [[ -f $ref ]] || continue
    for t in cortex-m7 host; do
      [[ -f $w/$type-$base-$t.bin ]] && same_bytes "tiny_cnn_$type $base: $t == ref" "$ref" "$w/$type-$base-$t.bin"
    done
    if [[ -f $expected ]]; then
      same_bytes "tiny_cnn_$type $base: ref == expected $(basename "$expected")" "$expected" "$ref"
    else
      fail "missing $expected (run scripts/make_models.py)"
    fi
  done
  # The three targets must not all agree by printing nothing: the logits hold 10 floats, not all equal.
  if [[ -f $w/$type-tiny_cnn.input-ref.bin ]]; then
    distinct=$(od -An -tx4 -v "$w/$type-tiny_cnn.input-ref.bin" | tr -s ' ' '\n' | sed '/^$/d' | sort -u | wc -l)
    ((distinct >= 5)) && ok "tiny_cnn_$type: logits are not degenerate ($distinct distinct values)" \
      || fail "tiny_cnn_$type: logits degenerate ($distinct distinct values)"
  fi

  # Deterministic compiles.
  for t in cortex-m7 host; do
    for k in 1 2; do
      mkdir -p "$w/det$k"
      run_cmd "$w/det$k/log" "$bin/mcunetc" "$model" -o "$w/det$k/m.o" --target="$t" --name=tiny \
        --report="$w/det$k/m.json" || fail "tiny_cnn_$type: mcunetc --target=$t failed"
    done
    if cmp -s "$w/det1/m.o" "$w/det2/m.o" && cmp -s "$w/det1/m.h" "$w/det2/m.h" \
        && cmp -s "$w/det1/m.json" "$w/det2/m.json" && [[ -s $w/det1/m.o ]]; then
      ok "tiny_cnn_$type: two $t compiles give identical object, header and report"
    else
      fail "tiny_cnn_$type: two $t compiles differ (or failed)"
    fi
    rm -rf "$w/det1" "$w/det2"
  done
done
finish
