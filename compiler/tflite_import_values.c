/* tflite_import_values.c: the TFLite importer's memory, errors, tensor types, constants and activation ranges. */
#include <float.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "tflite_import_internal.h"

mcu_status_t tfl_fail(timp_t *imp, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *c = msg; *c; ++c)
    if ((unsigned char)*c < 0x20)
      *c = '?';
  if (imp->op_index >= 0)
    return mcu_status_errorf("%s: operator %d (%s): %s", imp->path, imp->op_index, imp->op_name, msg);
  return mcu_status_errorf("%s: %s", imp->path, msg);
}

void *tfl_alloc(timp_t *imp, size_t size) {
  if (imp->num_allocs == imp->cap_allocs) {
    size_t cap = imp->cap_allocs ? 2 * imp->cap_allocs : 64;
    void **a = realloc(imp->allocs, cap * sizeof *a);
    if (!a)
      return NULL;
    imp->allocs = a;
    imp->cap_allocs = cap;
  }
  void *p = calloc(1, size ? size : 1);
  if (p)
    imp->allocs[imp->num_allocs++] = p;
  return p;
}

void tfl_importer_free(timp_t *imp) {
  for (size_t i = 0; i < imp->num_allocs; ++i)
    free(imp->allocs[i]);
  free(imp->allocs);
  imp->allocs = NULL;
  imp->num_allocs = imp->cap_allocs = 0;
}

mcu_status_t tfl_tensor_at(timp_t *imp, int32_t idx, const tfl_tensor_t **out) {
  *out = NULL;
  if (idx < 0 || idx >= imp->g->num_tensors)
    return tfl_fail(imp, "tensor index %d is out of range (%d tensors)", (int)idx, imp->g->num_tensors);
  *out = &imp->g->tensors[idx];
  return NULL;
}

mcu_status_t tfl_input(timp_t *imp, int k, int required, int32_t *out_idx, const tfl_tensor_t **out) {
  *out = NULL;
  *out_idx = -1;
  if (k >= imp->op->num_inputs || imp->op->inputs[k] == -1) {
    if (required)
      return tfl_fail(imp, "input %d is missing", k);
    return NULL;
  }
  *out_idx = imp->op->inputs[k];
  return tfl_tensor_at(imp, imp->op->inputs[k], out);
}

mcu_status_t tfl_output(timp_t *imp, int k, int32_t *out_idx, const tfl_tensor_t **out) {
  if (k >= imp->op->num_outputs)
    return tfl_fail(imp, "output %d is missing", k);
  *out_idx = imp->op->outputs[k];
  return tfl_tensor_at(imp, imp->op->outputs[k], out);
}

mcu_status_t tfl_shape(timp_t *imp, const tfl_tensor_t *t, tshape_t *out) {
  memset(out, 0, sizeof *out);
  int rank = t->rank < 0 ? 0 : t->rank;
  if (rank > MCU_MAX_RANK)
    return tfl_fail(imp, "tensor '%s' has rank %d, at most %d is supported", t->name, rank, MCU_MAX_RANK);
  int64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    int64_t d = t->shape[i];
    if (d <= 0)
      return tfl_fail(imp, "tensor '%s': dimension %d has size %lld (static positive sizes only)", t->name, i,
                      (long long)d);
    if (count > TFL_MAX_ELEMENTS / d)
      return tfl_fail(imp, "tensor '%s' has more than %lld elements", t->name, (long long)TFL_MAX_ELEMENTS);
    count *= d;
    out->dims[i] = d;
  }
  out->rank = rank;
  out->count = count;
  return NULL;
}

void tfl_shape_str(const tshape_t *s, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = 0;
  used += (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < s->rank && used < cap; ++i)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? "," : "", (long long)s->dims[i]);
  if (used < cap)
    snprintf(buf + used, cap - used, "]");
}

