/* kernels_misc_test.c: tests of the misc kernel group: softmax, log_softmax, logistic, hard swish, pooling, resize. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_misc.h"
#include "k_fixedpoint.h"
#include "kernel_call.h"
#include "mcu_test.h"
#include "prepare_misc.h"
#include "ref.h"

/* Expected values come from hand computation, from float math within a stated tolerance, or from straight
 * reimplementations below (different formulas for the same rounding rules: floor-based rounding, int64 without
 * the gemmlowp masks, explicit int16 saturation), never from the functions under test. */

static uint32_t g_rng = 2463534242u;
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return lo + (int32_t)(g_rng % (uint32_t)(hi - lo + 1));
}

/* ---- independent primitives ---- */

/* floor(v / 2^k) for int64 (no reliance on >> of negatives). */
static int64_t floor_div_pow2(int64_t v, int k) {
  const int64_t d = (int64_t)1 << k;
  int64_t q = v / d;
  if (v % d != 0 && v < 0) --q;
  return q;
}
/* a * b / 2^31 rounded with ties toward +infinity, saturating the single overflow case. */
static int32_t ref_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)floor_div_pow2((int64_t)a * b + ((int64_t)1 << 30), 31);
}
/* x / 2^e rounded with ties away from zero. */
static int32_t ref_rdbpot(int32_t x, int e) {
  if (e == 0) return x;
  const int64_t mag = x < 0 ? -(int64_t)x : (int64_t)x;
  const int64_t q = (mag + ((int64_t)1 << (e - 1))) >> e;
  return (int32_t)(x < 0 ? -q : q);
}

static void test_primitives(void) {
  int bad = 0;
  const int32_t edges[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1, 1 << 30, -(1 << 30), 12345};
  for (int i = 0; i < 13; ++i)
    for (int j = 0; j < 13; ++j)
      if (mcu_fx_srdhm(edges[i], edges[j]) != ref_srdhm(edges[i], edges[j])) ++bad;
  for (int t = 0; t < 200000; ++t) {
    const int32_t a = (int32_t)((uint32_t)rnd(0, 65535) << 16 | (uint32_t)rnd(0, 65535));
    const int32_t b = (int32_t)((uint32_t)rnd(0, 65535) << 16 | (uint32_t)rnd(0, 65535));
    const int e = rnd(0, 31);
    if (mcu_fx_srdhm(a, b) != ref_srdhm(a, b)) ++bad;
    if (mcu_fx_rdbypot(a, e) != ref_rdbpot(a, e)) ++bad;
  }
  CHECK(bad == 0, "srdhm / rounding divide by 2^e agree with the floor-based forms (%d mismatches)", bad);
  CHECK(mcu_fx_srdhm(-(1 << 30), 1) == 0 && mcu_fx_srdhm(1 << 30, 1) == 1, "srdhm ties go toward +infinity");
  CHECK(mcu_fx_rdbypot(-3, 1) == -2 && mcu_fx_rdbypot(3, 1) == 2 && mcu_fx_rdbypot(-5, 2) == -1, "rdbpot ties away from zero");
  /* exp, 1/(1+x), logistic and log against libm: gemmlowp's approximations are good to a few 1e-7. */
  double worst = 0;
  for (int32_t raw = 0; raw >= -(31 << 26); raw -= 99991) {
    const double got = mcu_fx_exp_on_negative_values(raw, 5) / 2147483648.0, want = exp(raw / 67108864.0);
    worst = fmax(worst, fabs(got - want));
  }
  CHECK(worst < 2e-6, "exp_on_negative_values within 2e-6 of exp (worst %g)", worst);
  worst = 0;
  for (int32_t raw = 0; raw < INT32_MAX - 999983; raw += 999983) {
    const double got = mcu_fx_one_over_one_plus_x_for_x_in_0_1(raw) / 2147483648.0, want = 1.0 / (1.0 + raw / 2147483648.0);
    worst = fmax(worst, fabs(got - want));
  }
  CHECK(worst < 2e-6, "one_over_one_plus_x within 2e-6 (worst %g)", worst);
  worst = 0;
  for (int32_t raw = -(15 << 27); raw < (15 << 27); raw += 999983) {
    const double got = mcu_fx_logistic(raw, 4) / 2147483648.0, want = 1.0 / (1.0 + exp(-raw / 134217728.0));
    worst = fmax(worst, fabs(got - want));
  }
  CHECK(worst < 2e-6, "logistic within 2e-6 (worst %g)", worst);
  worst = 0;
  for (int64_t raw = 1 << 19; raw < ((int64_t)1 << 31) - 99991; raw += 99991 * 7) {
    const double got = mcu_fx_log_x_ge_1((int32_t)raw, 12, 5) / 67108864.0, want = log(raw / 524288.0);
    worst = fmax(worst, fabs(got - want));
  }
  CHECK(worst < 2e-6, "log_x_for_x_ge_1 within 2e-6 (worst %g)", worst);
}

