/* tflite_import_ops.c: the TFLite importer's operator builders (one function per operator family) and their table. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "tflite_import_internal.h"

/* Every builder reads the operator's tensors, checks dtypes and shapes against what the TFLite kernel requires,
 * and emits one mcu op (a chain for CONCATENATION) whose result type is the output tensor's declared type. Shapes
 * that TF Lite computes (convolution and pooling windows, broadcasting, reductions, padding) are recomputed here
 * and must equal the declared output shape, so a malformed file cannot produce an op whose type lies. */

/* ---- helpers ---- */

static const char *op_out_name(timp_t *imp, const tfl_tensor_t *y) {
  if (y->name[0])
    return y->name;
  char *b = tfl_alloc(imp, 32);
  if (!b)
    return "op";
  snprintf(b, 32, "op_%d", imp->op_index);
  return b;
}

static int is_q8(int dt) { return dt == TFL_INT8 || dt == TFL_UINT8; }

/* An error unless t has dtype INT8, UINT8 or FLOAT32 (`float_ok`: FLOAT32 allowed). */
static mcu_status_t need_act_dtype(timp_t *imp, const tfl_tensor_t *t, int float_ok) {
  if (is_q8(t->type) || (float_ok && t->type == TFL_FLOAT32))
    return NULL;
  return tfl_fail(imp, "tensor '%s' has dtype %s, expected INT8, UINT8%s", t->name, tfl_type_name(t->type),
                  float_ok ? " or FLOAT32" : "");
}

/* An error unless a and b have the same dtype. */
static mcu_status_t need_same_dtype(timp_t *imp, const tfl_tensor_t *a, const tfl_tensor_t *b) {
  if (a->type == b->type)
    return NULL;
  return tfl_fail(imp, "tensor '%s' has dtype %s but '%s' has %s", a->name, tfl_type_name(a->type), b->name,
                  tfl_type_name(b->type));
}

static mcu_status_t shape_mismatch(timp_t *imp, const tfl_tensor_t *y, const tshape_t *declared,
                                   const tshape_t *computed) {
  char a[128], b[128];
  tfl_shape_str(declared, a, sizeof a);
  tfl_shape_str(computed, b, sizeof b);
  return tfl_fail(imp, "output '%s' is declared %s but the operator computes %s", y->name, a, b);
}

/* Reads input k (required) and its shape and value. */
static mcu_status_t operand(timp_t *imp, int k, const tfl_tensor_t **t, tshape_t *shape, MlirValue *v) {
  int32_t idx;
  mcu_status_t s;
  if ((s = tfl_input(imp, k, 1, &idx, t)) || (s = tfl_shape(imp, *t, shape)))
    return s;
  return v ? tfl_value(imp, idx, v) : NULL;
}

/* Output 0, its shape and its type. */
static mcu_status_t result(timp_t *imp, int32_t *idx, const tfl_tensor_t **y, tshape_t *shape, MlirType *type) {
  mcu_status_t s;
  if ((s = tfl_output(imp, 0, idx, y)) || (s = tfl_shape(imp, *y, shape)) || (s = tfl_type(imp, *y, type)))
    return s;
  return NULL;
}

/* The operands of an op whose output has its input's type: input 0 (value `in`), then input 1 when `c` is given
 * (a constant's tensor and shape, no value), then output 0; input 0 must be INT8, UINT8 or FLOAT32 and output 0
 * of the same dtype. */
static mcu_status_t same_dtype_io(timp_t *imp, const tfl_tensor_t **x, tshape_t *xs, MlirValue *in,
                                  const tfl_tensor_t **c, tshape_t *cs, int32_t *yi, const tfl_tensor_t **y,
                                  tshape_t *ys, MlirType *yt) {
  mcu_status_t s;
  if ((s = operand(imp, 0, x, xs, in)) || (c && (s = operand(imp, 1, c, cs, NULL))) ||
      (s = result(imp, yi, y, ys, yt)))
    return s;
  if ((s = need_act_dtype(imp, *x, 1)) || (s = need_same_dtype(imp, *y, *x)))
    return s;
  return NULL;
}

static int quant_equal(const tfl_tensor_t *a, const tfl_tensor_t *b) {
  if (a->quant.num_scales != 1 || b->quant.num_scales != 1)
    return 0;
  int64_t za = a->quant.num_zero_points ? a->quant.zero_points[0] : 0;
  int64_t zb = b->quant.num_zero_points ? b->quant.zero_points[0] : 0;
  return a->quant.scales[0] == b->quant.scales[0] && za == zb;
}

/* The options table, checked to be of `type` (absent: the schema defaults the reader left in place). */
static mcu_status_t options(timp_t *imp, int type, const tfl_options_t **out) {
  const tfl_options_t *o = &imp->op->options;
  *out = o;
  if (o->type != type && o->type != TFL_OPT_NONE)
    return tfl_fail(imp, "builtin_options has type %d, expected %d", o->type, type);
  *out = o;
  return NULL;
}

/* One spatial dimension of a convolution or pooling window, as TF Lite computes it (ComputeOutSize and
 * ComputePaddingHeightWidth): effective size eff = (k - 1) * dilation + 1; SAME: out = ceil(in / stride), VALID:
 * out = (in - eff + stride) / stride; total = max(0, (out - 1) * stride + eff - in), before = total / 2,
 * after = total - before. */
