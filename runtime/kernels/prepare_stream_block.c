/* prepare_stream_block.c: the call of the streamed inverted-residual block from its three convs' own params. */
#include <stdlib.h>
#include <string.h>

#include "k_conv_dw.h"
#include "k_gemm_s8.h"
#include "k_stream_block.h"
#include "prepare_stream_block.h"
#include "prepare_tflite.h"

/* Why this way: the block's arithmetic must be the unfused convs' to the bit, so its params and multiplier tables
 * are not recomputed here: the layer is unfolded into a three-layer program (expand, depthwise, project over the
 * layer's own tensors plus the two inner tensors rebuilt from mid_scale / mid_zero_point) and each conv is
 * prepared by mcu_tfl_prepare_conv_s8, the same function the unfused layers go through. */

int mcu_tfl_match_stream_block_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->op != MCU_OP_STREAM_BLOCK || l->numerics != MCU_NUMERICS_TFLITE || l->num_inputs != 7) return 0;
  static const mcu_dtype_t want[7] = {MCU_DT_I8, MCU_DT_I8, MCU_DT_I32, MCU_DT_I8, MCU_DT_I32, MCU_DT_I8, MCU_DT_I32};
  for (int i = 0; i < 7; ++i)
    if (!mcu_tfl_is(mcu_tfl_in(p, l, i), want[i])) return 0;
  return mcu_tfl_is(mcu_tfl_out(p, l), MCU_DT_I8);
}

typedef struct {
  mcu_program_t p;
  mcu_tensor_t t[10];
  mcu_layer_t l[3];
} unfolded_t;

static void sub_layer(mcu_layer_t *s, const mcu_layer_t *l, int in, int out, int32_t lo, int32_t hi) {
  memset(s, 0, sizeof *s);
  s->name = l->name;
  s->op = MCU_OP_CONV2D;
  s->numerics = MCU_NUMERICS_TFLITE;
  s->num_inputs = 3;
  s->inputs[0] = in, s->inputs[1] = in + 1, s->inputs[2] = in + 2;
  s->output = out;
  s->stride[0] = s->stride[1] = s->dilation[0] = s->dilation[1] = s->groups = 1;
  s->act_min = lo, s->act_max = hi;
}

/* The inner tensor k (0: expanded, 1: depthwise output) of shape [n, hh, ww, ce]. */
static void inner_tensor(mcu_tensor_t *t, const mcu_layer_t *l, int k, int32_t n, int32_t hh, int32_t ww, int32_t ce) {
  memset(t, 0, sizeof *t);
  t->name = l->name;
  t->dtype = MCU_DT_I8;
  t->rank = 4;
  t->shape[0] = n, t->shape[1] = hh, t->shape[2] = ww, t->shape[3] = ce;
  t->quant_axis = -1;
  t->num_scales = 1;
  t->scales = (double *)&l->mid_scale[k];
  t->zero_points = (int32_t *)&l->mid_zero_point[k];
  t->storage = MCU_STORAGE_ARENA;
}

/* Fills u with the three-layer program equivalent to l (its tensors are shallow copies: nothing is owned). */
static mcu_status_t unfold(const mcu_program_t *p, const mcu_layer_t *l, unfolded_t *u) {
  memset(u, 0, sizeof *u);
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *we = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  if (x->rank != 4 || we->rank != 4 || y->rank != 4)
    return mcu_status_errorf("layer '%s': stream block needs rank-4 input, expand filter and output", l->name);
  const int32_t ce = we->shape[0];
  static const int from[10] = {0, 1, 2, -1, 3, 4, -2, 5, 6, -3};
  for (int i = 0; i < 10; ++i) {
    if (from[i] >= 0) u->t[i] = *mcu_tfl_in(p, l, from[i]);
    else if (from[i] == -3) u->t[i] = *y;
  }
  inner_tensor(&u->t[3], l, 0, x->shape[0], x->shape[1], x->shape[2], ce);
  inner_tensor(&u->t[6], l, 1, y->shape[0], y->shape[1], y->shape[2], ce);
  sub_layer(&u->l[0], l, 0, 3, l->mid_act[0][0], l->mid_act[0][1]);
  sub_layer(&u->l[1], l, 3, 6, l->mid_act[1][0], l->mid_act[1][1]);
  sub_layer(&u->l[2], l, 6, 9, l->act_min, l->act_max);
  mcu_layer_t *d = &u->l[1];
  memcpy(d->stride, l->stride, sizeof d->stride);
  memcpy(d->pad, l->pad, sizeof d->pad);
  memcpy(d->dilation, l->dilation, sizeof d->dilation);
  d->groups = ce;
  u->p.name = p->name;
  u->p.num_tensors = 10;
  u->p.tensors = u->t;
  u->p.num_layers = 3;
  u->p.layers = u->l;
  return NULL;
}

