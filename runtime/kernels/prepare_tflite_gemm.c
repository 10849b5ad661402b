/* prepare_tflite_gemm.c: calls of the fast conv / fully connected kernels (k_conv_gemm.c) and the layer's choice. */
#include <stdlib.h>
#include <string.h>

#include "k_gemm_s8.h"
#include "k_gemm_w16.h"
#include "kernel_select.h"
#include "prepare_gemm_w16.h"
#include "prepare_tflite.h"

/* The layer as the cost model sees it; 0 when it is no int8 TF Lite conv / fully connected layer. fast_numerics
 * needs a constant filter (its sums are folded into the bias at compile time) with zero point 0 (conv prepare
 * rejects others anyway; a fully connected layer with a nonzero per-tensor weights zero point stays scalar). */
int mcu_tfl_ksel_shape(const mcu_program_t *p, const mcu_layer_t *l, mcu_ksel_shape_t *out) {
  memset(out, 0, sizeof *out);
  const int conv = mcu_tfl_match_conv_s8(p, l), fc = !conv && mcu_tfl_match_fc_s8(p, l);
  if (!conv && !fc) return 0;
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  int zero_wzp = w->num_scales >= 1 && w->zero_points != NULL;
  for (int i = 0; zero_wzp && i < w->num_scales; ++i) zero_wzp = w->zero_points[i] == 0;
  out->fast_numerics = w->data != NULL && w->storage == MCU_STORAGE_CONST && zero_wzp;
  if (conv) {
    if (x->rank != 4 || w->rank != 4 || y->rank != 4) return 0;
    out->n = x->shape[0], out->h = x->shape[1], out->w = x->shape[2], out->c = x->shape[3];
    out->oh = y->shape[1], out->ow = y->shape[2], out->o = y->shape[3];
    out->kh = w->shape[1], out->kw = w->shape[2], out->groups = l->groups;
    out->stride_h = l->stride[0], out->stride_w = l->stride[1];
    out->dilation_h = l->dilation[0], out->dilation_w = l->dilation[1];
    out->padded = l->pad[0] || l->pad[1] || l->pad[2] || l->pad[3];
    return out->groups >= 1;
  }
  if (w->rank != 2 || w->shape[1] < 1) return 0;
  const int64_t nx = mcu_tensor_elements(x);
  if (nx % w->shape[1] || nx / w->shape[1] > INT32_MAX) return 0;
  out->is_fc = 1;
  out->n = out->h = out->oh = 1;
  out->w = out->ow = (int32_t)(nx / w->shape[1]);
  out->c = w->shape[1], out->o = w->shape[0];
  out->kh = out->kw = out->groups = out->stride_h = out->stride_w = out->dilation_h = out->dilation_w = 1;
  return 1;
}

/* The layer's kernel: the one select-kernels recorded (if it still applies), else the cost model's pick. */
mcu_ksel_choice_t mcu_tfl_kernel_choice(const mcu_program_t *p, const mcu_layer_t *l) {
  mcu_ksel_shape_t s;
  mcu_ksel_choice_t none = {MCU_KF_SCALAR, 0, 0, 1, -1};
  if (!mcu_tfl_ksel_shape(p, l, &s)) return none;
  const mcu_kfamily_t f = (mcu_kfamily_t)l->kernel_family;
  if (f != MCU_KF_AUTO && mcu_ksel_applies(&s, f, l->kernel_tile[0], l->kernel_tile[1])) {
    mcu_ksel_choice_t c = {f, l->kernel_tile[0], l->kernel_tile[1], l->kernel_tile[0] ? 4 : 1,
                           mcu_ksel_cost(&s, f, l->kernel_tile[0], l->kernel_tile[1])};
    return c;
  }
  return mcu_ksel_choose(&s, f, l->kernel_tile[0], l->kernel_tile[1]);
}

int mcu_tfl_match_conv_pw_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return mcu_tfl_match_conv_s8(p, l) && mcu_tfl_kernel_choice(p, l).family == MCU_KF_POINTWISE;
}

int mcu_tfl_match_conv_im2col_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  if (!mcu_tfl_match_conv_s8(p, l)) return 0;
  const mcu_kfamily_t f = mcu_tfl_kernel_choice(p, l).family;
  return f == MCU_KF_IM2COL || f == MCU_KF_FIRST;
}

