/* k_conv_dw_test.c: the depthwise kernels against mcu_k_conv_s8, bytewise, on random shapes and quantizations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k_conv_dw.h"
#include "k_tflite.h"
#include "mcu_test.h"

/* Each case draws a random depthwise conv (batch 1-2, spatial 1-11, channels 1-13 so that C % 4 takes every value,
 * kernels 1x1 to 7x7 and non-square ones, strides 1-3, dilation 1-2, any valid padding, multiplier 1-3, random
 * zero points, per-channel multipliers and shifts including the ranges that leave mcu_dw_mbqm's short path, biases
 * up to +-2^31 or none, random activation ranges) and requires, for every byte of the output:
 *   mcu_k_conv_dw_s8 == mcu_k_conv_s8;
 *   multiplier 1: mcu_k_conv_dw_inplace_s8 with a separate output and run in place (out == in0, the buffer the
 *   larger of input and output, scratch of the size prepare gives, filled with garbage) == mcu_k_conv_s8, both
 *   variants (ring: every kernel up to MCU_DW_KMAX; plane: the taller ones and unsafe schedules) being exercised;
 *   multiplier 1: mcu_dw_row_s8 reading the rows from a ring of min(R, h) slots (R = window height), filled the
 *   way the streamed block fills it (row r in slot r % ring, each row written once, as late as possible), one
 *   pixel per call, with the int8 filter alone and with the packed one (mcu_dw_pack), == mcu_k_conv_s8. A few
 *   fixed cases pin the common shapes (3x3/5x5/7x7, stride 1/2). */

static uint32_t g_rng = 88172645u;
static int g_variant[3];                    /* in-place cases run by the plane / ring16 / ring4 variant */
static int g_slice4;                        /* ring cases with at least 4 channels and dilation_w 1 (SMLAD pairs) */
static int32_t g_min_hw = 1, g_max_hw = 11; /* spatial size range of make_case */
static int g_fast_rows;                     /* mcu_dw_row_s8 cases with the fast requantization tables */
static int g_ring16_flat[2];                /* ring16 cases with the ring / the flat layout */
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  const int64_t span = (int64_t)hi - lo + 1;
  return (int32_t)(lo + (int64_t)(span > UINT32_MAX ? g_rng : g_rng % (uint32_t)span));
}

typedef struct {
  mcu_k_conv_params_t p;
  int8_t *x, *w;
  int32_t *mult, *shift, *bias; /* bias may be NULL */
} dw_case_t;

static void free_case(dw_case_t *k) { free(k->x), free(k->w), free(k->mult), free(k->shift), free(k->bias); }

