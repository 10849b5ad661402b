/* ref_util.c: operand checks and type ranges shared by the reference kernels. */
#include "ref_util.h"

int mcu_ref_util_int_range(mcu_dtype_t dt, int32_t *out_min, int32_t *out_max) {
  switch (dt) {
  case MCU_DT_I8:
    *out_min = -128;
    *out_max = 127;
    return 0;
  case MCU_DT_U8:
    *out_min = 0;
    *out_max = 255;
    return 0;
  case MCU_DT_I32:
    *out_min = INT32_MIN;
    *out_max = INT32_MAX;
    return 0;
  case MCU_DT_F32:
    break;
  }
  return -1;
}

int mcu_ref_util_act_range(mcu_dtype_t dt, int32_t act_min, int32_t act_max, int32_t *out_lo, int32_t *out_hi) {
  int32_t tmin, tmax;
  if (mcu_ref_util_int_range(dt, &tmin, &tmax)) return -1;
  int32_t lo = act_min > tmin ? act_min : tmin;
  int32_t hi = act_max < tmax ? act_max : tmax;
  if (lo > hi) return -1;
  *out_lo = lo;
  *out_hi = hi;
  return 0;
}

int mcu_ref_util_check_tensor(const mcu_tensor_t *t) {
  if (!t || t->rank < 0 || t->rank > MCU_MAX_RANK) return -1;
  size_t esize = mcu_dtype_size(t->dtype);
  if (esize == 0) return -1;
  /* Product of the dimensions with an explicit overflow check: bytes must fit in int64 and in size_t. */
  int64_t limit = INT64_MAX / 4;
  if ((uint64_t)limit > (uint64_t)SIZE_MAX / 4) limit = (int64_t)(SIZE_MAX / 4);
  int64_t n = 1;
  for (int i = 0; i < t->rank; ++i) {
    if (t->shape[i] < 0) return -1;
    if (t->shape[i] != 0 && n > limit / t->shape[i]) return -1;
    n *= t->shape[i];
  }
  if (t->num_scales == 0) return 0;
  if (t->num_scales < 0 || !t->scales || !t->zero_points) return -1;
  /* Zero points of integer storage lie in the storage range, so every (q - z) fits in 9 bits for i8/u8. */
  int32_t qmin, qmax;
  if (mcu_ref_util_int_range(t->dtype, &qmin, &qmax) == 0)
    for (int i = 0; i < t->num_scales; ++i)
      if (t->zero_points[i] < qmin || t->zero_points[i] > qmax) return -1;
  if (t->num_scales == 1) return 0;
  if (t->quant_axis < 0 || t->quant_axis >= t->rank || t->shape[t->quant_axis] != t->num_scales) return -1;
  return 0;
}

void mcu_ref_util_qparams(const mcu_tensor_t *t, int64_t i, float *out_scale, int32_t *out_zero_point) {
  int64_t k = t->num_scales == 1 ? 0 : i;
  *out_scale = (float)t->scales[k];
  *out_zero_point = t->zero_points[k];
}

int mcu_ref_util_same_shape(const mcu_tensor_t *a, const mcu_tensor_t *b) {
  if (a->rank != b->rank) return 0;
  for (int i = 0; i < a->rank; ++i)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}
