/* mark_inplace.c: the mark-inplace pass, ops whose output may overwrite an input marked `mcu.inplace` for plan-memory. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>

#include "context.h"
#include "lower.h"
#include "passes.h"

/* Algorithm: for each mcu.conv2d (candidate operand 0) and mcu.add / mcu.sub (operands 0, then 1) of @main whose
 * result is not a model output, a candidate operand qualifies when
 *   - it is the result of an op that owns an arena buffer: not a block argument (model input), not an
 *     mcu.constant, not a copy-free reshape (`mcu.alias`, whose bytes other names may still read);
 *   - this op is its only use (no later reader, and not read twice by this op);
 *   - with the tentative mark `mcu.inplace = k`, the kernel library runs the op with a function whose inplace_mask
 *     has bit k (compiler/lower.c's mcu_lower_op_kernel_inplace asks the same prepare code generation uses, as if
 *     the mark were set, without setting it: most marks are refused, and each set or removal rebuilds the op's
 *     attribute dictionary): today the int8 TF Lite depthwise conv with multiplier 1 (mcu_k_conv_dw_inplace_s8,
 *     scratch of one input plane) and
 *     int8 TF Lite add/sub without broadcasting (mcu_k_add_s8 / mcu_k_sub_s8 read element i before writing it).
 * The first qualifying operand keeps the mark (an i64 attribute, the operand index); otherwise any old mark is
 * removed. plan-memory then lets the result share the operand's buffer and the lowering gives the layer its
 * in-place flag. Why: a stride-2 depthwise conv needs input + output bytes live together, in place only the larger
 * of the two plus a plane of scratch (TinyEngine's trick, here exact). Weakness: an operand produced by a
 * copy-free reshape is never overwritten (its root buffer could be checked instead); ONNX-numerics convs and adds
 * (native code generation, ONNX Runtime's kernels) are not run in place. */

/* Operand k may be overwritten by op's result as far as the graph is concerned. */
static int operand_dies_here(MlirOperation op, intptr_t k) {
  MlirValue v = mlirOperationGetOperand(op, k);
  if (mlirValueIsABlockArgument(v)) return 0;
  MlirOperation def = mlirOpResultGetOwner(v);
  if (mcu_op_is(def, "mcu.constant") || (mcu_op_is(def, "mcu.reshape") && mcu_op_has_attr(def, "mcu.alias"))) return 0;
  return mcu_value_num_uses(v) == 1;
}

/* With the mark on operand k (asked without setting it), the kernel library's call accepts out == input k; then
 * the mark is set. */
static int kernel_accepts(MlirContext ctx, MlirOperation op, intptr_t k) {
  mcu_op_kernel_t info;
  mcu_status_t s = mcu_lower_op_kernel_inplace(op, (int)k, &info);
  if (s) {
    mcu_status_free(s);
    info.handled = 0;
  }
  int ok = info.handled && (info.inplace_mask & (1u << k));
  if (ok) mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.inplace"),
                                                     mcu_attr_i64(ctx, (int64_t)k));
  return ok;
}

void mcu_pass_mark_inplace(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  MlirContext ctx = mlirOperationGetContext(module);
  MlirBlock block = mcu_main_block(module);
  if (mlirBlockIsNull(block)) return;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    mcu_op_remove_attr(op, "mcu.inplace");
    intptr_t candidates = 0;
    if (mcu_op_is(op, "mcu.conv2d"))
      candidates = 1;
    else if (mcu_op_is(op, "mcu.add") || mcu_op_is(op, "mcu.sub"))
      candidates = 2;
    if (!candidates || mlirOperationGetNumResults(op) != 1 || mcu_value_is_returned(mlirOperationGetResult(op, 0))) continue;
    for (intptr_t k = 0; k < candidates && k < mlirOperationGetNumOperands(op); ++k)
      if (operand_dies_here(op, k) && kernel_accepts(ctx, op, k)) break;
  }
}
