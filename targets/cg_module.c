/* cg_module.c: builds the LLVM module of a program: the weights and arena globals, one function per layer, SYM_run. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Target.h>

#include "cg_internal.h"
#include "codegen.h"
#include "kernel_call.h"

/* Checks what every generator relies on: a C identifier as the symbol prefix, tensors with sane shapes smaller
 * than 2^31 bytes, storage inside the arena / weights blob / caller pointers, consistent quantization. */
static mcu_status_t check_program(const mcu_program_t *p) {
  if (!p->name || !p->name[0] || !(isalpha((unsigned char)p->name[0]) || p->name[0] == '_'))
    return mcu_status_errorf("codegen: symbol prefix '%s' is not a C identifier", p->name ? p->name : "");
  for (const char *c = p->name; *c; ++c)
    if (!(isalnum((unsigned char)*c) || *c == '_'))
      return mcu_status_errorf("codegen: symbol prefix '%s' is not a C identifier", p->name);
  if (strlen(p->name) > 100) return mcu_status_errorf("codegen: symbol prefix '%s' is too long", p->name);
  if (p->arena_size > INT32_MAX || p->weights_size > INT32_MAX)
    return mcu_status_errorf("codegen: arena (%u bytes) or weights (%u bytes) exceed 2^31 bytes", p->arena_size,
                             p->weights_size);
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    const char *nm = t->name ? t->name : "";
    if (t->rank < 0 || t->rank > MCU_MAX_RANK || mcu_dtype_size(t->dtype) == 0)
      return mcu_status_errorf("codegen: tensor %d '%s' has rank %d or an unknown dtype", i, nm, t->rank);
    int64_t n = (int64_t)mcu_dtype_size(t->dtype);
    for (int d = 0; d < t->rank; ++d) {
      if (t->shape[d] < 0) return mcu_status_errorf("codegen: tensor %d '%s' has a negative dimension", i, nm);
      n *= t->shape[d];
      if (n > INT32_MAX) return mcu_status_errorf("codegen: tensor %d '%s' is 2^31 bytes or larger", i, nm);
    }
    if (t->num_scales < 0 || (t->num_scales > 0 && (!t->scales || !t->zero_points)) ||
        (t->num_scales > 1 && (t->quant_axis < 0 || t->quant_axis >= t->rank || t->shape[t->quant_axis] != t->num_scales)))
      return mcu_status_errorf("codegen: tensor %d '%s' has inconsistent quantization", i, nm);
    for (int k = 0; k < t->num_scales; ++k) {
      int32_t z = t->zero_points[k];
      if ((t->dtype == MCU_DT_I8 && (z < -128 || z > 127)) || (t->dtype == MCU_DT_U8 && (z < 0 || z > 255)))
        return mcu_status_errorf("codegen: tensor %d '%s' has zero point %d outside its %s range", i, nm, z,
                                 mcu_dtype_name(t->dtype));
    }
    switch (t->storage) {
    case MCU_STORAGE_ARENA: {
      if (t->pool < 0 || t->pool >= (p->num_pools ? p->num_pools : 1))
        return mcu_status_errorf("codegen: tensor %d '%s' is in pool %d of %d", i, nm, t->pool, p->num_pools);
      const uint32_t room = p->num_pools ? p->pools[t->pool].size : p->arena_size;
      if (t->patch_bytes) n = t->patch_bytes;
      if ((int64_t)t->offset + n > (int64_t)room)
        return mcu_status_errorf("codegen: tensor %d '%s' [%u, +%lld) lies outside the arena of %u bytes", i, nm,
                                 t->offset, (long long)n, room);
      break;
    }
    case MCU_STORAGE_CONST: /* a folded constant has no bytes in the blob (no layer dereferences it) */
      if ((!t->folded && (int64_t)t->offset + n > (int64_t)p->weights_size) || (n > 0 && !t->data))
        return mcu_status_errorf("codegen: constant tensor %d '%s' has no data or lies outside the weights blob", i,
                                 nm);
      break;
    case MCU_STORAGE_INPUT:
      if (t->index < 0 || t->index >= p->num_inputs || p->inputs[t->index] != (t->is_alias ? t->alias_of : i))
        return mcu_status_errorf("codegen: tensor %d '%s' claims to be model input %d but is not", i, nm, t->index);
      break;
    case MCU_STORAGE_OUTPUT:
      if (t->index < 0 || t->index >= p->num_outputs || p->outputs[t->index] != (t->is_alias ? t->alias_of : i))
        return mcu_status_errorf("codegen: tensor %d '%s' claims to be model output %d but is not", i, nm, t->index);
      break;
    default:
      return mcu_status_errorf("codegen: tensor %d '%s' has an unknown storage", i, nm);
    }
  }
  if (p->num_pools < 0 || p->num_pools > MCU_MAX_POOLS)
    return mcu_status_errorf("codegen: %d pools (at most %d)", p->num_pools, MCU_MAX_POOLS);
  uint64_t pool_total = 0;
  for (int k = 0; k < p->num_pools; ++k) {
    const mcu_pool_t *q = &p->pools[k];
    if (!memchr(q->name, 0, sizeof q->name) || !q->name[0] || q->align < 16 || q->align > 4096 ||
        (q->align & (q->align - 1)))
      return mcu_status_errorf("codegen: pool %d has a bad name or alignment", k);
    for (const char *c = q->name; *c; ++c)
      if (!(isalnum((unsigned char)*c) || *c == '_'))
        return mcu_status_errorf("codegen: pool name '%s' is not a C identifier", q->name);
    pool_total += q->size;
  }
  if (p->num_pools && pool_total != p->arena_size)
    return mcu_status_errorf("codegen: pools add up to %llu bytes, the arena is %u", (unsigned long long)pool_total,
                             p->arena_size);
  for (int li = 0; li < p->num_layers; ++li)
    if (p->layers[li].scratch_pool < 0 || p->layers[li].scratch_pool >= (p->num_pools ? p->num_pools : 1))
      return mcu_status_errorf("codegen: layer %d's scratch is in pool %d", li, p->layers[li].scratch_pool);
  for (int i = 0; i < p->num_inputs; ++i)
    if (p->inputs[i] < 0 || p->inputs[i] >= p->num_tensors || p->tensors[p->inputs[i]].storage != MCU_STORAGE_INPUT)
      return mcu_status_errorf("codegen: model input %d is not an INPUT tensor", i);
  for (int i = 0; i < p->num_outputs; ++i)
    if (p->outputs[i] < 0 || p->outputs[i] >= p->num_tensors ||
        p->tensors[p->outputs[i]].storage != MCU_STORAGE_OUTPUT)
      return mcu_status_errorf("codegen: model output %d is not an OUTPUT tensor", i);
  for (int li = 0; li < p->num_layers; ++li) {
    const mcu_layer_t *l = &p->layers[li];
    if (l->num_inputs < 1 || l->num_inputs > MCU_MAX_LAYER_INPUTS || l->output < 0 || l->output >= p->num_tensors)
      return mcu_status_errorf("codegen: layer %d '%s' (%s) has bad operands", li, l->name ? l->name : "",
                               mcu_op_name(l->op));
    for (int k = 0; k < l->num_inputs; ++k)
      if (l->inputs[k] < 0 || l->inputs[k] >= p->num_tensors)
        return mcu_status_errorf("codegen: layer %d '%s' (%s) has bad operands", li, l->name ? l->name : "",
                                 mcu_op_name(l->op));
    mcu_storage_t s = p->tensors[l->output].storage;
    if (s == MCU_STORAGE_CONST || s == MCU_STORAGE_INPUT)
      return mcu_status_errorf("codegen: layer %d '%s' (%s) writes a constant or input tensor", li,
                               l->name ? l->name : "", mcu_op_name(l->op));
  }
  return NULL;
}

