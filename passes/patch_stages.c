/* patch_stages.c: the patch-stages pass, the early high-resolution layers run patch by patch (MCUNetV2). */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "lower.h"
#include "passes.h"

/* Algorithm: the layers of @main in order (steps, as plan-memory numbers them) and every arena buffer with its
 * bytes and lifetime (a result from its op to its last reader; an in-place result joins its operand's buffer; a
 * copy-free reshape its input's; each kernel's scratch at its step) give the live bytes of every step, whose
 * maximum is the schedule's lower bound on the arena. A candidate stage is a run of consecutive layers L0..Ln-1,
 * each a conv2d (any kernel, stride, padding, dilation, groups), avg/max pool or elementwise quantize /
 * requantize / clamp or streamed inverted-residual block (its depthwise's window) over rank-4 batch-1 tensors, each reading the previous one's result as its only use (other
 * operands constants), no intermediate a model output. With a rows x cols grid (compiler/patch_plan.c gives the
 * regions), its steps hold: the full stage input (live for the whole stage, as every patch reads it), the full
 * stage output (written patch by patch, so live from L0), the buffers live across the stage, and at step k one
 * patch of Lk's input and output (the gather buffer of a column split at L0, the staging buffer of its output at
 * Ln-1) plus Lk's kernel scratch. The pass tries every stage starting among the first 16 layers, up to 12 layers
 * long, and every grid up to 8 x 8, and keeps, among those within 1/64 of the lowest network peak, the one with the
 * fewest extra MACs (halo recomputation), then the fewest patches (code: border patches get functions of their
 * own), then the shortest stage; only candidates whose extra MACs stay within 5% of the network's count, and only
 * when the peak drops. With `mcu.patch_budget = N` on the module (the driver's --patches=auto with a board: its
 * SRAM), only a network whose unpatched peak is above N gets a stage: the one with the fewest extra MACs among
 * those that fit in N (any recomputation), else the lowest peak. The module attribute `mcu.patch_request =
 * array<i64: rows, cols, start, length>` (from --patches=RxC[@START+LEN]; start -1 and length 0 leave them to the
 * search) forces a grid: the best stage for that grid is taken even without a gain. The choice is written as
 * `mcu.patch = array<i64: stage, rows, cols>` on every op of the stage (stage 0), whose `mcu.inplace` marks are
 * dropped (a patch runs on its own buffers); plan-memory sizes the buffers, code generation emits the patch loop.
 * Why: in MCUNet-style networks the first layers hold the peak (a large input and a large first feature map);
 * patch by patch, only a few rows of them exist. Weakness: one stage per network; a stage is a straight chain (a
 * residual add ends it); the estimate of each step's scratch is the whole layer's (an upper bound); the peak
 * compared is the lower bound of the schedule, which the planner reaches on every shared model but is not
 * guaranteed to. */

#define MAX_START 16
#define MAX_LEN 12
#define MAX_GRID 8

static int is_constant_value(MlirValue v) {
  return !mlirValueIsABlockArgument(v) && mcu_op_is(mlirOpResultGetOwner(v), "mcu.constant");
}

/* [1, h, w, c] static shape; element bytes in *out_elem. */
static int nhwc(MlirType t, int32_t out_dims[3], uint32_t *out_elem) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) || mlirShapedTypeGetRank(t) != 4 ||
      mlirShapedTypeGetDimSize(t, 0) != 1)
    return 0;
  for (int i = 0; i < 3; ++i) {
    int64_t d = mlirShapedTypeGetDimSize(t, i + 1);
    if (d < 1 || d > INT32_MAX) return 0;
    out_dims[i] = (int32_t)d;
  }
  int64_t bytes = mcu_type_bytes(t), n = (int64_t)out_dims[0] * out_dims[1] * out_dims[2];
  if (bytes <= 0 || bytes % n) return 0;
  *out_elem = (uint32_t)(bytes / n);
  return 1;
}

