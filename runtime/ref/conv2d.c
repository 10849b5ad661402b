/* conv2d.c: the reference NHWC grouped / depthwise integer convolution (ONNX QLinearConv numerics). */
#include "ref.h"
#include "ref_util.h"

/* mcu_ref_conv2d: y = requantize(bias[o] + sum (x - zx) * (w - zw[o])), docs/ir.md "Numerics".
 *
 * Operands (all descriptors checked; anything else returns -1):
 *   x  input,  rank 4 [N, H, W, C] NHWC, i8 or u8, per-tensor scale sx / zero point zx.
 *   w  filter, rank 4 [O, KH, KW, C/G] (OHWI), i8 or u8, per-tensor or per-axis along axis 0 (one scale and
 *      one zero point per output channel o; zero points may differ per channel).
 *   b  bias,   rank 1 [O] i32 (its quantization, if any, is ignored: it is s_x * s_w[o] by construction, zero
 *      point 0), or NULL for no bias.
 *   y  output, rank 4 [N, OH, OW, O] NHWC, i8 or u8, per-tensor sy / zy, with
 *      OH = (H + pad_top + pad_bottom - dh * (KH - 1) - 1) / sh + 1 (same for W); must match exactly.
 *   l  stride[2] (h, w) >= 1, pad[4] (top, left, bottom, right) >= 0, dilation[2] (h, w) >= 1,
 *      groups G >= 1 with C % G == 0, O % G == 0 (G == C == O: depthwise); act_min/act_max on stored values,
 *      intersected with y's type range.
 * Output channel o belongs to group g = o / (O / G) and reads input channels [g * C/G, (g + 1) * C/G).
 * Padded positions hold zx, so they contribute 0 and are simply skipped.
 *
 * Accumulation: each term (x - zx) * (w - zw) is at most 255 * 255 in magnitude and is exact; the sum runs in
 * 32-bit two's complement wrapping arithmetic (done in uint32, then reinterpreted), like ONNX Runtime's int32
 * accumulators and the Cortex-M adders. It is exact (no wrap) whenever |bias| + KH*KW*C/G * 65025 < 2^31, i.e.
 * for receptive fields up to 33025 elements with zero bias; beyond that the wrapped value is the definition.
 * Requantization: M[o] = mcu_ref_requant_scale(sx, sw[o], sy), then mcu_ref_requantize (float32, half to even).
 * Weakness: a naive loop nest, O(N*OH*OW*O*KH*KW*C/G) with no blocking; it is a definition, not a fast kernel. */
int mcu_ref_conv2d(const mcu_layer_t *l, const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *w,
                   const void *w_data, const mcu_tensor_t *b, const void *b_data, const mcu_tensor_t *y,
                   void *y_data) {
  if (!l || mcu_ref_util_check_tensor(x) || mcu_ref_util_check_tensor(w) || mcu_ref_util_check_tensor(y))
    return -1;
  if (b && mcu_ref_util_check_tensor(b)) return -1;
  if (!mcu_ref_util_is_q8(x->dtype) || !mcu_ref_util_is_q8(w->dtype) || !mcu_ref_util_is_q8(y->dtype)) return -1;
  if (x->rank != 4 || w->rank != 4 || y->rank != 4) return -1;
  if (x->num_scales != 1 || y->num_scales != 1 || w->num_scales < 1) return -1;
  if (w->num_scales > 1 && w->quant_axis != 0) return -1;
  const int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3];
  const int64_t O = w->shape[0], KH = w->shape[1], KW = w->shape[2], CG = w->shape[3];
  const int64_t G = l->groups;
  const int64_t sh = l->stride[0], sw = l->stride[1], dh = l->dilation[0], dw = l->dilation[1];
  const int64_t pt = l->pad[0], pl = l->pad[1], pb = l->pad[2], pr = l->pad[3];
  if (G < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0) return -1;
  if (C % G != 0 || O % G != 0 || CG != C / G || KH < 1 || KW < 1) return -1;
  if (b && (b->dtype != MCU_DT_I32 || b->rank != 1 || b->shape[0] != O)) return -1;
  const int64_t span_h = H + pt + pb - dh * (KH - 1) - 1, span_w = W + pl + pr - dw * (KW - 1) - 1;
  if (span_h < 0 || span_w < 0) return -1;
  const int64_t OH = span_h / sh + 1, OW = span_w / sw + 1;
  if (y->shape[0] != N || y->shape[1] != OH || y->shape[2] != OW || y->shape[3] != O) return -1;
  int32_t lo, hi;
  if (mcu_ref_util_act_range(y->dtype, l->act_min, l->act_max, &lo, &hi)) return -1;

  float sx, sy;
  int32_t zx, zy;
  mcu_ref_util_qparams(x, 0, &sx, &zx);
  mcu_ref_util_qparams(y, 0, &sy, &zy);
  const int64_t OG = O / G;
  for (int64_t o = 0; o < O; ++o) {
    float swo;
    int32_t zw;
    mcu_ref_util_qparams(w, o, &swo, &zw);
    const float m = mcu_ref_requant_scale(sx, swo, sy);
    const int32_t bias = b ? mcu_ref_util_load_int(MCU_DT_I32, b_data, o) : 0;
    const int64_t c0 = (o / OG) * CG;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          uint32_t acc = (uint32_t)bias;
          for (int64_t ky = 0; ky < KH; ++ky) {
            const int64_t iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (int64_t kx = 0; kx < KW; ++kx) {
              const int64_t ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const int64_t xbase = ((n * H + iy) * W + ix) * C + c0;
              const int64_t wbase = ((o * KH + ky) * KW + kx) * CG;
              for (int64_t c = 0; c < CG; ++c) {
                const int32_t xv = mcu_ref_util_load_int(x->dtype, x_data, xbase + c) - zx;
                const int32_t wv = mcu_ref_util_load_int(w->dtype, w_data, wbase + c) - zw;
                acc += (uint32_t)(xv * wv);
              }
            }
          }
          const int32_t q = mcu_ref_requantize(mcu_ref_util_u32_to_i32(acc), m, zy, lo, hi);
          mcu_ref_util_store_int(y->dtype, y_data, ((n * OH + oy) * OW + ox) * O + o, q);
        }
  }
  return 0;
}
