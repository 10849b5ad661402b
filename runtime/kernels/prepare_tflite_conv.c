/* prepare_tflite_conv.c: parameters of the TF Lite conv and fully connected kernels (multipliers per channel). */
#include <stdlib.h>
#include <string.h>

#include "k_conv_dw.h"
#include "k_tflite.h"
#include "prepare_tflite.h"
#include "prepare_util.h"

/* Effective scale as TF Lite Micro forms it for conv, depthwise conv and fully connected (PopulateConvolution-
 * QuantizationParams, GetQuantizedConvolutionMultipler, the per-channel FC path): (double)s_in * (double)s_w[o] /
 * (double)s_out, left to right, from the float32 scales; then QuantizeMultiplier. */
static mcu_status_t channel_multipliers(const mcu_layer_t *l, const mcu_tensor_t *x, const mcu_tensor_t *w,
                                        const mcu_tensor_t *y, int32_t units, mcu_kernel_call_t *call) {
  if (!mcu_prep_is_per_tensor(x) || !mcu_prep_is_per_tensor(y))
    return mcu_status_errorf("layer '%s': input and output need per-tensor quantization", l->name);
  if (!(w->num_scales == 1 || (w->num_scales == units && w->quant_axis == 0)) || !w->scales || !w->zero_points)
    return mcu_status_errorf("layer '%s': weights need per-tensor or per-output-channel quantization", l->name);
  int32_t *m = malloc(sizeof(int32_t) * (size_t)units), *s = malloc(sizeof(int32_t) * (size_t)units);
  mcu_status_t st = (m && s) ? NULL : mcu_status_errorf("layer '%s': out of memory", l->name);
  for (int32_t o = 0; !st && o < units; ++o) {
    const double sw = (double)(float)w->scales[w->num_scales == 1 ? 0 : o];
    const double real = (double)(float)x->scales[0] * sw / (double)(float)y->scales[0];
    if (mcu_quantize_multiplier(real, MCU_QM_MAX_SHIFT, &m[o], &s[o]))
      st = mcu_status_errorf("layer '%s': requantization scale %g out of range", l->name, real);
  }
  if (!st) st = mcu_prep_add_aux_i32(l, call, m, units);
  if (!st) st = mcu_prep_add_aux_i32(l, call, s, units);
  free(m);
  free(s);
  return st;
}

static int conv_types(const mcu_program_t *p, const mcu_layer_t *l, mcu_dtype_t dt, mcu_dtype_t bias_dt) {
  if (l->op != MCU_OP_CONV2D || l->numerics != MCU_NUMERICS_TFLITE) return 0;
  if (l->num_inputs < 2 || l->num_inputs > 3) return 0;
  if (!mcu_tfl_is(mcu_tfl_in(p, l, 0), dt) || !mcu_tfl_is(mcu_tfl_in(p, l, 1), dt) ||
      !mcu_tfl_is(mcu_tfl_out(p, l), dt))
    return 0;
  return l->num_inputs == 2 || mcu_tfl_is(mcu_tfl_in(p, l, 2), bias_dt);
}

int mcu_tfl_match_conv_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return conv_types(p, l, MCU_DT_I8, MCU_DT_I32);
}

int mcu_tfl_match_conv_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return conv_types(p, l, MCU_DT_F32, MCU_DT_F32);
}

/* Shapes and geometry shared by both conv kernels. */
static mcu_status_t conv_geometry(const mcu_program_t *p, const mcu_layer_t *l, mcu_k_conv_params_t *k) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  const mcu_tensor_t *b = l->num_inputs > 2 ? mcu_tfl_in(p, l, 2) : NULL;
  memset(k, 0, sizeof *k);
  if (x->rank != 4 || w->rank != 4 || y->rank != 4)
    return mcu_status_errorf("layer '%s': conv2d needs rank-4 input, filter and output", l->name);
  k->n = x->shape[0], k->h = x->shape[1], k->w = x->shape[2], k->c = x->shape[3];
  k->oh = y->shape[1], k->ow = y->shape[2], k->o = y->shape[3];
  k->kh = w->shape[1], k->kw = w->shape[2], k->groups = l->groups;
  k->stride_h = l->stride[0], k->stride_w = l->stride[1];
  k->dilation_h = l->dilation[0], k->dilation_w = l->dilation[1];
  k->pad_top = l->pad[0], k->pad_left = l->pad[1];
  if (k->groups < 1 || k->c % k->groups || k->o % k->groups || w->shape[0] != k->o ||
      w->shape[3] * k->groups != k->c || y->shape[0] != k->n || k->stride_h < 1 || k->stride_w < 1 ||
      k->dilation_h < 1 || k->dilation_w < 1 || (b && (b->rank < 1 || mcu_tensor_elements(b) != k->o)))
    return mcu_status_errorf("layer '%s': inconsistent conv2d shapes or attributes", l->name);
  /* The output size must follow from the padding (else the kernel would read the wrong window). */
  const int64_t eh = (int64_t)k->h + l->pad[0] + l->pad[2] - (int64_t)(k->kh - 1) * k->dilation_h - 1;
  const int64_t ew = (int64_t)k->w + l->pad[1] + l->pad[3] - (int64_t)(k->kw - 1) * k->dilation_w - 1;
  if (eh < 0 || ew < 0 || eh / k->stride_h + 1 != k->oh || ew / k->stride_w + 1 != k->ow)
    return mcu_status_errorf("layer '%s': conv2d output size does not match its padding", l->name);
  if (mcu_tensor_elements(x) > INT32_MAX || mcu_tensor_elements(y) > INT32_MAX ||
      mcu_tensor_elements(w) > INT32_MAX)
    return mcu_status_errorf("layer '%s': tensor too large", l->name);
  return NULL;
}

