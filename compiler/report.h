/* report.h: the JSON compile report (--report): memory, weights, code, MACs and one entry per layer. */
#ifndef MCUNET_COMPILER_REPORT_H
#define MCUNET_COMPILER_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mcu_report_info {
  const char *model_path;
  const char *target;   /* "cortex-m7" or "host" */
  uint64_t code_bytes;  /* executable bytes of the object */
  uint64_t arena_lower_bound;
} mcu_report_info_t;

/* Writes the report of `p` as JSON to `f`. Returns 0, or -1 on a write error. */
int mcu_report_write(const mcu_program_t *p, const mcu_report_info_t *info, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
