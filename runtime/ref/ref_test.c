/* ref_test.c: unit tests of the reference kernels: hand-checked cases, naive integer models, ONNX node tests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"
#include "ref.h"
#include "testdata/onnx_cases.h"

/* Expected values come from hand computation or from the naive integer formulas below (straight loops, int64,
 * no floating point: the conv/matmul cases use power-of-two scales so that requantization is an exact shift with
 * round half to even), never from the functions under test. */


/* ---- helpers ---- */

static uint32_t g_rng = 2463534242u;
static int32_t rnd(int32_t lo, int32_t hi) { /* xorshift32, uniform enough for test data */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return lo + (int32_t)(g_rng % (uint32_t)(hi - lo + 1));
}

static mcu_tensor_t mk(mcu_dtype_t dt, int rank, const int32_t *shape) {
  mcu_tensor_t t;
  memset(&t, 0, sizeof t);
  t.name = "";
  t.dtype = dt;
  t.rank = rank;
  for (int i = 0; i < rank; ++i) t.shape[i] = shape[i];
  t.quant_axis = -1;
  return t;
}

static void quant(mcu_tensor_t *t, int n, double *scales, int32_t *zps, int axis) {
  t->num_scales = n;
  t->scales = scales;
  t->zero_points = zps;
  t->quant_axis = n > 1 ? axis : -1;
}

static mcu_layer_t mk_layer(mcu_op_t op) {
  mcu_layer_t l;
  memset(&l, 0, sizeof l);
  l.name = "";
  l.op = op;
  l.stride[0] = l.stride[1] = 1;
  l.dilation[0] = l.dilation[1] = 1;
  l.groups = 1;
  l.act_min = INT32_MIN;
  l.act_max = INT32_MAX;
  l.fact_min = -INFINITY;
  l.fact_max = INFINITY;
  return l;
}

static int32_t get_int(mcu_dtype_t dt, const void *p, int64_t i) {
  if (dt == MCU_DT_I8) return ((const int8_t *)p)[i];
  if (dt == MCU_DT_U8) return ((const uint8_t *)p)[i];
  int32_t v;
  memcpy(&v, (const uint8_t *)p + 4 * i, 4);
  return v;
}

static void put_int(mcu_dtype_t dt, void *p, int64_t i, int32_t v) {
  if (dt == MCU_DT_I8) ((int8_t *)p)[i] = (int8_t)v;
  else if (dt == MCU_DT_U8) ((uint8_t *)p)[i] = (uint8_t)v;
  else memcpy((uint8_t *)p + 4 * i, &v, 4);
}

static void fill(mcu_dtype_t dt, void *p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) put_int(dt, p, i, dt == MCU_DT_U8 ? rnd(0, 255) : rnd(-128, 127));
}

