/* patch_plan_test.c: patch regions checked by running random chains whole and patch by patch. */
#include "patch_plan.h"

#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"

/* A stand-in layer with every dependency a real one has: a window layer's output at (y, x, c) mixes every input
 * value of its window (all channels, each tap weighted differently, padding positions skipped), an elementwise one
 * maps each value alone. Arithmetic is modulo 2^32, so any wrong or missing input changes the result. */
static void run_layer(const mcu_patch_layer_t *l, const uint32_t *in, int32_t ih, int32_t iw, int32_t pt, int32_t pl,
                      uint32_t *out, int32_t oh, int32_t ow) {
  for (int32_t y = 0; y < oh; ++y)
    for (int32_t x = 0; x < ow; ++x)
      for (int32_t c = 0; c < l->out_c; ++c) {
        uint32_t acc = 7u * (uint32_t)c + 1u;
        if (l->kind == MCU_PATCH_ELEMENTWISE) {
          acc = in[((size_t)y * iw + x) * l->in_c + c] * 2654435761u + 12345u;
        } else {
          for (int32_t ky = 0; ky < l->kh; ++ky)
            for (int32_t kx = 0; kx < l->kw; ++kx) {
              const int32_t iy = y * l->sh - pt + ky * l->dh, ix = x * l->sw - pl + kx * l->dw;
              if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
              for (int32_t ic = 0; ic < l->in_c; ++ic)
                acc += in[((size_t)iy * iw + ix) * l->in_c + ic] * (uint32_t)(31 * (ky * l->kw + kx) + 5 * ic + c + 3);
            }
        }
        out[((size_t)y * ow + x) * l->out_c + c] = acc;
      }
}

static int32_t rnd(int32_t lo, int32_t hi) { return lo + rand() % (hi - lo + 1); }

/* A random valid chain of n layers from an h x w x c input. */
static void random_chain(mcu_patch_layer_t *ls, int n, int32_t h, int32_t w, int32_t c) {
  for (int k = 0; k < n; ++k) {
    mcu_patch_layer_t *l = &ls[k];
    memset(l, 0, sizeof *l);
    l->in_h = h, l->in_w = w, l->in_c = c, l->in_elem = l->out_elem = 1;
    if (rand() % 4 == 0) {
      l->kind = MCU_PATCH_ELEMENTWISE;
      l->out_h = h, l->out_w = w, l->out_c = c;
    } else {
      l->kind = MCU_PATCH_WINDOW;
      l->kh = rnd(1, 7), l->kw = rnd(1, 7), l->sh = rnd(1, 3), l->sw = rnd(1, 3), l->dh = rnd(1, 2), l->dw = rnd(1, 2);
      const int32_t sph = (l->kh - 1) * l->dh + 1, spw = (l->kw - 1) * l->dw + 1;
      l->pad_top = rnd(0, sph - 1), l->pad_left = rnd(0, spw - 1);
      const int32_t pb = rnd(0, sph - 1), pr = rnd(0, spw - 1);
      const int32_t oh = (h + l->pad_top + pb - sph) / l->sh + 1, ow = (w + l->pad_left + pr - spw) / l->sw + 1;
      if (oh < 1 || ow < 1 || h + l->pad_top + pb < sph || w + l->pad_left + pr < spw) { /* too small: 1x1 */
        l->kh = l->kw = l->sh = l->sw = l->dh = l->dw = 1, l->pad_top = l->pad_left = 0;
        l->out_h = h, l->out_w = w;
      } else {
        l->out_h = oh, l->out_w = ow;
      }
      l->out_c = rnd(1, 3);
      l->macs_per_out = (uint64_t)l->kh * l->kw * l->in_c;
    }
    h = l->out_h, w = l->out_w, c = l->out_c;
  }
}

