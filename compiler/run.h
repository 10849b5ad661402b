/* run.h: compile a model and run it once on the emulated Cortex-M7 or M4 (QEMU), on the host, or with the reference. */
#ifndef MCUNET_COMPILER_RUN_H
#define MCUNET_COMPILER_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "mcunet.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mcu_run_target {
  MCU_RUN_CORTEX_M7 = 0, /* compiled object + harness on qemu-system-arm -M mps2-an500 */
  MCU_RUN_HOST = 1,      /* compiled host object + harness, built with cc and run directly */
  MCU_RUN_REF = 2,       /* the reference kernels (runtime/ref) in-process, no code generation */
  MCU_RUN_CORTEX_M4 = 3, /* compiled object + harness on qemu-system-arm -M mps2-an386 */
} mcu_run_target_t;

/* Parses "cortex-m7" / "cortex-m4" / "host" / "ref". Returns 0 on success. */
int mcu_run_target_parse(const char *s, mcu_run_target_t *out_target);

typedef struct mcu_run_options {
  const char *model_path;
  mcu_run_target_t target;
  const char *name;                /* symbol prefix SYM; default "model" */
  const char *const *input_paths;  /* one per model input, in model order (tensor_file.h formats) */
  int num_input_paths;
  const mcu_binding_t *bindings;   /* graph inputs turned into constants (mcu_compile_options_t) */
  int num_bindings;
  int count;                       /* cortex-m7/m4 only: count the instructions of the SYM_run call */
  int per_layer;                   /* with count: also per layer (mcu_run_result_t.layers) */
  const char *keep_dir;            /* work directory to create and keep; NULL: a temporary one, removed */
  int verbose;                     /* print every command to stderr */
  unsigned timeout_seconds;        /* for the emulator or host program; 0 means 600 */
  /* The memory schedule to compile with (mcu_compile_options_t's fields of the same names): every option the
   * passes can pick can be forced, and the outputs must not change. */
  int no_inplace, no_stream, no_schedule, stream;
  mcu_patches_t patches;
  const char *board;               /* --board NAME (mcu_compile_options_t.board): fit check and schedule policy */
  const mcu_pool_spec_t *pools;
  int num_pools;
  const char *kernel;              /* --kernel=FAMILY[:MxN] (mcu_compile_options_t.kernel), or NULL */
} mcu_run_options_t;

/* Fills `o` with the defaults (cortex-m7, "model", no count, 600 s). */
void mcu_run_options_init(mcu_run_options_t *o);

/* One model output as the run produced it. */
typedef struct mcu_run_output {
  char *name; /* owned; the model's output name, or "" */
  mcu_dtype_t dtype;
  int rank;
  int32_t shape[MCU_MAX_RANK];
  size_t bytes;
  uint8_t *data; /* owned, `bytes` bytes, little-endian */
} mcu_run_output_t;

/* One layer of a --per-layer run: what the compiled program says of it and the instructions it executed. */
typedef struct mcu_run_layer {
  char *name;            /* owned; the source node's name, or "" */
  const char *op;        /* static; mcu_op_name */
  char shape[64];        /* what the kernel computes, no spaces: "1x1s1:16->96" (conv KHxKW, stride, in->out
                          * channels), "dw3x3s2:96" (depthwise), "3x3s1g4:16->32" (grouped), "400->10" (fully
                          * connected / matmul), "16->96,dw3x3s1,->24" (stream block), "-" otherwise */
  int64_t macs;          /* mcu_layer_macs */
  uint64_t instructions; /* executed in the layer's function SYM_l<N>_<op>, callees included */
} mcu_run_layer_t;

typedef struct mcu_run_result {
  int num_outputs;
  mcu_run_output_t *outputs; /* owned */
  int has_count;             /* instructions is valid */
  uint64_t instructions;     /* executed guest instructions of the SYM_run call, callees included */
  /* per_layer: num_layers entries in program order, and SYM_run's own instructions outside the layer functions;
   * the layers' instructions plus glue_instructions equal `instructions` (checked). */
  int num_layers;
  mcu_run_layer_t *layers; /* owned, or NULL */
  uint64_t glue_instructions;
} mcu_run_result_t;

/* Frees the result. NULL is allowed. */
void mcu_run_result_destroy(mcu_run_result_t *r);

/* The whole tool: compiles o->model_path in-process, once (mcu_compile_keep_program; mcu_compile_program for the
 * ref target), reads the inputs, runs SYM_run once and collects the outputs (and the instruction count).
 * *out_result is owned by the caller. */
mcu_status_t mcu_run(const mcu_run_options_t *o, mcu_run_result_t **out_result);

/* The back half, for callers that compiled already (e.g. the NAS driver): links `object_path` (whose header is
 * `header_path`, defining SYM_run and the SYM_* size macros for the program `p`) with the harness in `work_dir`
 * (an existing directory), runs it with `inputs[i]` (mcu_tensor_bytes of model input i) and stores output j into
 * `outputs[j]` (mcu_tensor_bytes of model output j). With `count` (cortex-m7/m4 only), *out_instructions receives
 * the instructions of the SYM_run call; with `layer_instructions` too (p->num_layers entries) each layer's share
 * and *glue_instructions the rest (both must then be non-NULL). `target` must be cortex-m7, cortex-m4 or host. */
typedef struct mcu_run_object_options {
  const mcu_program_t *p;
  mcu_run_target_t target;
  const char *object_path;
  const char *header_path;
  const char *work_dir;
  int count;
  int verbose;
  unsigned timeout_seconds;      /* 0 means 600 */
  uint64_t *layer_instructions;  /* NULL, or (with count) p->num_layers entries: per-layer counts */
  uint64_t *glue_instructions;   /* with layer_instructions: SYM_run's instructions outside the layers */
} mcu_run_object_options_t;
mcu_status_t mcu_run_object(const mcu_run_object_options_t *o, const uint8_t *const *inputs, uint8_t *const *outputs,
                            uint64_t *out_instructions);

/* Prints the per-layer table of a per_layer result: a header line, then one line per layer "layer K: OP N M R
 * SHAPE NAME" (instructions, MACs, MACs per instruction or "-", mcu_run_layer_t.shape, the layer's name), one
 * "glue: - G" line (SYM_run's own instructions) and one "total: - N M R" line (N equals the "instructions:"
 * figure). Nothing without layers. */
void mcu_run_print_layers(FILE *f, const mcu_run_result_t *r);

/* Prints `out` as "outputJ [d0, d1]: v v v ...\n" (integers, or floats with %.9g). */
void mcu_run_print_output(FILE *f, int index, const mcu_run_output_t *out);

#ifdef __cplusplus
}
#endif
#endif
