/* onnx_ops_shape.c: the ONNX importer's data-movement operators (Squeeze, Unsqueeze, Concat, Pad, Resize, Upsample,
 * Transpose), the shape computations folded at import time (Shape, Size, Gather, Cast, ConstantOfShape) and their
 * table. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

static MlirType f32(importer_t *imp) { return mlirF32TypeGet(imp->ctx); }

/* Makes the node's first output another name of value x. */
static mcu_status_t bind_output0(importer_t *imp, const value_t *x) {
  const Onnx__NodeProto *n = imp->node;
  if (n->n_output < 1 || !n->output[0] || !*n->output[0])
    return onnx_fail(imp, "the node has no output");
  return onnx_name_bind(imp, n->output[0], x->index);
}

/* Squeeze / Unsqueeze -> mcu.reshape (folded on constants). Axes from the attribute (opset < 13) or the constant
 * input 1; Squeeze without axes drops every dimension of size 1. e->arg 1: Unsqueeze. */
static mcu_status_t import_squeeze(importer_t *imp, const onnx_op_entry_t *e) {
  int unsqueeze = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  int64_t axes[MCU_MAX_RANK + 1];
  int n = -1;
  const Onnx__AttributeProto *a = onnx_find_attr(imp, "axes");
  if (a) {
    if ((s = onnx_attr_check(imp, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, "a list of ints")))
      return s;
    if (a->n_ints > MCU_MAX_RANK)
      return onnx_fail(imp, "too many axes");
    n = (int)a->n_ints;
    if (n > 0) memcpy(axes, a->ints, (size_t)n * sizeof *axes); /* no memcpy from NULL (an empty list) */
  } else if ((s = onnx_input_ints(imp, 1, 0, MCU_MAX_RANK, axes, &n))) {
    return s;
  }
  if (unsqueeze && n < 0)
    return onnx_fail(imp, "axes are missing");
  int out_rank = unsqueeze ? x->rank + n : x->rank;
  if (out_rank > MCU_MAX_RANK)
    return onnx_fail(imp, "rank %d exceeds %d", out_rank, MCU_MAX_RANK);
  int mark[MCU_MAX_RANK] = {0};
  for (int i = 0; i < n; ++i) {
    int ax;
    if ((s = onnx_norm_axis(imp, axes[i], out_rank, 0, &ax)))
      return s;
    if (mark[ax])
      return onnx_fail(imp, "axis %d is listed twice", ax);
    if (!unsqueeze && x->dims[ax] != 1)
      return onnx_fail(imp, "dimension %d has size %lld, not 1", ax, (long long)x->dims[ax]);
    mark[ax] = 1;
  }
  int64_t dims[MCU_MAX_RANK];
  int rank = 0;
  if (unsqueeze) {
    for (int i = 0, k = 0; i < out_rank; ++i)
      dims[rank++] = mark[i] ? 1 : x->dims[k++];
  } else {
    for (int i = 0; i < x->rank; ++i)
      if (!(n < 0 ? x->dims[i] == 1 : mark[i]))
        dims[rank++] = x->dims[i];
  }
  return onnx_reshape_output(imp, x, rank, dims);
}

/* Concat: folded when every input is a constant (shape vectors); float activations -> a chain of mcu.concat (NHWC
 * for the channel axis of 4-D activations with NHWC twins). */
