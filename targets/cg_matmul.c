/* cg_matmul.c: emits the batched integer matmul of one layer (numpy batch broadcasting) as a fixed loop nest. */
#include <stdlib.h>

#include "cg_internal.h"
#include "ref.h"

/* Loop nest (every bound, broadcast stride and zero point a compile-time constant):
 *
 *   for d0 < B0, ..., d(nb-1) < B(nb-1):         batch dims of y; a and b step 0 along broadcast dims
 *     for i < M, j < N:
 *       acc = sum_k (a[amat, i, k] - za) * (b[bmat, k, j] - zb[j])                   (wrapping int32)
 *       y[t, i, j] = clamp_round(float(acc) * M[j]) + zy                               (docs/ir.md 3-5)
 *
 * Operands: a [..., M, K] i8/u8 per-tensor (sa, za); b [..., K, N] i8/u8 per-tensor or per-axis along its last
 * dimension (sb[j], zb[j]); y [..., M, N] i8/u8 per-tensor (sy, zy), rank max(rank a, rank b), batch dims the
 * numpy broadcast of a's and b's (right-aligned, missing ones 1). M[j] = mcu_ref_requant_scale(sa, sb[j], sy).
 * Why: it is the reference's definition with the broadcast resolved at compile time into per-dimension strides.
 * Known weakness: scalar, one MAC per multiply, b read with stride N in the inner loop (no packing or transposed
 * copy of b), zero points subtracted in the inner loop; no SMLAD tiling yet (the kernel issue adds it). */
