/* movement.c: the reference data-movement kernels: transpose (any rank <= 6, any element size) and byte copy. */
#include <string.h>

#include "ref.h"
#include "ref_util.h"

/* mcu_ref_transpose: y[i0, ..., i(r-1)] = x[j] with j[perm[d]] = i[d], i.e. output dimension d is input
 * dimension perm[d].
 *   x     any dtype, rank r in [0, 6], row-major.
 *   y     same dtype (so same element size), rank r, y->shape[d] == x->shape[perm[d]].
 *   perm  r entries, a permutation of 0..r-1 (ignored for r == 0).
 * Quantization is carried unchanged by the op and not checked here (per-axis data keeps its values).
 * Algorithm: walk y in row-major order with an index counter and step through x with permuted strides.
 * Weakness: element-at-a-time memcpy; slow but exact for every element size. */
int mcu_ref_transpose(const int32_t *perm, const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y,
                      void *y_data) {
  if (!perm || mcu_ref_util_check_tensor(x) || mcu_ref_util_check_tensor(y)) return -1;
  if (x->dtype != y->dtype || x->rank != y->rank) return -1;
  const int r = x->rank;
  int seen[MCU_MAX_RANK] = {0};
  for (int d = 0; d < r; ++d) {
    if (perm[d] < 0 || perm[d] >= r || seen[perm[d]]) return -1;
    seen[perm[d]] = 1;
    if (y->shape[d] != x->shape[perm[d]]) return -1;
  }
  int64_t xstride[MCU_MAX_RANK];
  int64_t s = 1;
  for (int d = r - 1; d >= 0; --d) {
    xstride[d] = s;
    s *= x->shape[d];
  }
  int64_t step[MCU_MAX_RANK]; /* x stride along y's dimension d */
  for (int d = 0; d < r; ++d) step[d] = xstride[perm[d]];
  const size_t es = mcu_dtype_size(x->dtype);
  const int64_t n = mcu_tensor_elements(y);
  const uint8_t *src = (const uint8_t *)x_data;
  uint8_t *dst = (uint8_t *)y_data;
  int64_t idx[MCU_MAX_RANK] = {0};
  int64_t off = 0; /* element offset in x of y's current index */
  for (int64_t e = 0; e < n; ++e) {
    memcpy(dst + (size_t)e * es, src + (size_t)off * es, es);
    for (int d = r - 1; d >= 0; --d) {
      off += step[d];
      if (++idx[d] < y->shape[d]) break;
      off -= step[d] * y->shape[d];
      idx[d] = 0;
    }
  }
  return 0;
}

/* mcu_ref_copy: the bytes of x into y (reshape, and moves between storages).
 *   x, y  any dtypes and shapes with the same byte size (mcu_tensor_bytes); the bytes are not reinterpreted.
 * Buffers must not overlap (the reference always gives every tensor its own buffer). */
int mcu_ref_copy(const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y, void *y_data) {
  if (mcu_ref_util_check_tensor(x) || mcu_ref_util_check_tensor(y)) return -1;
  const int64_t bytes = mcu_tensor_bytes(x);
  if (bytes != mcu_tensor_bytes(y)) return -1;
  if (bytes > 0) memcpy(y_data, x_data, (size_t)bytes);
  return 0;
}
