/* cost.c: cost queries through the compiler's front half (export, import, pass pipeline, lowering).
 * Why this path: the figures are the compiler's, not a formula imitating it; a network that the query says fits is
 * one mcunetc compiles within the board (same passes, same planner). The network reaches the compiler as IR text
 * with splat weights (mlir_emit.c), or, on request, as the full ONNX export (the two agree: test/e2e/nas_zoo.sh).
 * By default the module is built through the MLIR C API (mlir_build.c; the text form is kept for checks), and the
 * compiler context (MLIR context, IRDL dialect, pass pipelines) is kept across
 * queries; each query's module is made and destroyed within the query, so figures do not depend on the history
 * (cost_test.c); the compiler's memo of kernel answers, keyed by content, carries over from query to query, so a
 * layer seen in an earlier candidate is not lowered and prepared again. Weakness: each query still builds the module
 * and runs every pass over it; docs/nas.md has the measured rate. */
#define _POSIX_C_SOURCE 200809L /* fsync, clock_gettime, getpid */
#include "cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boards.h"
#include "kernel_call.h"
#include "kernel_select.h"
#include "mcunet_mlir.h"
#include "mlir_build.h"
#include "mlir_emit.h"
#include "onnx_export.h"
#include "prepare_onnx.h"
#include "prepare_tflite.h"

/* Queries per compiler context before it is recreated (default): MLIR keeps every type and attribute a query made
 * uniqued in its context, so a long search would grow without bound; recreating costs one context set-up. */
#define QUERIES_PER_COMPILER 2048

struct nas_cost_ctx {
  const mcu_board_t *board;
  int via_onnx;
  int via_text; /* the IR as text, parsed (mlir_emit.c), instead of built through the C API (mlir_build.c) */
  char path[4096]; /* the scratch file, without its extension */
  char file[4112];
  mcu_compiler_ctx_t *compiler; /* reused across queries; NULL until the first */
  int compiler_queries;         /* queries run in it */
  int queries_per_compiler;     /* recreate it after this many */
  char *text;                   /* the query's IR text (open_memstream's buffer, one per query) */
  size_t text_cap;
};

static const nas_schedule_t schedules[NAS_NUM_SCHEDULES] = {
    {0, 0, {MCU_PATCHES_AUTO, 0, 0, -1, 0}},
    {0, 0, {MCU_PATCHES_OFF, 0, 0, -1, 0}},
    {0, 0, {MCU_PATCHES_FORCE, 2, 2, -1, 0}},
    {0, 0, {MCU_PATCHES_FORCE, 4, 4, -1, 0}},
};
static const char *const schedule_names[NAS_NUM_SCHEDULES] = {"default", "patches-off", "patches-2x2", "patches-4x4"};

const nas_schedule_t *nas_schedule_at(int i) { return i >= 0 && i < NAS_NUM_SCHEDULES ? &schedules[i] : NULL; }
const char *nas_schedule_name(int i) { return i >= 0 && i < NAS_NUM_SCHEDULES ? schedule_names[i] : "?"; }

mcu_status_t nas_cost_ctx_create(const char *board, const char *scratch_dir, nas_cost_ctx_t **out_ctx) {
  const mcu_board_t *b = NULL;
  if (board && !(b = mcu_board_find(board))) {
    char names[256];
    mcu_board_names(names, sizeof names);
    return mcu_status_errorf("unknown board '%s' (%s)", board, names);
  }
  nas_cost_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return mcu_status_errorf("out of memory");
  c->board = b;
  c->queries_per_compiler = QUERIES_PER_COMPILER;
  if (!scratch_dir) scratch_dir = getenv("TMPDIR");
  if (!scratch_dir || !*scratch_dir) scratch_dir = "/tmp";
  /* the context's own file: the pid and the context's address keep contexts of one machine apart */
  if ((size_t)snprintf(c->path, sizeof c->path, "%s/mcunet-nas-%ld-%p", scratch_dir, (long)getpid(), (void *)c) >=
      sizeof c->path) {
    free(c);
    return mcu_status_errorf("%s: scratch path too long", scratch_dir);
  }
  *out_ctx = c;
  return NULL;
}

