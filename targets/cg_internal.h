/* cg_internal.h: private state and IR-building helpers shared by the code generators in targets/. */
#ifndef MCUNET_TARGETS_CG_INTERNAL_H
#define MCUNET_TARGETS_CG_INTERNAL_H

#include <llvm-c/Core.h>
#include <stdint.h>

#include "mcunet.h"
#include "program.h"
#include "status.h"

/* One code generation: the LLVM objects, the program and the globals every layer addresses. All index arithmetic
 * is done in i32: every tensor is checked to be smaller than 2^31 bytes before any IR is built. */
typedef struct cg {
  const mcu_program_t *p;
  const char *sym; /* program->name, the prefix of every defined symbol */
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_f32, t_ptr;
  LLVMValueRef weights; /* SYM_weights, or NULL when weights_size is 0 */
  LLVMValueRef arena;   /* SYM_arena, or NULL when arena_size is 0 (with --pool: the first pool's global) */
  LLVMValueRef pools[MCU_MAX_POOLS]; /* with --pool: each pool's global SYM_NAME (NULL when its size is 0) */
  LLVMValueRef run;     /* SYM_run_with_arena: arena arguments first (num_arena_params), then inputs, outputs */
  int num_arena_params; /* one per pool (--pool), else 1 (the single arena, unused when arena_size is 0) */
  LLVMValueRef fn;      /* the layer function being built */
  LLVMValueRef scratch; /* its scratch argument (the planned kernel scratch), or NULL */
  int layer_index;      /* its index in p->layers */
  LLVMValueRef fn_memcpy, fn_memmove;
  LLVMTypeRef ty_memcpy;
  LLVMValueRef fn_maxnum, fn_minnum;
  LLVMTypeRef ty_minmax;
  int select_minmax; /* no VMAXNM/VMINNM (Cortex-M4's FPv4): cg_maxnum/cg_minnum compare and select instead */
} cg_t;

/* A tensor as a layer function sees it: its descriptor, a pointer to its first byte and the alignment (bytes, a
 * power of two) every element access may assume. */
typedef struct cg_view {
  const mcu_tensor_t *t;
  LLVMValueRef ptr;
  unsigned align;
} cg_view_t;

/* A counted loop `for (iv = 0; iv < count; ++iv)` built from a header block with a phi, a body and an exit. */
typedef struct cg_loop {
  LLVMBasicBlockRef header, exit;
  LLVMValueRef iv; /* i32 induction variable, valid inside the body */
  int32_t count;
} cg_loop_t;

/* ---- cg_module.c ---- */
/* The pointer to a tensor's first byte inside SYM_run_with_arena (built with `b`): arena tensors from the arena
 * argument of their pool, weights from the blob, inputs and outputs the caller's pointers. */
LLVMValueRef cg_tensor_ptr(cg_t *cg, LLVMBuilderRef b, const mcu_tensor_t *t);
/* Builds the function SYM_l<li>_<suffix><op>(in0, ..., out[, scratch]) of layer li as cg->p describes it (a patch
 * view may stand in for the program); *out_fn / *out_fty receive it and its type. Arguments get `noalias` from
 * their byte ranges, or all of them when `disjoint` (the caller knows no two accessed ranges meet). */
mcu_status_t cg_build_layer_fn(cg_t *cg, int li, const char *suffix, int disjoint, LLVMValueRef *out_fn,
                               LLVMTypeRef *out_fty);
/* The scratch argument of layer l in SYM_run_with_arena (built with `b`), or NULL when it has no scratch. */
mcu_status_t cg_layer_scratch_arg(cg_t *cg, LLVMBuilderRef b, const mcu_layer_t *l, LLVMValueRef *out_arg);

/* ---- cg_patch.c ---- */
/* The layers of a patch stage, patch by patch, and their calls in SYM_run_with_arena (built by run_b). */
mcu_status_t cg_build_patch_stage(cg_t *cg, LLVMBuilderRef run_b, const mcu_patch_stage_t *st);

/* ---- cg_ir.c: small builders ---- */
LLVMValueRef cg_i32(cg_t *cg, int64_t v);
/* SYM_run_with_arena's arena argument of pool `pool` (0 = the first or only pool), or NULL when it has no bytes.
 * Code addresses activations only through these arguments, never through the static globals. */
LLVMValueRef cg_pool_base(const cg_t *cg, int pool);
LLVMValueRef cg_f32(cg_t *cg, float v);
/* Opens a loop of `count` (>= 1) iterations at the builder's position and leaves the builder in its body;
 * returns the induction variable. */
