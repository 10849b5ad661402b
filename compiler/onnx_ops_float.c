/* onnx_ops_float.c: the ONNX importer's float32 operators (Conv, Gemm, MatMul, Add/Sub/Mul/Div, LeakyRelu, Sigmoid,
 * HardSigmoid, HardSwish, AveragePool, MaxPool, GlobalAveragePool, BatchNormalization, Softmax, LogSoftmax) and their
 * table. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

static MlirType f32(importer_t *imp) { return mlirF32TypeGet(imp->ctx); }

static mcu_status_t need_f32(importer_t *imp, const value_t *v, const char *role) {
  if (v->dtype != DT_FLOAT)
    return onnx_fail(imp, "%s '%s' has dtype %s, only FLOAT is supported", role, v->name,
                     mcu_onnx_dtype_name(v->dtype));
  return NULL;
}

static MlirAttribute fattr(importer_t *imp, double v) { return mlirFloatAttrDoubleGet(imp->ctx, f32(imp), v); }

/* imp->node_name followed by `suffix` (owned by the importer); the bare node name when out of memory (a label). */
static const char *suffixed(importer_t *imp, const char *suffix) {
  size_t n = strlen(imp->node_name) + strlen(suffix) + 1;
  char *s = onnx_alloc(imp, n);
  if (!s)
    return imp->node_name;
  snprintf(s, n, "%s%s", imp->node_name, suffix);
  return s;
}

/* An f32 constant op of `count` values (NULL data: zeros). */
static mcu_status_t f32_const(importer_t *imp, int rank, const int64_t *dims, const float *data, const char *suffix,
                              MlirValue *out) {
  const char *name = suffixed(imp, suffix);
  if (!name)
    return onnx_oom(imp);
  MlirType t = onnx_tensor_type(rank, dims, f32(imp));
  if (!data) {
    MlirNamedAttribute a = mcu_named(imp->ctx, "value", mlirDenseElementsAttrFloatSplatGet(t, 0.0f));
    *out = onnx_emit(imp, "mcu.constant", 0, NULL, t, 1, &a, name);
    return NULL;
  }
  int64_t count;
  if (!mcu_onnx_shape_count(rank, dims, &count))
    return onnx_fail(imp, "constant too large");
  return onnx_emit_const(imp, rank, dims, DT_FLOAT, (const uint8_t *)data, count, f32(imp), name, out);
}

/* Conv (float, 2-D) -> mcu.conv2d: NHWC input, filter [O, KH, KW, I/G] (constants transposed at import time, other
 * weights by an op; a QDQ weight's DequantizeLinear already produced OHWI), f32 bias [O] (zeros when absent). */
