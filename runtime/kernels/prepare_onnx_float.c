/* prepare_onnx_float.c: matches and parameters of float32 layers of any numerics (float math has no variants). */
#include <math.h>
#include <string.h>

#include "k_onnx.h"
#include "prepare_onnx.h"
#include "prepare_util.h"

static const mcu_tensor_t *in_t(const mcu_program_t *p, const mcu_layer_t *l, int i) {
  if (i >= l->num_inputs || l->inputs[i] < 0 || l->inputs[i] >= p->num_tensors) return NULL;
  return &p->tensors[l->inputs[i]];
}

static const mcu_tensor_t *out_t(const mcu_program_t *p, const mcu_layer_t *l) {
  return (l->output >= 0 && l->output < p->num_tensors) ? &p->tensors[l->output] : NULL;
}

static int is_f32(const mcu_tensor_t *t) { return t && t->dtype == MCU_DT_F32; }

/* Op `op`, numerics ONNX, inputs min_in..max_in, every input and the output float32. */
static int onnx_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_op_t op, int min_in, int max_in) {
  if (l->op != op || l->numerics != MCU_NUMERICS_ONNX || l->num_inputs < min_in || l->num_inputs > max_in) return 0;
  for (int i = 0; i < l->num_inputs; ++i)
    if (!is_f32(in_t(p, l, i))) return 0;
  return is_f32(out_t(p, l));
}

/* Same op under any numerics: the float32 kernels of the other groups, entered for ONNX layers. */
int mcu_onnx_match_conv_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_CONV2D, 2, 3);
}
int mcu_onnx_match_fc_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_FULLY_CONNECTED, 2, 3);
}
int mcu_onnx_match_add_f32(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_f32(p, l, MCU_OP_ADD, 2, 2); }
int mcu_onnx_match_sub_f32(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_f32(p, l, MCU_OP_SUB, 2, 2); }
int mcu_onnx_match_mul_f32(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_f32(p, l, MCU_OP_MUL, 2, 2); }
int mcu_onnx_match_avg_pool_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_AVG_POOL, 1, 1);
}
int mcu_onnx_match_max_pool_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_MAX_POOL, 1, 1);
}
int mcu_onnx_match_mean_f32(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_f32(p, l, MCU_OP_MEAN, 1, 1); }
int mcu_onnx_match_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_SOFTMAX, 1, 1);
}
int mcu_onnx_match_log_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_LOG_SOFTMAX, 1, 1);
}
int mcu_onnx_match_logistic_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_LOGISTIC, 1, 1);
}
int mcu_onnx_match_hard_swish_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_f32(p, l, MCU_OP_HARD_SWISH, 1, 1);
}

int mcu_onnx_match_resize(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->op != MCU_OP_RESIZE_NEAREST || l->numerics != MCU_NUMERICS_ONNX || l->num_inputs != 1) return 0;
  const mcu_tensor_t *x = in_t(p, l, 0), *y = out_t(p, l);
  return x && y && x->dtype == y->dtype;
}

/* ---- MATMUL float32 ---- */

int mcu_onnx_match_matmul_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->op != MCU_OP_MATMUL || l->num_inputs != 2) return 0;
  return is_f32(in_t(p, l, 0)) && is_f32(in_t(p, l, 1)) && is_f32(out_t(p, l));
}

mcu_status_t mcu_onnx_prepare_matmul_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t st = mcu_prep_check_arity(p, l, 2);
  if (st) return st;
  const mcu_tensor_t *a = in_t(p, l, 0), *b = in_t(p, l, 1), *y = out_t(p, l);
  const int ry = a->rank > b->rank ? a->rank : b->rank;
  if (a->rank < 2 || b->rank < 2 || y->rank != ry || ry - 2 > MCU_KO_MM_BATCH)
    return mcu_status_errorf("layer '%s' (matmul): operands need rank 2..%d and the output their larger rank",
                             l->name, MCU_KO_MM_BATCH + 2);
  if (mcu_tensor_elements(a) > INT32_MAX || mcu_tensor_elements(b) > INT32_MAX || mcu_tensor_elements(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (matmul): tensor too large", l->name);
  mcu_ko_matmul_params_t k;
  memset(&k, 0, sizeof k);
  k.m = a->shape[a->rank - 2];
  k.k = a->shape[a->rank - 1];
  k.n = b->shape[b->rank - 1];
  if (b->shape[b->rank - 2] != k.k || y->shape[ry - 2] != k.m || y->shape[ry - 1] != k.n || k.m < 1 || k.k < 1 ||
      k.n < 1)
    return mcu_status_errorf("layer '%s' (matmul): inner or output dimensions do not match", l->name);
  const int nb = ry - 2, lead = MCU_KO_MM_BATCH - nb;
  int64_t as = 1, bs = 1;
  for (int d = MCU_KO_MM_BATCH - 1; d >= 0; --d) {
    k.batch_shape[d] = 1;
    if (d < lead) continue;
    const int yd = d - lead, ad = yd - (ry - a->rank), bd = yd - (ry - b->rank);
    const int32_t na = ad >= 0 ? a->shape[ad] : 1, nbd = bd >= 0 ? b->shape[bd] : 1, ny = y->shape[yd];
    if ((na != ny && na != 1) || (nbd != ny && nbd != 1) || (na != ny && nbd != ny))
      return mcu_status_errorf("layer '%s' (matmul): batch dimensions do not broadcast", l->name);
    k.batch_shape[d] = ny;
    k.a_stride[d] = na == 1 ? 0 : (int32_t)as;
    k.b_stride[d] = nbd == 1 ? 0 : (int32_t)bs;
    as *= na;
    bs *= nbd;
  }
  k.fact_min = l->fact_min;
  k.fact_max = l->fact_max;
  if (isnan(k.fact_min) || isnan(k.fact_max) || k.fact_min > k.fact_max)
    return mcu_status_errorf("layer '%s' (matmul): bad activation range", l->name);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- LEAKY_RELU / HARD_SIGMOID ---- */

int mcu_onnx_match_leaky_relu_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_LEAKY_RELU && l->num_inputs == 1 && is_f32(in_t(p, l, 0)) && is_f32(out_t(p, l));
}

int mcu_onnx_match_hard_sigmoid_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return l->op == MCU_OP_HARD_SIGMOID && l->num_inputs == 1 && is_f32(in_t(p, l, 0)) && is_f32(out_t(p, l));
}