int tfl_shape_eq(const tshape_t *a, const tshape_t *b) {
  if (a->rank != b->rank)
    return 0;
  for (int i = 0; i < a->rank; ++i)
    if (a->dims[i] != b->dims[i])
      return 0;
  return 1;
}

MlirType tfl_ranked(int rank, const int64_t *dims, MlirType elem) {
  return mlirRankedTensorTypeGet(rank, dims, elem, mlirAttributeGetNull());
}

MlirType tfl_storage_type(timp_t *imp, int dtype) {
  switch (dtype) {
  case TFL_INT8:
    return mlirIntegerTypeGet(imp->ctx, 8);
  case TFL_UINT8:
    return mlirIntegerTypeUnsignedGet(imp->ctx, 8);
  case TFL_INT32:
    return mlirIntegerTypeGet(imp->ctx, 32);
  case TFL_FLOAT32:
    return mlirF32TypeGet(imp->ctx);
  default:
    return (MlirType){NULL};
  }
}

size_t tfl_dtype_size(int dtype) {
  switch (dtype) {
  case TFL_INT8:
  case TFL_UINT8:
    return 1;
  case TFL_INT16:
    return 2;
  case TFL_INT32:
  case TFL_FLOAT32:
    return 4;
  case TFL_INT64:
    return 8;
  default:
    return 0;
  }
}

/* The quantized element type of an INT8/UINT8 tensor. One scale is per tensor whatever quantized_dimension says
 * (person_detect's biases carry quantized_dimension 3 on 1-D tensors, which TF Lite Micro accepts). */
static mcu_status_t quant_elem(timp_t *imp, const tfl_tensor_t *t, MlirType *out) {
  const tfl_quant_t *q = &t->quant;
  int is_signed = t->type == TFL_INT8;
  int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  if (!t->has_quant || q->num_scales < 1)
    return tfl_fail(imp, "tensor '%s' (%s) has no quantization scale", t->name, tfl_type_name(t->type));
  if (q->has_details)
    return tfl_fail(imp, "tensor '%s': custom or blockwise quantization is not supported", t->name);
  int n = q->num_scales;
  if (q->num_zero_points != n && q->num_zero_points != 0 && !(n > 1 && q->num_zero_points == 1))
    return tfl_fail(imp, "tensor '%s' has %d scales and %d zero points", t->name, n, q->num_zero_points);
  double *scales = tfl_alloc(imp, (size_t)n * sizeof *scales);
  int64_t *zps = tfl_alloc(imp, (size_t)n * sizeof *zps);
  if (!scales || !zps)
    return tfl_fail(imp, "out of memory");
  for (int i = 0; i < n; ++i) {
    float s = q->scales[i];
    int64_t z = q->num_zero_points == n ? q->zero_points[i] : q->num_zero_points ? q->zero_points[0] : 0;
    if (!(s >= FLT_MIN && s <= FLT_MAX))
      return tfl_fail(imp, "tensor '%s': scale %d is %g (must be a positive normal float)", t->name, i, (double)s);
    if (z < lo || z > hi)
      return tfl_fail(imp, "tensor '%s': zero point %lld is outside the %s range", t->name, (long long)z,
                      tfl_type_name(t->type));
    scales[i] = s;
    zps[i] = z;
  }
  MlirType storage = mlirIntegerTypeGet(imp->ctx, 8), expressed = mlirF32TypeGet(imp->ctx);
  unsigned flags = is_signed ? mlirQuantizedTypeGetSignedFlag() : 0;
  if (n == 1) {
    *out = mlirUniformQuantizedTypeGet(flags, storage, expressed, scales[0], zps[0], lo, hi);
    return NULL;
  }
  int axis = q->quantized_dimension;
  if (axis < 0 || axis >= t->rank || t->shape[axis] != n)
    return tfl_fail(imp, "tensor '%s' has %d scales but quantized_dimension %d does not have that size", t->name, n,
                    axis);
  *out = mlirUniformQuantizedPerAxisTypeGet(flags, storage, expressed, n, scales, zps, axis, lo, hi);
  return NULL;
}