static mcu_status_t window(timp_t *imp, int padding, int64_t in, int64_t k, int64_t stride, int64_t dil,
                           const char *dim, int64_t *out, int64_t *before, int64_t *after) {
  if (stride < 1 || stride > TFL_MAX_WINDOW || dil < 1 || dil > TFL_MAX_WINDOW || k < 1 || k > TFL_MAX_WINDOW)
    return tfl_fail(imp, "%s: window %lld, stride %lld and dilation %lld must be in [1, %lld]", dim, (long long)k,
                    (long long)stride, (long long)dil, (long long)TFL_MAX_WINDOW);
  int64_t eff = (k - 1) * dil + 1;
  if (padding == TFL_PAD_SAME)
    *out = (in + stride - 1) / stride;
  else if (padding == TFL_PAD_VALID)
    *out = (in - eff + stride) / stride;
  else
    return tfl_fail(imp, "padding %d is neither SAME nor VALID", padding);
  if (*out < 1)
    return tfl_fail(imp, "%s: the window (%lld) is larger than the input (%lld)", dim, (long long)eff, (long long)in);
  int64_t total = (*out - 1) * stride + eff - in;
  if (total < 0)
    total = 0;
  *before = total / 2;
  *after = total - *before;
  return NULL;
}

/* A bias for output channels O: input 2 when present (INT32 for quantized, FLOAT32 for float convolutions), else
 * zeros. */
static mcu_status_t bias_value(timp_t *imp, int is_float, int64_t O, const char *name, MlirValue *out) {
  int32_t idx;
  const tfl_tensor_t *b;
  mcu_status_t s = tfl_input(imp, 2, 0, &idx, &b);
  if (s)
    return s;
  MlirType elem = is_float ? mlirF32TypeGet(imp->ctx) : mlirIntegerTypeGet(imp->ctx, 32);
  if (b) {
    tshape_t bs;
    if ((s = tfl_shape(imp, b, &bs)))
      return s;
    if (b->type != (is_float ? TFL_FLOAT32 : TFL_INT32) || bs.count != O)
      return tfl_fail(imp, "bias '%s' must be %s with %lld elements (it is %s with %lld)", b->name,
                      is_float ? "FLOAT32" : "INT32", (long long)O, tfl_type_name(b->type), (long long)bs.count);
    MlirValue v;
    if ((s = tfl_value(imp, idx, &v)))
      return s;
    if (bs.rank != 1) { /* a [1,...,O] bias: reshape to [O] */
      *out = tfl_emit(imp, "mcu.reshape", 1, &v, tfl_ranked(1, &O, elem), 0, NULL, b->name);
      return NULL;
    }
    *out = v;
    return NULL;
  }
  size_t n = strlen(name) + 8;
  char *bname = tfl_alloc(imp, n);
  if (!bname)
    return tfl_fail(imp, "out of memory");
  snprintf(bname, n, "%s_bias", name);
  MlirType bt = tfl_ranked(1, &O, elem);
  MlirAttribute zeros = is_float ? mlirDenseElementsAttrFloatSplatGet(bt, 0.0f) : mlirDenseElementsAttrInt32SplatGet(bt, 0);
  MlirNamedAttribute a = tfl_named(imp, "value", zeros);
  *out = tfl_emit(imp, "mcu.constant", 0, NULL, bt, 1, &a, bname);
  return NULL;
}

/* Dtype rule of convolutions and fully connected layers: input, filter and output all INT8, all UINT8 or all
 * FLOAT32. The filter may be per channel along `wq_axis`; input and output are per tensor. */
static mcu_status_t conv_dtypes(timp_t *imp, const tfl_tensor_t *x, const tfl_tensor_t *w, const tfl_tensor_t *y,
                                int wq_axis) {
  mcu_status_t s;
  if ((s = need_act_dtype(imp, x, 1)) || (s = need_same_dtype(imp, w, x)) || (s = need_same_dtype(imp, y, x)))
    return s;
  if (is_q8(x->type)) {
    if (x->quant.num_scales > 1 || y->quant.num_scales > 1)
      return tfl_fail(imp, "input and output must be quantized per tensor");
    if (w->quant.num_scales > 1 && w->quant.quantized_dimension != wq_axis)
      return tfl_fail(imp, "filter '%s' is quantized along dimension %d, expected %d", w->name,
                      (int)w->quant.quantized_dimension, wq_axis);
  }
  return NULL;
}

/* ---- convolutions ---- */

/* CONV_2D and DEPTHWISE_CONV_2D -> mcu.conv2d. Conv: filter [O,KH,KW,I] as is, groups = C / I. Depthwise: filter
 * [1,KH,KW,C*M] becomes [C*M,KH,KW,1] (output channel o reads input channel o / M; the per-channel axis 3 becomes
 * 0) and groups = C. M comes from the shapes (the depth_multiplier option is not trusted, as TF Lite Micro). */