static void test_random_chains(void) {
  srand(7);
  int runs = 0;
  for (int trial = 0; trial < 300; ++trial) {
    mcu_patch_layer_t ls[5];
    const int n = rnd(1, 5);
    random_chain(ls, n, rnd(4, 24), rnd(4, 24), rnd(1, 3));
    CHECK(mcu_patch_check(ls, n) == NULL, "trial %d: chain rejected", trial);
    const mcu_patch_layer_t *last = &ls[n - 1];
    /* The whole chain. */
    uint32_t *cur = malloc((size_t)ls[0].in_h * ls[0].in_w * ls[0].in_c * sizeof *cur), *input = cur;
    for (int32_t i = 0; i < ls[0].in_h * ls[0].in_w * ls[0].in_c; ++i) cur[i] = (uint32_t)rand();
    uint32_t *full = NULL;
    for (int k = 0; k < n; ++k) {
      uint32_t *nx = malloc((size_t)ls[k].out_h * ls[k].out_w * ls[k].out_c * sizeof *nx);
      run_layer(&ls[k], cur, ls[k].in_h, ls[k].in_w, ls[k].pad_top, ls[k].pad_left, nx, ls[k].out_h, ls[k].out_w);
      if (cur != input) free(cur);
      cur = nx;
    }
    full = cur;
    const int rows = rnd(1, last->out_h < 4 ? last->out_h : 4), cols = rnd(1, last->out_w < 4 ? last->out_w : 4);
    uint32_t *patched = calloc((size_t)last->out_h * last->out_w * last->out_c, sizeof *patched);
    int ok = 1;
    for (int pi = 0; pi < rows && ok; ++pi)
      for (int pj = 0; pj < cols && ok; ++pj) {
        mcu_patch_call_t calls[5];
        mcu_status_t s = mcu_patch_calls(ls, n, rows, cols, pi, pj, calls);
        if (s) {
          mcu_status_free(s);
          ok = 0;
          break;
        }
        /* Gather layer 0's input region, then run every call on its region alone. */
        const mcu_region_t r0 = calls[0].in;
        int32_t h = r0.y1 - r0.y0, w = r0.x1 - r0.x0;
        uint32_t *buf = malloc((size_t)h * w * ls[0].in_c * sizeof *buf);
        for (int32_t y = 0; y < h; ++y)
          memcpy(buf + (size_t)y * w * ls[0].in_c, input + (((size_t)(r0.y0 + y) * ls[0].in_w) + r0.x0) * ls[0].in_c,
                 (size_t)w * ls[0].in_c * sizeof *buf);
        for (int k = 0; k < n; ++k) {
          const mcu_patch_call_t *c = &calls[k];
          const int32_t oh = c->out.y1 - c->out.y0, ow = c->out.x1 - c->out.x0;
          if (c->in.y1 - c->in.y0 != h || c->in.x1 - c->in.x0 != w) ok = 0;
          if (ls[k].kind == MCU_PATCH_WINDOW &&
              (h + c->pad_top + c->pad_bottom - ((ls[k].kh - 1) * ls[k].dh + 1)) / ls[k].sh + 1 != oh)
            ok = 0;
          uint32_t *nx = malloc((size_t)oh * ow * ls[k].out_c * sizeof *nx);
          run_layer(&ls[k], buf, h, w, c->pad_top, c->pad_left, nx, oh, ow);
          free(buf);
          buf = nx, h = oh, w = ow;
        }
        const mcu_region_t t = calls[n - 1].out;
        for (int32_t y = 0; y < h; ++y)
          memcpy(patched + (((size_t)(t.y0 + y) * last->out_w) + t.x0) * last->out_c, buf + (size_t)y * w * last->out_c,
                 (size_t)w * last->out_c * sizeof *buf);
        free(buf);
      }
    CHECK(ok && !memcmp(full, patched, (size_t)last->out_h * last->out_w * last->out_c * sizeof *full),
          "trial %d: %d layers, grid %dx%d: patched result differs from the whole chain", trial, n, rows, cols);
    mcu_patch_cost_t cost;
    /* One tile computes no more than the whole chain (less when a stride skips rows nothing reads); a split may
     * compute more (halos) or less (gaps between the tiles' fields), so it is only checked to succeed. */
    mcu_patch_cost_t one;
    mcu_status_t s1 = mcu_patch_cost(ls, n, rows, cols, &cost), s2 = mcu_patch_cost(ls, n, 1, 1, &one);
    CHECK(!s1 && !s2 && one.macs <= one.base_macs, "trial %d: one tile %llu MACs, unsplit %llu", trial,
          (unsigned long long)one.macs, (unsigned long long)one.base_macs);
    /* The separable computation equals walking every patch. */
    if (!s1) {
      mcu_patch_cost_t walk;
      memset(&walk, 0, sizeof walk);
      walk.base_macs = cost.base_macs;
      for (int pi = 0; pi < rows; ++pi)
        for (int pj = 0; pj < cols; ++pj) {
          mcu_patch_call_t calls[5];
          mcu_status_t s = mcu_patch_calls(ls, n, rows, cols, pi, pj, calls);
          mcu_status_free(s);
          for (int k = 0; k < n && !s; ++k) {
            const uint64_t a = (uint64_t)(calls[k].out.y1 - calls[k].out.y0) * (uint64_t)(calls[k].out.x1 - calls[k].out.x0);
            if (a * ls[k].out_c * ls[k].out_elem > walk.buf_bytes[k]) walk.buf_bytes[k] = a * ls[k].out_c * ls[k].out_elem;
            walk.macs += a * ls[k].out_c * ls[k].macs_per_out;
          }
          const uint64_t ia = (uint64_t)(calls[0].in.y1 - calls[0].in.y0) * (uint64_t)(calls[0].in.x1 - calls[0].in.x0);
          if (!s && ia * ls[0].in_c * ls[0].in_elem > walk.in_bytes) walk.in_bytes = ia * ls[0].in_c * ls[0].in_elem;
        }
      CHECK(!memcmp(&walk, &cost, sizeof walk), "trial %d: the separable cost equals the patch-by-patch walk", trial);
    }
    mcu_status_free(s1), mcu_status_free(s2);
    free(patched), free(full), free(input);
    ++runs;
  }
  CHECK(runs == 300, "ran %d trials", runs);
}

