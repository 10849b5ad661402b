/* run.h: compile a model and run it once on the emulated Cortex-M7 (QEMU), on the host, or with the reference. */
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
} mcu_run_target_t;

/* Parses "cortex-m7" / "host" / "ref". Returns 0 on success. */
int mcu_run_target_parse(const char *s, mcu_run_target_t *out_target);

typedef struct mcu_run_options {
  const char *model_path;
  mcu_run_target_t target;
  const char *name;                /* symbol prefix SYM; default "model" */
  const char *const *input_paths;  /* one per model input, in model order (tensor_file.h formats) */
  int num_input_paths;
  const mcu_binding_t *bindings;   /* graph inputs turned into constants (mcu_compile_options_t) */
  int num_bindings;
  int count;                       /* cortex-m7 only: count the instructions of the SYM_run call */
  const char *keep_dir;            /* work directory to create and keep; NULL: a temporary one, removed */
  int verbose;                     /* print every command to stderr */
  unsigned timeout_seconds;        /* for the emulator or host program; 0 means 600 */
  const char *kernel;              /* --kernel=FAMILY[:MxN] (mcu_compile_options_t.kernel), or NULL */
  int no_stream;                   /* --no-stream (mcu_compile_options_t.no_stream) */
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

typedef struct mcu_run_result {
  int num_outputs;
  mcu_run_output_t *outputs; /* owned */
  int has_count;             /* instructions is valid */
  uint64_t instructions;     /* executed guest instructions of the SYM_run call, callees included */
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
 * `outputs[j]` (mcu_tensor_bytes of model output j). With `count` (cortex-m7 only), *out_instructions receives
 * the instructions of the SYM_run call. `target` must be cortex-m7 or host. */
typedef struct mcu_run_object_options {
  const mcu_program_t *p;
  mcu_run_target_t target;
  const char *object_path;
  const char *header_path;
  const char *work_dir;
  int count;
  int verbose;
  unsigned timeout_seconds; /* 0 means 600 */
} mcu_run_object_options_t;
mcu_status_t mcu_run_object(const mcu_run_object_options_t *o, const uint8_t *const *inputs, uint8_t *const *outputs,
                            uint64_t *out_instructions);

/* Prints `out` as "outputJ [d0, d1]: v v v ...\n" (integers, or floats with %.9g). */
void mcu_run_print_output(FILE *f, int index, const mcu_run_output_t *out);

#ifdef __cplusplus
}
#endif
#endif
