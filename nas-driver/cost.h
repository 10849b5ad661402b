/* cost.h: cost queries: what a network needs of a board, as the compiler's own front half plans it. */
#ifndef MCUNET_NAS_COST_H
#define MCUNET_NAS_COST_H

#include <stdint.h>

#include "mcunet.h"
#include "netdesc.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A memory schedule: the compiler options that change the plan (mcu_compile_options_t). */
typedef struct nas_schedule {
  int no_inplace, no_stream;
  mcu_patches_t patches; /* zero: auto */
} nas_schedule_t;

/* The schedules the search tries, in order: the default (auto patches, streaming, in-place), patches off, then
 * forced 2x2 and 4x4 patch grids (the paper's co-design loop: keep a candidate if any schedule fits). */
#define NAS_NUM_SCHEDULES 4
const nas_schedule_t *nas_schedule_at(int i);
const char *nas_schedule_name(int i);

typedef struct nas_cost {
  uint64_t peak_sram_bytes;        /* the arena (activations, scratch, patch buffers): SYM_ARENA_SIZE */
  uint64_t weights_bytes;          /* the weights blob: SYM_WEIGHTS_SIZE */
  uint64_t tables_bytes;           /* the kernels' constant tables (plan-memory's mcu.tables_bytes) */
  uint64_t code_bytes;             /* estimated code (nas_code_estimate) */
  uint64_t flash_bytes;            /* weights + tables + code */
  int64_t macs;                    /* the compiled layers' MACs (mcu_layer_macs) */
  int64_t params;                  /* analytic (nas_net_params) */
  int64_t instructions;            /* estimated (nas_instructions_estimate) */
  int fits_sram, fits_flash, fits; /* against the context's board (1 without a board) */
  int schedule;                    /* index of the schedule used (nas_schedule_at) */
  int patch_rows, patch_cols;      /* the patch grid the compiler chose (0: none) */
} nas_cost_t;

/* A cost-query context: the board, a scratch directory and the compiler context its queries reuse (mcunet.h's
 * mcu_compiler_ctx_t, recreated every few thousand queries). No global state: one context per thread or process. */
typedef struct nas_cost_ctx nas_cost_ctx_t;

/* board: a name from compiler/boards.c, or NULL (fits is then 1); scratch_dir: where the exported model is written
 * for the compiler (NULL: $TMPDIR or /tmp). */
mcu_status_t nas_cost_ctx_create(const char *board, const char *scratch_dir, nas_cost_ctx_t **out_ctx);
void nas_cost_ctx_destroy(nas_cost_ctx_t *ctx);
/* 1: queries compile the full ONNX export (weights and all) instead of the IR with splat weights (the default). */
void nas_cost_ctx_set_via_onnx(nas_cost_ctx_t *ctx, int via_onnx);
/* 1: queries print the IR with splat weights as text (mlir_emit.c) and parse it, instead of building the same module
 * through the MLIR C API (mlir_build.c, the default); the figures are the same (cost_test.c), only slower. */
void nas_cost_ctx_set_via_text(nas_cost_ctx_t *ctx, int via_text);
/* Recreate the compiler context after this many queries (<= 0: the default, 2,048), bounding the memory MLIR's
 * uniqued types and attributes take; figures do not depend on it (cost_test.c runs it at 1). */
void nas_cost_ctx_set_recycle(nas_cost_ctx_t *ctx, int queries);
/* Forgets the compiler's memo of kernel answers (mcu_compiler_ctx_forget): the next query answers every layer
 * afresh, as the first query of a context does (the cold benchmark); figures do not depend on it. */
void nas_cost_ctx_forget(nas_cost_ctx_t *ctx);
/* The board's SRAM and flash (0 without a board). */
uint64_t nas_cost_ctx_sram(const nas_cost_ctx_t *ctx);
uint64_t nas_cost_ctx_flash(const nas_cost_ctx_t *ctx);

/* The cost of `n` under schedule `schedule` (0 .. NAS_NUM_SCHEDULES-1): the network is built as the mcu-dialect IR
 * the ONNX front end would import from its export, with splat weights (mlir_build.h; or as text, or the export
 * itself, see nas_cost_ctx_set_via_text / _via_onnx) and compiled by mcu_compile_module_in (every pass of the
 * pipeline, lowering: no code generation) in the context's compiler context, the same passes mcunetc runs. */
mcu_status_t nas_cost_query(nas_cost_ctx_t *ctx, const nas_net_t *n, int schedule, nas_cost_t *out_cost);
/* The program the query reads its figures from (the same compile, no figures): *out_program owned by the caller
 * (mcu_program_destroy). For checks of the figures against the program (cost_test.c). */
mcu_status_t nas_cost_program(nas_cost_ctx_t *ctx, const nas_net_t *n, int schedule, mcu_program_t **out_program);
/* Tries every schedule and returns the cost of the best: the first that fits with the least SRAM, else the one
 * with the least SRAM. A schedule the compiler refuses is skipped (an error only when all are refused). */
mcu_status_t nas_cost_best(nas_cost_ctx_t *ctx, const nas_net_t *n, nas_cost_t *out_cost);

/* The instruction model: a conv that select-kernels put on a fast kernel (pointwise, im2col, first, depthwise: the
 * layer's kernel_family) counts the kernel cost model's estimate (mcu_ksel_cost, runtime/kernels/kernel_select.c);
 * otherwise instructions per MAC by layer kind: 1x1 conv 4, depthwise 8, other conv 5 (the scalar loops), fully
 * connected / matmul 3, fused inverted-residual block 5; add/sub/mul 6 per output element, pooling/mean 2 per input
 * element, anything else 2 per MAC and per output element. The per-MAC figures were calibrated against
 * `mcunet-run --count` of the five zoo exports when their convs ran the scalar loops (docs/nas.md); with the fast
 * kernels the estimate is 11-26% above the measured counts (docs/benchmarks.md). */
int64_t nas_instructions_estimate(const mcu_program_t *p);
/* The code model: 2 KB (run loop, helpers) plus 1,200 bytes per lowered layer (each call is a specialised copy of
 * its kernel). An upper bound on the five zoo exports (their code is 720-1,100 bytes per layer, docs/nas.md), so a
 * network the query says fits does not fail mcunetc --board on code; the kernel issue can replace it. */
uint64_t nas_code_estimate(const mcu_program_t *p);
/* The bytes of the kernels' constant tables (multipliers, packed or widened filters such as the 4x1 tile's int16
 * stream, whose filter then leaves the weights blob): every library call of the program prepared again with
 * sizes_only. The query reads the same figure from the plan (mcu_program_t.tables_size, summed by plan-memory from
 * the answers it asks anyway); this is the check of it (cost_test.c). */
uint64_t nas_tables_bytes(mcu_program_t *p);

/* Writes the cost as one JSON object (no newline). */
void nas_cost_write_json(const nas_cost_t *c, const char *board, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
