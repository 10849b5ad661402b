/* context.c: MLIR context set-up, the embedded IRDL dialect, diagnostics and small attribute helpers. */
#include "context.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <mlir-c/Dialect/Arith.h>
#include <mlir-c/Dialect/Func.h>
#include <mlir-c/Dialect/IRDL.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

extern const char mcu_irdl_text[];

void mcu_print_to_file(MlirStringRef s, void *file) { fwrite(s.data, 1, s.length, (FILE *)file); }

/* Prints `loc("f.mlir":3:7): error: msg` as `f.mlir:3:7: error: msg`. */
static void print_location(MlirStringRef s, void *user) {
  char *buf = user;
  size_t used = strlen(buf), n = s.length;
  if (used + n >= 1024) n = 1023 - used;
  memcpy(buf + used, s.data, n);
  buf[used + n] = 0;
}

static MlirLogicalResult diagnostic_handler(MlirDiagnostic d, void *user) {
  (void)user;
  char loc[1024] = {0};
  mlirLocationPrint(mlirDiagnosticGetLocation(d), print_location, loc);
  const char *severity = "error";
  switch (mlirDiagnosticGetSeverity(d)) {
  case MlirDiagnosticWarning:
    severity = "warning";
    break;
  case MlirDiagnosticNote:
    severity = "note";
    break;
  case MlirDiagnosticRemark:
    severity = "remark";
    break;
  default:
    break;
  }
  /* loc("file":L:C) -> file:L:C */
  char pretty[1024];
  const char *p = loc;
  if (!strncmp(p, "loc(\"", 5)) {
    p += 5;
    size_t k = 0;
    for (; *p && k + 1 < sizeof pretty; ++p) {
      if (*p == '"' || *p == ')') continue;
      pretty[k++] = *p;
    }
    pretty[k] = 0;
  } else {
    snprintf(pretty, sizeof pretty, "%s", loc);
  }
  fprintf(stderr, "%s: %s: ", pretty, severity);
  mlirDiagnosticPrint(d, mcu_print_to_file, stderr);
  fputc('\n', stderr);
  return mlirLogicalResultSuccess();
}

mcu_status_t mcu_context_create(MlirContext *out_ctx) {
  MlirContext ctx = mlirContextCreate();
  MlirDialectHandle handles[] = {mlirGetDialectHandle__func__(), mlirGetDialectHandle__arith__(),
                                 mlirGetDialectHandle__quant__(), mlirGetDialectHandle__irdl__()};
  for (size_t i = 0; i < sizeof handles / sizeof handles[0]; ++i) {
    mlirDialectHandleRegisterDialect(handles[i], ctx);
    mlirDialectHandleLoadDialect(handles[i], ctx);
  }
  mlirContextAttachDiagnosticHandler(ctx, diagnostic_handler, NULL, NULL);
  MlirModule defs = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(mcu_irdl_text));
  if (mlirModuleIsNull(defs)) {
    mlirContextDestroy(ctx);
    return mcu_status_errorf("internal error: the embedded mcu IRDL dialect does not parse");
  }
  MlirLogicalResult r = mlirLoadIRDLDialects(defs);
  mlirModuleDestroy(defs);
  if (mlirLogicalResultIsFailure(r)) {
    mlirContextDestroy(ctx);
    return mcu_status_errorf("internal error: the mcu IRDL dialect does not load");
  }
  *out_ctx = ctx;
  return NULL;
}

mcu_status_t mcu_module_parse_file(MlirContext ctx, const char *path, MlirModule *out_module) {
  FILE *f = fopen(path, "rb");
  if (!f) return mcu_status_errorf("%s: cannot open file", path);
  fclose(f);
  MlirModule m = mlirModuleCreateParseFromFile(ctx, mlirStringRefCreateFromCString(path));
  if (mlirModuleIsNull(m)) return mcu_status_errorf("%s: parse failed", path);
  if (!mlirOperationVerify(mlirModuleGetOperation(m))) {
    mlirModuleDestroy(m);
    return mcu_status_errorf("%s: verification failed", path);
  }
  *out_module = m;
  return NULL;
}

mcu_status_t mcu_module_parse_string(MlirContext ctx, const char *text, const char *name, MlirModule *out_module) {
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(m)) return mcu_status_errorf("%s: parse failed", name);
  if (!mlirOperationVerify(mlirModuleGetOperation(m))) {
    mlirModuleDestroy(m);
    return mcu_status_errorf("%s: verification failed", name);
  }
  *out_module = m;
  return NULL;
}

