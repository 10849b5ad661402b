/* cg_movement.c: emits the data-movement layers: transpose (a permuted loop nest) and copy (memcpy/memmove). */
#include "cg_internal.h"

/* Transpose: one loop per output dimension (outermost first), so y is written sequentially while x is read through
 * the permuted strides, step[d] = x stride of dimension perm[d]; elements move as raw integers of their size (f32
 * bits included, so no float canonicalisation can touch them). Output dimensions of size 1 get no loop.
 * Why: exact for every dtype and rank <= 6 with no division. Known weakness: no merging of dimensions that stay
 * contiguous and no tiling, so a large NCHW -> NHWC transpose reads x with a big stride (cache/TCM unfriendly). */
mcu_status_t cg_gen_transpose(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs != 1) return mcu_status_errorf("expects 1 input, got %d", l->num_inputs);
  const mcu_tensor_t *x = in[0].t, *y = out->t;
  if (x->dtype != y->dtype || x->rank != y->rank) return mcu_status_errorf("input and output types differ");
  const int r = x->rank;
  int seen[MCU_MAX_RANK] = {0};
  for (int d = 0; d < r; ++d) {
    if (l->perm[d] < 0 || l->perm[d] >= r || seen[l->perm[d]]) return mcu_status_errorf("perm is not a permutation");
    seen[l->perm[d]] = 1;
    if (y->shape[d] != x->shape[l->perm[d]]) return mcu_status_errorf("output dimension %d does not match perm", d);
  }
  if (mcu_tensor_elements(y) == 0) return NULL;
  int64_t xstride[MCU_MAX_RANK], ystride[MCU_MAX_RANK], s = 1, t = 1;
  for (int d = r - 1; d >= 0; --d) {
    xstride[d] = s;
    s *= x->shape[d];
    ystride[d] = t;
    t *= y->shape[d];
  }
  /* Raw views: the same bytes seen as i8 or i32 so loads and stores are plain integer moves. */
  mcu_tensor_t xr = *x, yr = *y;
  xr.dtype = yr.dtype = mcu_dtype_size(x->dtype) == 1 ? MCU_DT_I8 : MCU_DT_I32;
  cg_view_t xv = {&xr, in[0].ptr, in[0].align}, yv = {&yr, out->ptr, out->align};
  cg_loop_t loops[MCU_MAX_RANK];
  int open[MCU_MAX_RANK] = {0};
  LLVMValueRef xi = cg_i32(cg, 0), yi = cg_i32(cg, 0);
  for (int d = 0; d < r; ++d) {
    if (y->shape[d] == 1) continue;
    LLVMValueRef iv = cg_loop_begin(cg, &loops[d], y->shape[d], "d");
    open[d] = 1;
    xi = cg_add(cg, xi, cg_mulk(cg, iv, xstride[l->perm[d]]));
    yi = cg_add(cg, yi, cg_mulk(cg, iv, ystride[d]));
  }
  LLVMValueRef v = cg_load(cg, &xv, xi);
  cg_store(cg, &yv, yi, v);
  for (int d = r - 1; d >= 0; --d)
    if (open[d]) cg_loop_end(cg, &loops[d]);
  return NULL;
}

/* Where a view's bytes are, for the overlap test of copy. */
static int same_region(const mcu_tensor_t *a, const mcu_tensor_t *b) {
  if (a->storage != b->storage) return 0;
  if (a->storage == MCU_STORAGE_ARENA || a->storage == MCU_STORAGE_CONST)
    return a->offset == b->offset && (a->storage == MCU_STORAGE_CONST || a->pool == b->pool);
  return 0;
}

/* Copy (reshape, moves between storages): a call to memcpy, or memmove when source and destination may overlap
 * (two arena ranges that intersect, or two caller pointers that the caller may have made alias). Same start in
 * the same buffer (an in-place reshape) emits nothing. Known weakness: a call even for tiny copies; the planner
 * should make most reshapes in place. */
mcu_status_t cg_gen_copy(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs != 1) return mcu_status_errorf("expects 1 input, got %d", l->num_inputs);
  const mcu_tensor_t *x = in[0].t, *y = out->t;
  int64_t bytes = mcu_tensor_bytes(x);
  if (bytes != mcu_tensor_bytes(y))
    return mcu_status_errorf("input has %lld bytes, output %lld", (long long)bytes, (long long)mcu_tensor_bytes(y));
  if (bytes == 0 || same_region(x, y)) return NULL;
  int overlap = 0;
  if (x->storage == MCU_STORAGE_ARENA && y->storage == MCU_STORAGE_ARENA && x->pool == y->pool)
    overlap = x->offset < y->offset + (uint64_t)bytes && y->offset < x->offset + (uint64_t)bytes;
  else if ((x->storage == MCU_STORAGE_INPUT || x->storage == MCU_STORAGE_OUTPUT) && y->storage == MCU_STORAGE_OUTPUT)
    overlap = 1;
  cg_call_mem(cg, overlap, out->ptr, in[0].ptr, bytes);
  return NULL;
}