void nas_cost_ctx_destroy(nas_cost_ctx_t *ctx) {
  if (!ctx) return;
  char f[4112];
  snprintf(f, sizeof f, "%s.onnx", ctx->path);
  remove(f);
  snprintf(f, sizeof f, "%s.mlir", ctx->path);
  remove(f);
  mcu_compiler_ctx_destroy(ctx->compiler);
  free(ctx->text);
  free(ctx);
}

void nas_cost_ctx_set_via_onnx(nas_cost_ctx_t *ctx, int via_onnx) { ctx->via_onnx = via_onnx; }
void nas_cost_ctx_set_via_text(nas_cost_ctx_t *ctx, int via_text) { ctx->via_text = via_text; }
void nas_cost_ctx_set_recycle(nas_cost_ctx_t *ctx, int queries) {
  ctx->queries_per_compiler = queries > 0 ? queries : QUERIES_PER_COMPILER;
}

/* Writes the query's model: the ONNX export (seed 1) to the scratch file, or the IR text with splat weights
 * (mlir_emit.c) to memory (ctx->text; ctx->file then only names it). */
static mcu_status_t write_model(nas_cost_ctx_t *ctx, const nas_net_t *n) {
  snprintf(ctx->file, sizeof ctx->file, "%s.%s", ctx->path, ctx->via_onnx ? "onnx" : "mlir");
  if (ctx->via_onnx) return nas_onnx_export_file(n, 1, ctx->file);
  mcu_status_t s = nas_net_check(n);
  if (s) return s;
  free(ctx->text); /* open_memstream allocates a fresh buffer: the previous query's text is freed first */
  ctx->text = NULL, ctx->text_cap = 0;
  FILE *f = open_memstream(&ctx->text, &ctx->text_cap);
  if (!f) return mcu_status_errorf("out of memory");
  int bad = nas_mlir_write(n, f);
  if (fclose(f) || bad) return mcu_status_errorf("%s: write failed", ctx->file);
  return NULL;
}

/* The compiler context queries run in: created on first use, recreated every queries_per_compiler queries. */
static mcu_status_t compiler_of(nas_cost_ctx_t *ctx, mcu_compiler_ctx_t **out_compiler) {
  if (ctx->compiler && ctx->compiler_queries >= ctx->queries_per_compiler) {
    mcu_compiler_ctx_destroy(ctx->compiler);
    ctx->compiler = NULL;
  }
  if (!ctx->compiler) {
    mcu_status_t s = mcu_compiler_ctx_create(&ctx->compiler);
    if (s) return s;
    ctx->compiler_queries = 0;
  }
  ++ctx->compiler_queries;
  *out_compiler = ctx->compiler;
  return NULL;
}

void nas_cost_ctx_forget(nas_cost_ctx_t *ctx) {
  if (ctx->compiler) mcu_compiler_ctx_forget(ctx->compiler);
}

uint64_t nas_cost_ctx_sram(const nas_cost_ctx_t *ctx) { return ctx->board ? ctx->board->sram_bytes : 0; }
uint64_t nas_cost_ctx_flash(const nas_cost_ctx_t *ctx) { return ctx->board ? ctx->board->flash_bytes : 0; }

uint64_t nas_code_estimate(const mcu_program_t *p) { return 2048 + 1200 * (uint64_t)p->num_layers; }