/* ---- single-layer programs ---- */

typedef struct {
  mcu_tensor_t t[2];
  double scale[2];
  int32_t zp[2];
  mcu_layer_t l;
  mcu_program_t p;
} one_layer_t;

static void one_layer(one_layer_t *o, mcu_op_t op, mcu_dtype_t dt, int rank, const int32_t *in_shape,
                      const int32_t *out_shape, double s_in, int32_t z_in, double s_out, int32_t z_out) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < 2; ++i) {
    o->t[i].name = "";
    o->t[i].dtype = dt;
    o->t[i].rank = rank;
    o->t[i].quant_axis = -1;
    memcpy(o->t[i].shape, i ? out_shape : in_shape, sizeof(int32_t) * (size_t)rank);
  }
  if (dt == MCU_DT_I8) {
    o->scale[0] = s_in, o->scale[1] = s_out, o->zp[0] = z_in, o->zp[1] = z_out;
    for (int i = 0; i < 2; ++i) o->t[i].num_scales = 1, o->t[i].scales = &o->scale[i], o->t[i].zero_points = &o->zp[i];
  }
  o->l.name = "test";
  o->l.op = op;
  o->l.numerics = MCU_NUMERICS_TFLITE;
  o->l.num_inputs = 1;
  o->l.inputs[0] = 0;
  o->l.output = 1;
  o->l.stride[0] = o->l.stride[1] = 1;
  o->l.act_min = INT32_MIN, o->l.act_max = INT32_MAX;
  o->l.fact_min = -INFINITY, o->l.fact_max = INFINITY;
  o->l.beta = 1.0f;
  o->p.num_tensors = 2;
  o->p.tensors = o->t;
}

static int run1(one_layer_t *o, const void *in, void *out) {
  const void *ins[1] = {in};
  return mcu_ref_run_layer(&o->p, &o->l, ins, out);
}

