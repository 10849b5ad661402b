/* onnx_ops_ms.c: the ONNX importer's com.microsoft QOperator ops (ONNX Runtime contrib ops): QLinearAdd,
 * QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, and their
 * table. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

/* Each becomes the mcu op of its float counterpart on quantized element types (scales and zero points constant,
 * per tensor), without a `numerics` attribute: the kernels follow ONNX Runtime's arithmetic for these. */

/* Input k (a uint8/int8 tensor) and its per-tensor quantization from inputs si, zi (the zero point's dtype must be
 * the tensor's). */
static mcu_status_t q_operand(importer_t *imp, int k, int si, int zi, const char *role, value_t **out_v,
                              qparams_t *out_q) {
  mcu_status_t s = onnx_node_input(imp, k, 1, out_v);
  if (!s)
    s = onnx_need_q8(imp, *out_v, role);
  if (!s)
    s = onnx_read_qparams1(imp, si, zi, (*out_v)->dtype, role, out_q);
  if (!s && out_q->dtype != (*out_v)->dtype)
    return onnx_fail(imp, "the %s zero point's dtype differs from the tensor's", role);
  return s;
}

/* QLinearAdd / QLinearMul (e->mop: the mcu op): (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp), numpy
 * broadcasting. */
static mcu_status_t import_qbinary(importer_t *imp, const onnx_op_entry_t *e) {
  const char *op = e->mop;
  value_t *a, *b;
  qparams_t aq, bq, cq;
  mcu_status_t s;
  if ((s = q_operand(imp, 0, 1, 2, "input A", &a, &aq)) || (s = q_operand(imp, 3, 4, 5, "input B", &b, &bq)) ||
      (s = onnx_read_qparams1(imp, 6, 7, a->dtype, "output", &cq)))
    return s;
  if (a->dtype != b->dtype || cq.dtype != a->dtype)
    return onnx_fail(imp, "A, B and C must have the same dtype");
  return onnx_binary(imp, a, b, onnx_qtype(imp, &aq, -1), onnx_qtype(imp, &bq, -1), onnx_qtype(imp, &cq, -1),
                     cq.dtype, op);
}

/* QLinearAveragePool / QLinearGlobalAveragePool: (X, x_scale, x_zp, y_scale, y_zp); channels_last 1 means the
 * tensor is already NHWC in ONNX layout. e->arg 1: global. */
static mcu_status_t import_qpool(importer_t *imp, const onnx_op_entry_t *e) {
  int global = e->arg;
  value_t *x;
  qparams_t xq, yq;
  int64_t cl;
  mcu_status_t s;
  if ((s = q_operand(imp, 0, 1, 2, "input", &x, &xq)) || (s = onnx_read_qparams1(imp, 3, 4, x->dtype, "output", &yq)) ||
      (s = onnx_attr_int(imp, "channels_last", 0, &cl)))
    return s;
  if (yq.dtype != x->dtype)
    return onnx_fail(imp, "input and output must have the same dtype");
  MlirType xt = onnx_qtype(imp, &xq, -1), yt = onnx_qtype(imp, &yq, -1);
  return global ? onnx_global_pool(imp, x, xt, yt, yq.dtype, cl != 0) : onnx_pool(imp, x, 0, xt, yt, yq.dtype, cl != 0);
}

/* QLinearSigmoid / QLinearLeakyRelu (e->arg 1): (X, X_scale, X_zp, Y_scale, Y_zp). */
static mcu_status_t import_qunary(importer_t *imp, const onnx_op_entry_t *e) {
  int leaky = e->arg;
  value_t *x;
  qparams_t xq, yq;
  mcu_status_t s;
  if ((s = q_operand(imp, 0, 1, 2, "input", &x, &xq)) || (s = onnx_read_qparams1(imp, 3, 4, x->dtype, "output", &yq)))
    return s;
  if (yq.dtype != x->dtype)
    return onnx_fail(imp, "input and output must have the same dtype");
  MlirNamedAttribute a;
  memset(&a, 0, sizeof a);
  if (leaky) {
    float alpha;
    if ((s = onnx_attr_float(imp, "alpha", 0.01f, &alpha)))
      return s;
    a = mcu_named(imp->ctx, "alpha", mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), alpha));
  }
  return onnx_unary(imp, x, onnx_qtype(imp, &xq, -1), onnx_qtype(imp, &yq, -1), yq.dtype,
                    leaky ? "mcu.leaky_relu" : "mcu.logistic", leaky, &a);
}

/* QLinearConcat: (Y_scale, Y_zp, then X, X_scale, X_zp per input), attribute axis. */
static mcu_status_t import_qconcat(importer_t *imp, const onnx_op_entry_t *e) {
  size_t n = imp->node->n_input;
  mcu_status_t s;
  if (n < 5 || (n - 2) % 3 || n > 3 * 4096)
    return onnx_fail(imp, "%zu inputs: expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples", n);
  int k = (int)(n - 2) / 3;
  value_t **xs = onnx_alloc(imp, (size_t)k * sizeof *xs);
  MlirType *elems = onnx_alloc(imp, (size_t)k * sizeof *elems);
  if (!xs || !elems)
    return onnx_oom(imp);
  for (int i = 0; i < k; ++i) {
    qparams_t q;
    if ((s = q_operand(imp, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, "input", &xs[i], &q)))
      return s;
    elems[i] = onnx_qtype(imp, &q, -1);
  }
  qparams_t yq;
  if ((s = onnx_read_qparams1(imp, 0, 1, xs[0]->dtype, "output", &yq)))
    return s;
  for (int i = 0; i < k; ++i)
    if (xs[i]->dtype != yq.dtype)
      return onnx_fail(imp, "inputs and output must have the same dtype");
  int64_t axis64;
  int axis;
  if (!onnx_find_attr(imp, "axis"))
    return onnx_fail(imp, "attribute 'axis' is missing");
  if ((s = onnx_attr_int(imp, "axis", 0, &axis64)) || (s = onnx_norm_axis(imp, axis64, xs[0]->rank, 0, &axis)))
    return s;
  return onnx_concat(imp, k, xs, elems, axis, onnx_qtype(imp, &yq, -1), yq.dtype);
}

/* ---- the table ---- */

static const onnx_op_entry_t ms_ops[] = {
    {"com.microsoft", "QLinearAdd", "u8, i8 (QOperator)", "per-tensor A, B, C of one dtype; numpy broadcasting",
     import_qbinary, 0, "mcu.add"},
    {"com.microsoft", "QLinearMul", "u8, i8 (QOperator)", "per-tensor A, B, C of one dtype; numpy broadcasting",
     import_qbinary, 0, "mcu.mul"},
    {"com.microsoft", "QLinearAveragePool", "u8, i8 (QOperator)",
     "as AveragePool; channels_last; input and output of one dtype", import_qpool, 0, NULL},
    {"com.microsoft", "QLinearGlobalAveragePool", "u8, i8 (QOperator)", "channels_last; input and output of one dtype",
     import_qpool, 1, NULL},
    {"com.microsoft", "QLinearSigmoid", "u8, i8 (QOperator)", "per tensor; input and output of one dtype",
     import_qunary, 0, NULL},
    {"com.microsoft", "QLinearLeakyRelu", "u8, i8 (QOperator)", "alpha; per tensor; input and output of one dtype",
     import_qunary, 1, NULL},
    {"com.microsoft", "QLinearConcat", "u8, i8 (QOperator)", "axis; per-tensor inputs and output of one dtype",
     import_qconcat, 0, NULL},
};
const onnx_op_table_t onnx_ms_op_table = {ms_ops, sizeof ms_ops / sizeof ms_ops[0]};