static mcu_status_t import_conv(timp_t *imp, const tfl_op_entry_t *e) {
  int depthwise = e->arg;
  const tfl_tensor_t *x, *w, *y;
  tshape_t xs, ws, ys;
  MlirValue ops[3];
  MlirType yt;
  int32_t yi, wi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, depthwise ? TFL_OPT_DEPTHWISE_CONV2D : TFL_OPT_CONV2D, &o)))
    return s;
  if ((s = operand(imp, 0, &x, &xs, &ops[0])) || (s = tfl_input(imp, 1, 1, &wi, &w)) || (s = tfl_shape(imp, w, &ws)) ||
      (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  if ((s = conv_dtypes(imp, x, w, y, depthwise ? 3 : 0)))
    return s;
  if (xs.rank != 4 || ws.rank != 4 || ys.rank != 4)
    return tfl_fail(imp, "input, filter and output must be 4-D (ranks %d, %d, %d)", xs.rank, ws.rank, ys.rank);
  int64_t C = xs.dims[3], O, KH = ws.dims[1], KW = ws.dims[2], groups;
  if (depthwise) {
    O = ws.dims[3];
    if (ws.dims[0] != 1 || O % C)
      return tfl_fail(imp, "filter '%s' must be [1,KH,KW,C*M] with C = %lld", w->name, (long long)C);
    groups = C;
  } else {
    O = ws.dims[0];
    int64_t I = ws.dims[3];
    if (C % I || O % (C / I))
      return tfl_fail(imp, "filter '%s' has %lld input channels, which does not divide the input's %lld into groups "
                      "that divide %lld output channels", w->name, (long long)I, (long long)C, (long long)O);
    groups = C / I;
  }
  int64_t oh, ow, pads[4];
  if ((s = window(imp, o->padding, xs.dims[1], KH, o->stride_h, o->dilation_h, "height", &oh, &pads[0], &pads[2])) ||
      (s = window(imp, o->padding, xs.dims[2], KW, o->stride_w, o->dilation_w, "width", &ow, &pads[1], &pads[3])))
    return s;
  tshape_t want = {.rank = 4, .dims = {xs.dims[0], oh, ow, O}};
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  const char *name = op_out_name(imp, y);
  /* filter */
  if (depthwise) {
    static const int perm[4] = {3, 1, 2, 0};
    MlirType welem;
    if ((s = tfl_elem(imp, w, &welem)))
      return s;
    welem = tfl_permute_elem(imp, welem, perm, 4);
    if (mlirTypeIsNull(welem))
      return tfl_fail(imp, "out of memory");
    int64_t nd[4] = {O, KH, KW, 1};
    const uint8_t *data;
    size_t size;
    if ((s = tfl_const_data(imp, w, &data, &size)))
      return s;
    if (data) {
      size_t es = tfl_dtype_size(w->type), plane = (size_t)(KH * KW);
      uint8_t *nw = tfl_alloc(imp, size);
      if (!nw)
        return tfl_fail(imp, "out of memory");
      for (size_t oc = 0; oc < (size_t)O; ++oc)
        for (size_t k = 0; k < plane; ++k)
          memcpy(nw + (oc * plane + k) * es, data + (k * (size_t)O + oc) * es, es);
      MlirLocation saved = imp->loc;
      if ((s = tfl_emit_const(imp, 4, nd, tfl_storage_type(imp, w->type), nw, size, tfl_ranked(4, nd, welem),
                              w->name, &ops[1])))
        return s;
      imp->loc = saved;
    } else {
      MlirValue wv;
      if ((s = tfl_value(imp, wi, &wv)))
        return s;
      int64_t p[4] = {3, 1, 2, 0};
      MlirNamedAttribute a = tfl_named(imp, "perm", tfl_i64_array(imp, 4, p));
      ops[1] = tfl_emit(imp, "mcu.transpose", 1, &wv, tfl_ranked(4, nd, welem), 1, &a, w->name);
    }
  } else if ((s = tfl_value(imp, wi, &ops[1]))) {
    return s;
  }
  if ((s = bias_value(imp, x->type == TFL_FLOAT32, O, name, &ops[2])))
    return s;
  int64_t strides[2] = {o->stride_h, o->stride_w}, dil[2] = {o->dilation_h, o->dilation_w};
  MlirNamedAttribute attrs[6] = {
      tfl_named(imp, "strides", tfl_i64_array(imp, 2, strides)),
      tfl_named(imp, "pads", tfl_i64_array(imp, 4, pads)),
      tfl_named(imp, "dilations", tfl_i64_array(imp, 2, dil)),
      tfl_named(imp, "groups", mcu_attr_i64(imp->ctx, groups)),
  };
  int n = 4;
  if ((s = tfl_act_attrs(imp, o->activation, y, attrs, &n)))
    return s;
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.conv2d", 3, ops, yt, n, attrs, name));
}

/* FULLY_CONNECTED -> mcu.fully_connected: input [..., K] read as [count / K, K], weights [O, K] (per channel along
 * 0), bias [O]. The output is [..., O] with keep_num_dims, else [count / K, O]; TF Lite Micro uses the declared
 * output shape, which must hold count / K * O elements. */
static mcu_status_t import_fully_connected(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_tensor_t *x, *w, *y;
  tshape_t xs, ws, ys;
  MlirValue ops[3];
  MlirType yt;
  int32_t yi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, TFL_OPT_FULLY_CONNECTED, &o)) || (s = operand(imp, 0, &x, &xs, &ops[0])) ||
      (s = operand(imp, 1, &w, &ws, &ops[1])) || (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  if ((s = conv_dtypes(imp, x, w, y, 0)))
    return s;
  if (o->weights_format != 0)
    return tfl_fail(imp, "shuffled weights are not supported");
  if (ws.rank != 2)
    return tfl_fail(imp, "weights '%s' must be 2-D [O, K] (rank %d)", w->name, ws.rank);
  int64_t O = ws.dims[0], K = ws.dims[1];
  if (xs.count % K)
    return tfl_fail(imp, "input '%s' has %lld elements, not a multiple of K = %lld", x->name, (long long)xs.count,
                    (long long)K);
  tshape_t want = {.rank = 2, .dims = {xs.count / K, O}};
  if (o->keep_num_dims) {
    if (xs.rank < 1 || xs.dims[xs.rank - 1] != K)
      return tfl_fail(imp, "keep_num_dims needs the input's last dimension to be K = %lld", (long long)K);
    want = xs;
    want.dims[want.rank - 1] = O;
  }
  if (ys.rank < 1 || ys.dims[ys.rank - 1] != O || ys.count != xs.count / K * O)
    return shape_mismatch(imp, y, &ys, &want);
  const char *name = op_out_name(imp, y);
  if ((s = bias_value(imp, x->type == TFL_FLOAT32, O, name, &ops[2])))
    return s;
  MlirNamedAttribute attrs[2];
  int n = 0;
  if ((s = tfl_act_attrs(imp, o->activation, y, attrs, &n)))
    return s;
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.fully_connected", 3, ops, yt, n, attrs, name));
}

