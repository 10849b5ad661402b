/* mcunet.c: the compiler driver: import, the pass pipeline, lowering, code generation, atomic outputs. */
#include "mcunet.h"

#include <ctype.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boards.h"
#include "codegen.h"
#include "context.h"
#include "lower.h"
#include "mcunet_mlir.h"
#include "op_memo.h"
#include "memory_svg.h"
#include "onnx_import.h"
#include "kernel_select.h"
#include "passes.h"
#include "report.h"
#include "tflite_import.h"

void mcu_compile_options_init(mcu_compile_options_t *o) {
  memset(o, 0, sizeof *o);
  o->target = MCU_TARGET_CORTEX_M7;
  o->name = "model";
  o->emit = MCU_EMIT_OBJ;
}

int mcu_target_parse(const char *s, mcu_target_t *out_target) {
  if (!strcmp(s, "cortex-m7")) {
    *out_target = MCU_TARGET_CORTEX_M7;
    return 0;
  }
  if (!strcmp(s, "cortex-m4")) {
    *out_target = MCU_TARGET_CORTEX_M4;
    return 0;
  }
  if (!strcmp(s, "host")) {
    *out_target = MCU_TARGET_HOST;
    return 0;
  }
  return -1;
}

int mcu_shape_override_parse(char *spec, mcu_shape_override_t *out_shape) {
  char *eq = strchr(spec, '=');
  if (!eq || eq == spec || !eq[1]) return -1;
  *eq = 0;
  out_shape->input_name = spec;
  out_shape->rank = 0;
  for (char *p = eq + 1;;) {
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 1 || d > INT32_MAX || out_shape->rank == MCU_MAX_RANK) return -1;
    out_shape->dims[out_shape->rank++] = d;
    if (*end == 0) return 0;
    if (*end != 'x') return -1;
    p = end + 1;
  }
}

int mcu_pool_spec_parse(char *spec, mcu_pool_spec_t *out_pool) {
  char *colon = strchr(spec, ':');
  if (!colon || colon == spec) return -1;
  *colon = 0;
  out_pool->name = spec;
  out_pool->align = 16;
  char *end;
  if (colon[1] < '0' || colon[1] > '9') return -1;
  unsigned long long size = strtoull(colon + 1, &end, 10);
  if (end == colon + 1 || size > UINT32_MAX) return -1;
  out_pool->size = size;
  if (*end == 0) return 0;
  if (*end != ':' || end[1] < '0' || end[1] > '9') return -1;
  char *a = end + 1;
  unsigned long long align = strtoull(a, &end, 10);
  if (*end || align < 16 || align > 4096 || (align & (align - 1))) return -1;
  out_pool->align = (uint32_t)align;
  return 0;
}