/* The pointer to a tensor's first byte inside SYM_run_with_arena (built with `b` at its entry): arena tensors are
 * addressed from the arena argument of their pool, weights from the constant blob, inputs and outputs are the
 * caller's pointers. */
LLVMValueRef cg_tensor_ptr(cg_t *cg, LLVMBuilderRef b, const mcu_tensor_t *t) {
  LLVMValueRef off = cg_i32(cg, t->offset);
  switch (t->storage) {
  case MCU_STORAGE_CONST:
    return LLVMConstInBoundsGEP2(cg->t_i8, cg->weights, &off, 1);
  case MCU_STORAGE_ARENA: { /* an empty pool: only empty tensors, never dereferenced */
    LLVMValueRef base = cg_pool_base(cg, t->pool);
    return base ? LLVMBuildInBoundsGEP2(b, cg->t_i8, base, &off, 1, "") : LLVMConstPointerNull(cg->t_ptr);
  }
  case MCU_STORAGE_INPUT:
    return LLVMGetParam(cg->run, (unsigned)(cg->num_arena_params + t->index));
  case MCU_STORAGE_OUTPUT:
    return LLVMGetParam(cg->run, (unsigned)(cg->num_arena_params + cg->p->num_inputs + t->index));
  }
  return NULL;
}

