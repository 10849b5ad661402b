/* onnx_emit.c: MLIR types and ops for the ONNX importer: quantized element types, constants, transposes. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"

MlirType onnx_elem_of(MlirValue v) { return mlirShapedTypeGetElementType(mlirValueGetType(v)); }

static void append_cb(MlirStringRef s, void *user) {
  char *buf = user;
  size_t used = strlen(buf), n = s.length;
  if (used + n > 255)
    n = 255 - used;
  memcpy(buf + used, s.data, n);
  buf[used + n] = 0;
}

/* Textual form of a type, for messages (truncated to 255 characters). */
const char *onnx_type_str(importer_t *imp, MlirType t) {
  char *buf = onnx_alloc(imp, 256);
  if (!buf)
    return "?";
  mlirTypePrint(t, append_cb, buf);
  return buf;
}

/* The quantized element type for uint8/int8 storage: real = scale * (q - zero_point); per tensor when n == 1,
 * else per slice along `axis`. Scales must already be checked positive and finite. */
MlirType onnx_quant_type(importer_t *imp, int dtype, int n, const double *scales, const int64_t *zps, int axis) {
  int is_signed = dtype == DT_INT8;
  MlirType storage = mlirIntegerTypeGet(imp->ctx, 8), expressed = mlirF32TypeGet(imp->ctx);
  unsigned flags = is_signed ? mlirQuantizedTypeGetSignedFlag() : 0;
  int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  if (n == 1)
    return mlirUniformQuantizedTypeGet(flags, storage, expressed, scales[0], zps[0], lo, hi);
  return mlirUniformQuantizedPerAxisTypeGet(flags, storage, expressed, n, (double *)scales, (int64_t *)zps, axis, lo,
                                            hi);
}

/* Scale 1, zero point 0: the type of uint8/int8 tensors whose quantization no node states. */
static MlirType raw_quant_type(importer_t *imp, int dtype) {
  double one = 1.0;
  int64_t zero = 0;
  return onnx_quant_type(imp, dtype, 1, &one, &zero, -1);
}

/* Element type of a non-quantized or not-yet-quantized dtype. Null for unsupported dtypes. */
MlirType onnx_default_elem(importer_t *imp, int dtype) {
  switch (dtype) {
  case DT_FLOAT:
    return mlirF32TypeGet(imp->ctx);
  case DT_INT32:
    return mlirIntegerTypeGet(imp->ctx, 32);
  case DT_UINT8:
  case DT_INT8:
    return raw_quant_type(imp, dtype);
  default:
    return (MlirType){NULL};
  }
}

/* The element type after permuting dimensions (output dim i = input dim perm[i]): moves a per-axis axis. */
mcu_status_t onnx_permute_elem(importer_t *imp, MlirType elem, const int *perm, int rank, MlirType *out) {
  *out = elem;
  if (!mlirTypeIsAUniformQuantizedPerAxisType(elem))
    return NULL;
  int axis = mlirUniformQuantizedPerAxisTypeGetQuantizedDimension(elem), new_axis = -1;
  for (int i = 0; i < rank; ++i)
    if (perm[i] == axis)
      new_axis = i;
  intptr_t n = mlirUniformQuantizedPerAxisTypeGetNumDims(elem);
  double *scales = onnx_alloc(imp, (size_t)n * sizeof *scales);
  int64_t *zps = onnx_alloc(imp, (size_t)n * sizeof *zps);
  if (!scales || !zps)
    return onnx_oom(imp);
  for (intptr_t i = 0; i < n; ++i) {
    scales[i] = mlirUniformQuantizedPerAxisTypeGetScale(elem, i);
    zps[i] = mlirUniformQuantizedPerAxisTypeGetZeroPoint(elem, i);
  }
  *out = mlirUniformQuantizedPerAxisTypeGet(
      mlirQuantizedTypeGetFlags(elem), mlirQuantizedTypeGetStorageType(elem), mlirQuantizedTypeGetExpressedType(elem),
      n, scales, zps, new_axis, mlirQuantizedTypeGetStorageTypeMin(elem), mlirQuantizedTypeGetStorageTypeMax(elem));
  return NULL;
}

/* Creates `op` (one result) at the end of the function body, with `mcu.name` = name. */
MlirValue onnx_emit(importer_t *imp, const char *op, int nops, const MlirValue *operands, MlirType result, int nattrs,
                    const MlirNamedAttribute *attrs, const char *name) {
  MlirNamedAttribute n = mcu_named(imp->ctx, "mcu.name", mlirStringAttrGet(imp->ctx, onnx_sref(name)));
  return mcu_build_op(imp->block, imp->loc, op, nops, operands, result, nattrs, attrs, 1, &n);
}

MlirAttribute onnx_i64_array(importer_t *imp, int n, const int64_t *v) {
  return mlirDenseI64ArrayGet(imp->ctx, n, v);
}

/* A constant of `rank`/`dims` holding `data` (dtype storage, little-endian), typed `elem`. */
mcu_status_t onnx_emit_const(importer_t *imp, int rank, const int64_t *dims, int dtype, const uint8_t *data,
                             int64_t count, MlirType elem, const char *name, MlirValue *out) {
  MlirType storage;
  switch (dtype) {
  case DT_UINT8:
    storage = mlirIntegerTypeUnsignedGet(imp->ctx, 8);
    break;
  case DT_INT8:
    storage = mlirIntegerTypeGet(imp->ctx, 8);
    break;
  case DT_INT32:
    storage = mlirIntegerTypeGet(imp->ctx, 32);
    break;
  case DT_FLOAT:
    storage = mlirF32TypeGet(imp->ctx);
    break;
  default:
    return onnx_fail(imp, "constant '%s': dtype %s tensors are not supported as operands", name,
                     mcu_onnx_dtype_name(dtype));
  }
  if (count <= 0)
    return onnx_fail(imp, "constant '%s' is empty", name);
  MlirAttribute value = mlirDenseElementsAttrRawBufferGet(onnx_tensor_type(rank, dims, storage),
                                                          (size_t)count * mcu_onnx_dtype_size(dtype), data);
  if (mlirAttributeIsNull(value))
    return onnx_fail(imp, "constant '%s': internal error making its attribute", name);
  MlirNamedAttribute a = mcu_named(imp->ctx, "value", value);
  *out = onnx_emit(imp, "mcu.constant", 0, NULL, onnx_tensor_type(rank, dims, elem), 1, &a, name);
  return NULL;
}

mcu_status_t onnx_emit_transpose(importer_t *imp, MlirValue in, const int *perm, const char *name, MlirValue *out) {
  MlirType t = mlirValueGetType(in);
  int rank = (int)mlirShapedTypeGetRank(t);
  int64_t dims[MCU_MAX_RANK], p[MCU_MAX_RANK];
  for (int i = 0; i < rank; ++i) {
    dims[i] = mlirShapedTypeGetDimSize(t, perm[i]);
    p[i] = perm[i];
  }
  MlirType elem;
  mcu_status_t s = onnx_permute_elem(imp, mlirShapedTypeGetElementType(t), perm, rank, &elem);
  if (s)
    return s;
  MlirNamedAttribute a = mcu_named(imp->ctx, "perm", onnx_i64_array(imp, rank, p));
  *out = onnx_emit(imp, "mcu.transpose", 1, &in, onnx_tensor_type(rank, dims, elem), 1, &a, name);
  return NULL;
}