int mcu_tfl_match_fc_gemm_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return mcu_tfl_match_fc_s8(p, l) && mcu_tfl_kernel_choice(p, l).family == MCU_KF_FC;
}

/* bias'[o] = bias[o] + input_offset * sum_k w[o, k], wrapping like the int32 accumulator (k_gemm_s8.h). */
static void fold_bias(const int8_t *w, const uint8_t *bias, int32_t o_count, int32_t k, int32_t input_offset,
                      int32_t *out_bias) {
  for (int32_t o = 0; o < o_count; ++o) {
    uint32_t sum = 0;
    for (int32_t i = 0; i < k; ++i) sum += (uint32_t)(int32_t)w[(size_t)o * k + i];
    int32_t b = 0;
    if (bias) memcpy(&b, bias + 4 * (size_t)o, 4);
    const uint32_t v = (uint32_t)b + sum * (uint32_t)input_offset;
    memcpy(&out_bias[o], &v, 4);
  }
}

/* out_amax[o] = |bias'[o]| + 128 sum_k |w[o, k]|, a bound of the accumulator |bias' + sum_k w x| over all int8
 * inputs x (mcu_gemm_mmla_ok). */
static void acc_bounds(const int8_t *w, const int32_t *bias, int32_t o_count, int32_t k, int64_t *out_amax) {
  for (int32_t o = 0; o < o_count; ++o) {
    int64_t sum = 0;
    for (int32_t i = 0; i < k; ++i) sum += w[(size_t)o * k + i] < 0 ? -(int64_t)w[(size_t)o * k + i] : w[(size_t)o * k + i];
    out_amax[o] = (bias[o] < 0 ? -(int64_t)bias[o] : bias[o]) + 128 * sum;
  }
}

/* Turns the scalar kernel's call (params, mult, shift) into the GEMM kernel's (gemm params, mult || shift (|| C for
 * MCU_GEMM_RQ_MMLA), bias'); the cheapest exact requantization mode the layer's constants allow (k_gemm_s8.h). */
