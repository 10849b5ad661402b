/* onnx_geom.c: the ONNX importer's convolution/pooling windows and the pooling builders (AveragePool, MaxPool,
 * GlobalAveragePool, GlobalMaxPool and their com.microsoft QLinear forms). */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

/* ONNX's output size per spatial dimension: floor((in + pad_begin + pad_end - dil*(k-1) - 1) / stride) + 1, or the
 * ceiling with ceil_mode (then a last window starting in the end padding is dropped, as ONNX's reference does);
 * auto_pad SAME_UPPER/SAME_LOWER computes pads giving ceil(in / stride) outputs (the odd pad at the end for UPPER,
 * the beginning for LOWER), VALID none. ceil_mode is expressed as extra end padding, which both mcu pooling ops
 * ignore (max) or exclude from the count (average), exactly what ONNX does with count_include_pad = 0. Weakness:
 * ceil_mode with count_include_pad = 1 is refused by the caller. */
mcu_status_t onnx_window(importer_t *imp, const int64_t in[2], const int64_t kernel[2], int pool, window_t *w) {
  mcu_status_t s;
  memset(w, 0, sizeof *w);
  for (int i = 0; i < 2; ++i) {
    w->kernel[i] = kernel[i];
    w->strides[i] = w->dil[i] = 1;
  }
  int64_t ceil_mode = 0;
  if ((s = onnx_attr_ints(imp, "strides", 2, w->strides)) || (s = onnx_attr_ints(imp, "dilations", 2, w->dil)) ||
      (s = onnx_attr_ints(imp, "pads", 4, w->pads)) || (pool && (s = onnx_attr_int(imp, "ceil_mode", 0, &ceil_mode))))
    return s;
  if (kernel[0] < 1 || kernel[1] < 1 || kernel[0] > MAX_WINDOW || kernel[1] > MAX_WINDOW)
    return onnx_fail(imp, "kernel %lldx%lld is empty or too large", (long long)kernel[0], (long long)kernel[1]);
  for (int i = 0; i < 2; ++i)
    if (w->strides[i] < 1 || w->strides[i] > MAX_WINDOW || w->dil[i] < 1 || w->dil[i] > MAX_WINDOW)
      return onnx_fail(imp, "strides and dilations must be in [1, %lld]", (long long)MAX_WINDOW);
  if (pool && (w->dil[0] != 1 || w->dil[1] != 1))
    return onnx_fail(imp, "dilated pooling is not supported");
  for (int i = 0; i < 4; ++i)
    if (w->pads[i] < 0 || w->pads[i] > MAX_WINDOW)
      return onnx_fail(imp, "pads must be in [0, %lld]", (long long)MAX_WINDOW);
  char mode[16];
  if ((s = onnx_attr_str(imp, "auto_pad", "NOTSET", mode, sizeof mode)))
    return s;
  int upper = !strcmp(mode, "SAME_UPPER"), lower = !strcmp(mode, "SAME_LOWER");
  if (!strcmp(mode, "VALID")) {
    memset(w->pads, 0, sizeof w->pads);
  } else if (upper || lower) {
    for (int i = 0; i < 2; ++i) {
      int64_t out = (in[i] + w->strides[i] - 1) / w->strides[i];
      int64_t total = (out - 1) * w->strides[i] + w->dil[i] * (kernel[i] - 1) + 1 - in[i];
      if (total < 0)
        total = 0;
      w->pads[i] = upper ? total / 2 : total - total / 2;
      w->pads[i + 2] = total - w->pads[i];
    }
  } else if (strcmp(mode, "NOTSET")) {
    return onnx_fail(imp, "auto_pad '%s' is not supported", mode);
  }
  for (int i = 0; i < 2; ++i) {
    int64_t span = in[i] + w->pads[i] + w->pads[i + 2] - w->dil[i] * (kernel[i] - 1) - 1;
    if (span < 0)
      return onnx_fail(imp, "the kernel is larger than the padded input");
    w->out[i] = span / w->strides[i] + 1;
    if (ceil_mode && !upper && !lower) {
      int64_t out = (span + w->strides[i] - 1) / w->strides[i] + 1;
      if ((out - 1) * w->strides[i] >= in[i] + w->pads[i])
        --out;
      if (out > w->out[i]) {
        w->pads[i + 2] += (out - 1) * w->strides[i] + kernel[i] - (in[i] + w->pads[i] + w->pads[i + 2]);
        w->out[i] = out;
      }
    }
  }
  return NULL;
}

