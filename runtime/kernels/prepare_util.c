/* prepare_util.c: host-side helpers shared by all prepare functions (QuantizeMultiplier, params, aux, checks). */
#include "prepare_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mcu_quantize_multiplier(double real, int max_shift, int32_t *out_multiplier, int32_t *out_shift) {
  *out_multiplier = 0;
  *out_shift = 0;
  if (!isfinite(real)) return -1;
  if (real == 0.0) return 0;
  int e = 0;
  const double q = frexp(real, &e);                 /* |q| in [0.5, 1) */
  int64_t q_fixed = (int64_t)round(q * 2147483648.0); /* exact product (a power-of-two scaling); half away */
  if (q_fixed == ((int64_t)1 << 31)) {              /* q rounded up to 1.0: halve it and bump the exponent */
    q_fixed /= 2;
    ++e;
  } /* a negative multiplier may round to -2^31, which fits int32: TF Lite keeps it as is */
  if (e < -31) { /* flush tiny multipliers to zero */
    e = 0;
    q_fixed = 0;
  }
  if (e > max_shift) return -1;
  *out_multiplier = (int32_t)q_fixed;
  *out_shift = e;
  return 0;
}

int mcu_quantize_multiplier_smaller_than_one_exp(double real, int32_t *out_multiplier, int32_t *out_left_shift) {
  *out_multiplier = 0;
  *out_left_shift = 0;
  if (!(real < 1.0 && real > 0.0)) return -1;
  int32_t m, s;
  if (mcu_quantize_multiplier(real, 0, &m, &s)) return -1;
  *out_multiplier = m;
  *out_left_shift = s;
  return 0;
}

int mcu_quantize_multiplier_greater_than_one(double real, int32_t *out_multiplier, int32_t *out_left_shift) {
  *out_multiplier = 0;
  *out_left_shift = 0;
  if (!(real > 1.0)) return -1;
  int32_t m, s;
  if (mcu_quantize_multiplier(real, MCU_QM_MAX_SHIFT, &m, &s) || s < 0) return -1;
  *out_multiplier = m;
  *out_left_shift = s;
  return 0;
}

mcu_status_t mcu_prep_check_arity(const mcu_program_t *p, const mcu_layer_t *l, int n) {
  if (l->num_inputs != n)
    return mcu_status_errorf("layer '%s' (%s): %d inputs, expected %d", l->name, mcu_op_name(l->op), l->num_inputs,
                             n);
  for (int i = 0; i < n; ++i)
    if (l->inputs[i] < 0 || l->inputs[i] >= p->num_tensors)
      return mcu_status_errorf("layer '%s': input %d is not a tensor", l->name, i);
  if (l->output < 0 || l->output >= p->num_tensors) return mcu_status_errorf("layer '%s': bad output", l->name);
  return NULL;
}

/* One scale and one zero point present (the scale's value is not checked). */
static int has_one_scale(const mcu_tensor_t *t) { return t && t->num_scales == 1 && t->scales && t->zero_points; }

int mcu_prep_is_per_tensor(const mcu_tensor_t *t) {
  return has_one_scale(t) && isfinite(t->scales[0]) && t->scales[0] > 0.0;
}

mcu_status_t mcu_prep_per_tensor(const mcu_layer_t *l, const mcu_tensor_t *t, const char *what, float *out_scale,
                                 int32_t *out_zero_point) {
  if (!has_one_scale(t))
    return mcu_status_errorf("layer '%s' (%s): the %s must be quantized per tensor", l->name, mcu_op_name(l->op),
                             what);
  *out_scale = (float)t->scales[0];
  *out_zero_point = t->zero_points[0];
  /* the float32 check implies the double one: a non-positive or infinite double stays so as float */
  if (!(*out_scale > 0.0f) || isinf(*out_scale))
    return mcu_status_errorf("layer '%s' (%s): the %s scale %g is not positive and finite", l->name,
                             mcu_op_name(l->op), what, t->scales[0]);
  return NULL;
}

mcu_status_t mcu_prep_set_params(const mcu_layer_t *l, mcu_kernel_call_t *call, const void *params, uint32_t size) {
  if (size > MCU_KERNEL_MAX_PARAMS)
    return mcu_status_errorf("layer '%s': kernel parameters too large (%u bytes)", l->name, (unsigned)size);
  memcpy(call->params, params, size);
  call->params_size = size;
  return NULL;
}

mcu_status_t mcu_prep_new_aux(const mcu_layer_t *l, mcu_kernel_call_t *call, uint32_t size, void **out_table) {
  *out_table = NULL;
  if (call->num_aux < 0 || call->num_aux >= MCU_KERNEL_MAX_AUX)
    return mcu_status_errorf("layer '%s': too many kernel tables", l->name);
  uint8_t *b = calloc(size > 0 ? size : 4, 1);
  if (!b) return mcu_status_errorf("layer '%s': out of memory", l->name);
  call->aux[call->num_aux] = b;
  call->aux_size[call->num_aux] = size;
  ++call->num_aux;
  *out_table = b;
  return NULL;
}

mcu_status_t mcu_prep_size_aux(const mcu_layer_t *l, mcu_kernel_call_t *call, uint32_t size) {
  if (call->num_aux < 0 || call->num_aux >= MCU_KERNEL_MAX_AUX)
    return mcu_status_errorf("layer '%s': too many kernel tables", l->name);
  call->aux[call->num_aux] = NULL;
  call->aux_size[call->num_aux] = size;
  ++call->num_aux;
  return NULL;
}

mcu_status_t mcu_prep_add_aux_i32(const mcu_layer_t *l, mcu_kernel_call_t *call, const int32_t *v, int32_t n) {
  if (n < 0 || (uint64_t)n * 4u > UINT32_MAX) return mcu_status_errorf("layer '%s': kernel table too large", l->name);
  void *t;
  mcu_status_t s = mcu_prep_new_aux(l, call, 4 * (uint32_t)n, &t);
  if (s) return s;
  uint8_t *b = t;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n > 0) memcpy(b, v, 4 * (size_t)n); /* the host's int32 bytes are already the little-endian table */
#else
  for (int32_t i = 0; i < n; ++i) {
    const uint32_t u = (uint32_t)v[i];
    for (int k = 0; k < 4; ++k) b[4 * (size_t)i + (size_t)k] = (uint8_t)(u >> (8 * k));
  }
#endif
  return NULL;
}
