/* prepare_tflite_eltwise.c: parameters of the TF Lite element-wise kernels (requantize, quantize, add/sub/mul). */
#include <string.h>

#include "k_fixedpoint.h"
#include "k_tflite.h"
#include "prepare_tflite.h"
#include "prepare_util.h"

static int is_q8(const mcu_tensor_t *t) { return t && (t->dtype == MCU_DT_I8 || t->dtype == MCU_DT_U8); }

static int tfl_unary(const mcu_program_t *p, const mcu_layer_t *l, mcu_op_t op) {
  return l->op == op && l->numerics == MCU_NUMERICS_TFLITE && l->num_inputs == 1 && mcu_tfl_in(p, l, 0) &&
         mcu_tfl_out(p, l);
}

static mcu_status_t same_count(const mcu_layer_t *l, const mcu_tensor_t *x, const mcu_tensor_t *y, int32_t *n) {
  mcu_status_t s = mcu_tfl_count(l, x, n);
  if (!s && mcu_tensor_elements(y) != *n) s = mcu_status_errorf("layer '%s': input and output sizes differ", l->name);
  return s;
}

/* ---- REQUANTIZE (QUANTIZE int -> int, RELU): QuantizeMultiplier((double)s_in / (double)s_out) ---- */

int mcu_tfl_match_requantize(const mcu_program_t *p, const mcu_layer_t *l) {
  return tfl_unary(p, l, MCU_OP_REQUANTIZE) && is_q8(mcu_tfl_in(p, l, 0)) && is_q8(mcu_tfl_out(p, l));
}

mcu_status_t mcu_tfl_prepare_requantize(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *y = mcu_tfl_out(p, l);
  mcu_k_requant_params_t k;
  memset(&k, 0, sizeof k);
  mcu_status_t s = same_count(l, x, y, &k.count);
  if (s) return s;
  if (!mcu_prep_is_per_tensor(x) || !mcu_prep_is_per_tensor(y))
    return mcu_status_errorf("layer '%s': requantize needs per-tensor quantization", l->name);
  k.in_type = (int32_t)x->dtype;
  k.out_type = (int32_t)y->dtype;
  k.input_zero_point = x->zero_points[0];
  k.output_zero_point = y->zero_points[0];
  const double real = (double)(float)x->scales[0] / (double)(float)y->scales[0];
  if (mcu_quantize_multiplier(real, MCU_QM_MAX_SHIFT, &k.multiplier, &k.shift))
    return mcu_status_errorf("layer '%s': requantization scale %g out of range", l->name, real);
  if ((s = mcu_tfl_act_range_q8(l, y->dtype, &k.act_min, &k.act_max))) return s;
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- QUANTIZE f32 -> i8/u8 and DEQUANTIZE i8/u8 -> f32 (per tensor) ---- */

int mcu_tfl_match_quantize_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return tfl_unary(p, l, MCU_OP_QUANTIZE) && mcu_tfl_is(mcu_tfl_in(p, l, 0), MCU_DT_F32) &&
         is_q8(mcu_tfl_out(p, l));
}

int mcu_tfl_match_dequantize_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return tfl_unary(p, l, MCU_OP_DEQUANTIZE) && is_q8(mcu_tfl_in(p, l, 0)) &&
         mcu_tfl_is(mcu_tfl_out(p, l), MCU_DT_F32);
}

static mcu_status_t affine(const mcu_layer_t *l, const mcu_tensor_t *x, const mcu_tensor_t *y,
                           const mcu_tensor_t *q, mcu_kernel_call_t *call) {
  mcu_k_affine_params_t k;
  memset(&k, 0, sizeof k);
  mcu_status_t s = same_count(l, x, y, &k.count);
  if (s) return s;
  if (!mcu_prep_is_per_tensor(q)) return mcu_status_errorf("layer '%s': needs per-tensor quantization", l->name);
  k.q_type = (int32_t)q->dtype;
  k.zero_point = q->zero_points[0];
  k.scale = (float)q->scales[0];
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

mcu_status_t mcu_tfl_prepare_quantize_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return affine(l, mcu_tfl_in(p, l, 0), mcu_tfl_out(p, l), mcu_tfl_out(p, l), call);
}

