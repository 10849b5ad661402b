/* cg_conv.c: emits the integer NHWC grouped / depthwise / dilated convolution of one layer as a fixed loop nest. */
#include <stdlib.h>

#include "cg_internal.h"
#include "ref.h"

/* Loop nest (every bound, stride, pad and zero point a compile-time constant):
 *
 *   for n < N, oh < OH, ow < OW, g < G, og < O/G:            o = g * O/G + og
 *     acc = bias[o]
 *     for kh < KH:   ih = oh*sh - pt + kh*dh;   if (0 <= ih < H)
 *       for kw < KW: iw = ow*sw - pl + kw*dw;   if (0 <= iw < W)
 *         for c < C/G: acc += (x[n,ih,iw,g*C/G + c] - zx) * (w[o,kh,kw,c] - zw[o])     (wrapping int32)
 *     y[n,oh,ow,o] = clamp_round(float(acc) * M[o]) + zy                                  (docs/ir.md 3-5)
 *
 * Operands: x [N,H,W,C] i8/u8 per-tensor (sx, zx); w [O,KH,KW,C/G] i8/u8 per-tensor or per-axis 0 (sw[o], zw[o]);
 * optional bias i32 [O]; y [N,OH,OW,O] i8/u8 per-tensor (sy, zy). M[o] = mcu_ref_requant_scale(sx, sw[o], sy),
 * computed here by the reference's own function so both sides use the very same float. Per-channel M and zw are
 * internal constant tables (a constant when uniform). Padded positions are skipped (they would contribute 0).
 * Why this order: NHWC output is written sequentially, the innermost c loop reads x and w contiguously, and the
 * group split avoids any division. The accumulator is an entry-block alloca that mem2reg turns into phis.
 * Known weakness: scalar code, one MAC per multiply, bounds checks inside the kernel loops, and the zero points
 * are subtracted in the inner loop instead of being folded into the bias; no SMLAD/SXTB16 yet (the kernel issue
 * adds DSP tiling later). */