/* Alignment a generator may assume: every arena argument is 16-aligned (SYM_run_with_arena checks it; the static
 * globals are), so an offset's lowest set bit (capped at 16);
 * a caller's pointer is a C `T *`, so the element size. */
static unsigned tensor_align(const mcu_tensor_t *t) {
  if (t->storage == MCU_STORAGE_INPUT || t->storage == MCU_STORAGE_OUTPUT) return (unsigned)mcu_dtype_size(t->dtype);
  unsigned a = 16;
  while (a > 1 && t->offset % a) a /= 2;
  return a;
}

static void add_fn_attr(cg_t *cg, LLVMValueRef fn, const char *name) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

/* The bytes a layer-function argument points to: the storage space (an arena pool, a caller buffer, the weights)
 * and the byte range in it; `written`: the layer stores through it (its output or scratch). */
typedef struct arg_span {
  mcu_storage_t storage;
  int space; /* pool for ARENA, input/output number for INPUT/OUTPUT */
  int64_t begin, end;
  int written;
} arg_span_t;

static arg_span_t tensor_span(const mcu_tensor_t *t, int written) {
  const int space = t->storage == MCU_STORAGE_ARENA ? t->pool : t->index;
  return (arg_span_t){t->storage, space, t->offset, (int64_t)t->offset + mcu_tensor_bytes(t), written};
}

/* Whether two arguments may share a byte. Distinct storages never do: the weights are their own global, and the
 * header's contract makes the caller's inputs, outputs and arena pairwise disjoint. */
static int spans_overlap(const arg_span_t *a, const arg_span_t *b) {
  if (a->storage != b->storage || a->space != b->space) return 0;
  if (a->storage != MCU_STORAGE_ARENA) return 1; /* the same caller buffer, or both in the weights */
  return a->begin < b->end && b->begin < a->end && a->begin < a->end && b->begin < b->end;
}

/* Marks argument i of the layer function `noalias` when no other argument that either side writes shares a byte
 * with it (C's restrict). It gives LLVM back what constant global addresses told it before activations were
 * addressed from the arena argument: an input and the output of a layer are distinct, so loads and stores can be
 * reordered, combined and vectorised. In-place layers (output = input) and aliases keep plain pointers. Known
 * weakness: it relies on the header's contract that the caller's inputs, outputs and arena do not overlap (a
 * caller breaking it gets wrong results, not an error), and it cannot help an in-place layer. */
static void mark_noalias(cg_t *cg, LLVMValueRef fn, const arg_span_t *spans, int n) {
  unsigned kind = LLVMGetEnumAttributeKindForName("noalias", 7);
  for (int i = 0; i < n; ++i) {
    int alone = 1;
    for (int j = 0; j < n && alone; ++j)
      if (j != i && (spans[i].written || spans[j].written) && spans_overlap(&spans[i], &spans[j])) alone = 0;
    if (alone) LLVMAddAttributeAtIndex(fn, (unsigned)(i + 1), LLVMCreateEnumAttribute(cg->ctx, kind, 0));
  }
}

/* The native generators (cg_conv.c, cg_matmul.c, cg_eltwise.c, cg_movement.c), by op. */
static mcu_status_t gen_native(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  switch (l->op) {
  case MCU_OP_CONV2D:
    return cg_gen_conv2d(cg, l, in, out);
  case MCU_OP_MATMUL:
    return cg_gen_matmul(cg, l, in, out);
  case MCU_OP_QUANTIZE:
    return cg_gen_quantize(cg, l, in, out);
  case MCU_OP_DEQUANTIZE:
    return cg_gen_dequantize(cg, l, in, out);
  case MCU_OP_CLAMP:
    return cg_gen_clamp(cg, l, in, out);
  case MCU_OP_TRANSPOSE:
    return cg_gen_transpose(cg, l, in, out);
  case MCU_OP_COPY:
    return cg_gen_copy(cg, l, in, out);
  default:
    return mcu_status_errorf("op %d is not supported by code generation", (int)l->op);
  }
}