mcu_status_t mcu_tfl_prepare_dequantize_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return affine(l, mcu_tfl_in(p, l, 0), mcu_tfl_out(p, l), mcu_tfl_in(p, l, 0), call);
}

/* ---- ADD / SUB / MUL ---- */

static int tfl_binary(const mcu_program_t *p, const mcu_layer_t *l, mcu_dtype_t dt) {
  if (l->numerics != MCU_NUMERICS_TFLITE || l->num_inputs != 2) return 0;
  return mcu_tfl_is(mcu_tfl_in(p, l, 0), dt) && mcu_tfl_is(mcu_tfl_in(p, l, 1), dt) &&
         mcu_tfl_is(mcu_tfl_out(p, l), dt);
}

int mcu_tfl_match_add_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_ADD && tfl_binary(p, l, MCU_DT_I8);
}

int mcu_tfl_match_sub_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_SUB && tfl_binary(p, l, MCU_DT_I8);
}

int mcu_tfl_match_mul_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_MUL && tfl_binary(p, l, MCU_DT_I8);
}

int mcu_tfl_match_add_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_ADD && tfl_binary(p, l, MCU_DT_F32);
}

int mcu_tfl_match_sub_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_SUB && tfl_binary(p, l, MCU_DT_F32);
}

int mcu_tfl_match_mul_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_MUL && tfl_binary(p, l, MCU_DT_F32);
}

static mcu_status_t binary_q(const mcu_layer_t *l, const mcu_tensor_t *a, const mcu_tensor_t *b,
                             const mcu_tensor_t *y) {
  if (!mcu_prep_is_per_tensor(a) || !mcu_prep_is_per_tensor(b) || !mcu_prep_is_per_tensor(y))
    return mcu_status_errorf("layer '%s': needs per-tensor quantization", l->name);
  return NULL;
}

/* ADD/SUB: left_shift = 20; twice_max = 2 * (double)max(s1, s2); input multipliers s_i / twice_max and the output
 * multiplier twice_max / (2^20 * (double)s_out), each through QuantizeMultiplierSmallerThanOneExp (TF Lite Micro's
 * CalculateOpDataAdd / CalculateOpDataSub). */
/* Same rank and dimensions. */
static int same_shape(const mcu_tensor_t *a, const mcu_tensor_t *b) {
  if (a->rank != b->rank) return 0;
  for (int d = 0; d < a->rank; ++d)
    if (a->shape[d] != b->shape[d]) return 0;
  return 1;
}

