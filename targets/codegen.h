/* codegen.h: lowered program -> LLVM IR (LLVM C API) -> object, assembly or IR text for Cortex-M7 or the host. */
#ifndef MCUNET_TARGETS_CODEGEN_H
#define MCUNET_TARGETS_CODEGEN_H

#include <stdio.h>

#include "mcunet.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SYM_run_with_arena's return value when an arena argument is NULL or not aligned as the header states
 * (SYM_STATUS_BAD_ARENA in the header); 0 is success. */
#define MCU_RUN_BAD_ARENA (-1)

/* What code generation measured, for the report. */
typedef struct mcu_codegen_stats {
  uint64_t code_bytes;   /* bytes of executable sections in the object */
  uint64_t rodata_bytes; /* bytes of its constant sections (.rodata*: the weights blob and the kernels' tables) */
} mcu_codegen_stats_t;

/* Emits `p` for `target` as `kind` (OBJ, ASM or LLVM) into the file `path` (written directly: the caller passes
 * a temporary and renames it). Defines SYM_run_with_arena (the network on a caller's arena), SYM_run (the same on
 * the static arena, section .text.SYM_run), the other code in .text.SYM, the weights blob in section .rodata.SYM
 * and the arena in .bss.SYM_arena (or one .bss.SYM_NAME per pool); every defined symbol starts with SYM
 * (docs/integration.md). Deterministic: the
 * same program gives the same bytes. `out_stats` may be NULL. */
mcu_status_t mcu_codegen_emit(const mcu_program_t *p, mcu_target_t target, mcu_emit_t kind, const char *path,
                              mcu_codegen_stats_t *out_stats);

/* Writes the C header of the object's API (SYM_run prototype and the SYM_* macros) to `f`. */
mcu_status_t mcu_header_write(const mcu_program_t *p, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
