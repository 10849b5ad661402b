/* mcunet_mlir.h: the compiler API for callers that build the graph IR themselves through the MLIR C API. */
#ifndef MCUNET_COMPILER_MCUNET_MLIR_H
#define MCUNET_COMPILER_MCUNET_MLIR_H

#include <mlir-c/IR.h>

#include "mcunet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The MLIR context of `ctx` (dialects and the mcu IRDL dialect loaded), valid until ctx is destroyed: where a caller
 * builds a module for mcu_compile_module_in. */
MlirContext mcu_compiler_ctx_mlir(mcu_compiler_ctx_t *ctx);

/* The front half (mcu_compile_program_in) on `module`, an mcu-dialect module built in mcu_compiler_ctx_mlir(ctx),
 * instead of importing o->model_path (which then only names the model in messages): verified once, the pipeline
 * (o's passes and verifier setting), lowering. Takes ownership of `module` (destroyed before returning). */
mcu_status_t mcu_compile_module_in(mcu_compiler_ctx_t *ctx, MlirModule module, const mcu_compile_options_t *o,
                                   mcu_program_t **out_program);

#ifdef __cplusplus
}
#endif
#endif
