/* onnx_ops.c: the ONNX importer's operator builders (QLinearConv, QLinearMatMul, Quantize/DequantizeLinear, Relu,
 * Clip, Reshape, Flatten, Identity, Constant), their table, and the dispatch over every onnx_ops*.c table. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

/* ---- operators ---- */

/* QLinearConv -> mcu.conv2d (NHWC, filter [O,KH,KW,C/G], bias i32). Output shape per ONNX:
 * floor((H + pad_begin + pad_end - dilation*(k-1) - 1) / stride) + 1; auto_pad SAME_* computes the pads
 * (SAME_UPPER puts the odd one at the end). The output is an NHWC-only value. */
static mcu_status_t import_qlinearconv(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x, *w, *b;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = onnx_node_input(imp, 3, 1, &w)) ||
      (s = onnx_node_input(imp, 8, 0, &b)))
    return s;
  if ((s = onnx_need_q8(imp, x, "input")) || (s = onnx_need_q8(imp, w, "weight")))
    return s;
  if (x->rank != 4 || w->rank != 4)
    return onnx_fail(imp, "only 2-D convolutions are supported (input rank %d, weight rank %d)", x->rank, w->rank);
  qparams_t xq, wq, yq;
  if ((s = onnx_read_qparams1(imp, 1, 2, x->dtype, "input", &xq)))
    return s;
  if ((s = onnx_read_qparams(imp, 4, 5, w->dtype, "weight", &wq)))
    return s;
  if ((s = onnx_read_qparams1(imp, 6, 7, DT_UINT8, "output", &yq)))
    return s;
  if (xq.dtype != x->dtype || wq.dtype != w->dtype)
    return onnx_fail(imp, "zero point dtype differs from its tensor's dtype");
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t O = w->dims[0], CG = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  int64_t group = 1, ks[2] = {KH, KW};
  if ((s = onnx_attr_int(imp, "group", 1, &group)) || (s = onnx_attr_ints(imp, "kernel_shape", 2, ks)))
    return s;
  if (group < 1 || group > C || C % group || O % group || O < 1)
    return onnx_fail(imp, "group %lld does not divide input channels %lld and output channels %lld", (long long)group,
                     (long long)C, (long long)O);
  if (CG != C / group)
    return onnx_fail(imp, "weight has %lld input channels, expected %lld", (long long)CG, (long long)(C / group));
  if (ks[0] != KH || ks[1] != KW)
    return onnx_fail(imp, "kernel_shape differs from the weight's shape");
  int64_t in[2] = {H, W}, k[2] = {KH, KW};
  window_t win;
  if ((s = onnx_window(imp, in, k, 0, &win)))
    return s;
  int64_t *strides = win.strides, *dil = win.dil, *pads = win.pads, *od = win.out;
  if (wq.n != 1 && wq.n != O)
    return onnx_fail(imp, "weight has %d scales, expected 1 or %lld (one per output channel)", wq.n, (long long)O);
  /* operands */
  MlirValue ops[3];
  if ((s = onnx_get_nhwc(imp, x, onnx_qtype(imp, &xq, -1), &ops[0])))
    return s;
  MlirType welem = onnx_qtype(imp, &wq, 0);
  if (w->data) {
    if ((s = onnx_get_nhwc(imp, w, welem, &ops[1])))
      return s;
  } else {
    MlirValue wn;
    if ((s = onnx_get_nchw(imp, w, welem, &wn)) || (s = onnx_emit_transpose(imp, wn, ONNX_TO_NHWC, w->name, &ops[1])))
      return s;
  }
  if (b) {
    if (b->dtype != DT_INT32 || b->rank != 1 || b->dims[0] != O)
      return onnx_fail(imp, "bias '%s' must be INT32 [%lld]", b->name, (long long)O);
    if ((s = onnx_get_nchw(imp, b, mlirIntegerTypeGet(imp->ctx, 32), &ops[2])))
      return s;
  } else {
    size_t n = strlen(imp->node_name) + 6;
    char *name = onnx_alloc(imp, n);
    if (!name)
      return onnx_oom(imp);
    snprintf(name, n, "%s_bias", imp->node_name);
    MlirType bt = onnx_tensor_type(1, &O, mlirIntegerTypeGet(imp->ctx, 32));
    MlirNamedAttribute a = mcu_named(imp->ctx, "value", mlirDenseElementsAttrInt32SplatGet(bt, 0));
    ops[2] = onnx_emit(imp, "mcu.constant", 0, NULL, bt, 1, &a, name);
  }
  int64_t sp[4] = {pads[0], pads[1], pads[2], pads[3]};
  MlirNamedAttribute attrs[4] = {
      mcu_named(imp->ctx, "strides", onnx_i64_array(imp, 2, strides)),
      mcu_named(imp->ctx, "pads", onnx_i64_array(imp, 4, sp)),
      mcu_named(imp->ctx, "dilations", onnx_i64_array(imp, 2, dil)),
      mcu_named(imp->ctx, "groups", mcu_attr_i64(imp->ctx, group)),
  };
  value_t proto = {.dtype = yq.dtype, .rank = 4, .dims = {N, O, od[0], od[1]}, .pending_src = -1};
  if (!mcu_onnx_shape_count(4, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  int64_t nhwc[4] = {N, od[0], od[1], O};
  value_t *y;
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  y->nhwc = onnx_emit(imp, "mcu.conv2d", 3, ops, onnx_tensor_type(4, nhwc, onnx_qtype(imp, &yq, -1)), 4, attrs,
                      imp->node_name);
  return NULL;
}

/* QLinearMatMul -> mcu.matmul: [..., M, K] x [..., K, N], batch dims broadcast (numpy rules); b may be
 * quantized per column (per-axis on its last dimension). */
static mcu_status_t import_qlinearmatmul(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *a, *b;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &a)) || (s = onnx_node_input(imp, 3, 1, &b)))
    return s;
  if ((s = onnx_need_q8(imp, a, "input a")) || (s = onnx_need_q8(imp, b, "input b")))
    return s;
  if (a->rank < 2 || b->rank < 2)
    return onnx_fail(imp, "1-D operands are not supported yet (ranks %d and %d); reshape them to 2-D", a->rank,
                     b->rank);
  qparams_t aq, bq, yq;
  if ((s = onnx_read_qparams1(imp, 1, 2, a->dtype, "input a", &aq)))
    return s;
  if ((s = onnx_read_qparams(imp, 4, 5, b->dtype, "input b", &bq)))
    return s;
  if ((s = onnx_read_qparams1(imp, 6, 7, DT_UINT8, "output", &yq)))
    return s;
  if (aq.dtype != a->dtype || bq.dtype != b->dtype)
    return onnx_fail(imp, "zero point dtype differs from its tensor's dtype");
  int64_t M = a->dims[a->rank - 2], K = a->dims[a->rank - 1], N = b->dims[b->rank - 1];
  if (b->dims[b->rank - 2] != K)
    return onnx_fail(imp, "inner dimensions differ (%lld and %lld)", (long long)K, (long long)b->dims[b->rank - 2]);
  if (bq.n != 1 && bq.n != N)
    return onnx_fail(imp, "input b has %d scales, expected 1 or %lld", bq.n, (long long)N);
  value_t proto = {.dtype = yq.dtype, .pending_src = -1};
  proto.rank = a->rank > b->rank ? a->rank : b->rank;
  for (int i = 0; i < proto.rank - 2; ++i) {
    int ia = i - (proto.rank - a->rank), ib = i - (proto.rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return onnx_fail(imp, "batch dimensions %lld and %lld do not broadcast", (long long)da, (long long)db);
    proto.dims[i] = da == 1 ? db : da;
  }
  proto.dims[proto.rank - 2] = M;
  proto.dims[proto.rank - 1] = N;
  if (!mcu_onnx_shape_count(proto.rank, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  MlirValue ops[2];
  if ((s = onnx_get_nchw(imp, a, onnx_qtype(imp, &aq, -1), &ops[0])) ||
      (s = onnx_get_nchw(imp, b, onnx_qtype(imp, &bq, b->rank - 1), &ops[1])))
    return s;
  value_t *y;
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  y->nchw = onnx_emit(imp, "mcu.matmul", 2, ops, onnx_tensor_type(proto.rank, proto.dims, onnx_qtype(imp, &yq, -1)),
                      0, NULL, imp->node_name);
  return NULL;
}

/* 1 when the node's first output is read only as the weight (input 1) of default-domain Conv nodes. */
static int conv_weight_only(importer_t *imp) {
  const char *name = imp->node->n_output ? onnx_str(imp->node->output[0]) : "";
  const Onnx__GraphProto *g = imp->graph;
  int weight_uses = 0;
  if (!*name || !g)
    return 0;
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    const char *d = n ? onnx_str(n->domain) : "";
    if (n && n->n_input > 1 && n->input[1] && !strcmp(n->input[1], name) && !strcmp(onnx_str(n->op_type), "Conv") &&
        (!*d || !strcmp(d, "ai.onnx")))
      ++weight_uses;
  }
  return weight_uses > 0 && weight_uses == onnx_use_count(imp, name);
}

/* DequantizeLinear of a constant OIHW conv weight read only by Conv nodes (QDQ models): the constant is transposed
 * to OHWI at import time (the quantization axis moves with it) and dequantized there, so the result is an NHWC-only
 * value that mcu.conv2d reads directly and fold-qdq sees as mcu.constant -> mcu.dequantize -> conv2d filter. */
static mcu_status_t dequantize_ohwi(importer_t *imp, value_t *x, MlirType qt) {
  MlirValue in;
  mcu_status_t s = onnx_get_nhwc(imp, x, qt, &in);
  if (s)
    return s;
  value_t proto = {.dtype = DT_FLOAT, .rank = 4, .count = x->count, .pending_src = -1}, *y;
  memcpy(proto.dims, x->dims, sizeof proto.dims);
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  int64_t d[4] = {x->dims[0], x->dims[2], x->dims[3], x->dims[1]};
  y->nhwc = onnx_emit(imp, "mcu.dequantize", 1, &in, onnx_tensor_type(4, d, mlirF32TypeGet(imp->ctx)), 0, NULL,
                      imp->node_name);
  return NULL;
}

/* QuantizeLinear (f32 -> u8/i8) and DequantizeLinear (u8/i8 -> f32; e->arg 1), per tensor or per axis (`axis`). */
static mcu_status_t import_quant(importer_t *imp, const onnx_op_entry_t *e) {
  int dequantize = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  if (dequantize ? !onnx_is_q8(x->dtype) : x->dtype != DT_FLOAT)
    return onnx_fail(imp, "input '%s' has dtype %s, expected %s", x->name, mcu_onnx_dtype_name(x->dtype),
                     dequantize ? "UINT8 or INT8" : "FLOAT");
  int64_t block = 0, axis64 = 1;
  if ((s = onnx_attr_int(imp, "block_size", 0, &block)) || (s = onnx_attr_int(imp, "axis", 1, &axis64)))
    return s;
  if (block)
    return onnx_fail(imp, "blocked quantization is not supported");
  qparams_t q;
  if ((s = onnx_read_qparams(imp, 1, 2, dequantize ? x->dtype : DT_UINT8, dequantize ? "input" : "output", &q)))
    return s;
  if (dequantize && q.dtype != x->dtype)
    return onnx_fail(imp, "zero point dtype differs from the input's dtype");
  int axis = -1;
  if (q.n != 1) {
    if ((s = onnx_norm_axis(imp, axis64, x->rank, 0, &axis)))
      return s;
    if (x->dims[axis] != q.n)
      return onnx_fail(imp, "%d scales for dimension %d of size %lld", q.n, axis, (long long)x->dims[axis]);
  }
  MlirType qt = onnx_qtype(imp, &q, axis), f32 = mlirF32TypeGet(imp->ctx);
  if (dequantize && x->data && x->rank == 4 && conv_weight_only(imp))
    return dequantize_ohwi(imp, x, qt);
  MlirValue in;
  if ((s = onnx_get_nchw(imp, x, dequantize ? qt : f32, &in)))
    return s;
  value_t proto = *x, *y;
  proto.data = NULL;
  proto.nchw = proto.nhwc = (MlirValue){NULL};
  proto.pending = 0;
  proto.pending_src = -1;
  proto.dtype = dequantize ? DT_FLOAT : q.dtype;
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  y->nchw = onnx_emit(imp, dequantize ? "mcu.dequantize" : "mcu.quantize", 1, &in,
                      onnx_tensor_type(x->rank, x->dims, dequantize ? f32 : qt), 0, NULL, imp->node_name);
  return NULL;
}

/* The result of a shape- and type-preserving op on `x` (Relu, Clip) or of a reshape: same element type; a pending
 * input gives a pending result. */
/* An element-wise op (`elementwise`: clamp) runs in whichever layout its input already has, preferring the NHWC
 * twin, so Relu/Clip between convolutions costs no transposes and stays fusable into the producing conv. */
mcu_status_t onnx_passthrough(importer_t *imp, value_t *x, int rank, const int64_t *dims, const char *op,
                              int nattrs, const MlirNamedAttribute *attrs, int elementwise) {
  MlirValue in;
  mcu_status_t s;
  if (elementwise && !mlirValueIsNull(x->nhwc) && !x->pending) {
    value_t proto = {.dtype = x->dtype, .rank = rank, .pending_src = -1};
    memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
    proto.count = x->count;
    value_t *y;
    if ((s = onnx_node_output(imp, &proto, &y)))
      return s;
    MlirType t = mlirValueGetType(x->nhwc);
    y->nhwc = onnx_emit(imp, op, 1, &x->nhwc, t, nattrs, attrs, imp->node_name);
    return NULL;
  }
  s = onnx_get_nchw(imp, x, (MlirType){NULL}, &in);
  if (s)
    return s;
  value_t proto = {.dtype = x->dtype, .rank = rank, .pending = x->pending, .pending_src = x->pending ? x->index : -1};
  memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
  proto.count = x->count;
  value_t *y;
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  y->nchw = onnx_emit(imp, op, 1, &in, onnx_tensor_type(rank, dims, onnx_elem_of(in)), nattrs, attrs, imp->node_name);
  return NULL;
}

/* Relu and Clip -> mcu.clamp. On uint8/int8 tensors ONNX clamps the stored integers, so the bounds are integers
 * (Relu: [0, type max]; Clip: its constant min/max inputs, else the type's range); on f32, float bounds. e->arg 1:
 * Relu. */
static mcu_status_t import_clamp(importer_t *imp, const onnx_op_entry_t *e) {
  int relu = e->arg;
  value_t *x, *lo = NULL, *hi = NULL;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  if (x->dtype != DT_FLOAT && !onnx_is_q8(x->dtype))
    return onnx_fail(imp, "input '%s' has dtype %s, expected FLOAT, UINT8 or INT8", x->name,
                     mcu_onnx_dtype_name(x->dtype));
  double fmin = -INFINITY, fmax = INFINITY;
  int64_t imin = x->dtype == DT_INT8 ? -128 : 0, imax = x->dtype == DT_INT8 ? 127 : 255;
  if (relu) {
    fmin = 0.0;
    imin = 0;
  } else {
    const Onnx__AttributeProto *amin = onnx_find_attr(imp, "min"), *amax = onnx_find_attr(imp, "max");
    if (amin || amax) { /* Clip-1/6: float attributes */
      if (x->dtype != DT_FLOAT)
        return onnx_fail(imp, "min/max attributes apply to FLOAT tensors only");
      if (amin && (s = onnx_attr_check(imp, amin, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float")))
        return s;
      if (amax && (s = onnx_attr_check(imp, amax, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float")))
        return s;
      if (amin)
        fmin = amin->f;
      if (amax)
        fmax = amax->f;
    }
    if ((s = onnx_node_input(imp, 1, 0, &lo)) || (s = onnx_node_input(imp, 2, 0, &hi)))
      return s;
    value_t *bounds[2] = {lo, hi};
    for (int i = 0; i < 2; ++i) {
      value_t *v = bounds[i];
      if (!v)
        continue;
      if (!v->data || v->count != 1 || v->rank > 1)
        return onnx_fail(imp, "the %s bound '%s' must be a constant scalar", i ? "max" : "min", v->name);
      if (v->dtype != x->dtype)
        return onnx_fail(imp, "the %s bound has dtype %s, the input %s", i ? "max" : "min",
                         mcu_onnx_dtype_name(v->dtype),
                         mcu_onnx_dtype_name(x->dtype));
      if (x->dtype == DT_FLOAT)
        *(i ? &fmax : &fmin) = onnx_data_f32(v, 0);
      else
        *(i ? &imax : &imin) = onnx_data_i64(v, 0);
    }
  }
  MlirAttribute amin, amax;
  if (x->dtype == DT_FLOAT) {
    if (isnan(fmin) || isnan(fmax))
      return onnx_fail(imp, "NaN clip bound");
    amin = mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), fmin);
    amax = mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), fmax);
  } else {
    amin = mcu_attr_i64(imp->ctx, imin);
    amax = mcu_attr_i64(imp->ctx, imax);
  }
  MlirNamedAttribute attrs[2] = {mcu_named(imp->ctx, "min", amin), mcu_named(imp->ctx, "max", amax)};
  return onnx_passthrough(imp, x, x->rank, x->dims, "mcu.clamp", 2, attrs, 1);
}

/* Reshape (constant shape: 0 copies the input dim unless allowzero, -1 is inferred) and Flatten(axis) ->
 * mcu.reshape; on a constant the reshape is folded (new dims over the same data). e->arg 1: Flatten. */
static mcu_status_t import_reshape(importer_t *imp, const onnx_op_entry_t *e) {
  int flatten = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)))
    return s;
  int rank = 0;
  int64_t dims[MCU_MAX_RANK];
  if (flatten) {
    int64_t axis64;
    int axis = 0;
    if ((s = onnx_attr_int(imp, "axis", 1, &axis64)) || (s = onnx_norm_axis(imp, axis64, x->rank, 1, &axis)))
      return s;
    dims[0] = dims[1] = 1;
    for (int i = 0; i < x->rank; ++i)
      dims[i >= axis] *= x->dims[i]; /* bounded by count <= MAX_ELEMENTS */
    rank = 2;
  } else {
    value_t *shape;
    int64_t allowzero;
    if ((s = onnx_node_input(imp, 1, 1, &shape)) || (s = onnx_attr_int(imp, "allowzero", 0, &allowzero)))
      return s;
    if (!shape->data || shape->dtype != DT_INT64 || shape->rank != 1)
      return onnx_fail(imp, "the shape '%s' must be a constant 1-D INT64 tensor", shape->name);
    if (shape->count > MCU_MAX_RANK)
      return onnx_fail(imp, "rank %lld exceeds %d", (long long)shape->count, MCU_MAX_RANK);
    rank = (int)shape->count;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < rank; ++i) {
      int64_t d = onnx_data_i64(shape, i);
      if (d == 0 && !allowzero) {
        if (i >= x->rank)
          return onnx_fail(imp, "shape entry %d is 0 but the input has rank %d", i, x->rank);
        d = x->dims[i];
      }
      if (d == -1) {
        if (infer >= 0)
          return onnx_fail(imp, "more than one -1 in the shape");
        infer = i;
        d = 1;
      } else if (d < 0 || d > MAX_ELEMENTS) {
        return onnx_fail(imp, "bad shape entry %lld", (long long)d);
      }
      dims[i] = d;
      if (d && known > MAX_ELEMENTS / d)
        return onnx_fail(imp, "shape too large");
      known *= d;
    }
    if (infer >= 0) {
      if (!known || x->count % known)
        return onnx_fail(imp, "cannot infer the -1 dimension");
      dims[infer] = x->count / known;
      known = x->count;
    }
    if (known != x->count) {
      char a[128], b[128];
      onnx_shape_str(x->rank, x->dims, a, sizeof a);
      onnx_shape_str(rank, dims, b, sizeof b);
      return onnx_fail(imp, "cannot reshape %s to %s", a, b);
    }
  }
  return onnx_reshape_output(imp, x, rank, dims);
}

