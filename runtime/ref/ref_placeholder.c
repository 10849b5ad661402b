/* placeholder until written */
#include "ref.h"
int mcu_ref_run(const mcu_program_t *p, const void *const *inputs, void *const *outputs) { return -1; }