const char *mcu_target_name(mcu_target_t t) {
  return t == MCU_TARGET_HOST ? "host" : t == MCU_TARGET_CORTEX_M4 ? "cortex-m4" : "cortex-m7";
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

static int is_identifier(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9')) return 0;
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

static int same_ignoring_case(const char *a, const char *b) {
  for (; *a && *b; ++a, ++b)
    if (toupper((unsigned char)*a) != toupper((unsigned char)*b)) return 0;
  return *a == *b;
}

/* --pool: checks the pools and hands them to plan-memory and the lowering as module attributes (mcu.pool_names,
 * mcu.pool_capacities, mcu.pool_aligns). Names become symbols SYM_NAME and macros SYM_POOL_NAME_SIZE, so they
 * must be C identifiers, distinct even ignoring case, and not clash with SYM_weights, SYM_run or SYM_l<N>_<op>. */
static mcu_status_t set_pools(MlirContext ctx, MlirModule module, const mcu_compile_options_t *o) {
  if (o->num_pools == 0) return NULL;
  if (o->num_pools < 0 || o->num_pools > MCU_MAX_POOLS)
    return mcu_status_errorf("%d pools: at most %d", o->num_pools, MCU_MAX_POOLS);
  MlirAttribute names[MCU_MAX_POOLS];
  int64_t caps[MCU_MAX_POOLS], aligns[MCU_MAX_POOLS];
  for (int k = 0; k < o->num_pools; ++k) {
    const mcu_pool_spec_t *q = &o->pools[k];
    if (!is_identifier(q->name) || strlen(q->name) >= MCU_POOL_NAME_MAX)
      return mcu_status_errorf("--pool %s: the name must be a C identifier of at most %d characters", q->name,
                               MCU_POOL_NAME_MAX - 1);
    if (!strcmp(q->name, "weights") || !strcmp(q->name, "run") ||
        (q->name[0] == 'l' && q->name[1] >= '0' && q->name[1] <= '9'))
      return mcu_status_errorf("--pool %s: the name clashes with a generated symbol", q->name);
    for (int j = 0; j < k; ++j)
      if (same_ignoring_case(o->pools[j].name, q->name))
        return mcu_status_errorf("--pool %s: named twice (ignoring case)", q->name);
    if (q->size > UINT32_MAX || q->align < 16 || q->align > 4096 || (q->align & (q->align - 1)))
      return mcu_status_errorf("--pool %s: size %llu or alignment %u out of range", q->name,
                               (unsigned long long)q->size, q->align);
    names[k] = mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(q->name));
    caps[k] = (int64_t)q->size, aligns[k] = q->align;
  }
  MlirOperation mop = mlirModuleGetOperation(module);
  mlirOperationSetDiscardableAttributeByName(mop, mlirStringRefCreateFromCString("mcu.pool_names"),
                                             mlirArrayAttrGet(ctx, o->num_pools, names));
  mlirOperationSetDiscardableAttributeByName(mop, mlirStringRefCreateFromCString("mcu.pool_capacities"),
                                             mlirDenseI64ArrayGet(ctx, o->num_pools, caps));
  mlirOperationSetDiscardableAttributeByName(mop, mlirStringRefCreateFromCString("mcu.pool_aligns"),
                                             mlirDenseI64ArrayGet(ctx, o->num_pools, aligns));
  return NULL;
}

/* What patch-stages reads: --patches=RxC[@START[+LEN]] as mcu.patch_request; with --patches=auto and a board, the
 * board's SRAM as mcu.patch_budget (patches only when the unpatched peak is above it). What stream-blocks reads:
 * the same SRAM as mcu.stream_budget (see below). */
static mcu_status_t set_patch_request(MlirContext ctx, MlirModule module, const mcu_compile_options_t *o) {
  const mcu_board_t *b = o->board ? mcu_board_find(o->board) : NULL;
  if (o->patches.mode == MCU_PATCHES_AUTO && b && b->sram_bytes <= INT64_MAX)
    mlirOperationSetDiscardableAttributeByName(mlirModuleGetOperation(module),
                                               mlirStringRefCreateFromCString("mcu.patch_budget"),
                                               mcu_attr_i64(ctx, (int64_t)b->sram_bytes));
  /* stream-blocks' budget: with a board and neither --stream nor --no-stream, stream only what must be. */
  if (b && !o->stream && !o->no_stream && b->sram_bytes <= INT64_MAX)
    mlirOperationSetDiscardableAttributeByName(mlirModuleGetOperation(module),
                                               mlirStringRefCreateFromCString("mcu.stream_budget"),
                                               mcu_attr_i64(ctx, (int64_t)b->sram_bytes));
  /* select-kernels: the least memory asked for, no scratch-hungry kernel form */
  if (o->patches.mode == MCU_PATCHES_MIN)
    mlirOperationSetDiscardableAttributeByName(mlirModuleGetOperation(module),
                                               mlirStringRefCreateFromCString("mcu.lean_scratch"),
                                               mlirUnitAttrGet(ctx));
  if (o->patches.mode != MCU_PATCHES_FORCE) return NULL;
  int64_t v[4] = {o->patches.rows, o->patches.cols, o->patches.start, o->patches.length};
  mlirOperationSetDiscardableAttributeByName(mlirModuleGetOperation(module),
                                             mlirStringRefCreateFromCString("mcu.patch_request"),
                                             mlirDenseI64ArrayGet(ctx, 4, v));
  return NULL;
}

int mcu_patches_parse(const char *spec, mcu_patches_t *out_patches) {
  memset(out_patches, 0, sizeof *out_patches);
  out_patches->start = -1;
  if (!strcmp(spec, "auto")) return 0;
  if (!strcmp(spec, "off")) {
    out_patches->mode = MCU_PATCHES_OFF;
    return 0;
  }
  if (!strcmp(spec, "min")) {
    out_patches->mode = MCU_PATCHES_MIN;
    return 0;
  }
  char *end;
  long r = strtol(spec, &end, 10), c, st = -1, len = 0;
  if (end == spec || (*end != 'x' && *end != 'X')) return -1;
  const char *q = end + 1;
  c = strtol(q, &end, 10);
  if (end == q) return -1;
  if (*end == '@') {
    q = end + 1;
    st = strtol(q, &end, 10);
    if (end == q || st < 0 || st > 1000000) return -1;
    if (*end == '+') {
      q = end + 1;
      len = strtol(q, &end, 10);
      if (end == q || len < 2 || len > 12) return -1;
    }
  }
  if (*end || r < 1 || c < 1 || r > 16 || c > 16 || r * c < 2) return -1;
  *out_patches = (mcu_patches_t){MCU_PATCHES_FORCE, (int)r, (int)c, (int)st, (int)len};
  return 0;
}

/* Imports the model file into a module: .onnx and .tflite through their front ends, .mlir parsed as it is. */
static mcu_status_t import_model(MlirContext ctx, const mcu_compile_options_t *o, MlirModule *out_module) {
  if (ends_with(o->model_path, ".mlir")) {
    if (o->num_bindings) return mcu_status_errorf("%s: --bind applies to ONNX models only", o->model_path);
    if (o->model_text) return mcu_module_parse_string(ctx, o->model_text, o->model_path, out_module);
    return mcu_module_parse_file(ctx, o->model_path, out_module);
  }
  if (o->model_text) return mcu_status_errorf("%s: model text must be mcu-dialect IR (.mlir)", o->model_path);
  if (ends_with(o->model_path, ".onnx"))
    return mcu_onnx_import_shaped(ctx, o->model_path, o->bindings, o->num_bindings, o->shapes, o->num_shapes,
                                  out_module);
  if (ends_with(o->model_path, ".tflite")) {
    if (o->num_bindings) return mcu_status_errorf("%s: --bind applies to ONNX models only", o->model_path);
    return mcu_tflite_import(ctx, o->model_path, out_module);
  }
  return mcu_status_errorf("%s: unknown model format (expected .onnx, .tflite or .mlir)", o->model_path);
}

/* --kernel: the module attribute select-kernels reads (mcu.force_kernel). */
static mcu_status_t set_force_kernel(MlirContext ctx, MlirModule module, const mcu_compile_options_t *o) {
  if (!o->kernel) return NULL;
  mcu_kfamily_t f;
  int32_t tm, tn;
  if (mcu_ksel_parse_force(o->kernel, &f, &tm, &tn) || f == MCU_KF_AUTO)
    return mcu_status_errorf("--kernel=%s: expected FAMILY or FAMILY:MxN (families scalar, pointwise, im2col, "
                             "first, fc, depthwise; tiles 1x4, 2x2, 1x1)", o->kernel);
  mlirOperationSetDiscardableAttributeByName(mlirModuleGetOperation(module),
                                             mlirStringRefCreateFromCString("mcu.force_kernel"),
                                             mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(o->kernel)));
  return NULL;
}

