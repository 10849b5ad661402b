/* prepare_onnx_conv_test.c: ONNX int8 convs on the fast kernels against the reference conv (runtime/ref/conv2d.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_call.h"
#include "k_onnx_rq.h"
#include "kernel_select.h"
#include "mcu_test.h"
#include "prepare_onnx.h"
#include "ref.h"

/* Each case is a random ONNX-numerics int8 conv (input/output zero points, per-tensor or per-channel filter scales,
 * optional bias, fused activation range); every kernel family and tile that applies is forced in turn
 * (l->kernel_family / kernel_tile, as select-kernels records them) and the host build of the function that
 * mcu_kernel_prepare picks is run on random inputs; its bytes must equal mcu_ref_conv2d's (the independent scalar
 * reference: float32 requantization with the reference's own clamp-then-round). Then the cases the fast kernels
 * must refuse (nonzero filter zero point, a multiplier too large for the short requantization, uint8, "scalar")
 * must not be handled by the library (they stay on cg_conv.c). */

static uint32_t g_rng = 88172645u;
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return lo + (int32_t)(g_rng % (uint32_t)(hi - lo + 1));
}

typedef struct conv_case {
  const char *name;
  int32_t n, h, w, c, o, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr;
  int per_channel, bias, act_lo, act_hi;
  double m_scale; /* multiplier relative to the one that keeps outputs inside the int8 range */
  int32_t w_zp;   /* filter zero point (0: the fast kernels apply) */
  mcu_dtype_t dt; /* activations' and filter's type */
} conv_case_t;

typedef struct built {
  mcu_tensor_t t[4]; /* x, w, b, y */
  double sc[4][1024];
  int32_t zp[4][1024];
  mcu_layer_t l;
  mcu_program_t p;
  int in_idx[1], out_idx[1];
  int8_t *x, *wd, *y, *yref;
  int32_t *bd;
  int64_t nx, nw, ny;
} built_t;

static void tensor(built_t *b, int i, mcu_dtype_t dt, int rank, const int32_t *shape, int nscales, mcu_storage_t st) {
  mcu_tensor_t *t = &b->t[i];
  memset(t, 0, sizeof *t);
  t->name = "";
  t->dtype = dt;
  t->rank = rank;
  memcpy(t->shape, shape, sizeof(int32_t) * (size_t)rank);
  t->quant_axis = nscales > 1 ? 0 : -1;
  t->num_scales = nscales;
  t->scales = b->sc[i];
  t->zero_points = b->zp[i];
  t->storage = st;
}

