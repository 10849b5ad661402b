/* lower.h: the planned graph IR (@main of an mcu module) -> the IR-free program of compiler/program.h. */
#ifndef MCUNET_COMPILER_LOWER_H
#define MCUNET_COMPILER_LOWER_H

#include <mlir-c/IR.h>

#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lowers `module` (after plan-memory) into a program named `name`. Every op must be one the program can express;
 * every activation must carry its mcu.offset. *out_program is owned by the caller (mcu_program_destroy). */
mcu_status_t mcu_lower_module(MlirModule module, const char *name, mcu_program_t **out_program);

#ifdef __cplusplus
}
#endif
#endif