/* ---- softmax int8: TF Lite Micro's loop in straight form (per element, no table) ---- */
static void straight_softmax_s8(const int8_t *x, int n, float scale, float beta, int8_t *y) {
  const double real = fmin((double)beta * (double)scale * 67108864.0, 2147483647.0);
  int shift;
  const double fr = frexp(real, &shift);
  int64_t q = llround(fr * 2147483648.0);
  if (q == (int64_t)1 << 31) q /= 2, ++shift;
  const int32_t diff_min = -(int32_t)floor(31.0 * 67108864.0 / ldexp(1.0, shift));
  int mx = -128;
  for (int i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  int64_t sum = 0;
  int32_t e[256];
  for (int i = 0; i < n; ++i) {
    const int32_t diff = x[i] - mx;
    e[i] = diff >= diff_min ? mcu_fx_exp_on_negative_values(ref_srdhm(diff * (1 << shift), (int32_t)q), 5) : 0;
    sum += ref_rdbpot(e[i], 12);
  }
  int h = 0;
  while (!((uint32_t)sum << h & 0x80000000u)) ++h;
  const int32_t recip = mcu_fx_one_over_one_plus_x_for_x_in_0_1((int32_t)(((uint32_t)sum << h) - 0x80000000u));
  for (int i = 0; i < n; ++i) {
    const int32_t v = ref_rdbpot(ref_srdhm(recip, e[i]), 12 - h + 23) - 128;
    y[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
  }
}

static void test_softmax_s8(void) {
  one_layer_t o;
  const int32_t shape[2] = {1, 4};
  one_layer(&o, MCU_OP_SOFTMAX, MCU_DT_I8, 2, shape, shape, 0.125, 0, 1.0 / 256, -128);
  const int8_t uniform[4] = {5, 5, 5, 5};
  int8_t y[4] = {0, 0, 0, 0};
  CHECK(run1(&o, uniform, y) == 0 && y[0] == -64 && y[1] == -64 && y[3] == -64,
        "uniform row of 4 gives 1/4 = 64/256 -> -64 (got %d)", y[0]);
  const int8_t dominant[4] = {127, -128, -128, -128};
  CHECK(run1(&o, dominant, y) == 0 && y[0] == 127 && y[1] == -128, "dominant input gives 127 / -128 (%d %d)", y[0],
        y[1]);
  /* random rows: straight form exactly, and float softmax within 1 step */
  int bad_exact = 0, bad_float = 0;
  const float scales[5] = {0.125f, 0.05f, 0.5f, 0.0390625f, 0.00390625f};
  for (int t = 0; t < 300; ++t) {
    const int n = rnd(1, 40);
    const float sc = scales[t % 5], beta = t % 3 ? 1.0f : 0.5f;
    int32_t shp[2] = {1, n};
    one_layer(&o, MCU_OP_SOFTMAX, MCU_DT_I8, 2, shp, shp, sc, rnd(-10, 10), 1.0 / 256, -128);
    o.l.beta = beta;
    int8_t x[40], got[40], want[40];
    for (int i = 0; i < n; ++i) x[i] = (int8_t)rnd(-128, 127);
    if (run1(&o, x, got) != 0) {
      ++bad_exact;
      continue;
    }
    straight_softmax_s8(x, n, sc, beta, want);
    if (memcmp(got, want, (size_t)n)) ++bad_exact;
    int mx = -128;
    double s = 0;
    for (int i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; ++i) s += exp((double)beta * sc * (x[i] - mx));
    for (int i = 0; i < n; ++i) {
      const double q = fmin(127, round(exp((double)beta * sc * (x[i] - mx)) / s * 256) - 128);
      if (fabs(q - got[i]) > 1) ++bad_float;
    }
  }
  CHECK(bad_exact == 0, "softmax s8 equals the straight per-element form (%d rows differ)", bad_exact);
  CHECK(bad_float == 0, "softmax s8 within 1 of the float softmax (%d elements off)", bad_float);
  /* TF Lite Micro's output quantization requirement */
  one_layer(&o, MCU_OP_SOFTMAX, MCU_DT_I8, 2, shape, shape, 0.125, 0, 1.0 / 255, -128);
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(&o.p, &o.l, &call);
  CHECK(s && strstr(mcu_status_message(s), "1/256"), "softmax with output scale 1/255 rejected: %s",
        mcu_status_message(s));
  mcu_status_free(s);
}

static void test_log_softmax_s8(void) {
  one_layer_t o;
  int bad = 0, bad_uniform = 0;
  for (int t = 0; t < 300; ++t) {
    const int n = rnd(1, 40);
    const float sc = t % 2 ? 0.1f : 0.03125f;
    int32_t shp[2] = {1, n};
    one_layer(&o, MCU_OP_LOG_SOFTMAX, MCU_DT_I8, 2, shp, shp, sc, 0, 16.0 / 256, 127);
    int8_t x[40], got[40];
    for (int i = 0; i < n; ++i) x[i] = (int8_t)(t < 10 ? 3 : rnd(-128, 127));
    if (run1(&o, x, got) != 0) {
      ++bad;
      continue;
    }
    int mx = -128;
    double s = 0;
    for (int i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; ++i) s += exp((double)sc * (x[i] - mx));
    for (int i = 0; i < n; ++i) {
      const double q = fmax(-128, fmin(127, round((sc * (x[i] - mx) - log(s)) * 16) + 127));
      if (fabs(q - got[i]) > 1) ++bad;
      if (t < 10 && fabs(got[i] - (127 - 16 * log(n))) > 1) ++bad_uniform;
    }
  }
  CHECK(bad == 0, "log_softmax s8 within 1 of float log_softmax (%d off)", bad);
  CHECK(bad_uniform == 0, "uniform rows give 127 - 16 ln n (%d off)", bad_uniform);
  const int32_t shape[2] = {1, 2};
  one_layer(&o, MCU_OP_LOG_SOFTMAX, MCU_DT_I8, 2, shape, shape, 0.1, 0, 1.0 / 256, -128);
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(&o.p, &o.l, &call);
  CHECK(s != NULL, "log_softmax with a softmax output quantization rejected: %s", mcu_status_message(s));
  mcu_status_free(s);
}

/* ---- LOGISTIC: the rule in straight form ---- */
static int8_t straight_logistic(int v, float scale, int zp) {
  int shift;
  const double fr = frexp((double)scale * 134217728.0, &shift);
  const int32_t m = (int32_t)llround(fr * 2147483648.0);
  const int32_t radius = (int32_t)floor(15.0 * 134217728.0 / ldexp(1.0, shift));
  const int32_t x = v - zp;
  if (x <= -radius) return -128;
  if (x >= radius) return 127;
  const int32_t q4 = ref_srdhm(x * (1 << shift), m); /* shift > 0 here */
  int32_t r;
  if (q4 == 0) r = 1 << 30;
  else {
    const int32_t a = q4 > 0 ? q4 : -q4;
    const int32_t pos = mcu_fx_one_over_one_plus_x_for_x_in_0_1(mcu_fx_exp_on_negative_values(-a, 4));
    r = q4 > 0 ? pos : INT32_MAX - pos;
  }
  const int32_t o = ref_rdbpot(r, 23) - 128;
  return (int8_t)(o > 127 ? 127 : o < -128 ? -128 : o);
}

static void test_logistic_s8(void) {
  const float scales[4] = {0.1f, 0.02f, 0.25f, 1.0f / 16};
  const int32_t zps[4] = {0, -20, 50, -128};
  int bad = 0, bad_float = 0;
  for (int k = 0; k < 4; ++k) {
    int8_t table[256];
    CHECK(mcu_misc_logistic_table(scales[k], zps[k], table) == NULL, "logistic table %d", k);
    for (int v = -128; v < 128; ++v) {
      const int8_t got = table[(uint8_t)(int8_t)v];
      if (got != straight_logistic(v, scales[k], zps[k])) ++bad;
      const double f = 1.0 / (1.0 + exp(-(double)scales[k] * (v - zps[k])));
      if (fabs(fmin(127, round(f * 256) - 128) - got) > 1) ++bad_float;
    }
    CHECK(table[(uint8_t)(int8_t)zps[k]] == 0, "logistic(0) = 0.5 -> 0 (scale %g)", (double)scales[k]);
  }
  CHECK(bad == 0, "logistic table equals the straight form (%d entries differ)", bad);
  CHECK(bad_float == 0, "logistic table within 1 of float (%d off)", bad_float);
  /* through the registry: zero point -128 is required */
  one_layer_t o;
  const int32_t shape[1] = {256};
  one_layer(&o, MCU_OP_LOGISTIC, MCU_DT_I8, 1, shape, shape, 0.1, 0, 1.0 / 256, -128);
  int8_t x[256], y[256], table[256];
  for (int i = 0; i < 256; ++i) x[i] = (int8_t)(i - 128);
  mcu_misc_logistic_table(0.1f, 0, table);
  int rc = run1(&o, x, y), bad_run = 0;
  for (int i = 0; i < 256; ++i) bad_run += y[i] != table[(uint8_t)x[i]];
  CHECK(rc == 0 && bad_run == 0, "logistic layer looks up its table");
  o.zp[1] = 0;
  CHECK(run1(&o, x, y) != 0, "logistic with output zero point 0 rejected");
}

/* ---- HARD_SWISH: the int16 rule in straight form (int32 arithmetic, explicit saturation) ---- */
static int32_t sat16(int64_t v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : (int32_t)v; }
static int32_t wrap16(int32_t v) { return (int32_t)(int16_t)(uint16_t)(uint32_t)v; }
static int32_t q15_mult(double real, int *out_exp) {
  int32_t m, e;
  mcu_quantize_multiplier(real, INT32_MAX, &m, &e); /* shared host rule, tested above via softmax */
  *out_exp = (int)e;
  return m >= INT32_MAX - 32768 ? 32767 : (m + 32768) >> 16;
}
static int32_t rdiv16(int32_t x, int e) { /* ties away from zero; e <= 15 in these tests */
  return ref_rdbpot(x, e);
}
static int8_t straight_hard_swish(int v, float s_in, int z_in, float s_out, int z_out) {
  const float hires = s_in / 128.0f;
  int oe, re;
  const int32_t om = q15_mult((double)(hires / s_out), &oe), rm = q15_mult((double)(hires / (3.0f / 32768.0f)), &re);
  const int32_t in = (v - z_in) * 128;
  const int32_t pre = (int32_t)floor_div_pow2((int64_t)in * om + (1 << 14), 15); /* round half up */
  int32_t r = in;
  if (re > 0) r = sat16((int64_t)r * ((int64_t)1 << (re - 1)));
  r = (int32_t)floor_div_pow2((int64_t)r * rm + (1 << 14), 15);
  if (re > 0) r = sat16((int64_t)r * 2);
  if (re < 0) r = rdiv16(r, -re);
  r = (r + 32768) >> 1;
  const int32_t prod = r * pre, p = prod < 0 ? -((-prod) >> 15) : prod >> 15; /* truncating */
  int32_t out = wrap16(rdiv16(p, -oe) + z_out);
  return (int8_t)(out > 127 ? 127 : out < -128 ? -128 : out);
}

static void test_hard_swish_s8(void) {
  const float si[4] = {0.05f, 0.1f, 0.02f, 0.2f}, so[4] = {0.03f, 0.05f, 0.02f, 0.1f};
  const int32_t zi[4] = {0, -10, 30, -128}, zo[4] = {-100, -50, 0, -20};
  int bad = 0, bad_float = 0;
  for (int k = 0; k < 4; ++k) {
    int8_t table[256];
    CHECK(mcu_misc_hard_swish_table(si[k], zi[k], so[k], zo[k], table) == NULL, "hard swish table %d", k);
    for (int v = -128; v < 128; ++v) {
      const int8_t got = table[(uint8_t)(int8_t)v];
      if (got != straight_hard_swish(v, si[k], zi[k], so[k], zo[k])) ++bad;
      const double x = (double)si[k] * (v - zi[k]), f = x * fmin(6, fmax(0, x + 3)) / 6;
      const double q = fmax(-128, fmin(127, round(f / so[k]) + zo[k]));
      if (fabs(q - got) > 2) ++bad_float;
    }
  }
  CHECK(bad == 0, "hard swish table equals the straight int16 form (%d entries differ)", bad);
  CHECK(bad_float == 0, "hard swish table within 2 of float (%d off)", bad_float);
}

/* ---- pooling and resize against direct loops ---- */
static void test_pool(void) {
  int bad = 0;
  for (int t = 0; t < 60; ++t) {
    const int h = rnd(1, 7), w = rnd(1, 7), c = rnd(1, 3), kh = rnd(1, 3), kw = rnd(1, 3), sh = rnd(1, 2),
              sw = rnd(1, 2), ph = rnd(0, kh - 1), pw = rnd(0, kw - 1);
    const int oh = (h + ph - kh) / sh + 1, ow = (w + pw - kw) / sw + 1;
    if (oh < 1 || ow < 1) continue;
    const int32_t is[4] = {1, h, w, c}, os[4] = {1, oh, ow, c};
    for (int avg = 0; avg < 2; ++avg) {
      one_layer_t o;
      one_layer(&o, avg ? MCU_OP_AVG_POOL : MCU_OP_MAX_POOL, MCU_DT_I8, 4, is, os, 0.1, 0, 0.1, 0);
      o.l.kernel[0] = kh, o.l.kernel[1] = kw, o.l.stride[0] = sh, o.l.stride[1] = sw, o.l.pad[0] = ph,
      o.l.pad[1] = pw;
      o.l.act_min = t % 4 ? -128 : -20, o.l.act_max = t % 4 ? 127 : 90;
      int8_t x[7 * 7 * 3], y[7 * 7 * 3];
      for (int i = 0; i < h * w * c; ++i) x[i] = (int8_t)rnd(-128, 127);
      if (run1(&o, x, y) != 0) {
        ++bad;
        continue;
      }
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int ch = 0; ch < c; ++ch) {
            int sum = 0, n = 0, mx = -128;
            for (int ky = 0; ky < kh; ++ky)
              for (int kx = 0; kx < kw; ++kx) {
                const int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const int v = x[(iy * w + ix) * c + ch];
                sum += v, ++n, mx = v > mx ? v : mx;
              }
            /* average rounded half away from zero, by floor of |sum|/n + 1/2 */
            int want = avg ? (sum < 0 ? -1 : 1) * ((2 * abs(sum) + n) / (2 * n)) : mx;
            want = want < o.l.act_min ? o.l.act_min : want > o.l.act_max ? o.l.act_max : want;
            if (y[(oy * ow + ox) * c + ch] != want) ++bad;
          }
    }
  }
  CHECK(bad == 0, "int8 avg/max pool equal direct loops (%d differ)", bad);
  /* hand case: 2x2 average of {1, 2, 3, 5} = 2.75 -> 3; of {-1, -2, -3, -5} -> -3; {1, 2} -> 1.5 -> 2; {-1,-2} -> -2 */
  one_layer_t o;
  const int32_t is[4] = {1, 2, 2, 1}, os[4] = {1, 1, 1, 1};
  one_layer(&o, MCU_OP_AVG_POOL, MCU_DT_I8, 4, is, os, 1, 0, 1, 0);
  o.l.kernel[0] = o.l.kernel[1] = 2;
  const int8_t a[4] = {1, 2, 3, 5}, b[4] = {-1, -2, -3, -5};
  int8_t y = 0;
  CHECK(run1(&o, a, &y) == 0 && y == 3, "avg {1,2,3,5} = 3 (%d)", y);
  CHECK(run1(&o, b, &y) == 0 && y == -3, "avg {-1,-2,-3,-5} = -3 (%d)", y);
  const int32_t is2[4] = {1, 1, 2, 1};
  one_layer(&o, MCU_OP_AVG_POOL, MCU_DT_I8, 4, is2, os, 1, 0, 1, 0);
  o.l.kernel[0] = 1, o.l.kernel[1] = 2;
  const int8_t c2[2] = {1, 2}, d2[2] = {-1, -2};
  CHECK(run1(&o, c2, &y) == 0 && y == 2, "avg {1,2} = 1.5 -> 2 (%d)", y);
  CHECK(run1(&o, d2, &y) == 0 && y == -2, "avg {-1,-2} = -1.5 -> -2 (%d)", y);
  /* float: 3x3 input, 2x2 window stride 1 pad 1 at the corner: only x[0] -> x[0]; max with padding excluded */
  const int32_t fs[4] = {1, 3, 3, 1}, fo[4] = {1, 3, 3, 1};
  one_layer(&o, MCU_OP_AVG_POOL, MCU_DT_F32, 4, fs, fo, 0, 0, 0, 0);
  o.l.kernel[0] = o.l.kernel[1] = 2, o.l.pad[0] = o.l.pad[1] = 1;
  const float fx[9] = {-4, 2, 6, 1, -3, 5, 7, 8, -9};
  float fy[9] = {0};
  CHECK(run1(&o, fx, fy) == 0 && fy[0] == -4.0f && fy[1] == -1.0f && fy[4] == -1.0f && fy[8] == 0.25f,
        "f32 avg pool by hand (%g %g %g %g)", fy[0], fy[1], fy[4], fy[8]);
  o.l.op = MCU_OP_MAX_POOL;
  o.l.fact_max = 6.0f;
  CHECK(run1(&o, fx, fy) == 0 && fy[0] == -4.0f && fy[2] == 6.0f && fy[8] == 6.0f && fy[4] == 2.0f,
        "f32 max pool with relu6 clamp by hand (%g %g %g %g)", fy[0], fy[2], fy[8], fy[4]);
  /* an average window entirely in the padding is rejected */
  const int32_t es[4] = {1, 2, 2, 1}, eo[4] = {1, 3, 3, 1};
  one_layer(&o, MCU_OP_AVG_POOL, MCU_DT_I8, 4, es, eo, 1, 0, 1, 0);
  o.l.kernel[0] = o.l.kernel[1] = 1, o.l.pad[0] = o.l.pad[1] = 1;
  int8_t e8[9];
  CHECK(run1(&o, a, e8) != 0, "average of padding only rejected");
}

static void test_resize(void) {
  /* TF Lite's rule, by hand: in 2 -> out 4 plain: floor(i * 0.5) = 0 0 1 1; align_corners: round(i * 1/3) =
   * 0 0 1 1; half_pixel: floor((i + .5) * .5) = 0 0 1 1; in 3 -> out 2 align: round(i * 2) = 0 2; plain floor(i * 1.5)
   * = 0 1; half: floor((i + .5) * 1.5) = 0 2. */
  struct {
    int in, out, ac, hp, want[4];
  } cases[] = {{2, 4, 0, 0, {0, 0, 1, 1}}, {2, 4, 1, 0, {0, 0, 1, 1}}, {2, 4, 0, 1, {0, 0, 1, 1}},
               {3, 2, 1, 0, {0, 2}},       {3, 2, 0, 0, {0, 1}},       {3, 2, 0, 1, {0, 2}},
               {4, 3, 1, 0, {0, 2, 3}},    {5, 3, 0, 1, {0, 2, 4}}};
  int bad = 0;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    one_layer_t o;
    const int32_t is[4] = {1, 1, cases[k].in, 3}, os[4] = {1, 1, cases[k].out, 3};
    one_layer(&o, MCU_OP_RESIZE_NEAREST, MCU_DT_F32, 4, is, os, 0, 0, 0, 0);
    o.l.align_corners = cases[k].ac, o.l.half_pixel_centers = cases[k].hp;
    float x[15], y[12];
    for (int i = 0; i < 3 * cases[k].in; ++i) x[i] = (float)i;
    if (run1(&o, x, y) != 0) {
      ++bad;
      continue;
    }
    for (int i = 0; i < cases[k].out; ++i)
      for (int ch = 0; ch < 3; ++ch)
        if (y[i * 3 + ch] != (float)(cases[k].want[i] * 3 + ch)) ++bad;
  }
  CHECK(bad == 0, "resize nearest source columns by hand (%d wrong)", bad);
  /* 2D int8 upsample x2: every output pixel is its (y/2, x/2) source */
  one_layer_t o;
  const int32_t is[4] = {2, 3, 2, 2}, os[4] = {2, 6, 4, 2};
  one_layer(&o, MCU_OP_RESIZE_NEAREST, MCU_DT_I8, 4, is, os, 1, 0, 1, 0);
  int8_t x[24], y[96];
  for (int i = 0; i < 24; ++i) x[i] = (int8_t)(i - 12);
  int rc = run1(&o, x, y);
  bad = 0;
  for (int b = 0; b < 2; ++b)
    for (int yy = 0; yy < 6; ++yy)
      for (int xx = 0; xx < 4; ++xx)
        for (int ch = 0; ch < 2; ++ch)
          bad += y[((b * 6 + yy) * 4 + xx) * 2 + ch] != x[((b * 3 + yy / 2) * 2 + xx / 2) * 2 + ch];
  CHECK(rc == 0 && bad == 0, "int8 resize x2 equals direct indexing (%d wrong)", bad);
}