static mcu_status_t import_conv(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x, *w, *b;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = onnx_node_input(imp, 1, 1, &w)) ||
      (s = onnx_node_input(imp, 2, 0, &b)))
    return s;
  if ((s = need_f32(imp, x, "input")) || (s = need_f32(imp, w, "weight")) || (b && (s = need_f32(imp, b, "bias"))))
    return s;
  if (x->rank != 4 || w->rank != 4)
    return onnx_fail(imp, "only 2-D convolutions are supported (input rank %d, weight rank %d)", x->rank, w->rank);
  int64_t N = x->dims[0], C = x->dims[1], O = w->dims[0], CG = w->dims[1];
  int64_t group = 1, ks[2] = {w->dims[2], w->dims[3]};
  if ((s = onnx_attr_int(imp, "group", 1, &group)) || (s = onnx_attr_ints(imp, "kernel_shape", 2, ks)))
    return s;
  if (group < 1 || group > C || C % group || O % group || O < 1)
    return onnx_fail(imp, "group %lld does not divide input channels %lld and output channels %lld", (long long)group,
                     (long long)C, (long long)O);
  if (CG != C / group)
    return onnx_fail(imp, "weight has %lld input channels, expected %lld", (long long)CG, (long long)(C / group));
  if (ks[0] != w->dims[2] || ks[1] != w->dims[3])
    return onnx_fail(imp, "kernel_shape differs from the weight's shape");
  if (b && (b->rank != 1 || b->dims[0] != O))
    return onnx_fail(imp, "bias '%s' must be FLOAT [%lld]", b->name, (long long)O);
  int64_t in[2] = {x->dims[2], x->dims[3]};
  window_t win;
  if ((s = onnx_window(imp, in, ks, 0, &win)))
    return s;
  MlirValue ops[3];
  if ((s = onnx_get_nhwc(imp, x, f32(imp), &ops[0])) || (s = onnx_get_nhwc(imp, w, f32(imp), &ops[1])))
    return s;
  if ((s = b ? onnx_get_nchw(imp, b, f32(imp), &ops[2]) : f32_const(imp, 1, &O, NULL, "_bias", &ops[2])))
    return s;
  MlirNamedAttribute attrs[4] = {
      mcu_named(imp->ctx, "strides", onnx_i64_array(imp, 2, win.strides)),
      mcu_named(imp->ctx, "pads", onnx_i64_array(imp, 4, win.pads)),
      mcu_named(imp->ctx, "dilations", onnx_i64_array(imp, 2, win.dil)),
      mcu_named(imp->ctx, "groups", mcu_attr_i64(imp->ctx, group)),
  };
  value_t proto = {.dtype = DT_FLOAT, .rank = 4, .dims = {N, O, win.out[0], win.out[1]}, .pending_src = -1}, *y;
  if (!mcu_onnx_shape_count(4, proto.dims, &proto.count))
    return onnx_fail(imp, "output too large");
  int64_t nhwc[4] = {N, win.out[0], win.out[1], O};
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  y->nhwc = onnx_emit(imp, "mcu.conv2d", 3, ops, onnx_tensor_type(4, nhwc, f32(imp)), 4, attrs, imp->node_name);
  return NULL;
}

/* [R, Cc] row-major constant b (or its transpose when `trans`) as the [Cc, R] ([R, Cc]) weight of
 * mcu.fully_connected, scaled by alpha: w[n][k] = alpha * (trans ? b[n][k] : b[k][n]). */
static float *fc_weight(importer_t *imp, const value_t *b, int trans, float alpha, int64_t *out_n, int64_t *out_k) {
  int64_t R = b->dims[0], Cc = b->dims[1];
  int64_t n = trans ? R : Cc, k = trans ? Cc : R;
  float *w = onnx_alloc(imp, (size_t)(n * k) * sizeof *w);
  if (!w)
    return NULL;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      w[i * k + j] = alpha * onnx_data_f32(b, trans ? i * Cc + j : j * Cc + i);
  *out_n = n;
  *out_k = k;
  return w;
}

static mcu_status_t emit_transpose2(importer_t *imp, MlirValue v, const char *suffix, MlirValue *out) {
  static const int perm[2] = {1, 0};
  const char *name = suffixed(imp, suffix);
  return name ? onnx_emit_transpose(imp, v, perm, name, out) : onnx_oom(imp);
}

/* A value of the node's output: proto dims as given, f32, in ONNX layout. */
static mcu_status_t f32_output(importer_t *imp, int rank, const int64_t *dims, MlirValue v) {
  value_t proto = {.dtype = DT_FLOAT, .rank = rank, .pending_src = -1}, *y;
  memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
  if (!mcu_onnx_shape_count(rank, dims, &proto.count))
    return onnx_fail(imp, "output too large");
  mcu_status_t s = onnx_node_output(imp, &proto, &y);
  if (!s)
    y->nchw = v;
  return s;
}

/* Gemm: Y = alpha * A' B' + beta * C (A' = transA ? A^T : A, likewise B). A constant B becomes mcu.fully_connected
 * (weight [N, K] = alpha * B'^T folded at import time) with bias beta * C when C is a scalar, [N] or [1, N];
 * otherwise mcu.matmul (alpha must be 1) followed by mcu.add of C (broadcast per numpy). Folding alpha into the
 * weights rounds differently from ONNX's alpha * (A B) by at most one f32 rounding per product. */
