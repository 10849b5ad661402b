/* plan_memory.c: the plan-memory pass, arena offsets for every activation tensor from its lifetime. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * the exact SRAM, scratch included. The same answers' table sizes, summed, go to the module as `mcu.tables_bytes`
 * (the flash the kernel library's constant tables take beside the weights: the cost queries' figure). Why the
 * lowering: the prepare that computes the scratch at code generation is the same function, so the plan cannot
 * disagree with it (code generation also checks); an op that cannot be lowered alone gets no scratch (its lowering
 * fails later anyway). `mcu.live` shows, for an alias, the lifetime of
 * the bytes it names, and for an in-place input or result its own lifetime. Why: the
 * placement itself stays IR-free and testable alone. Weakness: the execution order is the file's; the memory
 * issue adds scheduling and patches.
 * Pools: when the module carries `mcu.pool_names = ["dtcm", "sram"]` and `mcu.pool_capacities = array<i64: ...>`
 * (set by the driver from --pool, fastest first), every arena buffer (an in-place group or an alias chain is one
 * buffer) goes to one pool (mcu_arena_plan_pools): the pass writes `mcu.pool = "NAME"` beside each `mcu.offset`
 * (offsets are then inside the pool), `mcu.scratch_pool = "NAME"` beside each `mcu.scratch`, and on the module
 * `mcu.pool_sizes` (each pool's planned bytes) with mcu.arena_size their sum; mcu.arena_lower_bound stays the
 * bound of all buffers together and the strategy attributes describe the first pool. A buffer's heat is the work
 * of the layers that write or read it (scratch: its layer's), where a layer's work is its result's elements
 * times, for an op with a constant operand of rank >= 2 (conv filter, matmul weights), that constant's elements
 * per first dimension: the MACs of conv/depthwise/fully connected, one per element otherwise; the hottest bytes
 * per byte go to the first pool. Without those attributes nothing changes (one arena, no mcu.pool). */

static void set_attr(MlirOperation op, const char *name, MlirAttribute a) {
  mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString(name), a);
}

/* The ops' step numbers, sorted by op pointer: a side table rather than an attribute on every op (each attribute
 * set or removal rebuilds the op's attribute dictionary; the numbers never leave this pass). */
typedef struct op_step {
  uintptr_t op;
  int32_t step;
} op_step_t;
typedef struct step_table {
  op_step_t *e;
  int n;
} step_table_t;

static int cmp_op_step(const void *a, const void *b) {
  const uintptr_t x = ((const op_step_t *)a)->op, y = ((const op_step_t *)b)->op;
  return x < y ? -1 : x > y;
}

/* op's step, or `fallback` for an op without one (a constant). */
static int32_t step_of(const step_table_t *t, MlirOperation op, int32_t fallback) {
  const op_step_t key = {(uintptr_t)op.ptr, 0};
  const op_step_t *e = t->n ? bsearch(&key, t->e, (size_t)t->n, sizeof *t->e, cmp_op_step) : NULL;
  return e ? e->step : fallback;
}

/* The step of the last op that reads v (at least `step`, the step that writes it). */
static int32_t last_use(const step_table_t *steps, MlirValue v, int32_t step) {
  int32_t last = step;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    int32_t s = step_of(steps, mlirOpOperandGetOwner(u), step);
    if (s > last) last = s;
  }
  return last;
}

/* Elements of a ranked tensor type (1 for anything else). */
static uint64_t type_elements(MlirType t) {
  if (!mlirTypeIsARankedTensor(t)) return 1;
  uint64_t n = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d) {
    int64_t k = mlirShapedTypeGetDimSize(t, d);
    n *= k > 0 ? (uint64_t)k : 1;
  }
  return n;
}

