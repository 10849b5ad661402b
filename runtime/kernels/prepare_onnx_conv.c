/* prepare_onnx_conv.c: ONNX-numerics int8 convolutions on the fast kernels (GEMM core, depthwise), ONNX epilogue. */
#include <stdlib.h>
#include <string.h>

#include "k_conv_dw.h"
#include "k_gemm_s8.h"
#include "k_gemm_w16.h"
#include "k_onnx_rq.h"
#include "kernel_select.h"
#include "prepare_gemm_w16.h"
#include "prepare_onnx.h"
#include "prepare_tflite.h"
#include "prepare_util.h"
#include "ref.h"

/* What: an ONNX int8 convolution (QLinearConv / QDQ, numerics == MCU_NUMERICS_ONNX, int8 activations and filter)
 * runs on the same DSP kernels as a TF Lite one (k_conv_gemm.c pointwise / im2col / first layer, k_conv_dw.c
 * depthwise) with ONNX's float32 requantization as their epilogue (MCU_GEMM_RQ_ONNX, mcu_k_conv_params_t.onnx_rq).
 * Why it is exact: with filter zero point 0 the reference's accumulator (targets/cg_conv.c, runtime/ref/conv2d.c)
 * acc = bias + sum w * (x - zx) is the TF Lite kernels' sum with input_offset = -zx (padded positions contribute
 * nothing on both sides); int32 wrapping sums are order independent. The epilogue is mcu_onnx_rq, equal to
 * mcu_ref_requantize when |acc * m| < 2^22: checked per output channel at compile time from the bound
 * |acc| <= |bias[o]| + 255 * sum |w[o, :]| (|x - zx| <= 255 for int8 x and zx) by mcu_onnx_rq_short_ok; m[o] is
 * mcu_ref_requant_scale(s_x, s_w[o], s_y), the very float the reference uses.
 * When it does not apply (uint8 activations or filter, a nonzero filter zero point, a non-constant filter or bias,
 * per-axis input/output quantization, a channel failing the bound check, --kernel scalar), the layer is not matched
 * and code generation keeps its scalar loop nest (cg_conv.c).
 * Known weakness: the bound is the worst case over all inputs, so a layer with huge weights times a large
 * multiplier (which would saturate anyway) stays on the scalar path although most real accumulators are small. */

static const mcu_tensor_t *in_t(const mcu_program_t *p, const mcu_layer_t *l, int i) { return mcu_tfl_in(p, l, i); }
static const mcu_tensor_t *out_t(const mcu_program_t *p, const mcu_layer_t *l) { return mcu_tfl_out(p, l); }

/* An ONNX-numerics CONV2D with int8 input, filter and output, an optional int32 bias, rank-4 tensors. */
static int onnx_conv_s8_types(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->op != MCU_OP_CONV2D || l->numerics != MCU_NUMERICS_ONNX || l->num_inputs < 2 || l->num_inputs > 3) return 0;
  const mcu_tensor_t *x = in_t(p, l, 0), *w = in_t(p, l, 1), *y = out_t(p, l);
  if (!mcu_tfl_is(x, MCU_DT_I8) || !mcu_tfl_is(w, MCU_DT_I8) || !mcu_tfl_is(y, MCU_DT_I8)) return 0;
  if (l->num_inputs == 3 && !mcu_tfl_is(in_t(p, l, 2), MCU_DT_I32)) return 0;
  return x->rank == 4 && w->rank == 4 && y->rank == 4 && w->shape[0] == y->shape[3] && w->shape[0] >= 1;
}

/* The float32 multiplier of output channel o (mcu_ref_requant_scale, as the reference computes it). */
static float channel_multiplier(const mcu_tensor_t *x, const mcu_tensor_t *w, const mcu_tensor_t *y, int32_t o) {
  return mcu_ref_requant_scale(x->scales[0], w->scales[w->num_scales > 1 ? o : 0], y->scales[0]);
}