mcu_status_t tfl_elem(timp_t *imp, const tfl_tensor_t *t, MlirType *out) {
  switch (t->type) {
  case TFL_INT8:
  case TFL_UINT8:
    return quant_elem(imp, t, out);
  case TFL_INT32:
  case TFL_FLOAT32:
    *out = tfl_storage_type(imp, t->type);
    return NULL;
  default:
    return tfl_fail(imp, "tensor '%s' has dtype %s (supported: INT8, UINT8, INT32, FLOAT32)", t->name,
                    tfl_type_name(t->type));
  }
}

mcu_status_t tfl_type(timp_t *imp, const tfl_tensor_t *t, MlirType *out) {
  tshape_t s;
  MlirType elem;
  mcu_status_t st;
  if ((st = tfl_shape(imp, t, &s)) || (st = tfl_elem(imp, t, &elem)))
    return st;
  *out = tfl_ranked(s.rank, s.dims, elem);
  return NULL;
}

mcu_status_t tfl_const_data(timp_t *imp, const tfl_tensor_t *t, const uint8_t **out, size_t *out_size) {
  *out = NULL;
  *out_size = 0;
  if (t->buffer == 0)
    return NULL; /* buffer 0 is the empty sentinel */
  if (t->buffer >= (uint32_t)imp->model->num_buffers)
    return tfl_fail(imp, "tensor '%s' refers to buffer %u of %d", t->name, (unsigned)t->buffer,
                    imp->model->num_buffers);
  const tfl_buffer_t *b = &imp->model->buffers[t->buffer];
  if (!b->data)
    return NULL;
  tshape_t s;
  mcu_status_t st = tfl_shape(imp, t, &s);
  if (st)
    return st;
  size_t es = tfl_dtype_size(t->type);
  if (!es)
    return tfl_fail(imp, "constant tensor '%s' has dtype %s", t->name, tfl_type_name(t->type));
  if (b->size != (size_t)s.count * es)
    return tfl_fail(imp, "constant tensor '%s' holds %zu bytes, its shape needs %zu", t->name, b->size,
                    (size_t)s.count * es);
  *out = b->data;
  *out_size = b->size;
  return NULL;
}

static int64_t rd_le(const uint8_t *p, size_t n) {
  uint64_t u = 0;
  for (size_t k = 0; k < n; ++k)
    u |= (uint64_t)p[k] << (8 * k);
  if (n == 4)
    return (int32_t)(uint32_t)u;
  return (int64_t)u;
}

mcu_status_t tfl_const_ints(timp_t *imp, const tfl_tensor_t *t, const char *role, int64_t *out, int cap, int *out_n) {
  const uint8_t *data;
  size_t size;
  mcu_status_t s = tfl_const_data(imp, t, &data, &size);
  if (s)
    return s;
  if (!data || (t->type != TFL_INT32 && t->type != TFL_INT64))
    return tfl_fail(imp, "the %s '%s' must be a constant INT32 or INT64 tensor", role, t->name);
  size_t es = tfl_dtype_size(t->type), n = size / es;
  if (n > (size_t)cap)
    return tfl_fail(imp, "the %s '%s' has %zu elements, at most %d", role, t->name, n, cap);
  for (size_t i = 0; i < n; ++i)
    out[i] = rd_le(data + i * es, es);
  *out_n = (int)n;
  return NULL;
}

MlirNamedAttribute tfl_named(timp_t *imp, const char *name, MlirAttribute a) { return mcu_named(imp->ctx, name, a); }

MlirAttribute tfl_i64_array(timp_t *imp, int n, const int64_t *v) { return mlirDenseI64ArrayGet(imp->ctx, n, v); }

