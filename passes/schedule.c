/* schedule.c: the schedule pass, reorders @main's ops to lower the peak of live activation bytes. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/Diagnostics.h>
#include <stdint.h>
#include <stdlib.h>

#include "context.h"
#include "lower.h"
#include "passes.h"
#include "scheduler.h"

/* Algorithm: the ops of @main other than mcu.constant and func.return become a DAG for compiler/scheduler.c, in
 * the file's order: each op's result bytes (mcu_type_bytes; a result read by func.return is a model output and
 * takes no arena), its kernel's scratch (mcu_lower_op_kernel, as plan-memory will count it) and the ops whose
 * results it reads (model inputs and constants are not ops). A reshape that mark-aliases will make copy-free (not
 * returned, input not a constant; the same order-independent rule) is modelled as plan-memory treats it: no bytes
 * of its own, and its readers also read the op that owns the bytes it names, so that buffer stays live as long as
 * the alias is read. When the scheduler's order differs from the file's (it only does when its peak is strictly
 * lower), the constants move to the top of the block (keeping their order; they run nothing) and the ops are
 * moved before func.return in the new order. The module gets `mcu.schedule_peak_before` / `_after` (live-bytes
 * peaks of the file's and the chosen order) and `mcu.schedule_exact` (the search was exhaustive). Why before
 * mark-aliases / mark-inplace: their decisions do not depend on the order, and plan-memory numbers the steps
 * afterwards. Weakness: in-place ops are not modelled (an op that overwrites its input needs fewer bytes than
 * counted), and the measure is the sum of live bytes, not the arena planner's placement. */

/* mark-aliases' rule: a reshape whose result is not returned and whose input is not a constant. */
static int will_alias(MlirOperation op) {
  if (!mcu_op_is(op, "mcu.reshape") || mlirOperationGetNumOperands(op) < 1 || mlirOperationGetNumResults(op) != 1)
    return 0;
  MlirValue in = mlirOperationGetOperand(op, 0);
  int from_constant = !mlirValueIsABlockArgument(in) && mcu_op_is(mlirOpResultGetOwner(in), "mcu.constant");
  return !from_constant && !mcu_value_is_returned(mlirOperationGetResult(op, 0));
}

typedef struct op_key {
  const void *ptr;
  int32_t index;
} op_key_t;

static int by_ptr(const void *a, const void *b) {
  const op_key_t *x = a, *y = b;
  return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

/* Index of the schedulable op that defines v, or -1 (model input, constant). */
static int32_t def_index(MlirValue v, const op_key_t *keys, int32_t n) {
  if (mlirValueIsABlockArgument(v)) return -1;
  op_key_t k = {mlirOpResultGetOwner(v).ptr, -1};
  const op_key_t *f = bsearch(&k, keys, (size_t)n, sizeof *keys, by_ptr);
  return f ? f->index : -1;
}

static void set_module_i64(MlirOperation module, const char *name, int64_t v) {
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString(name),
                                             mcu_attr_i64(mlirOperationGetContext(module), v));
}

void mcu_pass_schedule(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)user_data;
  MlirBlock block = mcu_main_block(module);
  if (mlirBlockIsNull(block)) return;
  int32_t n = 0, total_operands = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (mcu_op_is(op, "mcu.constant") || mcu_op_is(op, "func.return")) continue;
    if (n == INT32_MAX / 4) {
      mlirEmitError(mlirOperationGetLocation(op), "schedule: too many ops");
      mlirExternalPassSignalFailure(pass);
      return;
    }
    ++n;
    total_operands += 2 * (int32_t)mlirOperationGetNumOperands(op); /* an alias read counts twice */
  }
  MlirOperation *ops = calloc((size_t)n + 1, sizeof *ops);
  op_key_t *keys = calloc((size_t)n + 1, sizeof *keys);
  mcu_sched_op_t *sops = calloc((size_t)n + 1, sizeof *sops);
  int32_t *operands = calloc((size_t)total_operands + 1, sizeof *operands);
  int32_t *root = calloc((size_t)n + 1, sizeof *root); /* alias op: the op owning its bytes (-1: none) */
  int32_t *order = calloc((size_t)n + 1, sizeof *order);
  mcu_status_t s = NULL;
  if (!ops || !keys || !sops || !operands || !root || !order) {
    s = mcu_status_errorf("schedule: out of memory");
    goto done;
  }
  int32_t i = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (mcu_op_is(op, "mcu.constant") || mcu_op_is(op, "func.return")) continue;
    ops[i] = op;
    keys[i] = (op_key_t){op.ptr, i};
    ++i;
  }
  qsort(keys, (size_t)n, sizeof *keys, by_ptr);
  int32_t used = 0;
  for (i = 0; i < n; ++i) {
    MlirOperation op = ops[i];
    const int alias = will_alias(op);
    mcu_sched_op_t *so = &sops[i];
    so->operands = operands + used;
    root[i] = -1;
    for (intptr_t k = 0; k < mlirOperationGetNumOperands(op); ++k) {
      int32_t d = def_index(mlirOperationGetOperand(op, k), keys, n);
      if (d < 0) continue;
      operands[used + so->num_operands++] = d;
      if (root[d] >= 0) operands[used + so->num_operands++] = root[d]; /* the bytes an alias names */
      if (alias && k == 0) root[i] = root[d] >= 0 ? root[d] : d;
    }
    used += so->num_operands;
    int returned = 0;
    uint64_t bytes = 0;
    for (intptr_t r = 0; r < mlirOperationGetNumResults(op); ++r) {
      MlirValue v = mlirOperationGetResult(op, r);
      int64_t b = mcu_type_bytes(mlirValueGetType(v));
      if (mcu_value_is_returned(v))
        returned = 1;
      else if (b > 0 && !alias)
        bytes += (uint64_t)b;
    }
    so->out_bytes = bytes;
    so->is_output = returned && mlirOperationGetNumResults(op) == 1;
    if (!alias) {
      mcu_op_kernel_t kinfo;
      mcu_status_t ks = mcu_lower_op_kernel(op, &kinfo);
      if (!ks && kinfo.handled) so->scratch_bytes = kinfo.scratch_bytes;
      mcu_status_free(ks); /* an op that cannot be lowered alone fails later, in plan-memory or the lowering */
    }
  }
  mcu_sched_result_t r;
  if ((s = mcu_schedule(sops, n, 0, order, &r))) goto done;
  int changed = 0;
  for (i = 0; i < n; ++i) changed |= order[i] != i;
  if (changed) {
    MlirOperation ret = mlirBlockGetTerminator(block);
    MlirOperation anchor = ops[0], next; /* later constants go before the file's first op, in their order */
    for (MlirOperation op = mlirOperationGetNextInBlock(anchor); !mlirOperationIsNull(op); op = next) {
      next = mlirOperationGetNextInBlock(op);
      if (mcu_op_is(op, "mcu.constant")) mlirOperationMoveBefore(op, anchor);
    }
    for (i = 0; i < n; ++i) mlirOperationMoveBefore(ops[order[i]], ret);
  }
  set_module_i64(module, "mcu.schedule_peak_before", (int64_t)r.file_peak);
  set_module_i64(module, "mcu.schedule_peak_after", (int64_t)r.peak);
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString("mcu.schedule_exact"),
                                             mlirBoolAttrGet(mlirOperationGetContext(module), r.exact));
done:
  if (s) {
    mlirEmitError(mlirOperationGetLocation(module), mcu_status_message(s));
    mcu_status_free(s);
    mlirExternalPassSignalFailure(pass);
  }
  free(ops);
  free(keys);
  free(sops);
  free(operands);
  free(root);
  free(order);
}