mcu_status_t onnx_reshape_output(importer_t *imp, value_t *x, int rank, const int64_t *dims) {
  mcu_status_t s;
  if (x->data) {
    value_t proto = *x, *y;
    proto.rank = rank;
    memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
    proto.nchw = proto.nhwc = (MlirValue){NULL};
    return onnx_node_output(imp, &proto, &y);
  }
  MlirType elem;
  if ((s = onnx_elem(imp, x, &elem)))
    return s;
  if (mlirTypeIsAUniformQuantizedPerAxisType(elem) &&
      (rank != x->rank || memcmp(dims, x->dims, sizeof(int64_t) * (size_t)rank)))
    return onnx_fail(imp, "reshaping a per-axis quantized tensor is not supported");
  return onnx_passthrough(imp, x, rank, dims, "mcu.reshape", 0, NULL, 0);
}

/* Constant: its `value` tensor (or value_int / value_ints) becomes a constant value. */
static mcu_status_t import_constant(importer_t *imp, const onnx_op_entry_t *e) {
  value_t proto, *y;
  mcu_status_t s;
  const Onnx__AttributeProto *a = onnx_find_attr(imp, "value");
  if (a) {
    if ((s = onnx_attr_check(imp, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, "a tensor")))
      return s;
    if (!a->t)
      return onnx_fail(imp, "attribute 'value' holds no tensor");
    if ((s = onnx_value_decode(imp, a->t, "attribute 'value'", &proto)))
      return s;
  } else if ((a = onnx_find_attr(imp, "value_ints")) || (a = onnx_find_attr(imp, "value_int"))) {
    int list = !strcmp(a->name, "value_ints");
    Onnx__AttributeProto__AttributeType type =
        list ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if ((s = onnx_attr_check(imp, a, type, list ? "a list of ints" : "an int")))
      return s;
    size_t n = list ? a->n_ints : 1;
    if (n > (size_t)MAX_ELEMENTS / 8)
      return onnx_fail(imp, "too many values");
    memset(&proto, 0, sizeof proto);
    proto.dtype = DT_INT64;
    proto.rank = list ? 1 : 0;
    proto.dims[0] = (int64_t)n;
    proto.count = (int64_t)n;
    uint8_t *d = onnx_alloc(imp, n * 8);
    if (!d)
      return onnx_oom(imp);
    for (size_t i = 0; i < n; ++i)
      mcu_onnx_put_le(d + 8 * i, (uint64_t)(list ? a->ints[i] : a->i), 8);
    proto.data = d;
  } else {
    return onnx_fail(imp, "only the 'value', 'value_int' and 'value_ints' forms are supported");
  }
  proto.pending_src = -1;
  return onnx_node_output(imp, &proto, &y);
}

