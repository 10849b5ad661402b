#!/bin/bash
# onnx_node_tests.sh: compiles ONNX's own QLinearConv/QLinearMatMul backend tests, checks the object's form, runs them on Cortex-M7 and host.
# Usage: onnx_node_tests.sh BUILD_DIR SHARED_DIR. Exit 0 pass, 1 fail, 77 skip (libonnx-testdata, the ARM
# toolchain or Debian's python onnx absent).
#
# For each test in /usr/share/libonnx-testdata/data/node (model.onnx + test_data_set_0/{input,output}_N.pb):
#  - compile for cortex-m7 with every graph input after the first bound (--bind NAME=input_N.pb, names read from
#    the model), with a test-specific --name so the symbol-prefix rules are checked with a prefix other than "model";
#  - the object: ELF attributes name the Cortex-M7 and Thumb-2, the code disassembles as Thumb (16/32-bit
#    encodings, no 32-bit ARM words), SYM_run is a Thumb function (odd symbol value); every defined symbol carries
#    the SYM prefix, and the only undefined ones are memcpy/memset/memmove (or their __aeabi forms); the weights
#    sit in .rodata.SYM, the arena in .bss.SYM_arena, nothing in .data, and .bss is exactly SYM_ARENA_SIZE;
#  - the header: compiles on its own (-std=c17 -Wall -Wextra -Werror), declares SYM_run, and its macros agree
#    with the test data (static assertions on SYM_NUM_INPUTS/OUTPUTS, SYM_INPUT0_BYTES, SYM_OUTPUT0_BYTES);
#  - mcunet-run on cortex-m7 (QEMU) and on the host with input_0.pb: the output bytes equal output_0.pb exactly.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"

data=/usr/share/libonnx-testdata/data/node
need_file "$data/test_qlinearconv/model.onnx"
need_cmd arm-none-eabi-gcc arm-none-eabi-readelf arm-none-eabi-objdump arm-none-eabi-nm arm-none-eabi-size \
  qemu-system-arm cc
need_python_onnx
need_built mcunetc mcunet-run