mcu_status_t mcu_tfl_prepare_conv_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_k_conv_params_t k;
  mcu_status_t s = conv_geometry(p, l, &k);
  if (s) return s;
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  if ((s = channel_multipliers(l, x, w, y, k.o, call))) return s;
  for (int i = 0; i < w->num_scales; ++i)
    if (w->zero_points[i] != 0) return mcu_status_errorf("layer '%s': int8 filter zero point must be 0", l->name);
  k.input_offset = -x->zero_points[0];
  k.output_offset = y->zero_points[0];
  if ((s = mcu_tfl_act_range_q8(l, y->dtype, &k.act_min, &k.act_max))) return s;
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* The in-place depthwise variant (k_conv.c): a layer that lowering marked in place on input 0 and that is
 * depthwise with depth multiplier 1. */
int mcu_tfl_match_conv_dw_inplace_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  if (!mcu_tfl_match_conv_s8(p, l) || !l->inplace || l->inplace_input != 0) return 0;
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  return x->rank == 4 && w->rank == 4 && y->rank == 4 && l->groups == x->shape[3] && y->shape[3] == x->shape[3] &&
         w->shape[3] == 1;
}

/* The same params as mcu_k_conv_s8; scratch: the kernel's padded ring of 4-channel rows, or one input plane of
 * every batch (n * h * w bytes) when the ring variant does not apply (mcu_dw_inplace_ring, k_conv_dw.h). */
mcu_status_t mcu_tfl_prepare_conv_dw_inplace_s8(const mcu_program_t *p, const mcu_layer_t *l,
                                                mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_tfl_prepare_conv_s8(p, l, call);
  if (s) return s;
  mcu_k_conv_params_t k;
  memcpy(&k, call->params, sizeof k);
  if (k.groups != k.c || k.o != k.c)
    return mcu_status_errorf("layer '%s': the in-place conv2d must be depthwise with multiplier 1", l->name);
  const mcu_dw_ring_t g = mcu_dw_inplace_ring(&k); /* the ring or the plane scratch (k_conv_dw.h) */
  if (g.bytes > INT32_MAX) return mcu_status_errorf("layer '%s': depthwise scratch too large", l->name);
  call->scratch_bytes = (uint32_t)g.bytes;
  call->inplace_mask = 1u;
  return NULL;
}

mcu_status_t mcu_tfl_prepare_conv_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_k_conv_params_t k;
  mcu_status_t s = conv_geometry(p, l, &k);
  if (s) return s;
  mcu_tfl_act_range_f32(l, &k.fact_min, &k.fact_max);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

static int fc_types(const mcu_program_t *p, const mcu_layer_t *l, mcu_dtype_t dt, mcu_dtype_t bias_dt) {
  if (l->op != MCU_OP_FULLY_CONNECTED || l->numerics != MCU_NUMERICS_TFLITE) return 0;
  if (l->num_inputs < 2 || l->num_inputs > 3) return 0;
  if (!mcu_tfl_is(mcu_tfl_in(p, l, 0), dt) || !mcu_tfl_is(mcu_tfl_in(p, l, 1), dt) ||
      !mcu_tfl_is(mcu_tfl_out(p, l), dt))
    return 0;
  return l->num_inputs == 2 || mcu_tfl_is(mcu_tfl_in(p, l, 2), bias_dt);
}

int mcu_tfl_match_fc_s8(const mcu_program_t *p, const mcu_layer_t *l) { return fc_types(p, l, MCU_DT_I8, MCU_DT_I32); }

int mcu_tfl_match_fc_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return fc_types(p, l, MCU_DT_F32, MCU_DT_F32);
}

static mcu_status_t fc_geometry(const mcu_program_t *p, const mcu_layer_t *l, mcu_k_fc_params_t *k) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  const mcu_tensor_t *b = l->num_inputs > 2 ? mcu_tfl_in(p, l, 2) : NULL;
  memset(k, 0, sizeof *k);
  if (w->rank != 2 || w->shape[1] < 1)
    return mcu_status_errorf("layer '%s': fully connected weights must be [units, depth]", l->name);
  const int64_t nx = mcu_tensor_elements(x), ny = mcu_tensor_elements(y);
  k->units = w->shape[0];
  k->depth = w->shape[1];
  if (nx % k->depth || nx > INT32_MAX || ny > INT32_MAX || mcu_tensor_elements(w) > INT32_MAX)
    return mcu_status_errorf("layer '%s': fully connected input is not rows of %d", l->name, (int)k->depth);
  k->batches = (int32_t)(nx / k->depth);
  if ((int64_t)k->batches * k->units != ny || (b && mcu_tensor_elements(b) != k->units))
    return mcu_status_errorf("layer '%s': fully connected output or bias shape mismatch", l->name);
  return NULL;
}

mcu_status_t mcu_tfl_prepare_fc_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_k_fc_params_t k;
  mcu_status_t s = fc_geometry(p, l, &k);
  if (s) return s;
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  if ((s = channel_multipliers(l, x, w, y, k.units, call))) return s;
  if (w->num_scales > 1)
    for (int i = 0; i < w->num_scales; ++i)
      if (w->zero_points[i] != 0)
        return mcu_status_errorf("layer '%s': per-channel weight zero points must be 0", l->name);
  k.input_offset = -x->zero_points[0];
  k.weights_offset = -w->zero_points[0];
  k.output_offset = y->zero_points[0];
  if ((s = mcu_tfl_act_range_q8(l, y->dtype, &k.act_min, &k.act_max))) return s;
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

mcu_status_t mcu_tfl_prepare_fc_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_k_fc_params_t k;
  mcu_status_t s = fc_geometry(p, l, &k);
  if (s) return s;
  mcu_tfl_act_range_f32(l, &k.fact_min, &k.fact_max);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}
