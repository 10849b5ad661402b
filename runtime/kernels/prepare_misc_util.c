/* prepare_misc_util.c: the misc kernels' own host-side helpers (softmax scaling, input radius, row split). */
#include <math.h>
#include "prepare_misc.h"

mcu_status_t mcu_misc_softmax_scaling(double beta, double input_scale, int integer_bits, int32_t *out_q,
                                      int *out_left_shift) {
  const double max_real = 2147483647.0; /* (1 << 31) - 1 */
  double real = beta * input_scale * (double)(1 << (31 - integer_bits));
  if (real > max_real) real = max_real;
  if (!(real > 1.0))
    return mcu_status_errorf("beta * input scale = %g is too small (TF Lite needs beta * scale * 2^%d > 1)",
                             beta * input_scale, 31 - integer_bits);
  int32_t shift; /* real <= 2^31 - 1, so shift <= 31 */
  if (mcu_quantize_multiplier(real, 31, out_q, &shift)) return mcu_status_errorf("softmax scaling out of range");
  *out_left_shift = (int)shift;
  if (*out_left_shift < 0) return mcu_status_errorf("softmax scaling gives a negative shift");
  return NULL;
}

int32_t mcu_misc_input_radius(int integer_bits, int left_shift, int total_bits) {
  const double max_input_rescaled = 1.0 * (double)((1 << integer_bits) - 1) *
                                    (double)((int64_t)1 << (total_bits - integer_bits)) /
                                    (double)((int64_t)1 << left_shift);
  return (int32_t)floor(max_input_rescaled);
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
