/* plan_memory.c: the plan-memory pass, arena offsets for every activation tensor from its lifetime. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena_planner.h"
#include "lower.h"
#include "context.h"
#include "passes.h"

/* Algorithm: number the ops of @main in order; every result of a non-constant op that is not a model output is an
 * arena buffer live from its op to its last user; compiler/arena_planner.c places them, and the pass writes each
 * offset as `mcu.offset` and its lifetime as `mcu.live = array<i64: first, last>` (layer indices) on the producing
 * op, and on the module the totals `mcu.arena_size` / `mcu.arena_lower_bound`, the winning `mcu.arena_strategy`,
 * `mcu.arena_strategy_peaks` (one per strategy, in mcu_arena_strategy_t order, -1 when not run) and
 * `mcu.arena_peak_step` (the layer where the live bytes are the most). Model outputs are written straight into
 * the caller's buffers and take no arena. A reshape marked
 * `mcu.alias` (by mark-aliases) is copy-free: it shares its input's bytes (arena buffer, model input or model
 * output) and extends that buffer's lifetime to its own last use; an unmarked reshape is a copy with a buffer of
 * its own. A mark on a returned reshape or on one reading a constant is an error (the lowering could not honour
 * it). An op marked `mcu.inplace = k` (by mark-inplace) writes its result over operand k: the result joins operand
 * k's buffer (same offset; the buffer's size becomes the larger of the two, its lifetime extends to the result's
 * last use), which requires operand k to be an arena buffer that nothing reads after the op (else an error).
 * Kernel scratch: every op that becomes a layer is lowered alone (compiler/lower.c, mcu_lower_op_kernel) and
 * the kernel library's prepare says how many scratch bytes its call needs; each such scratch is one more arena
 * buffer, live only at the op's step, written as `mcu.scratch = array<i64: offset, bytes>`, so mcu.arena_size is
 * the exact SRAM, scratch included. Why the lowering: the prepare that computes the scratch at code generation is
 * the same function, so the plan cannot disagree with it (code generation also checks); an op that cannot be
 * lowered alone gets no scratch (its lowering fails later anyway). `mcu.live` shows, for an alias, the lifetime of
 * the bytes it names, and for an in-place input or result its own lifetime. Why: the
 * placement itself stays IR-free and testable alone. Weakness: the execution order is the file's; the memory
 * issue adds scheduling and patches. */

static int is_returned(MlirValue v) {
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
    if (mcu_op_is(mlirOpOperandGetOwner(u), "func.return")) return 1;
  return 0;
}

static int has_attr(MlirOperation op, const char *name) {
  return !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name)));
}

/* A reshape that mark-aliases made copy-free: no layer of its own. */
static int is_alias_mark(MlirOperation op) {
  return mcu_op_is(op, "mcu.reshape") &&
         !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.alias")));
}

