/* prepare_tflite_util.c: shared host-side helpers of the TF Lite kernels' prepare functions. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "k_tflite.h"
#include "prepare_tflite.h"

const mcu_tensor_t *mcu_tfl_in(const mcu_program_t *p, const mcu_layer_t *l, int i) {
  if (i < 0 || i >= l->num_inputs || l->inputs[i] < 0 || l->inputs[i] >= p->num_tensors) return NULL;
  return &p->tensors[l->inputs[i]];
}

const mcu_tensor_t *mcu_tfl_out(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->output < 0 || l->output >= p->num_tensors) return NULL;
  return &p->tensors[l->output];
}

int mcu_tfl_is(const mcu_tensor_t *t, mcu_dtype_t dt) { return t && t->dtype == dt; }

mcu_status_t mcu_tfl_act_range_q8(const mcu_layer_t *l, mcu_dtype_t dt, int32_t *out_lo, int32_t *out_hi) {
  int32_t lo, hi;
  if (dt == MCU_DT_I8) lo = -128, hi = 127;
  else if (dt == MCU_DT_U8) lo = 0, hi = 255;
  else return mcu_status_errorf("layer '%s': output must be i8 or u8", l->name);
  if (l->act_min > lo) lo = l->act_min;
  if (l->act_max < hi) hi = l->act_max;
  if (lo > hi) return mcu_status_errorf("layer '%s': empty activation range", l->name);
  *out_lo = lo;
  *out_hi = hi;
  return NULL;
}

void mcu_tfl_act_range_f32(const mcu_layer_t *l, float *out_lo, float *out_hi) {
  *out_lo = isinf(l->fact_min) && l->fact_min < 0 ? -FLT_MAX : l->fact_min;
  *out_hi = isinf(l->fact_max) && l->fact_max > 0 ? FLT_MAX : l->fact_max;
}

mcu_status_t mcu_tfl_count(const mcu_layer_t *l, const mcu_tensor_t *t, int32_t *out_n) {
  const int64_t n = mcu_tensor_elements(t);
  if (n < 0 || n > INT32_MAX) return mcu_status_errorf("layer '%s': tensor too large", l->name);
  *out_n = (int32_t)n;
  return NULL;
}

mcu_status_t mcu_tfl_broadcast(const mcu_layer_t *l, const mcu_tensor_t *a, const mcu_tensor_t *b,
                               const mcu_tensor_t *y, void *out_bcast) {
  mcu_k_bcast_t bc;
  memset(&bc, 0, sizeof bc);
  if (a->rank > MCU_K_RANK || b->rank > MCU_K_RANK || y->rank > MCU_K_RANK || a->rank > y->rank ||
      b->rank > y->rank)
    return mcu_status_errorf("layer '%s': broadcast ranks unsupported", l->name);
  int64_t sa = 1, sb = 1;
  for (int d = MCU_K_RANK - 1; d >= 0; --d) {
    const int yi = d - (MCU_K_RANK - y->rank), ai = d - (MCU_K_RANK - a->rank), bi = d - (MCU_K_RANK - b->rank);
    const int32_t yd = yi >= 0 ? y->shape[yi] : 1, ad = ai >= 0 ? a->shape[ai] : 1, bd = bi >= 0 ? b->shape[bi] : 1;
    if ((ad != yd && ad != 1) || (bd != yd && bd != 1))
      return mcu_status_errorf("layer '%s': shapes do not broadcast to the output", l->name);
    bc.out_shape[d] = yd;
    bc.a_stride[d] = ad == 1 ? 0 : (int32_t)sa;
    bc.b_stride[d] = bd == 1 ? 0 : (int32_t)sb;
    sa *= ad;
    sb *= bd;
    if (sa > INT32_MAX || sb > INT32_MAX) return mcu_status_errorf("layer '%s': tensor too large", l->name);
  }
  memcpy(out_bcast, &bc, sizeof bc);
  return NULL;
}