LLVMValueRef cg_loop_begin(cg_t *cg, cg_loop_t *l, int32_t count, const char *name);
/* Closes the innermost open loop `l` (increment, back edge) and leaves the builder after it. */
void cg_loop_end(cg_t *cg, cg_loop_t *l);
/* if (cond) { ... }: leaves the builder in the then-block; cg_if_end joins. `out_join` receives the join block. */
void cg_if_begin(cg_t *cg, LLVMValueRef cond, const char *name, LLVMBasicBlockRef *out_join);
void cg_if_end(cg_t *cg, LLVMBasicBlockRef join);
/* An alloca in the layer function's entry block (promoted to phis by mem2reg in the O2 pipeline). */
LLVMValueRef cg_entry_alloca(cg_t *cg, LLVMTypeRef ty, const char *name);
/* a * k + c with constant k, c (nsw: indices are checked to fit in int32). */
LLVMValueRef cg_mad(cg_t *cg, LLVMValueRef a, int64_t k, LLVMValueRef c);
LLVMValueRef cg_add(cg_t *cg, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_addk(cg_t *cg, LLVMValueRef a, int64_t k);
LLVMValueRef cg_mulk(cg_t *cg, LLVMValueRef a, int64_t k);

/* llvm.maxnum / llvm.minnum of float `a` and a float `b` that is never NaN (a NaN `a` gives `b`). With
 * cg->select_minmax an ordered compare and a select, which means the same for such a `b` (up to the sign of a
 * zero result, which no caller depends on): FPv4 has no VMAXNM, and LLVM would call fmaxf/fminf instead. */
LLVMValueRef cg_maxnum(cg_t *cg, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_minnum(cg_t *cg, LLVMValueRef a, LLVMValueRef b);

/* Element `idx` (i32 element index) of an integer view, sign- or zero-extended to i32; or the float of an f32 view. */
LLVMValueRef cg_load(cg_t *cg, const cg_view_t *v, LLVMValueRef idx);
/* Stores `val` (i32, truncated to i8 for 8-bit dtypes; or float) as element `idx` of `v`. */
void cg_store(cg_t *cg, const cg_view_t *v, LLVMValueRef idx, LLVMValueRef val);

/* An internal constant table SYM_l<N>_<what> in .rodata.SYM (i32 or f32 entries), loaded at `idx`. When every entry
 * is equal the constant itself is returned and no table is made. */
LLVMValueRef cg_table_i32(cg_t *cg, const char *what, const int32_t *vals, int n, LLVMValueRef idx);
LLVMValueRef cg_table_f32(cg_t *cg, const char *what, const float *vals, int n, LLVMValueRef idx);

/* docs/ir.md steps 4-5 on a float32 v: minnum(maxnum(v, lo), hi) (a NaN becomes lo), round half to even with the
 * magic-number trick, plus zp. lo and hi are act_min - zp and act_max - zp, |lo|, |hi| < 2^22. Returns i32. */
LLVMValueRef cg_clamp_round(cg_t *cg, LLVMValueRef v, int32_t lo, int32_t hi, int32_t zp);
/* Full range of an integer dtype intersected with [act_min, act_max]; -1 if empty or not an integer dtype. */
int cg_act_range(mcu_dtype_t dt, int32_t act_min, int32_t act_max, int32_t *out_lo, int32_t *out_hi);
/* Scale as float32 and zero point of a tensor's slice i (per tensor: i ignored). */
void cg_qparams(const mcu_tensor_t *t, int i, float *out_scale, int32_t *out_zp);

/* Calls memcpy / memmove (as opaque C functions, so the ARM backend does not rename them __aeabi_memcpy). */
void cg_call_mem(cg_t *cg, int may_overlap, LLVMValueRef dst, LLVMValueRef src, int64_t bytes);

/* ---- Per-op generators (cg_conv.c, cg_matmul.c, cg_eltwise.c, cg_movement.c). Each fills the body of the layer
 * function cg->fn (builder at its entry block, `in` the input views, `out` the output view), ending with the
 * builder in a block that falls through to the return. On error nothing needs undoing: the module is dropped. ---- */
mcu_status_t cg_gen_conv2d(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);
mcu_status_t cg_gen_matmul(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);
mcu_status_t cg_gen_quantize(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);
mcu_status_t cg_gen_dequantize(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);
mcu_status_t cg_gen_clamp(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);
mcu_status_t cg_gen_transpose(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);
mcu_status_t cg_gen_copy(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);

/* ---- cg_kernel.c: layers run by the kernel library (runtime/kernels/kernel_call.h) ---- */
#define CG_KERNEL_PREFIX "mcu_k_"
/* void (ptr params, ptr aux0, ptr aux1, ptr in0, ptr in1, ptr in2, ptr out, ptr scratch) */
LLVMTypeRef cg_kernel_fn_type(cg_t *cg);
/* Fills the layer function with a call of the library function mcu_kernel_prepare chooses, declared as
 * SYM_mcu_k_NAME, with its params (SYM_l<N>_params) and aux tables (SYM_l<N>_aux<i>) as internal constants. */
mcu_status_t cg_gen_kernel_call(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out);

/* ---- cg_link.c: the kernel library's bitcode in the module ---- */
/* When the module declares SYM_mcu_k_* functions: parses the library embedded for `target`, checks its triple and
 * data layout against the module's, renames all its definitions SYM_<name>, links it in and makes every one of them
 * internal (the called entry points alwaysinline, stripped of clang's CPU/feature attributes). */
mcu_status_t cg_link_kernels(LLVMModuleRef mod, const char *sym, mcu_target_t target);
/* After optimisation: llvm.memcpy/memmove/memset calls the backend would not expand inline become calls of the C
 * functions (the ARM EABI backend would otherwise call __aeabi_memcpy & co., which are not standard C). */
mcu_status_t cg_lower_mem_intrinsics(LLVMModuleRef mod);
/* Fails when the module still calls an external function that is not standard C (<string.h> copies, <math.h>). */
mcu_status_t cg_check_externals(LLVMModuleRef mod);

/* ---- cg_module.c: the whole module (globals, layer functions, SYM_run). ---- */
/* Fills the empty module `mod` (its target triple and data layout already set) with the code of `p` for `target`. */
mcu_status_t cg_build_module(const mcu_program_t *p, LLVMModuleRef mod, mcu_target_t target);

#endif