/* The pass pipeline, in order. Each runs alone so that --dump-after can show the IR between passes. */
static const char *const pipeline[] = {
    "fold-constants",      /* weights' layout changes, reshapes, quantizations */
    "fold-qdq",            /* before anything moves the QDQ groups' dequantize/quantize apart */
    "fold-batch-norm",     /* f32 models: Conv + BatchNormalization */
    "fold-requantize",     /* conversions left between integer ops that keep the quantization */
    "simplify-transposes", /* the transposes fold-qdq moved to the integer side cancel here */
    "fuse-pad",
    "fuse-activation",
    "fold-constants",      /* constants the passes above made (fold-qdq's transposed filters) */
    "stream-blocks",       /* skipped with --no-stream; before schedule, which then orders the fused blocks */
    "select-kernels",      /* before schedule and plan-memory, which size each layer's scratch from the choice */
    "schedule",            /* skipped with --no-schedule; before the marks, which do not depend on the order */
    "mark-aliases",
    "mark-inplace",        /* skipped with --no-inplace */
    "patch-stages",        /* after the marks, whose in-place savings its estimate counts; --patches=off skips */
    "plan-memory",
};

/* The compiler context (mcunet.h): the MLIR context and, per set of skipped passes and verifier setting, one pass
 * manager holding the whole pipeline, built on first use. */