int64_t nas_instructions_estimate(const mcu_program_t *p) {
  int64_t total = 0;
  for (int i = 0; i < p->num_layers; ++i) {
    const mcu_layer_t *l = &p->layers[i];
    int64_t macs = mcu_layer_macs(p, l);
    const mcu_tensor_t *out = &p->tensors[l->output];
    const mcu_tensor_t *in = l->num_inputs > 0 ? &p->tensors[l->inputs[0]] : out;
    switch (l->op) {
    case MCU_OP_CONV2D: {
      /* a conv on a fast kernel (select-kernels' family, recorded on the layer): the kernel cost model's estimate */
      mcu_ksel_shape_t ks;
      if (l->kernel_family > MCU_KF_SCALAR && (mcu_tfl_ksel_shape(p, l, &ks) || mcu_onnx_ksel_shape(p, l, &ks))) {
        const int64_t c = mcu_ksel_cost(&ks, (mcu_kfamily_t)l->kernel_family, l->kernel_tile[0], l->kernel_tile[1]);
        if (c >= 0) {
          total += c;
          break;
        }
      }
      const mcu_tensor_t *w = &p->tensors[l->inputs[1]];
      int64_t k = w->rank == 4 ? w->shape[1] * w->shape[2] : 1;
      int depthwise = l->groups > 1 && l->groups == in->shape[in->rank - 1];
      total += depthwise ? 8 * macs : k == 1 ? 4 * macs : 5 * macs;
      break;
    }
    case MCU_OP_FULLY_CONNECTED:
    case MCU_OP_MATMUL:
      total += 3 * macs;
      break;
    case MCU_OP_STREAM_BLOCK:
      total += 5 * macs;
      break;
    case MCU_OP_ADD:
    case MCU_OP_SUB:
    case MCU_OP_MUL:
      total += 6 * mcu_tensor_elements(out);
      break;
    case MCU_OP_AVG_POOL:
    case MCU_OP_MAX_POOL:
    case MCU_OP_MEAN:
      total += 2 * mcu_tensor_elements(in);
      break;
    default:
      total += 2 * (macs + mcu_tensor_elements(out));
      break;
    }
  }
  return total;
}

uint64_t nas_tables_bytes(mcu_program_t *p) {
  uint64_t sum = 0;
  const int was = p->sizes_only;
  p->sizes_only = 1; /* the sizes of the tables, not their contents */
  for (int i = 0; i < p->num_layers; ++i) {
    const mcu_layer_t *l = &p->layers[i];
    mcu_kernel_call_t call;
    int handled;
    mcu_status_t s = mcu_kernel_prepare_if_handled(p, l, &call, &handled);
    if (s || !handled) { /* not a library call, or code generation would fail on it: no table to count */
      mcu_status_free(s);
      continue;
    }
    for (int a = 0; a < call.num_aux; ++a) sum += call.aux_size[a];
    mcu_kernel_call_release(&call);
  }
  p->sizes_only = was;
  return sum;
}

mcu_status_t nas_cost_program(nas_cost_ctx_t *ctx, const nas_net_t *n, int schedule, mcu_program_t **out_program) {
  const nas_schedule_t *sch = nas_schedule_at(schedule);
  if (!sch) return mcu_status_errorf("schedule %d out of range", schedule);
  mcu_compiler_ctx_t *compiler;
  mcu_status_t s = compiler_of(ctx, &compiler);
  if (s) return s;
  MlirModule built = {NULL};
  if (ctx->via_onnx || ctx->via_text) {
    if ((s = write_model(ctx, n))) return s;
  } else {
    snprintf(ctx->file, sizeof ctx->file, "%s.mlir", ctx->path); /* names the model in messages only */
    if ((s = nas_mlir_build(n, mcu_compiler_ctx_mlir(compiler), &built))) return s;
  }
  mcu_compile_options_t o;
  mcu_compile_options_init(&o);
  o.model_path = ctx->file;
  o.model_text = ctx->via_onnx ? NULL : ctx->text;
  o.verify_once = 1; /* the module is verified after import; the passes between are the same */
  o.module_verified = built.ptr != NULL; /* nas_mlir_build's output (its test verifies it); text is verified */
  o.no_inplace = sch->no_inplace;
  o.no_stream = sch->no_stream;
  o.stream = !sch->no_stream; /* the schedule's own choice, not the board policy (passes/stream_blocks.c) */
  o.patches = sch->patches;
  o.board = ctx->board ? ctx->board->name : NULL; /* --patches=auto then patches only what would not fit, as mcunetc */
  return built.ptr ? mcu_compile_module_in(compiler, built, &o, out_program)
                   : mcu_compile_program_in(compiler, &o, out_program);
}

