/* cg_kernel.c: a layer run by the kernel library: its params and aux tables as constants and the mcu_k_* call. */
#include <stdio.h>
#include <string.h>

#include "cg_internal.h"
#include "kernel_call.h"

/* A constant byte table SYM_l<N>_<what> (internal, 4-aligned, in .rodata.SYM) holding `bytes`. */
static LLVMValueRef byte_table(cg_t *cg, const char *what, const uint8_t *bytes, uint32_t n) {
  char name[256], sect[256];
  snprintf(name, sizeof name, "%s_l%d_%s", cg->sym, cg->layer_index, what);
  snprintf(sect, sizeof sect, ".rodata.%s", cg->sym);
  LLVMTypeRef ty = LLVMArrayType2(cg->t_i8, n);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, ty, name);
  LLVMSetInitializer(g, LLVMConstStringInContext2(cg->ctx, (const char *)bytes, n, 1));
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMInternalLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetSection(g, sect);
  LLVMSetAlignment(g, 4);
  return g;
}

/* The library function's name must be a C identifier starting with mcu_k_ (cg_link.c renames it SYM_mcu_k_...). */
static int valid_function_name(const char *f) {
  if (!f || strncmp(f, CG_KERNEL_PREFIX, strlen(CG_KERNEL_PREFIX)) != 0 || strlen(f) > 100) return 0;
  for (const char *c = f; *c; ++c)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) return 0;
  return 1;
}

/* The kernel library's flat signature: void (params, aux0, aux1, in0, in1, in2, out, scratch), all pointers. */
LLVMTypeRef cg_kernel_fn_type(cg_t *cg) {
  LLVMTypeRef ps[8];
  for (int i = 0; i < 8; ++i) ps[i] = cg->t_ptr;
  return LLVMFunctionType(cg->t_void, ps, 8, 0);
}

/* The scratch and in-place contracts (kernel_call.h): the planned scratch holds the call's scratch_bytes inside the
 * arena; an in-place layer's output has its input's offset and the function accepts out == that input. */
static mcu_status_t check_memory(cg_t *cg, const mcu_layer_t *l, const mcu_kernel_call_t *call) {
  const mcu_program_t *p = cg->p;
  if (call->scratch_bytes > l->scratch_bytes - l->patch_buf_bytes || l->patch_buf_bytes > l->scratch_bytes)
    return mcu_status_errorf("kernel %s needs %u scratch bytes, %u were planned", call->function,
                             call->scratch_bytes, l->scratch_bytes - l->patch_buf_bytes);
  const uint32_t room = p->num_pools ? p->pools[l->scratch_pool].size : p->arena_size;
  if (l->scratch_bytes > 0 && (!cg_pool_base(cg, l->scratch_pool) || !cg->scratch ||
                               (uint64_t)l->scratch_offset + l->scratch_bytes > room || l->scratch_offset % 4))
    return mcu_status_errorf("scratch [%u, +%u) is not an aligned range of the arena of %u bytes", l->scratch_offset,
                             l->scratch_bytes, room);
  if (!l->inplace) return NULL;
  if (l->inplace_input < 0 || l->inplace_input >= l->num_inputs || l->inplace_input > 2 ||
      !(call->inplace_mask & (1u << l->inplace_input)))
    return mcu_status_errorf("kernel %s cannot run in place on input %d", call->function, l->inplace_input);
  const mcu_tensor_t *x = &p->tensors[l->inputs[l->inplace_input]], *y = &p->tensors[l->output];
  if (x->storage != MCU_STORAGE_ARENA || y->storage != MCU_STORAGE_ARENA || x->offset != y->offset ||
      x->pool != y->pool)
    return mcu_status_errorf("in-place layer whose output is not at its input's arena offset");
  return NULL;
}

mcu_status_t cg_gen_kernel_call(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  /* The function sees the first three inputs; a prepare that accepts a layer with more (batch norm's constant
   * scale, bias, mean, var) folded them into params or aux tables. */
  if (l->num_inputs > MCU_MAX_LAYER_INPUTS)
    return mcu_status_errorf("layer with %d inputs", l->num_inputs);
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(cg->p, l, &call);
  if (s) return s;
  if (!valid_function_name(call.function)) {
    s = mcu_status_errorf("kernel library function '%s' is not an mcu_k_* identifier",
                          call.function ? call.function : "(null)");
  } else if (call.params_size > MCU_KERNEL_MAX_PARAMS || call.num_aux < 0 || call.num_aux > MCU_KERNEL_MAX_AUX) {
    s = mcu_status_errorf("kernel %s: %u params bytes or %d aux tables out of range", call.function,
                          call.params_size, call.num_aux);
  }
  for (int i = 0; !s && i < call.num_aux; ++i)
    if (call.aux_size[i] > INT32_MAX || (call.aux_size[i] > 0 && !call.aux[i]))
      s = mcu_status_errorf("kernel %s: aux table %d has %u bytes and no data", call.function, i, call.aux_size[i]);
  if (!s) s = check_memory(cg, l, &call);
  if (s) {
    mcu_kernel_call_release(&call);
    return s;
  }

  LLVMValueRef null = LLVMConstPointerNull(cg->t_ptr);
  LLVMValueRef args[8] = {null, null, null, null, null, null, out->ptr, null};
  if (call.scratch_bytes > 0) args[7] = cg->scratch; /* the layer's scratch argument: arena + scratch_offset */
  if (call.params_size > 0) args[0] = byte_table(cg, "params", call.params, call.params_size);
  for (int i = 0; i < call.num_aux; ++i) {
    char what[16];
    snprintf(what, sizeof what, "aux%d", i);
    if (call.aux_size[i] > 0) args[1 + i] = byte_table(cg, what, call.aux[i], call.aux_size[i]);
  }
  for (int i = 0; i < l->num_inputs && i < 3; ++i) args[3 + i] = in[i].ptr;

  /* Declared under its final name; cg_link_kernels resolves it against the renamed library definition. */
  char name[256];
  snprintf(name, sizeof name, "%s_%s", cg->sym, call.function);
  LLVMTypeRef fty = cg_kernel_fn_type(cg);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, name);
  if (!fn) fn = LLVMAddFunction(cg->mod, name, fty);
  LLVMBuildCall2(cg->b, fty, fn, args, 8, "");
  mcu_kernel_call_release(&call);
  return NULL;
}