int mcu_patch_layer_of_op(MlirOperation op, mcu_patch_layer_t *out) {
  memset(out, 0, sizeof *out);
  if (mlirOperationGetNumResults(op) != 1 || mlirOperationGetNumOperands(op) < 1) return 0;
  int32_t in[3], o[3];
  if (!nhwc(mlirValueGetType(mlirOperationGetOperand(op, 0)), in, &out->in_elem) ||
      !nhwc(mlirValueGetType(mlirOperationGetResult(op, 0)), o, &out->out_elem))
    return 0;
  out->in_h = in[0], out->in_w = in[1], out->in_c = in[2], out->out_h = o[0], out->out_w = o[1], out->out_c = o[2];
  for (intptr_t k = 1; k < mlirOperationGetNumOperands(op); ++k)
    if (!is_constant_value(mlirOperationGetOperand(op, k))) return 0;
  if (mcu_op_is(op, "mcu.quantize") || mcu_op_is(op, "mcu.requantize") || mcu_op_is(op, "mcu.clamp")) {
    out->kind = MCU_PATCH_ELEMENTWISE;
    return mlirOperationGetNumOperands(op) == 1;
  }
  int64_t s[2], d[2] = {1, 1}, p[4], k[2];
  if (mcu_op_is(op, "mcu.conv2d")) {
    MlirType w = mlirValueGetType(mlirOperationGetOperand(op, 1));
    int64_t g = mcu_op_get_i64(op, "groups", 1);
    if (mlirOperationGetNumOperands(op) < 2 || !mlirTypeIsARankedTensor(w) || mlirShapedTypeGetRank(w) != 4 ||
        g < 1 || mcu_op_get_i64_array(op, "dilations", d, 2) != 2)
      return 0;
    k[0] = mlirShapedTypeGetDimSize(w, 1), k[1] = mlirShapedTypeGetDimSize(w, 2);
    out->macs_per_out = (uint64_t)(k[0] * k[1] * mlirShapedTypeGetDimSize(w, 3));
  } else if (mcu_op_is(op, "mcu.stream_block")) { /* expand 1x1 -> depthwise -> project 1x1: the depthwise's window */
    MlirType e = mlirValueGetType(mlirOperationGetOperand(op, 1)), w = mlirValueGetType(mlirOperationGetOperand(op, 3));
    if (mlirOperationGetNumOperands(op) != 7 || !mlirTypeIsARankedTensor(w) || mlirShapedTypeGetRank(w) != 4 ||
        !mlirTypeIsARankedTensor(e) || mlirShapedTypeGetRank(e) != 4 || mcu_op_get_i64_array(op, "dilations", d, 2) != 2)
      return 0;
    k[0] = mlirShapedTypeGetDimSize(w, 1), k[1] = mlirShapedTypeGetDimSize(w, 2);
    const int64_t ce = mlirShapedTypeGetDimSize(e, 0), ci = mlirShapedTypeGetDimSize(e, 3);
    if (mcu_op_get_i64_array(op, "strides", s, 2) != 2 || ce < 1 || ci < 1) return 0;
    /* Per output value: its share of the depthwise and projection, and of the expansion of the input pixels
     * (about stride_h * stride_w of them per output pixel). */
    out->macs_per_out = (uint64_t)((k[0] * k[1] * ce + ce * out->out_c + ce * ci * s[0] * s[1]) / out->out_c);
  } else if (mcu_op_is(op, "mcu.avg_pool2d") || mcu_op_is(op, "mcu.max_pool2d")) {
    if (mcu_op_get_i64_array(op, "kernel", k, 2) != 2 || mlirOperationGetNumOperands(op) != 1) return 0;
  } else {
    return 0;
  }
  if (mcu_op_get_i64_array(op, "strides", s, 2) != 2 || mcu_op_get_i64_array(op, "pads", p, 4) != 4) return 0;
  for (int i = 0; i < 2; ++i)
    if (s[i] < 1 || s[i] > 4096 || d[i] < 1 || d[i] > 4096 || k[i] < 1 || k[i] > 4096) return 0;
  for (int i = 0; i < 4; ++i)
    if (p[i] < 0 || p[i] > 4096) return 0;
  out->kind = MCU_PATCH_WINDOW;
  out->kh = (int32_t)k[0], out->kw = (int32_t)k[1], out->sh = (int32_t)s[0], out->sw = (int32_t)s[1];
  out->dh = (int32_t)d[0], out->dw = (int32_t)d[1], out->pad_top = (int32_t)p[0], out->pad_left = (int32_t)p[1];
  mcu_status_t st = mcu_patch_check(out, 1);
  if (st) mcu_status_free(st);
  return st == NULL;
}