/* Identity: the output becomes another name of the input value. */
static mcu_status_t import_identity(importer_t *imp, const onnx_op_entry_t *e) {
  const Onnx__NodeProto *n = imp->node;
  value_t *x;
  mcu_status_t s = onnx_node_input(imp, 0, 1, &x);
  if (s)
    return s;
  if (n->n_output < 1 || !n->output[0] || !*n->output[0])
    return onnx_fail(imp, "the node has no output");
  return onnx_name_bind(imp, n->output[0], x->index);
}

/* ---- the table and the dispatcher ---- */

static const onnx_op_entry_t core_ops[] = {
    {"ai.onnx", "QLinearConv", "u8, i8 (QOperator)",
     "2-D; weight per tensor or per output channel, i32 bias; group, dilations, pads/auto_pad; NCHW -> NHWC",
     import_qlinearconv, 0, NULL},
    {"ai.onnx", "QLinearMatMul", "u8, i8 (QOperator)",
     "rank >= 2, batch dimensions broadcast; b per tensor or per column", import_qlinearmatmul, 0, NULL},
    {"ai.onnx", "QuantizeLinear", "f32 -> u8, i8", "per tensor or per axis; no blocked quantization", import_quant,
     0, NULL},
    {"ai.onnx", "DequantizeLinear", "u8, i8 -> f32",
     "per tensor or per axis; no blocked quantization; constant conv weights are dequantized in OHWI", import_quant,
     1, NULL},
    {"ai.onnx", "Relu", "f32, u8, i8", "u8/i8 clamp the stored integers (as ONNX does)", import_clamp, 1, NULL},
    {"ai.onnx", "Clip", "f32, u8, i8",
     "bounds: constant scalar inputs of the input's dtype (or Clip-6 min/max attributes on f32)",
     import_clamp, 0, NULL},
    {"ai.onnx", "Reshape", "any (constants folded); f32, u8, i8, i32 activations",
     "constant INT64 shape (0 and -1 as ONNX; allowzero); per-axis quantized tensors keep their shape", import_reshape,
     0, NULL},
    {"ai.onnx", "Flatten", "any (constants folded); f32, u8, i8, i32 activations", "axis", import_reshape, 1, NULL},
    {"ai.onnx", "Constant", "f32, i64, i32, u8, i8", "value, value_int, value_ints", import_constant, 0, NULL},
    {"ai.onnx", "Identity", "any", "the output is another name of the input", import_identity, 0, NULL},
};
const onnx_op_table_t onnx_core_op_table = {core_ops, sizeof core_ops / sizeof core_ops[0]};

