/* kernels_stream_test.c: the streamed inverted-residual block against the three ordinary conv kernels, bytewise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_call.h"
#include "mcu_test.h"

/* Each case builds random int8 TF Lite convs expand 1x1 -> depthwise kh x kw (strides 1/2, padding, dilation) ->
 * project 1x1 as three MCU_OP_CONV2D layers and as one MCU_OP_STREAM_BLOCK layer over the same tensors, runs both
 * through mcu_kernel_prepare / mcu_kernel_lookup (the reference's path, so the table entry, match and prepare are
 * tested too) and requires identical output bytes. The scratch is filled with garbage first: the kernel may not
 * rely on its contents. The fused scratch must also be smaller than the expanded tensor whenever h > the ring. */

static uint32_t g_rng = 2463534242u;
static int32_t rnd(int32_t lo, int32_t hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return lo + (int32_t)(g_rng % (uint32_t)(hi - lo + 1));
}
static double rnd_unit(void) { return (double)rnd(0, 1 << 20) / (double)(1 << 20); }

enum { T_X, T_WE, T_BE, T_E, T_WD, T_BD, T_D, T_WP, T_BP, T_Y, NT };

typedef struct {
  mcu_tensor_t t[NT];
  double sc[NT][64];
  int32_t zp[NT][64];
} tensors_t;

static void set_tensor(tensors_t *g, int i, mcu_dtype_t dt, int32_t a, int32_t b, int32_t c, int32_t d, int rank) {
  mcu_tensor_t *t = &g->t[i];
  memset(t, 0, sizeof *t);
  t->name = "";
  t->dtype = dt;
  t->rank = rank;
  t->shape[0] = a, t->shape[1] = b, t->shape[2] = c, t->shape[3] = d;
  t->quant_axis = -1;
  t->scales = g->sc[i];
  t->zero_points = g->zp[i];
  t->live_first = t->live_last = -1;
}

/* A quantized activation: per tensor, random scale near `base`, random zero point. */
static void act_q(tensors_t *g, int i, double base) {
  g->t[i].num_scales = 1;
  g->sc[i][0] = base * (0.5 + rnd_unit());
  g->zp[i][0] = rnd(-20, 20);
}

/* A constant int8 filter [o, kh, kw, ci] with per-tensor or per-channel scales. */
static void filter(tensors_t *g, int i, int32_t o, int32_t kh, int32_t kw, int32_t ci) {
  set_tensor(g, i, MCU_DT_I8, o, kh, kw, ci, 4);
  const int per_channel = rnd(0, 1);
  g->t[i].num_scales = per_channel ? o : 1;
  g->t[i].quant_axis = per_channel ? 0 : -1;
  for (int k = 0; k < g->t[i].num_scales; ++k) g->sc[i][k] = 0.01 * (0.2 + rnd_unit()), g->zp[i][k] = 0;
  const size_t n = (size_t)o * kh * kw * ci;
  g->t[i].storage = MCU_STORAGE_CONST;
  g->t[i].data = malloc(n);
  for (size_t k = 0; k < n; ++k) g->t[i].data[k] = (uint8_t)(int8_t)rnd(-127, 127);
}

static void bias(tensors_t *g, int i, int32_t o) {
  set_tensor(g, i, MCU_DT_I32, o, 0, 0, 0, 1);
  g->t[i].storage = MCU_STORAGE_CONST;
  g->t[i].data = malloc(4 * (size_t)o);
  for (int32_t k = 0; k < o; ++k) {
    int32_t v = rnd(-3000, 3000);
    memcpy(g->t[i].data + 4 * k, &v, 4);
  }
}

static void conv_layer(mcu_layer_t *l, int in, int out, int32_t groups) {
  memset(l, 0, sizeof *l);
  l->name = "c";
  l->op = MCU_OP_CONV2D;
  l->numerics = MCU_NUMERICS_TFLITE;
  l->num_inputs = 3;
  l->inputs[0] = in, l->inputs[1] = in + 1, l->inputs[2] = in + 2;
  l->output = out;
  l->stride[0] = l->stride[1] = l->dilation[0] = l->dilation[1] = 1;
  l->groups = groups;
  l->act_min = -128, l->act_max = 127;
  if (rnd(0, 2) == 0) l->act_min = rnd(-128, 0), l->act_max = rnd(l->act_min, 127); /* a fused ReLU-like range */
}

