/* onnx_eltwise.c: the ONNX importer's element-wise, broadcasting and concatenating ops, placed in NHWC when their
 * activations already live there. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

/* Layout choice (all ops here): ONNX is NCHW but mcu.conv2d and the pooling ops produce NHWC twins. An element-wise
 * op runs in NHWC when its 4-D activations have NHWC twins, so a conv -> add -> conv chain costs no transposes;
 * constant operands are then broadcast to rank 4 (leading 1s, numpy's rule) and permuted at import time. Otherwise
 * it runs in ONNX layout. Weakness: an op mixing a twin-less 4-D activation with an NHWC one picks NHWC and pays
 * one transpose for the other. */

mcu_status_t onnx_const_output(importer_t *imp, int k, int dtype, int rank, const int64_t *dims, const void *data) {
  value_t proto = {.dtype = dtype, .rank = rank, .pending_src = -1};
  if (rank < 0 || rank > MCU_MAX_RANK)
    return onnx_fail(imp, "rank %d exceeds %d", rank, MCU_MAX_RANK);
  memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
  if (!mcu_onnx_shape_count(rank, dims, &proto.count))
    return onnx_fail(imp, "constant result too large");
  size_t bytes = (size_t)proto.count * mcu_onnx_dtype_size(dtype);
  uint8_t *d = onnx_alloc(imp, bytes);
  if (!d)
    return onnx_oom(imp);
  if (bytes)
    memcpy(d, data, bytes);
  proto.data = d;
  value_t *y;
  return onnx_node_output_k(imp, k, &proto, &y);
}

/* The element type an operand is read with: `want`, else what it has (constants: their dtype's default). */
static mcu_status_t operand_elem(importer_t *imp, value_t *v, MlirType want, MlirType *out) {
  *out = want;
  if (!mlirTypeIsNull(want))
    return NULL;
  mcu_status_t s = onnx_elem(imp, v, out);
  if (s)
    return s;
  if (mlirTypeIsNull(*out))
    *out = onnx_default_elem(imp, v->dtype);
  if (mlirTypeIsNull(*out))
    return onnx_fail(imp, "input '%s' has dtype %s, which is not supported here", v->name,
                     mcu_onnx_dtype_name(v->dtype));
  return NULL;
}

/* The NHWC form of an operand of a 4-D result: a constant of lower rank is first broadcast to rank 4. */
static mcu_status_t operand_nhwc(importer_t *imp, value_t *v, MlirType elem, MlirValue *out) {
  if (!v->data || v->rank == 4)
    return onnx_get_nhwc(imp, v, elem, out);
  value_t t = *v;
  t.rank = 4;
  for (int i = 0; i < 4; ++i)
    t.dims[i] = i < 4 - v->rank ? 1 : v->dims[i - (4 - v->rank)];
  t.nchw = t.nhwc = (MlirValue){NULL};
  return onnx_get_nhwc(imp, &t, elem, out);
}

/* 1 when the op should run in NHWC: a 4-D result, every activation operand 4-D, at least one with an NHWC twin. */
static int use_nhwc(int rank, int n, value_t **vs) {
  int twin = 0;
  if (rank != 4)
    return 0;
  for (int i = 0; i < n; ++i) {
    if (vs[i]->data)
      continue;
    if (vs[i]->rank != 4 || vs[i]->pending)
      return 0;
    twin |= !mlirValueIsNull(vs[i]->nhwc);
  }
  return twin;
}

static MlirType nhwc_type(importer_t *imp, const int64_t *dims, MlirType elem, mcu_status_t *s) {
  int64_t d[4] = {dims[0], dims[2], dims[3], dims[1]};
  MlirType e;
  *s = onnx_permute_elem(imp, elem, ONNX_TO_NHWC, 4, &e);
  return onnx_tensor_type(4, d, e);
}

mcu_status_t onnx_unary(importer_t *imp, value_t *x, MlirType in_elem, MlirType out_elem, int out_dtype, const char *op,
                        int nattrs, const MlirNamedAttribute *attrs) {
  mcu_status_t s;
  if ((s = operand_elem(imp, x, in_elem, &in_elem)))
    return s;
  if (mlirTypeIsNull(out_elem))
    out_elem = in_elem;
  value_t proto = {.dtype = out_dtype, .rank = x->rank, .count = x->count, .pending_src = -1}, *y;
  memcpy(proto.dims, x->dims, sizeof proto.dims);
  MlirValue in;
  int nhwc = use_nhwc(x->rank, 1, &x);
  if ((s = nhwc ? onnx_get_nhwc(imp, x, in_elem, &in) : onnx_get_nchw(imp, x, in_elem, &in)))
    return s;
  MlirType rt = nhwc ? nhwc_type(imp, x->dims, out_elem, &s) : onnx_tensor_type(x->rank, x->dims, out_elem);
  if (s || (s = onnx_node_output(imp, &proto, &y)))
    return s;
  MlirValue r = onnx_emit(imp, op, 1, &in, rt, nattrs, attrs, imp->node_name);
  *(nhwc ? &y->nhwc : &y->nchw) = r;
  return NULL;
}