/* Whether the fast kernels reproduce the reference for this layer (the conditions in the comment at the top). */
static int onnx_conv_fast_ok(const mcu_program_t *p, const mcu_layer_t *l) {
  if (!onnx_conv_s8_types(p, l)) return 0;
  const mcu_tensor_t *x = in_t(p, l, 0), *w = in_t(p, l, 1), *y = out_t(p, l);
  const mcu_tensor_t *b = l->num_inputs > 2 ? in_t(p, l, 2) : NULL;
  const int32_t o_count = w->shape[0];
  if (!mcu_prep_is_per_tensor(x) || !mcu_prep_is_per_tensor(y)) return 0;
  if (!w->scales || !w->zero_points || !(w->num_scales == 1 || (w->num_scales == o_count && w->quant_axis == 0)))
    return 0;
  for (int i = 0; i < w->num_scales; ++i)
    if (w->zero_points[i] != 0) return 0;
  if (!w->data || w->storage != MCU_STORAGE_CONST) return 0;
  if (b && (!b->data || b->storage != MCU_STORAGE_CONST || mcu_tensor_elements(b) != o_count)) return 0;
  const int64_t per = mcu_tensor_elements(w) / o_count; /* kh * kw * c / groups values per output channel */
  const int8_t *wv = (const int8_t *)w->data;
  /* A splat filter (lower.c's mark; the NAS cost queries' zero weights) has the same sum of |w| in every channel:
   * per * |w[0]|, what the loop below adds up, without reading the filter. */
  const int32_t w0 = per > 0 ? wv[0] : 0;
  const int64_t splat_bound = w->splat ? per * (w0 < 0 ? -(int64_t)w0 : w0) : -1;
  /* Per-tensor filter scale: one multiplier for every channel (channel_multiplier(.., o) does not depend on o). */
  const float m_tensor = channel_multiplier(x, w, y, 0);
  if (w->num_scales == 1) {
    /* One multiplier: each channel's check below grows with its bound, so the largest |bias| settles them all when
     * it passes (the worst-case weights, then a splat filter's exact sum); otherwise the channels one by one. */
    int64_t bmax = 0;
    for (int32_t o = 0; b && o < (b->splat ? 1 : o_count); ++o) {
      int32_t bo;
      memcpy(&bo, (const uint8_t *)b->data + 4 * (size_t)o, 4);
      const int64_t a = bo < 0 ? -(int64_t)bo : bo;
      bmax = a > bmax ? a : bmax;
    }
    if (mcu_onnx_rq_short_ok(255 * 128 * per + bmax, m_tensor)) return 1;
    if (splat_bound >= 0 && mcu_onnx_rq_short_ok(255 * splat_bound + bmax, m_tensor)) return 1;
  }
  for (int32_t o = 0; o < o_count; ++o) {
    int64_t babs = 0;
    if (b) {
      int32_t bo;
      memcpy(&bo, (const uint8_t *)b->data + 4 * (size_t)o, 4);
      babs = bo < 0 ? -(int64_t)bo : bo;
    }
    const float m = w->num_scales > 1 ? channel_multiplier(x, w, y, o) : m_tensor;
    /* The weights' worst case (|w| <= 128) first: it settles almost every channel without reading its filter
     * (this runs for every lowering of the layer, e.g. in each NAS cost query); the exact sum only when it fails. */
    if (mcu_onnx_rq_short_ok(255 * 128 * per + babs, m)) continue;
    int64_t bound = splat_bound;
    if (bound < 0) {
      bound = 0;
      for (int64_t i = 0; i < per; ++i) {
        const int32_t v = wv[(size_t)o * (size_t)per + (size_t)i];
        bound += v < 0 ? -v : v;
      }
    }
    if (!mcu_onnx_rq_short_ok(bound * 255 + babs, m)) return 0;
  }
  return 1;
}