/* ---- element-wise ---- */

/* ADD, SUB, MUL -> mcu.add / mcu.sub / mcu.mul (e->mop; e->arg: the options type) with numpy broadcasting and the
 * fused activation. */
static mcu_status_t import_binary(timp_t *imp, const tfl_op_entry_t *e) {
  const char *mop = e->mop;
  int opt_type = e->arg;
  const tfl_tensor_t *a, *b, *y;
  tshape_t as, bs, ys;
  MlirValue ops[2];
  MlirType yt;
  int32_t yi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, opt_type, &o)) || (s = operand(imp, 0, &a, &as, &ops[0])) ||
      (s = operand(imp, 1, &b, &bs, &ops[1])) || (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  if ((s = need_act_dtype(imp, a, 1)) || (s = need_same_dtype(imp, b, a)) || (s = need_same_dtype(imp, y, a)))
    return s;
  if (is_q8(a->type) && (a->quant.num_scales > 1 || b->quant.num_scales > 1 || y->quant.num_scales > 1))
    return tfl_fail(imp, "operands must be quantized per tensor");
  tshape_t want = {.rank = as.rank > bs.rank ? as.rank : bs.rank};
  for (int i = 0; i < want.rank; ++i) {
    int ia = i - (want.rank - as.rank), ib = i - (want.rank - bs.rank);
    int64_t da = ia >= 0 ? as.dims[ia] : 1, db = ib >= 0 ? bs.dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return tfl_fail(imp, "shapes of '%s' and '%s' do not broadcast", a->name, b->name);
    want.dims[i] = da == 1 ? db : da;
  }
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  MlirNamedAttribute attrs[2];
  int n = 0;
  if ((s = tfl_act_attrs(imp, o->activation, y, attrs, &n)))
    return s;
  return tfl_define(imp, yi, tfl_emit(imp, mop, 2, ops, yt, n, attrs, op_out_name(imp, y)));
}

/* A shape-preserving one-input op (LOGISTIC, HARD_SWISH, SOFTMAX, LOG_SOFTMAX): same shape, INT8/UINT8/FLOAT32. */
static mcu_status_t unary(timp_t *imp, const char *mop, int nattrs, const MlirNamedAttribute *attrs) {
  const tfl_tensor_t *x, *y;
  tshape_t xs, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  mcu_status_t s;
  if ((s = same_dtype_io(imp, &x, &xs, &in, NULL, NULL, &yi, &y, &ys, &yt)))
    return s;
  if (is_q8(x->type) && (x->quant.num_scales > 1 || y->quant.num_scales > 1))
    return tfl_fail(imp, "input and output must be quantized per tensor");
  if (!tfl_shape_eq(&xs, &ys))
    return shape_mismatch(imp, y, &ys, &xs);
  return tfl_define(imp, yi, tfl_emit(imp, mop, 1, &in, yt, nattrs, attrs, op_out_name(imp, y)));
}

/* LOGISTIC, HARD_SWISH, LOG_SOFTMAX: e->mop without attributes. */
static mcu_status_t import_unary(timp_t *imp, const tfl_op_entry_t *e) { return unary(imp, e->mop, 0, NULL); }

static mcu_status_t import_softmax(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_options_t *o;
  mcu_status_t s = options(imp, TFL_OPT_SOFTMAX, &o);
  if (s)
    return s;
  if (!(o->beta > 0.0f) || !isfinite(o->beta))
    return tfl_fail(imp, "beta %g must be positive and finite", (double)o->beta);
  MlirNamedAttribute a = tfl_named(imp, "beta", mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), o->beta));
  return unary(imp, "mcu.softmax", 1, &a);
}

/* RELU, RELU6, RELU_N1_TO_1. Quantized: mcu.requantize clamped to [act_min, act_max], TF Lite Micro's
 * CalculateReluOpData (RELU: [zp + round(0 / s), qmax]; RELU_N1_TO_1 likewise with -1 and 1, s and zp the
 * output's). TF Lite Micro's int8 RELU6 clamps the input bytes to [zp, zp + round(6 / s)] of the input's
 * quantization without rescaling, so input and output must be quantized alike (then the two agree). Float:
 * mcu.clamp with f32 bounds. */
static mcu_status_t import_relu(timp_t *imp, const tfl_op_entry_t *e) {
  int32_t code = e->code;
  const tfl_tensor_t *x, *y;
  tshape_t xs, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  mcu_status_t s;
  if ((s = same_dtype_io(imp, &x, &xs, &in, NULL, NULL, &yi, &y, &ys, &yt)))
    return s;
  if (!tfl_shape_eq(&xs, &ys))
    return shape_mismatch(imp, y, &ys, &xs);
  float lo = code == TFL_OP_RELU_N1_TO_1 ? -1.0f : 0.0f, hi = code == TFL_OP_RELU6 ? 6.0f : 1.0f;
  int has_hi = code != TFL_OP_RELU;
  const char *name = op_out_name(imp, y);
  if (x->type == TFL_FLOAT32) {
    MlirType f32 = mlirF32TypeGet(imp->ctx);
    MlirNamedAttribute attrs[2] = {
        tfl_named(imp, "min", mlirFloatAttrDoubleGet(imp->ctx, f32, lo)),
        tfl_named(imp, "max", mlirFloatAttrDoubleGet(imp->ctx, f32, has_hi ? hi : INFINITY)),
    };
    return tfl_define(imp, yi, tfl_emit(imp, "mcu.clamp", 1, &in, yt, 2, attrs, name));
  }
  if (x->quant.num_scales > 1 || y->quant.num_scales > 1)
    return tfl_fail(imp, "input and output must be quantized per tensor");
  if (code == TFL_OP_RELU6 && !quant_equal(x, y))
    return tfl_fail(imp, "RELU6 with different input and output quantization is not supported (TF Lite Micro "
                    "clamps the input bytes without rescaling)");
  int64_t mn, mx;
  if ((s = tfl_quant_range(imp, y, 1, lo, has_hi, hi, &mn, &mx)))
    return s;
  MlirNamedAttribute attrs[2] = {
      tfl_named(imp, "act_min", mcu_attr_i64(imp->ctx, mn)),
      tfl_named(imp, "act_max", mcu_attr_i64(imp->ctx, mx)),
  };
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.requantize", 1, &in, yt, 2, attrs, name));
}