/* The NHWC form of a 4-D activation: its twin (channels_last = 0) or the value itself (channels_last = 1). */
static mcu_status_t nhwc_input(importer_t *imp, value_t *x, MlirType elem, int channels_last, MlirValue *out) {
  if (x->rank != 4)
    return onnx_fail(imp, "only 2-D pooling on 4-D tensors is supported (input rank %d)", x->rank);
  return channels_last ? onnx_get_nchw(imp, x, elem, out) : onnx_get_nhwc(imp, x, elem, out);
}

/* The output value of a pooling node: NHWC [N, oh, ow, C]; in ONNX layout [N, C, oh, ow] unless channels_last. */
static mcu_status_t pool_output(importer_t *imp, MlirValue in, int64_t oh, int64_t ow, const char *op,
                                MlirType out_elem, int out_dtype, int channels_last, int nattrs,
                                const MlirNamedAttribute *attrs) {
  MlirType t = mlirValueGetType(in);
  int64_t N = mlirShapedTypeGetDimSize(t, 0), C = mlirShapedTypeGetDimSize(t, 3);
  int64_t nhwc[4] = {N, oh, ow, C};
  value_t proto = {.dtype = out_dtype, .rank = 4, .pending_src = -1};
  if (channels_last)
    memcpy(proto.dims, nhwc, sizeof nhwc);
  else {
    int64_t d[4] = {N, C, oh, ow};
    memcpy(proto.dims, d, sizeof d);
  }
  if (!mcu_onnx_shape_count(4, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  value_t *y;
  mcu_status_t s = onnx_node_output(imp, &proto, &y);
  if (s)
    return s;
  MlirValue r = onnx_emit(imp, op, 1, &in, onnx_tensor_type(4, nhwc, out_elem), nattrs, attrs, imp->node_name);
  if (channels_last)
    y->nchw = r;
  else
    y->nhwc = r;
  return NULL;
}

mcu_status_t onnx_pool(importer_t *imp, value_t *x, int max, MlirType in_elem, MlirType out_elem, int out_dtype,
                       int channels_last) {
  mcu_status_t s;
  if (x->rank != 4)
    return onnx_fail(imp, "only 2-D pooling on 4-D tensors is supported (input rank %d)", x->rank);
  int64_t ks[2] = {0, 0}, cip = 0, order = 0;
  if ((s = onnx_attr_ints(imp, "kernel_shape", 2, ks)) || (s = onnx_attr_int(imp, "count_include_pad", 0, &cip)) ||
      (s = onnx_attr_int(imp, "storage_order", 0, &order)))
    return s;
  if (!onnx_find_attr(imp, "kernel_shape"))
    return onnx_fail(imp, "attribute 'kernel_shape' is missing");
  if (order)
    return onnx_fail(imp, "storage_order 1 is not supported");
  if (imp->node->n_output > 1 && imp->node->output[1] && *imp->node->output[1])
    return onnx_fail(imp, "the Indices output is not supported");
  int64_t in[2] = {channels_last ? x->dims[1] : x->dims[2], channels_last ? x->dims[2] : x->dims[3]};
  window_t w;
  if ((s = onnx_window(imp, in, ks, 1, &w)))
    return s;
  if (!max && cip && (w.pads[0] || w.pads[1] || w.pads[2] || w.pads[3]))
    return onnx_fail(imp, "count_include_pad 1 with padding is not supported (padded positions are excluded)");
  MlirValue v;
  if ((s = nhwc_input(imp, x, in_elem, channels_last, &v)))
    return s;
  MlirNamedAttribute attrs[3] = {
      mcu_named(imp->ctx, "kernel", onnx_i64_array(imp, 2, w.kernel)),
      mcu_named(imp->ctx, "strides", onnx_i64_array(imp, 2, w.strides)),
      mcu_named(imp->ctx, "pads", onnx_i64_array(imp, 4, w.pads)),
  };
  return pool_output(imp, v, w.out[0], w.out[1], max ? "mcu.max_pool2d" : "mcu.avg_pool2d", out_elem, out_dtype,
                     channels_last, 3, attrs);
}

mcu_status_t onnx_global_pool(importer_t *imp, value_t *x, MlirType in_elem, MlirType out_elem, int out_dtype,
                              int channels_last) {
  MlirValue v;
  mcu_status_t s = nhwc_input(imp, x, in_elem, channels_last, &v);
  if (s)
    return s;
  int64_t axes[2] = {1, 2};
  MlirNamedAttribute a = mcu_named(imp->ctx, "axes", onnx_i64_array(imp, 2, axes));
  return pool_output(imp, v, 1, 1, "mcu.mean", out_elem, out_dtype, channels_last, 1, &a);
}