/* A layer's work (see the top): result elements times the MACs per result element of its weights. */
static uint64_t op_work(MlirOperation op) {
  if (mlirOperationIsNull(op) || mlirOperationGetNumResults(op) < 1) return 1;
  uint64_t per = 1;
  for (intptr_t k = 0; k < mlirOperationGetNumOperands(op); ++k) {
    MlirValue in = mlirOperationGetOperand(op, k);
    if (mlirValueIsABlockArgument(in) || !mcu_op_is(mlirOpResultGetOwner(in), "mcu.constant")) continue;
    MlirType t = mlirValueGetType(in);
    if (!mlirTypeIsARankedTensor(t) || mlirShapedTypeGetRank(t) < 2 || mlirShapedTypeGetDimSize(t, 0) < 1) continue;
    uint64_t w = type_elements(t) / (uint64_t)mlirShapedTypeGetDimSize(t, 0);
    if (w > per) per = w;
  }
  return type_elements(mlirValueGetType(mlirOperationGetResult(op, 0))) * per;
}

/* The pools the driver asked for (mcu.pool_names / mcu.pool_capacities); 0 without, -1 when malformed. */
static int read_pools(MlirOperation module, MlirAttribute *out_names, uint64_t *out_caps) {
  MlirAttribute names = mlirOperationGetAttributeByName(module, mlirStringRefCreateFromCString("mcu.pool_names"));
  if (mlirAttributeIsNull(names)) return 0;
  int64_t caps[MCU_MAX_POOLS];
  if (!mlirAttributeIsAArray(names)) return -1;
  intptr_t n = mlirArrayAttrGetNumElements(names);
  if (n < 1 || n > MCU_MAX_POOLS || mcu_op_get_i64_array(module, "mcu.pool_capacities", caps, MCU_MAX_POOLS) != n)
    return -1;
  for (intptr_t k = 0; k < n; ++k) {
    if (!mlirAttributeIsAString(mlirArrayAttrGetElement(names, k)) || caps[k] < 0 || caps[k] > UINT32_MAX) return -1;
    out_caps[k] = (uint64_t)caps[k];
  }
  *out_names = names;
  return (int)n;
}

/* The patch stage (patch-stages' `mcu.patch`): its ops in order, grid, geometry and what each buffer takes. */
typedef struct stage_info {
  int n, rows, cols;
  MlirOperation ops[MCU_PATCH_MAX_LAYERS];
  mcu_patch_layer_t ls[MCU_PATCH_MAX_LAYERS];
  mcu_patch_cost_t cost;
} stage_info_t;

/* Reads the stage; NULL when fine (n == 0: none). */
static const char *read_stage(MlirBlock block, const step_table_t *steps, stage_info_t *st) {
  memset(st, 0, sizeof *st);
  int32_t prev_step = -1;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int64_t v[3];
    if (!mcu_patch_stage_of(op, v)) continue;
    const int32_t step = step_of(steps, op, -1);
    if (v[0] != 0) return "plan-memory: only patch stage 0 is supported";
    if (st->n == MCU_PATCH_MAX_LAYERS) return "plan-memory: a patch stage of too many layers";
    if (st->n && (v[1] != st->rows || v[2] != st->cols || step != prev_step + 1 ||
                  !mlirValueEqual(mlirOperationGetOperand(op, 0), mlirOperationGetResult(st->ops[st->n - 1], 0))))
      return "plan-memory: the ops of the patch stage are not a chain of consecutive layers with one grid";
    if (!mcu_patch_layer_of_op(op, &st->ls[st->n])) return "plan-memory: an op of the patch stage cannot run by patches";
    if (mcu_op_has_attr(op, "mcu.inplace")) return "plan-memory: an op of the patch stage is marked mcu.inplace";
    st->rows = (int)v[1], st->cols = (int)v[2];
    st->ops[st->n++] = op;
    prev_step = step;
  }
  if (!st->n) return NULL;
  for (int k = 0; k + 1 < st->n; ++k)
    if (mcu_value_is_returned(mlirOperationGetResult(st->ops[k], 0)))
      return "plan-memory: an intermediate of the patch stage is a model output";
  mcu_status_t s = mcu_patch_cost(st->ls, st->n, st->rows, st->cols, &st->cost);
  if (s) {
    mcu_status_free(s);
    return "plan-memory: the patch stage's grid does not fit its layers";
  }
  return NULL;
}

