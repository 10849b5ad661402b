/* lower.h: the planned graph IR (@main of an mcu module) -> the IR-free program of compiler/program.h. */
#ifndef MCUNET_COMPILER_LOWER_H
#define MCUNET_COMPILER_LOWER_H

#include <mlir-c/IR.h>

#include "kernel_select.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lowers `module` (after plan-memory) into a program named `name`. Every op must be one the program can express;
 * every activation must carry its mcu.offset. *out_program is owned by the caller (mcu_program_destroy). */
mcu_status_t mcu_lower_module(MlirModule module, const char *name, mcu_program_t **out_program);

/* What the kernel library needs to run one graph op, known before lowering (the passes ask: plan-memory for the
 * scratch it must place, mark-inplace for whether a kernel accepts out == an input). */
typedef struct mcu_op_kernel {
  int handled;            /* 1 when the op becomes one layer run by the kernel library */
  uint32_t scratch_bytes; /* that call's scratch_bytes (kernel_call.h) */
  uint32_t inplace_mask;  /* that call's inplace_mask */
  uint64_t tables_bytes;  /* that call's constant tables (aux_size summed): flash, beside the weights */
  /* select-kernels (mcu_lower_op_kernel_shape only; the other questions leave them 0): 1 when the op is an int8
   * TF Lite conv / fully connected layer, with its shape as the cost model sees it (runtime/kernels/
   * kernel_select.h); set even when the op has no kernel-library call. */
  int kernel_shape_ok;
  mcu_ksel_shape_t kernel_shape;
} mcu_op_kernel_t;

/* Lowers `op` alone (its non-constant operands become arena tensors, its constant operands constants with their
 * data; attributes as mcu_lower_module reads them, mcu.inplace included) and asks mcu_kernel_prepare for the
 * layer's call: the same function and params mcu_lower_module's program will get, so the answer is exact. An
 * op that makes no layer (a constant, answered without lowering it; a copy-free reshape) or that no library
 * function runs gives handled = 0. Errors: the op cannot be lowered or the library rejects it. */
mcu_status_t mcu_lower_op_kernel(MlirOperation op, mcu_op_kernel_t *out_info);

/* The same for one patch of a patch stage: operand 0 and the result are [1, in_h, in_w, C] and [1, out_h, out_w,
 * O] and the padding is `pad` (top, left, bottom, right), as code generation's patch view builds the call. */
typedef struct mcu_op_view {
  int32_t in_h, in_w, out_h, out_w;
  int32_t pad[4];
} mcu_op_view_t;
mcu_status_t mcu_lower_op_kernel_view(MlirOperation op, const mcu_op_view_t *view, mcu_op_kernel_t *out_info);

/* mcu_lower_op_kernel as if op carried mcu.inplace = operand (mark-inplace's tentative question), whatever its
 * own attribute says, without setting it: each attribute set or removal rebuilds the op's attribute dictionary,
 * and most tentative marks are refused. */
mcu_status_t mcu_lower_op_kernel_inplace(MlirOperation op, int operand, mcu_op_kernel_t *out_info);

/* Only kernel_shape_ok and kernel_shape (select-kernels' question, which the other questions do not answer),
 * without the kernel library's prepare: handled, scratch_bytes and inplace_mask are 0. Errors: the op cannot be
 * lowered (a library that would reject the layer is not asked). */
mcu_status_t mcu_lower_op_kernel_shape(MlirOperation op, mcu_op_kernel_t *out_info);

#ifdef __cplusplus
}
#endif
#endif