mcu_status_t cg_build_layer_fn(cg_t *cg, int li, const char *suffix, int disjoint, LLVMValueRef *out_fn,
                               LLVMTypeRef *out_fty) {
  const mcu_program_t *p = cg->p;
  const mcu_layer_t *l = &p->layers[li];
  const int has_scratch = l->scratch_bytes > 0;
  int np = l->num_inputs + 1 + has_scratch;
  LLVMTypeRef params[MCU_MAX_LAYER_INPUTS + 2];
  for (int i = 0; i < np; ++i) params[i] = cg->t_ptr;
  LLVMTypeRef fty = LLVMFunctionType(cg->t_void, params, (unsigned)np, 0);
  char name[200];
  snprintf(name, sizeof name, "%s_l%d_%s%s", cg->sym, li, suffix ? suffix : "", mcu_op_name(l->op));
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fty);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  add_fn_attr(cg, fn, "noinline");
  add_fn_attr(cg, fn, "nounwind");
  /* No builtins: keeps loop-idiom recognition from turning loops into llvm.memcpy, which the ARM EABI backend
   * would lower to __aeabi_memcpy (not a standard C function). */
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateStringAttribute(cg->ctx, "no-builtins", 11, "true", 4));
  cg->fn = fn;
  cg->layer_index = li;
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(cg->b, entry);

  cg_view_t in[MCU_MAX_LAYER_INPUTS], out;
  for (int i = 0; i < l->num_inputs; ++i) {
    const mcu_tensor_t *t = &p->tensors[l->inputs[i]];
    in[i] = (cg_view_t){t, LLVMGetParam(fn, (unsigned)i), tensor_align(t)};
    LLVMSetValueName2(in[i].ptr, "in", 2);
  }
  const mcu_tensor_t *ot = &p->tensors[l->output];
  out = (cg_view_t){ot, LLVMGetParam(fn, (unsigned)l->num_inputs), tensor_align(ot)};
  LLVMSetValueName2(out.ptr, "out", 3);
  cg->scratch = NULL;
  if (has_scratch) {
    cg->scratch = LLVMGetParam(fn, (unsigned)(np - 1));
    LLVMSetValueName2(cg->scratch, "scratch", 7);
  }
  arg_span_t spans[MCU_MAX_LAYER_INPUTS + 2];
  for (int i = 0; i < l->num_inputs; ++i) spans[i] = tensor_span(&p->tensors[l->inputs[i]], 0);
  spans[l->num_inputs] = tensor_span(ot, 1);
  if (has_scratch)
    spans[np - 1] = (arg_span_t){MCU_STORAGE_ARENA, l->scratch_pool, l->scratch_offset,
                                 (int64_t)l->scratch_offset + l->scratch_bytes, 1};
  if (disjoint) { /* the caller vouches that no two arguments' accessed bytes meet */
    unsigned kind = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (int i = 0; i < np; ++i) LLVMAddAttributeAtIndex(fn, (unsigned)(i + 1), LLVMCreateEnumAttribute(cg->ctx, kind, 0));
  } else {
    mark_noalias(cg, fn, spans, np);
  }

  /* The kernel library first: a layer it handles (TF Lite numerics, ...) never reaches a native generator. */
  mcu_status_t s = mcu_kernel_handles(p, l) ? cg_gen_kernel_call(cg, l, in, &out) : gen_native(cg, l, in, &out);
  if (s) return mcu_status_annotatef(s, "codegen: layer %d '%s' (%s): ", li, l->name ? l->name : "", mcu_op_name(l->op));
  LLVMBuildRetVoid(cg->b);
  *out_fn = fn;
  *out_fty = fty;
  return NULL;
}

mcu_status_t cg_layer_scratch_arg(cg_t *cg, LLVMBuilderRef b, const mcu_layer_t *l, LLVMValueRef *out_arg) {
  *out_arg = NULL;
  if (!l->scratch_bytes) return NULL;
  LLVMValueRef base = cg_pool_base(cg, l->scratch_pool);
  if (!base) return mcu_status_errorf("codegen: layer '%s''s scratch is in an empty pool", l->name ? l->name : "");
  LLVMValueRef off = cg_i32(cg, l->scratch_offset);
  *out_arg = LLVMBuildInBoundsGEP2(b, cg->t_i8, base, &off, 1, "");
  return NULL;
}

/* Builds SYM_l<N>_<op>(in0, ..., out[, scratch]) for layer li and the call to it in SYM_run_with_arena. The
 * scratch pointer is an argument (from the arena argument of its pool), never the static global. */
