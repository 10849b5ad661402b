/* prepare_misc_util.c: TF Lite's host-side quantization arithmetic and the layer checks of the misc kernels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prepare_misc.h"

/* TF Lite's QuantizeMultiplier (double-rounding build, TFLITE_SINGLE_ROUNDING unset as in TF Lite Micro's default
 * build): frexp, round half away from zero of fraction * 2^31, 2^31 renormalised, tiny multipliers flushed. */
void mcu_misc_quantize_multiplier(double m, int32_t *out_q, int *out_shift) {
  if (m == 0.0) {
    *out_q = 0;
    *out_shift = 0;
    return;
  }
  int shift = 0;
  const double fraction = frexp(m, &shift);
  int64_t q = (int64_t)round(fraction * 2147483648.0);
  if (q == ((int64_t)1 << 31)) {
    q /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q = 0;
  }
  *out_q = (int32_t)q;
  *out_shift = shift;
}

mcu_status_t mcu_misc_softmax_scaling(double beta, double input_scale, int integer_bits, int32_t *out_q,
                                      int *out_left_shift) {
  const double max_real = 2147483647.0; /* (1 << 31) - 1 */
  double real = beta * input_scale * (double)(1 << (31 - integer_bits));
  if (real > max_real) real = max_real;
  if (!(real > 1.0))
    return mcu_status_errorf("beta * input scale = %g is too small (TF Lite needs beta * scale * 2^%d > 1)",
                             beta * input_scale, 31 - integer_bits);
  mcu_misc_quantize_multiplier(real, out_q, out_left_shift);
  if (*out_left_shift < 0) return mcu_status_errorf("softmax scaling gives a negative shift");
  return NULL;
}

int32_t mcu_misc_input_radius(int integer_bits, int left_shift, int total_bits) {
  const double max_input_rescaled = 1.0 * (double)((1 << integer_bits) - 1) *
                                    (double)((int64_t)1 << (total_bits - integer_bits)) /
                                    (double)((int64_t)1 << left_shift);
  return (int32_t)floor(max_input_rescaled);
}

mcu_status_t mcu_misc_per_tensor(const mcu_layer_t *l, const mcu_tensor_t *t, const char *what, float *out_scale,
                                 int32_t *out_zero_point) {
  if (t->num_scales != 1 || !t->scales || !t->zero_points)
    return mcu_status_errorf("layer '%s' (%s): the %s must be quantized per tensor", l->name, mcu_op_name(l->op),
                             what);
  *out_scale = (float)t->scales[0];
  *out_zero_point = t->zero_points[0];
  if (!(*out_scale > 0.0f) || isinf(*out_scale))
    return mcu_status_errorf("layer '%s' (%s): the %s scale %g is not positive and finite", l->name,
                             mcu_op_name(l->op), what, t->scales[0]);
  return NULL;
}

mcu_status_t mcu_misc_check_arity(const mcu_program_t *p, const mcu_layer_t *l, int n) {
  if (l->num_inputs != n)
    return mcu_status_errorf("layer '%s' (%s): %d inputs, expected %d", l->name, mcu_op_name(l->op), l->num_inputs,
                             n);
  for (int i = 0; i < n; ++i)
    if (l->inputs[i] < 0 || l->inputs[i] >= p->num_tensors)
      return mcu_status_errorf("layer '%s': input %d is not a tensor", l->name, i);
  if (l->output < 0 || l->output >= p->num_tensors) return mcu_status_errorf("layer '%s': bad output", l->name);
  return NULL;
}

mcu_status_t mcu_misc_set_params(mcu_kernel_call_t *call, const void *params, uint32_t size) {
  if (size > MCU_KERNEL_MAX_PARAMS) return mcu_status_errorf("kernel parameters too large (%u bytes)", size);
  memcpy(call->params, params, size);
  call->params_size = size;
  return NULL;
}

mcu_status_t mcu_misc_new_aux(mcu_kernel_call_t *call, int i, uint32_t size, void **out_table) {
  if (i < 0 || i >= MCU_KERNEL_MAX_AUX) return mcu_status_errorf("aux table %d out of range", i);
  call->aux[i] = calloc(size > 0 ? size : 1, 1);
  if (!call->aux[i]) return mcu_status_errorf("out of memory");
  call->aux_size[i] = size;
  if (call->num_aux < i + 1) call->num_aux = i + 1;
  *out_table = call->aux[i];
  return NULL;
}

mcu_status_t mcu_misc_rows(const mcu_layer_t *l, const mcu_tensor_t *t, int32_t *out_outer, int32_t *out_depth) {
  if (t->rank < 1) return mcu_status_errorf("layer '%s' (%s): the input has rank 0", l->name, mcu_op_name(l->op));
  const int64_t n = mcu_tensor_elements(t), depth = t->shape[t->rank - 1];
  if (depth < 1 || n > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): unsupported input size", l->name, mcu_op_name(l->op));
  *out_outer = (int32_t)(n / depth);
  *out_depth = (int32_t)depth;
  return NULL;
}