MlirAttribute mcu_attr_i64(MlirContext ctx, int64_t v) {
  return mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), v);
}

MlirIdentifier mcu_ident(MlirContext ctx, const char *name) {
  return mlirIdentifierGet(ctx, mlirStringRefCreateFromCString(name));
}

MlirValue mcu_build_op(MlirBlock block, MlirLocation loc, const char *name, int nops, const MlirValue *operands,
                       MlirType result, int nattrs, const MlirNamedAttribute *attrs, int nextra,
                       const MlirNamedAttribute *extra) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), loc);
  if (nops)
    mlirOperationStateAddOperands(&st, nops, operands);
  mlirOperationStateAddResults(&st, 1, &result);
  if (nattrs)
    mlirOperationStateAddAttributes(&st, nattrs, attrs);
  if (nextra)
    mlirOperationStateAddAttributes(&st, nextra, extra);
  MlirOperation o = mlirOperationCreate(&st);
  mlirBlockAppendOwnedOperation(block, o);
  return mlirOperationGetResult(o, 0);
}

MlirNamedAttribute mcu_named(MlirContext ctx, const char *name, MlirAttribute a) {
  return mlirNamedAttributeGet(mcu_ident(ctx, name), a);
}

int64_t mcu_op_get_i64(MlirOperation op, const char *name, int64_t fallback) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a)) return fallback;
  return mlirIntegerAttrGetValueInt(a);
}

int mcu_op_get_i64_array(MlirOperation op, const char *name, int64_t *out, int cap) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a)) return -1;
  intptr_t n = mlirDenseArrayGetNumElements(a);
  for (intptr_t i = 0; i < n && i < cap; ++i) out[i] = mlirDenseI64ArrayGetElement(a, i);
  return (int)n;
}

MlirBlock mcu_main_block(MlirOperation module) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!mcu_op_is(op, "func.func")) continue;
    MlirAttribute name = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    MlirStringRef s = mlirStringAttrGetValue(name);
    if (s.length == 4 && !memcmp(s.data, "main", 4))
      return mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0));
  }
  MlirBlock none = {NULL};
  return none;
}

void mcu_for_each_op(MlirOperation module, const char *name, void (*fn)(MlirOperation op, void *user), void *user) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation f = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(f); f = mlirOperationGetNextInBlock(f)) {
    if (!mcu_op_is(f, "func.func")) continue;
    MlirBlock b = mlirRegionGetFirstBlock(mlirOperationGetRegion(f, 0));
    if (mlirBlockIsNull(b)) continue;
    MlirOperation op = mlirBlockGetFirstOperation(b);
    while (!mlirOperationIsNull(op)) {
      MlirOperation next = mlirOperationGetNextInBlock(op);
      if (!name || mcu_op_is(op, name)) fn(op, user);
      op = next;
    }
  }
}

int mcu_value_num_uses(MlirValue v) {
  int n = 0;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) ++n;
  return n;
}

int mcu_value_is_returned(MlirValue v) {
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
    if (mcu_op_is(mlirOpOperandGetOwner(u), "func.return")) return 1;
  return 0;
}

int mcu_op_has_attr(MlirOperation op, const char *name) {
  return !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name)));
}

void mcu_op_remove_attr(MlirOperation op, const char *name) {
  MlirStringRef r = mlirStringRefCreateFromCString(name);
  if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, r)))
    mlirOperationRemoveDiscardableAttributeByName(op, r);
}

/* Algorithm: one MlirOperationState holding the op's attributes but those being set, then the new ones;
 * mlirOperationCreate builds the sorted dictionary once. Why: the C API has no call that replaces an op's whole
 * dictionary, and each mlirOperationSetDiscardableAttributeByName copies the attribute list, inserts and uniques a
 * new dictionary (select-kernels' five attributes per conv were a tenth of a NAS cost query). Weakness: the op is
 * a new object, so a pass may use this only while it keeps no other reference to the old op. */
