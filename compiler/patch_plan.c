/* patch_plan.c: regions, halos and costs of patch-based execution (see patch_plan.h). */
#include "patch_plan.h"

#include <string.h>

/* Algorithm: a tile of the stage output is walked back through the chain; a window layer whose output rows are
 * [o0, o1) reads input rows [o0 * sh - pad_top, (o1 - 1) * sh - pad_top + (kh - 1) * dh + 1), clipped to
 * [0, in_h); the part cut off at the top is the call's own top padding. Columns likewise. Why: this is the exact
 * receptive field, so a patch call computes the same bytes as the whole-tensor call on its region and the
 * overlap recomputed between patches (the halo) is the least possible. Weakness: the tiles are equal splits of
 * the output; a split that balances the halos (smaller tiles at the borders, which have no halo on one side) or
 * unequal tiles would cost slightly fewer MACs. */

static mcu_status_t window_in(int32_t o0, int32_t o1, int32_t stride, int32_t pad, int32_t k, int32_t dil,
                              int32_t in, int32_t *out_c0, int32_t *out_c1, int32_t *out_pad0, int32_t *out_pad1) {
  const int64_t span = (int64_t)(k - 1) * dil + 1;
  const int64_t start = (int64_t)o0 * stride - pad, end = (int64_t)(o1 - 1) * stride - pad + span;
  const int64_t c0 = start < 0 ? 0 : start, c1 = end > in ? in : end;
  if (c1 <= c0) return mcu_status_errorf("patch: output [%d, %d) reads only padding", o0, o1);
  *out_c0 = (int32_t)c0, *out_c1 = (int32_t)c1;
  *out_pad0 = (int32_t)(c0 - start);
  *out_pad1 = (int32_t)(end - c1);
  return NULL;
}

mcu_status_t mcu_patch_check(const mcu_patch_layer_t *ls, int n) {
  if (n < 1 || n > MCU_PATCH_MAX_LAYERS) return mcu_status_errorf("patch: a stage of %d layers (1 to %d)", n,
                                                                  MCU_PATCH_MAX_LAYERS);
  for (int k = 0; k < n; ++k) {
    const mcu_patch_layer_t *l = &ls[k];
    if (l->in_h < 1 || l->in_w < 1 || l->in_c < 1 || l->out_h < 1 || l->out_w < 1 || l->out_c < 1 ||
        l->in_elem < 1 || l->out_elem < 1 || l->in_elem > 8 || l->out_elem > 8)
      return mcu_status_errorf("patch: layer %d has an empty or odd shape", k);
    if ((int64_t)l->in_h * l->in_w * l->in_c > INT32_MAX || (int64_t)l->out_h * l->out_w * l->out_c > INT32_MAX)
      return mcu_status_errorf("patch: layer %d is too large", k);
    if (k > 0 && (ls[k - 1].out_h != l->in_h || ls[k - 1].out_w != l->in_w || ls[k - 1].out_c != l->in_c ||
                  ls[k - 1].out_elem != l->in_elem))
      return mcu_status_errorf("patch: layer %d does not read layer %d's output", k, k - 1);
    if (l->kind == MCU_PATCH_ELEMENTWISE) {
      if (l->in_h != l->out_h || l->in_w != l->out_w || l->in_c != l->out_c)
        return mcu_status_errorf("patch: elementwise layer %d changes the shape", k);
      continue;
    }
    if (l->kind != MCU_PATCH_WINDOW) return mcu_status_errorf("patch: layer %d has an unknown kind", k);
    if (l->kh < 1 || l->kw < 1 || l->sh < 1 || l->sw < 1 || l->dh < 1 || l->dw < 1 || l->pad_top < 0 ||
        l->pad_left < 0 || l->kh > 4096 || l->kw > 4096 || l->sh > 4096 || l->sw > 4096 || l->dh > 4096 ||
        l->dw > 4096 || l->pad_top > 4096 || l->pad_left > 4096)
      return mcu_status_errorf("patch: layer %d has a bad window", k);
    /* The last output row's window must start inside the padded input (the layer's own shape rule). */
    if ((int64_t)(l->out_h - 1) * l->sh - l->pad_top >= l->in_h ||
        (int64_t)(l->out_w - 1) * l->sw - l->pad_left >= l->in_w)
      return mcu_status_errorf("patch: layer %d's output is larger than its window allows", k);
  }
  return NULL;
}

mcu_region_t mcu_patch_tile(int32_t out_h, int32_t out_w, int rows, int cols, int pi, int pj) {
  mcu_region_t r;
  r.y0 = (int32_t)((int64_t)pi * out_h / rows), r.y1 = (int32_t)((int64_t)(pi + 1) * out_h / rows);
  r.x0 = (int32_t)((int64_t)pj * out_w / cols), r.x1 = (int32_t)((int64_t)(pj + 1) * out_w / cols);
  return r;
}

