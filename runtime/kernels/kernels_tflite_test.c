/* kernels_tflite_test.c: unit tests of the TF Lite Micro-exact kernels: fixed point, multipliers, each op, programs. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_fixedpoint.h"
#include "k_conv_dw.h"
#include "kernel_call.h"
#include "mcu_test.h"
#include "ref.h"
#include "prepare_util.h"

/* Expected values are hand-computed or come from the independent formulations below (floor divisions in int64,
 * a multiplier search with ldexp/llround instead of frexp), never from the functions under test. Kernels run
 * through mcu_ref_run on hand-built programs, so the table entries, matches and prepare functions are tested too. */

/* ---- independent reference arithmetic ---- */

static int64_t floor_div(int64_t a, int64_t b) { /* b > 0 */
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

/* SaturatingRoundingDoublingHighMul as "round half up": floor((a b + 2^30) / 2^31). */
static int32_t ref_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)floor_div((int64_t)a * b + ((int64_t)1 << 30), (int64_t)1 << 31);
}

/* RoundingDivideByPOT as "round half away from zero" on |x|. */
static int32_t ref_rdbp(int32_t x, int e) {
  const int64_t ax = x < 0 ? -(int64_t)x : x, d = (int64_t)1 << e;
  const int64_t q = (2 * ax + d) / (2 * d); /* floor(|x| / d + 1/2) */
  return (int32_t)(x < 0 ? -q : q);
}

static int32_t ref_mbqm(int32_t x, int32_t m, int s) {
  return ref_rdbp(ref_srdhm((int32_t)((int64_t)x * ((int64_t)1 << (s > 0 ? s : 0))), m), s > 0 ? 0 : -s);
}

/* QuantizeMultiplier by search: the shift e with real / 2^e in [0.5, 1), q = llround(real * 2^(31 - e)). */
static void ref_qm(double real, int32_t *m, int32_t *s) {
  if (real == 0.0) {
    *m = 0, *s = 0;
    return;
  }
  int e = 0;
  while (fabs(real) >= ldexp(1.0, e)) ++e;
  while (fabs(real) < ldexp(1.0, e - 1)) --e;
  long long q = llround(ldexp(real, 31 - e));
  if (q == (1LL << 31)) q /= 2, ++e;
  if (e < -31) q = 0, e = 0;
  *m = (int32_t)q, *s = e;
}

static uint32_t g_rng = 12345u;
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return (int32_t)((int64_t)lo + (int64_t)((uint64_t)g_rng % (uint64_t)((int64_t)hi - lo + 1)));
}
static int32_t clampi(int64_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : (int32_t)v; }

/* ---- hand-built programs (no ownership: nothing is freed) ---- */

typedef struct {
  mcu_program_t p;
  mcu_tensor_t t[8];
  mcu_layer_t l[4];
  double sc[8][16];
  int32_t zp[8][16];
  int in_idx[4], out_idx[4];
} prog_t;

static void prog_init(prog_t *g) {
  memset(g, 0, sizeof *g);
  g->p.name = "t";
  g->p.tensors = g->t;
  g->p.layers = g->l;
  g->p.inputs = g->in_idx;
  g->p.outputs = g->out_idx;
}

/* Adds a tensor; storage: 'i' input, 'o' output, 'a' arena, 'c' const (data given). Returns its index. */
static int tensor(prog_t *g, mcu_dtype_t dt, int rank, const int32_t *shape, char storage, void *data) {
  const int i = g->p.num_tensors++;
  mcu_tensor_t *t = &g->t[i];
  t->name = "";
  t->dtype = dt;
  t->rank = rank;
  for (int d = 0; d < rank; ++d) t->shape[d] = shape[d];
  t->quant_axis = -1;
  t->scales = g->sc[i];
  t->zero_points = g->zp[i];
  if (storage == 'i') t->storage = MCU_STORAGE_INPUT, t->index = g->p.num_inputs, g->in_idx[g->p.num_inputs++] = i;
  else if (storage == 'o') t->storage = MCU_STORAGE_OUTPUT, t->index = g->p.num_outputs, g->out_idx[g->p.num_outputs++] = i;
  else if (storage == 'c') t->storage = MCU_STORAGE_CONST, t->data = data;
  else t->storage = MCU_STORAGE_ARENA;
  return i;
}

static void q(prog_t *g, int i, float scale, int32_t zp) {
  g->t[i].num_scales = 1;
  g->sc[i][0] = scale;
  g->zp[i][0] = zp;
}

static mcu_layer_t *layer(prog_t *g, mcu_op_t op, int n, int a, int b, int c, int out) {
  mcu_layer_t *l = &g->l[g->p.num_layers++];
  l->name = "";
  l->op = op;
  l->numerics = MCU_NUMERICS_TFLITE;
  l->num_inputs = n;
  l->inputs[0] = a, l->inputs[1] = b, l->inputs[2] = c;
  l->output = out;
  l->stride[0] = l->stride[1] = 1;
  l->dilation[0] = l->dilation[1] = 1;
  l->groups = 1;
  l->act_min = INT32_MIN, l->act_max = INT32_MAX;
  l->fact_min = -INFINITY, l->fact_max = INFINITY;
  return l;
}

static int run1(prog_t *g, const void *in0, const void *in1, void *out) {
  const void *ins[2] = {in0, in1};
  void *outs[1] = {out};
  return mcu_ref_run(&g->p, ins, outs);
}

/* ---- fixed point and multipliers ---- */