int mcu_onnx_ksel_shape(const mcu_program_t *p, const mcu_layer_t *l, mcu_ksel_shape_t *out) {
  memset(out, 0, sizeof *out);
  if (!onnx_conv_s8_types(p, l)) return 0;
  const mcu_tensor_t *x = in_t(p, l, 0), *w = in_t(p, l, 1), *y = out_t(p, l);
  out->fast_numerics = onnx_conv_fast_ok(p, l);
  out->n = x->shape[0], out->h = x->shape[1], out->w = x->shape[2], out->c = x->shape[3];
  out->oh = y->shape[1], out->ow = y->shape[2], out->o = y->shape[3];
  out->kh = w->shape[1], out->kw = w->shape[2], out->groups = l->groups;
  out->stride_h = l->stride[0], out->stride_w = l->stride[1];
  out->dilation_h = l->dilation[0], out->dilation_w = l->dilation[1];
  out->padded = l->pad[0] || l->pad[1] || l->pad[2] || l->pad[3];
  return out->groups >= 1;
}

/* The layer's kernel: the one select-kernels recorded (if it still applies), else the cost model's pick. */
mcu_ksel_choice_t mcu_onnx_kernel_choice(const mcu_program_t *p, const mcu_layer_t *l) {
  mcu_ksel_shape_t s;
  mcu_ksel_choice_t none = {MCU_KF_SCALAR, 0, 0, 1, -1};
  if (!mcu_onnx_ksel_shape(p, l, &s)) return none;
  const mcu_kfamily_t f = (mcu_kfamily_t)l->kernel_family;
  if (f != MCU_KF_AUTO && mcu_ksel_applies(&s, f, l->kernel_tile[0], l->kernel_tile[1])) {
    mcu_ksel_choice_t c = {f, l->kernel_tile[0], l->kernel_tile[1], l->kernel_tile[0] ? 4 : 1,
                           mcu_ksel_cost(&s, f, l->kernel_tile[0], l->kernel_tile[1])};
    return c;
  }
  return mcu_ksel_choose(&s, f, l->kernel_tile[0], l->kernel_tile[1]);
}

int mcu_onnx_match_conv_pw_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_conv_s8_types(p, l) && mcu_onnx_kernel_choice(p, l).family == MCU_KF_POINTWISE;
}

int mcu_onnx_match_conv_im2col_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  if (!onnx_conv_s8_types(p, l)) return 0;
  const mcu_kfamily_t f = mcu_onnx_kernel_choice(p, l).family;
  return f == MCU_KF_IM2COL || f == MCU_KF_FIRST;
}

/* Depthwise with depth multiplier >= 1, not in place (mark-inplace leaves ONNX convs alone), and the fast
 * numerics (the depthwise family itself does not require them in the cost model). */
int mcu_onnx_match_conv_dw_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  if (!onnx_conv_s8_types(p, l) || l->inplace) return 0;
  const mcu_tensor_t *x = in_t(p, l, 0), *w = in_t(p, l, 1), *y = out_t(p, l);
  if (!(x->shape[3] >= 1 && l->groups == x->shape[3] && w->shape[3] == 1 && y->shape[3] % x->shape[3] == 0))
    return 0;
  return mcu_onnx_kernel_choice(p, l).family == MCU_KF_DEPTHWISE && onnx_conv_fast_ok(p, l);
}

/* mcu_k_conv_params_t of the layer (geometry, offsets, stored range) and its float multipliers (out_m: o_count
 * floats, freed by the caller). Errors name the layer. */
