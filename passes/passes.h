/* passes.h: mcunet's passes (C functions over the MLIR C API) and the name -> pass table. */
#ifndef MCUNET_PASSES_PASSES_H
#define MCUNET_PASSES_PASSES_H

#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>

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
void mcu_pass_select_kernels(MlirOperation module, MlirExternalPass pass, void *user_data);

#ifdef __cplusplus
}
#endif
#endif