static mcu_status_t import_concat(importer_t *imp, const onnx_op_entry_t *e) {
  size_t n = imp->node->n_input;
  mcu_status_t s;
  if (n < 1 || n > 4096)
    return onnx_fail(imp, "%zu inputs", n);
  value_t **xs = onnx_alloc(imp, n * sizeof *xs);
  MlirType *elems = onnx_alloc(imp, n * sizeof *elems);
  if (!xs || !elems)
    return onnx_oom(imp);
  int all_const = 1, k = 0;
  for (size_t i = 0; i < n; ++i) {
    value_t *v;
    if ((s = onnx_node_input(imp, (int)i, 0, &v)))
      return s;
    if (!v)
      continue;
    all_const &= v->data != NULL;
    xs[k++] = v;
  }
  if (!k)
    return onnx_fail(imp, "no inputs");
  int64_t axis64;
  int axis;
  if (!onnx_find_attr(imp, "axis"))
    return onnx_fail(imp, "attribute 'axis' is missing");
  if ((s = onnx_attr_int(imp, "axis", 0, &axis64)) || (s = onnx_norm_axis(imp, axis64, xs[0]->rank, 0, &axis)))
    return s;
  if (k == 1)
    return bind_output0(imp, xs[0]);
  if (all_const) {
    int64_t dims[MCU_MAX_RANK], count, outer = 1;
    memcpy(dims, xs[0]->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < k; ++i) {
      if (xs[i]->rank != xs[0]->rank || xs[i]->dtype != xs[0]->dtype)
        return onnx_fail(imp, "inputs differ in rank or dtype");
      for (int d = 0; d < xs[0]->rank; ++d)
        if (d != axis && xs[i]->dims[d] != xs[0]->dims[d])
          return onnx_fail(imp, "inputs differ in dimension %d", d);
      dims[axis] += xs[i]->dims[axis];
      if (dims[axis] > MAX_ELEMENTS)
        return onnx_fail(imp, "output too large");
    }
    if (!mcu_onnx_shape_count(xs[0]->rank, dims, &count))
      return onnx_fail(imp, "output too large");
    for (int d = 0; d < axis; ++d)
      outer *= dims[d];
    size_t es = mcu_onnx_dtype_size(xs[0]->dtype), o = 0;
    uint8_t *data = onnx_alloc(imp, (size_t)count * es);
    if (!data)
      return onnx_oom(imp);
    for (int64_t r = 0; r < outer; ++r)
      for (int i = 0; i < k; ++i) {
        size_t chunk = outer ? (size_t)(xs[i]->count / outer) * es : 0;
        memcpy(data + o, xs[i]->data + (size_t)r * chunk, chunk);
        o += chunk;
      }
    return onnx_const_output(imp, 0, xs[0]->dtype, xs[0]->rank, dims, data);
  }
  for (int i = 0; i < k; ++i) {
    if (xs[i]->dtype != DT_FLOAT)
      return onnx_fail(imp, "input '%s' has dtype %s, only FLOAT is supported", xs[i]->name,
                       mcu_onnx_dtype_name(xs[i]->dtype));
    elems[i] = f32(imp);
  }
  return onnx_concat(imp, k, xs, elems, axis, f32(imp), DT_FLOAT);
}

/* Pad (mode constant) -> mcu.pad; pads (and the value) from attributes (opset < 11) or constant inputs (with the
 * optional axes input of opset 18). On a 4-D input with an NHWC twin the pad runs there, its pads permuted. */