uint32_t mcu_patch_layer_scratch(MlirOperation op, const mcu_patch_layer_t *ls, int n, int k, int rows, int cols) {
  const int rowwise = k == 0 && ls[0].kind == MCU_PATCH_ELEMENTWISE && mcu_patch_copies(ls, n, rows, cols);
  mcu_op_view_t seen[MCU_PATCH_MAX_GRID * MCU_PATCH_MAX_GRID];
  int num_seen = 0;
  uint32_t most = 0;
  for (int pi = 0; pi < rows; ++pi)
    for (int pj = 0; pj < cols; ++pj) {
      mcu_patch_call_t calls[MCU_PATCH_MAX_LAYERS];
      mcu_status_t s = mcu_patch_calls(ls, n, rows, cols, pi, pj, calls);
      if (s) {
        mcu_status_free(s);
        return most;
      }
      const mcu_patch_call_t *c = &calls[k];
      mcu_op_view_t v = {c->in.y1 - c->in.y0, c->in.x1 - c->in.x0, c->out.y1 - c->out.y0, c->out.x1 - c->out.x0,
                         {c->pad_top, c->pad_left, c->pad_bottom, c->pad_right}};
      if (rowwise) v = (mcu_op_view_t){1, v.in_w, 1, v.out_w, {0, 0, 0, 0}};
      int again = 0;
      for (int i = 0; i < num_seen && !again; ++i) again = !memcmp(&seen[i], &v, sizeof v);
      if (again) continue;
      seen[num_seen++] = v;
      mcu_op_kernel_t info;
      if ((s = mcu_lower_op_kernel_view(op, &v, &info))) {
        mcu_status_free(s);
        continue;
      }
      if (info.handled && info.scratch_bytes > most) most = info.scratch_bytes;
    }
  return most;
}

int mcu_patch_stage_of(MlirOperation op, int64_t out_v[3]) {
  return mcu_op_get_i64_array(op, "mcu.patch", out_v, 3) == 3;
}

/* An arena buffer of the estimate: bytes over steps [first, last]; `producer` the layer writing it (-1: scratch
 * or none), `scratch_of` the layer whose scratch it is (-1 otherwise). */
typedef struct est_buffer {
  uint64_t bytes;
  int32_t first, last;
  int producer, scratch_of;
} est_buffer_t;

typedef struct est {
  int num_layers;
  MlirOperation *layers;
  int nb;
  est_buffer_t *bufs;
  MlirValue *vals; /* the value of each non-scratch buffer (NULL for scratch) */
} est_t;

static int layer_index(const est_t *e, MlirOperation op) {
  for (int i = 0; i < e->num_layers; ++i)
    if (mlirOperationEqual(e->layers[i], op)) return i;
  return -1;
}

static int buffer_of(const est_t *e, MlirValue v) {
  for (int i = 0; i < e->nb; ++i)
    if (e->vals[i].ptr && mlirValueEqual(e->vals[i], v)) return i;
  return -1;
}

/* The step of v's last reader (a reshape alias's readers count for its input). */
static int32_t last_reader(const est_t *e, MlirValue v, int32_t step) {
  int32_t last = step;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation user = mlirOpOperandGetOwner(u);
    int32_t s = mcu_op_is(user, "func.return") ? e->num_layers : layer_index(e, user);
    if (mcu_op_is_alias(user)) s = last_reader(e, mlirOperationGetResult(user, 0), step);
    if (s > last) last = s;
  }
  return last;
}

static void est_free(est_t *e) { free(e->layers), free(e->bufs), free(e->vals); }