mcu_status_t mcu_patch_calls(const mcu_patch_layer_t *ls, int n, int rows, int cols, int pi, int pj,
                             mcu_patch_call_t *out_calls) {
  mcu_status_t s = mcu_patch_check(ls, n);
  if (s) return s;
  const mcu_patch_layer_t *last = &ls[n - 1];
  if (rows < 1 || cols < 1 || rows > MCU_PATCH_MAX_GRID || cols > MCU_PATCH_MAX_GRID || rows > last->out_h ||
      cols > last->out_w || pi < 0 || pi >= rows || pj < 0 || pj >= cols)
    return mcu_status_errorf("patch: grid %dx%d (tile %d,%d) does not fit a %dx%d output", rows, cols, pi, pj,
                             last->out_h, last->out_w);
  mcu_region_t r = mcu_patch_tile(last->out_h, last->out_w, rows, cols, pi, pj);
  for (int k = n - 1; k >= 0; --k) {
    const mcu_patch_layer_t *l = &ls[k];
    mcu_patch_call_t *c = &out_calls[k];
    memset(c, 0, sizeof *c);
    c->out = r;
    if (l->kind == MCU_PATCH_ELEMENTWISE) {
      c->in = r;
    } else {
      if ((s = window_in(r.y0, r.y1, l->sh, l->pad_top, l->kh, l->dh, l->in_h, &c->in.y0, &c->in.y1, &c->pad_top,
                         &c->pad_bottom)) ||
          (s = window_in(r.x0, r.x1, l->sw, l->pad_left, l->kw, l->dw, l->in_w, &c->in.x0, &c->in.x1,
                         &c->pad_left, &c->pad_right)))
        return mcu_status_annotatef(s, "layer %d: ", k);
    }
    r = c->in;
  }
  return NULL;
}

static uint64_t area(mcu_region_t r) { return (uint64_t)(r.y1 - r.y0) * (uint64_t)(r.x1 - r.x0); }

/* One axis of mcu_patch_calls (axis 0: rows, 1: columns) for band `band` of `bands`: the length of every layer's
 * output region and of layer 0's input region. Returns 0, or -1 where mcu_patch_calls would fail. */
static int walk_axis(const mcu_patch_layer_t *ls, int n, int axis, int bands, int band, uint64_t *out_len,
                     uint64_t *out_in_len) {
  const mcu_patch_layer_t *last = &ls[n - 1];
  const int32_t size = axis ? last->out_w : last->out_h;
  int32_t o0 = (int32_t)((int64_t)band * size / bands), o1 = (int32_t)((int64_t)(band + 1) * size / bands);
  for (int k = n - 1; k >= 0; --k) {
    const mcu_patch_layer_t *l = &ls[k];
    out_len[k] = (uint64_t)(o1 - o0);
    if (l->kind != MCU_PATCH_ELEMENTWISE) {
      int32_t c0 = 0, c1 = 0, p0 = 0, p1 = 0;
      mcu_status_t s = axis ? window_in(o0, o1, l->sw, l->pad_left, l->kw, l->dw, l->in_w, &c0, &c1, &p0, &p1)
                            : window_in(o0, o1, l->sh, l->pad_top, l->kh, l->dh, l->in_h, &c0, &c1, &p0, &p1);
      if (s) {
        mcu_status_free(s);
        return -1;
      }
      o0 = c0, o1 = c1;
    }
  }
  *out_in_len = (uint64_t)(o1 - o0);
  return 0;
}

/* The grid's regions are separable: a patch's rows depend only on its grid row and its columns only on its grid
 * column, so one walk per row band and one per column band (walk_axis) give every patch's regions; the sums and
 * maxima of their areas are products of the row and column figures. The first patch is checked by
 * mcu_patch_calls (its error is the one to return); when a band's walk fails, every patch is walked, so the error
 * is the one the patch order gives. */