static mcu_status_t onnx_conv_params(const mcu_program_t *p, const mcu_layer_t *l, mcu_k_conv_params_t *k,
                                     float **out_m) {
  *out_m = NULL;
  if (!onnx_conv_fast_ok(p, l))
    return mcu_status_errorf("layer '%s' (%s): ONNX conv does not meet the fast kernels' conditions (int8, filter "
                             "zero point 0, constant filter and bias, accumulator bound)",
                             l->name, mcu_op_name(l->op));
  const mcu_tensor_t *x = in_t(p, l, 0), *w = in_t(p, l, 1), *y = out_t(p, l);
  memset(k, 0, sizeof *k);
  k->n = x->shape[0], k->h = x->shape[1], k->w = x->shape[2], k->c = x->shape[3];
  k->oh = y->shape[1], k->ow = y->shape[2], k->o = y->shape[3];
  k->kh = w->shape[1], k->kw = w->shape[2], k->groups = l->groups;
  k->stride_h = l->stride[0], k->stride_w = l->stride[1];
  k->dilation_h = l->dilation[0], k->dilation_w = l->dilation[1];
  k->pad_top = l->pad[0], k->pad_left = l->pad[1];
  if (k->groups < 1 || k->c % k->groups || k->o % k->groups || w->shape[3] * k->groups != k->c ||
      y->shape[0] != k->n || k->stride_h < 1 || k->stride_w < 1 || k->dilation_h < 1 || k->dilation_w < 1 ||
      l->pad[0] < 0 || l->pad[1] < 0 || l->pad[2] < 0 || l->pad[3] < 0)
    return mcu_status_errorf("layer '%s': inconsistent conv2d shapes or attributes", l->name);
  const int64_t eh = (int64_t)k->h + l->pad[0] + l->pad[2] - (int64_t)(k->kh - 1) * k->dilation_h - 1;
  const int64_t ew = (int64_t)k->w + l->pad[1] + l->pad[3] - (int64_t)(k->kw - 1) * k->dilation_w - 1;
  if (eh < 0 || ew < 0 || eh / k->stride_h + 1 != k->oh || ew / k->stride_w + 1 != k->ow)
    return mcu_status_errorf("layer '%s': conv2d output size does not match its padding", l->name);
  if (mcu_tensor_elements(x) > INT32_MAX || mcu_tensor_elements(y) > INT32_MAX || mcu_tensor_elements(w) > INT32_MAX)
    return mcu_status_errorf("layer '%s': tensor too large", l->name);
  k->input_offset = -x->zero_points[0];
  k->output_offset = y->zero_points[0];
  mcu_status_t s = mcu_tfl_act_range_q8(l, y->dtype, &k->act_min, &k->act_max);
  if (s) return s;
  float *m = malloc(sizeof(float) * (size_t)k->o);
  if (!m) return mcu_status_errorf("layer '%s': out of memory", l->name);
  const float m_tensor = channel_multiplier(x, w, y, 0); /* every channel's, for a per-tensor filter scale */
  for (int32_t o = 0; o < k->o; ++o) m[o] = w->num_scales > 1 ? channel_multiplier(x, w, y, o) : m_tensor;
  *out_m = m;
  return NULL;
}

/* GEMM kernels (k_conv_gemm.c): params mcu_k_gemm_params_t with rq_mode MCU_GEMM_RQ_ONNX; aux0: int32 [2 * O], the
 * bits of the float multipliers then O zeros (the shift half of the TF Lite layout); aux1: int32 bias'[O] = bias[O]
 * + input_offset * sum_k w[o, k] (wrapping); scratch as for the TF Lite layers. */
