/* kernels_onnx_test.c: tests of the ONNX kernel group (QLinear* ops as ONNX Runtime computes them, float32 ops). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_misc.h"
#include "k_onnx.h"
#include "kernel_call.h"
#include "mcu_test.h"
#include "prepare_onnx.h"
#include "ref.h"

/* Expected values come from hand computation, from exact (double) math where the float path cannot differ (away
 * from rounding ties), or from straight re-statements of ONNX Runtime's formulas with other primitives (double fma
 * rounded to float, double products, nearbyint), never from the functions under test. */

static uint32_t g_rng = 2463534242u;
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return lo + (int32_t)(g_rng % (uint32_t)(hi - lo + 1));
}

/* ---- tiny program builder ---- */

typedef struct net {
  mcu_tensor_t t[8];
  double scale[8];
  int32_t zp[8];
  mcu_layer_t l[4];
  int nt, nl, in_idx[2], out_idx[1], nin;
} net_t;

static int add_tensor(net_t *n, mcu_dtype_t dt, int rank, const int32_t *shape, double scale, int32_t zp,
                      mcu_storage_t st, int index) {
  mcu_tensor_t *t = &n->t[n->nt];
  memset(t, 0, sizeof *t);
  t->name = "";
  t->dtype = dt;
  t->rank = rank;
  memcpy(t->shape, shape, sizeof(int32_t) * (size_t)rank);
  t->quant_axis = -1;
  if (scale > 0) {
    n->scale[n->nt] = scale;
    n->zp[n->nt] = zp;
    t->num_scales = 1;
    t->scales = &n->scale[n->nt];
    t->zero_points = &n->zp[n->nt];
  }
  t->storage = st;
  t->index = index;
  return n->nt++;
}

static mcu_layer_t *add_layer(net_t *n, mcu_op_t op, mcu_numerics_t num, int nin, const int *ins, int out) {
  mcu_layer_t *l = &n->l[n->nl++];
  memset(l, 0, sizeof *l);
  l->name = "";
  l->op = op;
  l->numerics = num;
  l->num_inputs = nin;
  for (int i = 0; i < nin; ++i) l->inputs[i] = ins[i];
  l->output = out;
  l->stride[0] = l->stride[1] = 1;
  l->dilation[0] = l->dilation[1] = 1;
  l->groups = 1;
  l->act_min = INT32_MIN;
  l->act_max = INT32_MAX;
  l->fact_min = -INFINITY;
  l->fact_max = INFINITY;
  return l;
}

static mcu_program_t program(net_t *n) {
  mcu_program_t p;
  memset(&p, 0, sizeof p);
  p.name = "t";
  p.num_tensors = n->nt;
  p.tensors = n->t;
  p.num_layers = n->nl;
  p.layers = n->l;
  p.num_inputs = n->nin;
  p.inputs = n->in_idx;
  p.num_outputs = 1;
  p.outputs = n->out_idx;
  return p;
}