mcu_status_t onnx_binary(importer_t *imp, value_t *a, value_t *b, MlirType a_elem, MlirType b_elem, MlirType out_elem,
                         int out_dtype, const char *op) {
  mcu_status_t s;
  value_t proto = {.dtype = out_dtype, .pending_src = -1}, *y;
  proto.rank = a->rank > b->rank ? a->rank : b->rank;
  for (int i = 0; i < proto.rank; ++i) {
    int ia = i - (proto.rank - a->rank), ib = i - (proto.rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return onnx_fail(imp, "dimensions %lld and %lld do not broadcast", (long long)da, (long long)db);
    proto.dims[i] = da == 1 ? db : da;
  }
  if (!mcu_onnx_shape_count(proto.rank, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  if (!proto.count)
    return onnx_fail(imp, "empty tensors are not supported");
  if ((s = operand_elem(imp, a, a_elem, &a_elem)) || (s = operand_elem(imp, b, b_elem, &b_elem)))
    return s;
  if (mlirTypeIsNull(out_elem))
    out_elem = a_elem;
  value_t *vs[2] = {a, b};
  int nhwc = use_nhwc(proto.rank, 2, vs);
  MlirValue ops[2];
  if (nhwc) {
    if ((s = operand_nhwc(imp, a, a_elem, &ops[0])) || (s = operand_nhwc(imp, b, b_elem, &ops[1])))
      return s;
  } else if ((s = onnx_get_nchw(imp, a, a_elem, &ops[0])) || (s = onnx_get_nchw(imp, b, b_elem, &ops[1]))) {
    return s;
  }
  MlirType rt = nhwc ? nhwc_type(imp, proto.dims, out_elem, &s) : onnx_tensor_type(proto.rank, proto.dims, out_elem);
  if (s || (s = onnx_node_output(imp, &proto, &y)))
    return s;
  MlirValue r = onnx_emit(imp, op, 2, ops, rt, 0, NULL, imp->node_name);
  *(nhwc ? &y->nhwc : &y->nchw) = r;
  return NULL;
}

mcu_status_t onnx_concat(importer_t *imp, int n, value_t **xs, MlirType *elems, int axis, MlirType out_elem,
                         int out_dtype) {
  mcu_status_t s;
  if (n < 2)
    return onnx_fail(imp, "a concatenation needs at least two inputs");
  value_t proto = *xs[0], *y;
  proto.data = NULL;
  proto.nchw = proto.nhwc = (MlirValue){NULL};
  proto.pending = 0;
  proto.pending_src = -1;
  proto.dtype = out_dtype;
  proto.dims[axis] = 0;
  for (int i = 0; i < n; ++i) {
    if (xs[i]->rank != proto.rank)
      return onnx_fail(imp, "inputs have ranks %d and %d", proto.rank, xs[i]->rank);
    for (int d = 0; d < proto.rank; ++d)
      if (d != axis && xs[i]->dims[d] != proto.dims[d])
        return onnx_fail(imp, "input '%s' differs in dimension %d", xs[i]->name, d);
    proto.dims[axis] += xs[i]->dims[axis];
    if (proto.dims[axis] > MAX_ELEMENTS)
      return onnx_fail(imp, "output too large");
    if ((s = operand_elem(imp, xs[i], elems ? elems[i] : (MlirType){NULL}, &elems[i])))
      return s;
  }
  if (!mcu_onnx_shape_count(proto.rank, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  if (!proto.count)
    return onnx_fail(imp, "empty tensors are not supported");
  if (mlirTypeIsNull(out_elem))
    out_elem = elems[0];
  int nhwc = axis == 1 && use_nhwc(proto.rank, n, xs);
  int64_t dims[MCU_MAX_RANK];
  memcpy(dims, xs[0]->dims, sizeof dims);
  MlirValue acc = {NULL};
  for (int i = 0; i < n; ++i) {
    MlirValue v;
    if ((s = nhwc ? onnx_get_nhwc(imp, xs[i], elems[i], &v) : onnx_get_nchw(imp, xs[i], elems[i], &v)))
      return s;
    if (i == 0) {
      acc = v;
      continue;
    }
    dims[axis] += xs[i]->dims[axis];
    MlirType rt = nhwc ? nhwc_type(imp, dims, out_elem, &s) : onnx_tensor_type(proto.rank, dims, out_elem);
    if (s)
      return s;
    const char *name = imp->node_name;
    if (i < n - 1) {
      size_t len = strlen(imp->node_name) + 24;
      char *nm = onnx_alloc(imp, len);
      if (!nm)
        return onnx_oom(imp);
      snprintf(nm, len, "%s_concat%d", imp->node_name, i);
      name = nm;
    }
    MlirValue ops[2] = {acc, v};
    MlirNamedAttribute a = mcu_named(imp->ctx, "axis", mcu_attr_i64(imp->ctx, nhwc ? 3 : axis));
    acc = onnx_emit(imp, "mcu.concat", 2, ops, rt, 1, &a, name);
  }
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  *(nhwc ? &y->nhwc : &y->nchw) = acc;
  return NULL;
}