/* The index of op in the stage, or -1. */
static int stage_index(const stage_info_t *st, MlirOperation op) {
  for (int k = 0; k < st->n; ++k)
    if (mlirOperationEqual(st->ops[k], op)) return k;
  return -1;
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
  step_table_t steps = {NULL, 0};
  mcu_arena_buffer_t *bufs = calloc(cap, sizeof *bufs);
  MlirOperation *owners = calloc(cap, sizeof *owners);
  uint64_t *offsets = calloc(cap, sizeof *offsets);
  MlirValue *vals = calloc(cap, sizeof *vals);
  int *alias_of = calloc(cap, sizeof *alias_of);
  int *is_scratch = calloc(cap, sizeof *is_scratch);
  int32_t *own_live = calloc(2 * cap, sizeof *own_live); /* each entry's own [first, last] */
  uint64_t *heat = calloc(cap, sizeof *heat);
  int *pool_of = calloc(cap, sizeof *pool_of);
  if (!bufs || !owners || !offsets || !vals || !alias_of || !is_scratch || !own_live || !heat || !pool_of) goto fail;
  MlirAttribute pool_names = {NULL};
  uint64_t pool_caps[MCU_MAX_POOLS];
  const int num_pools = read_pools(module, &pool_names, pool_caps);
  if (num_pools < 0) {
    mlirEmitError(mlirOperationGetLocation(module), "plan-memory: mcu.pool_names / mcu.pool_capacities malformed");
    goto fail;
  }

  /* Step numbers are layer indices of the lowered program: each op that becomes a layer takes the next one;
   * constants and copy-free reshapes, which run nothing, share the previous layer's; func.return comes after the
   * last. A use's step is its owner's. */
  int n = 0, num_layers = 0;
  uint64_t tables_bytes = 0; /* the layers' kernel tables (flash), from the same answers */
  steps.e = calloc((size_t)num_ops + 1, sizeof(op_step_t));
  if (!steps.e) goto fail;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int32_t step = num_layers > 0 ? num_layers - 1 : 0;
    /* A constant's step is never read (it has no operands, so it owns no use; the loops below skip it). */
    if (mcu_op_is(op, "mcu.constant")) continue;
    if (mcu_op_is(op, "func.return"))
      step = num_layers;
    else if (!mcu_op_is_alias(op))
      step = num_layers++;
    steps.e[steps.n++] = (op_step_t){(uintptr_t)op.ptr, step};
  }
  qsort(steps.e, (size_t)steps.n, sizeof *steps.e, cmp_op_step);
  stage_info_t st;
  const char *stage_error = read_stage(block, &steps, &st);
  if (stage_error) {
    mlirEmitError(mlirOperationGetLocation(module), stage_error);
    goto fail;
  }
  const int32_t stage_first = st.n ? step_of(&steps, st.ops[0], 0) : -1;
  const int32_t stage_last = st.n ? stage_first + st.n - 1 : -1;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int32_t step = step_of(&steps, op, 0);
    if (mcu_op_is(op, "mcu.constant") || mcu_op_is(op, "func.return")) continue;
    mcu_op_remove_attr(op, "mcu.scratch");
    mcu_op_remove_attr(op, "mcu.patch_buf");
    mcu_op_remove_attr(op, "mcu.patch_bytes");
    const int sk = stage_index(&st, op);
    if (sk == 0) { /* every patch reads the stage input: it lives until the stage's last layer */
      MlirValue in = mlirOperationGetOperand(op, 0);
      int root = -1;
      for (int i = 0; i < n && root < 0; ++i)
        if (!is_scratch[i] && mlirValueEqual(vals[i], in)) root = i;
      while (root >= 0 && alias_of[root] >= 0) root = alias_of[root];
      if (root >= 0 && bufs[root].last < stage_last) bufs[root].last = stage_last;
      for (int i = 0; i < n; ++i) /* and so do the names it has (its own lifetime, as mcu.live shows) */
        if (!is_scratch[i] && mlirValueEqual(vals[i], in) && own_live[2 * i + 1] < stage_last)
          own_live[2 * i + 1] = stage_last;
    }
    if (!mcu_op_is_alias(op)) { /* a layer: its kernel's scratch, live at its step only */
      mcu_op_kernel_t k;
      mcu_status_t ks = mcu_lower_op_kernel(op, &k);
      if (ks) {
        mcu_status_free(ks);
        k.handled = 0, k.scratch_bytes = 0, k.inplace_mask = 0, k.tables_bytes = 0;
      }
      if (k.handled) tables_bytes += k.tables_bytes;
      const int64_t ip = mcu_op_get_i64(op, "mcu.inplace", -1);
      if (mcu_op_has_attr(op, "mcu.inplace") && (ip < 0 || ip > 31 || !k.handled || !(k.inplace_mask & (1u << ip)))) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: no kernel runs this mcu.inplace op in place");
        goto fail;
      }
      /* A patch stage's first layer gathers its input region (a column split), its last stages its output
       * region before the copy into the full tensor: both buffers follow the kernel's scratch. */
      uint64_t scratch = k.scratch_bytes, patch_buf = 0;
      if (sk >= 0) scratch = mcu_patch_layer_scratch(op, st.ls, st.n, sk, st.rows, st.cols);
      if (sk == 0 && mcu_patch_gathers(st.ls, st.n, st.rows, st.cols)) patch_buf += st.cost.in_bytes;
      if (sk >= 0 && sk == st.n - 1 && mcu_patch_scatters(st.ls, st.n, st.rows, st.cols)) patch_buf += st.cost.buf_bytes[sk];
      if (patch_buf) {
        scratch = ((scratch + 3) & ~(uint64_t)3) + patch_buf;
        set_attr(op, "mcu.patch_buf", mcu_attr_i64(ctx, (int64_t)patch_buf));
      }
      if (scratch > 0) {
        vals[n] = (MlirValue){NULL};
        alias_of[n] = -1;
        is_scratch[n] = 1;
        bufs[n] = (mcu_arena_buffer_t){scratch, step, step, 4};
        own_live[2 * n] = step, own_live[2 * n + 1] = step;
        owners[n++] = op;
      }
    }
    if (mlirOperationGetNumResults(op) != 1) continue;
    MlirValue v = mlirOperationGetResult(op, 0);
    if (mcu_value_is_returned(v)) {
      if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.alias")))) {
        mlirEmitError(mlirOperationGetLocation(op), "plan-memory: an mcu.alias reshape is a model output");
        goto fail;
      }
      if (mcu_op_has_attr(op, "mcu.inplace")) {
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
    int32_t last = last_use(&steps, v, step);
    if (mcu_op_has_attr(op, "mcu.inplace")) {
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
    int32_t first = step;
    if (sk >= 0 && sk < st.n - 1) { /* a stage intermediate: one patch of it at a time */
      bytes = (int64_t)st.cost.buf_bytes[sk];
      set_attr(op, "mcu.patch_bytes", mcu_attr_i64(ctx, bytes));
    } else if (sk >= 0) { /* the stage output: written patch by patch from the stage's first layer on */
      first = stage_first;
    }
    vals[n] = v;
    alias_of[n] = -1;
    bufs[n] = (mcu_arena_buffer_t){(uint64_t)bytes, first, last, 4};
    own_live[2 * n] = first, own_live[2 * n + 1] = last;
    owners[n++] = op;
  }
  mcu_arena_plan_t plan, pool_plans[MCU_MAX_POOLS];
  mcu_status_t s = NULL;
  if (num_pools == 0) {
    s = mcu_arena_plan(bufs, n, offsets, &plan);
  } else {
    /* Heat of each root buffer: the work of every layer that writes or reads any of its names. */
    for (int i = 0; i < n; ++i) {
      int root = i;
      while (alias_of[root] >= 0) root = alias_of[root];
      heat[root] += op_work(owners[i]);
      if (is_scratch[i]) continue;
      for (MlirOpOperand u = mlirValueGetFirstUse(vals[i]); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
        heat[root] += op_work(mlirOpOperandGetOwner(u));
    }
    s = mcu_arena_plan_pools(bufs, heat, n, pool_caps, num_pools, pool_of, offsets, pool_plans);
    if (!s) {
      mcu_arena_plan_t all; /* the lower bound of all buffers together */
      uint64_t *scratch_offsets = calloc(cap, sizeof *scratch_offsets);
      s = scratch_offsets ? mcu_arena_plan_with(bufs, n, MCU_ARENA_GREEDY_BY_SIZE, scratch_offsets, &all)
                          : mcu_status_errorf("out of memory");
      free(scratch_offsets);
      plan = pool_plans[0];
      plan.peak = 0;
      for (int k = 0; k < num_pools; ++k) plan.peak += pool_plans[k].peak;
      if (!s) plan.lower_bound = all.lower_bound, plan.lower_bound_step = all.lower_bound_step;
    }
  }
  if (s) {
    mlirEmitError(mlirOperationGetLocation(module), mcu_status_message(s));
    mcu_status_free(s);
    goto fail;
  }
  for (int i = 0; i < n; ++i) {
    if (is_scratch[i]) {
      int64_t sc[2] = {(int64_t)offsets[i], (int64_t)bufs[i].size};
      set_attr(owners[i], "mcu.scratch", mlirDenseI64ArrayGet(ctx, 2, sc));
      if (num_pools) set_attr(owners[i], "mcu.scratch_pool", mlirArrayAttrGetElement(pool_names, pool_of[i]));
      continue;
    }
    int root = alias_of[i] >= 0 ? alias_of[i] : i;
    if (num_pools) set_attr(owners[i], "mcu.pool", mlirArrayAttrGetElement(pool_names, pool_of[root]));
    mlirOperationSetDiscardableAttributeByName(owners[i], mlirStringRefCreateFromCString("mcu.offset"),
                                               mcu_attr_i64(ctx, (int64_t)offsets[root]));
    int64_t live[2] = {own_live[2 * i], own_live[2 * i + 1]};
    if (live[0] < 0) live[0] = bufs[root].first, live[1] = bufs[root].last;
    set_attr(owners[i], "mcu.live", mlirDenseI64ArrayGet(ctx, 2, live));
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    mcu_op_remove_attr(op, "mcu.step"); /* an older pipeline's mark (this pass keeps its steps aside) */
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
  set_attr(module, "mcu.tables_bytes", mcu_attr_i64(ctx, (int64_t)tables_bytes));
  if (num_pools) {
    int64_t sizes[MCU_MAX_POOLS];
    for (int k = 0; k < num_pools; ++k) sizes[k] = (int64_t)pool_plans[k].peak;
    set_attr(module, "mcu.pool_sizes", mlirDenseI64ArrayGet(ctx, num_pools, sizes));
  }
  free(heat), free(pool_of), free(steps.e);
  free(bufs), free(owners), free(offsets), free(vals), free(alias_of), free(is_scratch), free(own_live);
  return;
fail:
  free(heat), free(pool_of), free(steps.e);
  free(bufs), free(owners), free(offsets), free(vals), free(alias_of), free(is_scratch), free(own_live);
  mlirExternalPassSignalFailure(pass);
}