enum { PIPE_NO_INPLACE = 1, PIPE_NO_STREAM = 2, PIPE_NO_SCHEDULE = 4, PIPE_NO_PATCHES = 8, PIPE_VERIFY_ONCE = 16,
       PIPE_KEYS = 32 };
#define PIPE_LEN (sizeof pipeline / sizeof pipeline[0])
typedef struct pipe_step {
  const mcu_pass_info_t *info;
  const char **running; /* the context's `running`: set before the pass runs */
} pipe_step_t;
struct mcu_compiler_ctx {
  MlirContext mlir;
  MlirPassManager pipelines[PIPE_KEYS]; /* null until first used */
  pipe_step_t steps[PIPE_LEN];          /* one per pipeline position */
  const char *running;                  /* the pass last started: named when the pipeline fails */
  mcu_op_memo_t *memo;                  /* mcu_lower_op_kernel's answers, kept across compiles (run_pipeline) */
};

static void step_noop(void *user_data) { (void)user_data; }
static void *step_clone(void *user_data) { return user_data; }
static void step_run(MlirOperation module, MlirExternalPass pass, void *user_data) {
  pipe_step_t *st = user_data;
  *st->running = st->info->argument;
  st->info->run(module, pass, NULL);
}

/* Pipeline position i as a pass that records its name in the context before running (registry.c's mcu_pass_create
 * with a user_data; same TypeID, so the pass is the same to MLIR). */
static MlirPass step_pass(mcu_compiler_ctx_t *c, size_t i) {
  pipe_step_t *st = &c->steps[i];
  MlirExternalPassCallbacks cb = {step_noop, step_noop, NULL, step_clone, step_run};
  return mlirCreateExternalPass(mlirTypeIDCreate(st->info), mlirStringRefCreateFromCString(st->info->argument),
                                mlirStringRefCreateFromCString(st->info->argument),
                                mlirStringRefCreateFromCString(st->info->description),
                                mlirStringRefCreateFromCString("builtin.module"), 0, NULL, cb, st);
}

mcu_status_t mcu_compiler_ctx_create(mcu_compiler_ctx_t **out_owned_ctx) {
  mcu_compiler_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return mcu_status_errorf("out of memory");
  mcu_status_t s = mcu_context_create(&c->mlir);
  if (s) {
    free(c);
    return s;
  }
  /* every pass runs on the whole module: a thread pool would only add the verifier's hand-offs */
  mlirContextEnableMultithreading(c->mlir, false);
  if (!(c->memo = mcu_op_memo_create(sizeof(mcu_op_kernel_t)))) {
    mlirContextDestroy(c->mlir);
    free(c);
    return mcu_status_errorf("out of memory");
  }
  for (size_t i = 0; i < PIPE_LEN; ++i) c->steps[i] = (pipe_step_t){mcu_pass_lookup(pipeline[i]), &c->running};
  *out_owned_ctx = c;
  return NULL;
}

void mcu_compiler_ctx_destroy(mcu_compiler_ctx_t *owned_ctx) {
  if (!owned_ctx) return;
  for (int k = 0; k < PIPE_KEYS; ++k)
    if (owned_ctx->pipelines[k].ptr) mlirPassManagerDestroy(owned_ctx->pipelines[k]);
  mlirContextDestroy(owned_ctx->mlir);
  mcu_op_memo_destroy(owned_ctx->memo);
  free(owned_ctx);
}

/* Which pipeline passes `o` skips, and whether the verifier runs between passes. */
static int pipeline_key(const mcu_compile_options_t *o) {
  return (o->no_inplace ? PIPE_NO_INPLACE : 0) | (o->no_stream ? PIPE_NO_STREAM : 0) |
         (o->no_schedule ? PIPE_NO_SCHEDULE : 0) |
         (o->patches.mode == MCU_PATCHES_OFF || (o->patches.mode == MCU_PATCHES_AUTO && !o->board) ? PIPE_NO_PATCHES
                                                                                                  : 0) |
         (o->verify_once ? PIPE_VERIFY_ONCE : 0);
}

static int skipped(int key, const char *pass) {
  return ((key & PIPE_NO_INPLACE) && !strcmp(pass, "mark-inplace")) ||
         ((key & PIPE_NO_STREAM) && !strcmp(pass, "stream-blocks")) ||
         ((key & PIPE_NO_SCHEDULE) && !strcmp(pass, "schedule")) ||
         ((key & PIPE_NO_PATCHES) && !strcmp(pass, "patch-stages"));
}

