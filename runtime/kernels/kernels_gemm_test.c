/* kernels_gemm_test.c: every GEMM-core kernel variant against the scalar conv / fully connected kernels, bytewise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_gemm_s8.h"
#include "kernel_call.h"
#include "kernel_select.h"
#include "mcu_test.h"
#include "prepare_tflite.h"

/* Each case builds a random int8 TF Lite conv (kh x kw, strides, padding, dilation, 1..23 input channels so that
 * k % 4 takes every value, 1..9 output channels so that odd counts leave 2x2 tails, 1..N pixels so that partial
 * blocks occur) or fully connected layer, runs it once with the layer's family forced to scalar (mcu_k_conv_s8 /
 * mcu_k_fc_s8) and once per applicable GEMM family and tile (pointwise, im2col, first, fc x 1x4, 2x2, 1x1; 4x1 for
 * 1x1 convs, one case in four has channel counts that are multiples of 4), through
 * mcu_kernel_prepare / mcu_kernel_lookup (the reference's path: table entry, match, prepare with the folded bias),
 * and requires identical bytes. The scratch is filled with garbage first. One case in six has biases of 2^30 or
 * more, which rule out the MMLA epilogue (its accumulator bound), so both kinds of requantization are compared.
 * Also: the cost model's own checks. */

static uint32_t g_rng = 88172645u;
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return lo + (int32_t)(g_rng % (uint32_t)(hi - lo + 1));
}
static double rnd_unit(void) { return (double)rnd(0, 1 << 20) / (double)(1 << 20); }

enum { T_X, T_W, T_B, T_Y, NT };

typedef struct {
  mcu_tensor_t t[NT];
  double sc[NT][64];
  int32_t zp[NT][64];
} tensors_t;

static void set_tensor(tensors_t *g, int i, mcu_dtype_t dt, int rank, const int32_t *shape) {
  mcu_tensor_t *t = &g->t[i];
  memset(t, 0, sizeof *t);
  t->name = "";
  t->dtype = dt;
  t->rank = rank;
  for (int d = 0; d < rank; ++d) t->shape[d] = shape[d];
  t->quant_axis = -1;
  t->num_scales = 1;
  t->scales = g->sc[i];
  t->zero_points = g->zp[i];
  t->live_first = t->live_last = -1;
}

static int g_modes[2]; /* GEMM calls prepared with another requantization mode, with an MMLA mode */
static int g_w16_forms[3]; /* 4x1 calls prepared per epilogue form (MCU_W16_EPI_*) */

static uint8_t *run(const mcu_program_t *p, const mcu_layer_t *l, const uint8_t *const *bufs, const char **out_fn) {
  mcu_kernel_call_t c;
  mcu_status_t s = mcu_kernel_prepare(p, l, &c);
  CHECK(s == NULL, "prepare: %s", s ? mcu_status_message(s) : "");
  if (s) {
    mcu_status_free(s);
    return NULL;
  }
  if (strcmp(c.function, "mcu_k_conv_s8") && strcmp(c.function, "mcu_k_fc_s8")) { /* a GEMM kernel: its mode */
    mcu_k_gemm_params_t g;
    memcpy(&g, c.params, sizeof g);
    ++g_modes[g.rq_mode >= MCU_GEMM_RQ_MMLA ? 1 : 0];
    if (g.tile_m == 4 && g.tile_n == 1 && g.w16_epi >= 0 && g.w16_epi < 3) ++g_w16_forms[g.w16_epi];
  }
  mcu_kernel_fn fn = mcu_kernel_lookup(c.function);
  const size_t ny = (size_t)mcu_tensor_bytes(&p->tensors[l->output]);
  uint8_t *y = malloc(ny + 1), *scratch = c.scratch_bytes ? malloc(c.scratch_bytes) : NULL;
  if (scratch) memset(scratch, 0xa5, c.scratch_bytes);
  const void *bias = l->num_inputs > 2 ? bufs[l->inputs[2]] : NULL;
  fn(c.params, c.aux[0], c.aux[1], bufs[l->inputs[0]], bufs[l->inputs[1]], bias, y, scratch);
  *out_fn = c.function;
  free(scratch);
  mcu_kernel_call_release(&c);
  return y;
}

