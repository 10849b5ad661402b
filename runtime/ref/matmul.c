/* matmul.c: the reference batched integer matmul with numpy broadcasting (ONNX QLinearMatMul numerics). */
#include "ref.h"
#include "ref_util.h"

/* Size of batch dimension d (0 = outermost of the output's ry - 2 batch dimensions) of an operand of rank r,
 * right-aligned as numpy does: missing leading dimensions are 1. */
static int64_t batch_dim(const mcu_tensor_t *t, int ry, int d) {
  int k = d - (ry - t->rank);
  return k >= 0 ? t->shape[k] : 1;
}

/* mcu_ref_matmul: y[..., i, j] = requantize(sum_k (a[..., i, k] - za) * (b[..., k, j] - zb[j])).
 *
 * Operands (all descriptors checked; anything else returns -1):
 *   a  rank >= 2 [..., M, K], i8 or u8, per-tensor sa / za.
 *   b  rank >= 2 [..., K, N], i8 or u8, per-tensor, or per-axis along its last dimension (quant_axis = rank-1,
 *      N scales and zero points: one per output column j).
 *   y  rank max(rank a, rank b) [..., M, N], i8 or u8, per-tensor sy / zy. Batch dimensions (all but the last
 *      two) follow numpy broadcasting: right-aligned, missing ones are 1, equal sizes or one of them 1; y's
 *      batch dimensions must be exactly the broadcast result.
 *   l  act_min/act_max on stored values, intersected with y's type range (strides, pads etc. unused).
 * No bias (QLinearMatMul has none). Row-major everywhere, last dimension fastest.
 *
 * Accumulation: exact int32 for K <= 33025 (each term at most 65025 in magnitude); beyond that 32-bit wrapping
 * (computed in uint32), like ONNX Runtime's int32 accumulators and the Cortex-M adders.
 * Requantization: M[j] = mcu_ref_requant_scale(sa, sb[j], sy), then mcu_ref_requantize (float32, half to even).
 * Weakness: naive loops, O(batch * M * N * K); a definition, not a fast kernel. */
int mcu_ref_matmul(const mcu_layer_t *l, const mcu_tensor_t *a, const void *a_data, const mcu_tensor_t *b,
                   const void *b_data, const mcu_tensor_t *y, void *y_data) {
  if (!l || mcu_ref_util_check_tensor(a) || mcu_ref_util_check_tensor(b) || mcu_ref_util_check_tensor(y))
    return -1;
  if (!mcu_ref_util_is_q8(a->dtype) || !mcu_ref_util_is_q8(b->dtype) || !mcu_ref_util_is_q8(y->dtype)) return -1;
  if (a->rank < 2 || b->rank < 2) return -1;
  const int ry = a->rank > b->rank ? a->rank : b->rank;
  if (y->rank != ry) return -1;
  if (a->num_scales != 1 || y->num_scales != 1 || b->num_scales < 1) return -1;
  if (b->num_scales > 1 && b->quant_axis != b->rank - 1) return -1;
  const int64_t M = a->shape[a->rank - 2], K = a->shape[a->rank - 1];
  const int64_t N = b->shape[b->rank - 1];
  if (b->shape[b->rank - 2] != K || y->shape[ry - 2] != M || y->shape[ry - 1] != N) return -1;

  /* Batch shape and per-operand batch strides (in matrices; 0 along a broadcast dimension). */
  const int nb = ry - 2;
  int64_t bshape[MCU_MAX_RANK], astride[MCU_MAX_RANK], bstride[MCU_MAX_RANK];
  int64_t as = 1, bs = 1, batches = 1;
  for (int d = nb - 1; d >= 0; --d) {
    const int64_t ad = batch_dim(a, ry, d), bd = batch_dim(b, ry, d);
    int64_t yd;
    if (ad == bd) yd = ad;
    else if (ad == 1) yd = bd;
    else if (bd == 1) yd = ad;
    else return -1;
    if (y->shape[d] != yd) return -1;
    bshape[d] = yd;
    astride[d] = ad == 1 ? 0 : as;
    bstride[d] = bd == 1 ? 0 : bs;
    as *= ad;
    bs *= bd;
    batches *= yd;
  }
  int32_t lo, hi;
  if (mcu_ref_util_act_range(y->dtype, l->act_min, l->act_max, &lo, &hi)) return -1;

  float sa, sy;
  int32_t za, zy;
  mcu_ref_util_qparams(a, 0, &sa, &za);
  mcu_ref_util_qparams(y, 0, &sy, &zy);
  int64_t idx[MCU_MAX_RANK] = {0};
  for (int64_t t = 0; t < batches; ++t) {
    int64_t amat = 0, bmat = 0;
    for (int d = 0; d < nb; ++d) {
      amat += idx[d] * astride[d];
      bmat += idx[d] * bstride[d];
    }
    for (int64_t j = 0; j < N; ++j) {
      float sbj;
      int32_t zb;
      mcu_ref_util_qparams(b, j, &sbj, &zb);
      const float m = mcu_ref_requant_scale(sa, sbj, sy);
      for (int64_t i = 0; i < M; ++i) {
        uint32_t acc = 0;
        for (int64_t k = 0; k < K; ++k) {
          const int32_t av = mcu_ref_util_load_int(a->dtype, a_data, (amat * M + i) * K + k) - za;
          const int32_t bv = mcu_ref_util_load_int(b->dtype, b_data, (bmat * K + k) * N + j) - zb;
          acc += (uint32_t)(av * bv);
        }
        const int32_t q = mcu_ref_requantize(mcu_ref_util_u32_to_i32(acc), m, zy, lo, hi);
        mcu_ref_util_store_int(y->dtype, y_data, (t * M + i) * N + j, q);
      }
    }
    for (int d = nb - 1; d >= 0; --d) { /* next batch index, last dimension fastest */
      if (++idx[d] < bshape[d]) break;
      idx[d] = 0;
    }
  }
  return 0;
}
