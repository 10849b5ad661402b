/* kernel_call.h: how a layer is run by a function of the kernel library (runtime/kernels/k_*.c). */
#ifndef MCUNET_RUNTIME_KERNEL_CALL_H
#define MCUNET_RUNTIME_KERNEL_CALL_H

/* The kernel library holds the ops whose arithmetic is too intricate to write twice (TF Lite Micro's fixed-point
 * kernels, softmax, pooling, ...). Each kernel is plain, freestanding C with a flat signature:
 *
 *   void mcu_k_NAME(const void *params, const void *aux0, const void *aux1,
 *                   const void *in0, const void *in1, const void *in2, void *out, void *scratch);
 *
 * `params` points to the kernel's parameter struct, whose members are only int32_t and float (and fixed arrays of
 * them), so its bytes mean the same on the host and on the Cortex-M. `aux0/aux1` are constant tables computed at
 * compile time (per-channel multipliers and shifts, lookup tables), `in0..in2` the layer's inputs in order, `out`
 * its output; unused pointers are NULL. A layer with more than three inputs is handed its first three: its prepare
 * accepts it only when the others are constants it folded into params or aux (batch norm's scale, bias, mean,
 * var). `scratch` is a work buffer of the call's `scratch_bytes` (4-byte aligned, contents undefined on entry and
 * on exit; NULL when scratch_bytes is 0): the compiler places it in the arena as a buffer live only during the
 * layer (plan-memory), so SYM_ARENA_SIZE is the exact SRAM, scratch included. Kernels never allocate and never
 * read or write outside these buffers.
 *
 * In-place calls: `inplace_mask` bit k set means the function is also correct when `out` is the same pointer as
 * input k (the output then overwrites input k's bytes, which must hold max(input, output) bytes). A layer with
 * l->inplace set is only ever run through a call whose mask has bit l->inplace_input (code generation checks);
 * the reference may still run it with separate buffers, which every function supports.
 *
 * The same source serves both sides: the reference (runtime/ref) calls the host build of the function; code
 * generation (targets/) links the library's LLVM bitcode for the target into the model, emits `params` and the
 * aux tables as constants and calls the function, which LLVM inlines and specialises (every shape a constant).
 * mcu_kernel_prepare() is the one place that turns a layer into that call. */

#include <stdint.h>

#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCU_KERNEL_MAX_PARAMS 512
#define MCU_KERNEL_MAX_AUX 2

typedef void (*mcu_kernel_fn)(const void *params, const void *aux0, const void *aux1, const void *in0,
                              const void *in1, const void *in2, void *out, void *scratch);

typedef struct mcu_kernel_call {
  const char *function;                   /* the library function, "mcu_k_softmax_s8" (static string) */
  uint32_t params_size;                   /* bytes of the parameter struct */
  uint8_t params[MCU_KERNEL_MAX_PARAMS];  /* its bytes */
  int num_aux;                            /* 0..MCU_KERNEL_MAX_AUX */
  uint32_t aux_size[MCU_KERNEL_MAX_AUX];  /* bytes of each table */
  uint8_t *aux[MCU_KERNEL_MAX_AUX];       /* owned tables (4-byte aligned, little-endian) */
  uint32_t scratch_bytes;                 /* bytes of the scratch buffer the function needs (0: none) */
  uint32_t inplace_mask;                  /* bit k: out may be the same pointer as input k */
} mcu_kernel_call_t;

/* Whether layer `l` of `p` runs through the kernel library. */
int mcu_kernel_handles(const mcu_program_t *p, const mcu_layer_t *l);

/* Computes the call for layer `l` (which mcu_kernel_handles). On error nothing is left to release. */
mcu_status_t mcu_kernel_prepare(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *out_call);

/* Whether the call of layer `l` reads input `i` at run time (1), or the kernel keeps that constant in its own
 * compile-time tables and never dereferences the pointer (0: the filter of a conv that select-kernels recorded on
 * the 4x1 pointwise tile, k_gemm_w16.h). Layers the library does not run read all their inputs; 1 is always safe. */
int mcu_kernel_reads_input(const mcu_program_t *p, const mcu_layer_t *l, int i);

/* mcu_kernel_prepare when l runs through the library; otherwise *out_handled = 0, no error and nothing to release.
 * One search of the tables instead of mcu_kernel_handles then mcu_kernel_prepare (the matchers of convs do work). */
mcu_status_t mcu_kernel_prepare_if_handled(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *out_call,
                                           int *out_handled);

/* Frees the aux tables. */
void mcu_kernel_call_release(mcu_kernel_call_t *c);

/* The host build of a library function by name, or NULL. */
mcu_kernel_fn mcu_kernel_lookup(const char *function);

#ifdef __cplusplus
}
#endif
#endif
