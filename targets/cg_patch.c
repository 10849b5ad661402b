/* cg_patch.c: a patch stage in SYM_run: per patch, its layers on their regions (functions shared by shape). */
#include <llvm-c/Target.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_internal.h"
#include "patch_plan.h"

/* Algorithm: for every patch (row-major over the grid), compiler/patch_plan.c gives each layer's output and input
 * regions and padding; the layer runs as a "view" of the program where its input and output tensors have the
 * region's shape and its padding is the patch's, so the ordinary generators (kernel library or native) build it.
 * One function per distinct view of a layer (interior patches share theirs). Pointers: an intermediate is its
 * patch buffer in the arena (the same for every patch); the stage input is read in place (bands: the region is a
 * contiguous run of rows) or gathered row by row into the first layer's buffer (a column split; an elementwise
 * first layer instead runs row segment by row segment from the full input); the output is written in place
 * (bands) or staged and copied row by row into the full tensor. Why: the kernels stay the ones every other layer
 * uses, bit for bit, and only SYM_run knows about patches. Weakness: the copies of a column split and one call per
 * row segment of an elementwise first layer (loops in SYM_run) cost instructions; each distinct border patch gets its own function
 * (code size grows with the grid's border classes, at most nine per layer for a 2-D grid). */

/* One built function of a layer for one view: the shapes and padding it was built for. */
typedef struct view_fn {
  int k;
  int32_t ih, iw, oh, ow, pad[4];
  LLVMValueRef fn;
  LLVMTypeRef fty;
} view_fn_t;

typedef struct stage_cg {
  cg_t *cg;
  const mcu_program_t *p; /* the real program */
  mcu_program_t view;     /* a copy whose tensors/layers arrays are ours (shallow: nothing in them is freed) */
  view_fn_t *fns;
  int num_fns, cap_fns;
} stage_cg_t;

/* The function of layer li (stage layer k) for an input ih x iw, output oh x ow and padding pad (cached). */
static mcu_status_t view_function(stage_cg_t *S, int li, int k, int32_t ih, int32_t iw, int32_t oh, int32_t ow,
                                  const int32_t pad[4], int window, LLVMValueRef *out_fn, LLVMTypeRef *out_fty) {
  for (int i = 0; i < S->num_fns; ++i) {
    view_fn_t *f = &S->fns[i];
    if (f->k == k && f->ih == ih && f->iw == iw && f->oh == oh && f->ow == ow && !memcmp(f->pad, pad, sizeof f->pad)) {
      *out_fn = f->fn, *out_fty = f->fty;
      return NULL;
    }
  }
  if (S->num_fns == S->cap_fns) {
    int cap = S->cap_fns ? 2 * S->cap_fns : 16;
    view_fn_t *n = realloc(S->fns, (size_t)cap * sizeof *n);
    if (!n) return mcu_status_errorf("codegen: out of memory");
    S->fns = n, S->cap_fns = cap;
  }
  const mcu_layer_t *l = &S->p->layers[li];
  mcu_tensor_t *x = &S->view.tensors[l->inputs[0]], *y = &S->view.tensors[l->output];
  mcu_layer_t *vl = &S->view.layers[li];
  const mcu_tensor_t saved_x = *x, saved_y = *y;
  const mcu_layer_t saved_l = *vl;
  x->shape[1] = ih, x->shape[2] = iw, y->shape[1] = oh, y->shape[2] = ow;
  /* Region pointers are only element-aligned (a row offset into a whole tensor), scratch stays as planned. */
  x->storage = MCU_STORAGE_INPUT, y->storage = MCU_STORAGE_OUTPUT;
  if (window) memcpy(vl->pad, pad, sizeof vl->pad);
  char suffix[32];
  snprintf(suffix, sizeof suffix, "p%d_", S->num_fns);
  const mcu_program_t *real = S->cg->p;
  S->cg->p = &S->view;
  /* Every argument of a patch call is its own buffer (stage input or gather buffer, intermediate patch buffers,
   * staging buffer or stage output, the kernel's part of the scratch): all live together, planned apart. */
  mcu_status_t s = cg_build_layer_fn(S->cg, li, suffix, 1, out_fn, out_fty);
  S->cg->p = real;
  *x = saved_x, *y = saved_y, *vl = saved_l;
  if (s) return s;
  S->fns[S->num_fns++] = (view_fn_t){k, ih, iw, oh, ow, {pad[0], pad[1], pad[2], pad[3]}, *out_fn, *out_fty};
  return NULL;
}