check_test() {
  local test=$1 sym=$2
  local dir=$data/$test set=$data/$test/test_data_set_0 out=$w/$test
  mkdir -p "$out"
  echo "== $test (--name=$sym)"
  local names binds=() i=0 n
  names=$("$py" "$tools/onnx_inputs.py" "$dir/model.onnx") || { fail "$test: cannot read its graph inputs"; return; }
  for n in $names; do
    ((i > 0)) && binds+=(--bind "$n=$set/input_$i.pb")
    i=$((i + 1))
  done
  local first=${names%%$'\n'*}
  echo "   graph inputs: $(echo $names); runtime input '$first', $((i - 1)) bound"

  local obj=$out/$sym.o hdr=$out/$sym.h
  run_cmd "$out/compile.log" "$bin/mcunetc" "$dir/model.onnx" -o "$obj" --target=cortex-m7 --name="$sym" "${binds[@]}" \
    || { fail "$test: mcunetc failed"; return; }
  [[ -f $obj && -f $hdr ]] || { fail "$test: mcunetc did not write $sym.o and $sym.h"; return; }
  ok "$test: compiled to $sym.o + $sym.h"

  # --- The object's target and instruction set.
  local attrs
  attrs=$(arm-none-eabi-readelf -A "$obj")
  grep -q 'Tag_CPU_name: "cortex-m7"' <<< "$attrs" && ok "readelf -A: Tag_CPU_name \"cortex-m7\"" \
    || fail "$test: readelf -A lacks Tag_CPU_name: \"cortex-m7\""
  grep -q 'Tag_THUMB_ISA_use: Thumb-2' <<< "$attrs" && ok "readelf -A: Tag_THUMB_ISA_use Thumb-2" \
    || fail "$test: readelf -A lacks Tag_THUMB_ISA_use: Thumb-2"
  local dis wide arm
  dis=$(arm-none-eabi-objdump -d "$obj")
  # objdump prints a Thumb-2 32-bit instruction as two halfwords ("f8d0 3000") and an ARM one as one word.
  wide=$(grep -cE '^ +[0-9a-f]+:\s+[0-9a-f]{4} [0-9a-f]{4}\s' <<< "$dis")
  arm=$(grep -E '^ +[0-9a-f]+:\s+[0-9a-f]{8}\s' <<< "$dis" | grep -cv '\.word')  # literal pools are data
  if ((wide > 0 && arm == 0)); then ok "objdump -d: Thumb code ($wide 32-bit Thumb-2 instructions, no ARM words)"
  else fail "$test: objdump -d is not Thumb-2 ($wide 32-bit Thumb-2 encodings, $arm ARM words)"; fi
  local runval
  runval=$(arm-none-eabi-readelf -sW "$obj" | awk -v s="${sym}_run" '$8 == s && $4 == "FUNC" && $5 == "GLOBAL" { print $2 }')
  if [[ -n $runval ]] && (( (16#$runval & 1) == 1 )); then ok "${sym}_run is a global Thumb function"
  else fail "$test: ${sym}_run is not a global Thumb FUNC symbol (value '$runval')"; fi

  # --- Symbols: the prefix on everything defined, only memory helpers undefined.
  local bad_def bad_undef
  bad_def=$(arm-none-eabi-nm "$obj" | awk -v p="$sym" '$2 != "U" && NF == 3 && index($3, p "_") != 1 && index($3, ".L" p "_") != 1 && $3 != p { print $3 }')
  [[ -z $bad_def ]] && ok "nm: every defined symbol starts with ${sym}_" \
    || fail "$test: defined symbols without the ${sym}_ prefix: $(echo $bad_def)"
  bad_undef=$(arm-none-eabi-nm -u "$obj" | awk '{ print $NF }' | grep -vE '^(memcpy|memset|memmove|__aeabi_mem(cpy|cpy4|cpy8|set|set4|set8|clr|clr4|clr8|move|move4|move8))$')
  [[ -z $bad_undef ]] && ok "nm -u: undefined only memcpy/memset-like ($(arm-none-eabi-nm -u "$obj" | awk '{ print $NF }' | tr '\n' ' '))" \
    || fail "$test: unexpected undefined symbols: $(echo $bad_undef)"

  # --- Sections.
  local sections arena weights bss data_size
  sections=$(arm-none-eabi-objdump -h "$obj")
  arena=$(header_macro "$hdr" "${sym}_ARENA_SIZE")
  weights=$(header_macro "$hdr" "${sym}_WEIGHTS_SIZE")
  [[ $arena =~ ^[0-9]+$ ]] && ok "header: ${sym}_ARENA_SIZE $arena" || fail "$test: header lacks a numeric ${sym}_ARENA_SIZE ('$arena')"
  if awk -v s=".rodata.$sym" '$2 == s { f = 1 } END { exit !f }' <<< "$sections"; then
    ok "objdump -h: weights in .rodata.$sym"
  else
    fail "$test: no .rodata.$sym section"
  fi
  local wsec
  # objdump -t: VALUE FLAGS SECTION<tab>SIZE [.hidden] NAME (the flags may contain spaces).
  wsec=$(arm-none-eabi-objdump -t "$obj" | sed -n "s/^[0-9a-f]* .* \([^ ]*\)\t[0-9a-f]* .*[ ]${sym}_weights\$/\1/p")
  if [[ $weights =~ ^[0-9]+$ ]] && ((weights == 0)); then
    [[ -z $wsec || $wsec == ".rodata.$sym" ]] && ok "no weights; ${sym}_weights (if any) in .rodata.$sym" \
      || fail "$test: ${sym}_weights is in section '$wsec'"
  else
    [[ $wsec == ".rodata.$sym" ]] && ok "symbol ${sym}_weights ($weights bytes) in .rodata.$sym" \
      || fail "$test: ${sym}_weights is in section '${wsec:-none}' (header: ${sym}_WEIGHTS_SIZE '$weights')"
  fi
  if [[ $arena =~ ^[0-9]+$ ]] && ((arena > 0)); then
    local asize
    asize=$(awk -v s=".bss.${sym}_arena" '$2 == s { print $3 }' <<< "$sections")
    if [[ -n $asize ]] && ((16#$asize == arena)); then ok "objdump -h: .bss.${sym}_arena of $arena bytes"
    else fail "$test: .bss.${sym}_arena size '${asize:-absent}' (hex), header says $arena"; fi
    bss=$(arm-none-eabi-size "$obj" | awk 'NR == 2 { print $3 }')
    [[ $bss == "$arena" ]] && ok "size: .bss $bss == ${sym}_ARENA_SIZE" \
      || fail "$test: arm-none-eabi-size .bss is $bss, ${sym}_ARENA_SIZE is $arena"
  fi
  data_size=$(arm-none-eabi-size "$obj" | awk 'NR == 2 { print $2 }')
  [[ $data_size == 0 ]] && ok "size: no initialised writable data" || fail "$test: .data holds $data_size bytes"

  # --- The header agrees with the test data and compiles alone.
  local in_info out_info in_bytes out_bytes
  in_info=$("$py" "$tools/pb2raw.py" --info "$set/input_0.pb") || { fail "$test: input_0.pb unreadable"; return; }
  "$py" "$tools/pb2raw.py" "$set/input_0.pb" "$out/input0.bin" || { fail "$test: pb2raw input_0.pb"; return; }
  "$py" "$tools/pb2raw.py" "$set/output_0.pb" "$out/expected0.bin" || { fail "$test: pb2raw output_0.pb"; return; }
  in_bytes=$(stat -c %s "$out/input0.bin")
  out_bytes=$(stat -c %s "$out/expected0.bin")
  out_info=$("$py" "$tools/pb2raw.py" --info "$set/output_0.pb")
  cat > "$out/use_header.c" <<EOF
#include "$hdr"
_Static_assert(${sym}_NUM_INPUTS == 1, "one runtime input");
_Static_assert(${sym}_NUM_OUTPUTS == 1, "one output");
_Static_assert(${sym}_INPUT0_BYTES == $in_bytes, "input 0 bytes ($in_info)");
_Static_assert(${sym}_OUTPUT0_BYTES == $out_bytes, "output 0 bytes ($out_info)");
_Static_assert(${sym}_ARENA_SIZE >= 0, "arena size is a constant");
static unsigned char in0[${sym}_INPUT0_BYTES], out0[${sym}_OUTPUT0_BYTES];
int call(void) { return ${sym}_run((void *)in0, (void *)out0); }
EOF
  if run_cmd "$out/header.log" arm-none-eabi-gcc -std=c17 -Wall -Wextra -Werror -mcpu=cortex-m7 -mthumb \
      -mfloat-abi=hard -mfpu=fpv5-d16 -c "$out/use_header.c" -o "$out/use_header.o"; then
    ok "header: ${sym}_run prototype and NUM_INPUTS/OUTPUTS, INPUT0/OUTPUT0_BYTES ($in_info -> $out_info) agree"
  else
    fail "$test: the header does not compile or disagrees with the test data"
  fi

  # --- Run on the Cortex-M7, on the host and with the reference kernels: exact output bytes.
  local t
  for t in cortex-m7 host ref; do
    local count=(); [[ $t == cortex-m7 ]] && count=(--count)
    if run_cmd "$out/run-$t.log" "$bin/mcunet-run" "$dir/model.onnx" --target="$t" --name="$sym" \
        --input "$set/input_0.pb" --output "$out/got-$t.bin" "${binds[@]}" "${count[@]}"; then
      same_bytes "$test on $t: output equals output_0.pb ($out_bytes bytes)" "$out/expected0.bin" "$out/got-$t.bin"
    else
      fail "$test: mcunet-run --target=$t failed"
    fi
  done

  # --- The instruction count is exact: positive and the same on a second run.
  local n1 n2
  run_cmd "$out/run-again.log" "$bin/mcunet-run" "$dir/model.onnx" --name="$sym" --input "$set/input_0.pb" \
    "${binds[@]}" --count
  n1=$(sed -n 's/^instructions: //p' "$out/run-cortex-m7.log")
  n2=$(sed -n 's/^instructions: //p' "$out/run-again.log")
  if [[ -n $n1 && $n1 -gt 0 && $n1 == "$n2" ]]; then
    ok "$test: $n1 instructions on cortex-m7, the same on a second run"
  else
    fail "$test: instruction counts '$n1' and '$n2'"
  fi
}

check_test test_qlinearconv qlinearconv
check_test test_qlinearmatmul_2D qmm2d
check_test test_qlinearmatmul_3D qmm3d
finish
