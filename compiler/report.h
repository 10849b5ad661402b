/* report.h: the compile report (--report JSON, --verbose table): memory, weights, code, MACs, per-layer entries. */
#ifndef MCUNET_COMPILER_REPORT_H
#define MCUNET_COMPILER_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "arena_planner.h"
#include "program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mcu_report_info {
  const char *model_path;
  const char *target;   /* "cortex-m7", "cortex-m4" or "host" */
  uint64_t code_bytes;  /* executable bytes of the object */
  uint64_t tables_bytes; /* constant bytes of the object besides the weights blob (the kernels' aux tables) */
  uint64_t arena_lower_bound;
  const char *arena_strategy; /* the winning placement strategy's name, or NULL when unknown */
  /* Each strategy's peak in mcu_arena_strategy_t order, -1 when it did not run (or unknown). */
  int64_t arena_strategy_peaks[MCU_ARENA_NUM_STRATEGIES];
  const char *board; /* --board NAME, or NULL */
  char stream_choice[256]; /* stream-blocks' decision (passes/stream_blocks.c), "" when unknown */
} mcu_report_info_t;

/* The memory picture of a program: for each layer, the bytes of arena tensors live while it runs (from the
 * tensors' live_first/live_last; aliases count once), and the layer where that total is the largest (the first
 * of equal ones; -1 without arena tensors). out_live has p->num_layers entries (may be NULL). */
int mcu_report_peak_layer(const mcu_program_t *p, uint64_t *out_live, uint64_t *out_peak_live);

/* Writes the report of `p` as JSON to `f`. Returns 0, or -1 on a write error (or out of memory). */
int mcu_report_write(const mcu_program_t *p, const mcu_report_info_t *info, FILE *f);

/* A readable per-layer table (index, name, op, output shape, bytes, offset, live bytes) and the memory summary,
 * for --verbose. Returns 0, or -1 on a write error (or out of memory). */
int mcu_report_print_table(const mcu_program_t *p, const mcu_report_info_t *info, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
