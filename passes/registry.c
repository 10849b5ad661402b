/* registry.c: the table that maps pass names to our external passes (MLIR has no C API to register them). */
#include "passes.h"

#include <string.h>

const mcu_pass_info_t mcu_passes[] = {
    {"fold-constants", "Evaluate ops whose operands are all constants (with the reference) into mcu.constant",
     mcu_pass_fold_constants},
    {"fold-qdq", "Turn ONNX QDQ groups (dequantize -> f32 conv2d/matmul -> quantize) into integer ops",
     mcu_pass_fold_qdq},
    {"fold-batch-norm", "Fold an f32 mcu.batch_norm into the f32 conv2d that feeds it (filter and bias)",
     mcu_pass_fold_batch_norm},
    {"fold-requantize", "Remove requantize and dequantize -> quantize pairs that keep the quantization",
     mcu_pass_fold_requantize},
    {"simplify-transposes", "Compose and cancel mcu.transpose pairs; transposes that move no data become reshapes",
     mcu_pass_simplify_transposes},
    {"fuse-pad", "Fold an mcu.pad of H and W with the zero point into the following conv2d's pads", mcu_pass_fuse_pad},
    {"fuse-activation", "Fold mcu.clamp (Relu, Clip) into the conv2d/matmul that produces its input",
     mcu_pass_fuse_activation},
    {"select-kernels",
     "Record each int8 conv / fully connected op's kernel family, im2col, tile and unroll (mcu.kernel, ...) from "
     "the cost model",
     mcu_pass_select_kernels},
    {"schedule", "Reorder @main's ops to lower the peak of live activation bytes (mcu.schedule_peak_before/after)",
     mcu_pass_schedule},
    {"stream-blocks", "Fuse expand 1x1 -> depthwise -> project 1x1 conv2d chains into a row-streamed mcu.stream_block",
     mcu_pass_stream_blocks},
    {"mark-aliases", "Mark reshapes that can share their input's bytes (mcu.alias) for plan-memory",
     mcu_pass_mark_aliases},
    {"mark-inplace", "Mark depthwise convs and adds that can overwrite a dying input (mcu.inplace) for plan-memory",
     mcu_pass_mark_inplace},
    {"patch-stages", "Run the early layers patch by patch when that lowers the arena's peak (mcu.patch)",
     mcu_pass_patch_stages},
    {"plan-memory", "Give every activation tensor an arena offset (mcu.offset) and the module mcu.arena_size",
     mcu_pass_plan_memory},
    {NULL, NULL, NULL},
};

const mcu_pass_info_t *mcu_pass_lookup(const char *argument) {
  for (const mcu_pass_info_t *p = mcu_passes; p->argument; ++p)
    if (!strcmp(p->argument, argument)) return p;
  return NULL;
}

static void noop(void *user_data) { (void)user_data; }
static void *clone_pass(void *user_data) { return user_data; }

MlirPass mcu_pass_create(const mcu_pass_info_t *info) {
  /* Each pass's TypeID is keyed on its table entry, which is static and suitably aligned. */
  MlirTypeID id = mlirTypeIDCreate(info);
  MlirExternalPassCallbacks cb = {noop, noop, NULL, clone_pass, info->run};
  return mlirCreateExternalPass(id, mlirStringRefCreateFromCString(info->argument),
                                mlirStringRefCreateFromCString(info->argument),
                                mlirStringRefCreateFromCString(info->description),
                                mlirStringRefCreateFromCString("builtin.module"), 0, NULL, cb, NULL);
}
