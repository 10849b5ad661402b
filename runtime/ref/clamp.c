/* clamp.c: the reference clamp of stored values (fused Relu/Clip that could not be folded into a producer). */
#include "ref.h"
#include "ref_util.h"

/* mcu_ref_clamp: y = min(max(x, lo), hi) on stored values, element by element.
 *   x  i8, u8, i32 or f32, any rank <= 6; quantization is irrelevant (raw values are clamped).
 *   y  same dtype and shape as x.
 *   l  integers: [act_min, act_max] intersected with the type range (empty -> -1);
 *      f32: [fact_min, fact_max], both non-NaN with fact_min <= fact_max (else -1).
 * f32 comparisons are plain ordered ones: `v < lo ? lo : v`, then `v > hi ? hi : v`. So a NaN passes through
 * unchanged (as numpy.clip / ONNX Clip), and -0.0 passes unchanged when lo is +0.0 (it is not below it).
 * Weakness: that -0.0 rule differs from IEEE maxNum instructions that order -0 < +0; generated code must use
 * compares-and-selects (or prove the sign of zero cannot matter). */
int mcu_ref_clamp(const mcu_layer_t *l, const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y,
                  void *y_data) {
  if (!l || mcu_ref_util_check_tensor(x) || mcu_ref_util_check_tensor(y)) return -1;
  if (x->dtype != y->dtype || !mcu_ref_util_same_shape(x, y)) return -1;
  const int64_t n = mcu_tensor_elements(x);
  if (x->dtype == MCU_DT_F32) {
    const float lo = l->fact_min, hi = l->fact_max;
    if (!(lo <= hi)) return -1; /* also rejects NaN bounds */
    for (int64_t e = 0; e < n; ++e) {
      float v = mcu_ref_util_load_f32(x_data, e);
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      mcu_ref_util_store_f32(y_data, e, v);
    }
    return 0;
  }
  int32_t lo, hi;
  if (mcu_ref_util_act_range(x->dtype, l->act_min, l->act_max, &lo, &hi)) return -1;
  for (int64_t e = 0; e < n; ++e) {
    int32_t v = mcu_ref_util_load_int(x->dtype, x_data, e);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    mcu_ref_util_store_int(y->dtype, y_data, e, v);
  }
  return 0;
}
