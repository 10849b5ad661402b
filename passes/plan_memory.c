/* plan_memory.c: the plan-memory pass, arena offsets for every activation tensor from its lifetime. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena_planner.h"
#include "context.h"
#include "passes.h"

/* Algorithm: number the ops of @main in order; every result of a non-constant op that is not a model output is an
 * arena buffer live from its op to its last user; compiler/arena_planner.c places them, and the pass writes each
 * offset as `mcu.offset` on the producing op and the totals as `mcu.arena_size` / `mcu.arena_lower_bound` on the
 * module. Model outputs are written straight into the caller's buffers and take no arena. A reshape that is not a
 * model output and does not read a constant is copy-free: it is marked `mcu.alias`, shares its input's bytes
 * (arena buffer, model input or model output) and extends that buffer's lifetime to its own last use. Why: the
 * placement itself stays IR-free and testable alone. Weakness: the execution order is the file's; the memory
 * issue adds scheduling, in-place ops and patches. */

static int is_returned(MlirValue v) {
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
    if (mcu_op_is(mlirOpOperandGetOwner(u), "func.return")) return 1;
  return 0;
}

/* The step of the last op that reads v (at least `step`, the step that writes it). */
static int32_t last_use(MlirValue v, int32_t step) {
  int32_t last = step;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    int32_t s = (int32_t)mcu_op_get_i64(mlirOpOperandGetOwner(u), "mcu.step", step);
    if (s > last) last = s;
  }
  return last;
}

void mcu_pass_plan_memory(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)user_data;
  MlirBlock block = mcu_main_block(module);
  if (mlirBlockIsNull(block)) return;
  MlirContext ctx = mlirOperationGetContext(module);
  int num_ops = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    ++num_ops;
  mcu_arena_buffer_t *bufs = calloc((size_t)num_ops + 1, sizeof *bufs);
  MlirOperation *owners = calloc((size_t)num_ops + 1, sizeof *owners);
  uint64_t *offsets = calloc((size_t)num_ops + 1, sizeof *offsets);
  MlirValue *vals = calloc((size_t)num_ops + 1, sizeof *vals);
  int *alias_of = calloc((size_t)num_ops + 1, sizeof *alias_of);
  if (!bufs || !owners || !offsets || !vals || !alias_of) goto fail;

  /* Step numbers: position of each op in the block; a use's step is its owner's position. */
  int n = 0, step = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op), ++step) {
    mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.step"),
                                               mcu_attr_i64(ctx, step));
  }
  step = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op), ++step) {
    if (mlirOperationGetNumResults(op) != 1 || mcu_op_is(op, "mcu.constant")) continue;
    MlirValue v = mlirOperationGetResult(op, 0);
    if (is_returned(v)) continue;
    int64_t bytes = mcu_type_bytes(mlirValueGetType(v));
    if (bytes < 0) {
      mlirEmitError(mlirOperationGetLocation(op), "plan-memory: result has no static size");
      goto fail;
    }
    int32_t last = last_use(v, step);
    if (mcu_op_is(op, "mcu.reshape")) {
      MlirValue in = mlirOperationGetOperand(op, 0);
      int from_constant = !mlirValueIsABlockArgument(in) && mcu_op_is(mlirOpResultGetOwner(in), "mcu.constant");
      if (!from_constant) {
        mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.alias"),
                                                   mlirUnitAttrGet(ctx));
        int root = -1;
        for (int i = 0; i < n && root < 0; ++i)
          if (mlirValueEqual(vals[i], in)) root = i;
        while (root >= 0 && alias_of[root] >= 0) root = alias_of[root];
        if (root >= 0) { /* an arena buffer: the reshape is another name for it */
          if (last > bufs[root].last) bufs[root].last = last;
          vals[n] = v;
          bufs[n] = (mcu_arena_buffer_t){0, step, step, 1};
          alias_of[n] = root;
          owners[n++] = op;
        }
        continue; /* a model input or output: the lowering reads it in place */
      }
    }
    vals[n] = v;
    alias_of[n] = -1;
    bufs[n] = (mcu_arena_buffer_t){(uint64_t)bytes, step, last, 4};
    owners[n++] = op;
  }
  mcu_arena_plan_t plan;
  mcu_status_t s = mcu_arena_plan(bufs, n, offsets, &plan);
  if (s) {
    mlirEmitError(mlirOperationGetLocation(module), mcu_status_message(s));
    mcu_status_free(s);
    goto fail;
  }
  for (int i = 0; i < n; ++i) {
    uint64_t off = alias_of[i] >= 0 ? offsets[alias_of[i]] : offsets[i];
    mlirOperationSetDiscardableAttributeByName(owners[i], mlirStringRefCreateFromCString("mcu.offset"),
                                               mcu_attr_i64(ctx, (int64_t)off));
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    mlirOperationRemoveDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.step"));
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString("mcu.arena_size"),
                                             mcu_attr_i64(ctx, (int64_t)plan.peak));
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString("mcu.arena_lower_bound"),
                                             mcu_attr_i64(ctx, (int64_t)plan.lower_bound));
  free(bufs), free(owners), free(offsets), free(vals), free(alias_of);
  return;
fail:
  free(bufs), free(owners), free(offsets), free(vals), free(alias_of);
  mlirExternalPassSignalFailure(pass);
}