static int g_compared[MCU_KF_COUNT];
static int g_compared_4x1;  /* the 4x1 tile (k_gemm_w16.h, its host C form) */
static int g_compared_4x16; /* its compact form over chunks of pixels */
static int g_compared_2x1;  /* the two-channel tile */

static void one_case(int id, int fc) {
  tensors_t g;
  memset(&g, 0, sizeof g);
  mcu_layer_t l;
  memset(&l, 0, sizeof l);
  l.name = "c";
  l.numerics = MCU_NUMERICS_TFLITE;
  l.num_inputs = rnd(0, 5) ? 3 : 2;
  l.inputs[0] = T_X, l.inputs[1] = T_W, l.inputs[2] = T_B;
  l.output = T_Y;
  l.stride[0] = l.stride[1] = l.dilation[0] = l.dilation[1] = l.groups = 1;
  l.act_min = -128, l.act_max = 127;
  if (rnd(0, 2) == 0) l.act_min = rnd(-128, 0), l.act_max = rnd(l.act_min, 127);
  const int mult4 = rnd(0, 3) == 0; /* channel counts that are multiples of 4: the 4x1 tile applies to 1x1 convs */
  const int two = !mult4 && rnd(0, 5) == 0; /* o == 2, c % 16 == 0: the 2x1 tile applies */
  const int32_t c = mult4 ? 4 * rnd(1, 20) : two ? 16 * rnd(1, 20) : rnd(0, 3) ? rnd(1, 23) : rnd(24, 70);
  const int32_t o = mult4 ? 4 * rnd(1, 3) : two ? 2 : rnd(1, 9);
  int32_t k;
  if (fc) {
    l.op = MCU_OP_FULLY_CONNECTED;
    const int32_t batches = rnd(1, 6);
    set_tensor(&g, T_X, MCU_DT_I8, 2, (int32_t[]){batches, c});
    set_tensor(&g, T_W, MCU_DT_I8, 2, (int32_t[]){o, c});
    set_tensor(&g, T_Y, MCU_DT_I8, 2, (int32_t[]){batches, o});
    k = c;
  } else {
    l.op = MCU_OP_CONV2D;
    const int32_t n = rnd(1, 2), h = rnd(1, 9), w = rnd(1, 9);
    const int32_t kh = mult4 || rnd(0, 2) ? 1 : rnd(1, 5), kw = mult4 || rnd(0, 3) ? kh : rnd(1, 5);
    l.stride[0] = rnd(1, 2), l.stride[1] = rnd(1, 2);
    l.dilation[0] = rnd(0, 4) ? 1 : 2, l.dilation[1] = rnd(0, 4) ? 1 : 2;
    for (int i = 0; i < 4; ++i) l.pad[i] = rnd(0, 2) ? 0 : rnd(0, ((i & 1) ? kw : kh) - 1);
    int64_t eh = (int64_t)h + l.pad[0] + l.pad[2] - (int64_t)(kh - 1) * l.dilation[0] - 1;
    int64_t ew = (int64_t)w + l.pad[1] + l.pad[3] - (int64_t)(kw - 1) * l.dilation[1] - 1;
    if (eh < 0) l.pad[0] = l.pad[2] = (kh - 1) * l.dilation[0], eh = h - 1 + (kh - 1) * l.dilation[0];
    if (ew < 0) l.pad[1] = l.pad[3] = (kw - 1) * l.dilation[1], ew = w - 1 + (kw - 1) * l.dilation[1];
    const int32_t oh = (int32_t)(eh / l.stride[0] + 1), ow = (int32_t)(ew / l.stride[1] + 1);
    set_tensor(&g, T_X, MCU_DT_I8, 4, (int32_t[]){n, h, w, c});
    set_tensor(&g, T_W, MCU_DT_I8, 4, (int32_t[]){o, kh, kw, c});
    set_tensor(&g, T_Y, MCU_DT_I8, 4, (int32_t[]){n, oh, ow, o});
    k = kh * kw * c;
  }
  set_tensor(&g, T_B, MCU_DT_I32, 1, (int32_t[]){o});
  g.sc[T_X][0] = 0.05 * (0.5 + rnd_unit()), g.zp[T_X][0] = rnd(-128, 127);
  const int per_channel = rnd(0, 1);
  g.t[T_W].num_scales = per_channel ? o : 1;
  g.t[T_W].quant_axis = per_channel ? 0 : -1;
  for (int i = 0; i < g.t[T_W].num_scales; ++i) g.sc[T_W][i] = 0.01 * (0.2 + rnd_unit()), g.zp[T_W][i] = 0;
  g.sc[T_Y][0] = g.sc[T_X][0] * 0.01 * 3.0 * (0.3 + rnd_unit()) * (double)k / 4.0;
  g.zp[T_Y][0] = rnd(0, 2) ? rnd(-30, 30) : -128; /* -128: the 4x1 tile's RELU epilogues */
  const size_t nw = (size_t)mcu_tensor_elements(&g.t[T_W]), nx = (size_t)mcu_tensor_elements(&g.t[T_X]);
  g.t[T_W].storage = g.t[T_B].storage = MCU_STORAGE_CONST;
  g.t[T_W].data = malloc(nw);
  for (size_t i = 0; i < nw; ++i) g.t[T_W].data[i] = (uint8_t)(int8_t)rnd(-127, 127);
  g.t[T_B].data = malloc(4 * (size_t)o);
  const int huge_bias = rnd(0, 5) == 0; /* |bias| >= 2^30: the MMLA epilogue's bound fails, the others run */
  for (int32_t i = 0; i < o; ++i) {
    const int32_t v = huge_bias ? (rnd(0, 1) ? 1 : -1) * rnd(1 << 30, INT32_MAX) : rnd(-5000, 5000);
    memcpy(g.t[T_B].data + 4 * i, &v, 4);
  }
  uint8_t *x = malloc(nx);
  for (size_t i = 0; i < nx; ++i) x[i] = (uint8_t)rnd(0, 255);
  mcu_program_t p = {.name = "t", .num_tensors = NT, .tensors = g.t, .num_layers = 1, .layers = &l};
  const uint8_t *bufs[NT] = {x, g.t[T_W].data, g.t[T_B].data, NULL};
  const size_t ny = (size_t)mcu_tensor_elements(&g.t[T_Y]);

  l.kernel_family = MCU_KF_SCALAR;
  const char *fn = NULL;
  uint8_t *ref = run(&p, &l, bufs, &fn);
  CHECK(fn && (!strcmp(fn, "mcu_k_conv_s8") || !strcmp(fn, "mcu_k_fc_s8")), "case %d: scalar ran %s", id,
        fn ? fn : "nothing");
  static const mcu_kfamily_t fams[4] = {MCU_KF_POINTWISE, MCU_KF_IM2COL, MCU_KF_FIRST, MCU_KF_FC};
  static const char *const fnames[4] = {"mcu_k_conv_pw_s8", "mcu_k_conv_im2col_s8", "mcu_k_conv_im2col_s8",
                                        "mcu_k_fc_gemm_s8"};
  static const int32_t tiles[6][2] = {{1, 4}, {2, 2}, {1, 1}, {4, 1}, {4, 16}, {2, 1}};
  mcu_ksel_shape_t shape;
  for (int f = 0; f < 4; ++f)
    for (int t = 0; t < 6; ++t) {
      l.kernel_family = MCU_KF_SCALAR;
      /* the shape as the prepare functions see it decides applicability (prepare_tflite.h) */
      if (!mcu_tfl_ksel_shape(&p, &l, &shape) || !mcu_ksel_applies(&shape, fams[f], tiles[t][0], tiles[t][1]))
        continue;
      l.kernel_family = fams[f], l.kernel_tile[0] = tiles[t][0], l.kernel_tile[1] = tiles[t][1];
      uint8_t *y = run(&p, &l, bufs, &fn);
      CHECK(fn && !strcmp(fn, fnames[f]), "case %d: %s ran %s", id, mcu_kfamily_name(fams[f]), fn ? fn : "nothing");
      size_t diff = 0, first = 0;
      for (size_t i = 0; y && ref && i < ny; ++i)
        if (y[i] != ref[i]) ++diff, first = i;
      CHECK(y && ref && diff == 0, "case %d: %s %dx%d (k %d, o %d): %zu of %zu bytes differ (last at %zu)", id,
            mcu_kfamily_name(fams[f]), tiles[t][0], tiles[t][1], k, o, diff, ny, first);
      ++g_compared[fams[f]];
      g_compared_4x1 += tiles[t][0] == 4 && tiles[t][1] == 1, g_compared_4x16 += tiles[t][0] == 4 && tiles[t][1] == 16;
      g_compared_2x1 += tiles[t][0] == 2 && tiles[t][1] == 1;
      free(y);
    }
  /* The test can fail: the reference output must vary. */
  int varied = 0;
  for (size_t i = 1; ref && i < ny; ++i) varied |= ref[i] != ref[0];
  static int varied_cases;
  varied_cases += varied;
  if (id == 599) CHECK(varied_cases > 300, "only %d cases had varied outputs", varied_cases);
  free(ref), free(x), free(g.t[T_W].data), free(g.t[T_B].data);
}