static mcu_status_t unary(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t st = mcu_prep_check_arity(p, l, 1);
  if (st) return st;
  const int64_t n = mcu_tensor_elements(in_t(p, l, 0));
  if (n != mcu_tensor_elements(out_t(p, l)) || n > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): input and output sizes differ", l->name, mcu_op_name(l->op));
  const mcu_ko_unary_params_t k = {(int32_t)n, l->alpha, l->beta};
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

mcu_status_t mcu_onnx_prepare_leaky_relu_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return unary(p, l, call);
}

mcu_status_t mcu_onnx_prepare_hard_sigmoid_f32(const mcu_program_t *p, const mcu_layer_t *l,
                                               mcu_kernel_call_t *call) {
  return unary(p, l, call);
}

/* ---- BATCH_NORM: per-channel a, b computed here (the kernel has three input pointers, the op five) ---- */

int mcu_onnx_match_batch_norm_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->op != MCU_OP_BATCH_NORM || l->num_inputs != 5 || !is_f32(out_t(p, l))) return 0;
  for (int i = 0; i < 5; ++i)
    if (!is_f32(in_t(p, l, i))) return 0;
  return 1;
}

/* ONNX Runtime's BatchNormalization (inference): new_scale = scale / sqrt(var + epsilon), new_bias = bias -
 * mean * new_scale, all float32 (Eigen arrays: one rounding per operation, sqrt correctly rounded), then
 * y = x * new_scale + new_bias. scale, bias, mean and var must be constants of C elements. */
mcu_status_t mcu_onnx_prepare_batch_norm_f32(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  mcu_status_t st = mcu_prep_check_arity(p, l, 5);
  if (st) return st;
  const mcu_tensor_t *x = in_t(p, l, 0), *y = out_t(p, l);
  if (x->rank < 1 || mcu_tensor_elements(x) != mcu_tensor_elements(y) || mcu_tensor_elements(x) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (batch_norm): input and output sizes differ", l->name);
  const int32_t c = x->shape[x->rank - 1];
  if (c < 1) return mcu_status_errorf("layer '%s' (batch_norm): no channels", l->name);
  const float *v[4];
  static const char *const what[4] = {"scale", "bias", "mean", "var"};
  for (int i = 0; i < 4; ++i) {
    const mcu_tensor_t *t = in_t(p, l, i + 1);
    if (t->storage != MCU_STORAGE_CONST || !t->data || t->is_alias || mcu_tensor_elements(t) != c)
      return mcu_status_errorf("layer '%s' (batch_norm): %s must be a constant of %d elements", l->name, what[i],
                               (int)c);
    v[i] = (const float *)(const void *)t->data;
  }
  void *ta, *tb;
  if ((st = mcu_prep_new_aux(l, call, 4u * (uint32_t)c, &ta)) ||
      (st = mcu_prep_new_aux(l, call, 4u * (uint32_t)c, &tb)))
    return st;
  for (int32_t i = 0; i < c; ++i) {
    float scale, bias, mean, var;
    memcpy(&scale, (const uint8_t *)v[0] + 4 * (size_t)i, 4); /* CONST data: little-endian, maybe unaligned */
    memcpy(&bias, (const uint8_t *)v[1] + 4 * (size_t)i, 4);
    memcpy(&mean, (const uint8_t *)v[2] + 4 * (size_t)i, 4);
    memcpy(&var, (const uint8_t *)v[3] + 4 * (size_t)i, 4);
    const float ve = var + l->epsilon;
    const float a = scale / sqrtf(ve);
    const float ma = mean * a;
    const float b = bias - ma;
    memcpy((uint8_t *)ta + 4 * (size_t)i, &a, 4);
    memcpy((uint8_t *)tb + 4 * (size_t)i, &b, 4);
  }
  const mcu_ko_batch_norm_params_t k = {(int32_t)(mcu_tensor_elements(x) / c), c};
  return mcu_prep_set_params(l, call, &k, sizeof k);
}