static mcu_status_t import_pad(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x, *cv = NULL;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  if (x->dtype != DT_FLOAT)
    return onnx_fail(imp, "input '%s' has dtype %s, only FLOAT is supported", x->name, mcu_onnx_dtype_name(x->dtype));
  char mode[16];
  if ((s = onnx_attr_str(imp, "mode", "constant", mode, sizeof mode)))
    return s;
  if (strcmp(mode, "constant"))
    return onnx_fail(imp, "mode '%s' is not supported (constant only)", mode);
  int r = x->rank, n = -1;
  int64_t raw[2 * MCU_MAX_RANK], pads[2 * MCU_MAX_RANK] = {0}, axes[MCU_MAX_RANK];
  float value = 0.0f;
  if (imp->opset < 11) {
    if (!onnx_find_attr(imp, "pads"))
      return onnx_fail(imp, "attribute 'pads' is missing");
    if ((s = onnx_attr_ints(imp, "pads", (size_t)(2 * r), raw)) || (s = onnx_attr_float(imp, "value", 0.0f, &value)))
      return s;
    n = 2 * r;
  } else {
    if ((s = onnx_input_ints(imp, 1, 1, 2 * MCU_MAX_RANK, raw, &n)) || (s = onnx_node_input(imp, 2, 0, &cv)))
      return s;
    if (cv) {
      if (!cv->data || cv->count != 1 || cv->dtype != DT_FLOAT)
        return onnx_fail(imp, "constant_value '%s' must be a constant FLOAT scalar", cv->name);
      value = onnx_data_f32(cv, 0);
    }
  }
  int na = -1;
  if ((s = onnx_input_ints(imp, 3, 0, MCU_MAX_RANK, axes, &na)))
    return s;
  if (na < 0) {
    na = r;
    for (int i = 0; i < r; ++i)
      axes[i] = i;
  }
  if (n != 2 * na)
    return onnx_fail(imp, "%d pads for %d axes", n, na);
  for (int i = 0; i < na; ++i) {
    int ax;
    if ((s = onnx_norm_axis(imp, axes[i], r, 0, &ax)))
      return s;
    if (raw[i] < 0 || raw[na + i] < 0 || raw[i] > MAX_WINDOW || raw[na + i] > MAX_WINDOW)
      return onnx_fail(imp, "pads must be in [0, %lld] (cropping is not supported)", (long long)MAX_WINDOW);
    pads[ax] = raw[i];
    pads[r + ax] = raw[na + i];
  }
  if (isnan(value) || isinf(value))
    return onnx_fail(imp, "the pad value is not finite");
  value_t proto = *x, *y;
  proto.data = NULL;
  proto.nchw = proto.nhwc = (MlirValue){NULL};
  proto.pending_src = -1;
  for (int i = 0; i < r; ++i)
    proto.dims[i] = x->dims[i] + pads[i] + pads[r + i];
  if (!mcu_onnx_shape_count(r, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  int nhwc = r == 4 && !x->data && !mlirValueIsNull(x->nhwc);
  MlirValue in;
  int64_t mp[2 * MCU_MAX_RANK], od[MCU_MAX_RANK];
  for (int i = 0; i < r; ++i) {
    int src = nhwc ? ONNX_TO_NHWC[i] : i;
    mp[i] = pads[src];
    mp[r + i] = pads[r + src];
    od[i] = proto.dims[src];
  }
  if ((s = nhwc ? onnx_get_nhwc(imp, x, f32(imp), &in) : onnx_get_nchw(imp, x, f32(imp), &in)))
    return s;
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  MlirNamedAttribute attrs[2] = {
      mcu_named(imp->ctx, "pads", onnx_i64_array(imp, 2 * r, mp)),
      mcu_named(imp->ctx, "value", mlirFloatAttrDoubleGet(imp->ctx, f32(imp), value)),
  };
  MlirValue v = onnx_emit(imp, "mcu.pad", 1, &in, onnx_tensor_type(r, od, f32(imp)), 2, attrs, imp->node_name);
  *(nhwc ? &y->nhwc : &y->nchw) = v;
  return NULL;
}

/* ---- Resize ---- */

/* ONNX's source index for output index x (its reference implementation: the coordinate transformation in double,
 * then the nearest mode, then clamping to [0, in - 1]). -1 for an unknown mode. */
static int64_t onnx_src(const char *ct, const char *nm, int64_t x, int64_t in, int64_t out, double scale) {
  double v;
  if (!strcmp(ct, "half_pixel"))
    v = (x + 0.5) / scale - 0.5;
  else if (!strcmp(ct, "pytorch_half_pixel"))
    v = out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  else if (!strcmp(ct, "asymmetric"))
    v = x / scale;
  else if (!strcmp(ct, "tf_half_pixel_for_nn"))
    v = (x + 0.5) / scale;
  else if (!strcmp(ct, "align_corners"))
    v = out > 1 ? x * (double)(in - 1) / (double)(out - 1) : 0.0;
  else
    return -1;
  double r;
  if (!strcmp(nm, "floor"))
    r = floor(v);
  else if (!strcmp(nm, "ceil"))
    r = ceil(v);
  else if (!strcmp(nm, "round_prefer_floor"))
    r = v == floor(v) + 0.5 ? floor(v) : round(v);
  else if (!strcmp(nm, "round_prefer_ceil"))
    r = ceil(v - 0.5) == v - 0.5 ? ceil(v) : round(v);
  else
    return -1;
  if (r < 0)
    r = 0;
  if (r > (double)(in - 1))
    r = (double)(in - 1);
  return (int64_t)r;
}

/* TF Lite's nearest-neighbour source index (reference resize_nearest_neighbor, float arithmetic). */
static int64_t tflite_src(int ac, int hp, int64_t x, int64_t in, int64_t out) {
  float scale = ac && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
  float v = ((float)x + (hp ? 0.5f : 0.0f)) * scale;
  int64_t r = (int64_t)(ac ? roundf(v) : floorf(v));
  if (r > in - 1)
    r = in - 1;
  if (hp && r < 0)
    r = 0;
  return r;
}

/* Resize / Upsample (mode nearest, 4-D, N and C unscaled) -> mcu.resize_nearest on the NHWC form. The ONNX rule
 * (coordinate_transformation_mode x nearest_mode) is compared index by index, for this shape, with TF Lite's three
 * rules (plain, half_pixel_centers, align_corners); the first that agrees everywhere is used, else the node is
 * refused. Weakness: a rule that agrees only for some shapes is accepted only for those. e->arg 1: Upsample. */
static mcu_status_t import_resize(importer_t *imp, const onnx_op_entry_t *e) {
  int upsample = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  if (x->dtype != DT_FLOAT)
    return onnx_fail(imp, "input '%s' has dtype %s, only FLOAT is supported", x->name, mcu_onnx_dtype_name(x->dtype));
  if (x->rank != 4)
    return onnx_fail(imp, "only 4-D inputs are supported (rank %d)", x->rank);
  char mode[32], ct[32], nm[32], policy[32];
  int opset10 = upsample || imp->opset < 11;
  if ((s = onnx_attr_str(imp, "mode", "nearest", mode, sizeof mode)) ||
      (s = onnx_attr_str(imp, "coordinate_transformation_mode", opset10 ? "asymmetric" : "half_pixel", ct,
                         sizeof ct)) ||
      (s = onnx_attr_str(imp, "nearest_mode", opset10 ? "floor" : "round_prefer_floor", nm, sizeof nm)) ||
      (s = onnx_attr_str(imp, "keep_aspect_ratio_policy", "stretch", policy, sizeof policy)))
    return s;
  if (strcmp(mode, "nearest"))
    return onnx_fail(imp, "mode '%s' is not supported (nearest only)", mode);
  if (strcmp(policy, "stretch"))
    return onnx_fail(imp, "keep_aspect_ratio_policy '%s' is not supported", policy);
  if (onnx_find_attr(imp, "axes"))
    return onnx_fail(imp, "attribute 'axes' is not supported");
  double scales[4] = {1, 1, 1, 1};
  int64_t out[4];
  int have_scales = 0;
  value_t *sv = NULL, *zv = NULL;
  const Onnx__AttributeProto *sa = upsample ? onnx_find_attr(imp, "scales") : NULL;
  if (sa) {
    if ((s = onnx_attr_check(imp, sa, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, "a list of floats")))
      return s;
    if (sa->n_floats != 4)
      return onnx_fail(imp, "scales has %zu values, expected 4", sa->n_floats);
    for (int i = 0; i < 4; ++i)
      scales[i] = sa->floats[i];
    have_scales = 1;
  } else {
    if ((s = onnx_node_input(imp, opset10 ? 1 : 2, 0, &sv)) || (!opset10 && (s = onnx_node_input(imp, 3, 0, &zv))))
      return s;
    if (sv && sv->count == 0)
      sv = NULL;
    if (zv && zv->count == 0)
      zv = NULL;
    if (sv) {
      if (!sv->data || sv->dtype != DT_FLOAT || sv->count != 4)
        return onnx_fail(imp, "scales '%s' must be a constant FLOAT [4]", sv->name);
      for (int i = 0; i < 4; ++i)
        scales[i] = onnx_data_f32(sv, i);
      have_scales = 1;
    } else if (zv) {
      if (!zv->data || zv->dtype != DT_INT64 || zv->count != 4)
        return onnx_fail(imp, "sizes '%s' must be a constant INT64 [4]", zv->name);
      for (int i = 0; i < 4; ++i)
        out[i] = onnx_data_i64(zv, i);
    } else {
      return onnx_fail(imp, "neither scales nor sizes is given");
    }
  }
  for (int i = 0; i < 4; ++i) {
    if (have_scales) {
      if (!(scales[i] > 0) || scales[i] > (double)MAX_ELEMENTS)
        return onnx_fail(imp, "scale %g is not positive", scales[i]);
      out[i] = (int64_t)floor((double)x->dims[i] * scales[i]);
    } else {
      scales[i] = (double)out[i] / (double)x->dims[i];
    }
    if (out[i] < 1 || out[i] > MAX_ELEMENTS)
      return onnx_fail(imp, "output dimension %d would be %lld", i, (long long)out[i]);
  }
  if (out[0] != x->dims[0] || out[1] != x->dims[1])
    return onnx_fail(imp, "only H and W can be resized");
  int rules[3][2] = {{0, 0}, {0, 1}, {1, 0}}, pick = -1;
  if (onnx_src(ct, nm, 0, 1, 1, 1.0) < 0)
    return onnx_fail(imp, "coordinate_transformation_mode '%s' with nearest_mode '%s' is not supported", ct, nm);
  for (int k = 0; k < 3 && pick < 0; ++k) {
    int ok = 1;
    for (int d = 2; d < 4 && ok; ++d)
      for (int64_t i = 0; i < out[d] && ok; ++i)
        ok = onnx_src(ct, nm, i, x->dims[d], out[d], scales[d]) ==
             tflite_src(rules[k][0], rules[k][1], i, x->dims[d], out[d]);
    if (ok)
      pick = k;
  }
  if (pick < 0)
    return onnx_fail(imp,
                     "coordinate_transformation_mode '%s' with nearest_mode '%s' differs from every TF Lite nearest "
                     "rule for this shape",
                     ct, nm);
  MlirValue in;
  if ((s = onnx_get_nhwc(imp, x, f32(imp), &in)))
    return s;
  value_t proto = {.dtype = DT_FLOAT, .rank = 4, .pending_src = -1}, *y;
  memcpy(proto.dims, out, sizeof out);
  if (!mcu_onnx_shape_count(4, out, &proto.count))
    return onnx_fail(imp, "output too large");
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  int64_t nhwc[4] = {out[0], out[2], out[3], out[1]};
  MlirNamedAttribute attrs[2] = {
      mcu_named(imp->ctx, "align_corners", mcu_attr_i64(imp->ctx, rules[pick][0])),
      mcu_named(imp->ctx, "half_pixel_centers", mcu_attr_i64(imp->ctx, rules[pick][1])),
  };
  y->nhwc = onnx_emit(imp, "mcu.resize_nearest", 1, &in, onnx_tensor_type(4, nhwc, f32(imp)), 2, attrs,
                      imp->node_name);
  return NULL;
}

/* ---- Transpose and folded shape computations ---- */

/* Data permutation of any rank (output dim i = input dim perm[i]) of `es`-byte elements. */
static void permute_n(const uint8_t *src, size_t es, int rank, const int64_t *dims, const int *perm, int64_t count,
                      uint8_t *dst) {
  int64_t stride[MCU_MAX_RANK], od[MCU_MAX_RANK], idx[MCU_MAX_RANK] = {0};
  int64_t acc = 1;
  for (int i = rank - 1; i >= 0; --i) {
    stride[i] = acc;
    acc *= dims[i];
  }
  for (int i = 0; i < rank; ++i)
    od[i] = dims[perm[i]];
  for (int64_t o = 0; o < count; ++o) {
    int64_t in = 0;
    for (int i = 0; i < rank; ++i)
      in += idx[i] * stride[perm[i]];
    memcpy(dst + (size_t)o * es, src + (size_t)in * es, es);
    for (int i = rank - 1; i >= 0; --i) {
      if (++idx[i] < od[i])
        break;
      idx[i] = 0;
    }
  }
}

/* Transpose: folded on constants; NCHW <-> NHWC permutations of 4-D activations reuse the layout twins (no op when
 * the twin exists); otherwise mcu.transpose. */
static mcu_status_t import_transpose(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  int r = x->rank, perm[MCU_MAX_RANK], seen[MCU_MAX_RANK] = {0};
  int64_t p64[MCU_MAX_RANK];
  for (int i = 0; i < r; ++i)
    p64[i] = r - 1 - i;
  if ((s = onnx_attr_ints(imp, "perm", (size_t)r, p64)))
    return s;
  for (int i = 0; i < r; ++i) {
    if (p64[i] < 0 || p64[i] >= r || seen[p64[i]]++)
      return onnx_fail(imp, "perm is not a permutation of %d dimensions", r);
    perm[i] = (int)p64[i];
  }
  value_t proto = *x, *y;
  proto.nchw = proto.nhwc = (MlirValue){NULL};
  proto.pending = 0;
  proto.pending_src = -1;
  for (int i = 0; i < r; ++i)
    proto.dims[i] = x->dims[perm[i]];
  if (x->data) {
    size_t es = mcu_onnx_dtype_size(x->dtype);
    uint8_t *d = onnx_alloc(imp, (size_t)x->count * es);
    if (!d)
      return onnx_oom(imp);
    permute_n(x->data, es, r, x->dims, perm, x->count, d);
    return onnx_const_output(imp, 0, x->dtype, r, proto.dims, d);
  }
  proto.data = NULL;
  if (x->pending)
    return onnx_fail(imp, "transposing a uint8/int8 input whose quantization is not known yet is not supported");
  MlirType elem;
  if ((s = onnx_elem(imp, x, &elem)))
    return s;
  int to_nhwc = r == 4, to_nchw = r == 4;
  for (int i = 0; i < r; ++i) {
    to_nhwc &= perm[i] == ONNX_TO_NHWC[i];
    to_nchw &= perm[i] == ONNX_TO_NCHW[i];
  }
  MlirValue v;
  if (to_nhwc) { /* y is x's NHWC form */
    if ((s = onnx_get_nhwc(imp, x, elem, &v)) || (s = onnx_node_output(imp, &proto, &y)))
      return s;
    y->nchw = v;
    return NULL;
  }
  if ((s = onnx_get_nchw(imp, x, elem, &v)) || (s = onnx_node_output(imp, &proto, &y)))
    return s;
  if (to_nchw) { /* y's NHWC form is x */
    y->nhwc = v;
    return NULL;
  }
  return onnx_emit_transpose(imp, v, perm, imp->node_name, &y->nchw);
}

/* Shape (with opset 15's start/end) and Size (e->arg 1) of any value with a static shape: INT64 constants. */
static mcu_status_t import_shape(importer_t *imp, const onnx_op_entry_t *e) {
  int size = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  if (size) {
    uint8_t d[8];
    mcu_onnx_put_le(d, (uint64_t)x->count, 8);
    return onnx_const_output(imp, 0, DT_INT64, 0, NULL, d);
  }
  int64_t start, end;
  if ((s = onnx_attr_int(imp, "start", 0, &start)) || (s = onnx_attr_int(imp, "end", x->rank, &end)))
    return s;
  if (start < 0)
    start += x->rank;
  if (end < 0)
    end += x->rank;
  start = start < 0 ? 0 : start > x->rank ? x->rank : start;
  end = end < 0 ? 0 : end > x->rank ? x->rank : end;
  int64_t n = end > start ? end - start : 0;
  uint8_t d[8 * MCU_MAX_RANK];
  for (int64_t i = 0; i < n; ++i)
    mcu_onnx_put_le(d + 8 * i, (uint64_t)x->dims[start + i], 8);
  return onnx_const_output(imp, 0, DT_INT64, 1, &n, d);
}

/* Gather on constants (folded): out = data.dims[:axis] + indices.dims + data.dims[axis+1:]. */
static mcu_status_t import_gather(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x, *ix;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = onnx_node_input(imp, 1, 1, &ix)))
    return s;
  if (!x->data || !ix->data)
    return onnx_fail(imp, "only constant data and indices are supported (folded at import time)");
  if (ix->dtype != DT_INT64 && ix->dtype != DT_INT32)
    return onnx_fail(imp, "indices must be INT64 or INT32");
  int64_t axis64;
  int axis;
  if (x->rank < 1)
    return onnx_fail(imp, "scalar data");
  if ((s = onnx_attr_int(imp, "axis", 0, &axis64)) || (s = onnx_norm_axis(imp, axis64, x->rank, 0, &axis)))
    return s;
  int rank = x->rank - 1 + ix->rank;
  if (rank > MCU_MAX_RANK)
    return onnx_fail(imp, "rank %d exceeds %d", rank, MCU_MAX_RANK);
  int64_t dims[MCU_MAX_RANK], count, outer = 1, inner = 1, k = 0;
  for (int i = 0; i < axis; ++i)
    dims[k++] = x->dims[i], outer *= x->dims[i];
  for (int i = 0; i < ix->rank; ++i)
    dims[k++] = ix->dims[i];
  for (int i = axis + 1; i < x->rank; ++i)
    dims[k++] = x->dims[i], inner *= x->dims[i];
  if (!mcu_onnx_shape_count(rank, dims, &count))
    return onnx_fail(imp, "output too large");
  size_t es = mcu_onnx_dtype_size(x->dtype), o = 0;
  uint8_t *d = onnx_alloc(imp, (size_t)count * es);
  if (!d)
    return onnx_oom(imp);
  int64_t A = x->dims[axis];
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t j = 0; j < ix->count; ++j) {
      int64_t t = onnx_data_i64(ix, j);
      if (t < -A || t >= A)
        return onnx_fail(imp, "index %lld out of range [%lld, %lld)", (long long)t, (long long)-A, (long long)A);
      if (t < 0)
        t += A;
      memcpy(d + o, x->data + (size_t)((a * A + t) * inner) * es, (size_t)inner * es);
      o += (size_t)inner * es;
    }
  return onnx_const_output(imp, 0, x->dtype, rank, dims, d);
}

