/* const_util.c: mcu.constant helpers shared by the folding passes (read, create, erase when dead). */
#include "const_util.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <string.h>

#include "context.h"

MlirType mcu_const_storage_type(MlirType tensor_type) {
  MlirType none = {NULL};
  if (!mlirTypeIsARankedTensor(tensor_type) || !mlirShapedTypeHasStaticShape(tensor_type)) return none;
  MlirType el = mlirShapedTypeGetElementType(tensor_type);
  MlirContext ctx = mlirTypeGetContext(tensor_type);
  if (mlirTypeIsAQuantizedType(el)) {
    unsigned w = mlirQuantizedTypeGetStorageTypeIntegralWidth(el);
    el = (w == 8 && !mlirQuantizedTypeIsSigned(el)) ? mlirIntegerTypeUnsignedGet(ctx, 8) : mlirIntegerTypeGet(ctx, w);
  } else if (!mlirTypeIsAInteger(el) && !mlirTypeIsAF32(el)) {
    return none;
  }
  intptr_t rank = mlirShapedTypeGetRank(tensor_type);
  int64_t dims[16];
  if (rank > 16) return none;
  for (intptr_t i = 0; i < rank; ++i) dims[i] = mlirShapedTypeGetDimSize(tensor_type, i);
  return mlirRankedTensorTypeGet(rank, dims, el, mlirAttributeGetNull());
}

static MlirAttribute const_value(MlirValue v) {
  MlirAttribute none = {NULL};
  if (mlirValueIsNull(v) || !mlirValueIsAOpResult(v)) return none;
  MlirOperation op = mlirOpResultGetOwner(v);
  if (!mcu_op_is(op, "mcu.constant")) return none;
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a)) return none;
  return a;
}

int mcu_const_is(MlirValue v) { return !mlirAttributeIsNull(const_value(v)); }

int mcu_const_read(MlirValue v, void *out_data, int64_t bytes) {
  MlirAttribute a = const_value(v);
  if (mlirAttributeIsNull(a) || bytes < 0) return 0;
  MlirType at = mlirAttributeGetType(a);
  int64_t abytes = mcu_type_bytes(at), n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(at); ++i) n *= mlirShapedTypeGetDimSize(at, i);
  if (abytes != bytes || mcu_type_bytes(mlirValueGetType(v)) != bytes) return 0;
  const uint8_t *raw = mlirDenseElementsAttrGetRawData(a);
  if (mlirDenseElementsAttrIsSplat(a)) {
    /* one element, then doubling copies (one memcpy per element is slow on large splat filters) */
    int64_t esize = n > 0 ? bytes / n : 0;
    uint8_t *o = out_data;
    if (n > 0) memcpy(o, raw, (size_t)esize);
    for (int64_t have = esize; have > 0 && have < bytes; have *= 2)
      memcpy(o + have, o, (size_t)(have < bytes - have ? have : bytes - have));
  } else {
    memcpy(out_data, raw, (size_t)bytes);
  }
  return 1;
}

MlirValue mcu_const_insert(MlirOperation before, MlirType result_type, const void *data, MlirAttribute name) {
  MlirContext ctx = mlirOperationGetContext(before);
  MlirType st = mcu_const_storage_type(result_type);
  int64_t bytes = mcu_type_bytes(result_type);
  MlirAttribute value = mlirDenseElementsAttrRawBufferGet(st, (size_t)bytes, data);
  MlirNamedAttribute attrs[2] = {mcu_named(ctx, "value", value), {{NULL}, {NULL}}};
  int nattrs = 1;
  if (!mlirAttributeIsNull(name)) attrs[nattrs++] = mcu_named(ctx, "mcu.name", name);
  MlirOperationState st_op = mlirOperationStateGet(mlirStringRefCreateFromCString("mcu.constant"),
                                                   mlirOperationGetLocation(before));
  mlirOperationStateAddAttributes(&st_op, nattrs, attrs);
  mlirOperationStateAddResults(&st_op, 1, &result_type);
  MlirOperation c = mlirOperationCreate(&st_op);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(before), before, c);
  return mlirOperationGetResult(c, 0);
}

void mcu_erase_if_dead(MlirValue v) {
  if (mlirValueIsNull(v) || !mlirValueIsAOpResult(v)) return;
  MlirOperation op = mlirOpResultGetOwner(v);
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i)
    if (mcu_value_num_uses(mlirOperationGetResult(op, i))) return;
  mlirOperationDestroy(op);
}
