/* mark_aliases.c: the mark-aliases pass, copy-free reshapes marked `mcu.alias` for plan-memory and lowering. */
#include <mlir-c/BuiltinAttributes.h>

#include "context.h"
#include "passes.h"

/* Algorithm: every mcu.reshape whose result is not a model output (not read by func.return) and whose input is
 * not an mcu.constant gets the unit attribute `mcu.alias`; the others lose it. plan-memory then gives an aliasing
 * reshape no buffer of its own (it names its input's bytes and extends their lifetime), and the lowering makes
 * it a tensor alias instead of a copy layer. Why: a reshape moves no byte, so copying it costs a buffer and a
 * pass over memory; keeping the decision in its own pass lets plan-memory only honour marks, and lets later
 * work (in-place ops) decide aliasing elsewhere. Weakness: a returned reshape is still a copy into the caller's
 * buffer (its input could be written there directly), and a reshape of a constant is a copy into the arena
 * (fold-constants normally removes it first). */

static void mark_one(MlirOperation op, void *user) {
  (void)user;
  MlirStringRef alias = mlirStringRefCreateFromCString("mcu.alias");
  MlirValue in = mlirOperationGetOperand(op, 0);
  int from_constant = !mlirValueIsABlockArgument(in) && mcu_op_is(mlirOpResultGetOwner(in), "mcu.constant");
  if (!from_constant && !mcu_value_is_returned(mlirOperationGetResult(op, 0)))
    mlirOperationSetDiscardableAttributeByName(op, alias, mlirUnitAttrGet(mlirOperationGetContext(op)));
  else
    mcu_op_remove_attr(op, "mcu.alias");
}

void mcu_pass_mark_aliases(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, "mcu.reshape", mark_one, NULL);
}
