/* prepare_misc_softmax.c: compile-time parameters and exp tables of the softmax and log_softmax kernels. */
#include <string.h>

#include "k_misc.h"
#include "k_fixedpoint.h"
#include "prepare_misc.h"

/* Input and output of a row-wise op: same dtype (checked by the caller's match), same shape. */
static mcu_status_t check_same_shape(const mcu_layer_t *l, const mcu_tensor_t *x, const mcu_tensor_t *y) {
  if (x->rank != y->rank || memcmp(x->shape, y->shape, sizeof(int32_t) * (size_t)x->rank) != 0)
    return mcu_status_errorf("layer '%s' (%s): input and output shapes differ", l->name, mcu_op_name(l->op));
  return NULL;
}

/* Fills the 256-entry exp table: entry d is exp_on_negative_values(SRDHM(-d * 2^left_shift, multiplier)) in
 * Q0.31 (the input in Q5.26), 0 when -d < diff_min. This is the per-element expression of TF Lite Micro's
 * softmax, evaluated once per possible int8 difference. */
static void exp_table(int32_t multiplier, int left_shift, int32_t diff_min, int32_t *out_table) {
  for (int d = 0; d < 256; ++d) {
    if (-d < diff_min) {
      out_table[d] = 0;
      continue;
    }
    const int32_t scaled = mcu_fx_srdhm((int32_t)((uint32_t)(-d) << left_shift), multiplier);
    out_table[d] = mcu_fx_exp_on_negative_values(scaled, 5);
  }
}

/* Softmax int8 -> int8: TF Lite Micro accepts only an output with scale exactly 1/256 (as float) and zero point
 * -128; int8 -> int16 would need an i16 dtype, which programs do not have. */
mcu_status_t mcu_prepare_softmax_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  float sx, sy;
  int32_t zx, zy;
  if ((s = check_same_shape(l, x, y)) || (s = mcu_prep_per_tensor(l, x, "input", &sx, &zx)) ||
      (s = mcu_prep_per_tensor(l, y, "output", &sy, &zy)))
    return s;
  if (sy != 1.0f / 256.0f || zy != -128)
    return mcu_status_errorf("layer '%s' (softmax): an int8 output must have scale 1/256 and zero point -128 "
                             "(TF Lite Micro's requirement), got scale %g and zero point %d",
                             l->name, (double)sy, (int)zy);
  mcu_k_softmax_s8_params_t prm;
  memset(&prm, 0, sizeof prm);
  if ((s = mcu_misc_rows(l, x, &prm.outer, &prm.depth))) return s;
  int left_shift;
  if ((s = mcu_misc_softmax_scaling((double)l->beta, (double)sx, 5, &prm.input_multiplier, &left_shift)))
    return mcu_status_annotatef(s, "layer '%s' (softmax): ", l->name);
  prm.input_left_shift = left_shift;
  prm.diff_min = -mcu_misc_input_radius(5, left_shift, 31);
  void *table;
  if ((s = mcu_prep_new_aux(l, call, 256 * sizeof(int32_t), &table))) return s;
  exp_table(prm.input_multiplier, left_shift, prm.diff_min, (int32_t *)table);
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}

mcu_status_t mcu_prepare_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  if ((s = check_same_shape(l, x, y))) return s;
  mcu_k_softmax_f32_params_t prm;
  memset(&prm, 0, sizeof prm);
  if ((s = mcu_misc_rows(l, x, &prm.outer, &prm.depth))) return s;
  prm.beta = l->beta;
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}

/* Log-softmax int8 -> int8: output scale 16/256 and zero point 127 (TF Lite Micro's requirement); beta is 1.
 * PreprocessLogSoftmaxScalingExp: the softmax scaling, then the reverse divisor 2^(31 - left_shift) / multiplier
 * as a multiplier below 1 with a right shift. */
mcu_status_t mcu_prepare_log_softmax_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  float sx, sy;
  int32_t zx, zy;
  if ((s = check_same_shape(l, x, y)) || (s = mcu_prep_per_tensor(l, x, "input", &sx, &zx)) ||
      (s = mcu_prep_per_tensor(l, y, "output", &sy, &zy)))
    return s;
  if (sy != 16.0f / 256.0f || zy != 127)
    return mcu_status_errorf("layer '%s' (log_softmax): an int8 output must have scale 16/256 and zero point 127 "
                             "(TF Lite Micro's requirement), got scale %g and zero point %d",
                             l->name, (double)sy, (int)zy);
  mcu_k_log_softmax_s8_params_t prm;
  memset(&prm, 0, sizeof prm);
  if ((s = mcu_misc_rows(l, x, &prm.outer, &prm.depth))) return s;
  int32_t multiplier;
  int left_shift;
  if ((s = mcu_misc_softmax_scaling(1.0, (double)sx, 5, &multiplier, &left_shift)))
    return mcu_status_annotatef(s, "layer '%s' (log_softmax): ", l->name);
  if (left_shift < 1 || left_shift > 31)
    return mcu_status_errorf("layer '%s' (log_softmax): input scale %g out of range", l->name, (double)sx);
  const double reverse = (double)((int64_t)1 << (31 - left_shift)) / (double)multiplier;
  int32_t reverse_shift;
  if (!(reverse < 1.0 && reverse > 0.0))
    return mcu_status_errorf("layer '%s' (log_softmax): reverse scaling %g not in (0, 1)", l->name, reverse);
  if (mcu_quantize_multiplier(reverse, INT32_MAX, &prm.reverse_scaling_divisor, &reverse_shift))
    return mcu_status_errorf("layer '%s' (log_softmax): reverse scaling %g out of range", l->name, reverse);
  if (reverse_shift > 0)
    return mcu_status_errorf("layer '%s' (log_softmax): reverse scaling shift %d > 0", l->name, reverse_shift);
  prm.reverse_scaling_right_shift = -reverse_shift;
  prm.diff_min = -mcu_misc_input_radius(5, left_shift, 31);
  void *t0, *t1;
  if ((s = mcu_prep_new_aux(l, call, 256 * sizeof(int32_t), &t0)) ||
      (s = mcu_prep_new_aux(l, call, 256 * sizeof(int32_t), &t1)))
    return s;
  exp_table(multiplier, left_shift, prm.diff_min, (int32_t *)t0);
  for (int d = 0; d < 256; ++d)
    ((int32_t *)t1)[d] = -d < prm.diff_min ? 0 : mcu_fx_mbqm(-d, multiplier, left_shift);
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}

mcu_status_t mcu_prepare_log_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t s = mcu_prep_check_arity(p, l, 1);
  if (s) return s;
  const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
  if ((s = check_same_shape(l, x, y))) return s;
  mcu_k_rows_params_t prm;
  if ((s = mcu_misc_rows(l, x, &prm.outer, &prm.depth))) return s;
  return mcu_prep_set_params(l, call, &prm, sizeof prm);
}