/* Cast: folded on constants (FLOAT, INT64, INT32, UINT8, INT8; float to integer truncates toward zero, saturating
 * out-of-range values is undefined in ONNX and refused); a cast of an activation to its own dtype is the identity. */
static mcu_status_t import_cast(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x;
  mcu_status_t s;
  int64_t to;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = onnx_attr_int(imp, "to", 0, &to)))
    return s;
  int ok = to == DT_FLOAT || to == DT_INT64 || to == DT_INT32 || to == DT_UINT8 || to == DT_INT8;
  if (!ok)
    return onnx_fail(imp, "cast to dtype %lld is not supported", (long long)to);
  if (!x->data) {
    if (x->dtype != to)
      return onnx_fail(imp, "casting an activation from %s to %s is not supported", mcu_onnx_dtype_name(x->dtype),
                       mcu_onnx_dtype_name((int)to));
    return bind_output0(imp, x);
  }
  size_t es = mcu_onnx_dtype_size((int)to);
  uint8_t *d = onnx_alloc(imp, (size_t)x->count * es);
  if (!d)
    return onnx_oom(imp);
  for (int64_t i = 0; i < x->count; ++i) {
    if (to == DT_FLOAT) {
      float f = x->dtype == DT_FLOAT ? onnx_data_f32(x, i) : (float)onnx_data_i64(x, i);
      memcpy(d + 4 * i, &f, 4);
      continue;
    }
    int64_t v;
    if (x->dtype == DT_FLOAT) {
      float f = onnx_data_f32(x, i);
      if (!(f > -9.2e18f && f < 9.2e18f))
        return onnx_fail(imp, "value %g does not fit %s", (double)f, mcu_onnx_dtype_name((int)to));
      v = (int64_t)f;
    } else {
      v = onnx_data_i64(x, i);
    }
    mcu_onnx_put_le(d + es * (size_t)i, (uint64_t)v, es); /* integer narrowing wraps, as numpy's astype does */
  }
  return onnx_const_output(imp, 0, (int)to, x->rank, x->dims, d);
}

