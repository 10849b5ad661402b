/* kernel_call.h: how a layer is run by a function of the kernel library (runtime/kernels/k_*.c). */
#ifndef MCUNET_RUNTIME_KERNEL_CALL_H
#define MCUNET_RUNTIME_KERNEL_CALL_H

/* The kernel library holds the ops whose arithmetic is too intricate to write twice (TF Lite Micro's fixed-point
 * kernels, softmax, pooling, ...). Each kernel is plain, freestanding C with a flat signature:
 *
 *   void mcu_k_NAME(const void *params, const void *aux0, const void *aux1,
 *                   const void *in0, const void *in1, const void *in2, void *out);
 *
 * `params` points to the kernel's parameter struct, whose members are only int32_t and float (and fixed arrays of
 * them), so its bytes mean the same on the host and on the Cortex-M. `aux0/aux1` are constant tables computed at
 * compile time (per-channel multipliers and shifts, lookup tables), `in0..in2` the layer's inputs in order, `out`
 * its output; unused pointers are NULL. A layer with more than three inputs is handed its first three: its prepare
 * accepts it only when the others are constants it folded into params or aux (batch norm's scale, bias, mean,
 * var). Kernels never allocate and never read or write outside these buffers.
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
                              const void *in1, const void *in2, void *out);

typedef struct mcu_kernel_call {
  const char *function;                   /* the library function, "mcu_k_softmax_s8" (static string) */
  uint32_t params_size;                   /* bytes of the parameter struct */
  uint8_t params[MCU_KERNEL_MAX_PARAMS];  /* its bytes */
  int num_aux;                            /* 0..MCU_KERNEL_MAX_AUX */
  uint32_t aux_size[MCU_KERNEL_MAX_AUX];  /* bytes of each table */
  uint8_t *aux[MCU_KERNEL_MAX_AUX];       /* owned tables (4-byte aligned, little-endian) */
} mcu_kernel_call_t;

/* Whether layer `l` of `p` runs through the kernel library. */
int mcu_kernel_handles(const mcu_program_t *p, const mcu_layer_t *l);

/* Computes the call for layer `l` (which mcu_kernel_handles). On error nothing is left to release. */
mcu_status_t mcu_kernel_prepare(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *out_call);

/* Frees the aux tables. */
void mcu_kernel_call_release(mcu_kernel_call_t *c);

/* The host build of a library function by name, or NULL. */
mcu_kernel_fn mcu_kernel_lookup(const char *function);

#ifdef __cplusplus
}
#endif
#endif