/* Runs layer 0 of `p` through the library directly (prepare, lookup, call). */
static int run_layer(const mcu_program_t *p, const void *a, const void *b, void *y, const char **out_fn) {
  const mcu_layer_t *l = &p->layers[0];
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(p, l, &call);
  if (s) {
    printf("  prepare: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    return -1;
  }
  if (out_fn) *out_fn = call.function;
  mcu_kernel_fn fn = mcu_kernel_lookup(call.function);
  if (fn) fn(call.params, call.aux[0], call.aux[1], a, b, NULL, y, NULL);
  mcu_kernel_call_release(&call);
  return fn ? 0 : -1;
}

static int32_t q8(mcu_dtype_t dt, const void *p, int i) {
  return dt == MCU_DT_U8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}

/* round half to even via nearbyint in the default mode, saturated to the type. */
static int32_t sat_rne(double v, mcu_dtype_t dt) {
  const int32_t lo = dt == MCU_DT_U8 ? 0 : -128, hi = dt == MCU_DT_U8 ? 255 : 127;
  if (v <= lo) return lo;
  if (v >= hi) return hi;
  return (int32_t)nearbyint(v);
}

/* fmaf restated: the exact product of two floats fits a double; fma in double, then one rounding to float. */
static float fma_ref(float x, float y, float z) { return (float)fma((double)x, (double)y, (double)z); }

/* ---- QLinearAdd ---- */

static void test_qladd(void) {
  /* broadcast modes of ONNX Runtime's loop */
  const int32_t s4[4] = {1, 4, 3, 3}, s4c[4] = {1, 4, 1, 1}, s2[2] = {4, 1}, s2b[2] = {1, 5}, s23[2] = {2, 3},
                s1[1] = {1};
  mcu_tensor_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.rank = 4, b.rank = 4;
  memcpy(a.shape, s4, sizeof s4);
  memcpy(b.shape, s4c, sizeof s4c);
  CHECK(mcu_onnx_broadcast_mode(&a, &b) == MCU_KO_SCALAR_B, "NCHW + per-channel: input 1 scalar per span");
  CHECK(mcu_onnx_broadcast_mode(&b, &a) == MCU_KO_SCALAR_A, "per-channel + NCHW: input 0 scalar per span");
  a.rank = b.rank = 2;
  memcpy(a.shape, s2, sizeof s2);
  memcpy(b.shape, s2b, sizeof s2b);
  CHECK(mcu_onnx_broadcast_mode(&a, &b) == MCU_KO_SCALAR_A, "[4,1] + [1,5]: input 0 scalar per span");
  memcpy(a.shape, s23, sizeof s23);
  memcpy(b.shape, s23, sizeof s23);
  CHECK(mcu_onnx_broadcast_mode(&a, &b) == MCU_KO_SPAN_BOTH, "equal shapes: both spans");
  b.rank = 1;
  memcpy(b.shape, s1, sizeof s1);
  CHECK(mcu_onnx_broadcast_mode(&a, &b) == MCU_KO_SCALAR_B, "single element input 1");

  /* hand case, power-of-two scales (all float steps exact): sa = 0.5, sb = 0.25, sc = 0.5, za = 1, zb = -2,
   * zc = 3: y = (a-1) + (b+2)/2 + 3, ties to even */
  {
    net_t n;
    memset(&n, 0, sizeof n);
    const int32_t sh[1] = {6};
    const int x0 = add_tensor(&n, MCU_DT_I8, 1, sh, 0.5, 1, MCU_STORAGE_INPUT, 0);
    const int x1 = add_tensor(&n, MCU_DT_I8, 1, sh, 0.25, -2, MCU_STORAGE_INPUT, 1);
    const int y = add_tensor(&n, MCU_DT_I8, 1, sh, 0.5, 3, MCU_STORAGE_OUTPUT, 0);
    const int ins[2] = {x0, x1};
    add_layer(&n, MCU_OP_ADD, MCU_NUMERICS_ONNX, 2, ins, y);
    mcu_program_t p = program(&n);
    const int8_t a8[6] = {1, 1, 1, 1, 120, -128}, b8[6] = {-1, 1, -3, 3, 100, -128};
    /* (0) + 0.5 + 3 = 3.5 -> 4; 0 + 1.5 + 3 = 4.5 -> 4; 0 - 0.5 + 3 = 2.5 -> 2; 0 + 2.5 + 3 = 5.5 -> 6;
     * 119 + 51 + 3 -> 127 (saturated); -129 - 63 + 3 -> -128 */
    const int8_t want[6] = {4, 4, 2, 6, 127, -128};
    int8_t out[6];
    const char *fn = NULL;
    CHECK(run_layer(&p, a8, b8, out, &fn) == 0 && fn && !strcmp(fn, "mcu_k_qladd_q8"), "qladd runs");
    CHECK(memcmp(out, want, 6) == 0, "qladd hand case: %d %d %d %d %d %d", out[0], out[1], out[2], out[3], out[4],
          out[5]);
  }

  /* random: uint8 and int8, the three broadcast loops (equal shapes; input 1 per channel of NCHW: scalar B;
   * input 0 constant along the innermost dimension: scalar A), against the restated AVX2 formula and exact math */
  static const int32_t shapes[3][2][4] = {{{1, 3, 4, 5}, {1, 3, 4, 5}}, {{1, 3, 4, 5}, {1, 3, 1, 1}},
                                           {{1, 3, 4, 1}, {1, 3, 4, 5}}};
  int bad_formula = 0, bad_exact = 0, checked = 0;
  for (int dti = 0; dti < 2; ++dti)
    for (int m = 0; m < 3; ++m)
      for (int rep = 0; rep < 400; ++rep) {
        const mcu_dtype_t dt = dti ? MCU_DT_U8 : MCU_DT_I8;
        const int32_t lo = dti ? 0 : -128, hi = dti ? 255 : 127;
        net_t n;
        memset(&n, 0, sizeof n);
        const float sa = (float)(0.01 + rnd(1, 1000) * 0.0003), sb = (float)(0.01 + rnd(1, 1000) * 0.0002);
        const float sc = (float)(0.02 + rnd(1, 1000) * 0.0004);
        const int32_t za = rnd(lo, hi), zb = rnd(lo, hi), zc = rnd(lo, hi);
        const int x0 = add_tensor(&n, dt, 4, shapes[m][0], sa, za, MCU_STORAGE_INPUT, 0);
        const int x1 = add_tensor(&n, dt, 4, shapes[m][1], sb, zb, MCU_STORAGE_INPUT, 1);
        const int32_t ys[4] = {1, 3, 4, 5}; /* the broadcast output of every pair */
        const int y = add_tensor(&n, dt, 4, ys, sc, zc, MCU_STORAGE_OUTPUT, 0);
        const int ins[2] = {x0, x1};
        add_layer(&n, MCU_OP_ADD, MCU_NUMERICS_ONNX, 2, ins, y);
        mcu_program_t p = program(&n);
        uint8_t A[60], B[60], Y[60];
        for (int i = 0; i < 60; ++i) A[i] = (uint8_t)rnd(0, 255), B[i] = (uint8_t)rnd(0, 255);
        if (run_layer(&p, A, B, Y, NULL)) {
          ++bad_formula;
          continue;
        }
        const float ra = sa / sc, rb = sb / sc;
        const float fixed = (float)zc - (float)((float)(ra * (float)za) + (float)(rb * (float)zb));
        for (int i = 0; i < 60; ++i) { /* output index i = ((c * 4 + h) * 5 + w) */
          const int c = i / 20;
          const int ia = m == 2 ? i / 5 : i, ib = m == 1 ? c : i;
          const float xa = (float)q8(dt, A, ia), xb = (float)q8(dt, B, ib);
          float v;
          if (m == 1) v = fma_ref(xa, ra, fixed + xb * rb);
          else if (m == 2) v = fma_ref(xb, rb, fixed + xa * ra);
          else v = fma_ref(xa, ra, fma_ref(xb, rb, fixed));
          if (q8(dt, Y, i) != sat_rne(v, dt)) ++bad_formula;
          /* exact value: equal unless within 1e-3 of a rounding tie */
          const double ex = (double)sa / sc * (q8(dt, A, ia) - za) + (double)sb / sc * (q8(dt, B, ib) - zb) + zc;
          const double frac = ex - floor(ex);
          if (fabs(frac - 0.5) > 1e-3) {
            ++checked;
            if (q8(dt, Y, i) != sat_rne(ex, dt)) ++bad_exact;
          }
        }
      }
  CHECK(bad_formula == 0, "qladd: %d elements differ from the restated AVX2 formula", bad_formula);
  CHECK(bad_exact == 0 && checked > 100000, "qladd: %d of %d elements away from ties differ from exact rounding",
        bad_exact, checked);
}

/* ---- QLinearMul ---- */

static void test_qlmul(void) {
  net_t n;
  memset(&n, 0, sizeof n);
  const int32_t sh[1] = {5}, sh1[1] = {1};
  const int x0 = add_tensor(&n, MCU_DT_U8, 1, sh, 0.5, 10, MCU_STORAGE_INPUT, 0);
  const int x1 = add_tensor(&n, MCU_DT_U8, 1, sh1, 0.25, 4, MCU_STORAGE_INPUT, 1);
  const int y = add_tensor(&n, MCU_DT_U8, 1, sh, 0.5, 100, MCU_STORAGE_OUTPUT, 0);
  const int ins[2] = {x0, x1};
  add_layer(&n, MCU_OP_MUL, MCU_NUMERICS_ONNX, 2, ins, y);
  mcu_program_t p = program(&n);
  /* ratio = 0.25; b - zb = 6 (b = 10): y = (a - 10) * 6 / 4 + 100: a = 11 -> 1.5 -> 101.5 -> 102; a = 13 ->
   * 4.5 + 100 -> 104 (even); a = 9 -> -1.5 + 100 = 98.5 -> 98; a = 255 -> 467.5 -> 255; a = 0 -> -15 + 100 = 85 */
  const uint8_t a8[5] = {11, 13, 9, 255, 0}, b8[1] = {10};
  const uint8_t want[5] = {102, 104, 98, 255, 85};
  uint8_t out[5];
  const char *fn = NULL;
  CHECK(run_layer(&p, a8, b8, out, &fn) == 0 && fn && !strcmp(fn, "mcu_k_qlmul_q8"), "qlmul runs");
  CHECK(memcmp(out, want, 5) == 0, "qlmul hand case: %d %d %d %d %d", out[0], out[1], out[2], out[3], out[4]);

  int bad = 0;
  for (int rep = 0; rep < 200; ++rep) {
    net_t m;
    memset(&m, 0, sizeof m);
    const int32_t s8[1] = {8};
    const float sa = (float)(0.001 + rnd(1, 1000) * 0.0007), sb = (float)(0.001 + rnd(1, 1000) * 0.0003);
    const float sc = (float)(0.01 + rnd(1, 1000) * 0.001);
    const int32_t za = rnd(-128, 127), zb = rnd(-128, 127), zc = rnd(-128, 127);
    const int a = add_tensor(&m, MCU_DT_I8, 1, s8, sa, za, MCU_STORAGE_INPUT, 0);
    const int b = add_tensor(&m, MCU_DT_I8, 1, s8, sb, zb, MCU_STORAGE_INPUT, 1);
    const int c = add_tensor(&m, MCU_DT_I8, 1, s8, sc, zc, MCU_STORAGE_OUTPUT, 0);
    const int ab[2] = {a, b};
    add_layer(&m, MCU_OP_MUL, MCU_NUMERICS_ONNX, 2, ab, c);
    mcu_program_t q = program(&m);
    int8_t A[8], B[8], Y[8];
    for (int i = 0; i < 8; ++i) A[i] = (int8_t)rnd(-128, 127), B[i] = (int8_t)rnd(-128, 127);
    if (run_layer(&q, A, B, Y, NULL)) {
      ++bad;
      continue;
    }
    const float ratio = (float)((double)(float)((double)sa * sb) / sc); /* float ops restated through double */
    for (int i = 0; i < 8; ++i) {
      const int32_t prod = (A[i] - za) * (B[i] - zb);
      const float v = (float)((double)(float)((double)prod * ratio) + (double)zc);
      if (Y[i] != sat_rne(v, MCU_DT_I8)) ++bad;
    }
  }
  CHECK(bad == 0, "qlmul: %d elements differ from the restated SSE2 formula", bad);
}

/* ---- QLinearAveragePool / QLinearGlobalAveragePool / MEAN ---- */

static void test_qlpool(void) {
  /* 3x3 image, 1 channel, window 3x3, pad 1, stride 1: padding excluded (corner averages 4 values) */
  net_t n;
  memset(&n, 0, sizeof n);
  const int32_t sx[4] = {1, 3, 3, 1};
  const int x = add_tensor(&n, MCU_DT_U8, 4, sx, 0.5, 2, MCU_STORAGE_INPUT, 0);
  const int y = add_tensor(&n, MCU_DT_U8, 4, sx, 0.25, 1, MCU_STORAGE_OUTPUT, 0);
  mcu_layer_t *l = add_layer(&n, MCU_OP_AVG_POOL, MCU_NUMERICS_ONNX, 1, &x, y);
  l->kernel[0] = l->kernel[1] = 3;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  mcu_program_t p = program(&n);
  const uint8_t img[9] = {2, 4, 6, 8, 10, 12, 14, 16, 19};
  /* real values (x - 2) * 0.5: 0 1 2 / 3 4 5 / 6 7 8.5; top-left mean (0+1+3+4)/4 = 2 -> 2/0.25 + 1 = 9;
   * centre: 36.5/9 = 4.0556 -> 16.22 + 1 -> 17; bottom-right (4+5+7+8.5)/4 = 6.125 -> 24.5 + 1 = 25.5 -> 26 */
  uint8_t out[9];
  const char *fn = NULL;
  CHECK(run_layer(&p, img, NULL, out, &fn) == 0 && fn && !strcmp(fn, "mcu_k_qlavgpool_q8"), "qlavgpool runs");
  CHECK(out[0] == 9 && out[4] == 17 && out[8] == 26, "qlavgpool: %d %d %d", out[0], out[4], out[8]);
  int bad = 0;
  for (int oy = 0; oy < 3; ++oy)
    for (int ox = 0; ox < 3; ++ox) {
      double sum = 0;
      int cnt = 0;
      for (int iy = oy - 1; iy <= oy + 1; ++iy)
        for (int ix = ox - 1; ix <= ox + 1; ++ix)
          if (iy >= 0 && iy < 3 && ix >= 0 && ix < 3) sum += 0.5 * (img[iy * 3 + ix] - 2), ++cnt;
      if (out[oy * 3 + ox] != sat_rne(sum / cnt / 0.25 + 1, MCU_DT_U8)) ++bad;
    }
  CHECK(bad == 0, "qlavgpool: %d windows differ from the exact average", bad);

  /* a whole-image window without padding goes to the global kernel (ONNX Runtime's fallback) */
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 0;
  const int32_t s11[4] = {1, 1, 1, 1};
  memcpy(n.t[y].shape, s11, sizeof s11);
  uint8_t g = 0;
  CHECK(run_layer(&p, img, NULL, &g, &fn) == 0 && fn && !strcmp(fn, "mcu_k_qlgavgpool_q8"),
        "whole-image avg pool runs the global kernel (%s)", fn ? fn : "-");
  /* sum 91 - 18 = 73; 73 * 0.5 / (0.25 * 9) = 16.22 -> 16 + 1 */
  CHECK(g == 17, "global average %d", g);

  /* MEAN over H, W of NHWC int8 against exact math */
  int badm = 0, checked = 0;
  for (int rep = 0; rep < 50; ++rep) {
    net_t m;
    memset(&m, 0, sizeof m);
    const int32_t xs[4] = {2, 3, 4, 5}, ys[4] = {2, 1, 1, 5};
    const float sxs = (float)(0.01 + rnd(1, 100) * 0.001), sys = (float)(0.01 + rnd(1, 100) * 0.001);
    const int32_t zx = rnd(-20, 20), zy = rnd(-20, 20);
    const int xi = add_tensor(&m, MCU_DT_I8, 4, xs, sxs, zx, MCU_STORAGE_INPUT, 0);
    const int yi = add_tensor(&m, MCU_DT_I8, 4, ys, sys, zy, MCU_STORAGE_OUTPUT, 0);
    mcu_layer_t *ml = add_layer(&m, MCU_OP_MEAN, MCU_NUMERICS_ONNX, 1, &xi, yi);
    ml->axes_mask = 0x6u;
    mcu_program_t q = program(&m);
    int8_t X[120], Y[10];
    for (int i = 0; i < 120; ++i) X[i] = (int8_t)rnd(-128, 127);
    if (run_layer(&q, X, NULL, Y, NULL)) {
      ++badm;
      continue;
    }
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 5; ++c) {
        long s = 0;
        for (int hw = 0; hw < 12; ++hw) s += X[(b * 12 + hw) * 5 + c] - zx;
        const double ex = (double)sxs * s / ((double)sys * 12) + zy;
        if (fabs(ex - floor(ex) - 0.5) < 1e-3) continue;
        ++checked;
        if (Y[b * 5 + c] != sat_rne(ex, MCU_DT_I8)) ++badm;
      }
  }
  CHECK(badm == 0 && checked > 400, "mean (global average): %d of %d differ from exact rounding", badm, checked);
}