static mcu_status_t import_gemm(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *a, *b, *c;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &a)) || (s = onnx_node_input(imp, 1, 1, &b)) ||
      (s = onnx_node_input(imp, 2, 0, &c)))
    return s;
  if ((s = need_f32(imp, a, "input A")) || (s = need_f32(imp, b, "input B")) || (c && (s = need_f32(imp, c, "input C"))))
    return s;
  if (a->rank != 2 || b->rank != 2)
    return onnx_fail(imp, "A and B must be 2-D (ranks %d and %d)", a->rank, b->rank);
  int64_t ta, tb;
  float alpha, beta;
  if ((s = onnx_attr_int(imp, "transA", 0, &ta)) || (s = onnx_attr_int(imp, "transB", 0, &tb)) ||
      (s = onnx_attr_float(imp, "alpha", 1.0f, &alpha)) || (s = onnx_attr_float(imp, "beta", 1.0f, &beta)))
    return s;
  int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  int64_t KB = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  if (K != KB)
    return onnx_fail(imp, "inner dimensions differ (%lld and %lld)", (long long)K, (long long)KB);
  int64_t out[2] = {M, N};
  if (c) { /* C must broadcast to [M, N] */
    for (int i = 0; i < c->rank; ++i) {
      int64_t want = out[2 - c->rank + i];
      if (c->rank > 2 || (c->dims[i] != want && c->dims[i] != 1))
        return onnx_fail(imp, "C does not broadcast to [%lld,%lld]", (long long)M, (long long)N);
    }
  }
  MlirValue av;
  if ((s = onnx_get_nchw(imp, a, f32(imp), &av)) || (ta && (s = emit_transpose2(imp, av, "_a", &av))))
    return s;
  int c_is_bias = !c || (c->data && c->count == N && (c->rank < 2 || c->dims[0] == 1)) || (c->data && c->count == 1);
  MlirValue r, t2 = {NULL};
  int64_t mn[2] = {M, N};
  if (b->data) {
    int64_t n, k;
    float *w = fc_weight(imp, b, (int)tb, alpha, &n, &k);
    float *bias = onnx_alloc(imp, (size_t)N * sizeof *bias);
    if (!w || !bias)
      return onnx_oom(imp);
    for (int64_t i = 0; c && c_is_bias && i < N; ++i)
      bias[i] = beta * onnx_data_f32(c, c->count == 1 ? 0 : i);
    int64_t wd[2] = {n, k};
    MlirValue ops[3] = {av};
    if ((s = f32_const(imp, 2, wd, w, "_weight", &ops[1])) || (s = f32_const(imp, 1, &N, bias, "_bias", &ops[2])))
      return s;
    const char *name = c_is_bias ? imp->node_name : suffixed(imp, "_fc");
    if (!name)
      return onnx_oom(imp);
    r = onnx_emit(imp, "mcu.fully_connected", 3, ops, onnx_tensor_type(2, mn, f32(imp)), 0, NULL, name);
  } else {
    if (alpha != 1.0f)
      return onnx_fail(imp, "alpha %g with a non-constant B is not supported", (double)alpha);
    MlirValue ops[2] = {av};
    if ((s = onnx_get_nchw(imp, b, f32(imp), &ops[1])) || (tb && (s = emit_transpose2(imp, ops[1], "_b", &ops[1]))))
      return s;
    const char *name = !c ? imp->node_name : suffixed(imp, "_matmul");
    if (!name)
      return onnx_oom(imp);
    r = onnx_emit(imp, "mcu.matmul", 2, ops, onnx_tensor_type(2, mn, f32(imp)), 0, NULL, name);
    c_is_bias = !c;
  }
  if (!c_is_bias) {
    if (c->data) {
      float *cd = onnx_alloc(imp, (size_t)c->count * sizeof *cd);
      if (!cd)
        return onnx_oom(imp);
      for (int64_t i = 0; i < c->count; ++i)
        cd[i] = beta * onnx_data_f32(c, i);
      if ((s = f32_const(imp, c->rank, c->dims, cd, "_c", &t2)))
        return s;
    } else {
      if (beta != 1.0f)
        return onnx_fail(imp, "beta %g with a non-constant C is not supported", (double)beta);
      if ((s = onnx_get_nchw(imp, c, f32(imp), &t2)))
        return s;
    }
    MlirValue ops[2] = {r, t2};
    r = onnx_emit(imp, "mcu.add", 2, ops, onnx_tensor_type(2, mn, f32(imp)), 0, NULL, imp->node_name);
  }
  return f32_output(imp, 2, mn, r);
}

