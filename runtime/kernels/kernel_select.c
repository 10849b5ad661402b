/* kernel_select.c: the cost model of the conv / fully connected kernel families (instruction estimates). */
#include "kernel_select.h"

#include <stdio.h>
#include <string.h>

/* What: per layer, an estimate of the executed instructions of each applicable kernel family and register tile,
 * and the cheapest. Why: the GEMM tiles trade filter reuse (1x4: one widened filter word feeds 4 columns) against
 * tail waste (a 4-pixel block on 2 pixels) and the epilogue; the right one depends on k, o and the pixel count.
 * How: the loops of each kernel are counted as (iterations x instructions per iteration), with per-iteration
 * figures read off the Cortex-M7 assembly LLVM emits (mcunetc --emit=asm). Weakness: branch and spill effects are
 * folded into constants; the figures are estimates (within ~20% on the shared models), not counts; flash is a fixed
 * per-layer cap for the 4x1 tile (MCU_KSEL_W16_MAX_WEIGHTS; above it the 4x16 form, flash-neutral, ~10% slower),
 * not a budget over the model; the 4x16 form's scratch (up to 16 widened pixels) is not weighed against SRAM. */

static const char *const names[MCU_KF_COUNT] = {"auto", "scalar", "pointwise", "im2col", "first", "fc", "depthwise"};

const char *mcu_kfamily_name(mcu_kfamily_t f) { return f >= 0 && f < MCU_KF_COUNT ? names[f] : "?"; }