mcu_status_t mcu_patch_cost(const mcu_patch_layer_t *ls, int n, int rows, int cols, mcu_patch_cost_t *out_cost) {
  memset(out_cost, 0, sizeof *out_cost);
  mcu_patch_call_t calls[MCU_PATCH_MAX_LAYERS];
  for (int k = 0; k < n && k < MCU_PATCH_MAX_LAYERS; ++k)
    out_cost->base_macs += (uint64_t)ls[k].out_h * ls[k].out_w * ls[k].out_c * ls[k].macs_per_out;
  mcu_status_t first = mcu_patch_calls(ls, n, rows, cols, 0, 0, calls);
  if (first) return first;
  uint64_t sum[2][MCU_PATCH_MAX_LAYERS] = {{0}}, max[2][MCU_PATCH_MAX_LAYERS] = {{0}}, in_max[2] = {0, 0};
  int separable = 1;
  for (int axis = 0; axis < 2 && separable; ++axis)
    for (int band = 0; band < (axis ? cols : rows) && separable; ++band) {
      uint64_t len[MCU_PATCH_MAX_LAYERS], in_len;
      if (walk_axis(ls, n, axis, axis ? cols : rows, band, len, &in_len)) {
        separable = 0;
        break;
      }
      for (int k = 0; k < n; ++k) {
        sum[axis][k] += len[k];
        if (len[k] > max[axis][k]) max[axis][k] = len[k];
      }
      if (in_len > in_max[axis]) in_max[axis] = in_len;
    }
  if (separable) {
    for (int k = 0; k < n; ++k) {
      out_cost->buf_bytes[k] = max[0][k] * max[1][k] * ls[k].out_c * ls[k].out_elem;
      out_cost->macs += sum[0][k] * sum[1][k] * ls[k].out_c * ls[k].macs_per_out;
    }
    out_cost->in_bytes = in_max[0] * in_max[1] * ls[0].in_c * ls[0].in_elem;
    return NULL;
  }
  for (int pi = 0; pi < rows; ++pi)
    for (int pj = 0; pj < cols; ++pj) {
      mcu_status_t s = mcu_patch_calls(ls, n, rows, cols, pi, pj, calls);
      if (s) return s;
      for (int k = 0; k < n; ++k) {
        const uint64_t b = area(calls[k].out) * ls[k].out_c * ls[k].out_elem;
        if (b > out_cost->buf_bytes[k]) out_cost->buf_bytes[k] = b;
        out_cost->macs += area(calls[k].out) * ls[k].out_c * ls[k].macs_per_out;
      }
      const uint64_t in = area(calls[0].in) * ls[0].in_c * ls[0].in_elem;
      if (in > out_cost->in_bytes) out_cost->in_bytes = in;
    }
  return NULL;
}

int mcu_patch_copies(const mcu_patch_layer_t *ls, int n, int rows, int cols) {
  if (cols != 1) return 1;
  mcu_patch_call_t calls[MCU_PATCH_MAX_LAYERS];
  mcu_status_t s = mcu_patch_calls(ls, n, rows, cols, 0, 0, calls);
  if (s) {
    mcu_status_free(s);
    return 1;
  }
  for (int k = 0; k < n; ++k) /* every band has the same columns: the first one tells */
    if (calls[k].in.x0 != 0 || calls[k].in.x1 != ls[k].in_w) return 1;
  return 0;
}

mcu_status_t mcu_patch_layer_of_layer(const mcu_program_t *p, const mcu_layer_t *l, mcu_patch_layer_t *g) {
  memset(g, 0, sizeof *g);
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  if (x->rank != 4 || y->rank != 4 || x->shape[0] != 1 || y->shape[0] != 1)
    return mcu_status_errorf("a patch stage layer needs batch-1 NHWC tensors");
  g->in_h = x->shape[1], g->in_w = x->shape[2], g->in_c = x->shape[3];
  g->out_h = y->shape[1], g->out_w = y->shape[2], g->out_c = y->shape[3];
  g->in_elem = (uint32_t)mcu_dtype_size(x->dtype), g->out_elem = (uint32_t)mcu_dtype_size(y->dtype);
  switch (l->op) {
  case MCU_OP_QUANTIZE:
  case MCU_OP_REQUANTIZE:
  case MCU_OP_CLAMP:
    g->kind = MCU_PATCH_ELEMENTWISE;
    return NULL;
  case MCU_OP_CONV2D: {
    const mcu_tensor_t *w = &p->tensors[l->inputs[1]];
    if (w->rank != 4) return mcu_status_errorf("a patch stage conv needs a rank-4 filter");
    g->kh = w->shape[1], g->kw = w->shape[2], g->dh = l->dilation[0], g->dw = l->dilation[1];
    g->macs_per_out = (uint64_t)w->shape[1] * w->shape[2] * w->shape[3];
    break;
  }
  case MCU_OP_STREAM_BLOCK: { /* the depthwise's window; the 1x1 convs around it are per pixel */
    const mcu_tensor_t *w = &p->tensors[l->inputs[3]];
    if (w->rank != 4) return mcu_status_errorf("a patch stage block needs a rank-4 depthwise filter");
    g->kh = w->shape[1], g->kw = w->shape[2], g->dh = l->dilation[0], g->dw = l->dilation[1];
    break;
  }
  case MCU_OP_AVG_POOL:
  case MCU_OP_MAX_POOL:
    g->kh = l->kernel[0], g->kw = l->kernel[1], g->dh = g->dw = 1;
    break;
  default:
    return mcu_status_errorf("op %s cannot run in a patch stage", mcu_op_name(l->op));
  }
  g->kind = MCU_PATCH_WINDOW;
  g->sh = l->stride[0], g->sw = l->stride[1], g->pad_top = l->pad[0], g->pad_left = l->pad[1];
  return NULL;
}