static MlirValue emit_reshape(importer_t *imp, MlirValue v, int rank, const int64_t *dims, const char *name) {
  return onnx_emit(imp, "mcu.reshape", 1, &v, onnx_tensor_type(rank, dims, onnx_elem_of(v)), 0, NULL, name);
}

/* MatMul (float, numpy semantics: 1-D operands are promoted and the promoted dimension dropped, batch dimensions
 * broadcast). A constant 2-D B becomes mcu.fully_connected (weight B^T, zero bias), anything else mcu.matmul. */
static mcu_status_t import_matmul(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *a, *b;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &a)) || (s = onnx_node_input(imp, 1, 1, &b)))
    return s;
  if ((s = need_f32(imp, a, "input A")) || (s = need_f32(imp, b, "input B")))
    return s;
  if (a->rank < 1 || b->rank < 1)
    return onnx_fail(imp, "scalar operands are not supported");
  int ar = a->rank, br = b->rank;
  int64_t ad[MCU_MAX_RANK], bd[MCU_MAX_RANK];
  memcpy(ad, a->dims, sizeof ad);
  memcpy(bd, b->dims, sizeof bd);
  if (ar == 1) {
    ad[1] = ad[0], ad[0] = 1, ar = 2;
  }
  if (br == 1) {
    bd[1] = 1, br = 2;
  }
  int64_t M = ad[ar - 2], K = ad[ar - 1], N = bd[br - 1];
  if (bd[br - 2] != K)
    return onnx_fail(imp, "inner dimensions differ (%lld and %lld)", (long long)K, (long long)bd[br - 2]);
  int rank = ar > br ? ar : br;
  int64_t full[MCU_MAX_RANK], fin[MCU_MAX_RANK];
  for (int i = 0; i < rank - 2; ++i) {
    int ia = i - (rank - ar), ib = i - (rank - br);
    int64_t da = ia >= 0 ? ad[ia] : 1, db = ib >= 0 ? bd[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return onnx_fail(imp, "batch dimensions %lld and %lld do not broadcast", (long long)da, (long long)db);
    full[i] = da == 1 ? db : da;
  }
  full[rank - 2] = M;
  full[rank - 1] = N;
  int frank = 0;
  for (int i = 0; i < rank; ++i)
    if (!((i == rank - 2 && a->rank == 1) || (i == rank - 1 && b->rank == 1)))
      fin[frank++] = full[i];
  int64_t count;
  if (!mcu_onnx_shape_count(rank, full, &count))
    return onnx_fail(imp, "output too large");
  if (!count)
    return onnx_fail(imp, "empty tensors are not supported");
  int reshaped = frank != rank;
  const char *name = reshaped ? suffixed(imp, "_matmul") : imp->node_name;
  if (!name)
    return onnx_oom(imp);
  MlirValue av, r;
  if ((s = onnx_get_nchw(imp, a, f32(imp), &av)))
    return s;
  if (a->rank == 1)
    av = emit_reshape(imp, av, 2, ad, suffixed(imp, "_a"));
  if (b->data && b->rank == 2) {
    int64_t n, k;
    float *w = fc_weight(imp, b, 0, 1.0f, &n, &k);
    if (!w)
      return onnx_oom(imp);
    int64_t wd[2] = {n, k};
    MlirValue ops[3] = {av};
    if ((s = f32_const(imp, 2, wd, w, "_weight", &ops[1])) || (s = f32_const(imp, 1, &N, NULL, "_bias", &ops[2])))
      return s;
    r = onnx_emit(imp, "mcu.fully_connected", 3, ops, onnx_tensor_type(rank, full, f32(imp)), 0, NULL, name);
  } else {
    MlirValue ops[2] = {av};
    if ((s = onnx_get_nchw(imp, b, f32(imp), &ops[1])))
      return s;
    if (b->rank == 1)
      ops[1] = emit_reshape(imp, ops[1], 2, bd, suffixed(imp, "_b"));
    r = onnx_emit(imp, "mcu.matmul", 2, ops, onnx_tensor_type(rank, full, f32(imp)), 0, NULL, name);
  }
  if (reshaped)
    r = emit_reshape(imp, r, frank, fin, imp->node_name);
  return f32_output(imp, frank, fin, r);
}