static mcu_status_t to_gemm(const mcu_program_t *p, const mcu_layer_t *l, const mcu_k_conv_params_t *k,
                            const mcu_ksel_choice_t *ch, mcu_kernel_call_t *call) {
  const int direct = ch->family == MCU_KF_POINTWISE || ch->family == MCU_KF_FC;
  const mcu_tensor_t *w = mcu_tfl_in(p, l, 1), *b = l->num_inputs > 2 ? mcu_tfl_in(p, l, 2) : NULL;
  if (!w->data || (b && !b->data))
    return mcu_status_errorf("layer '%s': the fast kernels need a constant filter and bias", l->name);
  mcu_k_gemm_params_t g;
  memset(&g, 0, sizeof g);
  g.c = *k;
  const int64_t kk = (int64_t)k->kh * k->kw * k->c;
  if (kk > INT32_MAX / 4 || k->groups != 1) return mcu_status_errorf("layer '%s': reduction too long", l->name);
  g.k = (int32_t)kk;
  g.tile_m = ch->tile_m, g.tile_n = ch->tile_n;
  const int64_t scratch = mcu_gemm_scratch_bytes(g.tile_m, g.tile_n, direct, g.k, (int64_t)k->n * k->oh * k->ow);
  if (scratch > INT32_MAX) return mcu_status_errorf("layer '%s': im2col scratch too large", l->name);
  /* tab: mult[O], shift[O], bias'[O]; rec: the MMLA records (k_gemm_s8.h) */
  int32_t *tab = malloc(sizeof(int32_t) * 3 * (size_t)k->o), *rec = malloc(sizeof(int32_t) * 4 * (size_t)k->o);
  int64_t *amax = malloc(sizeof(int64_t) * (size_t)k->o);
  if (!tab || !rec || !amax) {
    free(tab);
    free(rec);
    free(amax);
    return mcu_status_errorf("layer '%s': out of memory", l->name);
  }
  int32_t *bias = tab + 2 * k->o;
  memcpy(tab, call->aux[0], 4 * (size_t)k->o);
  memcpy(tab + k->o, call->aux[1], 4 * (size_t)k->o);
  fold_bias((const int8_t *)w->data, b ? b->data : NULL, k->o, g.k, k->input_offset, bias);
  acc_bounds((const int8_t *)w->data, bias, k->o, g.k, amax);
  g.rq_mode = mcu_gemm_rq_mode_mmla(tab, tab + k->o, amax, k->o, k->output_offset);
  if (g.rq_mode < 0) g.rq_mode = mcu_gemm_rq_mode(tab, tab + k->o, k->o);
  const int mmla = g.rq_mode >= MCU_GEMM_RQ_MMLA;
  for (int32_t o = 0; mmla && o < k->o; ++o) /* the records {bias', m, C, R} */
    rec[4 * o] = bias[o], rec[4 * o + 1] = tab[o], rec[4 * o + 2] = mcu_gemm_mmla_nudge(-tab[k->o + o], k->output_offset),
    rec[4 * o + 3] = -tab[k->o + o];
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0);
  g.x_aligned = x->storage == MCU_STORAGE_ARENA && k->c % 4 == 0;
  /* the 4x1 tile, its 4x16 form, the 2x1 tile (k_gemm_w16.h): a stream in aux0 (biases inside) */
  const int w16 = g.tile_m == 4 && (g.tile_n == 1 || g.tile_n == 16), compact = w16 && g.tile_n == 16;
  const int stream = w16 || (g.tile_m == 2 && g.tile_n == 1);
  if (w16) g.w16_epi = mcu_w16_epi_form(g.rq_mode, k, rec, amax, k->o, &g.w16_shift);
  if (compact && g.w16_shift) g.w16_epi = MCU_W16_EPI_SIGN, g.w16_shift = 0; /* no per-channel filter scales */
  free(amax);
  const char *function = call->function; /* set by the caller (kernel_call.c) */
  mcu_kernel_call_release(call);
  memset(call, 0, sizeof *call);
  call->function = function;
  mcu_status_t s = mcu_prep_set_params(l, call, &g, sizeof g);
  /* aux1: the epilogue's tables unless fused into the stream */
  const int fused = w16 && g.w16_epi != MCU_W16_EPI_C;
  const mcu_w16_spec_t spec = {k->o, g.k, g.tile_m, g.rq_mode, g.w16_epi, g.w16_shift, k->output_offset, compact};
  if (!s && stream) s = mcu_prep_w16_stream(l, call, (const int8_t *)w->data, bias, rec, &spec, 0);
  if (!s && !fused) s = mmla ? mcu_prep_add_aux_i32(l, call, rec, 4 * k->o) : mcu_prep_add_aux_i32(l, call, tab, 2 * k->o);
  if (!s && !mmla && !stream) s = mcu_prep_add_aux_i32(l, call, bias, k->o);
  free(tab);
  free(rec);
  if (!s) call->scratch_bytes = (uint32_t)scratch;
  return s;
}

static mcu_status_t prepare_conv_gemm(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_tfl_prepare_conv_s8(p, l, call);
  if (s) return s;
  mcu_k_conv_params_t k;
  memcpy(&k, call->params, sizeof k);
  const mcu_ksel_choice_t ch = mcu_tfl_kernel_choice(p, l);
  s = to_gemm(p, l, &k, &ch, call);
  if (s) mcu_kernel_call_release(call);
  return s;
}

mcu_status_t mcu_tfl_prepare_conv_pw_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return prepare_conv_gemm(p, l, call);
}

mcu_status_t mcu_tfl_prepare_conv_im2col_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return prepare_conv_gemm(p, l, call);
}

/* FULLY_CONNECTED as the 1x1 conv of mcu_k_gemm_params_t. */
mcu_status_t mcu_tfl_prepare_fc_gemm_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_tfl_prepare_fc_s8(p, l, call);
  if (s) return s;
  mcu_k_fc_params_t f;
  memcpy(&f, call->params, sizeof f);
  if (f.weights_offset != 0) {
    mcu_kernel_call_release(call);
    return mcu_status_errorf("layer '%s': the fast fully connected kernel needs weights zero point 0", l->name);
  }
  mcu_k_conv_params_t k;
  memset(&k, 0, sizeof k);
  k.n = 1, k.h = k.oh = 1, k.w = k.ow = f.batches, k.c = f.depth, k.o = f.units;
  k.kh = k.kw = k.groups = k.stride_h = k.stride_w = k.dilation_h = k.dilation_w = 1;
  k.input_offset = f.input_offset, k.output_offset = f.output_offset;
  k.act_min = f.act_min, k.act_max = f.act_max;
  const mcu_ksel_choice_t ch = mcu_tfl_kernel_choice(p, l);
  s = to_gemm(p, l, &k, &ch, call);
  if (s) mcu_kernel_call_release(call);
  return s;
}