/* QUANTIZE (float -> int: mcu.quantize; int -> int: mcu.requantize) and DEQUANTIZE (int -> float; e->arg 1). */
static mcu_status_t import_quantize(timp_t *imp, const tfl_op_entry_t *e) {
  int dequantize = e->arg;
  const tfl_tensor_t *x, *y;
  tshape_t xs, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  mcu_status_t s;
  if ((s = operand(imp, 0, &x, &xs, &in)) || (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  if (!tfl_shape_eq(&xs, &ys))
    return shape_mismatch(imp, y, &ys, &xs);
  const char *mop;
  if (dequantize) {
    if ((s = need_act_dtype(imp, x, 0)))
      return s;
    if (y->type != TFL_FLOAT32)
      return tfl_fail(imp, "output '%s' has dtype %s, expected FLOAT32", y->name, tfl_type_name(y->type));
    mop = "mcu.dequantize";
  } else {
    if ((s = need_act_dtype(imp, x, 1)) || (s = need_act_dtype(imp, y, 0)))
      return s;
    mop = x->type == TFL_FLOAT32 ? "mcu.quantize" : "mcu.requantize";
    if (x->type != TFL_FLOAT32 && (x->quant.num_scales > 1 || y->quant.num_scales > 1))
      return tfl_fail(imp, "requantization must be per tensor");
  }
  return tfl_define(imp, yi, tfl_emit(imp, mop, 1, &in, yt, 0, NULL, op_out_name(imp, y)));
}

/* ---- pooling and reductions ---- */

/* AVERAGE_POOL_2D, MAX_POOL_2D -> mcu.avg_pool2d / mcu.max_pool2d (NHWC), windows as TF Lite computes them. */
static mcu_status_t import_pool(timp_t *imp, const tfl_op_entry_t *e) {
  const char *mop = e->mop;
  const tfl_tensor_t *x, *y;
  tshape_t xs, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, TFL_OPT_POOL2D, &o)) || (s = same_dtype_io(imp, &x, &xs, &in, NULL, NULL, &yi, &y, &ys, &yt)))
    return s;
  if (is_q8(x->type) && (x->quant.num_scales > 1 || y->quant.num_scales > 1))
    return tfl_fail(imp, "input and output must be quantized per tensor");
  if (xs.rank != 4)
    return tfl_fail(imp, "input '%s' must be 4-D NHWC (rank %d)", x->name, xs.rank);
  int64_t oh, ow, pads[4];
  if ((s = window(imp, o->padding, xs.dims[1], o->filter_h, o->stride_h, 1, "height", &oh, &pads[0], &pads[2])) ||
      (s = window(imp, o->padding, xs.dims[2], o->filter_w, o->stride_w, 1, "width", &ow, &pads[1], &pads[3])))
    return s;
  tshape_t want = {.rank = 4, .dims = {xs.dims[0], oh, ow, xs.dims[3]}};
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  int64_t kernel[2] = {o->filter_h, o->filter_w}, strides[2] = {o->stride_h, o->stride_w};
  MlirNamedAttribute attrs[5] = {
      tfl_named(imp, "kernel", tfl_i64_array(imp, 2, kernel)),
      tfl_named(imp, "strides", tfl_i64_array(imp, 2, strides)),
      tfl_named(imp, "pads", tfl_i64_array(imp, 4, pads)),
  };
  int n = 3;
  if ((s = tfl_act_attrs(imp, o->activation, y, attrs, &n)))
    return s;
  return tfl_define(imp, yi, tfl_emit(imp, mop, 1, &in, yt, n, attrs, op_out_name(imp, y)));
}

/* MEAN -> mcu.mean: axes from the constant axis tensor (negative ones normalised, duplicates merged), the result
 * keeps reduced dimensions as 1 with keep_dims, else drops them. */
static mcu_status_t import_mean(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_tensor_t *x, *ax, *y;
  tshape_t xs, as, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, TFL_OPT_REDUCER, &o)) || (s = same_dtype_io(imp, &x, &xs, &in, &ax, &as, &yi, &y, &ys, &yt)))
    return s;
  if (is_q8(x->type) && (x->quant.num_scales > 1 || y->quant.num_scales > 1))
    return tfl_fail(imp, "input and output must be quantized per tensor");
  int64_t v[4 * MCU_MAX_RANK];
  int n;
  if ((s = tfl_const_ints(imp, ax, "axis tensor", v, 4 * MCU_MAX_RANK, &n)))
    return s;
  if (n < 1)
    return tfl_fail(imp, "the axis tensor '%s' is empty", ax->name);
  unsigned mask = 0;
  for (int i = 0; i < n; ++i) {
    int64_t a = v[i] < 0 ? v[i] + xs.rank : v[i];
    if (a < 0 || a >= xs.rank)
      return tfl_fail(imp, "axis %lld is out of range for rank %d", (long long)v[i], xs.rank);
    mask |= 1u << a;
  }
  int64_t axes[MCU_MAX_RANK];
  int na = 0;
  tshape_t want = {.rank = 0};
  for (int i = 0; i < xs.rank; ++i) {
    if (mask >> i & 1)
      axes[na++] = i;
    if (!(mask >> i & 1))
      want.dims[want.rank++] = xs.dims[i];
    else if (o->keep_dims)
      want.dims[want.rank++] = 1;
  }
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  MlirNamedAttribute a = tfl_named(imp, "axes", tfl_i64_array(imp, na, axes));
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.mean", 1, &in, yt, 1, &a, op_out_name(imp, y)));
}