/* ---- QLinearSigmoid and QLinearConcat tables ---- */

static void test_tables(void) {
  double worst = 0;
  for (int i = -2000; i <= 2000; ++i) {
    const float x = (float)i * 0.01f;
    const double e = 1.0 / (1.0 + exp(-(double)x));
    const double d = fabs((double)mcu_onnx_mlas_logistic(x) - e);
    worst = d > worst ? d : worst;
  }
  CHECK(worst < 2e-6, "MLAS logistic within 2e-6 of the exact sigmoid (worst %g)", worst);
  CHECK(mcu_onnx_mlas_logistic(0.0f) == 0.5f, "logistic(0) = 0.5");
  CHECK(mcu_onnx_mlas_logistic(-100.0f) >= 0.0f && mcu_onnx_mlas_logistic(100.0f) <= 1.0f + 1e-6f,
        "logistic saturates");
  CHECK(mcu_onnx_quantize_linear(2.5f, 1.0f, 0, MCU_DT_I8) == 2 && mcu_onnx_quantize_linear(3.5f, 1.0f, 0,
        MCU_DT_I8) == 4 && mcu_onnx_quantize_linear(-2.5f, 1.0f, 1, MCU_DT_I8) == -1, "QuantizeLinear ties to even");
  CHECK(mcu_onnx_quantize_linear(1000.0f, 1.0f, 10, MCU_DT_U8) == 255 &&
        mcu_onnx_quantize_linear(-1000.0f, 1.0f, 10, MCU_DT_U8) == 0, "QuantizeLinear saturates");

  /* sigmoid program: uint8, sy = 1/256, zy = 0 */
  net_t n;
  memset(&n, 0, sizeof n);
  const int32_t sh[1] = {256};
  const int x = add_tensor(&n, MCU_DT_U8, 1, sh, 0.05, 128, MCU_STORAGE_INPUT, 0);
  const int y = add_tensor(&n, MCU_DT_U8, 1, sh, 1.0 / 256, 0, MCU_STORAGE_OUTPUT, 0);
  add_layer(&n, MCU_OP_LOGISTIC, MCU_NUMERICS_ONNX, 1, &x, y);
  n.in_idx[0] = x;
  n.nin = 1;
  n.out_idx[0] = y;
  mcu_program_t p = program(&n);
  uint8_t in[256], out[256];
  for (int i = 0; i < 256; ++i) in[i] = (uint8_t)i;
  const void *ins[1] = {in};
  void *outs[1] = {out};
  CHECK(mcu_ref_run(&p, ins, outs) == 0, "sigmoid program runs");
  int bad = 0, checked = 0;
  for (int i = 0; i < 256; ++i) {
    const double v = 256.0 / (1.0 + exp(-(double)(float)(0.05f * (float)(i - 128))));
    if (fabs(v - floor(v) - 0.5) < 1e-3) continue;
    ++checked;
    if (out[i] != sat_rne(v, MCU_DT_U8)) ++bad;
  }
  CHECK(out[128] == 128 && bad == 0 && checked > 240, "sigmoid table: x = z -> %d; %d of %d differ", out[128], bad,
        checked);

  /* QLinearLeakyRelu int8: table of QuantizeLinear(v >= 0 ? v : alpha v), zero point added after rounding */
  net_t lr;
  memset(&lr, 0, sizeof lr);
  const int lx = add_tensor(&lr, MCU_DT_I8, 1, sh, 0.1, 3, MCU_STORAGE_INPUT, 0);
  const int ly = add_tensor(&lr, MCU_DT_I8, 1, sh, 0.05, -10, MCU_STORAGE_OUTPUT, 0);
  add_layer(&lr, MCU_OP_LEAKY_RELU, MCU_NUMERICS_ONNX, 1, &lx, ly)->alpha = 0.25f;
  mcu_program_t lp = program(&lr);
  int8_t lin[256], lout[256];
  for (int i = 0; i < 256; ++i) lin[i] = (int8_t)(i - 128);
  const char *fn = NULL;
  CHECK(run_layer(&lp, lin, NULL, lout, &fn) == 0 && fn && !strcmp(fn, "mcu_k_lut_s8"), "leaky relu int8 runs");
  int lbad = 0, lchecked = 0;
  for (int i = 0; i < 256; ++i) {
    const double v = 0.1 * (lin[i] - 3), f = v >= 0 ? v : 0.25 * v, q = f / 0.05;
    if (fabs(q - floor(q) - 0.5) < 1e-3) continue;
    ++lchecked;
    if (lout[i] != sat_rne(nearbyint(q) - 10, MCU_DT_I8)) ++lbad;
  }
  /* hand: x = 3 -> 0 -> -10; x = 13 -> 1.0 -> 20 - 10 = 10; x = -7 -> -1.0 * 0.25 / 0.05 = -5 -> -15;
   * x = -127 -> -13 * 0.25 / 0.05 = -65 -> -75 */
  CHECK(lout[131] == -10 && lout[141] == 10 && lout[121] == -15 && lout[1] == -75 && lbad == 0 && lchecked > 150,
        "leaky relu table: %d %d %d %d; %d of %d differ", lout[131], lout[141], lout[121], lout[1], lbad, lchecked);

  /* concat: input a requantized (other scale), b copied (same qparams as the output), axis 1 */
  net_t c;
  memset(&c, 0, sizeof c);
  const int32_t sa[2] = {2, 3}, sb[2] = {2, 2}, sy[2] = {2, 5};
  const int a = add_tensor(&c, MCU_DT_I8, 2, sa, 0.3, 5, MCU_STORAGE_INPUT, 0);
  const int b = add_tensor(&c, MCU_DT_I8, 2, sb, 0.2, -3, MCU_STORAGE_INPUT, 1);
  const int yc = add_tensor(&c, MCU_DT_I8, 2, sy, 0.2, -3, MCU_STORAGE_OUTPUT, 0);
  const int ab[2] = {a, b};
  mcu_layer_t *cl = add_layer(&c, MCU_OP_CONCAT, MCU_NUMERICS_ONNX, 2, ab, yc);
  cl->axis = 1;
  c.in_idx[0] = a, c.in_idx[1] = b;
  c.nin = 2;
  c.out_idx[0] = yc;
  mcu_program_t q = program(&c);
  const int8_t A[6] = {5, 6, 7, -128, 127, 0}, B[4] = {1, 2, 3, 4};
  int8_t Y[10];
  const void *cins[2] = {A, B};
  void *couts[1] = {Y};
  CHECK(mcu_ref_run(&q, cins, couts) == 0, "concat program runs");
  /* a: QuantizeLinear rounds v = 0.3 (a - 5) / 0.2 = 1.5 (a - 5) before adding the zero point -3: 5 -> -3,
   * 6 -> round(1.5) = 2 -> -1, 7 -> 0; -128 -> -128; 127 -> 127; 0 -> round(-7.5) = -8 -> -11 */
  const int8_t want[10] = {-3, -1, 0, 1, 2, -128, 127, -11, 3, 4};
  CHECK(memcmp(Y, want, 10) == 0, "concat: %d %d %d %d %d | %d %d %d %d %d", Y[0], Y[1], Y[2], Y[3], Y[4], Y[5],
        Y[6], Y[7], Y[8], Y[9]);
}

