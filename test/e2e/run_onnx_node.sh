#!/bin/bash
# run_onnx_node.sh: mcunet-run on ONNX backend tests (libonnx-testdata), every target, outputs compared byte for byte.
# Usage: run_onnx_node.sh BUILD_DIR SHARED_DIR. Exit 77 (skip) when the test data, qemu or the ARM toolchain is missing.
#
# For each test the first graph input is the --input; every other input is --bind'ed to its .pb (scales and zero
# points become constants). The raw output of --target=ref, host and cortex-m7 (with --count) must equal the raw data
# of the expected output_0.pb, and the printed "instructions: N" must be positive and the same on two runs.
set -u
build=$(readlink -f "$1")
run=$build/bin/mcunet-run
data=/usr/share/libonnx-testdata/data/node
py=/usr/bin/python3
[[ -d $data ]] || { echo "skip: $data not found"; exit 77; }
command -v qemu-system-arm >/dev/null || { echo "skip: qemu-system-arm not found"; exit 77; }
command -v arm-none-eabi-gcc >/dev/null || { echo "skip: arm-none-eabi-gcc not found"; exit 77; }
[[ -x $run ]] || { echo "FAIL: $run not built"; exit 1; }

w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail=0
for t in test_qlinearconv test_qlinearmatmul_2D; do
  dir=$data/$t
  [[ -d $dir ]] || { echo "skip $t: not in the test data"; continue; }
  mapfile -t names < <($py -c "import onnx, sys; m = onnx.load(sys.argv[1]); init = {i.name for i in m.graph.initializer}
print('\n'.join(i.name for i in m.graph.input if i.name not in init))" "$dir/model.onnx")
  args=(--input "$dir/test_data_set_0/input_0.pb")
  for ((i = 1; i < ${#names[@]}; i++)); do args+=(--bind "${names[$i]}=$dir/test_data_set_0/input_$i.pb"); done
  $py -c "import onnx, onnx.numpy_helper, sys; t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read())
open(sys.argv[2], 'wb').write(onnx.numpy_helper.to_array(t).tobytes())" "$dir/test_data_set_0/output_0.pb" "$w/$t.expected"
  for target in ref host cortex-m7; do
    extra=(); [[ $target == cortex-m7 ]] && extra=(--count)
    if ! "$run" "$dir/model.onnx" --target=$target "${args[@]}" "${extra[@]}" --output "$w/$t.$target" > "$w/$t.$target.txt"; then
      echo "FAIL $t $target: mcunet-run failed"; fail=1; continue
    fi
    cmp -s "$w/$t.expected" "$w/$t.$target" || { echo "FAIL $t $target: output differs"; cat "$w/$t.$target.txt"; fail=1; continue; }
    echo "ok $t $target: $(grep -c '^output' "$w/$t.$target.txt") output(s) $(grep '^instructions' "$w/$t.$target.txt")"
  done
  if [[ -f $w/$t.cortex-m7.txt ]]; then
    "$run" "$dir/model.onnx" "${args[@]}" --count > "$w/$t.again.txt" 2>&1
    n1=$(sed -n 's/^instructions: //p' "$w/$t.cortex-m7.txt"); n2=$(sed -n 's/^instructions: //p' "$w/$t.again.txt")
    [[ -n $n1 && $n1 -gt 0 && $n1 == "$n2" ]] || { echo "FAIL $t: instruction counts '$n1' and '$n2'"; fail=1; }
  fi
done
# Input errors are reported, not run: a raw input of the wrong size names the file and both sizes.
c=$data/test_qlinearconv/test_data_set_0
binds=(--bind x_scale=$c/input_1.pb --bind x_zero_point=$c/input_2.pb --bind w=$c/input_3.pb --bind w_scale=$c/input_4.pb
       --bind w_zero_point=$c/input_5.pb --bind y_scale=$c/input_6.pb --bind y_zero_point=$c/input_7.pb)
head -c 3 /dev/zero > "$w/short.bin"
msg=$("$run" "$data/test_qlinearconv/model.onnx" --target=ref --input "$w/short.bin" "${binds[@]}" 2>&1 >/dev/null)
rc=$?
[[ $rc == 1 && $msg == *"short.bin: raw input has 3 bytes, expected 49"* ]] || { echo "FAIL: wrong input size: rc $rc, '$msg'"; fail=1; }
msg=$("$run" "$data/test_qlinearconv/model.onnx" --target=ref "${binds[@]}" 2>&1 >/dev/null)
rc=$?
[[ $rc == 1 && $msg == *"1 input"*"but 0 --input files were given"* ]] || { echo "FAIL: missing input: rc $rc, '$msg'"; fail=1; }
exit $fail