/* Fills k with a random case; kh/kw/stride/mult < 0: random. */
static void make_case(dw_case_t *k, int32_t kh, int32_t kw, int32_t stride, int32_t m) {
  mcu_k_conv_params_t *p = &k->p;
  memset(p, 0, sizeof *p);
  p->n = rnd(1, 2);
  p->c = rnd(1, 13);
  p->kh = kh > 0 ? kh : rnd(1, 7);
  p->kw = kw > 0 ? kw : rnd(1, 7);
  p->stride_h = stride > 0 ? stride : rnd(1, 3);
  p->stride_w = stride > 0 ? stride : rnd(1, 3);
  p->dilation_h = rnd(0, 3) ? 1 : 2;
  p->dilation_w = rnd(0, 3) ? 1 : 2;
  const int32_t eh = (p->kh - 1) * p->dilation_h + 1, ew = (p->kw - 1) * p->dilation_w + 1;
  p->h = rnd(g_min_hw, g_max_hw);
  p->w = rnd(g_min_hw, g_max_hw);
  const int32_t pt = rnd(0, eh - 1), pl = rnd(0, ew - 1);
  int32_t pb = rnd(0, eh - 1), pr = rnd(0, ew - 1);
  if (p->h + pt + pb < eh)
    pb = eh - p->h - pt; /* at least one output row */
  if (p->w + pl + pr < ew)
    pr = ew - p->w - pl;
  p->pad_top = pt, p->pad_left = pl;
  p->oh = (p->h + pt + pb - eh) / p->stride_h + 1;
  p->ow = (p->w + pl + pr - ew) / p->stride_w + 1;
  const int32_t mm = m > 0 ? m : (rnd(0, 2) ? 1 : rnd(2, 3));
  p->o = p->c * mm;
  p->groups = p->c;
  p->input_offset = -rnd(-128, 127);
  p->output_offset = rnd(-128, 127);
  p->act_min = rnd(0, 1) ? -128 : rnd(-128, 0);
  p->act_max = rnd(0, 1) ? 127 : rnd(p->act_min, 127);
  const size_t nx = (size_t)p->n * p->h * p->w * p->c, nw = (size_t)p->o * p->kh * p->kw;
  k->x = malloc(nx);
  k->w = malloc(nw);
  k->mult = malloc(sizeof(int32_t) * (size_t)p->o);
  k->shift = malloc(sizeof(int32_t) * (size_t)p->o);
  k->bias = rnd(0, 5) ? malloc(sizeof(int32_t) * (size_t)p->o) : NULL;
  for (size_t i = 0; i < nx; ++i)
    k->x[i] = (int8_t)rnd(-128, 127);
  for (size_t i = 0; i < nw; ++i)
    k->w[i] = (int8_t)rnd(-127, 127);
  const int wild = rnd(0, 4) == 0; /* exercise the long requantization path */
  for (int32_t o = 0; o < p->o; ++o) {
    k->mult[o] = rnd(0, 30) ? rnd(1 << 30, INT32_MAX) : 0;
    k->shift[o] = wild ? rnd(-31, 6) : rnd(-12, 0);
    if (k->bias)
      k->bias[o] = wild && rnd(0, 1) ? rnd(INT32_MIN, INT32_MAX) : rnd(-40000, 40000);
  }
}

static void run_ref(const dw_case_t *k, int8_t *y) {
  mcu_k_conv_s8(&k->p, k->mult, k->shift, k->x, k->w, k->bias, y, NULL);
}

/* mcu_dw_row_s8 over a streamed-block-style ring of min(R, h) rows, one pixel per call. */
static void run_ring(const dw_case_t *k, int8_t *y, int packed) {
  const mcu_k_conv_params_t *p = &k->p;
  uint32_t *wq = NULL;
  int32_t *hr = NULL;
  if (packed) {
    wq = malloc(sizeof *wq * (mcu_dw_packed_words(p->c, p->kh * p->kw) + 1));
    mcu_dw_pack(k->w, p->c, p->kh * p->kw, wq);
    int fast = 1;
    for (int32_t c = 0; c < p->c; ++c)
      fast &= mcu_dw_rq_fast_ok(k->mult[c], k->shift[c]);
    if (fast) { /* the streamed block's fast requantization tables, as its prepare makes them */
      hr = malloc(sizeof *hr * 2 * (size_t)p->c);
      mcu_dw_rq_fast_make(k->shift, p->c, hr);
      ++g_fast_rows;
    }
  }
  int32_t ring = (p->kh - 1) * p->dilation_h + 1;
  if (ring > p->h)
    ring = p->h;
  const size_t row = (size_t)p->w * p->c;
  int8_t *rows = malloc((size_t)ring * row);
  memset(rows, 0x5a, (size_t)ring * row);
  for (int32_t b = 0; b < p->n; ++b) {
    int32_t next = 0;
    for (int32_t oy = 0; oy < p->oh; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int32_t last = y0 + (p->kh - 1) * p->dilation_h;
      if (last > p->h - 1)
        last = p->h - 1;
      for (int32_t r = next > y0 ? next : (y0 > 0 ? y0 : 0); r <= last; ++r)
        memcpy(rows + (size_t)(r % ring) * row, k->x + ((size_t)b * p->h + r) * row, row);
      if (last + 1 > next)
        next = last + 1;
      for (int32_t ox = 0; ox < p->ow; ++ox)
        mcu_dw_row_s8(p, rows, ring, y0, ox, 1, k->w, wq, k->mult, k->shift, hr, k->bias,
                      y + ((size_t)(b * p->oh + oy) * p->ow + ox) * p->c);
    }
  }
  free(rows);
  free(wq);
  free(hr);
}

