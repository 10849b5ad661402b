/* prepare_onnx_q.c: parameters of the ONNX-numerics quantized kernels (QLinearAdd/Mul/AveragePool/Concat/Sigmoid). */
#include <math.h>
#include <string.h>

#include "k_misc.h"
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

static int is_q8(const mcu_tensor_t *t) { return t && (t->dtype == MCU_DT_I8 || t->dtype == MCU_DT_U8); }

/* An ONNX-numerics layer of `n` inputs whose inputs and output are all of the output's 8-bit type. */
static int onnx_q8(const mcu_program_t *p, const mcu_layer_t *l, mcu_op_t op, int n) {
  if (l->op != op || l->numerics != MCU_NUMERICS_ONNX || l->num_inputs != n) return 0;
  const mcu_tensor_t *y = out_t(p, l);
  if (!is_q8(y)) return 0;
  for (int i = 0; i < n; ++i)
    if (!in_t(p, l, i) || in_t(p, l, i)->dtype != y->dtype) return 0;
  return 1;
}

/* Per-tensor float32 scale and zero point of each input and the output. */
static mcu_status_t qparams(const mcu_program_t *p, const mcu_layer_t *l, int n, float *out_s, int32_t *out_z) {
  static const char *const what[] = {"first input", "second input", "third input"};
  mcu_status_t s = mcu_prep_check_arity(p, l, n);
  for (int i = 0; !s && i < n; ++i) s = mcu_prep_per_tensor(l, in_t(p, l, i), what[i], &out_s[i], &out_z[i]);
  if (!s) s = mcu_prep_per_tensor(l, out_t(p, l), "output", &out_s[n], &out_z[n]);
  return s;
}

/* Numpy broadcasting of a and b to y (right-aligned, equal sizes or 1), as element strides over y's shape padded
 * on the left to MCU_KO_RANK. */