const onnx_op_table_t *const onnx_op_tables[] = {&onnx_core_op_table, &onnx_float_op_table, &onnx_shape_op_table,
                                                 &onnx_ms_op_table, NULL};

const onnx_op_entry_t *onnx_op_lookup(const char *domain, const char *op_type) {
  if (!*domain)
    domain = "ai.onnx";
  for (int t = 0; onnx_op_tables[t]; ++t)
    for (size_t i = 0; i < onnx_op_tables[t]->count; ++i) {
      const onnx_op_entry_t *e = &onnx_op_tables[t]->ops[i];
      if (!strcmp(e->domain, domain) && !strcmp(e->op_type, op_type))
        return e;
    }
  return NULL;
}

/* Imports imp->node by its table entry. Unknown operators: "unsupported operator", with the domain named when it is
 * not the default one. */
mcu_status_t onnx_import_node(importer_t *imp) {
  const Onnx__NodeProto *n = imp->node;
  const char *op = onnx_str(n->op_type), *domain = onnx_str(n->domain);
  const onnx_op_entry_t *e = onnx_op_lookup(domain, op);
  if (e)
    return e->fn(imp, e);
  if (*domain && strcmp(domain, "ai.onnx"))
    return onnx_fail(imp, "unsupported operator (ONNX front end, domain '%s')", domain);
  return onnx_fail(imp, "unsupported operator (ONNX front end)");
}