mcu_status_t nas_cost_query(nas_cost_ctx_t *ctx, const nas_net_t *n, int schedule, nas_cost_t *out_cost) {
  mcu_program_t *p = NULL;
  mcu_status_t s = nas_cost_program(ctx, n, schedule, &p);
  if (s) return s;
  nas_cost_t c;
  memset(&c, 0, sizeof c);
  c.peak_sram_bytes = p->arena_size;
  c.weights_bytes = p->weights_size;
  c.tables_bytes = p->tables_size; /* plan-memory's sum of its answers (nas_tables_bytes recomputes it) */
  c.code_bytes = nas_code_estimate(p);
  c.flash_bytes = c.weights_bytes + c.tables_bytes + c.code_bytes;
  for (int i = 0; i < p->num_layers; ++i) c.macs += mcu_layer_macs(p, &p->layers[i]);
  c.params = nas_net_params(n);
  c.instructions = nas_instructions_estimate(p);
  if (p->num_patch_stages) c.patch_rows = p->patch_stages[0].rows, c.patch_cols = p->patch_stages[0].cols;
  c.schedule = schedule;
  c.fits_sram = !ctx->board || c.peak_sram_bytes <= ctx->board->sram_bytes;
  c.fits_flash = !ctx->board || c.flash_bytes <= ctx->board->flash_bytes;
  c.fits = c.fits_sram && c.fits_flash;
  mcu_program_destroy(p);
  *out_cost = c;
  return NULL;
}

mcu_status_t nas_cost_best(nas_cost_ctx_t *ctx, const nas_net_t *n, nas_cost_t *out_cost) {
  mcu_status_t first_error = NULL;
  int have = 0;
  nas_cost_t best;
  memset(&best, 0, sizeof best);
  for (int i = 0; i < NAS_NUM_SCHEDULES; ++i) {
    nas_cost_t c;
    mcu_status_t s = nas_cost_query(ctx, n, i, &c);
    if (s) {
      if (!first_error)
        first_error = s;
      else
        mcu_status_free(s);
      continue;
    }
    /* a fitting schedule beats one that does not; then the least SRAM; ties keep the earlier schedule */
    if (!have || (c.fits > best.fits) || (c.fits == best.fits && c.peak_sram_bytes < best.peak_sram_bytes)) best = c;
    have = 1;
  }
  if (!have) return first_error;
  mcu_status_free(first_error);
  *out_cost = best;
  return NULL;
}

void nas_cost_write_json(const nas_cost_t *c, const char *board, FILE *f) {
  fprintf(f,
          "{\"board\": \"%s\", \"peak_sram_bytes\": %llu, \"flash_bytes\": %llu, \"weights_bytes\": %llu, "
          "\"tables_bytes\": %llu, \"code_bytes_estimate\": %llu, \"macs\": %lld, \"params\": %lld, \"instructions_estimate\": %lld, "
          "\"schedule\": \"%s\", \"patches\": \"%dx%d\", \"fits_sram\": %s, \"fits_flash\": %s, \"fits\": %s}",
          board ? board : "", (unsigned long long)c->peak_sram_bytes, (unsigned long long)c->flash_bytes,
          (unsigned long long)c->weights_bytes, (unsigned long long)c->tables_bytes, (unsigned long long)c->code_bytes,
          (long long)c->macs,
          (long long)c->params, (long long)c->instructions, nas_schedule_name(c->schedule), c->patch_rows,
          c->patch_cols, c->fits_sram ? "true" : "false", c->fits_flash ? "true" : "false", c->fits ? "true" : "false");
}