/* Element-wise folding of two constants (INT64, INT32 or FLOAT, same dtype, numpy broadcasting): shape arithmetic
 * such as Shape -> Gather -> Mul -> Concat -> Reshape. op: 0 add, 1 sub, 2 mul, 3 div. Integer division truncates
 * like ONNX's reference (C semantics); division by zero is an error. */
static mcu_status_t fold_binary(importer_t *imp, value_t *a, value_t *b, int op) {
  if (a->dtype != b->dtype || (a->dtype != DT_INT64 && a->dtype != DT_INT32 && a->dtype != DT_FLOAT))
    return onnx_fail(imp, "constant operands of dtypes %s and %s are not supported", mcu_onnx_dtype_name(a->dtype),
                     mcu_onnx_dtype_name(b->dtype));
  int rank = a->rank > b->rank ? a->rank : b->rank;
  int64_t dims[MCU_MAX_RANK], count;
  for (int i = 0; i < rank; ++i) {
    int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return onnx_fail(imp, "dimensions %lld and %lld do not broadcast", (long long)da, (long long)db);
    dims[i] = da == 1 ? db : da;
  }
  if (!mcu_onnx_shape_count(rank, dims, &count))
    return onnx_fail(imp, "output too large");
  size_t es = mcu_onnx_dtype_size(a->dtype);
  uint8_t *d = onnx_alloc(imp, (size_t)count * es);
  if (!d)
    return onnx_oom(imp);
  for (int64_t o = 0; o < count; ++o) {
    int64_t ia = 0, ib = 0, rem = o, sa = 1, sb = 1;
    for (int i = rank - 1; i >= 0; --i) {
      int64_t idx = rem % dims[i];
      rem /= dims[i];
      int ka = i - (rank - a->rank), kb = i - (rank - b->rank);
      if (ka >= 0) {
        ia += (a->dims[ka] == 1 ? 0 : idx) * sa;
        sa *= a->dims[ka];
      }
      if (kb >= 0) {
        ib += (b->dims[kb] == 1 ? 0 : idx) * sb;
        sb *= b->dims[kb];
      }
    }
    if (a->dtype == DT_FLOAT) {
      float x = onnx_data_f32(a, ia), y = onnx_data_f32(b, ib);
      float r = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
      memcpy(d + o * 4, &r, 4);
    } else {
      uint64_t x = (uint64_t)onnx_data_i64(a, ia), y = (uint64_t)onnx_data_i64(b, ib);
      uint64_t r;
      if (op == 3) {
        if (!y || ((int64_t)y == -1 && (int64_t)x == INT64_MIN))
          return onnx_fail(imp, "integer division by zero or overflow");
        r = (uint64_t)((int64_t)x / (int64_t)y);
      } else {
        r = op == 0 ? x + y : op == 1 ? x - y : x * y; /* wrapping, as two's complement hardware does */
      }
      mcu_onnx_put_le(d + o * es, r, es);
    }
  }
  return onnx_const_output(imp, 0, a->dtype, rank, dims, d);
}