/* Runs layer l of program p with fresh buffers; returns the output bytes (malloc'd) and the call's scratch size. */
static uint8_t *run_layer(const mcu_program_t *p, const mcu_layer_t *l, const uint8_t *const *bufs,
                          uint32_t *out_scratch, const char **out_fn) {
  mcu_kernel_call_t c;
  mcu_status_t s = mcu_kernel_prepare(p, l, &c);
  CHECK(s == NULL, "prepare: %s", s ? mcu_status_message(s) : "");
  if (s) {
    mcu_status_free(s);
    return NULL;
  }
  mcu_kernel_fn fn = mcu_kernel_lookup(c.function);
  const size_t ny = (size_t)mcu_tensor_bytes(&p->tensors[l->output]);
  uint8_t *y = malloc(ny + 1), *scratch = c.scratch_bytes ? malloc(c.scratch_bytes) : NULL;
  if (scratch) memset(scratch, 0x5a, c.scratch_bytes);
  const void *in[3] = {NULL, NULL, NULL};
  for (int i = 0; i < 3 && i < l->num_inputs; ++i) in[i] = bufs[l->inputs[i]];
  fn(c.params, c.aux[0], c.aux[1], in[0], in[1], in[2], y, scratch);
  *out_scratch = c.scratch_bytes;
  *out_fn = c.function;
  free(scratch);
  mcu_kernel_call_release(&c);
  return y;
}

