/* kernel_registry.h: the table entries that connect layers to kernel-library functions (host side only). */
#ifndef MCUNET_RUNTIME_KERNEL_REGISTRY_H
#define MCUNET_RUNTIME_KERNEL_REGISTRY_H

#include "kernel_call.h"

/* One library function: which layers it runs and how their parameters are computed. */
typedef struct mcu_kernel_entry {
  const char *function; /* NULL ends a table */
  mcu_kernel_fn fn;     /* its host build */
  /* Nonzero when this function runs the layer (op, numerics, dtypes). */
  int (*matches)(const mcu_program_t *p, const mcu_layer_t *l);
  /* Fills params, params_size and the aux tables (call->function is set by the caller). */
  mcu_status_t (*prepare)(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);
} mcu_kernel_entry_t;

/* The tables, one per group of kernels (each defined in its own file). */
extern const mcu_kernel_entry_t mcu_kernels_tflite[]; /* kernels_tflite.c: conv, FC, requantization, add/sub/mul */
extern const mcu_kernel_entry_t mcu_kernels_misc[];   /* kernels_misc.c: softmax, pooling, mean, ... */
extern const mcu_kernel_entry_t mcu_kernels_onnx[];   /* kernels_onnx.c: ONNX Runtime's QOperator ops, float32 */

#endif