static int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t p1) {
  return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

static void build(built_t *b, const conv_case_t *cc) {
  memset(b, 0, sizeof *b);
  const int32_t oh = out_size(cc->h, cc->kh, cc->sh, cc->dh, cc->pt, cc->pb);
  const int32_t ow = out_size(cc->w, cc->kw, cc->sw, cc->dw, cc->pl, cc->pr);
  const int32_t xs[4] = {cc->n, cc->h, cc->w, cc->c}, ws[4] = {cc->o, cc->kh, cc->kw, cc->c / cc->groups};
  const int32_t bs[1] = {cc->o}, ys[4] = {cc->n, oh, ow, cc->o};
  tensor(b, 0, cc->dt, 4, xs, 1, MCU_STORAGE_INPUT);
  tensor(b, 1, cc->dt, 4, ws, cc->per_channel ? cc->o : 1, MCU_STORAGE_CONST);
  tensor(b, 2, MCU_DT_I32, 1, bs, 0, MCU_STORAGE_CONST);
  b->t[2].scales = NULL, b->t[2].zero_points = NULL;
  tensor(b, 3, cc->dt, 4, ys, 1, MCU_STORAGE_OUTPUT);
  const int u8 = cc->dt == MCU_DT_U8;
  b->nx = (int64_t)cc->n * cc->h * cc->w * cc->c, b->nw = (int64_t)cc->o * cc->kh * cc->kw * (cc->c / cc->groups);
  b->ny = (int64_t)cc->n * oh * ow * cc->o;
  b->x = malloc((size_t)b->nx), b->wd = malloc((size_t)b->nw), b->y = malloc((size_t)b->ny);
  b->yref = malloc((size_t)b->ny), b->bd = malloc(sizeof(int32_t) * (size_t)cc->o);
  for (int64_t i = 0; i < b->nx; ++i) b->x[i] = (int8_t)(u8 ? rnd(0, 255) : rnd(-128, 127));
  for (int64_t i = 0; i < b->nw; ++i) b->wd[i] = (int8_t)(u8 ? rnd(0, 255) : rnd(-127, 127));
  for (int32_t o = 0; o < cc->o; ++o) b->bd[o] = rnd(-20000, 20000);
  b->t[1].data = (uint8_t *)b->wd;
  b->t[2].data = (uint8_t *)b->bd;
  const int32_t k = cc->kh * cc->kw * (cc->c / cc->groups);
  b->sc[0][0] = 0.02 + 0.001 * rnd(0, 10);
  b->zp[0][0] = u8 ? rnd(100, 150) : rnd(-20, 20);
  for (int i = 0; i < (cc->per_channel ? cc->o : 1); ++i) {
    b->sc[1][i] = 0.002 + 0.0001 * rnd(0, 30);
    b->zp[1][i] = cc->w_zp;
  }
  /* typical |acc| ~ sqrt(k) * 73 * 73: scale the output so that it lands around +-40 (times m_scale) */
  b->sc[3][0] = b->sc[0][0] * 0.0035 * sqrt((double)k) * 5300.0 / 40.0 / cc->m_scale;
  b->zp[3][0] = u8 ? rnd(110, 140) : rnd(-10, 10);
  mcu_layer_t *l = &b->l;
  l->name = (char *)cc->name;
  l->op = MCU_OP_CONV2D;
  l->numerics = MCU_NUMERICS_ONNX;
  l->num_inputs = cc->bias ? 3 : 2;
  l->inputs[0] = 0, l->inputs[1] = 1, l->inputs[2] = cc->bias ? 2 : -1;
  l->output = 3;
  l->stride[0] = cc->sh, l->stride[1] = cc->sw, l->dilation[0] = cc->dh, l->dilation[1] = cc->dw;
  l->pad[0] = cc->pt, l->pad[1] = cc->pl, l->pad[2] = cc->pb, l->pad[3] = cc->pr;
  l->groups = cc->groups;
  l->act_min = cc->act_lo, l->act_max = cc->act_hi;
  l->fact_min = -INFINITY, l->fact_max = INFINITY;
  mcu_program_t *p = &b->p;
  p->name = "t";
  p->num_tensors = 4, p->tensors = b->t;
  p->num_layers = 1, p->layers = l;
  p->num_inputs = 1, p->inputs = b->in_idx, p->num_outputs = 1, p->outputs = b->out_idx;
  b->out_idx[0] = 3;
}

static void release(built_t *b) {
  free(b->x), free(b->wd), free(b->y), free(b->yref), free(b->bd);
}

/* The library function the family must give (NULL: the layer must stay off the library). */
static const char *expected_fn(mcu_kfamily_t f) {
  switch (f) {
  case MCU_KF_POINTWISE: return "mcu_k_conv_pw_s8";
  case MCU_KF_IM2COL:
  case MCU_KF_FIRST: return "mcu_k_conv_im2col_s8";
  case MCU_KF_DEPTHWISE: return "mcu_k_conv_dw_s8";
  default: return NULL;
  }
}

/* Runs the layer through the library with family f / tile forced; compares with the reference. Returns 1 when it
 * ran. */
static int run_forced(built_t *b, const conv_case_t *cc, mcu_kfamily_t f, int32_t tm, int32_t tn) {
  mcu_layer_t *l = &b->l;
  l->kernel_family = f, l->kernel_tile[0] = tm, l->kernel_tile[1] = tn;
  const mcu_ksel_choice_t ch = mcu_onnx_kernel_choice(&b->p, l);
  if (f != MCU_KF_AUTO && (ch.family != f || ch.tile_m != tm || ch.tile_n != tn)) return 0; /* does not apply */
  const char *want = expected_fn(ch.family);
  const int handled = mcu_kernel_handles(&b->p, l);
  CHECK(handled == (want != NULL), "%s %s %dx%d: handled %d", cc->name, mcu_kfamily_name(f), tm, tn, handled);
  if (!handled || !want) return 0;
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(&b->p, l, &call);
  CHECK(s == NULL, "%s: prepare: %s", cc->name, s ? mcu_status_message(s) : "");
  if (s) {
    mcu_status_free(s);
    return 0;
  }
  CHECK(!strcmp(call.function, want), "%s %s: function %s, want %s", cc->name, mcu_kfamily_name(f), call.function,
        want);
  mcu_kernel_fn fn = mcu_kernel_lookup(call.function);
  void *scratch = call.scratch_bytes ? malloc(call.scratch_bytes) : NULL;
  if (scratch) memset(scratch, 0xA5, call.scratch_bytes); /* contents undefined on entry */
  memset(b->y, 0x5A, (size_t)b->ny);
  if (fn) fn(call.params, call.aux[0], call.aux[1], b->x, b->wd, cc->bias ? b->bd : NULL, b->y, scratch);
  free(scratch);
  mcu_kernel_call_release(&call);
  int64_t diff = 0, first = -1;
  for (int64_t i = 0; i < b->ny; ++i)
    if (b->y[i] != b->yref[i]) diff++, first = first < 0 ? i : first;
  CHECK(diff == 0, "%s %s %dx%d: %lld of %lld outputs differ from the reference (first %lld: %d vs %d)", cc->name,
        mcu_kfamily_name(ch.family), ch.tile_m, ch.tile_n, (long long)diff, (long long)b->ny, (long long)first,
        first >= 0 ? b->y[first] : 0, first >= 0 ? b->yref[first] : 0);
  return 1;
}

static void test_case(const conv_case_t *cc) {
  built_t b;
  build(&b, cc);
  const int rc = mcu_ref_conv2d(&b.l, &b.t[0], b.x, &b.t[1], b.wd, cc->bias ? &b.t[2] : NULL,
                                cc->bias ? b.bd : NULL, &b.t[3], b.yref);
  CHECK(rc == 0, "%s: the reference refused the layer", cc->name);
  /* some outputs saturate, most do not: the data exercises both the rounding and the clamp */
  int64_t sat = 0;
  for (int64_t i = 0; i < b.ny; ++i) sat += b.yref[i] == -128 || b.yref[i] == 127;
  CHECK(sat < b.ny / 2, "%s: %lld of %lld outputs saturate", cc->name, (long long)sat, (long long)b.ny);
  static const int32_t tiles[4][2] = {{1, 4}, {2, 2}, {1, 1}, {0, 0}};
  static const mcu_kfamily_t fams[] = {MCU_KF_POINTWISE, MCU_KF_IM2COL, MCU_KF_FIRST, MCU_KF_DEPTHWISE};
  int ran = run_forced(&b, cc, MCU_KF_AUTO, 0, 0);
  for (size_t f = 0; f < sizeof fams / sizeof fams[0]; ++f)
    for (int t = 0; t < 4; ++t) ran += run_forced(&b, cc, fams[f], tiles[t][0], tiles[t][1]);
  CHECK(ran >= 2, "%s: only %d variants ran", cc->name, ran);
  printf("%-22s %d kernel variants equal the reference\n", cc->name, ran);
  /* "scalar" forced: the loop nest of cg_conv.c, not the library */
  b.l.kernel_family = MCU_KF_SCALAR, b.l.kernel_tile[0] = b.l.kernel_tile[1] = 0;
  CHECK(!mcu_kernel_handles(&b.p, &b.l), "%s: scalar forced but the library takes the layer", cc->name);
  release(&b);
}

/* A layer the fast kernels must refuse: not handled whatever family is forced. */
static void test_refused(const conv_case_t *cc, const char *why) {
  built_t b;
  build(&b, cc);
  static const mcu_kfamily_t fams[] = {MCU_KF_AUTO, MCU_KF_POINTWISE, MCU_KF_IM2COL, MCU_KF_FIRST, MCU_KF_DEPTHWISE};
  for (size_t f = 0; f < sizeof fams / sizeof fams[0]; ++f) {
    b.l.kernel_family = fams[f], b.l.kernel_tile[0] = b.l.kernel_tile[1] = 0;
    CHECK(!mcu_kernel_handles(&b.p, &b.l), "%s (%s): handled with %s forced", cc->name, why,
          mcu_kfamily_name(fams[f]));
  }
  release(&b);
}

/* The bound check (onnx_conv_fast_ok, seen through mcu_onnx_ksel_shape's fast_numerics) against the rule written
 * out channel by channel: exact when |bias[o]| + 255 * sum |w[o, :]| times m[o] passes mcu_onnx_rq_short_ok. Over
 * multipliers around the limit, per-tensor and per-channel scales, random, splat (marked t->splat, as lower.c does
 * for a splat constant, or not marked) and zero filters, with and without (large, splat) biases; its shortcuts
 * (the worst case |w| = 128, the largest |bias| for a per-tensor scale, a splat filter's sum) must never change
 * the answer, and both answers must occur. */
static void test_bound_check(void) {
  int seen[2] = {0, 0};
  for (int variant = 0; variant < 6 * 2 * 2; ++variant) {
    const int fill = variant % 6, per_channel = variant / 6 % 2, bias = variant / 12 % 2;
    const conv_case_t cc = {"bound", 1, 3, 3, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, per_channel, bias, -128, 127,
                            1, 0, MCU_DT_I8};
    built_t b;
    build(&b, &cc);
    /* fill 0: random filter; 1: splat 100 marked; 2: splat -128 marked; 3: zero marked; 4: splat 100 unmarked;
     * 5: random with the first channel all 127 (the worst-case check fails there first) */
    const int32_t per = 3 * 3 * 16, splat_v[6] = {0, 100, -128, 0, 100, 0};
    for (int64_t i = 0; fill >= 1 && fill <= 4 && i < b.nw; ++i) b.wd[i] = (int8_t)splat_v[fill];
    for (int32_t i = 0; fill == 5 && i < per; ++i) b.wd[i] = 127;
    b.t[1].splat = fill >= 1 && fill <= 3;
    for (int32_t o = 0; bias && o < cc.o; ++o) b.bd[o] = (variant & 1) ? (o == 5 ? -900000 : 20000 * o) : -250000;
    b.t[2].splat = bias && !(variant & 1);
    for (int step = 0; step < 40; ++step) {
      /* m from about 0.5 to 60: the limit 2^21 / (255 * sum |w| + |bias|) lies inside for every fill but zero */
      b.sc[3][0] = b.sc[0][0] * b.sc[1][0] / (0.5 * pow(1.13, step));
      int expect = 1;
      for (int32_t o = 0; o < cc.o; ++o) {
        int64_t sum = 0;
        for (int32_t i = 0; i < per; ++i) sum += abs(b.wd[(size_t)o * per + (size_t)i]);
        const int64_t babs = bias ? llabs((long long)b.bd[o]) : 0;
        const float m = mcu_ref_requant_scale(b.sc[0][0], b.sc[1][per_channel ? o : 0], b.sc[3][0]);
        expect &= mcu_onnx_rq_short_ok(255 * sum + babs, m);
      }
      mcu_ksel_shape_t ks;
      CHECK(mcu_onnx_ksel_shape(&b.p, &b.l, &ks) == 1, "bound variant %d: not a conv", variant);
      CHECK(ks.fast_numerics == expect, "bound variant %d (fill %d, per-channel %d, bias %d) step %d: fast %d, rule %d",
            variant, fill, per_channel, bias, step, ks.fast_numerics, expect);
      seen[expect] = 1;
    }
    release(&b);
  }
  CHECK(seen[0] && seen[1], "bound check: only one answer occurred (%d %d)", seen[0], seen[1]);
}

int main(void) {
  test_bound_check();
  /*                name          n  h   w   c   o  kh kw  g  sh sw dh dw pt pl pb pr pc bias  lo    hi  m  wzp dt */
  static const conv_case_t cases[] = {
      {"pointwise", 1, 6, 7, 16, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -128, 127, 1, 0, MCU_DT_I8},
      {"pointwise_odd", 2, 5, 3, 13, 7, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -128, 127, 1, 0, MCU_DT_I8},
      {"pointwise_s2_relu", 1, 9, 9, 20, 10, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 3, 127, 1, 0, MCU_DT_I8},
      {"conv3x3_pad_s2", 1, 9, 8, 8, 12, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, -128, 127, 1, 0, MCU_DT_I8},
      {"conv3x3_c6_dil", 1, 10, 9, 6, 5, 3, 3, 1, 1, 2, 2, 1, 2, 0, 1, 1, 0, 1, -100, 90, 1, 0, MCU_DT_I8},
      {"first_layer", 1, 12, 12, 3, 16, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, -128, 127, 1, 0, MCU_DT_I8},
      {"conv5x5_c4", 1, 7, 7, 4, 9, 5, 5, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, -128, 127, 2, 0, MCU_DT_I8},
      {"depthwise3x3", 1, 8, 9, 12, 12, 3, 3, 12, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -128, 127, 1, 0, MCU_DT_I8},
      {"depthwise7x7_s2", 1, 13, 13, 5, 5, 7, 7, 5, 2, 2, 1, 1, 3, 3, 3, 3, 1, 0, 0, 127, 1, 0, MCU_DT_I8},
      {"depthwise_batch2", 2, 6, 6, 4, 4, 3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, -128, 127, 1, 0, MCU_DT_I8},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) test_case(&cases[i]);

  static const conv_case_t refuse_zp = {"filter_zp", 1, 5, 5, 8, 8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
                                        0, 1, -128, 127, 1, 3, MCU_DT_I8};
  test_refused(&refuse_zp, "nonzero filter zero point");
  /* a multiplier of ~2e4 times the usual one: |acc| * m can reach 2^21, the short requantization is not exact */
  static const conv_case_t refuse_m = {"huge_multiplier", 1, 5, 5, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                       0, 1, -128, 127, 20000, 0, MCU_DT_I8};
  test_refused(&refuse_m, "accumulator bound");
  static const conv_case_t refuse_u8 = {"uint8", 1, 5, 5, 8, 8, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
                                        0, 1, 0, 255, 1, 128, MCU_DT_U8};
  test_refused(&refuse_u8, "uint8");
  return mcu_test_finish();
}