/* round(acc / 2^k) half to even, integers only. */
static int64_t shift_rne(int64_t acc, int k) {
  const int64_t d = (int64_t)1 << k;
  int64_t q = acc / d, r = acc % d;
  if (r < 0) { /* floor division */
    q -= 1;
    r += d;
  }
  if (2 * r > d || (2 * r == d && (q % 2 != 0))) ++q;
  return q;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A requantization shift that keeps most outputs of a K-term random dot product inside 8 bits: the sum of K
 * products of values up to ~128 in magnitude has a spread near 74 * 74 * sqrt(K) ~ 2^(12.4 + log2(K) / 2). */
static int base_shift(int64_t k) {
  int lg = 0;
  while (((int64_t)1 << lg) < k) ++lg;
  return 7 + lg / 2;
}

static int32_t type_min(mcu_dtype_t dt) { return dt == MCU_DT_U8 ? 0 : -128; }
static int32_t type_max(mcu_dtype_t dt) { return dt == MCU_DT_U8 ? 255 : 127; }

/* ---- scalar numerics ---- */

static void test_requantize(void) {
  /* Ties go to even: 0.5 -> 0, -0.5 -> 0, 1.5 -> 2, -1.5 -> -2, 2.5 -> 2, -2.5 -> -2, 3.5 -> 4. */
  CHECK(mcu_ref_requantize(1, 0.5f, 0, -128, 127) == 0, "0.5 -> 0");
  CHECK(mcu_ref_requantize(-1, 0.5f, 0, -128, 127) == 0, "-0.5 -> 0");
  CHECK(mcu_ref_requantize(3, 0.5f, 0, -128, 127) == 2, "1.5 -> 2");
  CHECK(mcu_ref_requantize(-3, 0.5f, 0, -128, 127) == -2, "-1.5 -> -2");
  CHECK(mcu_ref_requantize(5, 0.5f, 0, -128, 127) == 2, "2.5 -> 2");
  CHECK(mcu_ref_requantize(-5, 0.5f, 0, -128, 127) == -2, "-2.5 -> -2");
  CHECK(mcu_ref_requantize(7, 0.5f, 0, -128, 127) == 4, "3.5 -> 4");
  CHECK(mcu_ref_requantize(5, 0.5f, 10, -128, 127) == 12, "2.5 + zp 10 -> 12");
  CHECK(mcu_ref_requantize(3, 0.25f, 0, -128, 127) == 1, "0.75 -> 1");
  CHECK(mcu_ref_requantize(-3, 0.25f, 0, -128, 127) == -1, "-0.75 -> -1");
  /* Saturation. */
  CHECK(mcu_ref_requantize(1000, 1.0f, 0, -128, 127) == 127, "i8 saturates high");
  CHECK(mcu_ref_requantize(-1000, 1.0f, 0, -128, 127) == -128, "i8 saturates low");
  CHECK(mcu_ref_requantize(-200, 1.0f, -5, -128, 127) == -128, "i8 saturates low with zp");
  CHECK(mcu_ref_requantize(300, 1.0f, 0, 0, 255) == 255, "u8 saturates high");
  CHECK(mcu_ref_requantize(-5, 1.0f, 3, 0, 255) == 0, "u8 saturates low");
  CHECK(mcu_ref_requantize(INT32_MAX, 1.0f, 0, -128, 127) == 127, "INT32_MAX");
  CHECK(mcu_ref_requantize(INT32_MIN, 1.0f, 0, -128, 127) == -128, "INT32_MIN");
  /* NaN becomes the lower bound; inf saturates. */
  CHECK(mcu_ref_requantize(7, NAN, 0, -128, 127) == -128, "NaN -> act_min");
  CHECK(mcu_ref_requantize(7, NAN, 5, 0, 127) == 0, "NaN -> act_min (relu)");
  CHECK(mcu_ref_requantize(0, INFINITY, 0, -128, 127) == -128, "0 * inf = NaN -> act_min");
  CHECK(mcu_ref_requantize(1, INFINITY, 0, -128, 127) == 127, "inf -> act_max");
  CHECK(mcu_ref_requantize(-1, INFINITY, 0, -128, 127) == -128, "-inf -> act_min");
  /* Fused activation on stored values: relu6-like range [-128, -68] with zp -128. */
  CHECK(mcu_ref_requantize(100, 1.0f, -128, -128, -68) == -68, "act_max clamp");
  CHECK(mcu_ref_requantize(-5, 1.0f, -128, -128, -68) == -128, "act_min clamp");
  CHECK(mcu_ref_requantize(30, 1.0f, -128, -128, -68) == -98, "inside act range");
  CHECK(mcu_ref_requantize(-30, 1.0f, -10, -10, 127) == -10, "relu with zp -10");

  /* Every tie k + 0.5 for |acc| < 2^24 (covers the magic-number path below 2^22 and the exact path above). */
  int64_t bad = 0;
  for (int64_t k = -(1 << 23); k < (1 << 23); ++k) {
    int32_t acc = (int32_t)(2 * k + 1);
    int64_t want = k + (k % 2 != 0 ? 1 : 0);
    if (mcu_ref_requantize(acc, 0.5f, 0, INT32_MIN, INT32_MAX) != want) ++bad;
  }
  CHECK(bad == 0, "all ties below 2^23 round to even");
  bad = 0;
  for (int64_t k = -(1 << 22); k < (1 << 22); ++k) { /* k + 0.25 -> k, k + 0.75 -> k + 1 */
    if (mcu_ref_requantize((int32_t)(4 * k + 1), 0.25f, 0, INT32_MIN, INT32_MAX) != k) ++bad;
    if (mcu_ref_requantize((int32_t)(4 * k + 3), 0.25f, 0, INT32_MIN, INT32_MAX) != k + 1) ++bad;
  }
  CHECK(bad == 0, "non-ties round to nearest");
  /* int32 -> float32 rounds to nearest even before the multiply: 2^24 + 1 -> 2^24, 2^24 + 3 -> 2^24 + 4. */
  CHECK(mcu_ref_requantize((1 << 24) + 1, 1.0f, 0, INT32_MIN, INT32_MAX) == (1 << 24), "acc to float RNE");
  CHECK(mcu_ref_requantize((1 << 24) + 3, 1.0f, 0, INT32_MIN, INT32_MAX) == (1 << 24) + 4, "acc to float RNE 2");
  CHECK(mcu_ref_round_half_even(4194304.5f) == 4194304, "2^22 + 0.5 -> 2^22");
  CHECK(mcu_ref_round_half_even(4194305.5f) == 4194306, "2^22 + 1.5 -> 2^22 + 2");
  CHECK(mcu_ref_round_half_even(-4194305.5f) == -4194306, "-(2^22 + 1.5)");
  CHECK(mcu_ref_round_half_even(-0.5f) == 0 && mcu_ref_round_half_even(-0.0f) == 0, "-0.5, -0.0 -> 0");

  /* The multiplier is float32 steps: 0.1f * 0.2f / 0.3f = 0x3d888889 (in double it would be 0x3d888888). */
  float m = mcu_ref_requant_scale(0.1, 0.2, 0.3);
  uint32_t bits;
  memcpy(&bits, &m, 4);
  CHECK(bits == 0x3d888889u, "requant scale in float32 steps");
  CHECK(mcu_ref_requant_scale(0.5, 0.25, 0.125) == 1.0f, "requant scale 1");

  /* Quantize / dequantize of single values (ONNX QuantizeLinear / DequantizeLinear). */
  CHECK(mcu_ref_quantize_value(2.5f, 1.0f, 0, -128, 127) == 2, "q 2.5 -> 2");
  CHECK(mcu_ref_quantize_value(-2.5f, 1.0f, 0, -128, 127) == -2, "q -2.5 -> -2");
  CHECK(mcu_ref_quantize_value(3.0f, 2.0f, 128, 0, 255) == 130, "q 1.5 + 128 -> 130");
  CHECK(mcu_ref_quantize_value(1000.0f, 2.0f, 128, 0, 255) == 255, "q saturate high");
  CHECK(mcu_ref_quantize_value(-254.0f, 2.0f, 128, 0, 255) == 1, "q -127 + 128 -> 1");
  CHECK(mcu_ref_quantize_value(-1000.0f, 2.0f, 128, 0, 255) == 0, "q saturate low");
  CHECK(mcu_ref_quantize_value(NAN, 1.0f, 3, -128, 127) == -128, "q NaN -> min");
  CHECK(mcu_ref_quantize_value(1.0f, 0.0f, 3, -128, 127) == 127, "q x / 0 -> max");
  CHECK(mcu_ref_quantize_value(0.0f, 0.0f, 3, -128, 127) == -128, "q 0 / 0 -> min");
  CHECK(mcu_ref_quantize_value(0.3f, 0.1f, 0, -128, 127) == 3, "q 0.3f / 0.1f -> 3");
  CHECK(mcu_ref_dequantize_value(0, 2.0f, 128) == -256.0f, "dq 0 - 128");
  CHECK(mcu_ref_dequantize_value(-128, 0.5f, 127) == -127.5f, "dq i8 extremes");
}

/* ---- conv2d ---- */

typedef struct conv_case {
  const char *what;
  mcu_dtype_t xt, wt, yt;
  int32_t n, h, w, c, o, kh, kw, groups;
  int32_t stride[2], pad[4], dil[2];
  int32_t zx, zy;
  int per_channel;
  int32_t act_min, act_max;
} conv_case_t;

/* Runs one convolution with random data and checks it against straight loops. Scales: sx = 1/2,
 * sw[o] = 2^-(e_o + 3), sy = 1/16, so M[o] = 2^-e_o: requantization is an exact rounding shift. Also checks that
 * the data exercises the rounding (fewer than a third of the outputs would saturate without the fused range). */
static void check_conv(const conv_case_t *cc) {
  const int32_t cg = cc->c / cc->groups;
  const int32_t oh = (cc->h + cc->pad[0] + cc->pad[2] - cc->dil[0] * (cc->kh - 1) - 1) / cc->stride[0] + 1;
  const int32_t ow = (cc->w + cc->pad[1] + cc->pad[3] - cc->dil[1] * (cc->kw - 1) - 1) / cc->stride[1] + 1;
  const int32_t xs[4] = {cc->n, cc->h, cc->w, cc->c}, ws[4] = {cc->o, cc->kh, cc->kw, cg}, bs[1] = {cc->o};
  const int32_t ys[4] = {cc->n, oh, ow, cc->o};
  mcu_tensor_t x = mk(cc->xt, 4, xs), w = mk(cc->wt, 4, ws), b = mk(MCU_DT_I32, 1, bs), y = mk(cc->yt, 4, ys);
  double sx = 0.5, sy = 1.0 / 16, sw[64];
  int32_t zx = cc->zx, zy = cc->zy, zw[64], shift[64];
  for (int o = 0; o < cc->o; ++o) {
    shift[o] = base_shift((int64_t)cc->kh * cc->kw * cg) + (cc->per_channel ? rnd(-1, 1) : 0);
    sw[o] = ldexp(1.0, -(shift[o] + 3));
    zw[o] = cc->per_channel ? rnd(-3, 3) + (cc->wt == MCU_DT_U8 ? 128 : 0) : (cc->wt == MCU_DT_U8 ? 120 : 0);
  }
  quant(&x, 1, &sx, &zx, -1);
  quant(&w, cc->per_channel ? cc->o : 1, sw, zw, 0);
  quant(&y, 1, &sy, &zy, -1);
  const int64_t nx = (int64_t)cc->n * cc->h * cc->w * cc->c, nw = (int64_t)cc->o * cc->kh * cc->kw * cg;
  const int64_t ny = (int64_t)cc->n * oh * ow * cc->o;
  uint8_t *xd = malloc(nx), *wd = malloc(nw), *yd = malloc(ny);
  int32_t *bd = malloc(4 * cc->o);
  fill(cc->xt, xd, nx);
  fill(cc->wt, wd, nw);
  for (int o = 0; o < cc->o; ++o) bd[o] = rnd(-2000, 2000);
  mcu_layer_t l = mk_layer(MCU_OP_CONV2D);
  memcpy(l.stride, cc->stride, sizeof l.stride);
  memcpy(l.pad, cc->pad, sizeof l.pad);
  memcpy(l.dilation, cc->dil, sizeof l.dilation);
  l.groups = cc->groups;
  l.act_min = cc->act_min;
  l.act_max = cc->act_max;
  int rc = mcu_ref_conv2d(&l, &x, xd, &w, wd, &b, bd, &y, yd);
  CHECK(rc == 0, "%s", cc->what);
  int64_t bad = 0, saturated = 0;
  const int64_t lo = cc->act_min > type_min(cc->yt) ? cc->act_min : type_min(cc->yt);
  const int64_t hi = cc->act_max < type_max(cc->yt) ? cc->act_max : type_max(cc->yt);
  for (int n = 0; n < cc->n && rc == 0; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < cc->o; ++o) {
          const int g = o / (cc->o / cc->groups);
          int64_t acc = bd[o];
          for (int ky = 0; ky < cc->kh; ++ky)
            for (int kx = 0; kx < cc->kw; ++kx)
              for (int ci = 0; ci < cg; ++ci) {
                const int iy = oy * cc->stride[0] + ky * cc->dil[0] - cc->pad[0];
                const int ix = ox * cc->stride[1] + kx * cc->dil[1] - cc->pad[1];
                const int c = g * cg + ci;
                const int inside = iy >= 0 && iy < cc->h && ix >= 0 && ix < cc->w;
                const int64_t xv = inside ? get_int(cc->xt, xd, ((n * cc->h + iy) * cc->w + ix) * cc->c + c) : zx;
                const int64_t wv = get_int(cc->wt, wd, ((o * cc->kh + ky) * cc->kw + kx) * cg + ci);
                acc += (xv - zx) * (wv - zw[o]);
              }
          const int64_t raw = shift_rne(acc, shift[o]) + zy, want = clamp64(raw, lo, hi);
          if (get_int(cc->yt, yd, ((n * oh + oy) * ow + ox) * cc->o + o) != want) ++bad;
          if (raw <= type_min(cc->yt) || raw >= type_max(cc->yt)) ++saturated;
        }
  CHECK(bad == 0, "%s", cc->what);
  if (saturated * 3 >= ny) printf("%s: %lld of %lld saturated\n", cc->what, (long long)saturated, (long long)ny);
  CHECK(saturated * 3 < ny, "test data mostly inside the output range");
  free(xd);
  free(wd);
  free(yd);
  free(bd);
}

static void test_conv2d(void) {
  /* 1x1 by hand: x = [[1,2,3], [-1,-2,-3]] (one row of two pixels), w = [[1,1,1], [1,-1,2]], bias [4, 0], M = 1. */
  {
    const int32_t xs[4] = {1, 1, 2, 3}, ws[4] = {2, 1, 1, 3}, bs[1] = {2}, ys[4] = {1, 1, 2, 2};
    mcu_tensor_t x = mk(MCU_DT_I8, 4, xs), w = mk(MCU_DT_I8, 4, ws), b = mk(MCU_DT_I32, 1, bs);
    mcu_tensor_t y = mk(MCU_DT_I8, 4, ys);
    double one = 1.0;
    int32_t zero = 0;
    quant(&x, 1, &one, &zero, -1);
    quant(&w, 1, &one, &zero, -1);
    quant(&y, 1, &one, &zero, -1);
    const int8_t xd[6] = {1, 2, 3, -1, -2, -3}, wd[6] = {1, 1, 1, 1, -1, 2};
    const int32_t bd[2] = {4, 0};
    int8_t yd[4] = {0};
    mcu_layer_t l = mk_layer(MCU_OP_CONV2D);
    l.act_min = -128;
    l.act_max = 127;
    CHECK(mcu_ref_conv2d(&l, &x, xd, &w, wd, &b, bd, &y, yd) == 0, "1x1 runs");
    CHECK(yd[0] == 10 && yd[1] == 5 && yd[2] == -2 && yd[3] == -5, "1x1 by hand");
    /* Same with zx = 1, zy = -3 and M = 1/2: x - 1 = [0,1,2], [-2,-3,-4]; pixel 0: o0 = 4 + 3 = 7 -> 3.5 -> 4,
     * o1 = 0 - 1 + 4 = 3 -> 1.5 -> 2; pixel 1: o0 = 4 - 9 = -5 -> -2.5 -> -2, o1 = -2 + 3 - 8 = -7 -> -3.5 -> -4;
     * plus zy = -3. */
    double half_s = 0.5;
    int32_t zx = 1, zy = -3;
    quant(&x, 1, &half_s, &zx, -1);
    quant(&y, 1, &one, &zy, -1);
    quant(&w, 1, &one, &zero, -1);
    CHECK(mcu_ref_conv2d(&l, &x, xd, &w, wd, &b, bd, &y, yd) == 0, "1x1 zp runs");
    CHECK(yd[0] == 1 && yd[1] == -1 && yd[2] == -5 && yd[3] == -7, "1x1 with zero points by hand");
    /* No bias. */
    CHECK(mcu_ref_conv2d(&l, &x, xd, &w, wd, NULL, NULL, &y, yd) == 0, "1x1 no bias runs");
    CHECK(yd[0] == -1 && yd[1] == -1 && yd[2] == -7 && yd[3] == -7, "1x1 no bias by hand");
    /* Unsupported or inconsistent operands. */
    mcu_tensor_t xf = x;
    xf.dtype = MCU_DT_F32;
    CHECK(mcu_ref_conv2d(&l, &xf, xd, &w, wd, &b, bd, &y, yd) == -1, "f32 input rejected");
    mcu_tensor_t ybad = y;
    ybad.shape[2] = 3;
    CHECK(mcu_ref_conv2d(&l, &x, xd, &w, wd, &b, bd, &ybad, yd) == -1, "wrong output shape rejected");
    mcu_layer_t lg = l;
    lg.groups = 2;
    CHECK(mcu_ref_conv2d(&lg, &x, xd, &w, wd, &b, bd, &y, yd) == -1, "C %% groups != 0 rejected");
  }
  /* 3x3, pad 1, stride 2 on 5x5 ones by hand: the receptive fields hold 4, 6 or 9 valid positions. */
  {
    const int32_t xs[4] = {1, 5, 5, 1}, ws[4] = {1, 3, 3, 1}, ys[4] = {1, 3, 3, 1};
    mcu_tensor_t x = mk(MCU_DT_I8, 4, xs), w = mk(MCU_DT_I8, 4, ws), y = mk(MCU_DT_I8, 4, ys);
    double one = 1.0;
    int32_t zero = 0, zx = -1;
    quant(&x, 1, &one, &zx, -1); /* x = 0 stored, x - zx = 1; padding holds zx and adds nothing */
    quant(&w, 1, &one, &zero, -1);
    quant(&y, 1, &one, &zero, -1);
    int8_t xd[25] = {0}, wd[9], yd[9] = {0};
    for (int i = 0; i < 9; ++i) wd[i] = 1;
    mcu_layer_t l = mk_layer(MCU_OP_CONV2D);
    l.stride[0] = l.stride[1] = 2;
    l.pad[0] = l.pad[1] = l.pad[2] = l.pad[3] = 1;
    CHECK(mcu_ref_conv2d(&l, &x, xd, &w, wd, NULL, NULL, &y, yd) == 0, "3x3 s2 p1 runs");
    const int8_t want[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
    CHECK(memcmp(yd, want, 9) == 0, "3x3 s2 p1 by hand");
  }
  const conv_case_t cases[] = {
      {"1x1 random", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 2, 3, 4, 5, 6, 1, 1, 1, {1, 1}, {0, 0, 0, 0}, {1, 1}, 3, -7, 0,
       INT32_MIN, INT32_MAX},
      {"3x3 pad 1 stride 2", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 1, 7, 6, 3, 4, 3, 3, 1, {2, 2}, {1, 1, 1, 1}, {1, 1}, -2,
       5, 0, INT32_MIN, INT32_MAX},
      {"depthwise groups == C", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 1, 6, 5, 4, 4, 3, 3, 4, {1, 1}, {1, 1, 1, 1},
       {1, 1}, 4, 0, 1, INT32_MIN, INT32_MAX},
      {"depthwise multiplier 2, stride 2", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 1, 8, 8, 3, 6, 3, 3, 3, {2, 2},
       {0, 0, 1, 1}, {1, 1}, 0, 0, 1, INT32_MIN, INT32_MAX},
      {"dilation 2, asymmetric pads", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 1, 9, 8, 2, 3, 3, 3, 1, {1, 2}, {2, 1, 0, 2},
       {2, 2}, 1, -1, 0, INT32_MIN, INT32_MAX},
      {"per-channel weights", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 2, 5, 5, 3, 5, 3, 2, 1, {1, 1}, {1, 0, 1, 1}, {1, 1},
       -128, 10, 1, INT32_MIN, INT32_MAX},
      {"uint8 grouped", MCU_DT_U8, MCU_DT_U8, MCU_DT_U8, 1, 6, 6, 4, 6, 3, 3, 2, {1, 1}, {1, 1, 1, 1}, {1, 1}, 128,
       128, 0, INT32_MIN, INT32_MAX},
      {"uint8 per-channel zero points", MCU_DT_U8, MCU_DT_U8, MCU_DT_U8, 1, 5, 4, 3, 4, 2, 2, 1, {1, 1},
       {0, 0, 0, 0}, {1, 1}, 110, 128, 1, INT32_MIN, INT32_MAX},
      {"u8 input, i8 weights, i8 output", MCU_DT_U8, MCU_DT_I8, MCU_DT_I8, 1, 4, 4, 3, 2, 3, 3, 1, {1, 1},
       {1, 1, 1, 1}, {1, 1}, 100, -20, 0, INT32_MIN, INT32_MAX},
      {"fused relu6-like range", MCU_DT_I8, MCU_DT_I8, MCU_DT_I8, 1, 5, 5, 4, 4, 3, 3, 1, {1, 1}, {1, 1, 1, 1},
       {1, 1}, 0, -100, 1, -100, -40},
      {"fused act on u8", MCU_DT_I8, MCU_DT_I8, MCU_DT_U8, 1, 4, 5, 2, 3, 1, 3, 1, {1, 1}, {0, 1, 0, 1}, {1, 1}, 0,
       20, 0, 20, 200},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) check_conv(&cases[i]);
}

/* ---- matmul ---- */

/* Random a x b with the given shapes against straight loops; sa = 1/2, sb[j] = 2^-(3 + e_j), sy = 1/16 so that
 * M[j] = 2^-e_j; checks that fewer than a third of the outputs saturate. */
static void check_matmul(const char *what, mcu_dtype_t at, int ra, const int32_t *as, mcu_dtype_t bt, int rb,
                         const int32_t *bs, mcu_dtype_t yt, int per_col, int32_t act_min, int32_t act_max) {
  const int ry = ra > rb ? ra : rb, nb = ry - 2;
  const int32_t M = as[ra - 2], K = as[ra - 1], N = bs[rb - 1];
  int32_t ys[MCU_MAX_RANK], abd[MCU_MAX_RANK], bbd[MCU_MAX_RANK];
  for (int d = 0; d < nb; ++d) {
    abd[d] = d - (ry - ra) >= 0 ? as[d - (ry - ra)] : 1;
    bbd[d] = d - (ry - rb) >= 0 ? bs[d - (ry - rb)] : 1;
    ys[d] = abd[d] > bbd[d] ? abd[d] : bbd[d];
  }
  ys[ry - 2] = M;
  ys[ry - 1] = N;
  mcu_tensor_t a = mk(at, ra, as), b = mk(bt, rb, bs), y = mk(yt, ry, ys);
  double sa = 0.5, sy = 1.0 / 16, sb[64];
  int32_t za = at == MCU_DT_U8 ? 131 : -3, zy = yt == MCU_DT_U8 ? 120 : 2, zb[64], shift[64];
  for (int j = 0; j < N; ++j) {
    shift[j] = base_shift(K) + (per_col ? rnd(-1, 1) : 0);
    sb[j] = ldexp(1.0, -(shift[j] + 3));
    zb[j] = (per_col ? rnd(-4, 4) : 1) + (bt == MCU_DT_U8 ? 128 : 0);
  }
  quant(&a, 1, &sa, &za, -1);
  quant(&b, per_col ? N : 1, sb, zb, rb - 1);
  quant(&y, 1, &sy, &zy, -1);
  const int64_t na = mcu_tensor_elements(&a), nbe = mcu_tensor_elements(&b), ny = mcu_tensor_elements(&y);
  uint8_t *ad = malloc(na), *bd = malloc(nbe), *yd = malloc(ny);
  fill(at, ad, na);
  fill(bt, bd, nbe);
  mcu_layer_t l = mk_layer(MCU_OP_MATMUL);
  l.act_min = act_min;
  l.act_max = act_max;
  int rc = mcu_ref_matmul(&l, &a, ad, &b, bd, &y, yd);
  CHECK(rc == 0, "%s", what);
  const int64_t lo = act_min > type_min(yt) ? act_min : type_min(yt);
  const int64_t hi = act_max < type_max(yt) ? act_max : type_max(yt);
  int64_t batches = 1, bad = 0, saturated = 0;
  for (int d = 0; d < nb; ++d) batches *= ys[d];
  for (int64_t t = 0; t < batches && rc == 0; ++t) {
    /* Decompose t into the output batch index, then into a's and b's matrix numbers (broadcast dims -> 0). */
    int64_t rem = t, amat = 0, bmat = 0, amul = 1, bmul = 1;
    for (int d = nb - 1; d >= 0; --d) {
      const int64_t i = rem % ys[d];
      rem /= ys[d];
      amat += (abd[d] == 1 ? 0 : i) * amul;
      bmat += (bbd[d] == 1 ? 0 : i) * bmul;
      amul *= abd[d];
      bmul *= bbd[d];
    }
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        int64_t acc = 0;
        for (int k = 0; k < K; ++k)
          acc += (int64_t)(get_int(at, ad, (amat * M + i) * K + k) - za) *
                 (get_int(bt, bd, (bmat * K + k) * N + j) - zb[j]);
        const int64_t raw = shift_rne(acc, shift[j]) + zy, want = clamp64(raw, lo, hi);
        if (get_int(yt, yd, (t * M + i) * N + j) != want) ++bad;
        if (raw <= type_min(yt) || raw >= type_max(yt)) ++saturated;
      }
  }
  CHECK(bad == 0, "%s", what);
  if (saturated * 3 >= ny) printf("%s: %lld of %lld saturated\n", what, (long long)saturated, (long long)ny);
  CHECK(saturated * 3 < ny, "test data mostly inside the output range");
  free(ad);
  free(bd);
  free(yd);
}

static void test_matmul(void) {
  /* 2-D by hand: [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]], M = 1. */
  {
    const int32_t as[2] = {2, 3}, bs[2] = {3, 2}, ys[2] = {2, 2};
    mcu_tensor_t a = mk(MCU_DT_I8, 2, as), b = mk(MCU_DT_I8, 2, bs), y = mk(MCU_DT_I8, 2, ys);
    double one = 1.0;
    int32_t zero = 0;
    quant(&a, 1, &one, &zero, -1);
    quant(&b, 1, &one, &zero, -1);
    quant(&y, 1, &one, &zero, -1);
    const int8_t ad[6] = {1, 2, 3, 4, 5, 6}, bd[6] = {1, 0, 0, 1, 1, 1};
    int8_t yd[4] = {0};
    mcu_layer_t l = mk_layer(MCU_OP_MATMUL);
    CHECK(mcu_ref_matmul(&l, &a, ad, &b, bd, &y, yd) == 0, "2-D runs");
    CHECK(yd[0] == 4 && yd[1] == 5 && yd[2] == 10 && yd[3] == 11, "2-D by hand");
    /* Per-column b: scales {1, 1/4}, zero points {0, 1}: column 1 = ([-1,0,0] . a) / 4 = [-1/4, -1] -> [0, -1]. */
    double sbc[2] = {1.0, 0.25};
    int32_t zbc[2] = {0, 1};
    quant(&b, 2, sbc, zbc, 1);
    CHECK(mcu_ref_matmul(&l, &a, ad, &b, bd, &y, yd) == 0, "per-column runs");
    CHECK(yd[0] == 4 && yd[1] == 0 && yd[2] == 10 && yd[3] == -1, "per-column b by hand");
    quant(&b, 2, sbc, zbc, 0);
    CHECK(mcu_ref_matmul(&l, &a, ad, &b, bd, &y, yd) == -1, "per-axis b on axis 0 rejected");
    mcu_tensor_t bb = b;
    bb.dtype = MCU_DT_F32;
    CHECK(mcu_ref_matmul(&l, &a, ad, &bb, bd, &y, yd) == -1, "f32 rejected");
  }
  const int32_t a2[2] = {5, 7}, b2[2] = {7, 4};
  check_matmul("2-D random", MCU_DT_I8, 2, a2, MCU_DT_I8, 2, b2, MCU_DT_I8, 0, INT32_MIN, INT32_MAX);
  const int32_t a3[3] = {3, 4, 6}, b3r2[2] = {6, 5};
  check_matmul("3-D x 2-D broadcast", MCU_DT_I8, 3, a3, MCU_DT_I8, 2, b3r2, MCU_DT_I8, 0, INT32_MIN, INT32_MAX);
  const int32_t a1[3] = {1, 4, 6}, b3[3] = {3, 6, 5};
  check_matmul("[1,M,K] x [3,K,N]", MCU_DT_U8, 3, a1, MCU_DT_U8, 3, b3, MCU_DT_U8, 0, INT32_MIN, INT32_MAX);
  const int32_t a4[4] = {2, 1, 3, 4}, b4[3] = {3, 4, 2};
  check_matmul("[2,1,M,K] x [3,K,N]", MCU_DT_I8, 4, a4, MCU_DT_I8, 3, b4, MCU_DT_I8, 1, INT32_MIN, INT32_MAX);
  const int32_t a5[2] = {4, 9}, b5[4] = {2, 1, 9, 3};
  check_matmul("2-D x 4-D per-column u8/i8", MCU_DT_U8, 2, a5, MCU_DT_I8, 4, b5, MCU_DT_U8, 1, INT32_MIN, INT32_MAX);
  check_matmul("per-column with fused range", MCU_DT_I8, 3, a3, MCU_DT_I8, 2, b3r2, MCU_DT_I8, 1, -10, 40);
  {
    const int32_t as[3] = {2, 2, 3}, bs[3] = {3, 3, 2}, ys[3] = {3, 2, 2};
    mcu_tensor_t a = mk(MCU_DT_I8, 3, as), b = mk(MCU_DT_I8, 3, bs), y = mk(MCU_DT_I8, 3, ys);
    double one = 1.0;
    int32_t zero = 0;
    quant(&a, 1, &one, &zero, -1);
    quant(&b, 1, &one, &zero, -1);
    quant(&y, 1, &one, &zero, -1);
    int8_t buf[32] = {0}, yd[12];
    mcu_layer_t l = mk_layer(MCU_OP_MATMUL);
    CHECK(mcu_ref_matmul(&l, &a, buf, &b, buf, &y, yd) == -1, "batch 2 vs 3 rejected");
  }
}

/* ---- quantize, dequantize, clamp, transpose, copy ---- */

static void test_elementwise(void) {
  {
    const int32_t s[2] = {2, 3};
    mcu_tensor_t x = mk(MCU_DT_F32, 2, s), y = mk(MCU_DT_I8, 2, s);
    double sc = 0.5;
    int32_t z = -1;
    quant(&y, 1, &sc, &z, -1);
    const float xd[6] = {0.25f, 0.75f, -0.25f, 100.0f, -1.0f, NAN};
    int8_t yd[6];
    CHECK(mcu_ref_quantize(&x, xd, &y, yd) == 0, "quantize runs");
    /* x / 0.5 = 0.5, 1.5, -0.5, 200, -2, NaN -> 0, 2, 0, 128 (sat), -2, min; + zp -1 */
    CHECK(yd[0] == -1 && yd[1] == 1 && yd[2] == -1 && yd[3] == 127 && yd[4] == -3 && yd[5] == -128,
          "quantize per tensor by hand");
    double sa[3] = {1.0, 0.5, 0.25};
    int32_t za[3] = {0, 1, 2};
    quant(&y, 3, sa, za, 1);
    /* column j divides by sa[j]: 0.25, 1.5, -1 | 100, -2, NaN -> 0 + 0, 2 + 1, -1 + 2 | 100 + 0, -2 + 1, min */
    CHECK(mcu_ref_quantize(&x, xd, &y, yd) == 0, "quantize per axis runs");
    CHECK(yd[0] == 0 && yd[1] == 3 && yd[2] == 1 && yd[3] == 100 && yd[4] == -1 && yd[5] == -128,
          "quantize per axis by hand");
    /* Dequantize back per axis: (q - z) * s = 0, 2 * 0.5, -1 * 0.25 | 100, -2 * 0.5, -130 * 0.25. */
    float fd[6];
    mcu_tensor_t q = mk(MCU_DT_I8, 2, s), f = mk(MCU_DT_F32, 2, s);
    quant(&q, 3, sa, za, 1);
    CHECK(mcu_ref_dequantize(&q, yd, &f, fd) == 0, "dequantize per axis runs");
    CHECK(fd[0] == 0.0f && fd[1] == 1.0f && fd[2] == -0.25f && fd[3] == 100.0f && fd[4] == -1.0f &&
              fd[5] == -32.5f,
          "dequantize per axis by hand");
    mcu_tensor_t qu = mk(MCU_DT_U8, 2, s);
    double s2 = 2.0;
    int32_t z128 = 128;
    quant(&qu, 1, &s2, &z128, -1);
    const uint8_t ud[6] = {0, 3, 128, 255, 127, 129};
    CHECK(mcu_ref_dequantize(&qu, ud, &f, fd) == 0, "dequantize u8 runs");
    CHECK(fd[0] == -256.0f && fd[1] == -250.0f && fd[2] == 0.0f && fd[3] == 254.0f && fd[4] == -2.0f &&
              fd[5] == 2.0f,
          "dequantize per tensor by hand");
    CHECK(mcu_ref_quantize(&x, xd, &x, fd) == -1, "quantize to f32 rejected");
  }
  /* Clamp: integers on raw values, f32 with NaN passing through. */
  {
    const int32_t s[1] = {5};
    mcu_tensor_t x = mk(MCU_DT_I8, 1, s);
    const int8_t xd[5] = {-128, -5, 0, 6, 127};
    int8_t yd[5];
    mcu_layer_t l = mk_layer(MCU_OP_CLAMP);
    l.act_min = -4;
    l.act_max = 6;
    CHECK(mcu_ref_clamp(&l, &x, xd, &x, yd) == 0, "clamp i8 runs");
    CHECK(yd[0] == -4 && yd[1] == -4 && yd[2] == 0 && yd[3] == 6 && yd[4] == 6, "clamp i8 by hand");
    mcu_tensor_t xi = mk(MCU_DT_I32, 1, s);
    const int32_t id[5] = {INT32_MIN, -70000, 5, 70000, INT32_MAX};
    int32_t iy[5];
    l.act_min = -65536;
    l.act_max = 65535;
    CHECK(mcu_ref_clamp(&l, &xi, id, &xi, iy) == 0, "clamp i32 runs");
    CHECK(iy[0] == -65536 && iy[1] == -65536 && iy[2] == 5 && iy[3] == 65535 && iy[4] == 65535, "clamp i32");
    mcu_tensor_t xf = mk(MCU_DT_F32, 1, s);
    const float fd[5] = {-1.0f, NAN, 3.0f, 7.5f, -0.0f};
    float fy[5];
    l.fact_min = 0.0f;
    l.fact_max = 6.0f;
    CHECK(mcu_ref_clamp(&l, &xf, fd, &xf, fy) == 0, "clamp f32 runs");
    CHECK(fy[0] == 0.0f && isnan(fy[1]) && fy[2] == 3.0f && fy[3] == 6.0f && signbit(fy[4]), "clamp f32");
    l.fact_min = 7.0f;
    CHECK(mcu_ref_clamp(&l, &xf, fd, &xf, fy) == -1, "clamp f32 empty range rejected");
  }
  /* Transpose: 2x3 by hand, then rank 4 and rank 6 against an index formula. */
  {
    const int32_t s[2] = {2, 3}, t[2] = {3, 2}, perm[2] = {1, 0};
    mcu_tensor_t x = mk(MCU_DT_I8, 2, s), y = mk(MCU_DT_I8, 2, t);
    const int8_t xd[6] = {1, 2, 3, 4, 5, 6};
    int8_t yd[6];
    CHECK(mcu_ref_transpose(perm, &x, xd, &y, yd) == 0, "transpose 2x3 runs");
    const int8_t want[6] = {1, 4, 2, 5, 3, 6};
    CHECK(memcmp(yd, want, 6) == 0, "transpose 2x3 by hand");
    const int32_t bad_perm[2] = {0, 0};
    CHECK(mcu_ref_transpose(bad_perm, &x, xd, &y, yd) == -1, "non-permutation rejected");
  }
  {
    /* NHWC [2,3,4,5] -> NCHW [2,5,3,4] on i32: y[n,c,h,w] = x[n,h,w,c]. */
    const int32_t s[4] = {2, 3, 4, 5}, t[4] = {2, 5, 3, 4}, perm[4] = {0, 3, 1, 2};
    mcu_tensor_t x = mk(MCU_DT_I32, 4, s), y = mk(MCU_DT_I32, 4, t);
    int32_t xd[120], yd[120];
    for (int i = 0; i < 120; ++i) xd[i] = i * 1000003;
    CHECK(mcu_ref_transpose(perm, &x, xd, &y, yd) == 0, "transpose rank 4 runs");
    int bad = 0;
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 5; ++c)
        for (int h = 0; h < 3; ++h)
          for (int w = 0; w < 4; ++w)
            if (yd[((n * 5 + c) * 3 + h) * 4 + w] != xd[((n * 3 + h) * 4 + w) * 5 + c]) ++bad;
    CHECK(bad == 0, "transpose NHWC -> NCHW");
  }
  {
    const int32_t s[6] = {2, 1, 3, 2, 2, 3}, perm[6] = {5, 2, 0, 4, 1, 3};
    int32_t t[6];
    for (int d = 0; d < 6; ++d) t[d] = s[perm[d]];
    mcu_tensor_t x = mk(MCU_DT_F32, 6, s), y = mk(MCU_DT_F32, 6, t);
    float xd[72], yd[72];
    for (int i = 0; i < 72; ++i) xd[i] = (float)i + 0.5f;
    CHECK(mcu_ref_transpose(perm, &x, xd, &y, yd) == 0, "transpose rank 6 runs");
    int bad = 0;
    for (int e = 0; e < 72; ++e) {
      int idx[6], rem = e, src[6], off = 0;
      for (int d = 5; d >= 0; --d) {
        idx[d] = rem % t[d];
        rem /= t[d];
      }
      for (int d = 0; d < 6; ++d) src[perm[d]] = idx[d];
      for (int d = 0; d < 6; ++d) off = off * s[d] + src[d];
      if (yd[e] != xd[off]) ++bad;
    }
    CHECK(bad == 0, "transpose rank 6 f32");
  }
  {
    const int32_t s[2] = {2, 3}, t[1] = {6}, u[1] = {5};
    mcu_tensor_t x = mk(MCU_DT_I8, 2, s), y = mk(MCU_DT_I8, 1, t), z = mk(MCU_DT_I8, 1, u);
    const int8_t xd[6] = {1, -2, 3, -4, 5, -6};
    int8_t yd[6] = {0};
    CHECK(mcu_ref_copy(&x, xd, &y, yd) == 0 && memcmp(xd, yd, 6) == 0, "copy (reshape)");
    CHECK(mcu_ref_copy(&x, xd, &z, yd) == -1, "copy of different sizes rejected");
  }
}