static mcu_status_t build_layer(cg_t *cg, LLVMBuilderRef run_b, int li) {
  const mcu_layer_t *l = &cg->p->layers[li];
  LLVMValueRef fn, scratch, args[MCU_MAX_LAYER_INPUTS + 2];
  LLVMTypeRef fty;
  mcu_status_t s = cg_build_layer_fn(cg, li, NULL, 0, &fn, &fty);
  if (!s) s = cg_layer_scratch_arg(cg, run_b, l, &scratch);
  if (s) return s;
  int np = 0;
  for (int i = 0; i < l->num_inputs; ++i) args[np++] = cg_tensor_ptr(cg, run_b, &cg->p->tensors[l->inputs[i]]);
  args[np++] = cg_tensor_ptr(cg, run_b, &cg->p->tensors[l->output]);
  if (scratch) args[np++] = scratch;
  LLVMBuildCall2(run_b, fty, fn, args, (unsigned)np, "");
  return NULL;
}

/* Fills the weights blob: every CONST tensor's bytes at its offset (folded ones have none), zeros between. */
static LLVMValueRef build_weights(cg_t *cg) {
  const mcu_program_t *p = cg->p;
  size_t n = p->weights_size;
  uint8_t *blob = calloc(n ? n : 1, 1);
  if (!blob) return NULL;
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    if (t->storage == MCU_STORAGE_CONST && t->data && !t->folded)
      memcpy(blob + t->offset, t->data, (size_t)mcu_tensor_bytes(t));
  }
  char name[160];
  snprintf(name, sizeof name, "%s_weights", cg->sym);
  LLVMTypeRef ty = LLVMArrayType2(cg->t_i8, n);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, ty, name);
  LLVMSetInitializer(g, LLVMConstStringInContext2(cg->ctx, (const char *)blob, n, 1));
  free(blob);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetVisibility(g, LLVMHiddenVisibility);
  char sect[160];
  snprintf(sect, sizeof sect, ".rodata.%s", cg->sym);
  LLVMSetSection(g, sect);
  LLVMSetAlignment(g, 16);
  return g;
}

/* One zero-initialised pool: SYM_NAME in .bss.SYM_NAME ("arena" without --pool: SYM_arena, .bss.SYM_arena). */
static LLVMValueRef build_arena(cg_t *cg, const char *pool_name, uint32_t size, uint32_t align) {
  char name[160], sect[160];
  snprintf(name, sizeof name, "%s_%s", cg->sym, pool_name);
  snprintf(sect, sizeof sect, ".bss.%s_%s", cg->sym, pool_name);
  LLVMTypeRef ty = LLVMArrayType2(cg->t_i8, size);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, ty, name);
  LLVMSetInitializer(g, LLVMConstNull(ty));
  LLVMSetVisibility(g, LLVMHiddenVisibility);
  LLVMSetSection(g, sect);
  LLVMSetAlignment(g, align);
  return g;
}

LLVMValueRef cg_pool_base(const cg_t *cg, int pool) {
  if (!cg->p->num_pools) return pool == 0 && cg->p->arena_size > 0 ? LLVMGetParam(cg->run, 0) : NULL;
  if (pool < 0 || pool >= cg->p->num_pools || cg->p->pools[pool].size == 0) return NULL;
  return LLVMGetParam(cg->run, (unsigned)pool);
}

/* The alignment SYM_run_with_arena requires of arena argument k: the pool's, or 16 for the single arena. */
static uint32_t arena_param_align(const mcu_program_t *p, int k) { return p->num_pools ? p->pools[k].align : 16; }

/* In SYM_run_with_arena's entry: returns MCU_RUN_BAD_ARENA (-1) when an arena argument of a non-empty pool is NULL
 * or not aligned as the header states, and leaves the builder in the block that runs the layers. Why: the layers
 * assume 16-byte alignment (tensor_align), so a misaligned arena would fault or silently slow down. Known
 * weakness: the size of the caller's buffer cannot be checked (C passes no length). */