static void one_case(int id, int32_t kh, int32_t kw, int32_t sh, int32_t sw) {
  tensors_t g;
  memset(&g, 0, sizeof g);
  const int32_t n = rnd(1, 2), h = rnd(1, 11), w = rnd(1, 11), c = rnd(1, 8), ce = rnd(1, 40), co = rnd(1, 12);
  const int32_t dh = rnd(0, 4) == 0 ? 2 : 1, dw = rnd(0, 4) == 0 ? 2 : 1;
  int32_t pad[4];
  for (int i = 0; i < 4; ++i) pad[i] = rnd(0, ((i & 1) ? kw : kh) - 1);
  const int64_t eh = (int64_t)h + pad[0] + pad[2] - (int64_t)(kh - 1) * dh - 1;
  const int64_t ew = (int64_t)w + pad[1] + pad[3] - (int64_t)(kw - 1) * dw - 1;
  if (eh < 0 || ew < 0) { /* the window does not fit: make it fit by padding */
    pad[0] = pad[2] = (int32_t)((kh - 1) * dh);
    pad[1] = pad[3] = (int32_t)((kw - 1) * dw);
  }
  const int32_t oh = (h + pad[0] + pad[2] - (kh - 1) * dh - 1) / sh + 1;
  const int32_t ow = (w + pad[1] + pad[3] - (kw - 1) * dw - 1) / sw + 1;
  set_tensor(&g, T_X, MCU_DT_I8, n, h, w, c, 4);
  act_q(&g, T_X, 0.05);
  filter(&g, T_WE, ce, 1, 1, c);
  bias(&g, T_BE, ce);
  set_tensor(&g, T_E, MCU_DT_I8, n, h, w, ce, 4);
  act_q(&g, T_E, 0.05 * 0.01 * 4.0 * (double)(c > 1 ? c : 1));
  filter(&g, T_WD, ce, kh, kw, 1);
  bias(&g, T_BD, ce);
  set_tensor(&g, T_D, MCU_DT_I8, n, oh, ow, ce, 4);
  act_q(&g, T_D, g.sc[T_E][0] * 0.01 * 3.0 * kh);
  filter(&g, T_WP, co, 1, 1, ce);
  bias(&g, T_BP, co);
  set_tensor(&g, T_Y, MCU_DT_I8, n, oh, ow, co, 4);
  act_q(&g, T_Y, g.sc[T_D][0] * 0.01 * 4.0 * (ce > 1 ? ce : 1) / 2.0);

  mcu_layer_t l3[3];
  conv_layer(&l3[0], T_X, T_E, 1);
  conv_layer(&l3[1], T_E, T_D, ce);
  conv_layer(&l3[2], T_D, T_Y, 1);
  l3[1].stride[0] = sh, l3[1].stride[1] = sw, l3[1].dilation[0] = dh, l3[1].dilation[1] = dw;
  memcpy(l3[1].pad, pad, sizeof pad);
  mcu_program_t p3 = {.name = "t", .num_tensors = NT, .tensors = g.t, .num_layers = 3, .layers = l3};

  /* The fused layer over the same tensor array (E and D are simply unused by it). */
  mcu_layer_t lf = l3[1];
  lf.name = "s";
  lf.op = MCU_OP_STREAM_BLOCK;
  lf.num_inputs = 7;
  const int ins[7] = {T_X, T_WE, T_BE, T_WD, T_BD, T_WP, T_BP};
  memcpy(lf.inputs, ins, sizeof ins);
  lf.output = T_Y;
  lf.groups = 1;
  lf.act_min = l3[2].act_min, lf.act_max = l3[2].act_max;
  for (int k = 0; k < 2; ++k) {
    lf.mid_scale[k] = g.sc[k ? T_D : T_E][0];
    lf.mid_zero_point[k] = g.zp[k ? T_D : T_E][0];
    lf.mid_act[k][0] = l3[k].act_min, lf.mid_act[k][1] = l3[k].act_max;
  }
  mcu_program_t pf = p3;
  pf.num_layers = 1;
  pf.layers = &lf;

  const uint8_t *bufs[NT] = {NULL};
  const size_t nx = (size_t)n * h * w * c;
  uint8_t *x = malloc(nx);
  for (size_t i = 0; i < nx; ++i) x[i] = (uint8_t)rnd(0, 255);
  bufs[T_X] = x;
  for (int i = 0; i < NT; ++i)
    if (g.t[i].data) bufs[i] = g.t[i].data;
  uint32_t scr = 0, scr_f = 0;
  const char *fn = NULL;
  uint8_t *e = run_layer(&p3, &l3[0], bufs, &scr, &fn);
  bufs[T_E] = e;
  uint8_t *d = e ? run_layer(&p3, &l3[1], bufs, &scr, &fn) : NULL;
  bufs[T_D] = d;
  uint8_t *y = d ? run_layer(&p3, &l3[2], bufs, &scr, &fn) : NULL;
  uint8_t *yf = run_layer(&pf, &lf, bufs, &scr_f, &fn);
  CHECK(fn && !strcmp(fn, "mcu_k_stream_block_s8"), "case %d: fused layer ran %s", id, fn ? fn : "nothing");
  const size_t ny = (size_t)n * oh * ow * co;
  if (y && yf) {
    size_t diff = 0, first = 0;
    for (size_t i = ny; i-- > 0;)
      if (y[i] != yf[i]) ++diff, first = i;
    CHECK(diff == 0, "case %d (n%d h%d w%d c%d ce%d co%d k%dx%d s%dx%d d%dx%d pad %d,%d,%d,%d): %zu of %zu bytes "
          "differ, first at %zu", id, n, h, w, c, ce, co, kh, kw, sh, sw, dh, dw, pad[0], pad[1], pad[2], pad[3],
          diff, ny, first);
    /* The test can fail: the values must not all be one saturated constant. */
    int varied = 0;
    for (size_t i = 1; i < ny; ++i) varied |= y[i] != y[0];
    static int varied_cases;
    varied_cases += varied;
    if (id == 399) CHECK(varied_cases > 200, "only %d of 400 cases had varied outputs", varied_cases);
  }
  const int32_t ring = (kh - 1) * dh + 1 < h ? (kh - 1) * dh + 1 : h;
  /* ring + 4 depthwise pixels, 4-aligned, + 4 widened columns of max(c, ce) values (k_stream_block.h) */
  const int32_t widest = c > ce ? c : ce, block_words = 4 * (2 * (widest / 4) + 2);
  CHECK(scr_f == (uint32_t)((ring * w * ce + 4 * ce + 3) / 4 * 4 + block_words * 4), "case %d: scratch %u", id,
        scr_f);
  free(x), free(e), free(d), free(y), free(yf);
  for (int i = 0; i < NT; ++i) free(g.t[i].data);
}

/* The mcunet_vww1 peak block's shape: expand 40x40x8 -> 48, stride-2 3x3 depthwise, project to 16. */
static void scratch_of_vww1_block(void) {
  const int32_t ring = 3, w = 40, ce = 48, scratch = ring * w * ce + 4 * ce + 4 * 26 * 4;
  CHECK(scratch < 40 * 40 * 48, "ring %d < expanded %d", scratch, 40 * 40 * 48);
}

int main(void) {
  static const int32_t ks[4] = {1, 3, 5, 7};
  for (int id = 0; id < 400; ++id) {
    const int32_t kh = ks[rnd(0, 3)], kw = rnd(0, 3) ? kh : ks[rnd(0, 3)];
    one_case(id, kh, kw, rnd(1, 2), rnd(1, 2));
  }
  scratch_of_vww1_block();
  return mcu_test_finish();
}
