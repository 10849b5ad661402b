/* mcunet.h: the compiler's library API, what mcunetc, mcunet-run and the NAS driver call. */
#ifndef MCUNET_COMPILER_MCUNET_H
#define MCUNET_COMPILER_MCUNET_H

#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mcu_target {
  MCU_TARGET_CORTEX_M7 = 0, /* thumbv7em-none-unknown-eabihf, cpu cortex-m7 */
  MCU_TARGET_HOST = 1,      /* the machine the compiler runs on (tests) */
  MCU_TARGET_CORTEX_M4 = 2, /* thumbv7em-none-unknown-eabihf, cpu cortex-m4: DSP, FPv4-SP-D16 (no double precision) */
} mcu_target_t;

typedef enum mcu_emit {
  MCU_EMIT_OBJ = 0,  /* ELF object + header */
  MCU_EMIT_ASM = 1,  /* assembly text + header */
  MCU_EMIT_LLVM = 2, /* LLVM IR text + header */
  MCU_EMIT_MLIR = 3, /* the graph IR after all passes (no header) */
} mcu_emit_t;

/* --bind NAME=FILE.pb: the graph input NAME becomes a constant holding the ONNX TensorProto in FILE. */
typedef struct mcu_binding {
  const char *input_name;
  const char *tensor_path;
} mcu_binding_t;

/* --shape NAME=1x3x96x96: pins the dimensions of graph input NAME (symbolic or unknown dimensions included). */
typedef struct mcu_shape_override {
  const char *input_name;
  int rank;
  int64_t dims[MCU_MAX_RANK];
} mcu_shape_override_t;

/* Parses "NAME=1x3x96x96" (dims >= 1, at most MCU_MAX_RANK); `spec` must outlive the result. Returns 0. */
int mcu_shape_override_parse(char *spec, mcu_shape_override_t *out_shape);

/* --pool NAME:SIZE[:ALIGN]: an arena pool (a C identifier, SIZE bytes at most, ALIGN a power of two in
 * [16, 4096], default 16), in order of preference (the first is the fastest). */
typedef struct mcu_pool_spec {
  const char *name;
  uint64_t size;
  uint32_t align;
} mcu_pool_spec_t;

/* Parses "NAME:SIZE[:ALIGN]" in place (`spec` must outlive the result). Returns 0, or -1 when malformed. */
int mcu_pool_spec_parse(char *spec, mcu_pool_spec_t *out_pool);

/* --patches=auto|min|off|RxC[@START[+LEN]]: patch-based execution of the first layers (passes/patch_stages.c),
 * which lowers the peak SRAM but recomputes halos and runs smaller kernel calls (instructions). auto (the
 * default): only when a --board is given and the model would not fit its SRAM otherwise, the pass then choosing
 * the stage and grid from its cost model; min: the pass's choice whenever it lowers the peak; off: never; RxC
 * forces a grid of R rows by C columns of patches (2 to 256 patches), optionally on the stage starting at layer
 * START, LEN layers long. */
typedef enum mcu_patches_mode {
  MCU_PATCHES_AUTO = 0,
  MCU_PATCHES_OFF = 1,
  MCU_PATCHES_FORCE = 2,
  MCU_PATCHES_MIN = 3,
} mcu_patches_mode_t;

typedef struct mcu_patches {
  mcu_patches_mode_t mode;
  int rows, cols; /* FORCE: the grid */
  int start;      /* FORCE: the stage's first layer, or -1 (any) */
  int length;     /* FORCE: its layers, or 0 (any) */
} mcu_patches_t;

/* Parses the value of --patches. Returns 0, or -1 when malformed. */
int mcu_patches_parse(const char *spec, mcu_patches_t *out_patches);

