/* simplify_transposes.c: the simplify-transposes pass, transposes composed, cancelled or turned into reshapes. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>

#include "context.h"
#include "passes.h"

/* Algorithm, per mcu.transpose T in order: (1) if T's input is another transpose I, T reads I's input with the
 * composed permutation (T after I: perm[i] = perm_I[perm_T[i]]); I is erased when nothing else reads it; (2) an
 * identity permutation disappears (its users read the input); (3) a permutation that keeps the order of every
 * dimension larger than 1 moves no byte and becomes an mcu.reshape (copy-free once memory planning aliases
 * reshapes). Why: importers insert a transpose at each layout change (ONNX NCHW <-> NHWC); pairs cancel, and
 * transposes of single-channel or 1x1 maps are free. Weakness: it does not move transposes across other ops
 * (element-wise ops could let a pair meet). */

static int read_perm(MlirOperation op, int64_t *perm, int *out_rank) {
  int n = mcu_op_get_i64_array(op, "perm", perm, 8);
  if (n < 1 || n > 8) return 0;
  *out_rank = n;
  return 1;
}

/* Whether the permutation keeps the relative order of the input dimensions whose size is not 1. */
static int moves_no_data(MlirType in_type, const int64_t *perm, int rank) {
  int64_t last = -1;
  for (int i = 0; i < rank; ++i) {
    if (mlirShapedTypeGetDimSize(in_type, perm[i]) == 1) continue;
    if (perm[i] < last) return 0;
    last = perm[i];
  }
  return 1;
}

static void replace_with_reshape(MlirOperation t) {
  MlirValue in = mlirOperationGetOperand(t, 0), out = mlirOperationGetResult(t, 0);
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("mcu.reshape"), mlirOperationGetLocation(t));
  mlirOperationStateAddOperands(&st, 1, &in);
  MlirType ty = mlirValueGetType(out);
  mlirOperationStateAddResults(&st, 1, &ty);
  MlirAttribute name = mlirOperationGetAttributeByName(t, mlirStringRefCreateFromCString("mcu.name"));
  if (!mlirAttributeIsNull(name)) {
    MlirNamedAttribute na = mcu_named(mlirOperationGetContext(t), "mcu.name", name);
    mlirOperationStateAddAttributes(&st, 1, &na);
  }
  MlirOperation r = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(t), t, r);
  mlirValueReplaceAllUsesOfWith(out, mlirOperationGetResult(r, 0));
  mlirOperationDestroy(t);
}

static void simplify_one(MlirOperation t, void *user) {
  (void)user;
  MlirContext ctx = mlirOperationGetContext(t);
  int64_t perm[8], inner_perm[8];
  int rank, inner_rank;
  if (!read_perm(t, perm, &rank)) return;
  MlirValue in = mlirOperationGetOperand(t, 0);
  if (!mlirValueIsABlockArgument(in)) {
    MlirOperation inner = mlirOpResultGetOwner(in);
    if (mcu_op_is(inner, "mcu.transpose") && read_perm(inner, inner_perm, &inner_rank) && inner_rank == rank) {
      int64_t composed[8];
      for (int i = 0; i < rank; ++i) composed[i] = inner_perm[perm[i]];
      mlirOperationSetAttributeByName(t, mlirStringRefCreateFromCString("perm"), mlirDenseI64ArrayGet(ctx, rank, composed));
      in = mlirOperationGetOperand(inner, 0);
      mlirOperationSetOperand(t, 0, in);
      if (mcu_value_num_uses(mlirOperationGetResult(inner, 0)) == 0) mlirOperationDestroy(inner);
      for (int i = 0; i < rank; ++i) perm[i] = composed[i];
    }
  }
  int identity = 1;
  for (int i = 0; i < rank; ++i) identity &= perm[i] == i;
  MlirValue out = mlirOperationGetResult(t, 0);
  if (identity && mlirTypeEqual(mlirValueGetType(in), mlirValueGetType(out))) {
    mlirValueReplaceAllUsesOfWith(out, in);
    mlirOperationDestroy(t);
  } else if (moves_no_data(mlirValueGetType(in), perm, rank)) {
    replace_with_reshape(t);
  }
}

void mcu_pass_simplify_transposes(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, "mcu.transpose", simplify_one, NULL);
}