mcu_status_t cg_gen_conv2d(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs < 2 || l->num_inputs > 3) return mcu_status_errorf("expects 2 or 3 inputs, got %d", l->num_inputs);
  const mcu_tensor_t *x = in[0].t, *w = in[1].t, *y = out->t, *bt = l->num_inputs > 2 ? in[2].t : NULL;
  int q8x = x->dtype == MCU_DT_I8 || x->dtype == MCU_DT_U8, q8w = w->dtype == MCU_DT_I8 || w->dtype == MCU_DT_U8;
  int q8y = y->dtype == MCU_DT_I8 || y->dtype == MCU_DT_U8;
  if (!q8x || !q8w || !q8y)
    return mcu_status_errorf("only i8/u8 convolution is supported (x %s, w %s, y %s)", mcu_dtype_name(x->dtype),
                             mcu_dtype_name(w->dtype), mcu_dtype_name(y->dtype));
  if (x->rank != 4 || w->rank != 4 || y->rank != 4) return mcu_status_errorf("input, filter and output must be rank 4");
  if (x->num_scales != 1 || y->num_scales != 1 || w->num_scales < 1 || (w->num_scales > 1 && w->quant_axis != 0))
    return mcu_status_errorf("needs per-tensor input/output and per-tensor or axis-0 filter quantization");
  const int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3];
  const int64_t O = w->shape[0], KH = w->shape[1], KW = w->shape[2], CG = w->shape[3];
  const int64_t G = l->groups, sh = l->stride[0], sw = l->stride[1], dh = l->dilation[0], dw = l->dilation[1];
  const int64_t pt = l->pad[0], pl = l->pad[1], pb = l->pad[2], pr = l->pad[3];
  if (G < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0)
    return mcu_status_errorf("bad stride, dilation, pad or groups");
  if (C % G || O % G || CG != C / G || KH < 1 || KW < 1)
    return mcu_status_errorf("filter [%lld,%lld,%lld,%lld] does not fit %lld input channels in %lld groups",
                             (long long)O, (long long)KH, (long long)KW, (long long)CG, (long long)C, (long long)G);
  if (bt && (bt->dtype != MCU_DT_I32 || bt->rank != 1 || bt->shape[0] != O))
    return mcu_status_errorf("bias must be i32 [%lld]", (long long)O);
  const int64_t span_h = H + pt + pb - dh * (KH - 1) - 1, span_w = W + pl + pr - dw * (KW - 1) - 1;
  if (span_h < 0 || span_w < 0) return mcu_status_errorf("the filter is larger than the padded input");
  const int64_t OH = span_h / sh + 1, OW = span_w / sw + 1;
  if (y->shape[0] != N || y->shape[1] != OH || y->shape[2] != OW || y->shape[3] != O)
    return mcu_status_errorf("output shape is not [%lld,%lld,%lld,%lld]", (long long)N, (long long)OH,
                             (long long)OW, (long long)O);
  /* Index arithmetic is i32: the padded coordinates must fit too. */
  if (H + pt + pb > INT32_MAX / 2 || W + pl + pr > INT32_MAX / 2) return mcu_status_errorf("padding too large");
  int32_t lo, hi;
  if (cg_act_range(y->dtype, l->act_min, l->act_max, &lo, &hi))
    return mcu_status_errorf("empty activation range [%d, %d]", l->act_min, l->act_max);
  if (mcu_tensor_elements(y) == 0) return NULL;

  const int32_t zx = x->zero_points[0], zy = y->zero_points[0];
  float *mult = malloc((size_t)O * sizeof *mult);
  int32_t *zw = malloc((size_t)O * sizeof *zw);
  if (!mult || !zw) {
    free(mult);
    free(zw);
    return mcu_status_errorf("out of memory");
  }
  for (int64_t o = 0; o < O; ++o) {
    int k = w->num_scales > 1 ? (int)o : 0;
    zw[o] = w->zero_points[k];
    mult[o] = mcu_ref_requant_scale(x->scales[0], w->scales[k], y->scales[0]);
  }

  const int64_t OG = O / G;
  LLVMValueRef acc_slot = cg_entry_alloca(cg, cg->t_i32, "acc");
  cg_loop_t ln, loh, low, lg, log_, lkh, lkw, lc;
  LLVMValueRef n = cg_loop_begin(cg, &ln, (int32_t)N, "n");
  LLVMValueRef oh = cg_loop_begin(cg, &loh, (int32_t)OH, "oh");
  LLVMValueRef ow = cg_loop_begin(cg, &low, (int32_t)OW, "ow");
  LLVMValueRef y_row = cg_mulk(cg, cg_mad(cg, cg_mad(cg, n, OH, oh), OW, ow), O); /* y index of o = 0 */
  LLVMValueRef ih0 = cg_addk(cg, cg_mulk(cg, oh, sh), -pt);
  LLVMValueRef iw0 = cg_addk(cg, cg_mulk(cg, ow, sw), -pl);
  LLVMValueRef g = cg_loop_begin(cg, &lg, (int32_t)G, "g");
  LLVMValueRef og = cg_loop_begin(cg, &log_, (int32_t)OG, "og");
  LLVMValueRef o = cg_mad(cg, g, OG, og);
  LLVMValueRef bias = bt ? cg_load(cg, &in[2], o) : cg_i32(cg, 0);
  LLVMBuildStore(cg->b, bias, acc_slot);
  LLVMValueRef zwo = cg_table_i32(cg, "zw", zw, (int)O, o);
  LLVMValueRef mo = cg_table_f32(cg, "mult", mult, (int)O, o);

  LLVMValueRef kh = cg_loop_begin(cg, &lkh, (int32_t)KH, "kh");
  LLVMValueRef ih = cg_add(cg, ih0, cg_mulk(cg, kh, dh));
  /* 0 <= ih < H as one unsigned compare. */
  LLVMBasicBlockRef join_h, join_w;
  cg_if_begin(cg, LLVMBuildICmp(cg->b, LLVMIntULT, ih, cg_i32(cg, H), ""), "inh", &join_h);
  LLVMValueRef kw = cg_loop_begin(cg, &lkw, (int32_t)KW, "kw");
  LLVMValueRef iw = cg_add(cg, iw0, cg_mulk(cg, kw, dw));
  cg_if_begin(cg, LLVMBuildICmp(cg->b, LLVMIntULT, iw, cg_i32(cg, W), ""), "inw", &join_w);
  LLVMValueRef x_base = cg_mad(cg, cg_mad(cg, cg_mad(cg, n, H, ih), W, iw), C, cg_mulk(cg, g, CG));
  LLVMValueRef w_base = cg_mulk(cg, cg_mad(cg, cg_mad(cg, o, KH, kh), KW, kw), CG);
  LLVMValueRef c = cg_loop_begin(cg, &lc, (int32_t)CG, "c");
  LLVMValueRef xv = LLVMBuildSub(cg->b, cg_load(cg, &in[0], cg_add(cg, x_base, c)), cg_i32(cg, zx), "");
  LLVMValueRef wv = LLVMBuildSub(cg->b, cg_load(cg, &in[1], cg_add(cg, w_base, c)), zwo, "");
  LLVMValueRef acc = LLVMBuildLoad2(cg->b, cg->t_i32, acc_slot, "");
  acc = LLVMBuildAdd(cg->b, acc, LLVMBuildMul(cg->b, xv, wv, ""), ""); /* wrapping, as the reference */
  LLVMBuildStore(cg->b, acc, acc_slot);
  cg_loop_end(cg, &lc);
  cg_if_end(cg, join_w);
  cg_loop_end(cg, &lkw);
  cg_if_end(cg, join_h);
  cg_loop_end(cg, &lkh);

  acc = LLVMBuildLoad2(cg->b, cg->t_i32, acc_slot, "");
  LLVMValueRef v = LLVMBuildFMul(cg->b, LLVMBuildSIToFP(cg->b, acc, cg->t_f32, ""), mo, "");
  cg_store(cg, out, cg_add(cg, y_row, o), cg_clamp_round(cg, v, lo - zy, hi - zy, zy));
  cg_loop_end(cg, &log_);
  cg_loop_end(cg, &lg);
  cg_loop_end(cg, &low);
  cg_loop_end(cg, &loh);
  cg_loop_end(cg, &ln);
  free(mult);
  free(zw);
  return NULL;
}