/* Figures worked by hand: a 3x3 stride-2 pad-1 conv (8x8 -> 4x4) then a 3x3 stride-1 pad-1 conv, 2x2 grid. */
static void test_known_halo(void) {
  mcu_patch_layer_t ls[2] = {
      {MCU_PATCH_WINDOW, 8, 8, 3, 4, 4, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 27},
      {MCU_PATCH_WINDOW, 4, 4, 16, 4, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 144},
  };
  mcu_patch_call_t c[2];
  CHECK(mcu_patch_calls(ls, 2, 2, 2, 0, 0, c) == NULL, "calls of tile (0, 0)");
  /* Output rows/cols [0, 2) need conv1 rows [0, 3) (one halo row; the top is padding: pad_top 1). */
  CHECK(c[1].out.y0 == 0 && c[1].out.y1 == 2 && c[1].in.y0 == 0 && c[1].in.y1 == 3 && c[1].pad_top == 1 &&
            c[1].pad_bottom == 0,
        "layer 1 tile (0,0): in rows [%d, %d) pads %d/%d", c[1].in.y0, c[1].in.y1, c[1].pad_top, c[1].pad_bottom);
  /* conv1 rows [0, 3) read input rows [-1, 6): [0, 6) and one pad row on top. */
  CHECK(c[0].in.y0 == 0 && c[0].in.y1 == 6 && c[0].pad_top == 1 && c[0].pad_bottom == 0,
        "layer 0 tile (0,0): in rows [%d, %d)", c[0].in.y0, c[0].in.y1);
  CHECK(mcu_patch_calls(ls, 2, 2, 2, 1, 1, c) == NULL, "calls of tile (1, 1)");
  CHECK(c[1].in.y0 == 1 && c[1].in.y1 == 4 && c[1].pad_top == 0 && c[1].pad_bottom == 1,
        "layer 1 tile (1,1): in rows [%d, %d) pads %d/%d", c[1].in.y0, c[1].in.y1, c[1].pad_top, c[1].pad_bottom);
  CHECK(c[0].in.y0 == 1 && c[0].in.y1 == 8 && c[0].pad_top == 0 && c[0].pad_bottom == 0,
        "layer 0 tile (1,1): in rows [%d, %d) pads %d/%d", c[0].in.y0, c[0].in.y1, c[0].pad_top, c[0].pad_bottom);
  mcu_patch_cost_t cost;
  CHECK(mcu_patch_cost(ls, 2, 2, 2, &cost) == NULL, "cost");
  /* conv1 computes a 3x3 region per tile (9 of 16 pixels, 36 in all instead of 16). */
  CHECK(cost.buf_bytes[0] == 3 * 3 * 16 && cost.buf_bytes[1] == 2 * 2 * 8, "buffers %llu %llu",
        (unsigned long long)cost.buf_bytes[0], (unsigned long long)cost.buf_bytes[1]);
  CHECK(cost.base_macs == 16 * 16 * 27 + 16 * 8 * 144 && cost.macs == 36 * 16 * 27 + 16 * 8 * 144, "macs %llu",
        (unsigned long long)cost.macs);
  CHECK(cost.in_bytes == 7 * 7 * 3, "gather bytes %llu", (unsigned long long)cost.in_bytes);
}

static void test_rejects(void) {
  mcu_patch_layer_t ls[2] = {
      {MCU_PATCH_WINDOW, 8, 8, 3, 4, 4, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 27},
      {MCU_PATCH_WINDOW, 5, 4, 16, 4, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 144},
  };
  mcu_status_t s = mcu_patch_check(ls, 2);
  CHECK(s != NULL, "a chain whose shapes do not meet is rejected");
  mcu_status_free(s);
  ls[1].in_h = 4;
  mcu_patch_call_t c[2];
  s = mcu_patch_calls(ls, 2, 5, 1, 0, 0, c);
  CHECK(s != NULL, "a grid with more rows than the output is rejected");
  mcu_status_free(s);
}

int main(void) {
  test_known_halo();
  test_random_chains();
  test_rejects();
  return mcu_test_finish();
}
