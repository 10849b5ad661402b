/* mlir_build.h: a nas_net_t as the compiler's graph IR, built through the MLIR C API (mlir_emit.h's module). */
#ifndef MCUNET_NAS_MLIR_BUILD_H
#define MCUNET_NAS_MLIR_BUILD_H

#include <mlir-c/IR.h>

#include "netdesc.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Builds in `ctx` (a compiler context's, with the mcu dialect loaded) the module nas_mlir_write writes as text: the
 * same ops, attributes, types and names (locations unknown). Checks the network first (nas_net_check).
 * *out_module is owned by the caller (or handed to mcu_compile_module_in). Not verified here. */
mcu_status_t nas_mlir_build(const nas_net_t *n, MlirContext ctx, MlirModule *out_module);

#ifdef __cplusplus
}
#endif
#endif