/* --dump-after: each pass in a pass manager of its own, the IR printed between them. */
static mcu_status_t run_pipeline_dumping(MlirContext ctx, MlirModule module, int key, const char *dump_after) {
  for (size_t i = 0; i < PIPE_LEN; ++i) {
    if (skipped(key, pipeline[i])) continue;
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    mlirPassManagerEnableVerifier(pm, !(key & PIPE_VERIFY_ONCE));
    mlirPassManagerAddOwnedPass(pm, mcu_pass_create(mcu_pass_lookup(pipeline[i])));
    MlirLogicalResult r = mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module));
    mlirPassManagerDestroy(pm);
    if (mlirLogicalResultIsFailure(r)) return mcu_status_errorf("pass %s failed", pipeline[i]);
    if (!strcmp(dump_after, "all") || !strcmp(dump_after, pipeline[i])) {
      fprintf(stderr, "// -----// IR after %s //----- //\n", pipeline[i]);
      mlirOperationPrint(mlirModuleGetOperation(module), mcu_print_to_file, stderr);
      fputc('\n', stderr);
    }
  }
  return NULL;
}

/* Without --dump-after: the whole pipeline in one pass manager, built once per key and kept in the context. */
static mcu_status_t run_pipeline_passes(mcu_compiler_ctx_t *c, MlirModule module, const mcu_compile_options_t *o) {
  int key = pipeline_key(o);
  if (o->dump_after) return run_pipeline_dumping(c->mlir, module, key, o->dump_after);
  if (!c->pipelines[key].ptr) {
    MlirPassManager pm = mlirPassManagerCreate(c->mlir);
    mlirPassManagerEnableVerifier(pm, !(key & PIPE_VERIFY_ONCE));
    for (size_t i = 0; i < PIPE_LEN; ++i)
      if (!skipped(key, pipeline[i])) mlirPassManagerAddOwnedPass(pm, step_pass(c, i));
    c->pipelines[key] = pm;
  }
  c->running = NULL;
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(c->pipelines[key], mlirModuleGetOperation(module))))
    return c->running ? mcu_status_errorf("pass %s failed", c->running)
                      : mcu_status_errorf("the pass pipeline failed before its first pass");
  return NULL;
}

/* Algorithm: the pipeline with the context's memo of single-op kernel answers installed (compiler/op_memo.h: the
 * passes ask mcu_lower_op_kernel about each conv several times). The memo is kept from one compile to the next in
 * this context. Why: its keys are the IR's uniqued attributes and types, which live as long as the context and are
 * equal exactly when their contents are, and an answer depends on nothing but its key (lower.c's op_key), so an
 * answer from an earlier compile is this compile's answer; a search's candidates share most of their layers, and a
 * cost query that finds them answered skips their lowerings and kernel prepares. Weakness: memory; the memo is
 * emptied before a pipeline once it holds more than MEMO_KEEP_ENTRIES entries or MEMO_KEEP_BYTES of constant data
 * (mcu_compiler_ctx_forget empties it on request), and a context lives no longer than its owner keeps it (the NAS
 * driver recreates its context every 2,048 queries). The environment variable MCUNET_OP_MEMO=off runs without the
 * memo (to measure it), =stats prints this compile's hits and misses on stderr. */
enum { MEMO_KEEP_ENTRIES = 1 << 16 };
#define MEMO_KEEP_BYTES ((size_t)64 << 20)

void mcu_compiler_ctx_forget(mcu_compiler_ctx_t *ctx) { mcu_op_memo_clear(ctx->memo); }