static void build_arena_checks(cg_t *cg, LLVMBuilderRef b) {
  const mcu_program_t *p = cg->p;
  LLVMTypeRef intptr = LLVMIntPtrTypeInContext(cg->ctx, LLVMGetModuleDataLayout(cg->mod));
  LLVMValueRef bad = NULL;
  for (int k = 0; k < cg->num_arena_params; ++k) {
    if (!cg_pool_base(cg, k)) continue; /* an empty pool (or no arena): the argument is never used */
    LLVMValueRef a = LLVMBuildPtrToInt(b, LLVMGetParam(cg->run, (unsigned)k), intptr, "");
    LLVMValueRef is_null = LLVMBuildICmp(b, LLVMIntEQ, a, LLVMConstInt(intptr, 0, 0), "");
    LLVMValueRef low = LLVMBuildAnd(b, a, LLVMConstInt(intptr, arena_param_align(p, k) - 1, 0), "");
    LLVMValueRef misaligned = LLVMBuildICmp(b, LLVMIntNE, low, LLVMConstInt(intptr, 0, 0), "");
    LLVMValueRef one = LLVMBuildOr(b, is_null, misaligned, "");
    bad = bad ? LLVMBuildOr(b, bad, one, "") : one;
  }
  if (!bad) return;
  LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(cg->ctx, cg->run, "bad_arena");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cg->ctx, cg->run, "layers");
  LLVMBuildCondBr(b, bad, fail, body);
  LLVMPositionBuilderAtEnd(b, fail);
  LLVMBuildRet(b, cg_i32(cg, MCU_RUN_BAD_ARENA));
  LLVMPositionBuilderAtEnd(b, body);
}

/* SYM_run(inputs..., outputs...): SYM_run_with_arena on the static arena globals (NULL for empty pools). */
static mcu_status_t build_run(cg_t *cg, LLVMTypeRef with_arena_ty) {
  const mcu_program_t *p = cg->p;
  int nio = p->num_inputs + p->num_outputs, nargs = cg->num_arena_params + nio;
  LLVMTypeRef *params = calloc((size_t)(nio ? nio : 1), sizeof *params);
  LLVMValueRef *args = calloc((size_t)nargs, sizeof *args);
  if (!params || !args) {
    free(params);
    free(args);
    return mcu_status_errorf("codegen: out of memory");
  }
  for (int i = 0; i < nio; ++i) params[i] = cg->t_ptr;
  char name[160];
  snprintf(name, sizeof name, "%s_run", p->name);
  LLVMValueRef run = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->t_i32, params, (unsigned)nio, 0));
  add_fn_attr(cg, run, "nounwind");
  snprintf(name, sizeof name, ".text.%s_run", p->name);
  LLVMSetSection(run, name);
  for (int k = 0; k < cg->num_arena_params; ++k) {
    LLVMValueRef g = p->num_pools ? cg->pools[k] : cg->arena;
    args[k] = g ? g : LLVMConstPointerNull(cg->t_ptr);
  }
  for (int i = 0; i < nio; ++i) {
    LLVMValueRef v = LLVMGetParam(run, (unsigned)i);
    char pn[32];
    int n = snprintf(pn, sizeof pn, i < p->num_inputs ? "input%d" : "output%d",
                     i < p->num_inputs ? i : i - p->num_inputs);
    LLVMSetValueName2(v, pn, (size_t)n);
    args[cg->num_arena_params + i] = v;
  }
  LLVMBuilderRef b = LLVMCreateBuilderInContext(cg->ctx);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(cg->ctx, run, "entry"));
  LLVMValueRef call = LLVMBuildCall2(b, with_arena_ty, cg->run, args, (unsigned)nargs, "");
  LLVMSetTailCall(call, 1);
  LLVMBuildRet(b, call);
  LLVMDisposeBuilder(b);
  free(params);
  free(args);
  return NULL;
}