static int est_build(MlirBlock block, est_t *e) {
  memset(e, 0, sizeof *e);
  int n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    ++n;
  e->layers = calloc((size_t)n + 1, sizeof *e->layers);
  e->bufs = calloc(2 * (size_t)n + 1, sizeof *e->bufs);
  e->vals = calloc(2 * (size_t)n + 1, sizeof *e->vals);
  if (!e->layers || !e->bufs || !e->vals) return -1;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (!mcu_op_is(op, "mcu.constant") && !mcu_op_is(op, "func.return") && !mcu_op_is_alias(op))
      e->layers[e->num_layers++] = op;
  for (int li = 0; li < e->num_layers; ++li) {
    MlirOperation op = e->layers[li];
    mcu_op_kernel_t k;
    mcu_status_t s = mcu_lower_op_kernel(op, &k);
    if (s) mcu_status_free(s), k.scratch_bytes = 0;
    if (k.scratch_bytes) e->bufs[e->nb++] = (est_buffer_t){k.scratch_bytes, li, li, -1, li};
    if (mlirOperationGetNumResults(op) != 1) continue;
    MlirValue v = mlirOperationGetResult(op, 0);
    int64_t bytes = mcu_type_bytes(mlirValueGetType(v));
    if (mcu_value_is_returned(v) || bytes < 0) continue;
    const int32_t last = last_reader(e, v, li);
    const int64_t ip = mcu_op_get_i64(op, "mcu.inplace", -1);
    int root = ip >= 0 && ip < mlirOperationGetNumOperands(op) ? buffer_of(e, mlirOperationGetOperand(op, ip)) : -1;
    if (root >= 0) { /* the result overwrites its operand: one buffer */
      if ((uint64_t)bytes > e->bufs[root].bytes) e->bufs[root].bytes = (uint64_t)bytes;
      if (last > e->bufs[root].last) e->bufs[root].last = last;
      continue;
    }
    e->vals[e->nb] = v;
    e->bufs[e->nb++] = (est_buffer_t){(uint64_t)bytes, li, last, li, -1};
  }
  return 0;
}

/* The most live bytes at one step (the unpatched peak the pass compares with its budget). */
static uint64_t est_peak(const est_t *e) {
  uint64_t peak = 0;
  for (int32_t step = 0; step < e->num_layers; ++step) {
    uint64_t live = 0;
    for (int b = 0; b < e->nb; ++b)
      if (step >= e->bufs[b].first && step <= e->bufs[b].last) live += e->bufs[b].bytes;
    if (live > peak) peak = live;
  }
  return peak;
}

int mcu_patch_estimate_peak(MlirBlock block, uint64_t *out_peak) {
  *out_peak = 0;
  est_t e;
  const int bad = est_build(block, &e);
  if (!bad) *out_peak = est_peak(&e);
  est_free(&e);
  return bad ? -1 : 0;
}

/* A candidate: stage [start, start + len), grid rows x cols. */
typedef struct cand {
  int start, len, rows, cols;
  uint64_t peak;
  int64_t extra_macs;
} cand_t;

/* The live bytes of every step with the stage [start, start + len) that do not depend on its grid (see the top):
 * base[step] (for the stage's steps: the buffers live across the stage and the step's scratch); returns the
 * largest over the steps outside the stage. Computed once per stage, not once per grid (the search's hot loop). */
static uint64_t stage_base(const est_t *e, int start, int len, uint64_t *base) {
  const int end = start + len - 1;
  int in_buf = buffer_of(e, mlirOperationGetOperand(e->layers[start], 0));
  int out_buf = buffer_of(e, mlirOperationGetResult(e->layers[end], 0));
  uint64_t out_max = 0;
  for (int32_t step = 0; step < e->num_layers; ++step) {
    uint64_t live = 0;
    const int in_stage = step >= start && step <= end;
    for (int b = 0; b < e->nb; ++b) {
      const est_buffer_t *x = &e->bufs[b];
      int32_t first = x->first, last = x->last;
      if (b == in_buf && last < end) last = end;
      if (b == out_buf && first > start) first = start;
      if (step < first || step > last) continue;
      if (in_stage && ((x->producer >= start && x->producer < end) || (x->scratch_of >= start && x->scratch_of <= end)))
        continue; /* a stage intermediate or scratch: counted as a patch in cand_peak */
      live += x->bytes;
    }
    if (in_stage) {
      for (int b = 0; b < e->nb; ++b)
        if (e->bufs[b].scratch_of == step) live += e->bufs[b].bytes;
    } else if (live > out_max) {
      out_max = live;
    }
    base[step] = live;
  }
  return out_max;
}