static void test_fixedpoint(void) {
  CHECK(mcu_fx_srdhm(INT32_MIN, INT32_MIN) == INT32_MAX, "INT32_MIN^2 saturates");
  CHECK(mcu_fx_srdhm(INT32_MIN, INT32_MAX) == -INT32_MAX, "INT32_MIN * INT32_MAX");
  CHECK(mcu_fx_srdhm(1 << 15, 1 << 15) == 1, "+0.5 ties up");
  CHECK(mcu_fx_srdhm(-(1 << 15), 1 << 15) == 0, "-0.5 ties up (toward +inf)");
  CHECK(mcu_fx_srdhm(-(1 << 15) - 1, 1 << 15) == -1, "just below -0.5 rounds down");
  CHECK(mcu_fx_srdhm(INT32_MIN, 1) == -1, "INT32_MIN * 1 / 2^31 = -1");
  CHECK(mcu_fx_srdhm(3, 1 << 30) == 2 && mcu_fx_srdhm(-3, 1 << 30) == -1, "+-1.5");
  CHECK(mcu_fx_rdbypot(5, 1) == 3 && mcu_fx_rdbypot(-5, 1) == -3, "+-2.5 away from zero");
  CHECK(mcu_fx_rdbypot(-3, 1) == -2 && mcu_fx_rdbypot(-1, 1) == -1 && mcu_fx_rdbypot(1, 1) == 1, "halves");
  CHECK(mcu_fx_rdbypot(6, 2) == 2 && mcu_fx_rdbypot(-6, 2) == -2 && mcu_fx_rdbypot(-5, 2) == -1, "quarters");
  CHECK(mcu_fx_rdbypot(7, 0) == 7 && mcu_fx_rdbypot(-7, 0) == -7, "exponent 0");
  CHECK(mcu_fx_rdbypot(INT32_MIN, 31) == -1 && mcu_fx_rdbypot(INT32_MAX, 31) == 1, "exponent 31");
  CHECK(mcu_fx_rdbypot(1 << 30, 31) == 1 && mcu_fx_rdbypot(-(1 << 30), 31) == -1, "exponent 31 ties");
  /* Double rounding: 3 * 0.5 / 2 = 0.75: srdhm gives 2 (1.5 up), then 2 / 2 = 1. */
  CHECK(mcu_fx_mbqm(3, 1 << 30, -1) == 1, "double rounding 0.75");
  CHECK(mcu_fx_mbqm(5, 1 << 30, -2) == 1, "5 * 0.5 / 4 = 0.625 -> 3 / 4 -> 1");
  CHECK(mcu_fx_mbqm(-5, 1 << 30, -1) == -1, "-2.5: srdhm -2 (tie up), then -1");
  CHECK(mcu_fx_mbqm(1, 1 << 30, 3) == 4, "left shift 3");
  CHECK(mcu_fx_mbqm(100, 1 << 30, 0) == 50, "0.5");
  CHECK(mcu_fx_mbqm_smaller_than_one_exp(15 << 20, 1 << 30, -18) == 30, "smaller-than-one 15*2^20*2^-19");
  CHECK(mcu_fx_mbqm_greater_than_one(3, 1 << 30, 2) == 6, "greater-than-one");
  int bad = 0;
  for (int s = -31; s <= 30; ++s)
    for (int k = 0; k < 200; ++k) {
      const int32_t m = k == 0 ? INT32_MAX : k == 1 ? (1 << 30) : rnd(1 << 30, INT32_MAX);
      const int32_t lim = s > 0 ? (INT32_MAX >> s) : INT32_MAX;
      int32_t x = k < 4 ? (k & 1 ? -lim : lim) : rnd(-lim, lim);
      if (k == 5) x = 0;
      if (mcu_fx_mbqm(x, m, s) != ref_mbqm(x, m, s)) ++bad;
    }
  CHECK(bad == 0, "mbqm matches the floor-division model for shifts -31..30 (%d differ)", bad);
}