static void test_float_kernels(void) {
  one_layer_t o;
  const int32_t shape[2] = {2, 3};
  one_layer(&o, MCU_OP_SOFTMAX, MCU_DT_F32, 2, shape, shape, 0, 0, 0, 0);
  o.l.beta = 2.0f;
  const float x[6] = {1, 2, 3, 0, 0, 0};
  float y[6] = {0, 0, 0, 0, 0, 0};
  const double z = exp(-4) + exp(-2) + 1;
  CHECK(run1(&o, x, y) == 0 && fabs(y[2] - 1 / z) < 1e-6 && fabs(y[0] - exp(-4) / z) < 1e-6 &&
            fabs(y[3] - 1.0 / 3) < 1e-6,
        "f32 softmax with beta 2 (%g %g %g)", y[0], y[2], y[3]);
  o.l.op = MCU_OP_LOG_SOFTMAX;
  CHECK(run1(&o, x, y) == 0 && fabs(y[2] + log(exp(-2) + exp(-1) + 1)) < 1e-6 && fabs(y[4] + log(3)) < 1e-6,
        "f32 log_softmax (%g %g)", y[2], y[4]);
  o.l.op = MCU_OP_LOGISTIC;
  const float lx[6] = {0, 20, -10, 2, -2, 17};
  CHECK(run1(&o, lx, y) == 0 && y[0] == 0.5f && y[1] == 1.0f && y[2] == expf(-10) &&
            fabs(y[3] - 1 / (1 + exp(-2))) < 1e-7 && y[5] == 1.0f,
        "f32 logistic with TF Lite's cut-offs (%g %g %g)", y[0], y[1], y[2]);
  o.l.op = MCU_OP_HARD_SWISH;
  const float hx[6] = {-4, -3, -1.5f, 0, 1.5f, 4};
  CHECK(run1(&o, hx, y) == 0 && y[0] == 0 && y[1] == 0 && y[2] == -0.375f && y[3] == 0 && y[4] == 1.125f &&
            y[5] == 4.0f,
        "f32 hard swish by hand (%g %g %g)", y[2], y[4], y[5]);
}