/* The network's peak with this stage and grid (see the top), from stage_base's figures; 0 when the stage is not
 * valid. */
static uint64_t cand_peak(const mcu_patch_layer_t *ls, int start, int len, int rows, int cols, const uint64_t *base,
                          uint64_t out_max, int64_t *out_extra) {
  mcu_patch_cost_t c;
  mcu_status_t s = mcu_patch_cost(ls, len, rows, cols, &c);
  if (s) {
    mcu_status_free(s);
    return 0;
  }
  *out_extra = (int64_t)c.macs - (int64_t)c.base_macs;
  uint64_t peak = out_max;
  for (int k = 0; k < len; ++k) {
    uint64_t live = base[start + k];
    if (k < len - 1) live += c.buf_bytes[k];
    if (k > 0) live += c.buf_bytes[k - 1];
    if (k == 0 && mcu_patch_gathers(ls, len, rows, cols)) live += c.in_bytes;
    if (k == len - 1 && mcu_patch_scatters(ls, len, rows, cols)) live += c.buf_bytes[k];
    if (live > peak) peak = live;
  }
  return peak;
}

/* Within `slack` bytes of the lowest peak, the cheapest candidate wins. */
static int better(const cand_t *a, const cand_t *b, uint64_t least_peak, uint64_t slack) {
  const int a_near = a->peak <= least_peak + slack, b_near = b->peak <= least_peak + slack;
  if (a_near != b_near) return a_near;
  if (!a_near && a->peak != b->peak) return a->peak < b->peak;
  if (a->extra_macs != b->extra_macs) return a->extra_macs < b->extra_macs;
  if (a->rows * a->cols != b->rows * b->cols) return a->rows * a->cols < b->rows * b->cols;
  return a->len < b->len;
}