static void test_quantize_multiplier(void) {
  int32_t m, s;
  CHECK(mcu_quantize_multiplier(0.0, MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == 0 && s == 0, "0");
  CHECK(mcu_quantize_multiplier(0.5, MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == (1 << 30) && s == 0, "0.5");
  CHECK(mcu_quantize_multiplier(1.0, MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == (1 << 30) && s == 1, "1.0");
  CHECK(mcu_quantize_multiplier(0.75, MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == 1610612736 && s == 0, "0.75");
  CHECK(mcu_quantize_multiplier(-0.75, MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == -1610612736 && s == 0, "-0.75");
  CHECK(mcu_quantize_multiplier(1.0 - ldexp(1.0, -40), MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == (1 << 30) &&
        s == 1, "2^31 fix-up");
  CHECK(mcu_quantize_multiplier(0.5 + ldexp(1.0, -32), MCU_QM_MAX_SHIFT, &m, &s) == 0 &&
        m == (1 << 30) + 1, "tie rounds up");
  CHECK(mcu_quantize_multiplier(-(0.5 + ldexp(1.0, -32)), MCU_QM_MAX_SHIFT, &m, &s) == 0 &&
        m == -(1 << 30) - 1, "tie away");
  CHECK(mcu_quantize_multiplier(ldexp(1.0, -32), MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == (1 << 30) &&
        s == -31, "2^-32 kept");
  CHECK(mcu_quantize_multiplier(ldexp(1.0, -33), MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == 0 && s == 0, "2^-33 flushed");
  CHECK(mcu_quantize_multiplier(ldexp(1.0, 29), MCU_QM_MAX_SHIFT, &m, &s) == 0 && m == (1 << 30) &&
        s == 30, "2^29: shift 30");
  CHECK(mcu_quantize_multiplier(ldexp(1.0, 30), MCU_QM_MAX_SHIFT, &m, &s) == -1, "shift 31 rejected");
  CHECK(mcu_quantize_multiplier(NAN, MCU_QM_MAX_SHIFT, &m, &s) == -1, "NaN rejected");
  CHECK(mcu_quantize_multiplier_smaller_than_one_exp(1.0, &m, &s) == -1, "smaller-than-one rejects 1");
  CHECK(mcu_quantize_multiplier_smaller_than_one_exp(0.25, &m, &s) == 0 && m == (1 << 30) && s == -1, "0.25");
  CHECK(mcu_quantize_multiplier_greater_than_one(0.5, &m, &s) == -1, "greater-than-one rejects 0.5");
  CHECK(mcu_quantize_multiplier_greater_than_one(3.0, &m, &s) == 0 && m == 1610612736 && s == 2, "3.0");
  int bad = 0;
  for (int k = 0; k < 2000; ++k) {
    const double real = (double)(float)ldexp((double)rnd(1, 1 << 24) / (1 << 24), rnd(-34, 28));
    int32_t rm, rs;
    ref_qm(real, &rm, &rs);
    if (mcu_quantize_multiplier(real, MCU_QM_MAX_SHIFT, &m, &s) || m != rm || s != rs) ++bad;
  }
  CHECK(bad == 0, "random multipliers match the search model (%d differ)", bad);
}

/* ---- conv (grouped, padded, strided, per channel) against straight loops ---- */

static void test_conv_s8(int groups, int dilation) {
  prog_t g;
  prog_init(&g);
  enum { N = 1, H = 6, W = 5, C = 4, KH = 3, KW = 3, O = 8, SH = 2, SW = 1 };
  const int cpg = C / groups, opg = O / groups;
  const int pt = 1, pl = 1, pb = 1, pr = 1;
  const int OH = (H + pt + pb - (KH - 1) * dilation - 1) / SH + 1, OW = (W + pl + pr - (KW - 1) * dilation - 1) / SW + 1;
  int8_t x[N * H * W * C], w[O * KH * KW * C], y[N * 8 * 8 * O], e[N * 8 * 8 * O];
  int32_t bias[O];
  for (size_t i = 0; i < sizeof x; ++i) x[i] = (int8_t)rnd(-128, 127);
  for (int i = 0; i < O * KH * KW * cpg; ++i) w[i] = (int8_t)rnd(-127, 127);
  for (int i = 0; i < O; ++i) bias[i] = rnd(-3000, 3000);
  const int32_t xs[4] = {N, H, W, C}, ws[4] = {O, KH, KW, cpg}, bs[1] = {O}, ys[4] = {N, OH, OW, O};
  const int ti = tensor(&g, MCU_DT_I8, 4, xs, 'i', NULL), tw = tensor(&g, MCU_DT_I8, 4, ws, 'c', w);
  const int tb = tensor(&g, MCU_DT_I32, 1, bs, 'c', bias), to = tensor(&g, MCU_DT_I8, 4, ys, 'o', NULL);
  q(&g, ti, 0.0235f, -7);
  q(&g, to, 0.171f, 5);
  g.t[tw].num_scales = O, g.t[tw].quant_axis = 0;
  for (int o = 0; o < O; ++o) g.sc[tw][o] = (float)(0.002 + 0.0007 * o), g.zp[tw][o] = 0;
  g.t[tb].num_scales = 1, g.sc[tb][0] = 1.0, g.zp[tb][0] = 0;
  mcu_layer_t *l = layer(&g, MCU_OP_CONV2D, 3, ti, tw, tb, to);
  l->stride[0] = SH, l->stride[1] = SW, l->dilation[0] = l->dilation[1] = dilation, l->groups = groups;
  l->pad[0] = pt, l->pad[1] = pl, l->pad[2] = pb, l->pad[3] = pr;
  l->act_min = -100, l->act_max = 120;
  CHECK(run1(&g, x, NULL, y) == 0, "conv runs (groups %d)", groups);
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox)
      for (int o = 0; o < O; ++o) {
        int64_t acc = bias[o];
        const int gi = o / opg;
        for (int ky = 0; ky < KH; ++ky)
          for (int kx = 0; kx < KW; ++kx)
            for (int ic = 0; ic < cpg; ++ic) {
              const int iy = oy * SH - pt + ky * dilation, ix = ox * SW - pl + kx * dilation;
              const int xv = (iy < 0 || iy >= H || ix < 0 || ix >= W) ? -7 : x[(iy * W + ix) * C + gi * cpg + ic];
              acc += (int64_t)w[((o * KH + ky) * KW + kx) * cpg + ic] * (xv + 7);
            }
        int32_t m, s;
        ref_qm((double)0.0235f * (double)(float)g.sc[tw][o] / (double)0.171f, &m, &s);
        e[(oy * OW + ox) * O + o] = (int8_t)clampi((int64_t)ref_mbqm((int32_t)acc, m, s) + 5, -100, 120);
      }
  CHECK(memcmp(y, e, (size_t)(OH * OW * O)) == 0, "conv int8 groups=%d dilation=%d matches", groups, dilation);
}

static void test_conv_f32(void) {
  prog_t g;
  prog_init(&g);
  /* depthwise 3x3, stride 1, pad 1, C = 2, multiplier 2 (O = 4): integers keep every float sum exact. */
  float x[1 * 3 * 3 * 2], w[4 * 3 * 3 * 1], b[4] = {0.5f, -1.0f, 2.0f, 0.0f}, y[36], e[36];
  for (int i = 0; i < 18; ++i) x[i] = (float)rnd(-4, 4);
  for (int i = 0; i < 36; ++i) w[i] = (float)rnd(-3, 3);
  const int32_t xs[4] = {1, 3, 3, 2}, ws[4] = {4, 3, 3, 1}, bs[1] = {4}, ys[4] = {1, 3, 3, 4};
  const int ti = tensor(&g, MCU_DT_F32, 4, xs, 'i', NULL), tw = tensor(&g, MCU_DT_F32, 4, ws, 'c', w);
  const int tb = tensor(&g, MCU_DT_F32, 1, bs, 'c', b), to = tensor(&g, MCU_DT_F32, 4, ys, 'o', NULL);
  mcu_layer_t *l = layer(&g, MCU_OP_CONV2D, 3, ti, tw, tb, to);
  l->groups = 2;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  l->fact_min = 0.0f, l->fact_max = 6.0f;
  CHECK(run1(&g, x, NULL, y) == 0, "float conv runs");
  for (int oy = 0; oy < 3; ++oy)
    for (int ox = 0; ox < 3; ++ox)
      for (int o = 0; o < 4; ++o) {
        double acc = b[o];
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy >= 0 && iy < 3 && ix >= 0 && ix < 3) acc += x[(iy * 3 + ix) * 2 + o / 2] * w[(o * 3 + ky) * 3 + kx];
          }
        e[(oy * 3 + ox) * 4 + o] = (float)(acc < 0 ? 0 : acc > 6 ? 6 : acc);
      }
  CHECK(memcmp(y, e, sizeof e) == 0, "float depthwise conv with relu6 matches");
}

/* ---- fully connected ---- */

static void test_fc_s8(int per_channel) {
  prog_t g;
  prog_init(&g);
  enum { B = 3, K = 9, U = 5 };
  int8_t x[B * K], w[U * K], y[B * U], e[B * U];
  int32_t bias[U];
  for (int i = 0; i < B * K; ++i) x[i] = (int8_t)rnd(-128, 127);
  for (int i = 0; i < U * K; ++i) w[i] = (int8_t)rnd(-127, 127);
  for (int i = 0; i < U; ++i) bias[i] = rnd(-5000, 5000);
  const int32_t xs[3] = {1, B, K}, ws[2] = {U, K}, bs[1] = {U}, ys[3] = {1, B, U};
  const int ti = tensor(&g, MCU_DT_I8, 3, xs, 'i', NULL), tw = tensor(&g, MCU_DT_I8, 2, ws, 'c', w);
  const int tb = tensor(&g, MCU_DT_I32, 1, bs, 'c', bias), to = tensor(&g, MCU_DT_I8, 3, ys, 'o', NULL);
  q(&g, ti, 0.05f, 12);
  q(&g, to, 0.9f, -20);
  q(&g, tw, 0.0113f, 0);
  if (per_channel) {
    g.t[tw].num_scales = U, g.t[tw].quant_axis = 0;
    for (int u = 0; u < U; ++u) g.sc[tw][u] = (float)(0.01 + 0.003 * u), g.zp[tw][u] = 0;
  }
  g.t[tb].num_scales = 1, g.sc[tb][0] = 1.0;
  layer(&g, MCU_OP_FULLY_CONNECTED, 3, ti, tw, tb, to);
  CHECK(run1(&g, x, NULL, y) == 0, "fc runs");
  for (int b = 0; b < B; ++b)
    for (int u = 0; u < U; ++u) {
      int64_t acc = bias[u];
      for (int k = 0; k < K; ++k) acc += (int64_t)w[u * K + k] * (x[b * K + k] - 12);
      int32_t m, s;
      ref_qm((double)0.05f * (double)(float)g.sc[tw][per_channel ? u : 0] / (double)0.9f, &m, &s);
      e[b * U + u] = (int8_t)clampi((int64_t)ref_mbqm((int32_t)acc, m, s) - 20, -128, 127);
    }
  CHECK(memcmp(y, e, sizeof e) == 0, "fc int8 (per_channel=%d) matches", per_channel);
}

static void test_fc_f32(void) {
  prog_t g;
  prog_init(&g);
  float x[2 * 3] = {1, 2, 3, -1, 0.5f, 2}, w[2 * 3] = {1, 1, 1, 2, -1, 0.25f}, b[2] = {0.5f, -10}, y[4];
  const int32_t xs[2] = {2, 3}, ws[2] = {2, 3}, bs[1] = {2}, ys[2] = {2, 2};
  const int ti = tensor(&g, MCU_DT_F32, 2, xs, 'i', NULL), tw = tensor(&g, MCU_DT_F32, 2, ws, 'c', w);
  const int tb = tensor(&g, MCU_DT_F32, 1, bs, 'c', b), to = tensor(&g, MCU_DT_F32, 2, ys, 'o', NULL);
  layer(&g, MCU_OP_FULLY_CONNECTED, 3, ti, tw, tb, to)->fact_min = -5.0f;
  CHECK(run1(&g, x, NULL, y) == 0, "float fc runs");
  /* row 0: 6 + 0.5 = 6.5; 2 - 2 + 0.75 - 10 = -9.25 -> -5; row 1: 1.5 + 0.5 = 2; -2 - 0.5 + 0.5 - 10 = -12 -> -5 */
  CHECK(y[0] == 6.5f && y[1] == -5.0f && y[2] == 2.0f && y[3] == -5.0f, "float fc values");
}

/* ---- requantize, quantize, dequantize ---- */

static void test_requantize(void) {
  prog_t g;
  prog_init(&g);
  int8_t x[256];
  uint8_t y[256], e[256];
  for (int i = 0; i < 256; ++i) x[i] = (int8_t)(i - 128);
  const int32_t sh[1] = {256};
  const int ti = tensor(&g, MCU_DT_I8, 1, sh, 'i', NULL), to = tensor(&g, MCU_DT_U8, 1, sh, 'o', NULL);
  q(&g, ti, 0.0371f, -3);
  q(&g, to, 0.0213f, 131);
  layer(&g, MCU_OP_REQUANTIZE, 1, ti, 0, 0, to)->act_min = 131; /* RELU: from the output zero point up */
  CHECK(run1(&g, x, NULL, y) == 0, "requantize runs");
  int32_t m, s;
  ref_qm((double)0.0371f / (double)0.0213f, &m, &s);
  for (int i = 0; i < 256; ++i) e[i] = (uint8_t)clampi(131 + (int64_t)ref_mbqm(x[i] + 3, m, s), 131, 255);
  CHECK(memcmp(y, e, sizeof e) == 0, "int8 -> uint8 relu requantize matches");
  /* Same scale, zero points 128 apart: the XOR fast path of TF Lite Micro. */
  q(&g, ti, 0.5f, -128);
  q(&g, to, 0.5f, 0);
  g.l[0].act_min = INT32_MIN;
  CHECK(run1(&g, x, NULL, y) == 0, "requantize runs");
  int ok = 1;
  for (int i = 0; i < 256; ++i) ok &= y[i] == (uint8_t)((uint8_t)x[i] ^ 0x80);
  CHECK(ok, "int8 -> uint8 with zero points 128 apart is x ^ 0x80");
}

static void test_quantize_dequantize(void) {
  prog_t g;
  prog_init(&g);
  float x[10] = {0.25f, -0.25f, 0.75f, -0.75f, 1000.0f, -1000.0f, NAN, 0.0f, 3.0e9f, 1.2499999f};
  int8_t y[10];
  const int32_t sh[1] = {10};
  const int ti = tensor(&g, MCU_DT_F32, 1, sh, 'i', NULL), to = tensor(&g, MCU_DT_I8, 1, sh, 'o', NULL);
  q(&g, to, 0.5f, 3);
  layer(&g, MCU_OP_QUANTIZE, 1, ti, 0, 0, to);
  CHECK(run1(&g, x, NULL, y) == 0, "quantize runs");
  const int8_t e[10] = {4, 2, 5, 1, 127, -128, 3, 3, 127, 5};
  CHECK(memcmp(y, e, sizeof e) == 0, "quantize: ties away from zero, saturation, NaN -> zero point");
  prog_t h;
  prog_init(&h);
  uint8_t qx[4] = {0, 255, 7, 100};
  float fy[4];
  const int32_t s4[1] = {4};
  const int di = tensor(&h, MCU_DT_U8, 1, s4, 'i', NULL), dout = tensor(&h, MCU_DT_F32, 1, s4, 'o', NULL);
  q(&h, di, 0.1f, 7);
  layer(&h, MCU_OP_DEQUANTIZE, 1, di, 0, 0, dout);
  CHECK(run1(&h, qx, NULL, fy) == 0, "dequantize runs");
  int ok = 1;
  for (int i = 0; i < 4; ++i) ok &= fy[i] == (float)((double)0.1f * (qx[i] - 7));
  CHECK(ok, "dequantize computes in double then rounds once");
}

/* ---- add, sub, mul with broadcasting ---- */

static int32_t ref_add(int32_t a, int32_t b, float s1, int32_t z1, float s2, int32_t z2, float so, int32_t zo,
                       int sub) {
  const double tm = 2 * (double)(s1 > s2 ? s1 : s2);
  int32_t m1, e1, m2, e2, mo, eo;
  ref_qm((double)s1 / tm, &m1, &e1);
  ref_qm((double)s2 / tm, &m2, &e2);
  ref_qm(tm / ((double)(1 << 20) * so), &mo, &eo);
  const int32_t av = ref_mbqm((a - z1) * (1 << 20), m1, e1), bv = ref_mbqm((b - z2) * (1 << 20), m2, e2);
  return clampi((int64_t)ref_mbqm(sub ? av - bv : av + bv, mo, eo) + zo, -128, 127);
}

static void test_binary_s8(mcu_op_t op) {
  prog_t g;
  prog_init(&g);
  int8_t a[2 * 3 * 4], b[3 * 1], y[24], e[24];
  for (int i = 0; i < 24; ++i) a[i] = (int8_t)rnd(-128, 127);
  for (int i = 0; i < 3; ++i) b[i] = (int8_t)rnd(-128, 127);
  const int32_t as[3] = {2, 3, 4}, bs[2] = {3, 1};
  const int ta = tensor(&g, MCU_DT_I8, 3, as, 'i', NULL), tb = tensor(&g, MCU_DT_I8, 2, bs, 'i', NULL);
  const int to = tensor(&g, MCU_DT_I8, 3, as, 'o', NULL);
  q(&g, ta, 0.031f, 4);
  q(&g, tb, 0.047f, -9);
  q(&g, to, op == MCU_OP_MUL ? 0.4f : 0.06f, -2);
  layer(&g, op, 2, ta, tb, 0, to)->act_max = 100;
  CHECK(run1(&g, a, b, y) == 0, "binary op %d runs", (int)op);
  for (int i = 0; i < 24; ++i) {
    const int j = (i / 4) % 3;
    if (op == MCU_OP_MUL) {
      int32_t m, s;
      ref_qm((double)0.031f * (double)0.047f / (double)0.4f, &m, &s);
      e[i] = (int8_t)clampi((int64_t)ref_mbqm((a[i] - 4) * (b[j] + 9), m, s) - 2, -128, 100);
    } else {
      const int32_t v = ref_add(a[i], b[j], 0.031f, 4, 0.047f, -9, 0.06f, -2, op == MCU_OP_SUB);
      e[i] = (int8_t)(v > 100 ? 100 : v);
    }
  }
  CHECK(memcmp(y, e, sizeof e) == 0, "int8 op %d with broadcasting matches", (int)op);
  /* Hand value: all scales 1, zero points 0: 10 + 20 = 30 exactly (README's worked example). */
  int8_t ha = 10, hb = 20, hy = 0;
  const int32_t s1[1] = {1};
  prog_t h;
  prog_init(&h);
  const int xa = tensor(&h, MCU_DT_I8, 1, s1, 'i', NULL), xb = tensor(&h, MCU_DT_I8, 1, s1, 'i', NULL);
  const int xo = tensor(&h, MCU_DT_I8, 1, s1, 'o', NULL);
  q(&h, xa, 1.0f, 0), q(&h, xb, 1.0f, 0), q(&h, xo, 1.0f, 0);
  layer(&h, op, 2, xa, xb, 0, xo);
  CHECK(run1(&h, &ha, &hb, &hy) == 0 && hy == (op == MCU_OP_ADD ? 30 : op == MCU_OP_SUB ? -10 : 127),
        "hand value for op %d: %d", (int)op, hy);
}

/* Random shapes (rank 1 to 4, flat or broadcast along random dimensions), scales, zero points and activation ranges:
 * the table-driven kernel (k_add_s8.c, both output rescale forms) against ref_add's straight TF Lite formula. */
static void test_addsub_random(mcu_op_t op, int round) {
  prog_t g;
  prog_init(&g);
  const int rank = rnd(1, 4);
  int32_t ys[4], as[4], bs[4];
  int32_t n = 1;
  for (int d = 0; d < rank; ++d) {
    ys[d] = rnd(1, 7);
    n *= ys[d];
    as[d] = bs[d] = ys[d];
    if (round % 2 && rnd(0, 2) == 0) as[d] = 1; /* odd rounds broadcast */
    if (round % 2 && rnd(0, 2) == 0) bs[d] = 1;
  }
  int32_t na = 1, nb = 1;
  for (int d = 0; d < rank; ++d) na *= as[d], nb *= bs[d];
  int8_t *a = malloc((size_t)na), *b = malloc((size_t)nb), *y = malloc((size_t)n), *e = malloc((size_t)n);
  for (int i = 0; i < na; ++i) a[i] = (int8_t)rnd(-128, 127);
  for (int i = 0; i < nb; ++i) b[i] = (int8_t)rnd(-128, 127);
  const float s1 = 0.001f * (float)rnd(1, 400), s2 = 0.001f * (float)rnd(1, 400);
  const float so = round % 3 == 2 ? 0.01f * (float)rnd(100, 900) : 0.001f * (float)rnd(1, 900); /* R > 22 too */
  const int32_t z1 = rnd(-128, 127), z2 = rnd(-128, 127), zo = rnd(-128, 127);
  const int ta = tensor(&g, MCU_DT_I8, rank, as, 'i', NULL), tb = tensor(&g, MCU_DT_I8, rank, bs, 'i', NULL);
  const int to = tensor(&g, MCU_DT_I8, rank, ys, 'o', NULL);
  q(&g, ta, s1, z1), q(&g, tb, s2, z2), q(&g, to, so, zo);
  mcu_layer_t *l = layer(&g, op, 2, ta, tb, 0, to);
  l->act_min = round % 4 == 1 ? rnd(-128, 0) : -128, l->act_max = round % 4 == 1 ? rnd(1, 127) : 127;
  CHECK(run1(&g, a, b, y) == 0, "random add/sub runs");
  for (int32_t i = 0; i < n; ++i) {
    int32_t r = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int d = rank - 1; d >= 0; --d) {
      const int32_t c = r % ys[d];
      r /= ys[d];
      ia += (as[d] == 1 ? 0 : c) * sa, ib += (bs[d] == 1 ? 0 : c) * sb;
      sa *= as[d], sb *= bs[d];
    }
    const int32_t v = ref_add(a[ia], b[ib], s1, z1, s2, z2, so, zo, op == MCU_OP_SUB);
    e[i] = (int8_t)(v < l->act_min ? l->act_min : v > l->act_max ? l->act_max : v);
  }
  CHECK(memcmp(y, e, (size_t)n) == 0, "op %d round %d: rank %d, %d elements, scales %g %g -> %g matches TF Lite",
        (int)op, round, rank, n, (double)s1, (double)s2, (double)so);
  free(a), free(b), free(y), free(e);
}

static void test_binary_f32(void) {
  prog_t g;
  prog_init(&g);
  float a[4] = {1, 2, 3, 4}, b[2] = {10, -1}, y[4];
  const int32_t as[2] = {2, 2}, bs[1] = {2};
  const int ta = tensor(&g, MCU_DT_F32, 2, as, 'i', NULL), tb = tensor(&g, MCU_DT_F32, 1, bs, 'i', NULL);
  const int to = tensor(&g, MCU_DT_F32, 2, as, 'o', NULL);
  mcu_layer_t *l = layer(&g, MCU_OP_MUL, 2, ta, tb, 0, to);
  l->fact_max = 25.0f;
  CHECK(run1(&g, a, b, y) == 0 && y[0] == 10 && y[1] == -2 && y[2] == 25 && y[3] == -4, "float mul broadcast");
  l->op = MCU_OP_SUB;
  CHECK(run1(&g, a, b, y) == 0 && y[0] == -9 && y[1] == 3 && y[2] == -7 && y[3] == 5, "float sub broadcast");
}

/* ---- pad, concat, mean ---- */

static void test_pad_concat(void) {
  prog_t g;
  prog_init(&g);
  int8_t x[6] = {1, 2, 3, 4, 5, 6}, y[4 * 5];
  const int32_t xs[2] = {2, 3}, ys[2] = {4, 5};
  const int ti = tensor(&g, MCU_DT_I8, 2, xs, 'i', NULL), to = tensor(&g, MCU_DT_I8, 2, ys, 'o', NULL);
  mcu_layer_t *l = layer(&g, MCU_OP_PAD, 1, ti, 0, 0, to);
  l->pad_before[0] = 1, l->pad_after[0] = 1, l->pad_before[1] = 2, l->pad_after[1] = 0, l->pad_value = -9;
  CHECK(run1(&g, x, NULL, y) == 0, "pad runs");
  const int8_t e[20] = {-9, -9, -9, -9, -9, -9, -9, 1, 2, 3, -9, -9, 4, 5, 6, -9, -9, -9, -9, -9};
  CHECK(memcmp(y, e, sizeof e) == 0, "pad int8");
  prog_t f;
  prog_init(&f);
  float fx[2] = {1.5f, 2.5f}, fy[4];
  const int32_t fs[1] = {2}, fo[1] = {4};
  const int fi = tensor(&f, MCU_DT_F32, 1, fs, 'i', NULL), fout = tensor(&f, MCU_DT_F32, 1, fo, 'o', NULL);
  mcu_layer_t *fl = layer(&f, MCU_OP_PAD, 1, fi, 0, 0, fout);
  fl->pad_before[0] = 1, fl->pad_after[0] = 1, fl->fpad_value = -0.5f;
  CHECK(run1(&f, fx, NULL, fy) == 0 && fy[0] == -0.5f && fy[1] == 1.5f && fy[2] == 2.5f && fy[3] == -0.5f,
        "pad float");
  prog_t c;
  prog_init(&c);
  int8_t ca[4] = {1, 2, 3, 4}, cb[2] = {9, 8}, cy[6];
  const int32_t cas[2] = {2, 2}, cbs[2] = {2, 1}, cys[2] = {2, 3};
  const int xa = tensor(&c, MCU_DT_I8, 2, cas, 'i', NULL), xb = tensor(&c, MCU_DT_I8, 2, cbs, 'i', NULL);
  const int xo = tensor(&c, MCU_DT_I8, 2, cys, 'o', NULL);
  q(&c, xa, 0.1f, 0), q(&c, xb, 0.7f, 5), q(&c, xo, 0.1f, 0); /* differing scales: copied unchanged */
  layer(&c, MCU_OP_CONCAT, 2, xa, xb, 0, xo)->axis = 1;
  CHECK(run1(&c, ca, cb, cy) == 0 && !memcmp(cy, (int8_t[]){1, 2, 9, 3, 4, 8}, 6), "concat axis 1 copies bytes");
}

static void test_mean(void) {
  prog_t g;
  prog_init(&g);
  int8_t x[1 * 2 * 2 * 2] = {1, -1, 2, -2, 3, -3, 4, -4}, y[2];
  const int32_t xs[4] = {1, 2, 2, 2}, ys[4] = {1, 1, 1, 2};
  const int ti = tensor(&g, MCU_DT_I8, 4, xs, 'i', NULL), to = tensor(&g, MCU_DT_I8, 4, ys, 'o', NULL);
  q(&g, ti, 0.5f, 0), q(&g, to, 0.5f, 0);
  layer(&g, MCU_OP_MEAN, 1, ti, 0, 0, to)->axes_mask = 0x6;
  CHECK(run1(&g, x, NULL, y) == 0 && y[0] == 2 && y[1] == -2, "mean same qparams truncates: 10/4 -> 2, -2");
  /* Different qparams: float path. scale = 0.5 / 0.25 = 2, bias = -(1) * 2 = -2: channel 0 mean 2.5 ->
   * round(5 - 2) + (-3) = 0; channel 1 mean -2.5 -> round(-5 - 2) - 3 = -10. */
  q(&g, ti, 0.5f, 1), q(&g, to, 0.25f, -3);
  CHECK(run1(&g, x, NULL, y) == 0 && y[0] == 0 && y[1] == -10, "mean float rescale: %d %d", y[0], y[1]);
  x[0] = 2; /* channel 0 mean 2.75 -> round(5.5 - 2) = round(3.5) = 4 (away), + (-3) = 1 */
  CHECK(run1(&g, x, NULL, y) == 0 && y[0] == 1, "mean float rescale rounds half away: %d", y[0]);
  prog_t f;
  prog_init(&f);
  float fx[6] = {1, 2, 3, 4, 5, 7}, fy[3];
  const int32_t fs[2] = {2, 3}, fo[1] = {3};
  const int fi = tensor(&f, MCU_DT_F32, 2, fs, 'i', NULL), fout = tensor(&f, MCU_DT_F32, 1, fo, 'o', NULL);
  layer(&f, MCU_OP_MEAN, 1, fi, 0, 0, fout)->axes_mask = 0x1;
  CHECK(run1(&f, fx, NULL, fy) == 0 && fy[0] == 2.5f && fy[1] == 3.5f && fy[2] == 5.0f, "float mean over axis 0");
}

/* ---- a multi-layer program: quantize -> conv -> add (residual) -> mean -> fc -> dequantize ---- */

static void test_program(void) {
  prog_t g;
  prog_init(&g);
  float x[1 * 4 * 4 * 2], out[3];
  int8_t w[2 * 1 * 1 * 2] = {64, -32, 17, 90}, fw[3 * 2] = {100, -100, 50, 60, -127, 1};
  int32_t bias[2] = {100, -50}, fb[3] = {10, 0, -10};
  for (int i = 0; i < 32; ++i) x[i] = (float)rnd(-1000, 1000) / 700.0f;
  const int32_t s4[4] = {1, 4, 4, 2}, ws[4] = {2, 1, 1, 2}, bs[1] = {2}, ms[4] = {1, 1, 1, 2}, fws[2] = {3, 2};
  const int32_t fbs[1] = {3}, os[2] = {1, 3};
  const int tx = tensor(&g, MCU_DT_F32, 4, s4, 'i', NULL), tq = tensor(&g, MCU_DT_I8, 4, s4, 'a', NULL);
  const int tw = tensor(&g, MCU_DT_I8, 4, ws, 'c', w), tb = tensor(&g, MCU_DT_I32, 1, bs, 'c', bias);
  const int tc = tensor(&g, MCU_DT_I8, 4, s4, 'a', NULL), ta = tensor(&g, MCU_DT_I8, 4, s4, 'a', NULL);
  const int tm = tensor(&g, MCU_DT_I8, 4, ms, 'a', NULL), tfw = tensor(&g, MCU_DT_I8, 2, fws, 'c', fw);
  q(&g, tq, 0.012f, 3), q(&g, tw, 0.01f, 0), q(&g, tb, 0.00012f, 0), q(&g, tc, 0.02f, -1), q(&g, ta, 0.03f, 2);
  q(&g, tm, 0.025f, 0), q(&g, tfw, 0.02f, 0);
  layer(&g, MCU_OP_QUANTIZE, 1, tx, 0, 0, tq);
  layer(&g, MCU_OP_CONV2D, 3, tq, tw, tb, tc)->act_min = -1; /* fused RELU at the zero point */
  layer(&g, MCU_OP_ADD, 2, tc, tq, 0, ta);
  layer(&g, MCU_OP_MEAN, 1, ta, 0, 0, tm)->axes_mask = 0x6;
  /* The remaining two layers need more slots than the fixture has: run them in a second program. */
  int8_t mid[2];
  const void *ins[1] = {x};
  g.t[tm].storage = MCU_STORAGE_OUTPUT, g.t[tm].index = 0, g.out_idx[0] = tm, g.p.num_outputs = 1;
  void *outs[1] = {mid};
  CHECK(mcu_ref_run(&g.p, ins, outs) == 0, "4-layer program runs");
  /* Independent model of the same 4 layers. */
  int8_t qx[32], cv[32], ad[32], e_mid[2];
  for (int i = 0; i < 32; ++i) qx[i] = (int8_t)clampi((int64_t)roundf(x[i] / 0.012f) + 3, -128, 127);
  for (int p = 0; p < 16; ++p)
    for (int o = 0; o < 2; ++o) {
      int64_t acc = bias[o];
      for (int c = 0; c < 2; ++c) acc += (int64_t)w[o * 2 + c] * (qx[p * 2 + c] - 3);
      int32_t m, s;
      ref_qm((double)0.012f * (double)0.01f / (double)0.02f, &m, &s);
      cv[p * 2 + o] = (int8_t)clampi((int64_t)ref_mbqm((int32_t)acc, m, s) - 1, -1, 127);
    }
  for (int i = 0; i < 32; ++i) ad[i] = (int8_t)ref_add(cv[i], qx[i], 0.02f, -1, 0.012f, 3, 0.03f, 2, 0);
  for (int c = 0; c < 2; ++c) {
    int32_t sum = 0;
    for (int p = 0; p < 16; ++p) sum += ad[p * 2 + c];
    const float scale = 0.03f / 0.025f, bias_f = (float)(-2) * scale;
    float r = roundf((float)sum / 16.0f * scale + bias_f) + 0.0f;
    e_mid[c] = (int8_t)(r > 127 ? 127 : r < -128 ? -128 : r);
  }
  CHECK(memcmp(mid, e_mid, 2) == 0, "quantize/conv/add/mean program matches (%d %d vs %d %d)", mid[0], mid[1],
        e_mid[0], e_mid[1]);
  prog_t h;
  prog_init(&h);
  const int hi = tensor(&h, MCU_DT_I8, 4, ms, 'i', NULL), hw = tensor(&h, MCU_DT_I8, 2, fws, 'c', fw);
  const int hb = tensor(&h, MCU_DT_I32, 1, fbs, 'c', fb), hf = tensor(&h, MCU_DT_I8, 2, os, 'a', NULL);
  const int ho = tensor(&h, MCU_DT_F32, 2, os, 'o', NULL);
  q(&h, hi, 0.025f, 0), q(&h, hw, 0.02f, 0), q(&h, hb, 0.0005f, 0), q(&h, hf, 0.05f, 7);
  layer(&h, MCU_OP_FULLY_CONNECTED, 3, hi, hw, hb, hf);
  layer(&h, MCU_OP_DEQUANTIZE, 1, hf, 0, 0, ho);
  CHECK(run1(&h, mid, NULL, out) == 0, "fc/dequantize program runs");
  int ok = 1;
  for (int u = 0; u < 3; ++u) {
    int64_t acc = fb[u];
    for (int k = 0; k < 2; ++k) acc += (int64_t)fw[u * 2 + k] * mid[k];
    int32_t m, s;
    ref_qm((double)0.025f * (double)0.02f / (double)0.05f, &m, &s);
    const int32_t v = clampi((int64_t)ref_mbqm((int32_t)acc, m, s) + 7, -128, 127);
    ok &= out[u] == (float)((double)0.05f * (v - 7));
  }
  CHECK(ok, "fc/dequantize program matches");
}

static void test_matching(void) {
  prog_t g;
  prog_init(&g);
  const int32_t sh[1] = {4};
  const int ti = tensor(&g, MCU_DT_I8, 1, sh, 'i', NULL), to = tensor(&g, MCU_DT_I8, 1, sh, 'o', NULL);
  q(&g, ti, 0.1f, 0), q(&g, to, 0.2f, 0);
  mcu_layer_t *l = layer(&g, MCU_OP_REQUANTIZE, 1, ti, 0, 0, to);
  CHECK(mcu_kernel_handles(&g.p, l), "tflite requantize handled");
  l->numerics = MCU_NUMERICS_ONNX;
  CHECK(!mcu_kernel_handles(&g.p, l), "onnx requantize not matched by the tflite table");
  l->numerics = MCU_NUMERICS_TFLITE;
  mcu_kernel_call_t call;
  CHECK(mcu_kernel_prepare(&g.p, l, &call) == NULL && !strcmp(call.function, "mcu_k_requantize") &&
            call.params_size > 0,
        "prepare names the function");
  mcu_kernel_call_release(&call);
  g.t[to].shape[0] = 5;
  mcu_status_t s = mcu_kernel_prepare(&g.p, l, &call);
  CHECK(s != NULL, "size mismatch rejected");
  mcu_status_free(s);
}

/* ---- in place: the depthwise variant and add/sub against the ordinary kernels (random shapes) ---- */

#define GUARD 16

/* A depthwise conv with random geometry: mcu_k_conv_dw_inplace_s8 run in place (out == in0, buffer of
 * max(input, output) bytes) and into a separate buffer must give mcu_k_conv_s8's bytes, and touch nothing past the
 * buffer or the scratch it was given. */
static void test_conv_dw_inplace(int round) {
  prog_t g;
  prog_init(&g);
  int32_t N = rnd(1, 2), H = rnd(1, 9), W = rnd(1, 9), C = rnd(1, 6), KH = rnd(1, 3), KW = rnd(1, 3);
  int32_t SH = rnd(1, 2), SW = rnd(1, 2), DH = rnd(1, 2), DW = rnd(1, 2);
  int32_t pt = rnd(0, 2), pl = rnd(0, 2), pb = rnd(0, 2), pr = rnd(0, 2);
  if (round % 4 == 0) SH = SW = 2; /* the case the compiler cares about */
  while (H + pt + pb - (KH - 1) * DH - 1 < 0) ++pb;
  while (W + pl + pr - (KW - 1) * DW - 1 < 0) ++pr;
  const int32_t OH = (H + pt + pb - (KH - 1) * DH - 1) / SH + 1, OW = (W + pl + pr - (KW - 1) * DW - 1) / SW + 1;
  const size_t nx = (size_t)(N * H * W * C), ny = (size_t)(N * OH * OW * C), nbuf = nx > ny ? nx : ny;
  int8_t *x = malloc(nx), *w = malloc((size_t)(C * KH * KW)), *y = malloc(ny), *buf = malloc(nbuf + GUARD),
         *sep = malloc(ny + GUARD);
  int32_t *bias = malloc(sizeof(int32_t) * (size_t)C);
  for (size_t i = 0; i < nx; ++i) x[i] = (int8_t)rnd(-128, 127);
  for (int i = 0; i < C * KH * KW; ++i) w[i] = (int8_t)rnd(-127, 127);
  for (int i = 0; i < C; ++i) bias[i] = rnd(-3000, 3000);
  const int32_t xs[4] = {N, H, W, C}, ws[4] = {C, KH, KW, 1}, bs[1] = {C}, ys[4] = {N, OH, OW, C};
  const int ti = tensor(&g, MCU_DT_I8, 4, xs, 'i', NULL), tw = tensor(&g, MCU_DT_I8, 4, ws, 'c', w);
  const int tb = tensor(&g, MCU_DT_I32, 1, bs, 'c', bias), to = tensor(&g, MCU_DT_I8, 4, ys, 'o', NULL);
  q(&g, ti, 0.0235f, rnd(-20, 20));
  q(&g, to, 0.071f, rnd(-20, 20));
  g.t[tw].num_scales = C, g.t[tw].quant_axis = 0;
  for (int o = 0; o < C; ++o) g.sc[tw][o] = (float)(0.002 + 0.0007 * o), g.zp[tw][o] = 0;
  g.t[tb].num_scales = 1, g.sc[tb][0] = 1.0, g.zp[tb][0] = 0;
  mcu_layer_t *l = layer(&g, MCU_OP_CONV2D, 3, ti, tw, tb, to);
  l->stride[0] = SH, l->stride[1] = SW, l->dilation[0] = DH, l->dilation[1] = DW, l->groups = C;
  l->pad[0] = pt, l->pad[1] = pl, l->pad[2] = pb, l->pad[3] = pr;
  l->act_min = rnd(-128, -90), l->act_max = rnd(90, 127);
  CHECK(run1(&g, x, NULL, y) == 0, "ordinary depthwise conv runs");
  mcu_kernel_call_t call;
  l->inplace = 1, l->inplace_input = 0;
  mcu_status_t st = mcu_kernel_prepare(&g.p, l, &call);
  mcu_k_conv_params_t kp;
  if (!st) memcpy(&kp, call.params, sizeof kp);
  CHECK(!st && !strcmp(call.function, "mcu_k_conv_dw_inplace_s8") &&
            call.scratch_bytes == (uint32_t)mcu_dw_inplace_ring(&kp).bytes &&
            (mcu_dw_inplace_ring(&kp).ok || call.scratch_bytes == (uint32_t)(N * H * W)) &&
            call.inplace_mask == 1u,
        "in-place layer prepares the in-place variant with its ring or plane scratch (k_conv_dw.h)");
  if (st) {
    mcu_status_free(st);
  } else {
    mcu_kernel_fn fn = mcu_kernel_lookup(call.function);
    int8_t *scratch = malloc(call.scratch_bytes + GUARD);
    memset(buf, 0x5a, nbuf + GUARD);
    memcpy(buf, x, nx);
    memset(scratch + call.scratch_bytes, 0x33, GUARD);
    fn(call.params, call.aux[0], call.aux[1], buf, w, bias, buf, scratch);
    int guards = 1;
    for (int i = 0; i < GUARD; ++i) guards &= buf[nbuf + i] == 0x5a && scratch[call.scratch_bytes + i] == 0x33;
    CHECK(memcmp(buf, y, ny) == 0 && guards,
          "in-place depthwise n%d %dx%dx%d k%dx%d s%d,%d d%d,%d pads %d,%d,%d,%d equals the ordinary kernel", N, H, W,
          C, KH, KW, SH, SW, DH, DW, pt, pl, pb, pr);
    memset(sep, 0x5a, ny + GUARD);
    fn(call.params, call.aux[0], call.aux[1], x, w, bias, sep, scratch);
    guards = 1;
    for (int i = 0; i < GUARD; ++i) guards &= sep[ny + i] == 0x5a;
    CHECK(memcmp(sep, y, ny) == 0 && guards, "in-place variant into a separate buffer equals the ordinary kernel");
    free(scratch);
    mcu_kernel_call_release(&call);
    int8_t *y2 = malloc(ny);
    CHECK(run1(&g, x, NULL, y2) == 0 && memcmp(y2, y, ny) == 0, "the reference runs the in-place layer alike");
    free(y2);
  }
  free(x), free(w), free(y), free(buf), free(sep), free(bias);
}

/* int8 add/sub with equal shapes: out == a and out == b give the separate-buffer bytes; broadcasting: no mask. */
static void test_addsub_inplace(mcu_op_t op) {
  prog_t g;
  prog_init(&g);
  enum { n = 37 };
  const int32_t sh[2] = {1, n};
  int8_t a[n], b[n], y[n], t[n + GUARD];
  for (int i = 0; i < n; ++i) a[i] = (int8_t)rnd(-128, 127), b[i] = (int8_t)rnd(-128, 127);
  const int ta = tensor(&g, MCU_DT_I8, 2, sh, 'i', NULL), tb = tensor(&g, MCU_DT_I8, 2, sh, 'i', NULL);
  const int to = tensor(&g, MCU_DT_I8, 2, sh, 'o', NULL);
  q(&g, ta, 0.05f, 3), q(&g, tb, 0.031f, -9), q(&g, to, 0.07f, 1);
  mcu_layer_t *l = layer(&g, op, 2, ta, tb, 0, to);
  l->act_min = -128, l->act_max = 127;
  CHECK(run1(&g, a, b, y) == 0, "add/sub runs");
  mcu_kernel_call_t call;
  mcu_status_t st = mcu_kernel_prepare(&g.p, l, &call);
  CHECK(!st && call.inplace_mask == 3u && call.scratch_bytes == 0, "equal shapes: in place on either input");
  if (!st) {
    mcu_kernel_fn fn = mcu_kernel_lookup(call.function);
    for (int k = 0; k < 2; ++k) {
      memset(t, 0x5a, sizeof t);
      memcpy(t, k ? b : a, n);
      fn(call.params, call.aux[0], call.aux[1], k ? (const void *)a : t, k ? (const void *)t : b, NULL, t, NULL);
      CHECK(memcmp(t, y, n) == 0 && t[n] == 0x5a && t[n + GUARD - 1] == 0x5a, "op %d in place on input %d", (int)op,
            k);
    }
    mcu_kernel_call_release(&call);
  }
  g.t[tb].shape[1] = 1;
  st = mcu_kernel_prepare(&g.p, l, &call);
  CHECK(!st && call.inplace_mask == 0u, "broadcasting: never in place");
  if (st) mcu_status_free(st);
  else mcu_kernel_call_release(&call);
}

int main(void) {
  test_fixedpoint();
  test_quantize_multiplier();
  test_conv_s8(1, 1);
  test_conv_s8(2, 1);
  test_conv_s8(4, 2);
  test_conv_f32();
  test_fc_s8(0);
  test_fc_s8(1);
  test_fc_f32();
  test_requantize();
  test_quantize_dequantize();
  test_binary_s8(MCU_OP_ADD);
  test_binary_s8(MCU_OP_SUB);
  test_binary_s8(MCU_OP_MUL);
  test_binary_f32();
  test_pad_concat();
  test_mean();
  test_program();
  test_matching();
  for (int r = 0; r < 200; ++r) test_conv_dw_inplace(r);
  test_addsub_inplace(MCU_OP_ADD);
  test_addsub_inplace(MCU_OP_SUB);
  for (int r = 0; r < 300; ++r) test_addsub_random(r % 2 ? MCU_OP_SUB : MCU_OP_ADD, r / 2);
  return mcu_test_finish();
}