/* ---- a whole program: quantize -> conv (relu) -> model output 0 -> dequantize -> model output 1 ---- */

static char *dup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  strcpy(d, s);
  return d;
}

static void set_tensor(mcu_tensor_t *t, const char *name, mcu_dtype_t dt, int rank, const int32_t *shape,
                       mcu_storage_t st, int index, double scale, int32_t zp) {
  t->name = dup(name);
  t->dtype = dt;
  t->rank = rank;
  memcpy(t->shape, shape, sizeof(int32_t) * (size_t)rank);
  t->quant_axis = -1;
  t->storage = st;
  t->index = index;
  t->offset = 0; /* deliberately wrong for the arena tensor: the reference must not use it */
  if (scale > 0) {
    t->num_scales = 1;
    t->scales = malloc(sizeof(double));
    t->zero_points = malloc(sizeof(int32_t));
    t->scales[0] = scale;
    t->zero_points[0] = zp;
  }
}

static mcu_program_t *build_program(void) {
  mcu_program_t *p = calloc(1, sizeof *p);
  p->name = dup("tiny");
  p->num_tensors = 6;
  p->tensors = calloc(6, sizeof(mcu_tensor_t));
  const int32_t s_in[4] = {1, 2, 2, 2}, s_w[4] = {3, 1, 1, 2}, s_b[1] = {3}, s_out[4] = {1, 2, 2, 3};
  set_tensor(&p->tensors[0], "x", MCU_DT_F32, 4, s_in, MCU_STORAGE_INPUT, 0, 0, 0);
  set_tensor(&p->tensors[1], "xq", MCU_DT_I8, 4, s_in, MCU_STORAGE_ARENA, 0, 0.5, 0);
  set_tensor(&p->tensors[2], "w", MCU_DT_I8, 4, s_w, MCU_STORAGE_CONST, 0, 0.25, 0);
  set_tensor(&p->tensors[3], "b", MCU_DT_I32, 1, s_b, MCU_STORAGE_CONST, 0, 0, 0);
  set_tensor(&p->tensors[4], "y", MCU_DT_I8, 4, s_out, MCU_STORAGE_OUTPUT, 0, 0.125, 0);
  set_tensor(&p->tensors[5], "yf", MCU_DT_F32, 4, s_out, MCU_STORAGE_OUTPUT, 1, 0, 0);
  const int8_t w[6] = {1, 1, 2, -1, -1, 0};
  const int32_t b[3] = {1, 0, -2};
  p->tensors[2].data = malloc(6);
  memcpy(p->tensors[2].data, w, 6);
  p->tensors[3].data = malloc(12);
  for (int i = 0; i < 3; ++i) /* little-endian bytes */
    for (int k = 0; k < 4; ++k) p->tensors[3].data[4 * i + k] = (uint8_t)((uint32_t)b[i] >> (8 * k));
  p->num_layers = 3;
  p->layers = calloc(3, sizeof(mcu_layer_t));
  p->layers[0] = mk_layer(MCU_OP_QUANTIZE);
  p->layers[1] = mk_layer(MCU_OP_CONV2D);
  p->layers[2] = mk_layer(MCU_OP_DEQUANTIZE);
  for (int i = 0; i < 3; ++i) p->layers[i].name = dup("");
  p->layers[0].num_inputs = 1;
  p->layers[0].inputs[0] = 0;
  p->layers[0].output = 1;
  p->layers[1].num_inputs = 3;
  p->layers[1].inputs[0] = 1;
  p->layers[1].inputs[1] = 2;
  p->layers[1].inputs[2] = 3;
  p->layers[1].output = 4;
  p->layers[1].act_min = 0; /* fused Relu on stored values (zy = 0) */
  p->layers[1].act_max = 127;
  p->layers[2].num_inputs = 1;
  p->layers[2].inputs[0] = 4; /* reads model output 0 */
  p->layers[2].output = 5;
  p->num_inputs = 1;
  p->inputs = malloc(sizeof(int));
  p->inputs[0] = 0;
  p->num_outputs = 2;
  p->outputs = malloc(2 * sizeof(int));
  p->outputs[0] = 4;
  p->outputs[1] = 5;
  p->arena_size = 0;
  p->weights_size = 18;
  return p;
}