MlirValue tfl_emit(timp_t *imp, const char *op, int nops, const MlirValue *operands, MlirType result, int nattrs,
                   const MlirNamedAttribute *attrs, const char *name) {
  MlirNamedAttribute n[2] = {
      tfl_named(imp, "mcu.name", mlirStringAttrGet(imp->ctx, tfl_sref(name))),
      tfl_named(imp, "numerics", mlirStringAttrGet(imp->ctx, tfl_sref("tflite"))),
  };
  return mcu_build_op(imp->block, imp->loc, op, nops, operands, result, nattrs, attrs,
                      strcmp(op, "mcu.constant") ? 2 : 1, n);
}

mcu_status_t tfl_emit_const(timp_t *imp, int rank, const int64_t *dims, MlirType storage, const void *data,
                            size_t size, MlirType result, const char *name, MlirValue *out) {
  MlirAttribute value = mlirDenseElementsAttrRawBufferGet(tfl_ranked(rank, dims, storage), size, data);
  if (mlirAttributeIsNull(value))
    return tfl_fail(imp, "constant '%s': internal error making its attribute", name);
  MlirNamedAttribute a = tfl_named(imp, "value", value);
  *out = tfl_emit(imp, "mcu.constant", 0, NULL, result, 1, &a, name);
  return NULL;
}

mcu_status_t tfl_value(timp_t *imp, int32_t idx, MlirValue *out) {
  const tfl_tensor_t *t;
  mcu_status_t s = tfl_tensor_at(imp, idx, &t);
  if (s)
    return s;
  if (!mlirValueIsNull(imp->values[idx])) {
    *out = imp->values[idx];
    return NULL;
  }
  const uint8_t *data;
  size_t size;
  if ((s = tfl_const_data(imp, t, &data, &size)))
    return s;
  if (!data)
    return tfl_fail(imp, "tensor '%s' is read before any operator computes it", t->name);
  tshape_t sh;
  MlirType elem;
  if ((s = tfl_shape(imp, t, &sh)) || (s = tfl_elem(imp, t, &elem)))
    return s;
  MlirLocation saved = imp->loc;
  imp->loc = mlirLocationFileLineColGet(imp->ctx, tfl_sref(imp->path), 0, 0);
  s = tfl_emit_const(imp, sh.rank, sh.dims, tfl_storage_type(imp, t->type), data, size,
                     tfl_ranked(sh.rank, sh.dims, elem), t->name, out);
  imp->loc = saved;
  if (!s)
    imp->values[idx] = *out;
  return s;
}

mcu_status_t tfl_define(timp_t *imp, int32_t idx, MlirValue v) {
  const tfl_tensor_t *t;
  mcu_status_t s = tfl_tensor_at(imp, idx, &t);
  if (s)
    return s;
  const uint8_t *data;
  size_t size;
  if ((s = tfl_const_data(imp, t, &data, &size)))
    return s;
  if (!mlirValueIsNull(imp->values[idx]) || data)
    return tfl_fail(imp, "tensor '%s' is written twice (or is a constant)", t->name);
  imp->values[idx] = v;
  return NULL;
}

MlirType tfl_permute_elem(timp_t *imp, MlirType elem, const int *perm, int rank) {
  if (!mlirTypeIsAUniformQuantizedPerAxisType(elem))
    return elem;
  int axis = mlirUniformQuantizedPerAxisTypeGetQuantizedDimension(elem), new_axis = 0;
  for (int i = 0; i < rank; ++i)
    if (perm[i] == axis)
      new_axis = i;
  intptr_t n = mlirUniformQuantizedPerAxisTypeGetNumDims(elem);
  double *scales = tfl_alloc(imp, (size_t)n * sizeof *scales);
  int64_t *zps = tfl_alloc(imp, (size_t)n * sizeof *zps);
  if (!scales || !zps)
    return (MlirType){NULL};
  for (intptr_t i = 0; i < n; ++i) {
    scales[i] = mlirUniformQuantizedPerAxisTypeGetScale(elem, i);
    zps[i] = mlirUniformQuantizedPerAxisTypeGetZeroPoint(elem, i);
  }
  return mlirUniformQuantizedPerAxisTypeGet(mlirQuantizedTypeGetFlags(elem), mlirQuantizedTypeGetStorageType(elem),
                                            mlirQuantizedTypeGetExpressedType(elem), n, scales, zps, new_axis,
                                            mlirQuantizedTypeGetStorageTypeMin(elem),
                                            mlirQuantizedTypeGetStorageTypeMax(elem));
}