/* Prepares sub-layer i and appends its multiplier and shift tables (n values each) to tab. */
static mcu_status_t prepare_sub(const unfolded_t *u, int i, mcu_k_conv_params_t *out_k, int32_t *tab) {
  mcu_kernel_call_t c;
  memset(&c, 0, sizeof c);
  mcu_status_t s = mcu_tfl_prepare_conv_s8(&u->p, &u->l[i], &c);
  if (!s && (c.params_size != sizeof *out_k || c.num_aux != 2))
    s = mcu_status_errorf("layer '%s': unexpected conv2d call", u->l[i].name);
  if (!s) {
    memcpy(out_k, c.params, sizeof *out_k);
    memcpy(tab, c.aux[0], c.aux_size[0]);
    memcpy(tab + out_k->o, c.aux[1], c.aux_size[1]);
  }
  mcu_kernel_call_release(&c);
  return s;
}

/* bias'[o] += input_offset * sum_k w[o, k] (wrapping int32, as the GEMM core's accumulator). */
static void fold_bias(const int8_t *w, int32_t o_count, int32_t k, int32_t input_offset, int32_t *inout_bias) {
  for (int32_t o = 0; o < o_count; ++o) {
    uint32_t sum = 0;
    for (int32_t i = 0; i < k; ++i) sum += (uint32_t)(int32_t)w[(size_t)o * k + i];
    uint32_t v;
    memcpy(&v, &inout_bias[o], 4);
    v += sum * (uint32_t)input_offset;
    memcpy(&inout_bias[o], &v, 4);
  }
}