static void test_run(void) {
  mcu_program_t *p = build_program();
  /* x / 0.5 = {2, -1, 0.5, 1.5, 4, 2.5, -6, 20} -> {2, -1, 0, 2, 4, 2, -6, 20}; 1x1 conv with w = [[1,1],
   * [2,-1], [-1,0]], bias [1,0,-2], M = 0.5 * 0.25 / 0.125 = 1, relu:
   * pixel (2,-1): 2, 5, -4 -> 0; (0,2): 3, -2 -> 0, -2 -> 0; (4,2): 7, 6, -6 -> 0; (-6,20): 15, -32 -> 0, 4. */
  const float x[8] = {1.0f, -0.5f, 0.25f, 0.75f, 2.0f, 1.25f, -3.0f, 10.0f};
  int8_t y[12];
  float yf[12];
  memset(y, 0x55, sizeof y);
  const void *ins[1] = {x};
  void *outs[2] = {y, yf};
  CHECK(mcu_ref_run(p, ins, outs) == 0, "program runs");
  const int8_t want[12] = {2, 5, 0, 3, 0, 0, 7, 6, 0, 15, 0, 4};
  CHECK(memcmp(y, want, 12) == 0, "program output 0 by hand");
  int bad = 0;
  for (int i = 0; i < 12; ++i)
    if (yf[i] != (float)want[i] * 0.125f) ++bad;
  CHECK(bad == 0, "program output 1 (dequantized output 0) by hand");
  /* Failures: a layer writing a CONST tensor, an unknown op, a missing output pointer. */
  p->layers[2].output = 2;
  CHECK(mcu_ref_run(p, ins, outs) == -1, "writing a CONST tensor rejected");
  p->layers[2].output = 5;
  p->layers[2].op = (mcu_op_t)42;
  CHECK(mcu_ref_run(p, ins, outs) == -1, "unknown op rejected");
  p->layers[2].op = MCU_OP_DEQUANTIZE;
  void *outs_missing[2] = {y, NULL};
  CHECK(mcu_ref_run(p, ins, outs_missing) == -1, "missing output pointer rejected");
  p->tensors[1].dtype = MCU_DT_F32; /* quantize to f32: unsupported */
  CHECK(mcu_ref_run(p, ins, outs) == -1, "unsupported dtype rejected");
  mcu_program_destroy(p);
}