/* ---- float32 ---- */

static void test_float(void) {
  /* matmul [2, 1, 3, 4] x [3, 4, 2] -> [2, 3, 3, 2] with batch broadcasting */
  net_t n;
  memset(&n, 0, sizeof n);
  const int32_t as[4] = {2, 1, 3, 4}, bs[3] = {3, 4, 2}, ys[4] = {2, 3, 3, 2};
  const int a = add_tensor(&n, MCU_DT_F32, 4, as, 0, 0, MCU_STORAGE_INPUT, 0);
  const int b = add_tensor(&n, MCU_DT_F32, 3, bs, 0, 0, MCU_STORAGE_INPUT, 1);
  const int y = add_tensor(&n, MCU_DT_F32, 4, ys, 0, 0, MCU_STORAGE_OUTPUT, 0);
  const int ab[2] = {a, b};
  add_layer(&n, MCU_OP_MATMUL, MCU_NUMERICS_ONNX, 2, ab, y);
  mcu_program_t p = program(&n);
  float A[24], B[24], Y[36];
  for (int i = 0; i < 24; ++i) A[i] = (float)rnd(-100, 100) / 16, B[i] = (float)rnd(-100, 100) / 16;
  const char *fn = NULL;
  CHECK(run_layer(&p, A, B, Y, &fn) == 0 && fn && !strcmp(fn, "mcu_k_matmul_f32"), "matmul f32 runs");
  int bad = 0;
  for (int b0 = 0; b0 < 2; ++b0)
    for (int b1 = 0; b1 < 3; ++b1)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 2; ++j) {
          double s = 0; /* values are multiples of 1/16: the float sums are exact */
          for (int k = 0; k < 4; ++k) s += (double)A[(b0 * 3 + i) * 4 + k] * B[(b1 * 4 + k) * 2 + j];
          if ((double)Y[((b0 * 3 + b1) * 3 + i) * 2 + j] != s) ++bad;
        }
  CHECK(bad == 0, "matmul f32: %d elements differ from the double product", bad);
  /* the same layer under TF Lite numerics runs the same kernel (float has no variants) */
  n.l[0].numerics = MCU_NUMERICS_TFLITE;
  CHECK(mcu_kernel_handles(&p, &n.l[0]), "matmul f32 of TF Lite numerics handled");

  /* leaky relu, hard sigmoid */
  float X[6] = {-2.0f, -0.5f, 0.0f, 0.25f, 3.0f, -0.0f}, Z[6];
  net_t u;
  memset(&u, 0, sizeof u);
  const int32_t s6[1] = {6};
  const int ux = add_tensor(&u, MCU_DT_F32, 1, s6, 0, 0, MCU_STORAGE_INPUT, 0);
  const int uy = add_tensor(&u, MCU_DT_F32, 1, s6, 0, 0, MCU_STORAGE_OUTPUT, 0);
  mcu_layer_t *ul = add_layer(&u, MCU_OP_LEAKY_RELU, MCU_NUMERICS_ONNX, 1, &ux, uy);
  ul->alpha = 0.1f;
  mcu_program_t up = program(&u);
  CHECK(run_layer(&up, X, NULL, Z, NULL) == 0, "leaky relu runs");
  CHECK(Z[0] == -2.0f * 0.1f && Z[1] == -0.5f * 0.1f && Z[2] == 0.0f && Z[3] == 0.25f && Z[4] == 3.0f,
        "leaky relu values %g %g %g %g %g", Z[0], Z[1], Z[2], Z[3], Z[4]);
  ul->op = MCU_OP_HARD_SIGMOID;
  ul->alpha = 0.2f;
  ul->beta = 0.5f;
  CHECK(run_layer(&up, X, NULL, Z, NULL) == 0, "hard sigmoid runs");
  volatile float al = 0.2f, be = 0.5f; /* float32 multiply then add, restated */
  const float h0 = al * -2.0f, h1 = al * -0.5f, h3 = al * 0.25f;
  CHECK(Z[0] == h0 + be && Z[1] == h1 + be && Z[2] == 0.5f && Z[3] == h3 + be && Z[4] == 1.0f && Z[0] != 0.1f,
        "hard sigmoid values %.9g %.9g %.9g %.9g %.9g", Z[0], Z[1], Z[2], Z[3], Z[4]);

  /* batch norm, channel last, constants; against the textbook formula in double */
  net_t bn;
  memset(&bn, 0, sizeof bn);
  const int32_t xs[2] = {4, 3}, cs[1] = {3};
  float scale[3] = {1.5f, -0.5f, 2.0f}, bias[3] = {0.1f, 0.2f, -0.3f}, mean[3] = {0.5f, -1.0f, 2.0f},
        var[3] = {4.0f, 0.25f, 0.01f};
  float *cv[4] = {scale, bias, mean, var};
  const int bx = add_tensor(&bn, MCU_DT_F32, 2, xs, 0, 0, MCU_STORAGE_INPUT, 0);
  int bin[5] = {bx, 0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    bin[i + 1] = add_tensor(&bn, MCU_DT_F32, 1, cs, 0, 0, MCU_STORAGE_CONST, 0);
    bn.t[bin[i + 1]].data = (uint8_t *)cv[i];
  }
  const int by = add_tensor(&bn, MCU_DT_F32, 2, xs, 0, 0, MCU_STORAGE_OUTPUT, 0);
  mcu_layer_t *bl = add_layer(&bn, MCU_OP_BATCH_NORM, MCU_NUMERICS_ONNX, 5, bin, by);
  bl->epsilon = 1e-5f;
  bn.in_idx[0] = bx;
  bn.nin = 1;
  bn.out_idx[0] = by;
  mcu_program_t bp = program(&bn);
  float BX[12], BY[12];
  for (int i = 0; i < 12; ++i) BX[i] = (float)rnd(-1000, 1000) / 100;
  const void *bins[1] = {BX};
  void *bouts[1] = {BY};
  CHECK(mcu_ref_run(&bp, bins, bouts) == 0, "batch norm program runs");
  double worst = 0;
  for (int i = 0; i < 12; ++i) {
    const int c = i % 3;
    const double e = ((double)BX[i] - mean[c]) / sqrt((double)var[c] + (double)1e-5f) * scale[c] + bias[c];
    const double d = fabs(BY[i] - e) / (fabs(e) > 1 ? fabs(e) : 1);
    worst = d > worst ? d : worst;
  }
  CHECK(worst < 1e-5, "batch norm within 1e-5 relative of (x - mean) / sqrt(var + eps) * scale + bias (%g)", worst);
  /* a non-constant scale is refused (the kernel cannot read five inputs) */
  bn.t[bin[1]].storage = MCU_STORAGE_ARENA;
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(&bp, bl, &call);
  CHECK(s != NULL, "batch norm with a computed scale is refused");
  mcu_status_free(s);

  /* float conv / pool / softmax of ONNX numerics find the shared float kernels */
  net_t f;
  memset(&f, 0, sizeof f);
  const int32_t ps[4] = {1, 4, 4, 2}, po[4] = {1, 2, 2, 2};
  const int fx = add_tensor(&f, MCU_DT_F32, 4, ps, 0, 0, MCU_STORAGE_INPUT, 0);
  const int fy = add_tensor(&f, MCU_DT_F32, 4, po, 0, 0, MCU_STORAGE_OUTPUT, 0);
  mcu_layer_t *fl = add_layer(&f, MCU_OP_MAX_POOL, MCU_NUMERICS_ONNX, 1, &fx, fy);
  fl->kernel[0] = fl->kernel[1] = 3;
  fl->stride[0] = fl->stride[1] = 2;
  fl->pad[0] = fl->pad[1] = fl->pad[2] = fl->pad[3] = 1;
  mcu_program_t fp = program(&f);
  float PX[32], PY[8];
  for (int i = 0; i < 32; ++i) PX[i] = -(float)i; /* decreasing: the max is the window's first element */
  CHECK(run_layer(&fp, PX, NULL, PY, &fn) == 0 && fn && !strcmp(fn, "mcu_k_max_pool_f32"), "ONNX max pool f32");
  /* window of (0, 0) covers rows/cols -1..1 -> first real element (0, 0); (1, 1) starts at (1, 1) */
  CHECK(PY[0] == 0.0f && PY[1] == -1.0f && PY[6] == -(float)((1 * 4 + 1) * 2) && PY[7] == -11.0f,
        "max pool ignores padding: %g %g %g %g", PY[0], PY[1], PY[6], PY[7]);
  fl->op = MCU_OP_AVG_POOL;
  for (int i = 0; i < 32; ++i) PX[i] = (float)(i / 2); /* pixel index */
  CHECK(run_layer(&fp, PX, NULL, PY, &fn) == 0 && fn && !strcmp(fn, "mcu_k_avg_pool_f32"), "ONNX avg pool f32");
  /* (0, 0): pixels 0 1 4 5 -> 2.5 (count_include_pad = 0: 4 values, not 9) */
  CHECK(PY[0] == 2.5f, "avg pool excludes padding: %g", PY[0]);

  /* nearest resize of ONNX numerics (2x, asymmetric floor: the importer's TF Lite-equivalent rule) */
  net_t r;
  memset(&r, 0, sizeof r);
  const int32_t ri[4] = {1, 2, 2, 1}, ro[4] = {1, 4, 4, 1};
  const int rx = add_tensor(&r, MCU_DT_F32, 4, ri, 0, 0, MCU_STORAGE_INPUT, 0);
  const int ry = add_tensor(&r, MCU_DT_F32, 4, ro, 0, 0, MCU_STORAGE_OUTPUT, 0);
  add_layer(&r, MCU_OP_RESIZE_NEAREST, MCU_NUMERICS_ONNX, 1, &rx, ry);
  mcu_program_t rp = program(&r);
  const float RX[4] = {1, 2, 3, 4};
  float RY[16];
  CHECK(run_layer(&rp, RX, NULL, RY, &fn) == 0 && fn && !strcmp(fn, "mcu_k_resize_nearest"), "ONNX resize runs");
  CHECK(RY[0] == 1 && RY[1] == 1 && RY[2] == 2 && RY[3] == 2 && RY[4] == 1 && RY[8] == 3 && RY[15] == 4,
        "resize 2x: %g %g %g %g / %g %g %g", RY[0], RY[1], RY[2], RY[3], RY[4], RY[8], RY[15]);
}

int main(void) {
  test_qladd();
  test_qlmul();
  test_qlpool();
  test_tables();
  test_float();
  return mcu_test_finish();
}
