/* passes.h: mcunet's passes (C functions over the MLIR C API) and the name -> pass table. */
#ifndef MCUNET_PASSES_PASSES_H
#define MCUNET_PASSES_PASSES_H

#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>

#include "patch_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One of our passes. Every pass runs on the `builtin.module`; its `run` walks what it needs and calls
 * mlirExternalPassSignalFailure on error (after emitting a diagnostic). */
typedef struct mcu_pass_info {
  const char *argument;    /* command-line name: mcunet-opt --fuse-activation */
  const char *description; /* one line for --help */
  void (*run)(MlirOperation module, MlirExternalPass pass, void *user_data);
} mcu_pass_info_t;

/* The passes, in pipeline order; NULL-terminated by argument. */
extern const mcu_pass_info_t mcu_passes[];

/* The pass named `argument`, or NULL. */
const mcu_pass_info_t *mcu_pass_lookup(const char *argument);

/* Creates an owned MlirPass for `info` (add it with mlirPassManagerAddOwnedPass). */
MlirPass mcu_pass_create(const mcu_pass_info_t *info);

/* The passes themselves (one file each). */
void mcu_pass_fold_constants(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_fold_qdq(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_fold_batch_norm(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_fold_requantize(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_mark_aliases(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_mark_inplace(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_fuse_activation(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_simplify_transposes(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_fuse_pad(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_schedule(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_plan_memory(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_stream_blocks(MlirOperation module, MlirExternalPass pass, void *user_data);
void mcu_pass_patch_stages(MlirOperation module, MlirExternalPass pass, void *user_data);

/* patch-stages' reading of the IR, shared with plan-memory: the geometry of one op as a patch-stage layer
 * (1 when the op can be one: conv2d, avg/max pool, quantize / requantize / clamp over batch-1 NHWC tensors with
 * constant extra operands), and the op's `mcu.patch = array<i64: stage, rows, cols>` (1 when present). */
int mcu_patch_layer_of_op(MlirOperation op, mcu_patch_layer_t *out);
int mcu_patch_stage_of(MlirOperation op, int64_t out_v[3]);
/* The most scratch bytes the kernel call of layer k (op) of a stage (ls[0..n-1], rows x cols) needs in any patch:
 * what plan-memory reserves and code generation's patch calls use (0: no library kernel). */
uint32_t mcu_patch_layer_scratch(MlirOperation op, const mcu_patch_layer_t *ls, int n, int k, int rows, int cols);
/* patch-stages' unpatched peak estimate of the main function `block`, shared with stream-blocks' board policy:
 * the most bytes of arena buffers (results in use, each layer's kernel scratch; in-place marks counted) live at
 * one step in the block's current order. A lower bound of the planned arena. Returns 0, or -1 when out of
 * memory. */
int mcu_patch_estimate_peak(MlirBlock block, uint64_t *out_peak);
void mcu_pass_select_kernels(MlirOperation module, MlirExternalPass pass, void *user_data);

#ifdef __cplusplus
}
#endif
#endif