int mcu_kfamily_parse(const char *name) {
  for (int i = 0; i < MCU_KF_COUNT; ++i)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

const char *mcu_kfamily_im2col(mcu_kfamily_t f) {
  return f == MCU_KF_IM2COL || f == MCU_KF_FIRST ? "partial" : "none";
}

int mcu_ksel_tile_known(int32_t tm, int32_t tn) {
  return (tm == 1 && tn == 4) || (tm == 2 && tn == 2) || (tm == 1 && tn == 1) || (tm == 4 && tn == 1) ||
         (tm == 4 && tn == 16) || (tm == 2 && tn == 1);
}

static int gemm_family(mcu_kfamily_t f) {
  return f == MCU_KF_POINTWISE || f == MCU_KF_IM2COL || f == MCU_KF_FIRST || f == MCU_KF_FC;
}

static int is_depthwise(const mcu_ksel_shape_t *s) {
  return !s->is_fc && s->groups > 1 && s->groups == s->c && s->o == s->c;
}

int mcu_ksel_applies(const mcu_ksel_shape_t *s, mcu_kfamily_t f, int32_t tm, int32_t tn) {
  if (gemm_family(f)) {
    if (!mcu_ksel_tile_known(tm, tn)) return 0;
    if (!s->fast_numerics) return 0;
    /* the 4x1 tile and its compact form 4x16 (k_gemm_w16.h): 1x1 convs whose channel counts are multiples of 4 */
    if (tm == 4 && (f != MCU_KF_POINTWISE || s->c % 4 != 0 || s->o % 4 != 0 || s->c < 4 || s->o < 4)) return 0;
    /* the 2x1 tile: two output channels (the logits of a binary classifier), input channels a multiple of 16 */
    if (tm == 2 && tn == 1 && ((f != MCU_KF_POINTWISE && f != MCU_KF_FC) || s->o != 2 || s->c % 16 != 0)) return 0;
    /* a block wider than the layer's pixels (a fully connected layer of one row) only wastes scratch (4x16's chunk
     * is as wide as the layer's pixels, up to 16) */
    if (tn > 1 && tm != 4 && (int64_t)s->n * s->oh * s->ow < tn) return 0;
  } else if (tm != 0 || tn != 0) {
    return 0;
  }
  switch (f) {
  case MCU_KF_SCALAR: return 1;
  case MCU_KF_DEPTHWISE: return is_depthwise(s);
  case MCU_KF_FC: return s->is_fc;
  case MCU_KF_POINTWISE: return !s->is_fc && s->groups == 1 && s->kh == 1 && s->kw == 1 && !s->padded;
  case MCU_KF_IM2COL: return !s->is_fc && s->groups == 1;
  case MCU_KF_FIRST: return !s->is_fc && s->groups == 1 && s->c <= 4;
  default: return 0;
  }
}

/* Instructions of one widened column of k values built from contiguous bytes (4 per group of 4, 3 per tail value,
 * call overhead 4). */
static int64_t widen_cost(int64_t k) { return (k / 4) * 4 + (k % 4) * 3 + 4; }

int64_t mcu_ksel_cost(const mcu_ksel_shape_t *s, mcu_kfamily_t f, int32_t tm, int32_t tn) {
  if (!mcu_ksel_applies(s, f, tm, tn)) return -1;
  const int64_t pixels = (int64_t)s->n * s->oh * s->ow, o = s->o;
  const int64_t cpg = s->c / (s->groups > 0 ? s->groups : 1), k = (int64_t)s->kh * s->kw * cpg;
  const int64_t outputs = pixels * o, macs = outputs * k;
  const int64_t epilogue = 16; /* MultiplyByQuantizedMultiplier + offset + clamp + store, per output */
  if (f == MCU_KF_SCALAR) return macs * 7 + outputs * (epilogue + 8);
  if (f == MCU_KF_DEPTHWISE) return macs * 5 + outputs * (epilogue + 6);
  if (tm == 2 && tn == 1) /* per pixel: per 16 values 29 (the assembly), the two C epilogues, the call */
    return pixels * ((k / 16) * 29 + 2 * epilogue + 12);
  if (tm == 4) { /* per pixel: the widening, then o / 4 tiles of k / 4 groups and the fused epilogue */
    const int64_t k4 = k / 4, widen = (k4 / 4) * 12 + (k4 % 4) * 5 + 4;
    const int64_t tile = 3 + k4 * 11 + (k4 > 16 ? (k4 / 4) * 3 + 4 : 0) + 17;
    if (tn == 1) return pixels * (widen + 8 + (o / 4) * tile);
    /* 4x16: per chunk of 16 pixels each tile's int8 filter widened into the scratch (12 per 16 values, the bias
     * and record copied); pixels doubled in the MMLA modes (3 per word); 4 more per tile call */
    const int64_t chunks = (pixels + MCU_W16_CHUNK - 1) / MCU_W16_CHUNK;
    return pixels * (widen + 8 + (k / 2) * 3 + (o / 4) * (tile + 4)) + chunks * (o / 4) * (3 * k + 16);
  }
  /* column build per pixel */
  int64_t col;
  if ((f == MCU_KF_POINTWISE || f == MCU_KF_FC) && tn == 1) { /* read in place, both operands widened per use */
    const int64_t dot_direct = (k / 4) * 13 / 2 + (k % 4) * 4 + 6; /* four rows per input pass */
    return pixels * o * dot_direct + outputs * epilogue;
  }
  if (f == MCU_KF_POINTWISE || f == MCU_KF_FC) col = widen_cost(k);
  else if (cpg % 4 == 0) col = (int64_t)s->kh * s->kw * (widen_cost(cpg) + 8);
  else if (s->dilation_w == 1 && k <= 256) /* interior windows gathered row by row, then widened as one run */
    col = (int64_t)s->kh * ((int64_t)s->kw * cpg / 4 * 2 + 6) + widen_cost(k);
  else col = k * 6 + (int64_t)s->kh * s->kw * 6;
  /* inner loops: per group of 4 values and per tail value, per tile */
  const int64_t k4 = k / 4, kt = k % 4;
  int64_t step, tail, over; /* per k4 step, per tail value, per tile call */
  if (tm == 1 && tn == 4) step = 13, tail = 12, over = 10; /* 26 per two groups (the assembly, unrolled) */
  else if (tm == 2 && tn == 2) step = 18, tail = 12, over = 10;
  else step = 6, tail = 4, over = 6; /* four channels per pass over the column (mcu_gemm_dot4) */
  /* dot: one channel x one column of a partial block, four channels per pass (21 per group of four) */
  const int64_t tile = k4 * step + kt * tail + over, dot = k4 * 11 / 2 + kt * 4 + 6;
  const int64_t full_blocks = pixels / tn, rest = pixels % tn;
  /* a block: its columns, o / tm tiles and (2x2, odd o) the last channel as tn single dots */
  const int64_t block = tn * col + (o / tm) * tile + (o % tm) * tn * dot;
  const int64_t total = full_blocks * block + rest * (col + o * dot); /* the last partial block runs 1x1 */
  return total + outputs * epilogue;
}

mcu_ksel_choice_t mcu_ksel_choose(const mcu_ksel_shape_t *s, mcu_kfamily_t force, int32_t force_tm, int32_t force_tn) {
  /* On equal estimates the earlier tile wins: the smaller scratch. */
  static const int32_t tiles[][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 4}, {4, 1}, {4, 16}, {2, 1}};
  const int ntiles = (int)(sizeof tiles / sizeof tiles[0]);
  mcu_ksel_choice_t best = {MCU_KF_SCALAR, 0, 0, 1, mcu_ksel_cost(s, MCU_KF_SCALAR, 0, 0)};
  int forced_applies = 0;
  if (force != MCU_KF_AUTO)
    for (int t = 0; t < ntiles; ++t) forced_applies |= mcu_ksel_applies(s, force, tiles[t][0], tiles[t][1]);
  /* On equal estimates the earlier family wins: FIRST before IM2COL (the same kernel on few input channels). */
  static const mcu_kfamily_t order[] = {MCU_KF_SCALAR, MCU_KF_DEPTHWISE, MCU_KF_FC, MCU_KF_POINTWISE, MCU_KF_FIRST,
                                        MCU_KF_IM2COL};
  int have = 0;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; ++i) {
    const mcu_kfamily_t f = order[i];
    if (forced_applies && f != force) continue;
    for (int t = 0; t < ntiles; ++t) {
      const int32_t tm = tiles[t][0], tn = tiles[t][1];
      if (forced_applies && force_tm > 0 && mcu_ksel_applies(s, force, force_tm, force_tn) &&
          (tm != force_tm || tn != force_tn))
        continue;
      /* Flash: the 4x1 tile's stream holds the filter as int16 (one byte per value more than the int8 filter it
       * replaces in flash); unforced, it is taken only where that costs little (k * o <= MCU_KSEL_W16_MAX_WEIGHTS:
       * the narrow layers, where the 1x4 tile is weakest). */
      if (tm == 4 && tn == 16 && s->lean_scratch && !(forced_applies && force_tm == 4 && force_tn == 16)) continue;
      if (tm == 4 && tn == 1 && !(forced_applies && force_tm == 4 && force_tn == 1) &&
          (int64_t)s->c * s->o > MCU_KSEL_W16_MAX_WEIGHTS)
        continue;
      const int64_t c = mcu_ksel_cost(s, f, tm, tn);
      if (c < 0) continue;
      if (!have || c < best.cost) {
        best = (mcu_ksel_choice_t){f, tm, tn, gemm_family(f) ? 4 : 1, c};
        have = 1;
      }
    }
  }
  return best;
}

int mcu_ksel_parse_force(const char *spec, mcu_kfamily_t *out_family, int32_t *out_tm, int32_t *out_tn) {
  char fam[32];
  const char *colon = strchr(spec, ':');
  const size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
  if (n == 0 || n >= sizeof fam) return -1;
  memcpy(fam, spec, n);
  fam[n] = 0;
  const int f = mcu_kfamily_parse(fam);
  if (f < 0) return -1;
  int tm = 0, tn = 0, used = 0;
  if (colon) {
    if (sscanf(colon + 1, "%dx%d%n", &tm, &tn, &used) != 2 || colon[1 + used] != 0 || tm < 1 || tn < 1) return -1;
    if (!mcu_ksel_tile_known(tm, tn)) return -1;
  }
  *out_family = (mcu_kfamily_t)f;
  *out_tm = tm, *out_tn = tn;
  return 0;
}