static LLVMValueRef byte_ptr(cg_t *cg, LLVMBuilderRef b, LLVMValueRef base, int64_t off) {
  LLVMValueRef o = cg_i32(cg, off);
  return LLVMBuildInBoundsGEP2(b, cg->t_i8, base, &o, 1, "");
}

static void build_memcpy(cg_t *cg, LLVMBuilderRef b, LLVMValueRef dst, LLVMValueRef src, int64_t n) {
  LLVMTypeRef size_ty = LLVMIntPtrTypeInContext(cg->ctx, LLVMGetModuleDataLayout(cg->mod));
  LLVMValueRef args[3] = {dst, src, LLVMConstInt(size_ty, (unsigned long long)n, 0)};
  LLVMBuildCall2(b, cg->ty_memcpy, cg->fn_memcpy, args, 3, "");
}

/* for (r = 0; r < rows; ++r) { src_r = src + r * src_stride; dst_r = dst + r * dst_stride; then either
 * memcpy(dst_r, src_r, seg) (fn NULL) or fn(args with args[in_arg] = src_r and args[out_arg] = dst_r) } in SYM_run:
 * one loop instead of one call per row, so the code does not grow with the rows of a patch. */
static void row_loop(cg_t *cg, LLVMBuilderRef b, int32_t rows, LLVMValueRef src, int64_t src_stride,
                     LLVMValueRef dst, int64_t dst_stride, int64_t seg, LLVMValueRef fn, LLVMTypeRef fty,
                     LLVMValueRef *args, int nargs, int in_arg, int out_arg) {
  LLVMBuilderRef saved_b = cg->b;
  LLVMValueRef saved_fn = cg->fn;
  cg->b = b, cg->fn = cg->run;
  cg_loop_t loop;
  LLVMValueRef r = rows > 1 ? cg_loop_begin(cg, &loop, rows, "row") : cg_i32(cg, 0);
  LLVMValueRef so = cg_mad(cg, r, src_stride, cg_i32(cg, 0)), d_o = cg_mad(cg, r, dst_stride, cg_i32(cg, 0));
  LLVMValueRef s_r = LLVMBuildInBoundsGEP2(b, cg->t_i8, src, &so, 1, ""), d_r = LLVMBuildInBoundsGEP2(b, cg->t_i8, dst, &d_o, 1, "");
  if (!fn) {
    build_memcpy(cg, b, d_r, s_r, seg);
  } else {
    args[in_arg] = s_r, args[out_arg] = d_r;
    LLVMBuildCall2(b, fty, fn, args, (unsigned)nargs, "");
  }
  if (rows > 1) cg_loop_end(cg, &loop);
  cg->b = saved_b, cg->fn = saved_fn;
}

/* The pointer to the planned buffer at the end of layer l's scratch (gather or staging). */
static LLVMValueRef patch_buffer(cg_t *cg, LLVMBuilderRef b, const mcu_layer_t *l) {
  LLVMValueRef off = cg_i32(cg, (int64_t)l->scratch_offset + l->scratch_bytes - l->patch_buf_bytes);
  return LLVMBuildInBoundsGEP2(b, cg->t_i8, cg_pool_base(cg, l->scratch_pool), &off, 1, "");
}

