/* k_mean.c: TF Lite Micro-exact MEAN over any set of axes, int8 and float32. */
#include <math.h>
#include <stdint.h>

#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* For each output element (the kept dimensions in row-major order) the kernel sums the reduced elements in
 * row-major order (the order TF Lite's ReduceSumImpl adds them into each output), then, by `mode`:
 * - MCU_K_MEAN_SAME_QPARAMS (int8, input and output scale and zero point equal; current TF Lite Micro
 *   EvalIntegerMean -> reference_ops::Mean<int8_t, int32_t>): y = sum / count, C integer division (truncation
 *   toward zero) of the raw stored values, zero points included.
 * - MCU_K_MEAN_FLOAT_RESCALE (int8, different qparams; reference_ops::QuantizedMeanOrSum, compute_sum = false):
 *   scale = (float)s_in / (float)s_out, bias = (float)(-z_in) * scale, mean = (float)sum / (float)count,
 *   y = clamp(roundf(mean * scale + bias) + (float)z_out, -128.0f, 127.0f), all float32 (no fused multiply-add),
 *   converted to int8 by truncation.
 * - MCU_K_MEAN_INT_4D (reference_integer_ops::Mean, used by older TF Lite Micro for 4-D inputs reduced over axes
 *   {1, 2} with keep_dims): acc = sum (x - z_in); acc = MultiplyByQuantizedMultiplier(acc, m, s) with (m, s) =
 *   QuantizeMultiplier((double)s_in / (double)s_out); acc = acc > 0 ? (acc + count / 2) / count
 *   : (acc - count / 2) / count (C division); y = clamp(acc + z_out, -128, 127).
 * - MCU_K_MEAN_F32: float32 sum from 0.0f, then sum / (float)count (reference_ops::Mean, both its 4-D and general
 *   forms).
 * Params: mcu_k_mean_params_t; in0: input, out: output (count_out elements). Weakness: the int32 sum wraps beyond
 * 2^31 / 128 reduced elements, as on the target. */
void mcu_k_mean(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_mean_params_t *p = (const mcu_k_mean_params_t *)params;
  const int8_t *x = (const int8_t *)in0;
  int32_t kept_total = 1;
  for (int d = 0; d < p->n_kept; ++d) kept_total *= p->kept_size[d];
  int32_t kidx[MCU_K_RANK] = {0, 0, 0, 0, 0, 0};
  for (int32_t o = 0; o < kept_total; ++o) {
    int32_t base = 0;
    for (int d = 0; d < p->n_kept; ++d) base += kidx[d] * p->kept_stride[d];
    int32_t ridx[MCU_K_RANK] = {0, 0, 0, 0, 0, 0};
    int32_t isum = 0;
    float fsum = 0.0f;
    for (int32_t r = 0; r < p->count; ++r) {
      int32_t off = base;
      for (int d = 0; d < p->n_red; ++d) off += ridx[d] * p->red_stride[d];
      if (p->mode == MCU_K_MEAN_F32) fsum += mcu_km_f32(in0, off);
      else if (p->mode == MCU_K_MEAN_INT_4D) isum += (int32_t)x[off] - p->input_zero_point;
      else isum += (int32_t)x[off];
      for (int d = p->n_red - 1; d >= 0; --d) {
        if (++ridx[d] < p->red_size[d]) break;
        ridx[d] = 0;
      }
    }
    if (p->mode == MCU_K_MEAN_F32) {
      mcu_km_set_f32(out, o, fsum / (float)p->count);
    } else if (p->mode == MCU_K_MEAN_SAME_QPARAMS) {
      ((int8_t *)out)[o] = (int8_t)(isum / p->count);
    } else if (p->mode == MCU_K_MEAN_FLOAT_RESCALE) {
      const float bias = (float)(-p->input_zero_point) * p->scale;
      const float mean = (float)isum / (float)p->count;
      float r = roundf(mean * p->scale + bias) + (float)p->output_zero_point;
      r = r < 127.0f ? r : 127.0f;
      r = r > -128.0f ? r : -128.0f;
      ((int8_t *)out)[o] = (int8_t)mcu_fx_f2i_sat(r);
    } else {
      int32_t acc = mcu_fx_mbqm(isum, p->multiplier, p->shift);
      acc = acc > 0 ? (acc + p->count / 2) / p->count : (acc - p->count / 2) / p->count;
      ((int8_t *)out)[o] = (int8_t)mcu_fx_clamp(acc + p->output_zero_point, -128, 127);
    }
    for (int d = p->n_kept - 1; d >= 0; --d) {
      if (++kidx[d] < p->kept_size[d]) break;
      kidx[d] = 0;
    }
  }
  (void)aux0;
  (void)aux1;
  (void)in1;
  (void)in2;
}