/* ---- data movement ---- */

/* PAD, PADV2 -> mcu.pad: pads = every before-amount then every after-amount (paddings tensor [rank, 2]); value =
 * the output zero point (quantized PAD), PADV2's constant (stored value), or 0.0 (float PAD). e->arg 1: PADV2. */
static mcu_status_t import_pad(timp_t *imp, const tfl_op_entry_t *e) {
  int v2 = e->arg;
  const tfl_tensor_t *x, *p, *y, *cv = NULL;
  tshape_t xs, ps, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi, ci;
  mcu_status_t s;
  if ((s = operand(imp, 0, &x, &xs, &in)) || (s = operand(imp, 1, &p, &ps, NULL)) ||
      (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  if (v2 && (s = tfl_input(imp, 2, 0, &ci, &cv)))
    return s;
  if ((s = need_act_dtype(imp, x, 1)) || (s = need_same_dtype(imp, y, x)))
    return s;
  if (is_q8(x->type) && !quant_equal(x, y))
    return tfl_fail(imp, "input and output must have the same per-tensor quantization");
  int64_t v[2 * MCU_MAX_RANK], pads[2 * MCU_MAX_RANK];
  int n;
  if ((s = tfl_const_ints(imp, p, "paddings tensor", v, 2 * MCU_MAX_RANK, &n)))
    return s;
  if (n != 2 * xs.rank)
    return tfl_fail(imp, "paddings '%s' has %d values, expected %d", p->name, n, 2 * xs.rank);
  tshape_t want = xs;
  for (int i = 0; i < xs.rank; ++i) {
    int64_t before = v[2 * i], after = v[2 * i + 1];
    if (before < 0 || after < 0 || before > TFL_MAX_WINDOW || after > TFL_MAX_WINDOW)
      return tfl_fail(imp, "pad amounts must be in [0, %lld]", (long long)TFL_MAX_WINDOW);
    pads[i] = before;
    pads[xs.rank + i] = after;
    want.dims[i] += before + after;
  }
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  MlirAttribute value;
  if (cv) {
    const uint8_t *data;
    size_t size;
    if ((s = tfl_const_data(imp, cv, &data, &size)))
      return s;
    if (!data || cv->type != x->type || size != tfl_dtype_size(x->type))
      return tfl_fail(imp, "the constant value '%s' must be one constant element of the input's dtype", cv->name);
    if (x->type == TFL_FLOAT32) {
      float f;
      uint32_t u = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
      memcpy(&f, &u, 4);
      value = mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), f);
    } else {
      value = mcu_attr_i64(imp->ctx, x->type == TFL_INT8 ? (int64_t)(int8_t)data[0] : (int64_t)data[0]);
    }
  } else if (x->type == TFL_FLOAT32) {
    value = mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), 0.0);
  } else {
    value = mcu_attr_i64(imp->ctx, y->quant.num_zero_points ? y->quant.zero_points[0] : 0);
  }
  MlirNamedAttribute attrs[2] = {
      tfl_named(imp, "pads", tfl_i64_array(imp, 2 * xs.rank, pads)),
      tfl_named(imp, "value", value),
  };
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.pad", 1, &in, yt, 2, attrs, op_out_name(imp, y)));
}