static mcu_status_t build_patch(stage_cg_t *S, LLVMBuilderRef b, const mcu_patch_stage_t *st,
                                const mcu_patch_layer_t *ls, int n, int copies, int pi, int pj) {
  cg_t *cg = S->cg;
  const mcu_program_t *p = S->p;
  mcu_patch_call_t calls[MCU_PATCH_MAX_LAYERS];
  mcu_status_t s = mcu_patch_calls(ls, n, st->rows, st->cols, pi, pj, calls);
  if (s) return s;
  const mcu_layer_t *first = &p->layers[st->first_layer], *last = &p->layers[st->last_layer];
  const mcu_tensor_t *sin = &p->tensors[first->inputs[0]], *sout = &p->tensors[last->output];
  LLVMValueRef full_in = cg_tensor_ptr(cg, b, sin), full_out = cg_tensor_ptr(cg, b, sout);
  const int64_t in_row = (int64_t)ls[0].in_w * ls[0].in_c * ls[0].in_elem;
  const int64_t out_row = (int64_t)ls[n - 1].out_w * ls[n - 1].out_c * ls[n - 1].out_elem;
  for (int k = 0; k < n; ++k) {
    const int li = st->first_layer + k;
    const mcu_layer_t *l = &p->layers[li];
    const mcu_patch_call_t *c = &calls[k];
    const int32_t ih = c->in.y1 - c->in.y0, iw = c->in.x1 - c->in.x0;
    const int32_t oh = c->out.y1 - c->out.y0, ow = c->out.x1 - c->out.x0;
    const int32_t pad[4] = {c->pad_top, c->pad_left, c->pad_bottom, c->pad_right};
    const int window = ls[k].kind == MCU_PATCH_WINDOW;
    if (k < n - 1) { /* the intermediate's planned patch buffer must hold this region */
      const mcu_tensor_t *t = &p->tensors[l->output];
      if ((uint64_t)oh * ow * ls[k].out_c * ls[k].out_elem > t->patch_bytes)
        return mcu_status_errorf("codegen: patch (%d, %d) of layer %d needs more than its %u planned bytes", pi, pj,
                                 li, t->patch_bytes);
    }
    LLVMValueRef out = k < n - 1 ? cg_tensor_ptr(cg, b, &p->tensors[l->output])
                                 : (copies ? patch_buffer(cg, b, last) : byte_ptr(cg, b, full_out, c->out.y0 * out_row));
    if (k == n - 1 && copies && (uint64_t)oh * ow * ls[k].out_c * ls[k].out_elem > last->patch_buf_bytes)
      return mcu_status_errorf("codegen: patch (%d, %d) output needs more than the %u staging bytes", pi, pj,
                               last->patch_buf_bytes);
    LLVMValueRef fn, scratch, args[MCU_MAX_LAYER_INPUTS + 2];
    LLVMTypeRef fty;
    for (int i = 1; i < l->num_inputs; ++i) args[i] = cg_tensor_ptr(cg, b, &p->tensors[l->inputs[i]]);
    args[l->num_inputs] = out;
    if ((s = cg_layer_scratch_arg(cg, b, l, &scratch))) return s;
    int nargs = l->num_inputs + 1;
    if (scratch) args[nargs++] = scratch;
    if (k == 0 && copies && !window) { /* elementwise: row segment by row segment from the full input */
      const int32_t none[4] = {0, 0, 0, 0};
      if ((s = view_function(S, li, k, 1, iw, 1, ow, none, 0, &fn, &fty))) return s;
      const int64_t seg_out = (int64_t)ow * ls[k].out_c * ls[k].out_elem;
      row_loop(cg, b, oh,
               byte_ptr(cg, b, full_in, c->in.y0 * in_row + (int64_t)c->in.x0 * ls[0].in_c * ls[0].in_elem), in_row,
               out, seg_out, 0, fn, fty, args, nargs, 0, l->num_inputs);
      continue;
    }
    if ((s = view_function(S, li, k, ih, iw, oh, ow, pad, window, &fn, &fty))) return s;
    if (k > 0) {
      args[0] = cg_tensor_ptr(cg, b, &p->tensors[l->inputs[0]]);
    } else if (!copies) {
      args[0] = byte_ptr(cg, b, full_in, c->in.y0 * in_row);
    } else { /* gather the input region row by row */
      const int64_t seg = (int64_t)iw * ls[0].in_c * ls[0].in_elem;
      if ((uint64_t)seg * ih > first->patch_buf_bytes)
        return mcu_status_errorf("codegen: patch (%d, %d) input needs more than the %u gather bytes", pi, pj,
                                 first->patch_buf_bytes);
      args[0] = patch_buffer(cg, b, first);
      row_loop(cg, b, ih,
               byte_ptr(cg, b, full_in, c->in.y0 * in_row + (int64_t)c->in.x0 * ls[0].in_c * ls[0].in_elem), in_row,
               args[0], seg, seg, NULL, NULL, NULL, 0, 0, 0);
    }
    LLVMBuildCall2(b, fty, fn, args, (unsigned)nargs, "");
    if (k == n - 1 && copies) { /* the staged output region into the full output, row by row */
      const int64_t seg = (int64_t)ow * ls[k].out_c * ls[k].out_elem;
      row_loop(cg, b, oh, out, seg,
               byte_ptr(cg, b, full_out, c->out.y0 * out_row + (int64_t)c->out.x0 * ls[k].out_c * ls[k].out_elem),
               out_row, seg, NULL, NULL, NULL, 0, 0, 0);
    }
  }
  return NULL;
}

