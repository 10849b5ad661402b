/* prepare_misc_pool.c: compile-time parameters of pooling and the source-index tables of nearest resize. */
#include <math.h>
#include <string.h>

#include "k_misc.h"
#include "prepare_misc.h"

/* Input and output NHWC rank 4 with equal batch and channel counts. */
static mcu_status_t nhwc_pair(const mcu_layer_t *l, const mcu_tensor_t *x, const mcu_tensor_t *y) {
  if (x->rank != 4 || y->rank != 4)
    return mcu_status_errorf("layer '%s' (%s): input and output must be NHWC (rank 4)", l->name, mcu_op_name(l->op));
  if (x->shape[0] != y->shape[0] || x->shape[3] != y->shape[3])
    return mcu_status_errorf("layer '%s' (%s): batch or channel counts differ", l->name, mcu_op_name(l->op));
  for (int i = 0; i < 4; ++i)
    if (x->shape[i] < 1 || y->shape[i] < 1)
      return mcu_status_errorf("layer '%s' (%s): empty tensor", l->name, mcu_op_name(l->op));
  return NULL;
}

/* AVERAGE_POOL_2D / MAX_POOL_2D. Only the top and left padding enter TF Lite's arithmetic (the output shape
 * bounds the rest). An average window that lies entirely in the padding makes TF Lite Micro fail: rejected. The
 * int8 clamp is [act_min, act_max] intersected with the int8 range. Like TF Lite Micro, the kernels do not
 * requantize: input and output quantization are expected to be equal (the TFLite converter guarantees it). */
mcu_status_t mcu_prepare_pool(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  if ((s = nhwc_pair(l, x, y))) return s;
  if (l->stride[0] < 1 || l->stride[1] < 1 || l->kernel[0] < 1 || l->kernel[1] < 1 || l->pad[0] < 0 ||
      l->pad[1] < 0)
    return mcu_status_errorf("layer '%s' (%s): bad stride, window or padding", l->name, mcu_op_name(l->op));
  mcu_k_pool_params_t prm;
  memset(&prm, 0, sizeof prm);
  prm.batches = x->shape[0];
  prm.in_h = x->shape[1];
  prm.in_w = x->shape[2];
  prm.channels = x->shape[3];
  prm.out_h = y->shape[1];
  prm.out_w = y->shape[2];
  prm.stride_h = l->stride[0];
  prm.stride_w = l->stride[1];
  prm.pad_h = l->pad[0];
  prm.pad_w = l->pad[1];
  prm.kernel_h = l->kernel[0];
  prm.kernel_w = l->kernel[1];
  if ((int64_t)(prm.out_h - 1) * prm.stride_h + prm.kernel_h > INT32_MAX / 2 ||
      (int64_t)(prm.out_w - 1) * prm.stride_w + prm.kernel_w > INT32_MAX / 2 ||
      (int64_t)prm.kernel_h * prm.kernel_w * 255 > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): window too large", l->name, mcu_op_name(l->op));
  prm.act_min = l->act_min < -128 ? -128 : l->act_min;
  prm.act_max = l->act_max > 127 ? 127 : l->act_max;
  prm.fact_min = l->fact_min;
  prm.fact_max = l->fact_max;
  if (x->dtype == MCU_DT_I8 && prm.act_min > prm.act_max)
    return mcu_status_errorf("layer '%s' (%s): empty activation range", l->name, mcu_op_name(l->op));
  if (l->op == MCU_OP_AVG_POOL) {
    for (int32_t oy = 0; oy < prm.out_h; ++oy) {
      const int32_t iy = oy * prm.stride_h - prm.pad_h;
      if (iy >= prm.in_h || iy + prm.kernel_h <= 0)
        return mcu_status_errorf("layer '%s' (avg_pool): output row %d averages no input", l->name, (int)oy);
    }
    for (int32_t ox = 0; ox < prm.out_w; ++ox) {
      const int32_t ix = ox * prm.stride_w - prm.pad_w;
      if (ix >= prm.in_w || ix + prm.kernel_w <= 0)
        return mcu_status_errorf("layer '%s' (avg_pool): output column %d averages no input", l->name, (int)ox);
    }
  }
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}

/* TF Lite's GetNearestNeighbor in float32: scale = (in - 1) / (out - 1) with align_corners (and out > 1), else
 * in / out; offset 0.5 with half_pixel_centers; index = round half away from zero ((i + offset) * scale) with
 * align_corners, else floor; then min(index, in - 1), and max(0, .) with half_pixel_centers. */
static int32_t nearest(int32_t i, int32_t in_size, int32_t out_size, int align_corners, int half_pixel_centers) {
  const float scale = (align_corners && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1)
                                                      : (float)in_size / (float)out_size;
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float v = ((float)i + offset) * scale;
  int32_t r = align_corners ? (int32_t)roundf(v) : (int32_t)floorf(v);
  r = r < in_size - 1 ? r : in_size - 1;
  if (half_pixel_centers) r = r > 0 ? r : 0;
  return r;
}

/* RESIZE_NEAREST_NEIGHBOR: the source row and column of every output row and column become aux0/aux1. */
mcu_status_t mcu_prepare_resize_nearest(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  if ((s = nhwc_pair(l, x, y))) return s;
  if (x->dtype != y->dtype)
    return mcu_status_errorf("layer '%s' (resize_nearest): input and output types differ", l->name);
  const int64_t pixel = (int64_t)x->shape[3] * (int64_t)mcu_dtype_size(x->dtype);
  if (pixel > INT32_MAX || mcu_tensor_bytes(x) > INT32_MAX || mcu_tensor_bytes(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (resize_nearest): tensor too large", l->name);
  mcu_k_resize_params_t prm = {x->shape[0], x->shape[1], x->shape[2], y->shape[1], y->shape[2], (int32_t)pixel};
  void *rows, *cols;
  if ((s = mcu_prep_new_aux(l, call, (uint32_t)prm.out_h * 4u, &rows)) ||
      (s = mcu_prep_new_aux(l, call, (uint32_t)prm.out_w * 4u, &cols)))
    return s;
  for (int32_t i = 0; i < prm.out_h; ++i)
    ((int32_t *)rows)[i] = nearest(i, prm.in_h, prm.out_h, l->align_corners, l->half_pixel_centers);
  for (int32_t i = 0; i < prm.out_w; ++i)
    ((int32_t *)cols)[i] = nearest(i, prm.in_w, prm.out_w, l->align_corners, l->half_pixel_centers);
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}