/* ConstantOfShape: a constant filled with `value` (default FLOAT 0). */
static mcu_status_t import_constant_of_shape(importer_t *imp, const onnx_op_entry_t *e) {
  int64_t dims[MCU_MAX_RANK], count;
  int n;
  mcu_status_t s = onnx_input_ints(imp, 0, 1, MCU_MAX_RANK, dims, &n);
  if (s)
    return s;
  if (!mcu_onnx_shape_count(n, dims, &count) || count > ((int64_t)1 << 24))
    return onnx_fail(imp, "shape too large");
  value_t fill = {.dtype = DT_FLOAT, .count = 1};
  static const uint8_t zero[8];
  fill.data = zero;
  const Onnx__AttributeProto *a = onnx_find_attr(imp, "value");
  if (a) {
    if ((s = onnx_attr_check(imp, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, "a tensor")))
      return s;
    if (!a->t)
      return onnx_fail(imp, "attribute 'value' holds no tensor");
    if ((s = onnx_value_decode(imp, a->t, "attribute 'value'", &fill)))
      return s;
    if (fill.count != 1)
      return onnx_fail(imp, "attribute 'value' must hold one element");
  }
  size_t es = mcu_onnx_dtype_size(fill.dtype);
  uint8_t *d = onnx_alloc(imp, (size_t)count * es);
  if (!d)
    return onnx_oom(imp);
  for (int64_t i = 0; i < count; ++i)
    memcpy(d + (size_t)i * es, fill.data, es);
  return onnx_const_output(imp, 0, fill.dtype, n, dims, d);
}