static mcu_status_t run_pipeline(mcu_compiler_ctx_t *c, MlirModule module, const mcu_compile_options_t *o) {
  const char *env = getenv("MCUNET_OP_MEMO");
  size_t entries, bytes;
  mcu_op_memo_size(c->memo, &entries, &bytes);
  if (entries > MEMO_KEEP_ENTRIES || bytes > MEMO_KEEP_BYTES) mcu_op_memo_clear(c->memo);
  uint64_t hits0, misses0, khits0, kmisses0;
  mcu_op_memo_stats(c->memo, &hits0, &misses0);
  mcu_op_memo_object_stats(c->memo, &khits0, &kmisses0);
  mcu_op_memo_t *prev = mcu_op_memo_install(env && !strcmp(env, "off") ? NULL : c->memo);
  mcu_status_t s = run_pipeline_passes(c, module, o);
  mcu_op_memo_install(prev);
  if (env && !strcmp(env, "stats")) {
    uint64_t hits, misses, khits, kmisses;
    mcu_op_memo_stats(c->memo, &hits, &misses);
    mcu_op_memo_object_stats(c->memo, &khits, &kmisses);
    fprintf(stderr, "op memo: %llu hits, %llu misses; kept lowerings: %llu hits, %llu misses\n",
            (unsigned long long)(hits - hits0), (unsigned long long)(misses - misses0),
            (unsigned long long)(khits - khits0), (unsigned long long)(kmisses - kmisses0));
  }
  return s;
}

/* Runs the pipeline on an imported module and keeps it (for --emit=mlir) or lowers it; the module is destroyed
 * unless kept. */
static mcu_status_t front_half_module(const mcu_compile_options_t *o, mcu_compiler_ctx_t *c, MlirModule module,
                                      MlirModule *out_module, mcu_program_t **out_program) {
  MlirContext ctx = c->mlir;
  mcu_status_t s;
  if (!(s = set_pools(ctx, module, o)) && !(s = set_patch_request(ctx, module, o)) &&
      !(s = set_force_kernel(ctx, module, o)) && !(s = run_pipeline(c, module, o)) && out_program) {
    s = mcu_lower_module(module, o->name, out_program);
    if (s) s = mcu_status_annotatef(s, "%s: ", o->model_path);
  }
  if (s || !out_module)
    mlirModuleDestroy(module);
  else
    *out_module = module;
  return s;
}

/* Imports, runs the pipeline and keeps the module (for --emit=mlir) or lowers it. */
static mcu_status_t front_half(const mcu_compile_options_t *o, mcu_compiler_ctx_t *c, MlirModule *out_module,
                               mcu_program_t **out_program) {
  if (!is_identifier(o->name)) return mcu_status_errorf("--name=%s is not a C identifier", o->name);
  MlirModule module;
  mcu_status_t s = import_model(c->mlir, o, &module);
  if (s) return s;
  return front_half_module(o, c, module, out_module, out_program);
}

MlirContext mcu_compiler_ctx_mlir(mcu_compiler_ctx_t *ctx) { return ctx->mlir; }

mcu_status_t mcu_compile_module_in(mcu_compiler_ctx_t *ctx, MlirModule module, const mcu_compile_options_t *o,
                                   mcu_program_t **out_program) {
  if (!is_identifier(o->name)) {
    mlirModuleDestroy(module);
    return mcu_status_errorf("--name=%s is not a C identifier", o->name);
  }
  if (!o->module_verified && !mlirOperationVerify(mlirModuleGetOperation(module))) {
    mlirModuleDestroy(module);
    return mcu_status_errorf("%s: verification failed", o->model_path ? o->model_path : "module");
  }
  return front_half_module(o, ctx, module, NULL, out_program);
}

mcu_status_t mcu_compile_program_in(mcu_compiler_ctx_t *ctx, const mcu_compile_options_t *o,
                                    mcu_program_t **out_program) {
  return front_half(o, ctx, NULL, out_program);
}

mcu_status_t mcu_compile_program(const mcu_compile_options_t *o, mcu_program_t **out_program) {
  mcu_compiler_ctx_t *ctx;
  mcu_status_t s = mcu_compiler_ctx_create(&ctx);
  if (s) return s;
  s = front_half(o, ctx, NULL, out_program);
  mcu_compiler_ctx_destroy(ctx);
  return s;
}

/* Output files are written under a temporary name and renamed only when every one of them is complete. */
typedef struct {
  char final_path[4096];
  char temp_path[4160];
  int direct; /* the path is a device or a pipe (/dev/null, /dev/stdout): written in place, never renamed over */
} pending_file_t;

static mcu_status_t pending_open(pending_file_t *pf, const char *path, FILE **out_file) {
  if (strlen(path) >= sizeof pf->final_path) return mcu_status_errorf("%s: path too long", path);
  snprintf(pf->final_path, sizeof pf->final_path, "%s", path);
  struct stat st;
  pf->direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
  if (pf->direct)
    snprintf(pf->temp_path, sizeof pf->temp_path, "%s", path);
  else
    snprintf(pf->temp_path, sizeof pf->temp_path, "%s.tmp%ld", path, (long)getpid());
  if (out_file) {
    *out_file = fopen(pf->temp_path, "wb");
    if (!*out_file) return mcu_status_errorf("%s: cannot write", pf->temp_path);
  }
  return NULL;
}