static mcu_status_t prepare_gemm(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_k_conv_params_t k;
  float *m;
  mcu_status_t s = onnx_conv_params(p, l, &k, &m);
  if (s) return s;
  const mcu_ksel_choice_t ch = mcu_onnx_kernel_choice(p, l);
  const int64_t kk = (int64_t)k.kh * k.kw * k.c;
  if (k.groups != 1 || kk > INT32_MAX / 4) {
    free(m);
    return mcu_status_errorf("layer '%s': the GEMM kernels need groups 1 and a reduction below 2^29", l->name);
  }
  mcu_k_gemm_params_t g;
  memset(&g, 0, sizeof g);
  g.c = k;
  g.k = (int32_t)kk;
  g.tile_m = ch.tile_m, g.tile_n = ch.tile_n;
  g.rq_mode = MCU_GEMM_RQ_ONNX;
  const int64_t scratch =
      mcu_gemm_scratch_bytes(g.tile_m, g.tile_n, ch.family == MCU_KF_POINTWISE, g.k, (int64_t)k.n * k.oh * k.ow);
  int32_t *tab = calloc(3 * (size_t)k.o, sizeof(int32_t));
  if (!tab || scratch > INT32_MAX) {
    free(tab);
    free(m);
    return mcu_status_errorf("layer '%s': out of memory or im2col scratch too large", l->name);
  }
  memcpy(tab, m, sizeof(float) * (size_t)k.o);
  free(m);
  const mcu_tensor_t *w = in_t(p, l, 1), *b = l->num_inputs > 2 ? in_t(p, l, 2) : NULL;
  const int8_t *wv = (const int8_t *)w->data;
  for (int32_t o = 0; o < k.o && !p->sizes_only; ++o) { /* a sizes-only query reads no aux content */
    uint32_t sum = 0;
    for (int32_t i = 0; i < g.k; ++i) sum += (uint32_t)(int32_t)wv[(size_t)o * (size_t)g.k + (size_t)i];
    uint32_t bo = 0;
    if (b) memcpy(&bo, (const uint8_t *)b->data + 4 * (size_t)o, 4);
    const uint32_t v = bo + sum * (uint32_t)k.input_offset;
    memcpy(&tab[2 * (size_t)k.o + (size_t)o], &v, 4);
  }
  g.x_aligned = in_t(p, l, 0)->storage == MCU_STORAGE_ARENA && k.c % 4 == 0;
  s = mcu_prep_set_params(l, call, &g, sizeof g);
  /* the 4x1 tile, its 4x16 form, the 2x1 tile: aux0 its stream (biases inside; not doubled: ONNX's epilogue) */
  const int w16 = (g.tile_m == 4 && (g.tile_n == 1 || g.tile_n == 16)) || (g.tile_m == 2 && g.tile_n == 1);
  const mcu_w16_spec_t spec = {k.o, g.k, g.tile_m, g.rq_mode, MCU_W16_EPI_C, 0, 0, g.tile_n == 16};
  if (!s && w16) s = mcu_prep_w16_stream(l, call, wv, tab + 2 * k.o, NULL, &spec, p->sizes_only);
  if (!s) s = mcu_prep_add_aux_i32(l, call, tab, 2 * k.o);
  if (!s && !w16) s = mcu_prep_add_aux_i32(l, call, tab + 2 * k.o, k.o);
  free(tab);
  if (!s) call->scratch_bytes = (uint32_t)scratch;
  return s;
}

mcu_status_t mcu_onnx_prepare_conv_pw_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return prepare_gemm(p, l, call);
}

mcu_status_t mcu_onnx_prepare_conv_im2col_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return prepare_gemm(p, l, call);
}

/* Depthwise kernel (mcu_k_conv_dw_s8): params mcu_k_conv_params_t with onnx_rq = 1 (mcu_dw_out then applies
 * mcu_onnx_rq); aux0: int32 [O], the bits of the float multipliers; aux1: int32 [O] zeros (the unused shifts); in2:
 * the layer's bias. */
mcu_status_t mcu_onnx_prepare_conv_dw_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_k_conv_params_t k;
  float *m;
  mcu_status_t s = onnx_conv_params(p, l, &k, &m);
  if (s) return s;
  int32_t *tab = malloc(sizeof(int32_t) * 2 * (size_t)k.o);
  if (!tab) {
    free(m);
    return mcu_status_errorf("layer '%s': out of memory", l->name);
  }
  memcpy(tab, m, sizeof(float) * (size_t)k.o);
  free(m);
  for (int32_t o = 0; o < k.o; ++o) tab[k.o + o] = 0;
  k.onnx_rq = 1;
  s = mcu_prep_set_params(l, call, &k, sizeof k);
  if (!s) s = mcu_prep_add_aux_i32(l, call, tab, k.o);
  if (!s) s = mcu_prep_add_aux_i32(l, call, tab + k.o, k.o);
  free(tab);
  return s;
}