/* ---- the table ---- */

static const onnx_op_entry_t shape_ops[] = {
    {"ai.onnx", "Squeeze", "any (constants folded); f32, u8, i8, i32 activations",
     "axes from the attribute or a constant input; none: every size-1 dimension", import_squeeze, 0, NULL},
    {"ai.onnx", "Unsqueeze", "any (constants folded); f32, u8, i8, i32 activations",
     "axes from the attribute or a constant input", import_squeeze, 1, NULL},
    {"ai.onnx", "Concat", "f32; any constants (folded)", "axis; 4-D channel concatenation stays NHWC", import_concat, 0,
     NULL},
    {"ai.onnx", "Pad", "f32", "mode constant; non-negative pads from the attribute or constant inputs (and axes)",
     import_pad, 0, NULL},
    {"ai.onnx", "Resize", "f32",
     "mode nearest, 4-D, H and W only; coordinate/nearest modes that match a TF Lite nearest rule for the shape",
     import_resize, 0, NULL},
    {"ai.onnx", "Upsample", "f32", "as Resize (opset < 10 scales attribute)", import_resize, 1, NULL},
    {"ai.onnx", "Transpose", "any (constants folded); f32, u8, i8, i32 activations",
     "NCHW <-> NHWC reuse the layout twins; u8/i8 graph inputs of unknown quantization are refused",
     import_transpose, 0, NULL},
    {"ai.onnx", "Shape", "any", "folded to an INT64 constant (start, end)", import_shape, 0, NULL},
    {"ai.onnx", "Size", "any", "folded to an INT64 constant", import_shape, 1, NULL},
    {"ai.onnx", "Gather", "any constants (folded); i64, i32 indices", "constant data and indices only", import_gather,
     0, NULL},
    {"ai.onnx", "Cast", "f32, i64, i32, u8, i8 constants (folded)",
     "an activation only to its own dtype (the identity); float -> integer truncates", import_cast, 0, NULL},
    {"ai.onnx", "ConstantOfShape", "f32, i64, i32, u8, i8", "constant shape input; folded", import_constant_of_shape,
     0, NULL},
};
const onnx_op_table_t onnx_shape_op_table = {shape_ops, sizeof shape_ops / sizeof shape_ops[0]};