mcu_status_t cg_build_patch_stage(cg_t *cg, LLVMBuilderRef run_b, const mcu_patch_stage_t *st) {
  const mcu_program_t *p = cg->p;
  const int n = st->last_layer - st->first_layer + 1;
  if (st->first_layer < 0 || n < 2 || n > MCU_PATCH_MAX_LAYERS || st->last_layer >= p->num_layers)
    return mcu_status_errorf("codegen: patch stage of layers %d..%d", st->first_layer, st->last_layer);
  mcu_patch_layer_t ls[MCU_PATCH_MAX_LAYERS];
  mcu_status_t s = NULL;
  for (int k = 0; k < n && !s; ++k) {
    const mcu_layer_t *l = &p->layers[st->first_layer + k];
    if (l->inplace) s = mcu_status_errorf("codegen: a patch stage layer runs in place");
    else if (k > 0 && l->inputs[0] != p->layers[st->first_layer + k - 1].output)
      s = mcu_status_errorf("codegen: patch stage layer %d does not read the previous layer", st->first_layer + k);
    else s = mcu_patch_layer_of_layer(p, l, &ls[k]);
  }
  if (!s) s = mcu_patch_check(ls, n);
  if (s) return mcu_status_annotatef(s, "codegen: patch stage: ");
  const int copies = mcu_patch_copies(ls, n, st->rows, st->cols);
  if ((mcu_patch_gathers(ls, n, st->rows, st->cols) && !p->layers[st->first_layer].patch_buf_bytes) ||
      (copies && !p->layers[st->last_layer].patch_buf_bytes))
    return mcu_status_errorf("codegen: patch stage without its planned gather or staging buffer");
  stage_cg_t S = {0};
  S.cg = cg, S.p = p, S.view = *p;
  S.view.tensors = malloc((size_t)p->num_tensors * sizeof *S.view.tensors);
  S.view.layers = malloc((size_t)p->num_layers * sizeof *S.view.layers);
  if (!S.view.tensors || !S.view.layers) s = mcu_status_errorf("codegen: out of memory");
  if (!s) {
    memcpy(S.view.tensors, p->tensors, (size_t)p->num_tensors * sizeof *S.view.tensors);
    memcpy(S.view.layers, p->layers, (size_t)p->num_layers * sizeof *S.view.layers);
  }
  for (int pi = 0; pi < st->rows && !s; ++pi)
    for (int pj = 0; pj < st->cols && !s; ++pj) s = build_patch(&S, run_b, st, ls, n, copies, pi, pj);
  free(S.view.tensors), free(S.view.layers), free(S.fns);
  return s;
}