typedef struct mcu_compile_options {
  const char *model_path;  /* .onnx */
  const char *output_path; /* OUT.o (or .s/.ll/.mlir); OUT.h is written beside it */
  mcu_target_t target;
  const char *name; /* symbol prefix SYM, a C identifier; default "model" */
  mcu_emit_t emit;
  const char *report_path; /* JSON report, or NULL */
  const mcu_binding_t *bindings;
  int num_bindings;
  const mcu_shape_override_t *shapes;
  int num_shapes;
  const char *dump_after; /* print the IR to stderr after this pass ("all" for every pass), or NULL */
  /* --board NAME (compiler/boards.c): its core must be the target's, and the compiled model must fit its SRAM
   * (arena) and flash (weights + code), else an error and no output. NULL: no check. */
  const char *board;
  int verbose;                 /* print the per-layer memory table to stderr */
  const char *memory_svg_path; /* draw the arena over time (SVG), or NULL */
  int no_inplace;              /* --no-inplace: skip mark-inplace (no layer overwrites its input) */
  int no_stream;               /* --no-stream: skip stream-blocks (inverted-residual blocks stay three convs) */
  /* --stream: stream-blocks fuses every candidate even with a board. Default: without a board every candidate
   * (least memory); with one, only what the model needs to fit its SRAM (passes/stream_blocks.c), fastest first. */
  int stream;
  int no_schedule;             /* --no-schedule: skip schedule (the ops run in the file's order) */
  mcu_patches_t patches;       /* --patches (zero: auto) */
  /* --kernel=FAMILY[:MxN]: every int8 conv / fully connected layer the family applies to takes it (select-kernels,
   * kernel_select.h); NULL: the cost model decides. */
  const char *kernel;
  /* --pool (repeatable): the arena split into these pools, fastest first; 0: one pool, SYM_arena. */
  const mcu_pool_spec_t *pools;
  int num_pools;
  /* The model as mcu-dialect text held in memory (NUL-terminated), parsed instead of reading model_path, which
   * then only names the model in messages and must end in .mlir; NULL: read model_path. */
  const char *model_text;
  /* 1: verify the module once, after import, instead of also after every pass (the cost queries' setting: the
   * passes are the same, only the check between them is skipped). 0 (mcunetc): after every pass too. */
  int verify_once;
  /* mcu_compile_module_in only: 1 when the caller's module is known to verify, so the compile does not check it
   * again (the NAS driver's modules: nas_mlir_build makes them from a checked network description, and
   * nas-driver/mlir_build_test.c verifies the builder's output on the zoo and on random networks of the default
   * space). 0: verified first, as an imported model is. */
  int module_verified;
} mcu_compile_options_t;

/* Fills `o` with the defaults (cortex-m7, "model", obj). */
void mcu_compile_options_init(mcu_compile_options_t *o);

/* A compiler context, reusable across compilations: the MLIR context with every dialect loaded and the `mcu` IRDL
 * dialect parsed once, and the pass pipeline built once per set of skipped passes. Each compilation's module is
 * created and destroyed within the call, so results do not depend on what the context compiled before: what it keeps
 * is the uniqued types and attributes and the memo of each op's kernel answers, keyed by them (compiler/mcunet.c,
 * run_pipeline), so a later compile of a layer already seen skips lowering it alone. Opaque; one per thread (not
 * thread-safe); no global state. Types and attributes stay uniqued in the context until it is destroyed, so a caller
 * running many thousands of compilations recreates it now and then (memory, not results). */
typedef struct mcu_compiler_ctx mcu_compiler_ctx_t;

/* Creates a context; *out_owned_ctx is owned by the caller (mcu_compiler_ctx_destroy). */
mcu_status_t mcu_compiler_ctx_create(mcu_compiler_ctx_t **out_owned_ctx);
/* Destroys a context (NULL: nothing). */
void mcu_compiler_ctx_destroy(mcu_compiler_ctx_t *owned_ctx);
/* Empties the context's memo of kernel answers (the next compile answers every question afresh: benchmarks of the
 * cold case, tests). Results never depend on it. */
void mcu_compiler_ctx_forget(mcu_compiler_ctx_t *ctx);

/* Front half: imports the model, runs the pass pipeline and lowers it. *out_program is owned by the caller.
 * Creates a context for the call; mcu_compile_program_in reuses the caller's. */
mcu_status_t mcu_compile_program(const mcu_compile_options_t *o, mcu_program_t **out_program);
mcu_status_t mcu_compile_program_in(mcu_compiler_ctx_t *ctx, const mcu_compile_options_t *o,
                                    mcu_program_t **out_program);

/* The whole compiler: writes output_path and its header (and the report), each atomically; on error nothing is
 * left behind. Same as mcu_compile_keep_program(o, NULL). */
mcu_status_t mcu_compile(const mcu_compile_options_t *o);

/* mcu_compile, also handing back the lowered program it generated code from (so a caller that needs the tensor
 * shapes does not compile twice). out_program may be NULL. On success *out_program is owned by the caller
 * (mcu_program_destroy); it is NULL on error and with MCU_EMIT_MLIR, which does not lower. */
mcu_status_t mcu_compile_keep_program(const mcu_compile_options_t *o, mcu_program_t **out_program);
/* The same in the caller's context (mcu_compile_keep_program creates one for the call). */
mcu_status_t mcu_compile_keep_program_in(mcu_compiler_ctx_t *ctx, const mcu_compile_options_t *o,
                                         mcu_program_t **out_program);

/* Parses "cortex-m7" / "cortex-m4" / "host". Returns 0 on success. */
int mcu_target_parse(const char *s, mcu_target_t *out_target);

/* The name mcu_target_parse accepts for `t` ("cortex-m7", "cortex-m4", "host"). */
const char *mcu_target_name(mcu_target_t t);

#ifdef __cplusplus
}
#endif
#endif