/* Add, Sub, Mul, Div (e->arg 0..3): folded when both operands are constants, else f32 mcu.add/sub/mul. */
static mcu_status_t import_binary(importer_t *imp, const onnx_op_entry_t *e) {
  int which = e->arg;
  static const char *const ops[] = {"mcu.add", "mcu.sub", "mcu.mul"};
  value_t *a, *b;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &a)) || (s = onnx_node_input(imp, 1, 1, &b)))
    return s;
  if (a->data && b->data)
    return fold_binary(imp, a, b, which);
  if (which == 3)
    return onnx_fail(imp, "only constant operands are supported (folded at import time)");
  if ((s = need_f32(imp, a, "input A")) || (s = need_f32(imp, b, "input B")))
    return s;
  return onnx_binary(imp, a, b, f32(imp), f32(imp), f32(imp), DT_FLOAT, ops[which]);
}

/* LeakyRelu, Sigmoid, HardSigmoid, HardSwish: float element-wise functions (NHWC when the input has that twin). */
static mcu_status_t import_unary(importer_t *imp, const onnx_op_entry_t *e) {
  const char *op = e->op_type;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = need_f32(imp, x, "input")))
    return s;
  MlirNamedAttribute attrs[2];
  int n = 0;
  float alpha, beta;
  const char *mop;
  if (!strcmp(op, "LeakyRelu")) {
    if ((s = onnx_attr_float(imp, "alpha", 0.01f, &alpha)))
      return s;
    attrs[n++] = mcu_named(imp->ctx, "alpha", fattr(imp, alpha));
    mop = "mcu.leaky_relu";
  } else if (!strcmp(op, "HardSigmoid")) {
    if ((s = onnx_attr_float(imp, "alpha", 0.2f, &alpha)) || (s = onnx_attr_float(imp, "beta", 0.5f, &beta)))
      return s;
    attrs[n++] = mcu_named(imp->ctx, "alpha", fattr(imp, alpha));
    attrs[n++] = mcu_named(imp->ctx, "beta", fattr(imp, beta));
    mop = "mcu.hard_sigmoid";
  } else {
    mop = !strcmp(op, "Sigmoid") ? "mcu.logistic" : "mcu.hard_swish";
  }
  return onnx_unary(imp, x, f32(imp), f32(imp), DT_FLOAT, mop, n, attrs);
}

/* BatchNormalization (inference: constant scale, B, mean, var of [C]) -> mcu.batch_norm over the channel, which is
 * the last dimension of the NHWC form of a 4-D input (or of a 2-D [N, C] input as it is). */
static mcu_status_t import_batch_norm(importer_t *imp, const onnx_op_entry_t *e) {
  value_t *x, *p[4];
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = need_f32(imp, x, "input")))
    return s;
  int64_t training, spatial;
  float eps;
  if ((s = onnx_attr_int(imp, "training_mode", 0, &training)) || (s = onnx_attr_int(imp, "spatial", 1, &spatial)) ||
      (s = onnx_attr_float(imp, "epsilon", 1e-5f, &eps)))
    return s;
  if (training || spatial != 1)
    return onnx_fail(imp, "only the inference form (training_mode 0, spatial 1) is supported");
  for (size_t i = 1; i < imp->node->n_output; ++i)
    if (imp->node->output[i] && *imp->node->output[i])
      return onnx_fail(imp, "the training outputs (running mean and variance) are not supported");
  if (x->rank != 4 && x->rank != 2)
    return onnx_fail(imp, "only 2-D and 4-D inputs are supported (rank %d)", x->rank);
  int64_t C = x->dims[1];
  static const char *const roles[4] = {"scale", "B", "mean", "var"};
  MlirValue ops[5];
  for (int i = 0; i < 4; ++i) {
    if ((s = onnx_node_input(imp, i + 1, 1, &p[i])) || (s = need_f32(imp, p[i], roles[i])))
      return s;
    if (!p[i]->data || p[i]->rank != 1 || p[i]->dims[0] != C)
      return onnx_fail(imp, "%s '%s' must be a constant FLOAT [%lld]", roles[i], p[i]->name, (long long)C);
    if ((s = onnx_get_nchw(imp, p[i], f32(imp), &ops[i + 1])))
      return s;
  }
  int nhwc = x->rank == 4;
  if ((s = nhwc ? onnx_get_nhwc(imp, x, f32(imp), &ops[0]) : onnx_get_nchw(imp, x, f32(imp), &ops[0])))
    return s;
  value_t proto = *x, *y;
  proto.data = NULL;
  proto.nchw = proto.nhwc = (MlirValue){NULL};
  proto.pending_src = -1;
  if ((s = onnx_node_output(imp, &proto, &y)))
    return s;
  MlirNamedAttribute a = mcu_named(imp->ctx, "epsilon", fattr(imp, eps));
  MlirValue r = onnx_emit(imp, "mcu.batch_norm", 5, ops, mlirValueGetType(ops[0]), 1, &a, imp->node_name);
  *(nhwc ? &y->nhwc : &y->nchw) = r;
  return NULL;
}