/* RESHAPE, SQUEEZE -> mcu.reshape to the output tensor's shape (the new_shape input or option is not needed). */
static mcu_status_t import_reshape(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_tensor_t *x, *y;
  tshape_t xs, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  mcu_status_t s;
  if ((s = operand(imp, 0, &x, &xs, &in)) || (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  if ((s = need_same_dtype(imp, y, x)))
    return s;
  if (x->type != TFL_INT32 && (s = need_act_dtype(imp, x, 1)))
    return s;
  if (xs.count != ys.count)
    return shape_mismatch(imp, y, &ys, &xs);
  if (is_q8(x->type) && !quant_equal(x, y))
    return tfl_fail(imp, "input and output must have the same per-tensor quantization");
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.reshape", 1, &in, yt, 0, NULL, op_out_name(imp, y)));
}

/* TRANSPOSE -> mcu.transpose (perm from the constant permutation tensor: output dim i = input dim perm[i]). */
static mcu_status_t import_transpose(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_tensor_t *x, *p, *y;
  tshape_t xs, ps, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  mcu_status_t s;
  if ((s = same_dtype_io(imp, &x, &xs, &in, &p, &ps, &yi, &y, &ys, &yt)))
    return s;
  if (is_q8(x->type) && !quant_equal(x, y))
    return tfl_fail(imp, "input and output must have the same per-tensor quantization");
  int64_t v[MCU_MAX_RANK];
  int n;
  if ((s = tfl_const_ints(imp, p, "permutation", v, MCU_MAX_RANK, &n)))
    return s;
  if (n != xs.rank)
    return tfl_fail(imp, "the permutation has %d entries for a rank-%d input", n, xs.rank);
  unsigned seen = 0;
  tshape_t want = {.rank = n};
  for (int i = 0; i < n; ++i) {
    if (v[i] < 0 || v[i] >= n || (seen >> v[i] & 1))
      return tfl_fail(imp, "the permutation is not a permutation of 0..%d", n - 1);
    seen |= 1u << v[i];
    want.dims[i] = xs.dims[v[i]];
  }
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  MlirNamedAttribute a = tfl_named(imp, "perm", tfl_i64_array(imp, n, v));
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.transpose", 1, &in, yt, 1, &a, op_out_name(imp, y)));
}

/* CONCATENATION -> a left-to-right chain of binary mcu.concat along the normalised axis; intermediates are typed
 * like the output (its element type, the partial extent along the axis); the fused activation goes on the last.
 * One input: mcu.requantize (with the activation). */
static mcu_status_t import_concat(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_tensor_t *y;
  tshape_t ys;
  MlirType yt;
  int32_t yi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, TFL_OPT_CONCATENATION, &o)) || (s = result(imp, &yi, &y, &ys, &yt)))
    return s;
  int n = imp->op->num_inputs;
  if (n < 1)
    return tfl_fail(imp, "no inputs");
  if ((s = need_act_dtype(imp, y, 1)))
    return s;
  if (is_q8(y->type) && y->quant.num_scales > 1)
    return tfl_fail(imp, "the output must be quantized per tensor");
  int64_t axis = o->axis < 0 ? (int64_t)o->axis + ys.rank : o->axis;
  if (axis < 0 || axis >= ys.rank)
    return tfl_fail(imp, "axis %d is out of range for rank %d", o->axis, ys.rank);
  MlirType yelem = mlirShapedTypeGetElementType(yt);
  const char *name = op_out_name(imp, y);
  MlirValue cur = {NULL};
  tshape_t acc = {.rank = 0};
  for (int i = 0; i < n; ++i) {
    const tfl_tensor_t *x;
    tshape_t xs;
    MlirValue v;
    if ((s = operand(imp, i, &x, &xs, &v)) || (s = need_same_dtype(imp, x, y)))
      return s;
    if (is_q8(x->type) && x->quant.num_scales > 1)
      return tfl_fail(imp, "input '%s' must be quantized per tensor", x->name);
    if (xs.rank != ys.rank)
      return tfl_fail(imp, "input '%s' has rank %d, the output %d", x->name, xs.rank, ys.rank);
    for (int d = 0; d < xs.rank; ++d)
      if (d != axis && xs.dims[d] != ys.dims[d])
        return tfl_fail(imp, "input '%s' differs from the output in dimension %d", x->name, d);
    if (i == 0) {
      acc = xs;
      cur = v;
      continue;
    }
    acc.dims[axis] += xs.dims[axis];
    if (acc.dims[axis] > ys.dims[axis])
      return tfl_fail(imp, "the inputs add up to more than the output along axis %lld", (long long)axis);
    MlirNamedAttribute attrs[3] = {tfl_named(imp, "axis", mcu_attr_i64(imp->ctx, axis))};
    int na = 1;
    MlirValue ops[2] = {cur, v};
    if (i == n - 1) {
      if ((s = tfl_act_attrs(imp, o->activation, y, attrs, &na)))
        return s;
      cur = tfl_emit(imp, "mcu.concat", 2, ops, yt, na, attrs, name);
    } else {
      size_t len = strlen(name) + 24;
      char *iname = tfl_alloc(imp, len);
      if (!iname)
        return tfl_fail(imp, "out of memory");
      snprintf(iname, len, "%s_concat%d", name, i);
      cur = tfl_emit(imp, "mcu.concat", 2, ops, tfl_ranked(acc.rank, acc.dims, yelem), na, attrs, iname);
    }
  }
  if (!tfl_shape_eq(&acc, &ys))
    return shape_mismatch(imp, y, &ys, &acc);
  if (n == 1) {
    MlirNamedAttribute attrs[2];
    int na = 0;
    if ((s = tfl_act_attrs(imp, o->activation, y, attrs, &na)))
      return s;
    if (y->type == TFL_FLOAT32) /* the same values: a reshape to the same shape keeps them */
      cur = tfl_emit(imp, "mcu.reshape", 1, &cur, yt, 0, NULL, name);
    else
      cur = tfl_emit(imp, "mcu.requantize", 1, &cur, yt, na, attrs, name);
  }
  return tfl_define(imp, yi, cur);
}

/* RESIZE_NEAREST_NEIGHBOR -> mcu.resize_nearest: NHWC, size [H', W'] from the constant size tensor. */
static mcu_status_t import_resize_nearest(timp_t *imp, const tfl_op_entry_t *e) {
  const tfl_tensor_t *x, *sz, *y;
  tshape_t xs, ss, ys;
  MlirValue in;
  MlirType yt;
  int32_t yi;
  const tfl_options_t *o;
  mcu_status_t s;
  if ((s = options(imp, TFL_OPT_RESIZE_NEAREST, &o)) ||
      (s = same_dtype_io(imp, &x, &xs, &in, &sz, &ss, &yi, &y, &ys, &yt)))
    return s;
  if (is_q8(x->type) && !quant_equal(x, y))
    return tfl_fail(imp, "input and output must have the same per-tensor quantization");
  if (xs.rank != 4)
    return tfl_fail(imp, "input '%s' must be 4-D NHWC (rank %d)", x->name, xs.rank);
  int64_t v[2];
  int n;
  if ((s = tfl_const_ints(imp, sz, "size tensor", v, 2, &n)))
    return s;
  if (n != 2 || v[0] < 1 || v[1] < 1)
    return tfl_fail(imp, "the size tensor '%s' must hold two positive values", sz->name);
  tshape_t want = {.rank = 4, .dims = {xs.dims[0], v[0], v[1], xs.dims[3]}};
  if (!tfl_shape_eq(&ys, &want))
    return shape_mismatch(imp, y, &ys, &want);
  MlirNamedAttribute attrs[2] = {
      tfl_named(imp, "align_corners", mcu_attr_i64(imp->ctx, o->align_corners)),
      tfl_named(imp, "half_pixel_centers", mcu_attr_i64(imp->ctx, o->half_pixel_centers)),
  };
  return tfl_define(imp, yi, tfl_emit(imp, "mcu.resize_nearest", 1, &in, yt, 2, attrs, op_out_name(imp, y)));
}