static int check_case(const dw_case_t *k, const char *what) {
  const mcu_k_conv_params_t *p = &k->p;
  const size_t nx = (size_t)p->n * p->h * p->w * p->c, ny = (size_t)p->n * p->oh * p->ow * p->o;
  int8_t *ref = malloc(ny), *got = malloc(ny);
  int ok = 1;
  run_ref(k, ref);
  memset(got, 0x33, ny);
  mcu_k_conv_dw_s8(&k->p, k->mult, k->shift, k->x, k->w, k->bias, got, NULL);
  ok &= !memcmp(ref, got, ny);
  CHECK(!memcmp(ref, got, ny), "%s: mcu_k_conv_dw_s8 differs (n%d h%d w%d c%d o%d k%dx%d s%d,%d d%d,%d p%d,%d)", what,
        p->n, p->h, p->w, p->c, p->o, p->kh, p->kw, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top,
        p->pad_left);
  if (p->o == p->c) {
    const size_t plane = (size_t)mcu_dw_inplace_ring(p).bytes; /* the scratch prepare gives it */
    ++g_variant[mcu_dw_inplace_ring(p).ok];
    if (mcu_dw_inplace_ring(p).ok == MCU_DW_RING16) /* the flat layout (padded plane within 2 S rows) or the ring */
      ++g_ring16_flat[mcu_dw_inplace_ring(p).flat];
    g_slice4 += mcu_dw_inplace_ring(p).ok && p->c >= 4 && p->dilation_w == 1;
    int8_t *scratch = malloc(plane);
    memset(scratch, 0x7f, plane);
    memset(got, 0x33, ny);
    mcu_k_conv_dw_inplace_s8(&k->p, k->mult, k->shift, k->x, k->w, k->bias, got, scratch);
    ok &= !memcmp(ref, got, ny);
    CHECK(!memcmp(ref, got, ny), "%s: in-place kernel, separate output, differs (c%d k%dx%d s%d)", what, p->c, p->kh,
          p->kw, p->stride_h);
    const size_t nb = nx > ny ? nx : ny;
    int8_t *buf = malloc(nb);
    memset(buf, 0x11, nb);
    memcpy(buf, k->x, nx);
    memset(scratch, 0x7f, plane);
    mcu_k_conv_dw_inplace_s8(&k->p, k->mult, k->shift, buf, k->w, k->bias, buf, scratch);
    ok &= !memcmp(ref, buf, ny);
    CHECK(!memcmp(ref, buf, ny), "%s: in-place kernel, out == in0, differs (c%d k%dx%d s%d)", what, p->c, p->kh, p->kw,
          p->stride_h);
    for (int packed = 0; packed < 2; ++packed) {
      memset(got, 0x33, ny);
      run_ring(k, got, packed);
      ok &= !memcmp(ref, got, ny);
      CHECK(!memcmp(ref, got, ny), "%s: mcu_dw_row_s8 over a ring differs (c%d k%dx%d s%d, packed weights %d)", what,
            p->c, p->kh, p->kw, p->stride_h, packed);
    }
    free(buf);
    free(scratch);
  }
  free(ref);
  free(got);
  return ok;
}