/* Softmax / LogSoftmax -> mcu.softmax (beta 1) / mcu.log_softmax over the last dimension. Another axis: opset >= 13
 * normalises that axis alone (the NHWC twin serves axis 1 of a 4-D input, otherwise transposes swap it with the
 * last); opset < 13 normalises the input flattened to 2-D at `axis` (done with reshapes). e->arg 1: LogSoftmax. */
static mcu_status_t import_softmax(importer_t *imp, const onnx_op_entry_t *e) {
  int log = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = need_f32(imp, x, "input")))
    return s;
  if (x->rank < 1)
    return onnx_fail(imp, "scalar input");
  int64_t axis64;
  int axis;
  if ((s = onnx_attr_int(imp, "axis", imp->opset < 13 ? 1 : -1, &axis64)) ||
      (s = onnx_norm_axis(imp, axis64, x->rank, 0, &axis)))
    return s;
  const char *op = log ? "mcu.log_softmax" : "mcu.softmax";
  MlirNamedAttribute beta = mcu_named(imp->ctx, "beta", fattr(imp, 1.0));
  int na = log ? 0 : 1, last = x->rank - 1;
  MlirValue v, r;
  if (axis == last || (imp->opset < 13 && axis == 0)) {
    int flat = axis != last;
    if ((s = onnx_get_nchw(imp, x, f32(imp), &v)))
      return s;
    if (flat)
      v = emit_reshape(imp, v, 1, &x->count, suffixed(imp, "_flat"));
    r = onnx_emit(imp, op, 1, &v, mlirValueGetType(v), na, &beta, flat ? suffixed(imp, "_softmax") : imp->node_name);
    if (flat)
      r = emit_reshape(imp, r, x->rank, x->dims, imp->node_name);
    return f32_output(imp, x->rank, x->dims, r);
  }
  if (imp->opset < 13) {
    int64_t d2[2] = {1, 1};
    for (int i = 0; i < x->rank; ++i)
      d2[i >= axis] *= x->dims[i];
    if ((s = onnx_get_nchw(imp, x, f32(imp), &v)))
      return s;
    v = emit_reshape(imp, v, 2, d2, suffixed(imp, "_flat"));
    r = onnx_emit(imp, op, 1, &v, mlirValueGetType(v), na, &beta, suffixed(imp, "_softmax"));
    r = emit_reshape(imp, r, x->rank, x->dims, imp->node_name);
    return f32_output(imp, x->rank, x->dims, r);
  }
  if (x->rank == 4 && axis == 1 && !mlirValueIsNull(x->nhwc)) {
    value_t proto = *x, *y;
    proto.data = NULL;
    proto.nchw = proto.nhwc = (MlirValue){NULL};
    proto.pending_src = -1;
    if ((s = onnx_node_output(imp, &proto, &y)))
      return s;
    y->nhwc = onnx_emit(imp, op, 1, &x->nhwc, mlirValueGetType(x->nhwc), na, &beta, imp->node_name);
    return NULL;
  }
  int perm[MCU_MAX_RANK];
  for (int i = 0; i < x->rank; ++i)
    perm[i] = i;
  perm[axis] = last;
  perm[last] = axis;
  if ((s = onnx_get_nchw(imp, x, f32(imp), &v)) || (s = onnx_emit_transpose(imp, v, perm, suffixed(imp, "_in"), &v)))
    return s;
  r = onnx_emit(imp, op, 1, &v, mlirValueGetType(v), na, &beta, suffixed(imp, "_softmax"));
  if ((s = onnx_emit_transpose(imp, r, perm, imp->node_name, &r)))
    return s;
  return f32_output(imp, x->rank, x->dims, r);
}