/* The cost model: applicability, the forced choice, the parse of --kernel values, and that the GEMM kernels are
 * estimated cheaper than the scalar loops on a typical 1x1 conv. */
static void cost_model(void) {
  mcu_ksel_shape_t s = {0};
  s.n = 1, s.h = s.w = s.oh = s.ow = 12, s.c = 32, s.o = 64, s.kh = s.kw = 1, s.groups = 1;
  s.stride_h = s.stride_w = s.dilation_h = s.dilation_w = 1, s.fast_numerics = 1;
  CHECK(mcu_ksel_applies(&s, MCU_KF_POINTWISE, 1, 4) && mcu_ksel_applies(&s, MCU_KF_IM2COL, 2, 2), "1x1 conv");
  CHECK(!mcu_ksel_applies(&s, MCU_KF_FC, 1, 1) && !mcu_ksel_applies(&s, MCU_KF_DEPTHWISE, 0, 0) &&
            !mcu_ksel_applies(&s, MCU_KF_FIRST, 1, 4) && !mcu_ksel_applies(&s, MCU_KF_POINTWISE, 3, 3),
        "1x1 conv: fc, depthwise, first, a 3x3 tile do not apply");
  mcu_ksel_choice_t c = mcu_ksel_choose(&s, MCU_KF_AUTO, 0, 0);
  CHECK(c.family == MCU_KF_POINTWISE && c.tile_m * c.tile_n > 1, "1x1 conv: %s %dx%d", mcu_kfamily_name(c.family),
        c.tile_m, c.tile_n);
  CHECK(c.cost * 3 < mcu_ksel_cost(&s, MCU_KF_SCALAR, 0, 0), "1x1 conv: GEMM %lld vs scalar %lld", (long long)c.cost,
        (long long)mcu_ksel_cost(&s, MCU_KF_SCALAR, 0, 0));
  c = mcu_ksel_choose(&s, MCU_KF_IM2COL, 2, 2);
  CHECK(c.family == MCU_KF_IM2COL && c.tile_m == 2 && c.tile_n == 2, "forced im2col:2x2");
  c = mcu_ksel_choose(&s, MCU_KF_FC, 0, 0);
  CHECK(c.family == MCU_KF_POINTWISE, "a forced family that does not apply is ignored");
  s.padded = 1;
  CHECK(!mcu_ksel_applies(&s, MCU_KF_POINTWISE, 1, 4) && mcu_ksel_choose(&s, MCU_KF_AUTO, 0, 0).family == MCU_KF_IM2COL,
        "a padded 1x1 conv goes through im2col");
  s.padded = 0, s.fast_numerics = 0;
  CHECK(mcu_ksel_choose(&s, MCU_KF_AUTO, 0, 0).family == MCU_KF_SCALAR, "no fast numerics: scalar");
  s.fast_numerics = 1, s.c = 3, s.kh = s.kw = 3;
  CHECK(mcu_ksel_choose(&s, MCU_KF_AUTO, 0, 0).family == MCU_KF_FIRST, "3 input channels: first");
  s.c = s.o = s.groups = 16;
  CHECK(mcu_ksel_choose(&s, MCU_KF_AUTO, 0, 0).family == MCU_KF_DEPTHWISE, "depthwise");
  mcu_kfamily_t f;
  int32_t tm, tn;
  CHECK(!mcu_ksel_parse_force("im2col:2x2", &f, &tm, &tn) && f == MCU_KF_IM2COL && tm == 2 && tn == 2, "parse");
  CHECK(!mcu_ksel_parse_force("scalar", &f, &tm, &tn) && f == MCU_KF_SCALAR && tm == 0, "parse family");
  CHECK(mcu_ksel_parse_force("im2col:3x3", &f, &tm, &tn) && mcu_ksel_parse_force("fast", &f, &tm, &tn) &&
            mcu_ksel_parse_force("fc:1x4x", &f, &tm, &tn) && mcu_ksel_parse_force(":1x4", &f, &tm, &tn),
        "malformed --kernel values are refused");
}