/* mcu_dw_mbqm against mcu_fx_mbqm on the edges of its short path and on random values. */
static void test_mbqm(void) {
  static const int32_t xs[] = {
      0,         1,         -1,       255,      -256, (1 << 30) - 1, -(1 << 30), 1 << 30, -(1 << 30) - 1,
      INT32_MAX, INT32_MIN, 12345678, -12345678};
  static const int32_t ms[] = {0, 1 << 30, INT32_MAX, 1518500250, 1073741825};
  int bad = 0;
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; ++i)
    for (size_t j = 0; j < sizeof ms / sizeof ms[0]; ++j)
      for (int32_t s = -31; s <= 31; ++s)
        bad += mcu_dw_mbqm(xs[i], ms[j], s) != mcu_fx_mbqm(xs[i], ms[j], s);
  for (int i = 0; i < 200000; ++i) {
    const int32_t x = rnd(0, 1) ? rnd(-(1 << 20), 1 << 20) : rnd(INT32_MIN, INT32_MAX);
    const int32_t m = rnd(1 << 30, INT32_MAX), s = rnd(-31, 31);
    bad += mcu_dw_mbqm(x, m, s) != mcu_fx_mbqm(x, m, s);
  }
  CHECK(bad == 0, "mcu_dw_mbqm differs from mcu_fx_mbqm in %d cases", bad);
  /* mcu_dw_rq_fast on every shift it accepts, the edge values and random ones. */
  bad = 0;
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; ++i)
    for (size_t j = 0; j < sizeof ms / sizeof ms[0]; ++j)
      for (int32_t s = -31; s <= -2; ++s) {
        int32_t hr[2];
        mcu_dw_rq_fast_make(&s, 1, hr);
        bad += mcu_dw_rq_fast(xs[i], ms[j], hr[0], hr[1]) != mcu_fx_mbqm(xs[i], ms[j], s);
      }
  for (int i = 0; i < 200000; ++i) {
    const int32_t x = rnd(0, 1) ? rnd(-(1 << 20), 1 << 20) : rnd(INT32_MIN, INT32_MAX);
    const int32_t m = rnd(0, INT32_MAX), s = rnd(-31, -2);
    int32_t hr[2];
    mcu_dw_rq_fast_make(&s, 1, hr);
    bad += !mcu_dw_rq_fast_ok(m, s) || mcu_dw_rq_fast(x, m, hr[0], hr[1]) != mcu_fx_mbqm(x, m, s);
  }
  CHECK(bad == 0, "mcu_dw_rq_fast differs from mcu_fx_mbqm in %d cases", bad);
}

int main(void) {
  test_mbqm();
  static const int32_t fixed[][4] = {{3, 3, 1, 1}, {3, 3, 2, 1}, {5, 5, 1, 1}, {5, 5, 2, 1}, {7, 7, 1, 1},
                                     {7, 7, 2, 1}, {3, 3, 1, 8}, {1, 1, 1, 1}, {3, 3, 3, 1}, {1, 7, 1, 1}};
  for (int rep = 0; rep < 20; ++rep)
    for (size_t f = 0; f < sizeof fixed / sizeof fixed[0]; ++f) {
      dw_case_t k;
      make_case(&k, fixed[f][0], fixed[f][1], fixed[f][2], fixed[f][3]);
      check_case(&k, "fixed");
      free_case(&k);
    }
  int failures = 0;
  for (int i = 0; i < 3000 && failures < 5; ++i) {
    dw_case_t k;
    make_case(&k, -1, -1, -1, -1);
    failures += !check_case(&k, "random");
    free_case(&k);
  }
  /* Larger planes, where the in-place ring takes 4-channel slices (the SMLAD pairs, odd and even tap counts). */
  g_min_hw = 16, g_max_hw = 30;
  for (int i = 0; i < 300; ++i) {
    dw_case_t k;
    make_case(&k, -1, -1, -1, 1);
    check_case(&k, "large");
    free_case(&k);
  }
  /* Maps too large for ring16's flat layout (5x5 / 7x7 windows at stride 1: the doubled ring). */
  g_min_hw = 40, g_max_hw = 56;
  for (int i = 0; i < 40; ++i) {
    dw_case_t k;
    make_case(&k, 5 + 2 * (i % 2), 5 + 2 * (i % 2), 1, 1);
    check_case(&k, "huge");
    free_case(&k);
  }
  g_min_hw = 1, g_max_hw = 11;
  /* Kernels taller than MCU_DW_KMAX and wider windows than the in-place kernel's local weight array. */
  for (int i = 0; i < 10; ++i) {
    dw_case_t k;
    make_case(&k, 9 + i % 3, 9, 1, 1);
    check_case(&k, "tall");
    free_case(&k);
  }
  CHECK(g_ring16_flat[0] > 20 && g_ring16_flat[1] > 20, "ring16 cases: ring %d, flat %d", g_ring16_flat[0],
        g_ring16_flat[1]);
  CHECK(g_fast_rows > 100, "only %d mcu_dw_row_s8 cases with the fast requantization", g_fast_rows);
  CHECK(g_slice4 > 100, "only %d in-place ring cases with >= 4 channels", g_slice4);
  CHECK(g_variant[0] >= 10 && g_variant[1] > 50 && g_variant[2] > 100,
        "in-place variants: plane %d, ring16 %d, ring4 %d cases", g_variant[0], g_variant[1], g_variant[2]);
  return mcu_test_finish();
}