void mcu_op_set_attrs(MlirOperation *op, int n, const MlirNamedAttribute *attrs) {
  enum { MAX_VALUES = 16, MAX_ATTRS = 64 };
  MlirOperation old = *op;
  const intptr_t na = mlirOperationGetNumAttributes(old), no = mlirOperationGetNumOperands(old),
                 nr = mlirOperationGetNumResults(old);
  MlirBlock block = mlirOperationGetBlock(old);
  if (n < 0 || mlirBlockIsNull(block) || mlirOperationGetNumRegions(old) || mlirOperationGetNumSuccessors(old) ||
      no > MAX_VALUES || nr > MAX_VALUES || na + n > MAX_ATTRS) {
    for (int i = 0; i < n; ++i)
      mlirOperationSetDiscardableAttributeByName(old, mlirIdentifierStr(attrs[i].name), attrs[i].attribute);
    return;
  }
  /* the op's attributes (sorted by name, as its dictionary keeps them) but the replaced ones, then each new one
   * inserted at its place: a sorted list, which MLIR then only checks instead of sorting */
  MlirNamedAttribute all[MAX_ATTRS];
  intptr_t count = 0;
  for (intptr_t i = 0; i < na; ++i) {
    const MlirNamedAttribute a = mlirOperationGetAttribute(old, i);
    int replaced = 0;
    for (int j = 0; j < n && !replaced; ++j) replaced = mlirIdentifierEqual(a.name, attrs[j].name);
    if (!replaced) all[count++] = a;
  }
  for (int j = 0; j < n; ++j) {
    const MlirStringRef r = mlirIdentifierStr(attrs[j].name);
    intptr_t at = count;
    while (at > 0) { /* StringRef order: bytes, then length */
      const MlirStringRef q = mlirIdentifierStr(all[at - 1].name);
      const int c = memcmp(q.data, r.data, q.length < r.length ? q.length : r.length);
      if (c < 0 || (c == 0 && q.length <= r.length)) break;
      all[at] = all[at - 1];
      --at;
    }
    all[at] = attrs[j];
    ++count;
  }
  MlirValue operands[MAX_VALUES];
  MlirType results[MAX_VALUES];
  for (intptr_t i = 0; i < no; ++i) operands[i] = mlirOperationGetOperand(old, i);
  for (intptr_t i = 0; i < nr; ++i) results[i] = mlirValueGetType(mlirOperationGetResult(old, i));
  MlirOperationState st =
      mlirOperationStateGet(mlirIdentifierStr(mlirOperationGetName(old)), mlirOperationGetLocation(old));
  mlirOperationStateAddOperands(&st, no, operands);
  mlirOperationStateAddResults(&st, nr, results);
  mlirOperationStateAddAttributes(&st, count, all);
  MlirOperation made = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(block, old, made);
  for (intptr_t i = 0; i < nr; ++i)
    mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(old, i), mlirOperationGetResult(made, i));
  mlirOperationDestroy(old);
  *op = made;
}

int mcu_op_is_alias(MlirOperation op) { return mcu_op_is(op, "mcu.reshape") && mcu_op_has_attr(op, "mcu.alias"); }

int mcu_type_storage_range(MlirType tensor_type, int64_t *out_min, int64_t *out_max) {
  MlirType el = mlirShapedTypeGetElementType(tensor_type);
  if (mlirTypeIsAQuantizedType(el)) {
    *out_min = mlirQuantizedTypeGetStorageTypeMin(el);
    *out_max = mlirQuantizedTypeGetStorageTypeMax(el);
    return 1;
  }
  if (mlirTypeIsAInteger(el)) {
    unsigned w = mlirIntegerTypeGetWidth(el);
    if (w == 0 || w > 32) return 0;
    if (mlirIntegerTypeIsUnsigned(el)) {
      *out_min = 0;
      *out_max = (int64_t)((1ull << w) - 1);
    } else {
      *out_min = -(int64_t)(1ull << (w - 1));
      *out_max = (int64_t)((1ull << (w - 1)) - 1);
    }
    return 1;
  }
  return 0;
}

int64_t mcu_element_bytes(MlirType el) {
  if (mlirTypeIsAQuantizedType(el)) return (mlirQuantizedTypeGetStorageTypeIntegralWidth(el) + 7) / 8;
  if (mlirTypeIsAInteger(el)) return (mlirIntegerTypeGetWidth(el) + 7) / 8;
  if (mlirTypeIsAF32(el)) return 4;
  return -1;
}

int64_t mcu_type_bytes(MlirType t) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t)) return -1;
  const int64_t esize = mcu_element_bytes(mlirShapedTypeGetElementType(t));
  if (esize < 0) return -1;
  int64_t n = esize;
  const intptr_t rank = mlirShapedTypeGetRank(t); /* each query of a shaped type looks its interface up */
  for (intptr_t i = 0; i < rank; ++i) {
    int64_t d = mlirShapedTypeGetDimSize(t, i);
    if (d < 0 || (d > 0 && n > INT64_MAX / d)) return -1;
    n *= d;
  }
  return n;
}