static int g_mmla_cases;

/* Every requantization mode of the epilogue against mcu_fx_mbqm + offset + clamp, on random and extreme values. */
static void requant_modes(void) {
  static const int32_t edges[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 1 << 30,
                                  -(1 << 30), (1 << 30) - 1, -(1 << 30) - 1, 12345, -12345};
  const int n_edges = (int)(sizeof edges / sizeof edges[0]);
  int bad = 0;
  for (int it = 0; it < 400000; ++it) {
    const int32_t acc = it < n_edges * n_edges ? edges[it % n_edges]
                        : rnd(0, 3)             ? rnd(-40000, 40000) * rnd(1, 3000)
                                                : (int32_t)(g_rng ^ (g_rng << 7));
    int32_t mult = rnd(1 << 30, INT32_MAX);
    if (it < n_edges * n_edges) mult = it / n_edges % 3 == 0 ? (1 << 30) : it / n_edges % 3 == 1 ? INT32_MAX : 0;
    const int32_t shift = -rnd(1, 31), off = rnd(-128, 127);
    mcu_k_conv_params_t q = {0};
    q.output_offset = off, q.act_min = rnd(0, 3) ? -128 : rnd(-128, 0), q.act_max = rnd(0, 3) ? 127 : rnd(0, 127);
    if (q.act_max < q.act_min) q.act_max = q.act_min;
    const int32_t want = mcu_fx_clamp(mcu_fx_add_wrap(mcu_fx_mbqm(acc, mult, shift), off), q.act_min, q.act_max);
    /* tab: mult, shift (one channel); rec: the MMLA record */
    const int32_t tab[2] = {mult, shift}, rec[4] = {0, mult, mcu_gemm_mmla_nudge(-shift, off), -shift};
    const int64_t amax = acc < 0 ? -(int64_t)acc : acc;
    const int mmla = mcu_gemm_mmla_ok(amax, mult, shift, off);
    g_mmla_cases += mmla;
    for (int32_t mode = MCU_GEMM_RQ_EXACT; mode <= MCU_GEMM_RQ_MMLA + 1; ++mode) {
      if (mode == MCU_GEMM_RQ_ONNX || (mode == MCU_GEMM_RQ_FAST && shift > -2) || (mode >= MCU_GEMM_RQ_MMLA && !mmla)) continue;
      const int32_t m = mode == MCU_GEMM_RQ_MMLA + 1 ? MCU_GEMM_RQ_MMLA_R0 - shift : mode; /* the uniform form */
      const mcu_gemm_rq_t r = mcu_gemm_rq(m >= MCU_GEMM_RQ_MMLA ? rec : tab, 1, 0, m, &q);
      const int32_t got = mcu_gemm_requant(acc, &r, m, &q);
      if (got != want && bad++ < 5)
        CHECK(0, "requant mode %d: acc %d mult %d shift %d: %d, want %d", m, acc, mult, shift, got, want);
    }
    /* left shifts (not the fast mode's domain) */
    const int32_t ls = rnd(0, 8);
    const int32_t tab_l[2] = {mult, ls};
    const mcu_gemm_rq_t r = mcu_gemm_rq(tab_l, 1, 0, MCU_GEMM_RQ_EXACT, &q);
    const int32_t want_l = mcu_fx_clamp(mcu_fx_add_wrap(mcu_fx_mbqm(acc, mult, ls), off), q.act_min, q.act_max);
    if (mcu_gemm_requant(acc, &r, MCU_GEMM_RQ_EXACT, &q) != want_l && bad++ < 5)
      CHECK(0, "requant left shift %d: acc %d mult %d", ls, acc, mult);
  }
  CHECK(bad == 0, "%d requantizations differ", bad);
  const int32_t m1[2] = {1 << 30, INT32_MAX}, s1[2] = {-2, -31}, s2[2] = {-1, -5}, m3[2] = {1 << 30, INT32_MIN};
  CHECK(g_mmla_cases > 100000, "the MMLA modes ran on only %d values", g_mmla_cases);
  /* the MMLA bounds: an accumulator bound of 2^30, a left shift, a negative multiplier or a nudge too large refuse */
  CHECK(mcu_gemm_mmla_ok((1 << 30) - 1, INT32_MAX, -1, 0) && !mcu_gemm_mmla_ok(1 << 30, 1 << 30, -8, 0) &&
            !mcu_gemm_mmla_ok(100, 1 << 30, 0, 0) && !mcu_gemm_mmla_ok(100, -5, -8, 0) &&
            !mcu_gemm_mmla_ok(100, 1 << 30, -31, 1) && mcu_gemm_mmla_ok(100, 1 << 30, -23, 127),
        "MMLA bounds");
  const int64_t am[2] = {1000, 1000}, am_big[2] = {1000, (int64_t)1 << 30};
  CHECK(mcu_gemm_rq_mode_mmla(m1, s1, am, 2, 0) == MCU_GEMM_RQ_MMLA &&
            mcu_gemm_rq_mode_mmla(m1, (const int32_t[]){-7, -7}, am, 2, 5) == MCU_GEMM_RQ_MMLA_R0 + 7 &&
            mcu_gemm_rq_mode_mmla(m1, s1, am_big, 2, 0) == -1,
        "MMLA mode choice");
  CHECK(mcu_gemm_rq_mode(m1, s1, 2) == MCU_GEMM_RQ_FAST && mcu_gemm_rq_mode(m1, s2, 2) == MCU_GEMM_RQ_EXACT &&
            mcu_gemm_rq_mode(m3, s1, 2) == MCU_GEMM_RQ_SAT,
        "requantization mode choice");
}

int main(void) {
  requant_modes();
  for (int id = 0; id < 600; ++id) one_case(id, rnd(0, 4) == 0);
  for (int f = MCU_KF_POINTWISE; f <= MCU_KF_FC; ++f)
    CHECK(g_compared[f] > 50, "family %s compared only %d times", mcu_kfamily_name((mcu_kfamily_t)f), g_compared[f]);
  CHECK(g_modes[0] > 300 && g_modes[1] > 1000, "requantization modes: %d other, %d MMLA", g_modes[0], g_modes[1]);
  CHECK(g_compared_4x1 > 40, "the 4x1 tile compared only %d times", g_compared_4x1);
  CHECK(g_compared_4x16 > 40, "the 4x16 form compared only %d times", g_compared_4x16);
  CHECK(g_compared_2x1 > 20, "the 2x1 tile compared only %d times", g_compared_2x1);
  CHECK(g_w16_forms[0] > 5 && g_w16_forms[1] > 5 && g_w16_forms[2] > 5, "4x1 epilogue forms: %d C, %d SIGN, %d RELU",
        g_w16_forms[0], g_w16_forms[1], g_w16_forms[2]);
  cost_model();
  return mcu_test_finish();
}
