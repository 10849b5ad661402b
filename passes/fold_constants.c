/* fold_constants.c: the fold-constants pass, ops over constants evaluated at compile time by the reference. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "const_util.h"
#include "context.h"
#include "lower.h"
#include "passes.h"
#include "ref.h"

/* Algorithm: walk each function's ops in order; an `mcu` op with one result (not mcu.constant, not
 * mcu.dequantize) whose operands are all dense mcu.constant values, and whose result is at most
 * MAX_GROWTH bytes larger than those operands together, is evaluated: a temporary module holds clones of the
 * constants and of the op and returns its result; compiler/lower.c lowers it and the reference
 * (runtime/ref, mcu_ref_run) runs it; the result's bytes become a new mcu.constant of the op's result type (its
 * mcu.name kept), the op is erased and so are the constants left without users. Folded constants feed later ops
 * of the same walk, so chains (transpose of reshape of a constant) fold in one run.
 * Why: importers leave layout changes, reshapes, quantizations and pads of weights in the graph; doing them once
 * at compile time removes work and arena buffers and lets later passes see constants. Evaluating with the
 * reference kernels (the numerics definition) makes the folded bytes identical to what the program would have
 * computed, whatever the op's numerics. Weakness: mcu.dequantize is never folded (its f32 result takes 4x the
 * flash of the int8 weights, and it marks the QDQ groups fold-qdq turns into integer ops); ops the lowering or
 * the reference cannot run are silently left; every fold lowers a small module (cheap, but not free). */

#define MAX_GROWTH (64 * 1024) /* bytes a fold may add to the weights blob */

static int is_mcu_op(MlirOperation op) {
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  return n.length > 4 && !memcmp(n.data, "mcu.", 4);
}

/* The temporary module `func.func @main() -> T { constants; op; return }`; op's clone reads the constants' clones. */
static MlirModule build_module(MlirContext ctx, MlirOperation op) {
  MlirLocation loc = mlirOperationGetLocation(op);
  MlirModule m = mlirModuleCreateEmpty(loc);
  MlirBlock block = mlirBlockCreate(0, NULL, NULL);
  MlirOperation clone = mlirOperationClone(op);
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
    MlirOperation c = mlirOperationClone(mlirOpResultGetOwner(mlirOperationGetOperand(op, i)));
    mlirBlockAppendOwnedOperation(block, c);
    mlirOperationSetOperand(clone, i, mlirOperationGetResult(c, 0));
  }
  /* An aliasing reshape cannot alias a constant: in the temporary module it is a copy. */
  mlirOperationRemoveDiscardableAttributeByName(clone, mlirStringRefCreateFromCString("mcu.alias"));
  mlirOperationRemoveDiscardableAttributeByName(clone, mlirStringRefCreateFromCString("mcu.offset"));
  mlirBlockAppendOwnedOperation(block, clone);
  MlirValue result = mlirOperationGetResult(clone, 0);
  MlirType rt = mlirValueGetType(result);
  MlirOperationState rs = mlirOperationStateGet(mlirStringRefCreateFromCString("func.return"), loc);
  mlirOperationStateAddOperands(&rs, 1, &result);
  mlirBlockAppendOwnedOperation(block, mlirOperationCreate(&rs));
  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, block);
  MlirType ftype = mlirFunctionTypeGet(ctx, 0, NULL, 1, &rt);
  MlirNamedAttribute fattrs[2] = {
      mcu_named(ctx, "sym_name", mlirStringAttrGet(ctx, mlirStringRefCreateFromCString("main"))),
      mcu_named(ctx, "function_type", mlirTypeAttrGet(ftype)),
  };
  MlirOperationState fs = mlirOperationStateGet(mlirStringRefCreateFromCString("func.func"), loc);
  mlirOperationStateAddAttributes(&fs, 2, fattrs);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(m), mlirOperationCreate(&fs));
  return m;
}

/* Runs op over its constant operands; on success *out_data (malloc'ed, the result's bytes) is set. */
static int evaluate(MlirContext ctx, MlirOperation op, int64_t out_bytes, void **out_data) {
  MlirModule m = build_module(ctx, op);
  mcu_program_t *p = NULL;
  mcu_status_t s = mcu_lower_module(m, "fold", &p);
  mlirModuleDestroy(m);
  if (s) {
    mcu_status_free(s);
    return 0;
  }
  void *buf = calloc((size_t)out_bytes + 1, 1);
  void *outs[1] = {buf};
  int ok = buf && p->num_outputs == 1 && mcu_tensor_bytes(&p->tensors[p->outputs[0]]) == out_bytes &&
           mcu_ref_run(p, NULL, outs) == 0;
  mcu_program_destroy(p);
  if (!ok) {
    free(buf);
    return 0;
  }
  *out_data = buf;
  return 1;
}

static void fold_one(MlirOperation op, void *user) {
  (void)user;
  MlirContext ctx = mlirOperationGetContext(op);
  if (!is_mcu_op(op) || mcu_op_is(op, "mcu.constant") || mcu_op_is(op, "mcu.dequantize")) return;
  if (mlirOperationGetNumResults(op) != 1 || mlirOperationGetNumRegions(op) != 0) return;
  intptr_t n = mlirOperationGetNumOperands(op);
  if (n < 1) return;
  int64_t in_bytes = 0;
  for (intptr_t i = 0; i < n; ++i) {
    MlirValue v = mlirOperationGetOperand(op, i);
    int64_t b = mcu_type_bytes(mlirValueGetType(v));
    if (!mcu_const_is(v) || b < 0) return;
    in_bytes += b;
  }
  MlirValue res = mlirOperationGetResult(op, 0);
  MlirType rt = mlirValueGetType(res);
  int64_t out_bytes = mcu_type_bytes(rt);
  if (out_bytes < 0 || out_bytes > in_bytes + MAX_GROWTH || mlirTypeIsNull(mcu_const_storage_type(rt))) return;
  void *data;
  if (!evaluate(ctx, op, out_bytes, &data)) return;
  MlirAttribute name = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.name"));
  MlirValue c = mcu_const_insert(op, rt, data, name);
  free(data);
  mlirValueReplaceAllUsesOfWith(res, c);
  MlirValue operands[16];
  int num = 0;
  for (intptr_t i = 0; i < n; ++i) {
    MlirValue v = mlirOperationGetOperand(op, i);
    int seen = 0;
    for (int k = 0; k < num; ++k) seen |= mlirValueEqual(operands[k], v);
    if (!seen && num < 16) operands[num++] = v;
  }
  mlirOperationDestroy(op);
  for (int k = 0; k < num; ++k) mcu_erase_if_dead(operands[k]);
}

void mcu_pass_fold_constants(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, NULL, fold_one, NULL);
}