mcu_status_t mcu_tfl_prepare_addsub_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *a = mcu_tfl_in(p, l, 0), *b = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  mcu_k_addsub_params_t k;
  memset(&k, 0, sizeof k);
  mcu_status_t s = binary_q(l, a, b, y);
  if (!s) s = mcu_tfl_broadcast(l, a, b, y, &k.bc);
  if (s) return s;
  k.input1_offset = -a->zero_points[0];
  k.input2_offset = -b->zero_points[0];
  k.output_offset = y->zero_points[0];
  k.left_shift = 20;
  const float s1 = (float)a->scales[0], s2 = (float)b->scales[0], so = (float)y->scales[0];
  const double twice_max = 2 * (double)(s1 > s2 ? s1 : s2);
  const double r1 = (double)s1 / twice_max, r2 = (double)s2 / twice_max;
  const double ro = twice_max / ((double)(1 << k.left_shift) * (double)so);
  if (mcu_quantize_multiplier_smaller_than_one_exp(r1, &k.input1_multiplier, &k.input1_shift) ||
      mcu_quantize_multiplier_smaller_than_one_exp(r2, &k.input2_multiplier, &k.input2_shift) ||
      mcu_quantize_multiplier_smaller_than_one_exp(ro, &k.output_multiplier, &k.output_shift))
    return mcu_status_errorf("layer '%s': add/sub scales out of TF Lite's range", l->name);
  if ((s = mcu_tfl_act_range_q8(l, y->dtype, &k.act_min, &k.act_max))) return s;
  k.flat = same_shape(a, y) && same_shape(b, y);
  /* The one-SMMLAR output rescale (k_add_s8.c): needs mo > 0 and 1 <= R = -so <= 22. */
  const int32_t r = -k.output_shift;
  if (k.output_multiplier > 0 && r >= 1 && r <= 22) {
    k.rq_fast = 1;
    k.rq_shift = r;
    k.rq_acc = (int32_t)(((int64_t)1 << (r - 1)) + (int64_t)k.output_offset * ((int64_t)1 << r));
  }
  /* In place (kernel_call.h): without broadcasting, addsub_s8 (k_add_s8.c) reads a[i] and b[i] before it writes
   * y[i] (a group of four is read before any of it is written), never reading an element again, so out may be
   * either input. */
  if (k.flat) call->inplace_mask = 3u;
  if ((s = mcu_prep_set_params(l, call, &k, sizeof k))) return s;
  /* Twice the rescaled addend of every int8 value of each input (k_add_s8.c), SUB's sign folded into the second. */
  for (int in = 0; in < 2; ++in) {
    void *t;
    if ((s = mcu_prep_new_aux(l, call, 256 * 4, &t))) return s;
    const int32_t off = in == 0 ? k.input1_offset : k.input2_offset;
    const int32_t m = in == 0 ? k.input1_multiplier : k.input2_multiplier;
    const int32_t sh = in == 0 ? k.input1_shift : k.input2_shift;
    uint8_t *bytes = t;
    for (int u = 0; u < 256; ++u) {
      const int32_t x = mcu_fx_shl_wrap((int32_t)(int8_t)(uint8_t)u + off, k.left_shift);
      int32_t v = 2 * mcu_fx_mbqm_smaller_than_one_exp(x, m, sh); /* |v| < 2^28 (k_add_s8.c) */
      if (in == 1 && l->op == MCU_OP_SUB) v = -v;
      const uint32_t w = (uint32_t)v;
      for (int j = 0; j < 4; ++j) bytes[4 * u + j] = (uint8_t)(w >> (8 * j));
    }
  }
  return NULL;
}

/* MUL: QuantizeMultiplier((double)s1 * (double)s2 / (double)s_out) (CalculateOpDataMul). */
mcu_status_t mcu_tfl_prepare_mul_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *a = mcu_tfl_in(p, l, 0), *b = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  mcu_k_mul_params_t k;
  memset(&k, 0, sizeof k);
  mcu_status_t s = binary_q(l, a, b, y);
  if (!s) s = mcu_tfl_broadcast(l, a, b, y, &k.bc);
  if (s) return s;
  k.input1_offset = -a->zero_points[0];
  k.input2_offset = -b->zero_points[0];
  k.output_offset = y->zero_points[0];
  const double real = (double)(float)a->scales[0] * (double)(float)b->scales[0] / (double)(float)y->scales[0];
  if (mcu_quantize_multiplier(real, MCU_QM_MAX_SHIFT, &k.output_multiplier, &k.output_shift))
    return mcu_status_errorf("layer '%s': mul scale %g out of range", l->name, real);
  if ((s = mcu_tfl_act_range_q8(l, y->dtype, &k.act_min, &k.act_max))) return s;
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

mcu_status_t mcu_tfl_prepare_binary_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  const mcu_tensor_t *a = mcu_tfl_in(p, l, 0), *b = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  if (l->op == MCU_OP_MUL) {
    mcu_k_mul_params_t k;
    memset(&k, 0, sizeof k);
    mcu_status_t s = mcu_tfl_broadcast(l, a, b, y, &k.bc);
    if (s) return s;
    mcu_tfl_act_range_f32(l, &k.fact_min, &k.fact_max);
    return mcu_prep_set_params(l, call, &k, sizeof k);
  }
  mcu_k_addsub_params_t k;
  memset(&k, 0, sizeof k);
  mcu_status_t s = mcu_tfl_broadcast(l, a, b, y, &k.bc);
  if (s) return s;
  mcu_tfl_act_range_f32(l, &k.fact_min, &k.fact_max);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}