/* ---- ONNX's own node tests (testdata/onnx_cases.h): the expected outputs are output_0.pb ---- */

static void to_tensor(const mcu_onnx_tensor_t *o, mcu_tensor_t *t) {
  *t = mk(o->dtype, o->rank, o->shape);
  if (o->num_scales > 0)
    quant(t, o->num_scales, (double *)o->scales, (int32_t *)o->zero_points, o->quant_axis);
}

static void test_onnx_cases(void) {
  for (size_t ci = 0; ci < sizeof mcu_onnx_cases / sizeof mcu_onnx_cases[0]; ++ci) {
    const mcu_onnx_case_t *c = &mcu_onnx_cases[ci];
    mcu_tensor_t tensors[4];
    const void *in[3];
    for (int i = 0; i < c->num_inputs; ++i) {
      to_tensor(&c->in[i], &tensors[i]);
      in[i] = c->in[i].bytes;
    }
    to_tensor(&c->out, &tensors[c->num_inputs]);
    mcu_program_t p;
    memset(&p, 0, sizeof p);
    p.num_tensors = c->num_inputs + 1;
    p.tensors = tensors;
    mcu_layer_t l = mk_layer(c->op);
    memcpy(l.stride, c->stride, sizeof l.stride);
    memcpy(l.pad, c->pad, sizeof l.pad);
    memcpy(l.dilation, c->dilation, sizeof l.dilation);
    l.groups = c->groups;
    l.num_inputs = c->num_inputs;
    for (int i = 0; i < c->num_inputs; ++i) l.inputs[i] = i;
    l.output = c->num_inputs;
    uint8_t *out = calloc((size_t)c->out.num_bytes, 1);
    int rc = mcu_ref_run_layer(&p, &l, in, out);
    CHECK(rc == 0, "%s", c->name);
    int bad = 0;
    for (int i = 0; i < c->out.num_bytes; ++i)
      if (out[i] != c->out.bytes[i]) {
        if (bad++ < 4) printf("  %s: byte %d is %d, ONNX expects %d\n", c->name, i, out[i], c->out.bytes[i]);
      }
    CHECK(rc == 0 && bad == 0, "%s", c->name);
    free(out);
  }
}

int main(void) {
  test_requantize();
  test_conv2d();
  test_matmul();
  test_elementwise();
  test_run();
  test_onnx_cases();
  return mcu_test_finish();
}
