/* prepare_tflite_shape.c: parameters of the PAD, CONCAT and MEAN kernels. */
#include <string.h>

#include "k_tflite.h"
#include "prepare_tflite.h"
#include "prepare_util.h"

/* Which TF Lite Micro generation's int8 MEAN to reproduce. 0 (default): current TF Lite Micro (reduce_common.cc:
 * EvalIntegerMean: equal qparams -> integer mean with truncating division, else QuantizedMeanOrSum's float path).
 * 1: older TF Lite Micro (reduce.cc, 2021-2022), which sends a 4-D input reduced over axes {1, 2} with keep_dims to
 * reference_integer_ops::Mean (MultiplyByQuantizedMultiplier then a rounded division) and everything else to the
 * two paths above. */
#ifndef MCU_TFL_MEAN_LEGACY
#define MCU_TFL_MEAN_LEGACY 0
#endif

/* ---- PAD: exact data movement, any numerics ---- */

int mcu_tfl_match_pad(const mcu_program_t *p, const mcu_layer_t *l) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *y = mcu_tfl_out(p, l);
  return l->op == MCU_OP_PAD && l->num_inputs == 1 && x && y && x->dtype == y->dtype;
}

mcu_status_t mcu_tfl_prepare_pad(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *y = mcu_tfl_out(p, l);
  mcu_k_pad_params_t k;
  memset(&k, 0, sizeof k);
  if (x->rank != y->rank || x->rank > MCU_K_RANK || mcu_tensor_elements(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s': pad ranks differ or tensor too large", l->name);
  const int lead = MCU_K_RANK - x->rank;
  for (int d = 0; d < MCU_K_RANK; ++d) {
    k.in_shape[d] = k.out_shape[d] = 1;
    if (d < lead) continue;
    const int s = d - lead;
    if (l->pad_before[s] < 0 || l->pad_after[s] < 0 ||
        (int64_t)x->shape[s] + l->pad_before[s] + l->pad_after[s] != y->shape[s])
      return mcu_status_errorf("layer '%s': pad amounts do not match the output shape", l->name);
    k.in_shape[d] = x->shape[s];
    k.out_shape[d] = y->shape[s];
    k.before[d] = l->pad_before[s];
  }
  k.elem_size = (int32_t)mcu_dtype_size(x->dtype);
  if (x->dtype == MCU_DT_F32) {
    uint32_t u;
    memcpy(&u, &l->fpad_value, 4);
    k.value = u >= 0x80000000u ? (int32_t)(u - 0x80000000u) - INT32_MAX - 1 : (int32_t)u; /* the bit pattern */
  } else {
    k.value = l->pad_value;
  }
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- CONCAT: byte copy (TF Lite Micro never requantizes) ---- */

static int same_qparams(const mcu_tensor_t *a, const mcu_tensor_t *b) {
  if (a->num_scales != b->num_scales) return 0;
  for (int i = 0; i < a->num_scales; ++i)
    if ((float)a->scales[i] != (float)b->scales[i] || a->zero_points[i] != b->zero_points[i]) return 0;
  return 1;
}

int mcu_tfl_match_concat(const mcu_program_t *p, const mcu_layer_t *l) {
  const mcu_tensor_t *a = mcu_tfl_in(p, l, 0), *b = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  if (l->op != MCU_OP_CONCAT || l->num_inputs != 2 || !a || !b || !y) return 0;
  if (a->dtype != y->dtype || b->dtype != y->dtype) return 0;
  /* Under ONNX numerics only a plain copy is certain to be right (QLinearConcat would requantize). */
  return l->numerics == MCU_NUMERICS_TFLITE || (same_qparams(a, y) && same_qparams(b, y));
}

mcu_status_t mcu_tfl_prepare_concat(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *a = mcu_tfl_in(p, l, 0), *b = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  const int ax = l->axis;
  if (a->rank != y->rank || b->rank != y->rank || ax < 0 || ax >= y->rank || mcu_tensor_bytes(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s': bad concat axis or ranks", l->name);
  int64_t outer = 1, ia = 1, ib = 1;
  for (int d = 0; d < y->rank; ++d) {
    if (d != ax && (a->shape[d] != y->shape[d] || b->shape[d] != y->shape[d]))
      return mcu_status_errorf("layer '%s': concat shapes differ off the axis", l->name);
    if (d < ax) outer *= y->shape[d];
    else ia *= a->shape[d], ib *= b->shape[d];
  }
  if (a->shape[ax] + (int64_t)b->shape[ax] != y->shape[ax])
    return mcu_status_errorf("layer '%s': concat sizes do not add up", l->name);
  mcu_k_concat_params_t k;
  k.outer = (int32_t)outer;
  k.a_bytes = (int32_t)(ia * (int64_t)mcu_dtype_size(y->dtype));
  k.b_bytes = (int32_t)(ib * (int64_t)mcu_dtype_size(y->dtype));
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- MEAN ---- */

int mcu_tfl_match_mean(const mcu_program_t *p, const mcu_layer_t *l) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *y = mcu_tfl_out(p, l);
  if (l->op != MCU_OP_MEAN || l->numerics != MCU_NUMERICS_TFLITE || l->num_inputs != 1 || !x || !y) return 0;
  return (x->dtype == MCU_DT_I8 && y->dtype == MCU_DT_I8) || (x->dtype == MCU_DT_F32 && y->dtype == MCU_DT_F32);
}

mcu_status_t mcu_tfl_prepare_mean(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *y = mcu_tfl_out(p, l);
  mcu_k_mean_params_t k;
  memset(&k, 0, sizeof k);
  if (x->rank > MCU_K_RANK || (l->axes_mask >> x->rank) != 0 || mcu_tensor_elements(x) > INT32_MAX)
    return mcu_status_errorf("layer '%s': mean axes out of range", l->name);
  int32_t stride[MCU_MAX_RANK];
  int64_t s = 1, kept = 1, count = 1;
  for (int d = x->rank - 1; d >= 0; --d) {
    stride[d] = (int32_t)s;
    s *= x->shape[d];
  }
  for (int d = 0; d < x->rank; ++d) {
    if (l->axes_mask & (1u << d)) {
      k.red_size[k.n_red] = x->shape[d];
      k.red_stride[k.n_red++] = stride[d];
      count *= x->shape[d];
    } else {
      k.kept_size[k.n_kept] = x->shape[d];
      k.kept_stride[k.n_kept++] = stride[d];
      kept *= x->shape[d];
    }
  }
  if (count < 1 || kept != mcu_tensor_elements(y))
    return mcu_status_errorf("layer '%s': mean output size mismatch or nothing to reduce", l->name);
  k.count = (int32_t)count;
  if (x->dtype == MCU_DT_F32) {
    k.mode = MCU_K_MEAN_F32;
    return mcu_prep_set_params(l, call, &k, sizeof k);
  }
  if (!mcu_prep_is_per_tensor(x) || !mcu_prep_is_per_tensor(y))
    return mcu_status_errorf("layer '%s': mean needs per-tensor quantization", l->name);
  const float si = (float)x->scales[0], so = (float)y->scales[0];
  k.input_zero_point = x->zero_points[0];
  k.output_zero_point = y->zero_points[0];
  k.scale = si / so;
  if (mcu_quantize_multiplier((double)si / (double)so, MCU_QM_MAX_SHIFT, &k.multiplier, &k.shift))
    return mcu_status_errorf("layer '%s': mean scale out of range", l->name);
  /* keep_dims: the output has the input's rank (reduced dimensions kept as 1). */
  const int axes_1_2 = x->rank == 4 && l->axes_mask == 0x6u && y->rank == 4;
  if (MCU_TFL_MEAN_LEGACY && axes_1_2) k.mode = MCU_K_MEAN_INT_4D;
  else if (si == so && k.input_zero_point == k.output_zero_point) k.mode = MCU_K_MEAN_SAME_QPARAMS;
  else k.mode = MCU_K_MEAN_FLOAT_RESCALE;
  return mcu_prep_set_params(l, call, &k, sizeof k);
}