mcu_status_t mcu_tfl_prepare_stream_block_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  unfolded_t u;
  mcu_status_t s = unfold(p, l, &u);
  if (s) return s;
  const mcu_tensor_t *we = &u.t[1], *wd = &u.t[4], *wp = &u.t[7];
  const int32_t ce = we->shape[0];
  if (wp->rank != 4 || wd->rank != 4 || we->shape[1] != 1 || we->shape[2] != 1 || wp->shape[1] != 1 ||
      wp->shape[2] != 1 || wd->shape[0] != ce || wd->shape[3] != 1 || wp->shape[3] != ce)
    return mcu_status_errorf("layer '%s': stream block needs 1x1 expand/project and a multiplier-1 depthwise", l->name);
  const int32_t co = wp->shape[0];
  mcu_k_stream_params_t k;
  memset(&k, 0, sizeof k);
  int32_t *tab = calloc((size_t)(8 * ce + 3 * co), sizeof *tab);
  if (!tab) return mcu_status_errorf("layer '%s': out of memory", l->name);
  int32_t *d_tab = tab + 2 * ce, *p_tab = tab + 5 * ce;
  if (!(s = prepare_sub(&u, 0, &k.e, tab)) && !(s = prepare_sub(&u, 1, &k.d, d_tab)))
    s = prepare_sub(&u, 2, &k.p, p_tab);
  if (!s && (k.e.o != ce || k.d.c != ce || k.d.o != ce || k.d.groups != ce || k.p.c != ce || k.p.o != co ||
             k.e.h != k.d.h || k.e.w != k.d.w || k.d.oh != k.p.h || k.d.ow != k.p.w))
    s = mcu_status_errorf("layer '%s': inconsistent stream block shapes", l->name);
  /* Biases: the depthwise's and the projection's go to aux0 after their multipliers, then the expand's (folded). */
  if (!s && (!u.t[5].data || !u.t[8].data || !wd->data || !wp->data))
    s = mcu_status_errorf("layer '%s': stream block filters and biases must be constants", l->name);
  for (int32_t c = 0; !s && c < ce; ++c) memcpy(&d_tab[2 * ce + c], u.t[5].data + 4 * (size_t)c, 4);
  for (int32_t o = 0; !s && o < co; ++o) memcpy(&p_tab[2 * co + o], u.t[8].data + 4 * (size_t)o, 4);
  /* The GEMM core's folded biases (k_gemm_s8.h): p.bias' in place of p.bias, e.bias' after the projection's. */
  if (!s && (!we->data || (u.t[2].data == NULL)))
    s = mcu_status_errorf("layer '%s': stream block expand filter and bias must be constants", l->name);
  if (!s) {
    fold_bias((const int8_t *)wp->data, co, ce, k.p.input_offset, &p_tab[2 * co]);
    int32_t *e_bias = tab + 5 * ce + 3 * co;
    for (int32_t c = 0; c < ce; ++c) memcpy(&e_bias[c], u.t[2].data + 4 * (size_t)c, 4);
    fold_bias((const int8_t *)we->data, ce, k.e.c, k.e.input_offset, e_bias);
  }
  int64_t ring = 0, scratch = 0;
  if (!s) {
    ring = (int64_t)(k.d.kh - 1) * k.d.dilation_h + 1;
    if (ring > k.d.h) ring = k.d.h; /* the window's rows inside the image span at most h rows */
    /* ring, tile_n depthwise pixels, then (4-aligned) tile_n widened columns of max(c, ce) values */
    k.tile_m = 1, k.tile_n = 4;
    const int32_t widest = k.e.c > ce ? k.e.c : ce;
    const int64_t cols_offset = (ring * k.d.w * ce + (int64_t)k.tile_n * ce + 3) / 4 * 4;
    k.cols_offset = (int32_t)(cols_offset > INT32_MAX ? 0 : cols_offset);
    scratch = cols_offset + (int64_t)mcu_gemm_block_words(widest, k.tile_n) * 4;
    if (scratch > INT32_MAX) s = mcu_status_errorf("layer '%s': stream block scratch too large", l->name);
  }
  k.ring_rows = (int32_t)ring;
  if (!s) k.e_rq_mode = mcu_gemm_rq_mode(tab, tab + ce, ce), k.p_rq_mode = mcu_gemm_rq_mode(p_tab, p_tab + co, co);
  /* The depthwise step's short requantization when every channel allows it (mcu_dw_rq_fast, k_conv_dw.h). */
  if (!s) {
    k.d_rq_fast = 1;
    for (int32_t c = 0; c < ce; ++c) k.d_rq_fast &= mcu_dw_rq_fast_ok(d_tab[c], d_tab[ce + c]);
    if (k.d_rq_fast) mcu_dw_rq_fast_make(d_tab + ce, ce, tab + 6 * ce + 3 * co);
  }
  if (!s) s = mcu_prep_set_params(l, call, &k, sizeof k);
  if (!s) s = mcu_prep_add_aux_i32(l, call, tab, 8 * ce + 3 * co);
  free(tab);
  /* aux1: the depthwise filter packed for the 4-channel loops (mcu_dw_pack, k_conv_dw.h; little-endian words),
   * then the depthwise filter as is (the channels past the last multiple of 4), then the projection filter. */
  void *filters = NULL;
  const int32_t taps = k.d.kh * k.d.kw;
  const int64_t nq = 4 * (int64_t)mcu_dw_packed_words(ce, taps), nd = (int64_t)ce * taps, np = (int64_t)co * ce;
  if (!s && nq + nd + np > INT32_MAX) s = mcu_status_errorf("layer '%s': stream block filters too large", l->name);
  uint32_t *wq = NULL;
  if (!s && !(wq = malloc((size_t)nq + 4))) s = mcu_status_errorf("layer '%s': out of memory", l->name);
  if (!s) s = mcu_prep_new_aux(l, call, (uint32_t)(nq + nd + np), &filters);
  if (!s) {
    mcu_dw_pack((const int8_t *)wd->data, ce, taps, wq);
    uint8_t *f = filters;
    for (int64_t i = 0; i < nq / 4; ++i)
      for (int b = 0; b < 4; ++b) f[4 * i + b] = (uint8_t)(wq[i] >> (8 * b));
    memcpy(f + nq, wd->data, (size_t)nd);
    memcpy(f + nq + nd, wp->data, (size_t)np);
    call->scratch_bytes = (uint32_t)scratch;
  }
  free(wq);
  return s;
}