void mcu_pass_patch_stages(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)user_data;
  MlirBlock block = mcu_main_block(module);
  if (mlirBlockIsNull(block)) return;
  MlirContext ctx = mlirOperationGetContext(module);
  int64_t req[4] = {0, 0, -1, 0};
  const int got = mcu_op_get_i64_array(module, "mcu.patch_request", req, 4), forced = got >= 0;
  if (forced && (got != 4 || req[0] < 1 || req[1] < 1 || req[0] > MCU_PATCH_MAX_GRID ||
                      req[1] > MCU_PATCH_MAX_GRID || req[0] * req[1] < 2 || req[3] < 0 || req[3] == 1 ||
                      req[3] > MAX_LEN)) {
    mlirEmitError(mlirOperationGetLocation(module), "patch-stages: mcu.patch_request must be [rows, cols, start, "
                                                    "length] with a grid of 2 to 16 x 16 patches and a length "
                                                    "of 0 (any) or 2 to 12");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  est_t e;
  if (est_build(block, &e)) {
    est_free(&e);
    mlirEmitError(mlirOperationGetLocation(module), "patch-stages: out of memory");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  for (int li = 0; li < e.num_layers; ++li)
    mcu_op_remove_attr(e.layers[li], "mcu.patch"); /* reads first: removing copies the dictionary even when absent */
  const uint64_t base = est_peak(&e); /* the unpatched lower bound: the most live bytes at one step */
  /* With a budget (--patches=auto and a board: mcu.patch_budget), only a model that would not fit takes patches,
   * and then the cheapest candidate that fits (any recomputation: fitting comes first), else the lowest peak. */
  const int64_t budget = mcu_op_get_i64(module, "mcu.patch_budget", -1);
  const int over = budget >= 0 && base > (uint64_t)budget;
  if (budget >= 0 && !over && !forced) { /* it fits without: nothing to search */
    est_free(&e);
    return;
  }
  uint64_t total_macs = 0;
  for (int32_t step = 0; step < e.num_layers; ++step) {
    mcu_patch_layer_t pl;
    if (mcu_patch_layer_of_op(e.layers[step], &pl))
      total_macs += (uint64_t)pl.out_h * pl.out_w * pl.out_c * pl.macs_per_out;
  }
  cand_t best = {-1, 0, 0, 0, 0, 0};
  cand_t *all = NULL;
  int num_all = 0, cap_all = 0;
  uint64_t *step_base = calloc((size_t)e.num_layers + 1, sizeof *step_base);
  if (!step_base) {
    est_free(&e);
    mlirEmitError(mlirOperationGetLocation(module), "patch-stages: out of memory");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  mcu_patch_layer_t ls[MAX_LEN];
  const int start_hi = forced && req[2] >= 0 ? (int)req[2] : (e.num_layers < MAX_START ? e.num_layers - 1 : MAX_START - 1);
  for (int start = forced && req[2] >= 0 ? (int)req[2] : 0; start <= start_hi && start < e.num_layers; ++start) {
    for (int len = 0; len < MAX_LEN && start + len < e.num_layers; ++len) {
      MlirOperation op = e.layers[start + len];
      if (!mcu_patch_layer_of_op(op, &ls[len])) break;
      if (len > 0) { /* reads the previous layer's result, its only use, not a model output */
        MlirValue prev = mlirOperationGetResult(e.layers[start + len - 1], 0);
        if (!mlirValueEqual(mlirOperationGetOperand(op, 0), prev) || mcu_value_num_uses(prev) != 1 ||
            mcu_value_is_returned(prev))
          break;
      }
      const int n = len + 1;
      if (n < 2 || (forced && req[3] && n != req[3])) continue;
      const uint64_t out_max = stage_base(&e, start, n, step_base);
      for (int rows = 1; rows <= MAX_GRID; ++rows)
        for (int cols = 1; cols <= MAX_GRID; ++cols) {
          if (rows * cols < 2 || (forced && (rows != req[0] || cols != req[1]))) continue;
          cand_t c = {start, n, rows, cols, 0, 0};
          c.peak = cand_peak(ls, start, n, rows, cols, step_base, out_max, &c.extra_macs);
          if (!c.peak) continue;
          if (num_all == cap_all) {
            cand_t *more = realloc(all, (size_t)(cap_all ? 2 * cap_all : 256) * sizeof *more);
            if (!more) continue;
            all = more, cap_all = cap_all ? 2 * cap_all : 256;
          }
          all[num_all++] = c;
        }
    }
  }
  uint64_t least = UINT64_MAX;
  int any_fits = 0;
  for (int i = 0; i < num_all; ++i) {
    const int cheap = forced || over || all[i].extra_macs * 20 <= (int64_t)total_macs; /* recomputation <= 5% */
    if (cheap && all[i].peak < least) least = all[i].peak;
    if (over && all[i].peak <= (uint64_t)budget) any_fits = 1;
  }
  for (int i = 0; i < num_all; ++i) {
    cand_t *c = &all[i];
    if (!forced && !over && c->extra_macs * 20 > (int64_t)total_macs) continue;
    if (any_fits) { /* the fitting candidate with the fewest extra MACs */
      if (c->peak > (uint64_t)budget) continue;
      if (best.start < 0 || better(c, &best, UINT64_MAX - 1, 0)) best = *c;
    } else if (best.start < 0 || better(c, &best, least, least / 64)) {
      best = *c;
    }
  }
  free(all);
  free(step_base);
  const int keep = best.start >= 0 && (forced || (best.peak < base && (budget < 0 || over)));
  if (forced && !keep) {
    est_free(&e);
    mlirEmitError(mlirOperationGetLocation(module),
                  "patch-stages: no chain of layers can run as the requested patches (a chain of conv2d, pooling "
                  "and elementwise layers over batch-1 NHWC tensors, each the only reader of the previous one)");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  if (keep) {
    int64_t v[3] = {0, best.rows, best.cols};
    for (int li = best.start; li < best.start + best.len; ++li) {
      mlirOperationSetDiscardableAttributeByName(e.layers[li], mlirStringRefCreateFromCString("mcu.patch"),
                                                 mlirDenseI64ArrayGet(ctx, 3, v));
      mcu_op_remove_attr(e.layers[li], "mcu.inplace");
    }
  }
  est_free(&e);
}