/* ---- a small program through mcu_ref_run: avg pool 2x2 then softmax over channels ---- */
static void test_program(void) {
  mcu_tensor_t t[3];
  double sc[3] = {0.25, 0.25, 1.0 / 256};
  int32_t zp[3] = {0, 0, -128};
  const int32_t s0[4] = {1, 2, 2, 3}, s1[4] = {1, 1, 1, 3};
  memset(t, 0, sizeof t);
  for (int i = 0; i < 3; ++i) {
    t[i].name = "";
    t[i].dtype = MCU_DT_I8;
    t[i].rank = 4;
    memcpy(t[i].shape, i ? s1 : s0, sizeof s0);
    t[i].quant_axis = -1;
    t[i].num_scales = 1;
    t[i].scales = &sc[i];
    t[i].zero_points = &zp[i];
  }
  t[0].storage = MCU_STORAGE_INPUT;
  t[1].storage = MCU_STORAGE_ARENA;
  t[2].storage = MCU_STORAGE_OUTPUT;
  mcu_layer_t l[2];
  memset(l, 0, sizeof l);
  for (int i = 0; i < 2; ++i) {
    l[i].name = "";
    l[i].numerics = MCU_NUMERICS_TFLITE;
    l[i].num_inputs = 1;
    l[i].inputs[0] = i;
    l[i].output = i + 1;
    l[i].stride[0] = l[i].stride[1] = 2;
    l[i].kernel[0] = l[i].kernel[1] = 2;
    l[i].act_min = -128, l[i].act_max = 127;
    l[i].beta = 1.0f;
  }
  l[0].op = MCU_OP_AVG_POOL;
  l[1].op = MCU_OP_SOFTMAX;
  int in_idx = 0, out_idx = 2;
  mcu_program_t p = {.name = "net", .num_tensors = 3, .tensors = t, .num_layers = 2, .layers = l,
                     .num_inputs = 1, .inputs = &in_idx, .num_outputs = 1, .outputs = &out_idx, .arena_size = 3};
  /* channel means: c0 {8,8,8,8} = 8 (2.0), c1 {0,0,0,1} = 0.25 -> 0 (0.0), c2 {-8,-8,-8,-9} = -8.25 -> -8 (-2.0);
   * softmax(2, 0, -2) = 0.8668, 0.1173, 0.0159 -> 222, 30, 4 (/256) -> 94, -98, -124 (within 1). */
  const int8_t x[12] = {8, 0, -8, 8, 0, -8, 8, 0, -8, 8, 1, -9};
  int8_t y[3] = {0, 0, 0};
  const void *ins[1] = {x};
  void *outs[1] = {y};
  CHECK(mcu_ref_run(&p, ins, outs) == 0, "pool + softmax program runs");
  CHECK(abs(y[0] - 94) <= 1 && abs(y[1] + 98) <= 1 && abs(y[2] + 124) <= 1, "program output %d %d %d", y[0], y[1],
        y[2]);
  int8_t want[3];
  const int8_t pooled[3] = {8, 0, -8};
  straight_softmax_s8(pooled, 3, 0.25f, 1.0f, want);
  CHECK(memcmp(y, want, 3) == 0, "program output equals the straight softmax of the pooled means");
}

int main(void) {
  test_primitives();
  test_softmax_s8();
  test_log_softmax_s8();
  test_logistic_s8();
  test_hard_swish_s8();
  test_pool();
  test_resize();
  test_float_kernels();
  test_program();
  return mcu_test_finish();
}
