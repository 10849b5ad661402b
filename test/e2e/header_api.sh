#!/usr/bin/env bash
# header_api.sh BUILD_DIR SHARED_DIR: the generated API on the host (mcunetc --target=host, linked with cc).
#  - SYM_run_with_arena with several pools (tiny_cnn_int8, --pool dtcm:512 --pool sram:100000): one pointer per
#    pool (the header's prototype), caller pools filled with garbage give the same outputs as SYM_run on the static
#    pools; a NULL or misaligned pool pointer returns SYM_STATUS_BAD_ARENA and leaves the outputs untouched.
#  - Cortex-M7 objects (one arena, two pools): the only relocations against the static arena globals are in
#    .text.SYM_run, so every layer addresses activations through SYM_run_with_arena's arguments.
#  - SYM_quantize_input0 / SYM_dequantize_output0 against libm, over 200,000 values including every exact half:
#    ONNX (test_qlinearconv, uint8): q = clamp(nearbyintf(x / s) + z) (round half to even); TFLite (person_detect
#    from ../shared when present, int8): q = clamp((int)roundf(x / s) + z) (half away from zero), as TF Lite's
#    AffineQuantize; y = (float)(q - z) * s.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunetc
need_cmd cc
data=/usr/share/libonnx-testdata/data/node/test_qlinearconv

echo "== run_with_arena with two pools (host)"
if run_cmd "$w/pools.log" "$bin/mcunetc" "$models/tiny_cnn_int8.onnx" --target=host --name=m --pool dtcm:512 \
    --pool sram:100000 -o "$w/m.o"; then
  grep -q '^int m_run_with_arena(void \*dtcm, void \*sram, const float \*input0, float \*output0);$' "$w/m.h" &&
    ok "prototype: one pointer per pool, in pool order" || fail "prototype: $(grep run_with_arena "$w/m.h" | tail -n 1)"
  cat > "$w/pools.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "m.h"
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  static float in[m_INPUT0_BYTES / 4], ref[m_OUTPUT0_BYTES / 4], out[m_OUTPUT0_BYTES / 4];
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(in, 1, sizeof in, f) != sizeof in) return 2;
  fclose(f);
  if (m_run(in, ref) != m_STATUS_OK) return 3;
  unsigned char *dtcm = aligned_alloc(m_POOL_DTCM_ALIGN, 4096), *sram = aligned_alloc(m_POOL_SRAM_ALIGN, 102400);
  memset(dtcm, 0x5A, 4096);
  memset(sram, 0xA5, 102400);
  int bad = 0;
  if (m_run_with_arena(dtcm, sram, in, out) != m_STATUS_OK || memcmp(out, ref, sizeof out)) bad |= 1;
  memset(out, 0x77, sizeof out);
  if (m_run_with_arena(dtcm + 8, sram, in, out) != m_STATUS_BAD_ARENA) bad |= 2;
  if (m_run_with_arena(dtcm, NULL, in, out) != (m_POOL_SRAM_SIZE ? m_STATUS_BAD_ARENA : m_STATUS_OK)) bad |= 4;
  for (unsigned i = 0; i < sizeof out; ++i) if (((unsigned char *)out)[i] != 0x77 && m_POOL_SRAM_SIZE) bad |= 8;
  printf("pools %u + %u bytes, result %d\n", (unsigned)m_POOL_DTCM_SIZE, (unsigned)m_POOL_SRAM_SIZE, bad);
  return bad;
}
C
  if run_cmd "$w/ccp.log" cc -std=c17 -Wall -Wextra -Werror -I"$w" "$w/pools.c" "$w/m.o" -lm -o "$w/pools" &&
     "$w/pools" "$models/tiny_cnn.input.bin"; then
    ok "caller pools give SYM_run's outputs; NULL/misaligned pools are refused"
  else fail "run_with_arena with pools"; fi
else fail "tiny_cnn_int8 with two pools does not compile"; fi

echo "== the static arena is referenced by SYM_run only (cortex-m7 objects)"
if command -v arm-none-eabi-readelf > /dev/null; then
  for spec in "tiny:$models/tiny_cnn_int8.onnx:" "tinyp:$models/tiny_cnn_int8.onnx:--pool dtcm:512 --pool sram:100000"; do
    IFS=: read -r sym model extra <<< "$spec"
    # shellcheck disable=SC2086
    if run_cmd "$w/$sym.m7.log" "$bin/mcunetc" "$model" --name="$sym" -o "$w/$sym.m7.o" $extra; then
      # Every relocation against a static arena global (SYM_arena or a pool SYM_dtcm/SYM_sram), by section.
      arm-none-eabi-readelf -rW "$w/$sym.m7.o" | awk -v s="$sym" '
        /^Relocation section/ { sec = $3; gsub(/\x27/, "", sec) }
        $5 == s "_arena" || $5 == s "_dtcm" || $5 == s "_sram" { print sec }' | sort -u > "$w/$sym.relsec"
      [[ $(cat "$w/$sym.relsec") == ".rel.text.${sym}_run" ]] &&
        ok "$sym: the static arena is referenced from .text.${sym}_run only (layers use the arena argument)" ||
        fail "$sym: static arena referenced from: $(tr '\n' ' ' < "$w/$sym.relsec")"
      arm-none-eabi-nm "$w/$sym.m7.o" | grep -q " T ${sym}_run_with_arena$" && ok "$sym: ${sym}_run_with_arena is defined" ||
        fail "$sym: no ${sym}_run_with_arena"
    else fail "$sym: mcunetc failed"; fi
  done