static mcu_status_t broadcast(const mcu_layer_t *l, const mcu_tensor_t *a, const mcu_tensor_t *b,
                              const mcu_tensor_t *y, mcu_ko_bcast_t *out_bc) {
  if (y->rank > MCU_KO_RANK || a->rank > y->rank || b->rank > y->rank || mcu_tensor_elements(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): ranks or sizes out of range", l->name, mcu_op_name(l->op));
  const int lead = MCU_KO_RANK - y->rank;
  int64_t sa = 1, sb = 1;
  for (int d = MCU_KO_RANK - 1; d >= 0; --d) {
    const int yd = d - lead, ad = yd - (y->rank - a->rank), bd = yd - (y->rank - b->rank);
    const int32_t ny = yd >= 0 ? y->shape[yd] : 1;
    const int32_t na = (yd >= 0 && ad >= 0) ? a->shape[ad] : 1, nb = (yd >= 0 && bd >= 0) ? b->shape[bd] : 1;
    if ((na != ny && na != 1) || (nb != ny && nb != 1) || (na != ny && nb != ny) || ny < 1)
      return mcu_status_errorf("layer '%s' (%s): shapes do not broadcast to the output", l->name, mcu_op_name(l->op));
    out_bc->out_shape[d] = ny;
    out_bc->a_stride[d] = na == 1 ? 0 : (int32_t)sa;
    out_bc->b_stride[d] = nb == 1 ? 0 : (int32_t)sb;
    sa *= na;
    sb *= nb;
  }
  return NULL;
}

/* ---- QLinearAdd ---- */

int mcu_onnx_match_qladd(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_q8(p, l, MCU_OP_ADD, 2); }

/* A fused activation would be a clamp ONNX Runtime does not have in QLinearAdd/Mul: only the full range passes. */
static mcu_status_t no_activation(const mcu_layer_t *l, mcu_dtype_t dt) {
  const int32_t lo = dt == MCU_DT_U8 ? 0 : -128, hi = dt == MCU_DT_U8 ? 255 : 127;
  if (l->act_min > lo || l->act_max < hi)
    return mcu_status_errorf("layer '%s' (%s): a fused activation is not supported with ONNX numerics", l->name,
                             mcu_op_name(l->op));
  return NULL;
}

mcu_status_t mcu_onnx_prepare_qladd(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float s[3];
  int32_t z[3];
  mcu_status_t st = qparams(p, l, 2, s, z);
  if (st) return st;
  const mcu_tensor_t *a = in_t(p, l, 0), *b = in_t(p, l, 1), *y = out_t(p, l);
  mcu_ko_qladd_params_t k;
  memset(&k, 0, sizeof k);
  if ((st = broadcast(l, a, b, y, &k.bc)) || (st = no_activation(l, y->dtype))) return st;
  k.type = (int32_t)y->dtype;
  k.mode = mcu_onnx_broadcast_mode(a, b);
  k.ratio_a = s[0] / s[2];
  k.ratio_b = s[1] / s[2];
  /* (float)ZeroPointC - (ScaleRatio_AC * ZeroPointA + ScaleRatio_BC * ZeroPointB), one rounding per operation */
  const float ta = k.ratio_a * (float)z[0];
  const float tb = k.ratio_b * (float)z[1];
  const float t = ta + tb;
  k.fixed = (float)z[2] - t;
  if (!isfinite(k.ratio_a) || !isfinite(k.ratio_b) || !isfinite(k.fixed))
    return mcu_status_errorf("layer '%s' (add): scale ratios out of float range", l->name);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- QLinearMul ---- */

int mcu_onnx_match_qlmul(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_q8(p, l, MCU_OP_MUL, 2); }

mcu_status_t mcu_onnx_prepare_qlmul(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float s[3];
  int32_t z[3];
  mcu_status_t st = qparams(p, l, 2, s, z);
  if (st) return st;
  const mcu_tensor_t *a = in_t(p, l, 0), *b = in_t(p, l, 1), *y = out_t(p, l);
  mcu_ko_qlmul_params_t k;
  memset(&k, 0, sizeof k);
  if ((st = broadcast(l, a, b, y, &k.bc)) || (st = no_activation(l, y->dtype))) return st;
  k.type = (int32_t)y->dtype;
  k.zero_a = z[0];
  k.zero_b = z[1];
  const float sab = s[0] * s[1];
  k.ratio = sab / s[2];
  k.zero_c = (float)z[2];
  if (!isfinite(k.ratio)) return mcu_status_errorf("layer '%s' (mul): scale ratio out of float range", l->name);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- QLinearAveragePool and QLinearGlobalAveragePool ---- */

/* ONNX Runtime sends an average pool whose window is the whole image with no padding to the global kernel. */
static int avg_pool_is_global(const mcu_program_t *p, const mcu_layer_t *l) {
  const mcu_tensor_t *x = in_t(p, l, 0);
  return x && x->rank == 4 && l->kernel[0] == x->shape[1] && l->kernel[1] == x->shape[2] && l->pad[0] == 0 &&
         l->pad[1] == 0 && l->pad[2] == 0 && l->pad[3] == 0;
}

int mcu_onnx_match_qlavgpool(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_q8(p, l, MCU_OP_AVG_POOL, 1) && !avg_pool_is_global(p, l);
}

static mcu_status_t nhwc_pair(const mcu_layer_t *l, const mcu_tensor_t *x, const mcu_tensor_t *y) {
  if (x->rank != 4 || y->rank != 4 || x->shape[0] != y->shape[0] || x->shape[3] != y->shape[3])
    return mcu_status_errorf("layer '%s' (%s): input and output must be NHWC with equal batch and channels", l->name,
                             mcu_op_name(l->op));
  for (int i = 0; i < 4; ++i)
    if (x->shape[i] < 1 || y->shape[i] < 1)
      return mcu_status_errorf("layer '%s' (%s): empty tensor", l->name, mcu_op_name(l->op));
  if (mcu_tensor_elements(x) > INT32_MAX || mcu_tensor_elements(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): tensor too large", l->name, mcu_op_name(l->op));
  return NULL;
}

mcu_status_t mcu_onnx_prepare_qlavgpool(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float s[2];
  int32_t z[2];
  mcu_status_t st = qparams(p, l, 1, s, z);
  if (st) return st;
  const mcu_tensor_t *x = in_t(p, l, 0), *y = out_t(p, l);
  if ((st = nhwc_pair(l, x, y))) return st;
  if (l->stride[0] < 1 || l->stride[1] < 1 || l->kernel[0] < 1 || l->kernel[1] < 1 || l->pad[0] < 0 || l->pad[1] < 0)
    return mcu_status_errorf("layer '%s' (avg_pool): bad stride, window or padding", l->name);
  if ((st = no_activation(l, y->dtype))) return st;
  mcu_ko_qlavgpool_params_t k;
  memset(&k, 0, sizeof k);
  k.type = (int32_t)y->dtype;
  k.batches = x->shape[0], k.in_h = x->shape[1], k.in_w = x->shape[2], k.channels = x->shape[3];
  k.out_h = y->shape[1], k.out_w = y->shape[2];
  k.stride_h = l->stride[0], k.stride_w = l->stride[1], k.pad_h = l->pad[0], k.pad_w = l->pad[1];
  k.kernel_h = l->kernel[0], k.kernel_w = l->kernel[1];
  if ((int64_t)(k.out_h - 1) * k.stride_h + k.kernel_h > INT32_MAX / 2 ||
      (int64_t)(k.out_w - 1) * k.stride_w + k.kernel_w > INT32_MAX / 2)
    return mcu_status_errorf("layer '%s' (avg_pool): window too large", l->name);
  for (int32_t oy = 0; oy < k.out_h; ++oy) {
    const int32_t iy = oy * k.stride_h - k.pad_h;
    if (iy >= k.in_h || iy + k.kernel_h <= 0)
      return mcu_status_errorf("layer '%s' (avg_pool): output row %d averages no input", l->name, (int)oy);
  }
  for (int32_t ox = 0; ox < k.out_w; ++ox) {
    const int32_t ix = ox * k.stride_w - k.pad_w;
    if (ix >= k.in_w || ix + k.kernel_w <= 0)
      return mcu_status_errorf("layer '%s' (avg_pool): output column %d averages no input", l->name, (int)ox);
  }
  k.zero_x = z[0];
  k.scale_x = s[0];
  k.scale_y = s[1];
  k.zero_y = (float)z[1];
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

int mcu_onnx_match_qlgavgpool(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_q8(p, l, MCU_OP_MEAN, 1) || (onnx_q8(p, l, MCU_OP_AVG_POOL, 1) && avg_pool_is_global(p, l));
}

mcu_status_t mcu_onnx_prepare_qlgavgpool(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float s[2];
  int32_t z[2];
  mcu_status_t st = qparams(p, l, 1, s, z);
  if (st) return st;
  const mcu_tensor_t *x = in_t(p, l, 0), *y = out_t(p, l);
  if ((st = no_activation(l, y->dtype))) return st;
  uint32_t mask = l->axes_mask;
  if (l->op == MCU_OP_AVG_POOL) {
    if ((st = nhwc_pair(l, x, y))) return st;
    if (y->shape[1] != 1 || y->shape[2] != 1)
      return mcu_status_errorf("layer '%s' (avg_pool): a whole-image window must give a 1x1 output", l->name);
    mask = 0x6u; /* H and W of NHWC */
  }
  if (x->rank < 1 || x->rank > MCU_KO_RANK || (mask >> x->rank) != 0 || mcu_tensor_elements(x) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): axes out of range", l->name, mcu_op_name(l->op));
  mcu_ko_qlgavg_params_t k;
  memset(&k, 0, sizeof k);
  int32_t stride[MCU_MAX_RANK];
  int64_t sz = 1, kept = 1, count = 1;
  for (int d = x->rank - 1; d >= 0; --d) {
    stride[d] = (int32_t)sz;
    sz *= x->shape[d];
  }
  for (int d = 0; d < x->rank; ++d) {
    if (mask & (1u << d)) {
      k.red_size[k.n_red] = x->shape[d];
      k.red_stride[k.n_red++] = stride[d];
      count *= x->shape[d];
    } else {
      k.kept_size[k.n_kept] = x->shape[d];
      k.kept_stride[k.n_kept++] = stride[d];
      kept *= x->shape[d];
    }
  }
  if (kept != mcu_tensor_elements(y) || count < 1)
    return mcu_status_errorf("layer '%s' (%s): output size mismatch or nothing to average", l->name,
                             mcu_op_name(l->op));
  /* CheckQLinearGlobalAveragePoolScaleAndSize: ONNX Runtime throws outside these bounds */
  k.count = (int32_t)(count < 0x1000000 ? count : 0);
  const float denom = s[1] * (float)k.count;
  k.scale = s[0] / denom;
  if (count >= 0x1000000 || !(k.scale >= 0x1.0p-32f) || !(k.scale < 256.0f))
    return mcu_status_errorf("layer '%s' (%s): scale %g or size %lld outside ONNX Runtime's range", l->name,
                             mcu_op_name(l->op), (double)k.scale, (long long)count);
  k.type = (int32_t)y->dtype;
  k.bias = -z[0] * k.count; /* |z| <= 255, count < 2^24: fits */
  const int32_t lo = y->dtype == MCU_DT_U8 ? 0 : -128, hi = y->dtype == MCU_DT_U8 ? 255 : 127;
  k.lo = (float)(lo - z[1]);
  k.hi = (float)(hi - z[1]);
  k.zero_y = z[1];
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- QLinearConcat ---- */

static int same_qparams(const mcu_tensor_t *a, const mcu_tensor_t *y) {
  return mcu_prep_is_per_tensor(a) && mcu_prep_is_per_tensor(y) && (float)a->scales[0] == (float)y->scales[0] &&
         a->zero_points[0] == y->zero_points[0];
}

/* Concats whose inputs all share the output's quantization are plain copies (mcu_k_concat serves them first). */
int mcu_onnx_match_qlconcat(const mcu_program_t *p, const mcu_layer_t *l) { return onnx_q8(p, l, MCU_OP_CONCAT, 2); }

mcu_status_t mcu_onnx_prepare_qlconcat(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  float s[3];
  int32_t z[3];
  mcu_status_t st = qparams(p, l, 2, s, z);
  if (st) return st;
  const mcu_tensor_t *a = in_t(p, l, 0), *b = in_t(p, l, 1), *y = out_t(p, l);
  const int ax = l->axis;
  if (a->rank != y->rank || b->rank != y->rank || ax < 0 || ax >= y->rank || mcu_tensor_elements(y) > INT32_MAX)
    return mcu_status_errorf("layer '%s' (concat): bad axis or ranks", l->name);
  int64_t outer = 1, na = 1, nb = 1;
  for (int d = 0; d < y->rank; ++d) {
    if (d != ax && (a->shape[d] != y->shape[d] || b->shape[d] != y->shape[d]))
      return mcu_status_errorf("layer '%s' (concat): shapes differ off the axis", l->name);
    if (d < ax) outer *= y->shape[d];
    else na *= a->shape[d], nb *= b->shape[d];
  }
  if ((int64_t)a->shape[ax] + b->shape[ax] != y->shape[ax])
    return mcu_status_errorf("layer '%s' (concat): sizes do not add up", l->name);
  mcu_ko_qlconcat_params_t k = {(int32_t)outer, (int32_t)na, (int32_t)nb, !same_qparams(a, y), !same_qparams(b, y)};
  /* aux0 is always a's table and aux1 b's (a copied input gets an unused table so the indices stay fixed) */
  void *ta, *tb;
  if ((st = mcu_prep_new_aux(l, call, 256, &ta)) || (st = mcu_prep_new_aux(l, call, 256, &tb))) return st;
  mcu_onnx_lookup_table(y->dtype, s[0], z[0], s[2], z[2], MCU_ONNX_LUT_IDENTITY, 0.0f, ta);
  mcu_onnx_lookup_table(y->dtype, s[1], z[1], s[2], z[2], MCU_ONNX_LUT_IDENTITY, 0.0f, tb);
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

/* ---- QLinearSigmoid / QLinearLeakyRelu: a 256-entry table run by mcu_k_lut_s8 (a byte lookup, right for
 * uint8 too) ---- */

int mcu_onnx_match_qlsigmoid(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_q8(p, l, MCU_OP_LOGISTIC, 1);
}

int mcu_onnx_match_qlleakyrelu(const mcu_program_t *p, const mcu_layer_t *l) {
  return onnx_q8(p, l, MCU_OP_LEAKY_RELU, 1);
}

static mcu_status_t table_op(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call, int fn) {
  float s[2];
  int32_t z[2];
  mcu_status_t st = qparams(p, l, 1, s, z);
  if (st) return st;
  const mcu_tensor_t *x = in_t(p, l, 0), *y = out_t(p, l);
  const int64_t n = mcu_tensor_elements(x);
  if (n != mcu_tensor_elements(y) || n > INT32_MAX)
    return mcu_status_errorf("layer '%s' (%s): input and output sizes differ", l->name, mcu_op_name(l->op));
  if ((st = no_activation(l, y->dtype))) return st;
  void *table;
  if ((st = mcu_prep_new_aux(l, call, 256, &table))) return st;
  mcu_onnx_lookup_table(y->dtype, s[0], z[0], s[1], z[1], fn, l->alpha, table);
  const mcu_k_count_params_t k = {(int32_t)n};
  return mcu_prep_set_params(l, call, &k, sizeof k);
}

mcu_status_t mcu_onnx_prepare_qlsigmoid(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return table_op(p, l, call, MCU_ONNX_LUT_SIGMOID);
}

mcu_status_t mcu_onnx_prepare_qlleakyrelu(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call) {
  return table_op(p, l, call, MCU_ONNX_LUT_LEAKY);
}