/* TF Lite's Quantize() helper of CalculateActivationRangeQuantized: zp + TfLiteRound(f / scale), with the division
 * and the rounding (half away from zero) in float32, and an error when the rounded value leaves int32. */
static mcu_status_t quantize_bound(timp_t *imp, const tfl_tensor_t *out, float f, int64_t *q) {
  float scale = out->quant.scales[0];
  float tmp = roundf(f / scale);
  if (!(tmp >= -2147483648.0f && tmp <= 2147483647.0f))
    return tfl_fail(imp, "activation bound %g overflows int32 at output scale %g", (double)f, (double)scale);
  int64_t zp = out->quant.num_zero_points ? out->quant.zero_points[0] : 0;
  *q = zp + (int64_t)(int32_t)tmp;
  return NULL;
}

mcu_status_t tfl_quant_range(timp_t *imp, const tfl_tensor_t *out, int has_lo, float lo, int has_hi, float hi,
                             int64_t *out_min, int64_t *out_max) {
  MlirType elem;
  mcu_status_t s = tfl_elem(imp, out, &elem);
  if (s)
    return s;
  if (!mlirTypeIsAUniformQuantizedType(elem))
    return tfl_fail(imp, "output '%s' must be quantized per tensor", out->name);
  int64_t qmin = out->type == TFL_INT8 ? -128 : 0, qmax = out->type == TFL_INT8 ? 127 : 255, q;
  *out_min = qmin;
  *out_max = qmax;
  if (has_lo) {
    if ((s = quantize_bound(imp, out, lo, &q)))
      return s;
    if (q > qmin)
      *out_min = q;
  }
  if (has_hi) {
    if ((s = quantize_bound(imp, out, hi, &q)))
      return s;
    if (q < qmax)
      *out_max = q;
  }
  return NULL;
}

mcu_status_t tfl_act_attrs(timp_t *imp, int activation, const tfl_tensor_t *out, MlirNamedAttribute *attrs,
                           int *inout_n) {
  float lo = 0, hi = 0;
  int has_lo = 1, has_hi = 1;
  switch (activation) {
  case TFL_ACT_NONE:
    has_lo = has_hi = 0;
    break;
  case TFL_ACT_RELU:
    has_hi = 0;
    break;
  case TFL_ACT_RELU6:
    hi = 6.0f;
    break;
  case TFL_ACT_RELU_N1_TO_1:
    lo = -1.0f;
    hi = 1.0f;
    break;
  default:
    return tfl_fail(imp, "fused activation %d is not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)", activation);
  }
  if (out->type == TFL_FLOAT32) {
    MlirType f32 = mlirF32TypeGet(imp->ctx);
    attrs[(*inout_n)++] = tfl_named(imp, "act_fmin", mlirFloatAttrDoubleGet(imp->ctx, f32, has_lo ? lo : -FLT_MAX));
    attrs[(*inout_n)++] = tfl_named(imp, "act_fmax", mlirFloatAttrDoubleGet(imp->ctx, f32, has_hi ? hi : FLT_MAX));
    return NULL;
  }
  int64_t mn, mx;
  mcu_status_t s = tfl_quant_range(imp, out, has_lo, lo, has_hi, hi, &mn, &mx);
  if (s)
    return s;
  attrs[(*inout_n)++] = tfl_named(imp, "act_min", mcu_attr_i64(imp->ctx, mn));
  attrs[(*inout_n)++] = tfl_named(imp, "act_max", mcu_attr_i64(imp->ctx, mx));
  return NULL;
}
