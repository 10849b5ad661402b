/* cg_module.c: builds the LLVM module of a program: the weights and arena globals, one function per layer, SYM_run. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Target.h>

#include "cg_internal.h"
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
      if ((int64_t)t->offset + n > (int64_t)room)
        return mcu_status_errorf("codegen: tensor %d '%s' [%u, +%lld) lies outside the arena of %u bytes", i, nm,
                                 t->offset, (long long)n, room);
      break;
    }
    case MCU_STORAGE_CONST:
      if ((int64_t)t->offset + n > (int64_t)p->weights_size || (n > 0 && !t->data))
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

/* The pointer to a tensor's first byte inside SYM_run. */
static LLVMValueRef tensor_ptr(cg_t *cg, LLVMValueRef run, const mcu_tensor_t *t) {
  LLVMValueRef off = cg_i32(cg, t->offset);
  switch (t->storage) {
  case MCU_STORAGE_CONST:
    return LLVMConstInBoundsGEP2(cg->t_i8, cg->weights, &off, 1);
  case MCU_STORAGE_ARENA: { /* an empty pool: only empty tensors, never dereferenced */
    LLVMValueRef g = cg_pool_global(cg, t->pool);
    return g ? LLVMConstInBoundsGEP2(cg->t_i8, g, &off, 1) : LLVMConstPointerNull(cg->t_ptr);
  }
  case MCU_STORAGE_INPUT:
    return LLVMGetParam(run, (unsigned)t->index);
  case MCU_STORAGE_OUTPUT:
    return LLVMGetParam(run, (unsigned)(cg->p->num_inputs + t->index));
  }
  return NULL;
}

/* Alignment a generator may assume: the globals are 16-aligned, so an offset's lowest set bit (capped at 16);
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

/* Builds SYM_l<N>_<op>(in0, ..., out) for layer li and the call to it in SYM_run. */
static mcu_status_t build_layer(cg_t *cg, LLVMValueRef run, LLVMBuilderRef run_b, int li) {
  const mcu_program_t *p = cg->p;
  const mcu_layer_t *l = &p->layers[li];
  int np = l->num_inputs + 1;
  LLVMTypeRef params[MCU_MAX_LAYER_INPUTS + 1];
  for (int i = 0; i < np; ++i) params[i] = cg->t_ptr;
  LLVMTypeRef fty = LLVMFunctionType(cg->t_void, params, (unsigned)np, 0);
  char name[160];
  snprintf(name, sizeof name, "%s_l%d_%s", cg->sym, li, mcu_op_name(l->op));
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
  LLVMValueRef args[MCU_MAX_LAYER_INPUTS + 1];
  for (int i = 0; i < l->num_inputs; ++i) {
    const mcu_tensor_t *t = &p->tensors[l->inputs[i]];
    in[i] = (cg_view_t){t, LLVMGetParam(fn, (unsigned)i), tensor_align(t)};
    LLVMSetValueName2(in[i].ptr, "in", 2);
    args[i] = tensor_ptr(cg, run, t);
  }
  const mcu_tensor_t *ot = &p->tensors[l->output];
  out = (cg_view_t){ot, LLVMGetParam(fn, (unsigned)l->num_inputs), tensor_align(ot)};
  LLVMSetValueName2(out.ptr, "out", 3);
  args[l->num_inputs] = tensor_ptr(cg, run, ot);

  /* The kernel library first: a layer it handles (TF Lite numerics, ...) never reaches a native generator. */
  mcu_status_t s = mcu_kernel_handles(p, l) ? cg_gen_kernel_call(cg, l, in, &out) : gen_native(cg, l, in, &out);
  if (s) return mcu_status_annotatef(s, "codegen: layer %d '%s' (%s): ", li, l->name ? l->name : "", mcu_op_name(l->op));
  LLVMBuildRetVoid(cg->b);
  LLVMBuildCall2(run_b, fty, fn, args, (unsigned)np, "");
  return NULL;
}

/* Fills the weights blob: every CONST tensor's bytes at its offset, zeros between. */
static LLVMValueRef build_weights(cg_t *cg) {
  const mcu_program_t *p = cg->p;
  size_t n = p->weights_size;
  uint8_t *blob = calloc(n ? n : 1, 1);
  if (!blob) return NULL;
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    if (t->storage == MCU_STORAGE_CONST && t->data) memcpy(blob + t->offset, t->data, (size_t)mcu_tensor_bytes(t));
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

LLVMValueRef cg_pool_global(const cg_t *cg, int pool) {
  if (!cg->p->num_pools) return pool == 0 ? cg->arena : NULL;
  return pool >= 0 && pool < cg->p->num_pools ? cg->pools[pool] : NULL;
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

  int nargs = p->num_inputs + p->num_outputs;
  LLVMTypeRef *params = calloc((size_t)(nargs ? nargs : 1), sizeof *params);
  if (!params) return mcu_status_errorf("codegen: out of memory");
  for (int i = 0; i < nargs; ++i) params[i] = cg.t_ptr;
  char name[160];
  snprintf(name, sizeof name, "%s_run", p->name);
  LLVMValueRef run = LLVMAddFunction(mod, name, LLVMFunctionType(cg.t_i32, params, (unsigned)nargs, 0));
  free(params);
  add_fn_attr(&cg, run, "nounwind");
  for (int i = 0; i < nargs; ++i) {
    char pn[32];
    int n = snprintf(pn, sizeof pn, i < p->num_inputs ? "input%d" : "output%d",
                     i < p->num_inputs ? i : i - p->num_inputs);
    LLVMSetValueName2(LLVMGetParam(run, (unsigned)i), pn, (size_t)n);
  }
  LLVMBuilderRef run_b = LLVMCreateBuilderInContext(cg.ctx);
  LLVMPositionBuilderAtEnd(run_b, LLVMAppendBasicBlockInContext(cg.ctx, run, "entry"));
  cg.b = LLVMCreateBuilderInContext(cg.ctx);
  for (int li = 0; li < p->num_layers && !s; ++li) s = build_layer(&cg, run, run_b, li);
  if (!s) LLVMBuildRet(run_b, cg_i32(&cg, 0));
  LLVMDisposeBuilder(cg.b);
  LLVMDisposeBuilder(run_b);
  return s;
}
