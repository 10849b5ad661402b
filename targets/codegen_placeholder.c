/* placeholder until written */
#include "codegen.h"
mcu_status_t mcu_codegen_emit(const mcu_program_t *p, mcu_target_t target, mcu_emit_t kind, const char *path,
                              mcu_codegen_stats_t *out_stats) { return mcu_status_errorf("not yet"); }
mcu_status_t mcu_header_write(const mcu_program_t *p, FILE *f) { return mcu_status_errorf("not yet"); }