mcu_status_t cg_build_module(const mcu_program_t *p, LLVMModuleRef mod, mcu_target_t target) {
  mcu_status_t s = check_program(p);
  if (s) return s;
  cg_t cg = {0};
  cg.p = p;
  cg.sym = p->name;
  cg.mod = mod;
  cg.select_minmax = target == MCU_TARGET_CORTEX_M4;
  cg.ctx = LLVMGetModuleContext(mod);
  cg.t_void = LLVMVoidTypeInContext(cg.ctx);
  cg.t_i1 = LLVMInt1TypeInContext(cg.ctx);
  cg.t_i8 = LLVMInt8TypeInContext(cg.ctx);
  cg.t_i16 = LLVMInt16TypeInContext(cg.ctx);
  cg.t_i32 = LLVMInt32TypeInContext(cg.ctx);
  cg.t_f32 = LLVMFloatTypeInContext(cg.ctx);
  cg.t_ptr = LLVMPointerTypeInContext(cg.ctx, 0);

  /* memcpy/memmove(ptr, ptr, size_t) with size_t the target's pointer-sized integer. */
  LLVMTypeRef size_ty = LLVMIntPtrTypeInContext(cg.ctx, LLVMGetModuleDataLayout(mod));
  LLVMTypeRef mp[3] = {cg.t_ptr, cg.t_ptr, size_ty};
  cg.ty_memcpy = LLVMFunctionType(cg.t_ptr, mp, 3, 0);
  cg.fn_memcpy = LLVMAddFunction(mod, "memcpy", cg.ty_memcpy);
  cg.fn_memmove = LLVMAddFunction(mod, "memmove", cg.ty_memcpy);
  unsigned id_max = LLVMLookupIntrinsicID("llvm.maxnum", 11), id_min = LLVMLookupIntrinsicID("llvm.minnum", 11);
  cg.fn_maxnum = LLVMGetIntrinsicDeclaration(mod, id_max, &cg.t_f32, 1);
  cg.fn_minnum = LLVMGetIntrinsicDeclaration(mod, id_min, &cg.t_f32, 1);
  cg.ty_minmax = LLVMIntrinsicGetType(cg.ctx, id_max, &cg.t_f32, 1);

  cg.weights = build_weights(&cg);
  if (!cg.weights) return mcu_status_errorf("codegen: out of memory building the weights blob");
  if (!p->num_pools && p->arena_size > 0) cg.arena = build_arena(&cg, "arena", p->arena_size, 16);
  for (int k = 0; k < p->num_pools; ++k)
    if (p->pools[k].size > 0) cg.pools[k] = build_arena(&cg, p->pools[k].name, p->pools[k].size, p->pools[k].align);
  if (p->num_pools) cg.arena = cg.pools[0];

  /* SYM_run_with_arena(arena or one pointer per pool, inputs..., outputs...): every layer call, addressing the
   * arena through its arguments only. */
  cg.num_arena_params = p->num_pools ? p->num_pools : 1;
  int nargs = cg.num_arena_params + p->num_inputs + p->num_outputs;
  LLVMTypeRef *params = calloc((size_t)nargs, sizeof *params);
  if (!params) return mcu_status_errorf("codegen: out of memory");
  for (int i = 0; i < nargs; ++i) params[i] = cg.t_ptr;
  char name[160];
  snprintf(name, sizeof name, "%s_run_with_arena", p->name);
  LLVMTypeRef with_arena_ty = LLVMFunctionType(cg.t_i32, params, (unsigned)nargs, 0);
  cg.run = LLVMAddFunction(mod, name, with_arena_ty);
  free(params);
  add_fn_attr(&cg, cg.run, "nounwind");
  for (int i = 0; i < nargs; ++i) {
    char pn[64];
    int n;
    if (i < cg.num_arena_params)
      n = snprintf(pn, sizeof pn, "%s", p->num_pools ? p->pools[i].name : "arena");
    else if (i < cg.num_arena_params + p->num_inputs)
      n = snprintf(pn, sizeof pn, "input%d", i - cg.num_arena_params);
    else
      n = snprintf(pn, sizeof pn, "output%d", i - cg.num_arena_params - p->num_inputs);
    LLVMSetValueName2(LLVMGetParam(cg.run, (unsigned)i), pn, (size_t)n);
  }
  LLVMBuilderRef run_b = LLVMCreateBuilderInContext(cg.ctx);
  LLVMPositionBuilderAtEnd(run_b, LLVMAppendBasicBlockInContext(cg.ctx, cg.run, "entry"));
  build_arena_checks(&cg, run_b);
  cg.b = LLVMCreateBuilderInContext(cg.ctx);
  for (int li = 0; li < p->num_layers && !s; ++li) {
    const mcu_patch_stage_t *st =
        p->num_patch_stages && p->patch_stages[0].first_layer == li ? &p->patch_stages[0] : NULL;
    if (st) {
      s = cg_build_patch_stage(&cg, run_b, st);
      li = st->last_layer;
    } else {
      s = build_layer(&cg, run_b, li);
    }
  }
  if (!s) LLVMBuildRet(run_b, cg_i32(&cg, 0));
  LLVMDisposeBuilder(cg.b);
  LLVMDisposeBuilder(run_b);
  if (!s) s = build_run(&cg, with_arena_ty);
  return s;
}