/* ---- the table and the dispatcher ---- */

/* "fused activation" below: NONE, RELU, RELU_N1_TO_1 or RELU6 (TANH and SIGN_BIT are refused). */
const tfl_op_entry_t tfl_op_table[] = {
    {TFL_OP_CONV_2D, "i8, u8, f32 (input, filter, output alike)",
     "filter per tensor or per output channel; i32 (f32) bias; SAME/VALID, strides, dilations, groups; fused "
     "activation", import_conv, NULL, 0},
    {TFL_OP_DEPTHWISE_CONV_2D, "i8, u8, f32 (input, filter, output alike)",
     "filter per tensor or per channel; multiplier from the shapes; SAME/VALID, strides, dilations; fused activation",
     import_conv, NULL, 1},
    {TFL_OP_FULLY_CONNECTED, "i8, u8, f32 (input, weights, output alike)",
     "weights [O, K] per tensor or per channel; keep_num_dims; no shuffled weights; fused activation",
     import_fully_connected, NULL, 0},
    {TFL_OP_ADD, "i8, u8, f32", "per tensor; numpy broadcasting; fused activation", import_binary, "mcu.add",
     TFL_OPT_ADD},
    {TFL_OP_SUB, "i8, u8, f32", "per tensor; numpy broadcasting; fused activation", import_binary, "mcu.sub",
     TFL_OPT_SUB},
    {TFL_OP_MUL, "i8, u8, f32", "per tensor; numpy broadcasting; fused activation", import_binary, "mcu.mul",
     TFL_OPT_MUL},
    {TFL_OP_AVERAGE_POOL_2D, "i8, u8, f32", "4-D NHWC, per tensor; SAME/VALID; fused activation", import_pool,
     "mcu.avg_pool2d", 0},
    {TFL_OP_MAX_POOL_2D, "i8, u8, f32", "4-D NHWC, per tensor; SAME/VALID; fused activation", import_pool,
     "mcu.max_pool2d", 0},
    {TFL_OP_MEAN, "i8, u8, f32", "per tensor; constant axes; keep_dims", import_mean, NULL, 0},
    {TFL_OP_PAD, "i8, u8, f32", "constant paddings; input and output quantized alike (pads with the zero point)",
     import_pad, NULL, 0},
    {TFL_OP_PADV2, "i8, u8, f32", "constant paddings and constant value; input and output quantized alike",
     import_pad, NULL, 1},
    {TFL_OP_RESHAPE, "i8, u8, f32, i32", "to the output tensor's shape; input and output quantized alike",
     import_reshape, NULL, 0},
    {TFL_OP_SQUEEZE, "i8, u8, f32, i32", "to the output tensor's shape; input and output quantized alike",
     import_reshape, NULL, 0},
    {TFL_OP_SOFTMAX, "i8, u8, f32", "per tensor; positive finite beta", import_softmax, NULL, 0},
    {TFL_OP_LOG_SOFTMAX, "i8, u8, f32", "per tensor", import_unary, "mcu.log_softmax", 0},
    {TFL_OP_LOGISTIC, "i8, u8, f32", "per tensor", import_unary, "mcu.logistic", 0},
    {TFL_OP_HARD_SWISH, "i8, u8, f32", "per tensor", import_unary, "mcu.hard_swish", 0},
    {TFL_OP_RELU, "i8, u8, f32", "per tensor; -> mcu.requantize (quantized) or mcu.clamp (f32)", import_relu, NULL, 0},
    {TFL_OP_RELU6, "i8, u8, f32", "per tensor; quantized: input and output quantized alike", import_relu, NULL, 0},
    {TFL_OP_RELU_N1_TO_1, "i8, u8, f32", "per tensor; -> mcu.requantize (quantized) or mcu.clamp (f32)",
     import_relu, NULL, 0},
    {TFL_OP_QUANTIZE, "f32 -> i8, u8; i8, u8 -> i8, u8",
     "float -> mcu.quantize; integer -> mcu.requantize (per tensor)", import_quantize, NULL, 0},
    {TFL_OP_DEQUANTIZE, "i8, u8 -> f32", "-> mcu.dequantize", import_quantize, NULL, 1},
    {TFL_OP_TRANSPOSE, "i8, u8, f32", "constant permutation; input and output quantized alike", import_transpose,
     NULL, 0},
    {TFL_OP_CONCATENATION, "i8, u8, f32", "per tensor; any axis; fused activation", import_concat, NULL, 0},
    {TFL_OP_RESIZE_NEAREST_NEIGHBOR, "i8, u8, f32",
     "4-D NHWC; constant size; align_corners, half_pixel_centers; input and output quantized alike",
     import_resize_nearest, NULL, 0},
};
const size_t tfl_op_table_count = sizeof tfl_op_table / sizeof tfl_op_table[0];

const tfl_op_entry_t *tfl_op_lookup(int32_t code) {
  for (size_t i = 0; i < tfl_op_table_count; ++i)
    if (tfl_op_table[i].code == code)
      return &tfl_op_table[i];
  return NULL;
}

mcu_status_t tfl_import_operator(timp_t *imp, int32_t code) {
  const tfl_op_entry_t *e = tfl_op_lookup(code);
  if (!e)
    return tfl_fail(imp, "unsupported operator (TFLite front end)");
  return e->fn(imp, e);
}