static void set_attr(MlirOperation op, const char *name, MlirAttribute a) {
  mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString(name), a);
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
  /* At most two buffers per op: its result and its kernel's scratch. */
  const size_t cap = 2 * (size_t)num_ops + 1;
  mcu_arena_buffer_t *bufs = calloc(cap, sizeof *bufs);
  MlirOperation *owners = calloc(cap, sizeof *owners);
  uint64_t *offsets = calloc(cap, sizeof *offsets);
  MlirValue *vals = calloc(cap, sizeof *vals);
  int *alias_of = calloc(cap, sizeof *alias_of);
  int *is_scratch = calloc(cap, sizeof *is_scratch);
  int32_t *own_live = calloc(2 * cap, sizeof *own_live); /* each entry's own [first, last] */
  if (!bufs || !owners || !offsets || !vals || !alias_of || !is_scratch || !own_live) goto fail;

  /* Step numbers are layer indices of the lowered program: each op that becomes a layer takes the next one;
   * constants and copy-free reshapes, which run nothing, share the previous layer's; func.return comes after the
   * last. A use's step is its owner's. */
  int n = 0, num_layers = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int32_t step = num_layers > 0 ? num_layers - 1 : 0;
    if (mcu_op_is(op, "func.return"))
      step = num_layers;
    else if (!mcu_op_is(op, "mcu.constant") && !is_alias_mark(op))
      step = num_layers++;
    mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.step"),
                                               mcu_attr_i64(ctx, step));
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int32_t step = (int32_t)mcu_op_get_i64(op, "mcu.step", 0);
    if (mcu_op_is(op, "mcu.constant") || mcu_op_is(op, "func.return")) continue;
    mlirOperationRemoveDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.scratch"));
    if (!is_alias_mark(op)) { /* a layer: its kernel's scratch, live at its step only */
      mcu_op_kernel_t k;
      mcu_status_t ks = mcu_lower_op_kernel(op, &k);
      if (ks) {
        mcu_status_free(ks);
        k.handled = 0, k.scratch_bytes = 0, k.inplace_mask = 0;
      }
      const int64_t ip = mcu_op_get_i64(op, "mcu.inplace", -1);
      if (has_attr(op, "mcu.inplace") && (ip < 0 || ip > 31 || !k.handled || !(k.inplace_mask & (1u << ip)))) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: no kernel runs this mcu.inplace op in place");
        goto fail;
      }
      if (k.scratch_bytes > 0) {
        vals[n] = (MlirValue){NULL};
        alias_of[n] = -1;
        is_scratch[n] = 1;
        bufs[n] = (mcu_arena_buffer_t){k.scratch_bytes, step, step, 4};
        own_live[2 * n] = step, own_live[2 * n + 1] = step;
        owners[n++] = op;
      }
    }
    if (mlirOperationGetNumResults(op) != 1) continue;
    MlirValue v = mlirOperationGetResult(op, 0);
    if (is_returned(v)) {
      if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.alias")))) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: an mcu.alias reshape is a model output");
        goto fail;
      }
      if (has_attr(op, "mcu.inplace")) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: an mcu.inplace result is a model output");
        goto fail;
      }
      continue;
    }
    int64_t bytes = mcu_type_bytes(mlirValueGetType(v));
    if (bytes < 0) {
      mlirEmitError(mlirOperationGetLocation(op), "plan-memory: result has no static size");
      goto fail;
    }
    int32_t last = last_use(v, step);
    if (has_attr(op, "mcu.inplace")) {
      int64_t k = mcu_op_get_i64(op, "mcu.inplace", -1);
      int root = -1;
      if (k >= 0 && k < mlirOperationGetNumOperands(op)) {
        MlirValue in = mlirOperationGetOperand(op, (intptr_t)k);
        for (int i = 0; i < n && root < 0; ++i)
          if (!is_scratch[i] && mlirValueEqual(vals[i], in)) root = i;
        while (root >= 0 && alias_of[root] >= 0) root = alias_of[root];
      }
      if (root < 0 || bufs[root].last > step) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: an mcu.inplace operand is not an arena buffer "
                                                    "whose last reader is this op");
        goto fail;
      }
      if ((uint64_t)bytes > bufs[root].size) bufs[root].size = (uint64_t)bytes;
      if (last > bufs[root].last) bufs[root].last = last;
      vals[n] = v;
      bufs[n] = (mcu_arena_buffer_t){0, step, step, 1};
      own_live[2 * n] = step, own_live[2 * n + 1] = last;
      alias_of[n] = root;
      owners[n++] = op;
      continue;
    }
    if (mcu_op_is(op, "mcu.reshape") &&
        !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.alias")))) {
      MlirValue in = mlirOperationGetOperand(op, 0);
      if (!mlirValueIsABlockArgument(in) && mcu_op_is(mlirOpResultGetOwner(in), "mcu.constant")) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: an mcu.alias reshape reads a constant");
        goto fail;
      }
      {
        int root = -1;
        for (int i = 0; i < n && root < 0; ++i)
          if (mlirValueEqual(vals[i], in)) root = i;
        while (root >= 0 && alias_of[root] >= 0) root = alias_of[root];
        if (root >= 0) { /* an arena buffer: the reshape is another name for it */
          if (last > bufs[root].last) bufs[root].last = last;
          vals[n] = v;
          bufs[n] = (mcu_arena_buffer_t){0, step, step, 1};
          own_live[2 * n] = -1; /* an alias shows its root's lifetime */
          alias_of[n] = root;
          owners[n++] = op;
        }
        continue; /* a model input or output: the lowering reads it in place */
      }
    }
    vals[n] = v;
    alias_of[n] = -1;
    bufs[n] = (mcu_arena_buffer_t){(uint64_t)bytes, step, last, 4};
    own_live[2 * n] = step, own_live[2 * n + 1] = last;
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
    if (is_scratch[i]) {
      int64_t sc[2] = {(int64_t)offsets[i], (int64_t)bufs[i].size};
      set_attr(owners[i], "mcu.scratch", mlirDenseI64ArrayGet(ctx, 2, sc));
      continue;
    }
    int root = alias_of[i] >= 0 ? alias_of[i] : i;
    mlirOperationSetDiscardableAttributeByName(owners[i], mlirStringRefCreateFromCString("mcu.offset"),
                                               mcu_attr_i64(ctx, (int64_t)offsets[root]));
    int64_t live[2] = {own_live[2 * i], own_live[2 * i + 1]};
    if (live[0] < 0) live[0] = bufs[root].first, live[1] = bufs[root].last;
    set_attr(owners[i], "mcu.live", mlirDenseI64ArrayGet(ctx, 2, live));
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    mlirOperationRemoveDiscardableAttributeByName(op, mlirStringRefCreateFromCString("mcu.step"));
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString("mcu.arena_size"),
                                             mcu_attr_i64(ctx, (int64_t)plan.peak));
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString("mcu.arena_lower_bound"),
                                             mcu_attr_i64(ctx, (int64_t)plan.lower_bound));
  /* The winning strategy, every strategy's peak (-1: not run) and the step with the most live bytes (-1: none). */
  set_attr(module, "mcu.arena_strategy",
           mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(mcu_arena_strategy_name(plan.strategy))));
  int64_t peaks[MCU_ARENA_NUM_STRATEGIES];
  for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k)
    peaks[k] = plan.strategy_peak[k] == MCU_ARENA_NOT_RUN ? -1 : (int64_t)plan.strategy_peak[k];
  set_attr(module, "mcu.arena_strategy_peaks", mlirDenseI64ArrayGet(ctx, MCU_ARENA_NUM_STRATEGIES, peaks));
  set_attr(module, "mcu.arena_peak_step", mcu_attr_i64(ctx, plan.lower_bound_step));
  free(bufs), free(owners), free(offsets), free(vals), free(alias_of), free(is_scratch), free(own_live);
  return;
fail:
  free(bufs), free(owners), free(offsets), free(vals), free(alias_of), free(is_scratch), free(own_live);
  mlirExternalPassSignalFailure(pass);
}