static mcu_status_t write_mlir(MlirModule module, pending_file_t *pf, const char *path) {
  FILE *f;
  mcu_status_t s = pending_open(pf, path, &f);
  if (s) return s;
  mlirOperationPrint(mlirModuleGetOperation(module), mcu_print_to_file, f);
  fputc('\n', f);
  return fclose(f) ? mcu_status_errorf("%s: write failed", path) : NULL;
}

/* OUT.o -> OUT.h (the extension replaced; appended when there is none). */
static mcu_status_t header_path(const char *out, char *buf, size_t cap) {
  const char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');
  size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - out) : strlen(out);
  if (stem + 3 > cap) return mcu_status_errorf("%s: path too long", out);
  memcpy(buf, out, stem);
  memcpy(buf + stem, ".h", 3);
  if (!strcmp(buf, out)) return mcu_status_errorf("%s: the output would overwrite its own header", out);
  return NULL;
}

mcu_status_t mcu_compile(const mcu_compile_options_t *o) { return mcu_compile_keep_program(o, NULL); }

/* --board: known, and its core is the target. */
static mcu_status_t check_board(const mcu_compile_options_t *o, const mcu_board_t **out_board) {
  *out_board = NULL;
  if (!o->board) return NULL;
  const mcu_board_t *b = mcu_board_find(o->board);
  if (!b) {
    char names[256];
    mcu_board_names(names, sizeof names);
    return mcu_status_errorf("unknown board '%s' (%s)", o->board, names);
  }
  if (strcmp(b->core, mcu_target_name(o->target)))
    return mcu_status_errorf("board %s has a %s core, but the target is %s (use --target=%s)", b->name, b->core,
                             mcu_target_name(o->target), b->core);
  *out_board = b;
  return NULL;
}

/* The memory report's inputs that only the module holds (plan-memory's attributes). */
static mcu_report_info_t report_info(const mcu_compile_options_t *o, MlirModule module, uint64_t code_bytes,
                                     uint64_t tables_bytes) {
  MlirOperation mop = mlirModuleGetOperation(module);
  mcu_report_info_t info = {.model_path = o->model_path,
                            .target = mcu_target_name(o->target),
                            .code_bytes = code_bytes,
                            .tables_bytes = tables_bytes,
                            .arena_lower_bound = (uint64_t)mcu_op_get_i64(mop, "mcu.arena_lower_bound", 0),
                            .board = o->board};
  MlirAttribute sc = mlirOperationGetAttributeByName(mop, mlirStringRefCreateFromCString("mcu.stream_choice"));
  if (o->no_stream) {
    snprintf(info.stream_choice, sizeof info.stream_choice, "off (--no-stream)");
  } else if (!mlirAttributeIsNull(sc) && mlirAttributeIsAString(sc)) {
    MlirStringRef r = mlirStringAttrGetValue(sc);
    snprintf(info.stream_choice, sizeof info.stream_choice, "%.*s%s", (int)r.length, r.data,
             o->stream ? " (--stream)" : "");
  }
  MlirAttribute a = mlirOperationGetAttributeByName(mop, mlirStringRefCreateFromCString("mcu.arena_strategy"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAString(a)) {
    MlirStringRef r = mlirStringAttrGetValue(a);
    for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k) /* a static name, not the attribute's storage */
      if (strlen(mcu_arena_strategy_name((mcu_arena_strategy_t)k)) == r.length &&
          !strncmp(mcu_arena_strategy_name((mcu_arena_strategy_t)k), r.data, r.length))
        info.arena_strategy = mcu_arena_strategy_name((mcu_arena_strategy_t)k);
  }
  int64_t peaks[MCU_ARENA_NUM_STRATEGIES];
  int n = mcu_op_get_i64_array(mop, "mcu.arena_strategy_peaks", peaks, MCU_ARENA_NUM_STRATEGIES);
  for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k) info.arena_strategy_peaks[k] = n == MCU_ARENA_NUM_STRATEGIES ? peaks[k] : -1;
  return info;
}