/* Pooling builders on float tensors (e->arg 0: AveragePool, 1: MaxPool, 2: GlobalAveragePool). */
static mcu_status_t import_pool(importer_t *imp, const onnx_op_entry_t *e) {
  int kind = e->arg;
  value_t *x;
  mcu_status_t s;
  if ((s = onnx_node_input(imp, 0, 1, &x)) || (s = need_f32(imp, x, "input")))
    return s;
  if (kind == 2)
    return onnx_global_pool(imp, x, f32(imp), f32(imp), DT_FLOAT, 0);
  return onnx_pool(imp, x, kind == 1, f32(imp), f32(imp), DT_FLOAT, 0);
}

/* ---- the table ---- */

static const onnx_op_entry_t float_ops[] = {
    {"ai.onnx", "Conv", "f32",
     "2-D; group, dilations, pads/auto_pad; optional bias; NCHW -> NHWC (QDQ weights dequantized in OHWI)",
     import_conv, 0, NULL},
    {"ai.onnx", "Gemm", "f32",
     "2-D A and B; transA, transB, alpha, beta; constant B -> mcu.fully_connected, else mcu.matmul (alpha 1)",
     import_gemm, 0, NULL},
    {"ai.onnx", "MatMul", "f32",
     "numpy semantics (1-D operands, broadcast batch dimensions); constant 2-D B -> mcu.fully_connected",
     import_matmul, 0, NULL},
    {"ai.onnx", "Add", "f32; i64, i32, f32 constants (folded)", "numpy broadcasting", import_binary, 0, NULL},
    {"ai.onnx", "Sub", "f32; i64, i32, f32 constants (folded)", "numpy broadcasting", import_binary, 1, NULL},
    {"ai.onnx", "Mul", "f32; i64, i32, f32 constants (folded)", "numpy broadcasting", import_binary, 2, NULL},
    {"ai.onnx", "Div", "i64, i32, f32 constants (folded)",
     "constant operands only (shape arithmetic); integer division truncates, division by zero is an error",
     import_binary, 3, NULL},
    {"ai.onnx", "LeakyRelu", "f32", "alpha", import_unary, 0, NULL},
    {"ai.onnx", "Sigmoid", "f32", "-> mcu.logistic", import_unary, 0, NULL},
    {"ai.onnx", "HardSigmoid", "f32", "alpha, beta", import_unary, 0, NULL},
    {"ai.onnx", "HardSwish", "f32", "-> mcu.hard_swish", import_unary, 0, NULL},
    {"ai.onnx", "AveragePool", "f32",
     "2-D; pads/auto_pad, ceil_mode; count_include_pad 1 only without padding", import_pool, 0, NULL},
    {"ai.onnx", "MaxPool", "f32", "2-D; pads/auto_pad, ceil_mode; no Indices output, storage_order 0", import_pool, 1,
     NULL},
    {"ai.onnx", "GlobalAveragePool", "f32", "4-D; -> mcu.mean over H, W", import_pool, 2, NULL},
    {"ai.onnx", "BatchNormalization", "f32",
     "inference form only (constant scale, B, mean, var); 2-D or 4-D input", import_batch_norm, 0, NULL},
    {"ai.onnx", "Softmax", "f32", "any axis (opset < 13: the input flattened at axis)", import_softmax, 0, NULL},
    {"ai.onnx", "LogSoftmax", "f32", "any axis (opset < 13: the input flattened at axis)", import_softmax, 1, NULL},
};
const onnx_op_table_t onnx_float_op_table = {float_ops, sizeof float_ops / sizeof float_ops[0]};