else echo "note: arm-none-eabi-readelf absent: no relocation check"; fi

# check_helpers SYM HEADER_DIR TYPE LO HI ROUND: the helpers of SYM.h against libm (ROUND: nearbyintf or roundf).
check_helpers() {
  local sym=$1 dir=$2 type=$3 lo=$4 hi=$5 round=$6
  sed -e "s/@SYM@/$sym/g" -e "s/@T@/$type/g" -e "s/@LO@/$lo/g" -e "s/@HI@/$hi/g" -e "s/@ROUND@/$round/g" \
    > "$w/helpers_$sym.c" <<'C'
#include <math.h>
#include <stdio.h>
#include "@SYM@.h"
#define N @SYM@_INPUT0_ELEMENTS
static float xs[N], ys[@SYM@_OUTPUT0_ELEMENTS];
static @T@ qs[N], os[@SYM@_OUTPUT0_ELEMENTS];
int main(void) {
  const float s = @SYM@_INPUT0_SCALE;
  const int z = @SYM@_INPUT0_ZERO_POINT;
  long wrong = 0, total = 0, halves = 0;
  for (int round = 0; total < 200000; ++round) {
    for (int i = 0; i < N; ++i) {
      const int k = round * N + i;
      /* exact halves of the scale, a sweep of arbitrary values, huge values */
      xs[i] = (k % 3 == 0) ? ((float)(k % 601) - 300.0f + 0.5f) * s
            : (k % 3 == 1) ? (float)((k * 7919) % 200003 - 100001) * 1e-3f
            : (float)(k % 11 - 5) * 1e6f;
    }
    @SYM@_quantize_input0(xs, qs);
    for (int i = 0; i < N; ++i, ++total) {
      const float v = xs[i] / s;
      long r = (long)@ROUND@(v) + z;
      r = r < @LO@ ? @LO@ : r > @HI@ ? @HI@ : r;
      halves += v - truncf(v) == 0.5f || v - truncf(v) == -0.5f;
      if (qs[i] != r) {
        if (wrong < 5) printf("x = %.9g: helper %d, libm %ld\n", (double)xs[i], (int)qs[i], r);
        ++wrong;
      }
    }
  }
  for (int q = @LO@; q <= @HI@; ++q) {
    for (int i = 0; i < @SYM@_OUTPUT0_ELEMENTS; ++i) os[i] = (@T@)q;
    @SYM@_dequantize_output0(os, ys);
    const float want = (float)((double)@SYM@_OUTPUT0_SCALE * (double)(q - @SYM@_OUTPUT0_ZERO_POINT));
    for (int i = 0; i < @SYM@_OUTPUT0_ELEMENTS; ++i) wrong += ys[i] != want;
  }
  printf("%ld values (%ld exact halves), %ld differ\n", total, halves, wrong);
  return wrong != 0;
}
C
  if run_cmd "$w/cch_$sym.log" cc -std=c17 -O2 -Wall -Wextra -Werror -I"$dir" "$w/helpers_$sym.c" -lm -o "$w/helpers_$sym" &&
     "$w/helpers_$sym"; then
    ok "$sym: quantize/dequantize helpers equal libm's $round"
  else fail "$sym: the helpers differ from libm's $round"; fi
}

echo "== quantize helpers, ONNX rounding (test_qlinearconv, uint8)"
if [[ -d $data ]]; then
  binds=()
  for i in 1:x_scale 2:x_zero_point 3:w 4:w_scale 5:w_zero_point 6:y_scale 7:y_zero_point; do
    binds+=(--bind "${i#*:}=$data/test_data_set_0/input_${i%%:*}.pb")
  done
  if run_cmd "$w/qconv.log" "$bin/mcunetc" "$data/model.onnx" --target=host --name=qconv -o "$w/qconv.o" "${binds[@]}"; then
    grep -q "rounding half to even" "$w/qconv.h" && ok "qconv.h states ONNX's rounding" || fail "qconv.h rounding comment"
    check_helpers qconv "$w" uint8_t 0 255 nearbyintf
  else fail "test_qlinearconv does not compile"; fi
else echo "note: $data absent: no ONNX helper check"; fi

echo "== quantize helpers, TF Lite rounding (person_detect, int8)"
if [[ -n $shared && -f $shared/models/tflite/person_detect.tflite ]]; then
  if run_cmd "$w/pd.log" "$bin/mcunetc" "$shared/models/tflite/person_detect.tflite" --target=host --name=pd -o "$w/pd.o"; then
    grep -q "rounding half away from zero" "$w/pd.h" && ok "pd.h states TF Lite's rounding" || fail "pd.h rounding comment"
    check_helpers pd "$w" int8_t -128 127 roundf
  else fail "person_detect does not compile"; fi
else echo "note: the shared models are absent: no TF Lite helper check"; fi
finish