mcu_status_t mcu_compile_keep_program(const mcu_compile_options_t *o, mcu_program_t **out_program) {
  if (out_program) *out_program = NULL;
  mcu_compiler_ctx_t *ctx;
  mcu_status_t s = mcu_compiler_ctx_create(&ctx);
  if (s) return s;
  s = mcu_compile_keep_program_in(ctx, o, out_program);
  mcu_compiler_ctx_destroy(ctx);
  return s;
}

mcu_status_t mcu_compile_keep_program_in(mcu_compiler_ctx_t *ctx, const mcu_compile_options_t *o,
                                         mcu_program_t **out_program) {
  if (out_program) *out_program = NULL;
  if (!o->output_path) return mcu_status_errorf("no output file (-o)");
  if (o->stream && o->no_stream) return mcu_status_errorf("--stream and --no-stream contradict each other");
  const mcu_board_t *board;
  mcu_status_t s = check_board(o, &board);
  if (s) return s;
  pending_file_t files[4];
  int num_files = 0;
  MlirModule module = {NULL};
  mcu_program_t *p = NULL;
  if (o->emit == MCU_EMIT_MLIR) {
    if (!(s = front_half(o, ctx, &module, NULL))) s = write_mlir(module, &files[num_files++], o->output_path);
    goto finish;
  }
  if ((s = front_half(o, ctx, &module, &p))) goto finish;
  mcu_codegen_stats_t stats = {0};
  if ((s = pending_open(&files[num_files++], o->output_path, NULL))) goto finish;
  if ((s = mcu_codegen_emit(p, o->target, o->emit, files[num_files - 1].temp_path, &stats))) goto finish;
  char hpath[4096];
  FILE *f;
  if ((s = header_path(o->output_path, hpath, sizeof hpath))) goto finish;
  if ((s = pending_open(&files[num_files++], hpath, &f))) goto finish;
  s = mcu_header_write(p, f);
  if (fclose(f) && !s) s = mcu_status_errorf("%s: write failed", hpath);
  if (s) goto finish;
  /* the constant sections hold the weights blob and the kernels' tables */
  const uint64_t tables = stats.rodata_bytes > p->weights_size ? stats.rodata_bytes - p->weights_size : 0;
  mcu_report_info_t info = report_info(o, module, stats.code_bytes, tables);
  if (o->verbose && info.stream_choice[0]) fprintf(stderr, "stream-blocks: %s\n", info.stream_choice);
  if (o->verbose && mcu_report_print_table(p, &info, stderr)) {
    s = mcu_status_errorf("cannot print the memory table");
    goto finish;
  }
  if (board) {
    uint64_t peak_live;
    int peak = mcu_report_peak_layer(p, NULL, &peak_live);
    mcu_board_need_t need = {p->arena_size, p->weights_size + tables, stats.code_bytes, peak,
                             peak >= 0 ? p->layers[peak].name : NULL};
    if ((s = mcu_board_check_fit(board, &need))) goto finish;
  }
  if (o->memory_svg_path) {
    if ((s = pending_open(&files[num_files++], o->memory_svg_path, &f))) goto finish;
    int bad = mcu_memory_svg_write(p, f);
    if ((fclose(f) || bad) && !s) s = mcu_status_errorf("%s: write failed", o->memory_svg_path);
    if (s) goto finish;
  }
  if (o->report_path) {
    if ((s = pending_open(&files[num_files++], o->report_path, &f))) goto finish;
    int bad = mcu_report_write(p, &info, f);
    if ((fclose(f) || bad) && !s) s = mcu_status_errorf("%s: write failed", o->report_path);
  }
finish:
  for (int i = 0; i < num_files && !s; ++i) {
    if (!files[i].direct && rename(files[i].temp_path, files[i].final_path)) {
      s = mcu_status_errorf("%s: cannot rename into place", files[i].final_path);
      for (int j = 0; j < i; ++j)
        if (!files[j].direct) remove(files[j].final_path); /* all or nothing */
    }
  }
  if (s)
    for (int i = 0; i < num_files; ++i)
      if (!files[i].direct) remove(files[i].temp_path);
  if (!s && out_program) {
    *out_program = p; /* the caller's now */
    p = NULL;
  }
  mcu_program_destroy(p);
  if (!mlirModuleIsNull(module)) mlirModuleDestroy(module);
  return s;
}