mcu_status_t cg_gen_matmul(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs != 2) return mcu_status_errorf("expects 2 inputs, got %d", l->num_inputs);
  const mcu_tensor_t *a = in[0].t, *b = in[1].t, *y = out->t;
  int q8a = a->dtype == MCU_DT_I8 || a->dtype == MCU_DT_U8, q8b = b->dtype == MCU_DT_I8 || b->dtype == MCU_DT_U8;
  int q8y = y->dtype == MCU_DT_I8 || y->dtype == MCU_DT_U8;
  if (!q8a || !q8b || !q8y)
    return mcu_status_errorf("only i8/u8 matmul is supported (a %s, b %s, y %s)", mcu_dtype_name(a->dtype),
                             mcu_dtype_name(b->dtype), mcu_dtype_name(y->dtype));
  if (a->rank < 2 || b->rank < 2) return mcu_status_errorf("operands must have rank >= 2");
  const int ry = a->rank > b->rank ? a->rank : b->rank;
  if (y->rank != ry) return mcu_status_errorf("output rank %d, expected %d", y->rank, ry);
  if (a->num_scales != 1 || y->num_scales != 1 || b->num_scales < 1 ||
      (b->num_scales > 1 && b->quant_axis != b->rank - 1))
    return mcu_status_errorf("needs per-tensor a/y and per-tensor or last-axis b quantization");
  const int64_t M = a->shape[a->rank - 2], K = a->shape[a->rank - 1], N = b->shape[b->rank - 1];
  if (b->shape[b->rank - 2] != K || y->shape[ry - 2] != M || y->shape[ry - 1] != N)
    return mcu_status_errorf("shapes do not agree on M, K, N");
  const int nb = ry - 2;
  int64_t bshape[MCU_MAX_RANK], astride[MCU_MAX_RANK], bstride[MCU_MAX_RANK], ystride[MCU_MAX_RANK];
  int64_t as = 1, bs = 1, ys = 1;
  for (int d = nb - 1; d >= 0; --d) {
    int ka = d - (ry - a->rank), kb = d - (ry - b->rank);
    int64_t ad = ka >= 0 ? a->shape[ka] : 1, bd = kb >= 0 ? b->shape[kb] : 1, yd;
    if (ad == bd || bd == 1)
      yd = ad;
    else if (ad == 1)
      yd = bd;
    else
      return mcu_status_errorf("batch dimension %d does not broadcast (%lld vs %lld)", d, (long long)ad,
                               (long long)bd);
    if (y->shape[d] != yd) return mcu_status_errorf("output batch dimension %d is not %lld", d, (long long)yd);
    bshape[d] = yd;
    astride[d] = ad == 1 ? 0 : as;
    bstride[d] = bd == 1 ? 0 : bs;
    ystride[d] = ys;
    as *= ad;
    bs *= bd;
    ys *= yd;
  }
  int32_t lo, hi;
  if (cg_act_range(y->dtype, l->act_min, l->act_max, &lo, &hi))
    return mcu_status_errorf("empty activation range [%d, %d]", l->act_min, l->act_max);
  if (mcu_tensor_elements(y) == 0) return NULL;

  const int32_t za = a->zero_points[0], zy = y->zero_points[0];
  float *mult = malloc((size_t)N * sizeof *mult);
  int32_t *zb = malloc((size_t)N * sizeof *zb);
  if (!mult || !zb) {
    free(mult);
    free(zb);
    return mcu_status_errorf("out of memory");
  }
  for (int64_t j = 0; j < N; ++j) {
    int k = b->num_scales > 1 ? (int)j : 0;
    zb[j] = b->zero_points[k];
    mult[j] = mcu_ref_requant_scale(a->scales[0], b->scales[k], y->scales[0]);
  }

  LLVMValueRef acc_slot = cg_entry_alloca(cg, cg->t_i32, "acc");
  cg_loop_t lb[MCU_MAX_RANK], li, lj, lk;
  LLVMValueRef amat = cg_i32(cg, 0), bmat = cg_i32(cg, 0), ymat = cg_i32(cg, 0);
  for (int d = 0; d < nb; ++d) {
    LLVMValueRef iv = cg_loop_begin(cg, &lb[d], (int32_t)bshape[d], "batch");
    amat = cg_add(cg, amat, cg_mulk(cg, iv, astride[d] * M * K));
    bmat = cg_add(cg, bmat, cg_mulk(cg, iv, bstride[d] * K * N));
    ymat = cg_add(cg, ymat, cg_mulk(cg, iv, ystride[d] * M * N));
  }
  LLVMValueRef i = cg_loop_begin(cg, &li, (int32_t)M, "i");
  LLVMValueRef a_row = cg_mad(cg, i, K, amat);
  LLVMValueRef y_row = cg_mad(cg, i, N, ymat);
  LLVMValueRef j = cg_loop_begin(cg, &lj, (int32_t)N, "j");
  LLVMValueRef zbj = cg_table_i32(cg, "zb", zb, (int)N, j);
  LLVMValueRef mj = cg_table_f32(cg, "mult", mult, (int)N, j);
  LLVMValueRef b_col = cg_add(cg, bmat, j);
  LLVMBuildStore(cg->b, cg_i32(cg, 0), acc_slot);
  if (K > 0) {
    LLVMValueRef k = cg_loop_begin(cg, &lk, (int32_t)K, "k");
    LLVMValueRef av = LLVMBuildSub(cg->b, cg_load(cg, &in[0], cg_add(cg, a_row, k)), cg_i32(cg, za), "");
    LLVMValueRef bv = LLVMBuildSub(cg->b, cg_load(cg, &in[1], cg_mad(cg, k, N, b_col)), zbj, "");
    LLVMValueRef acc = LLVMBuildLoad2(cg->b, cg->t_i32, acc_slot, "");
    acc = LLVMBuildAdd(cg->b, acc, LLVMBuildMul(cg->b, av, bv, ""), ""); /* wrapping, as the reference */
    LLVMBuildStore(cg->b, acc, acc_slot);
    cg_loop_end(cg, &lk);
  }
  LLVMValueRef acc = LLVMBuildLoad2(cg->b, cg->t_i32, acc_slot, "");
  LLVMValueRef v = LLVMBuildFMul(cg->b, LLVMBuildSIToFP(cg->b, acc, cg->t_f32, ""), mj, "");
  cg_store(cg, out, cg_add(cg, y_row, j), cg_clamp_round(cg, v, lo - zy, hi - zy, zy));
  cg_loop_end(cg, &lj);
  cg_loop_end(cg, &li);
  for (int d = nb - 1; d >= 0; --d) cg_loop_end(cg, &lb[d]);
  free(mult);
  free(zb);
  return NULL;
}
