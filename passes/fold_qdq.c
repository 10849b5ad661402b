/* fold_qdq.c: the fold-qdq pass, ONNX QDQ groups (dequantize -> f32 op -> quantize) become integer ops. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdlib.h>
#include <string.h>

#include "const_util.h"
#include "context.h"
#include "passes.h"
#include "ref.h"

/* Algorithm, in two walks over each function.
 * (1) Layout ops are moved to the integer side, which is exact (quantize and dequantize are element-wise, the
 *     layout ops only move elements): transpose/reshape(dequantize(q)) becomes dequantize(transpose/reshape(q))
 *     (a per-axis quantization follows its dimension through a transpose), and quantize(transpose/reshape(y)) of
 *     a per-tensor quantize becomes transpose/reshape(quantize(y)) when the layout op has no other reader. The
 *     ONNX importer puts NCHW <-> NHWC transposes between the QDQ nodes and the NHWC conv; after this walk the
 *     group is contiguous and the transposes sit between integer tensors, where simplify-transposes cancels them.
 * (2) Each per-tensor mcu.quantize Q whose input is, through f32 mcu.clamp ops that have no other reader, the
 *     only use of an f32 mcu.conv2d (input dequantize(x_q) per tensor, filter dequantize(w_q) per tensor or per
 *     axis 0, bias described below) or f32 mcu.matmul (dequantize(a_q) per tensor, dequantize(b_q) per tensor or
 *     per axis of the last dimension) is replaced by the integer op over x_q, w_q (a_q, b_q) with Q's result type
 *     and the f32 op's attributes, without a `numerics` attribute (ONNX numerics, docs/ir.md): that is what ONNX
 *     Runtime runs, as its QDQ transformer turns such groups into QLinearConv / QLinearMatMul.
 *     The conv bias: dequantize(int32 b) gives b as it is (QLinearConv reads the int32 data and ignores the
 *     DequantizeLinear's scale, which the quantizer sets to sx * sw[o]); an f32 constant bias is quantized as
 *     onnxruntime.quantization does, round_half_even(bias[o] / (sx * sw[o])) in float32 (saturated to int32).
 *     The clamps (Relu, Clip; and act_fmin/act_fmax on the f32 op) become act_min/act_max on stored output
 *     values: quantization is monotone, so quantize(clip(v, lo, hi)) = clamp(quantize(v), quantize(lo),
 *     quantize(hi)); a Relu gives max(zy, ...) as in ONNX Runtime's QDQ Relu fusion.
 * Why: QDQ is the form PyTorch and onnxruntime.quantization export int8 models in; left as it is, the model runs
 * in float with conversions between every op. Weakness: only conv2d and matmul groups are turned into integer
 * ops (ONNX Runtime also fuses Add, Mul, pooling, Concat, Gemm, ...; those need ONNX-numerics kernels the library
 * does not have yet), a float bias is not what ONNX Runtime itself would fuse (it keeps such a Conv in float),
 * and a group whose f32 op carries numerics = "tflite" (a TFLite model) is left alone. */

static MlirType with_shape_of(MlirType shaped, MlirType element) {
  intptr_t rank = mlirShapedTypeGetRank(shaped);
  int64_t dims[16];
  for (intptr_t i = 0; i < rank && i < 16; ++i) dims[i] = mlirShapedTypeGetDimSize(shaped, i);
  return mlirRankedTensorTypeGet(rank, dims, element, mlirAttributeGetNull());
}

static MlirType element_of(MlirValue v) { return mlirShapedTypeGetElementType(mlirValueGetType(v)); }

static int is_f32(MlirValue v) { return mlirTypeIsAF32(element_of(v)); }

/* The op defining v when it is an `name` op, else null. */
static MlirOperation producer(MlirValue v, const char *name) {
  MlirOperation none = {NULL};
  if (mlirValueIsABlockArgument(v)) return none;
  MlirOperation op = mlirOpResultGetOwner(v);
  return mcu_op_is(op, name) ? op : none;
}

/* A per-axis quantized element type with its axis moved to `axis`. */
static MlirType move_axis(MlirType el, int32_t axis) {
  intptr_t n = mlirUniformQuantizedPerAxisTypeGetNumDims(el);
  double *scales = malloc(sizeof *scales * (size_t)(n + 1));
  int64_t *zps = malloc(sizeof *zps * (size_t)(n + 1));
  MlirType t = {NULL};
  if (scales && zps) {
    for (intptr_t i = 0; i < n; ++i) {
      scales[i] = mlirUniformQuantizedPerAxisTypeGetScale(el, i);
      zps[i] = mlirUniformQuantizedPerAxisTypeGetZeroPoint(el, i);
    }
    t = mlirUniformQuantizedPerAxisTypeGet(mlirQuantizedTypeGetFlags(el), mlirQuantizedTypeGetStorageType(el),
                                           mlirQuantizedTypeGetExpressedType(el), n, scales, zps, axis,
                                           mlirQuantizedTypeGetStorageTypeMin(el),
                                           mlirQuantizedTypeGetStorageTypeMax(el));
  }
  free(scales);
  free(zps);
  return t;
}

/* A copy of layout op `op` (transpose or reshape, its attributes kept) over `in`, with result type `type`,
 * inserted before `before`. */
static MlirValue clone_layout(MlirOperation op, MlirValue in, MlirType type, MlirOperation before) {
  MlirOperation c = mlirOperationClone(op);
  mlirOperationSetOperand(c, 0, in);
  mlirValueSetType(mlirOperationGetResult(c, 0), type);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(before), before, c);
  return mlirOperationGetResult(c, 0);
}

static MlirValue create_unary(const char *name, MlirValue in, MlirType type, MlirOperation before) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), mlirOperationGetLocation(before));
  mlirOperationStateAddOperands(&st, 1, &in);
  mlirOperationStateAddResults(&st, 1, &type);
  MlirOperation op = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(before), before, op);
  return mlirOperationGetResult(op, 0);
}

/* The element type of layout op `op`'s result when its input has quantized element `el`; null when a per-axis
 * dimension does not survive the op (a reshape, unless the shape is unchanged). */
static MlirType layout_element(MlirOperation op, MlirType el) {
  MlirType none = {NULL};
  if (!mlirTypeIsAUniformQuantizedPerAxisType(el)) return el;
  int32_t axis = mlirUniformQuantizedPerAxisTypeGetQuantizedDimension(el);
  if (mcu_op_is(op, "mcu.transpose")) {
    int64_t perm[8];
    int n = mcu_op_get_i64_array(op, "perm", perm, 8);
    for (int i = 0; i < n && i < 8; ++i)
      if (perm[i] == axis) return i == axis ? el : move_axis(el, i);
    return none;
  }
  MlirType in = mlirValueGetType(mlirOperationGetOperand(op, 0)), out = mlirValueGetType(mlirOperationGetResult(op, 0));
  return mlirTypeEqual(with_shape_of(in, mlirF32TypeGet(mlirTypeGetContext(in))),
                       with_shape_of(out, mlirF32TypeGet(mlirTypeGetContext(in))))
             ? el
             : none;
}

/* (1a) layout(dequantize(q)) -> dequantize(layout(q)). */
static void sink_dequantize(MlirOperation layout) {
  MlirValue mid = mlirOperationGetOperand(layout, 0), out = mlirOperationGetResult(layout, 0);
  MlirOperation deq = producer(mid, "mcu.dequantize");
  if (mlirOperationIsNull(deq)) return;
  MlirValue q = mlirOperationGetOperand(deq, 0);
  MlirType el = layout_element(layout, element_of(q));
  if (mlirTypeIsNull(el)) return;
  MlirValue moved = clone_layout(layout, q, with_shape_of(mlirValueGetType(out), el), layout);
  MlirValue d = create_unary("mcu.dequantize", moved, mlirValueGetType(out), layout);
  mlirValueReplaceAllUsesOfWith(out, d);
  mlirOperationDestroy(layout);
  mcu_erase_if_dead(mid);
}

/* (1b) quantize(layout(y)) -> layout(quantize(y)) for a per-tensor quantize; returns the new quantize or null. */
static MlirOperation hoist_quantize(MlirOperation quant) {
  MlirOperation none = {NULL};
  MlirValue mid = mlirOperationGetOperand(quant, 0), out = mlirOperationGetResult(quant, 0);
  MlirOperation layout = producer(mid, "mcu.transpose");
  if (mlirOperationIsNull(layout)) layout = producer(mid, "mcu.reshape");
  if (mlirOperationIsNull(layout) || mcu_value_num_uses(mid) != 1) return none;
  MlirType el = element_of(out);
  if (!mlirTypeIsAUniformQuantizedType(el)) return none;
  MlirValue y = mlirOperationGetOperand(layout, 0);
  MlirValue q = create_unary("mcu.quantize", y, with_shape_of(mlirValueGetType(y), el), quant);
  MlirValue moved = clone_layout(layout, q, mlirValueGetType(out), quant);
  mlirValueReplaceAllUsesOfWith(out, moved);
  mlirOperationDestroy(quant);
  mlirOperationDestroy(layout);
  return mlirOpResultGetOwner(q);
}

/* x_q when v = dequantize(x_q) with a per-tensor (axis < 0) or per-axis-`axis` quantized 8-bit x_q. */
static int dequantized(MlirValue v, int per_axis_dim, MlirValue *out_q) {
  MlirOperation deq = producer(v, "mcu.dequantize");
  if (mlirOperationIsNull(deq)) return 0;
  MlirValue q = mlirOperationGetOperand(deq, 0);
  MlirType el = element_of(q);
  if (!mlirTypeIsAQuantizedType(el) || mlirQuantizedTypeGetStorageTypeIntegralWidth(el) != 8) return 0;
  if (mlirTypeIsAUniformQuantizedPerAxisType(el)) {
    if (per_axis_dim < 0 || mlirUniformQuantizedPerAxisTypeGetQuantizedDimension(el) != per_axis_dim) return 0;
  } else if (!mlirTypeIsAUniformQuantizedType(el)) {
    return 0;
  }
  *out_q = q;
  return 1;
}

static float scale_of(MlirType el, intptr_t i) {
  return (float)(mlirTypeIsAUniformQuantizedPerAxisType(el) ? mlirUniformQuantizedPerAxisTypeGetScale(el, i)
                                                             : mlirUniformQuantizedTypeGetScale(el));
}

/* The int32 bias [O] of the integer conv for the f32 bias operand `b`, inserted before `before`; null on failure. */
static MlirValue integer_bias(MlirValue b, MlirValue xq, MlirValue wq, MlirOperation before) {
  MlirValue none = {NULL};
  MlirType bt = mlirValueGetType(b);
  if (mlirShapedTypeGetRank(bt) != 1) return none;
  int64_t O = mlirShapedTypeGetDimSize(bt, 0);
  MlirContext ctx = mlirTypeGetContext(bt);
  MlirType i32t = with_shape_of(bt, mlirIntegerTypeGet(ctx, 32));
  int32_t *data = malloc(sizeof *data * (size_t)(O + 1));
  if (!data) return none;
  MlirValue result = none;
  MlirOperation deq = producer(b, "mcu.dequantize");
  if (!mlirOperationIsNull(deq)) {
    MlirValue q = mlirOperationGetOperand(deq, 0);
    MlirType el = element_of(q);
    int is_i32 = mlirTypeIsAInteger(el) ? mlirIntegerTypeGetWidth(el) == 32
                                        : mlirTypeIsAQuantizedType(el) && mlirQuantizedTypeGetStorageTypeIntegralWidth(el) == 32;
    if (is_i32 && mlirTypeIsAInteger(el)) {
      result = q;
    } else if (is_i32 && mcu_const_read(q, data, 4 * O)) {
      result = mcu_const_insert(before, i32t, data, mlirAttributeGetNull());
    }
  } else if (is_f32(b)) {
    float *f = malloc(sizeof *f * (size_t)(O + 1));
    int ok = f && mcu_const_read(b, f, 4 * O);
    MlirType xel = element_of(xq), wel = element_of(wq);
    if (mlirTypeIsAUniformQuantizedPerAxisType(wel) && mlirUniformQuantizedPerAxisTypeGetNumDims(wel) != O) ok = 0;
    for (int64_t o = 0; o < O && ok; ++o) {
      float bs = scale_of(xel, 0) * scale_of(wel, mlirTypeIsAUniformQuantizedPerAxisType(wel) ? (intptr_t)o : 0);
      float v = f[o] / bs;
      if (!(fabsf(v) < 2147483520.0f)) { /* beyond int32 (or NaN): no integer bias represents it */
        ok = 0;
        break;
      }
      data[o] = (int32_t)mcu_ref_round_half_even(v);
    }
    if (ok) result = mcu_const_insert(before, i32t, data, mlirAttributeGetNull());
    free(f);
  }
  free(data);
  return result;
}

/* act_min/act_max of the integer op: the f32 clamp range [fmin, fmax] quantized to the output's stored values. */
static void quantized_range(MlirType yel, double fmin, double fmax, int64_t *out_min, int64_t *out_max) {
  int32_t lo = (int32_t)mlirQuantizedTypeGetStorageTypeMin(yel), hi = (int32_t)mlirQuantizedTypeGetStorageTypeMax(yel);
  float s = (float)mlirUniformQuantizedTypeGetScale(yel);
  int32_t z = (int32_t)mlirUniformQuantizedTypeGetZeroPoint(yel);
  *out_min = isinf(fmin) && fmin < 0 ? lo : mcu_ref_quantize_value((float)fmin, s, z, lo, hi);
  *out_max = isinf(fmax) && fmax > 0 ? hi : mcu_ref_quantize_value((float)fmax, s, z, lo, hi);
}

static double float_attr(MlirOperation op, const char *name, double fallback) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
  return !mlirAttributeIsNull(a) && mlirAttributeIsAFloat(a) ? mlirFloatAttrGetValueDouble(a) : fallback;
}

/* (2) One QDQ group ending in quantize `quant`. */
static void fold_group(MlirContext ctx, MlirOperation quant) {
  MlirValue out = mlirOperationGetResult(quant, 0);
  MlirType yel = element_of(out);
  if (!mlirTypeIsAUniformQuantizedType(yel) || mlirQuantizedTypeGetStorageTypeIntegralWidth(yel) != 8) return;
  double lo = -INFINITY, hi = INFINITY;
  MlirOperation clamps[8];
  int num_clamps = 0;
  MlirValue v = mlirOperationGetOperand(quant, 0);
  for (MlirOperation c = producer(v, "mcu.clamp"); !mlirOperationIsNull(c) && num_clamps < 8;
       c = producer(v, "mcu.clamp")) {
    if (mcu_value_num_uses(v) != 1 || !is_f32(v)) return;
    double cmin = float_attr(c, "min", NAN), cmax = float_attr(c, "max", NAN);
    if (isnan(cmin) || isnan(cmax)) return;
    lo = fmax(lo, cmin);
    hi = fmin(hi, cmax);
    clamps[num_clamps++] = c;
    v = mlirOperationGetOperand(c, 0);
  }
  if (!is_f32(v) || mcu_value_num_uses(v) != 1 || mlirValueIsABlockArgument(v)) return;
  MlirOperation op = mlirOpResultGetOwner(v);
  int is_conv = mcu_op_is(op, "mcu.conv2d");
  if (!is_conv && !mcu_op_is(op, "mcu.matmul")) return;
  MlirAttribute numerics = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("numerics"));
  if (!mlirAttributeIsNull(numerics)) {
    MlirStringRef n = mlirAttributeIsAString(numerics) ? mlirStringAttrGetValue(numerics) : (MlirStringRef){"", 0};
    if (!(n.length == 4 && !memcmp(n.data, "onnx", 4))) return;
  }
  lo = fmax(lo, float_attr(op, "act_fmin", -INFINITY));
  hi = fmin(hi, float_attr(op, "act_fmax", INFINITY));
  MlirValue a, b, bias = {NULL};
  int b_axis = is_conv ? 0 : (int)mlirShapedTypeGetRank(mlirValueGetType(mlirOperationGetOperand(op, 1))) - 1;
  if (!dequantized(mlirOperationGetOperand(op, 0), -1, &a) || !dequantized(mlirOperationGetOperand(op, 1), b_axis, &b))
    return;
  if (is_conv) {
    bias = integer_bias(mlirOperationGetOperand(op, 2), a, b, quant);
    if (mlirValueIsNull(bias)) return;
  }
  int64_t amin, amax;
  quantized_range(yel, lo, hi, &amin, &amax);
  /* The integer op: the f32 op's inherent attributes, the quantized operands, Q's result type. */
  MlirOperation iop = mlirOperationClone(op);
  mlirOperationSetOperand(iop, 0, a);
  mlirOperationSetOperand(iop, 1, b);
  if (is_conv) mlirOperationSetOperand(iop, 2, bias);
  mlirValueSetType(mlirOperationGetResult(iop, 0), mlirValueGetType(out));
  static const char *const drop[] = {"numerics", "act_fmin", "act_fmax", "act_min", "act_max"};
  for (size_t i = 0; i < sizeof drop / sizeof drop[0]; ++i) {
    mlirOperationRemoveAttributeByName(iop, mlirStringRefCreateFromCString(drop[i]));
  }
  if (amin > mlirQuantizedTypeGetStorageTypeMin(yel) || amax < mlirQuantizedTypeGetStorageTypeMax(yel)) {
    mlirOperationSetDiscardableAttributeByName(iop, mlirStringRefCreateFromCString("act_min"), mcu_attr_i64(ctx, amin));
    mlirOperationSetDiscardableAttributeByName(iop, mlirStringRefCreateFromCString("act_max"), mcu_attr_i64(ctx, amax));
  }
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(quant), quant, iop);
  mlirValueReplaceAllUsesOfWith(out, mlirOperationGetResult(iop, 0));
  /* Erase the float group, then whatever it alone read. */
  MlirValue operands[3];
  int num = (int)mlirOperationGetNumOperands(op);
  for (int i = 0; i < num && i < 3; ++i) operands[i] = mlirOperationGetOperand(op, i);
  mlirOperationDestroy(quant);
  for (int i = num_clamps - 1; i >= 0; --i) mlirOperationDestroy(clamps[i]);
  mlirOperationDestroy(op);
  for (int i = 0; i < num && i < 3; ++i) {
    int dup = 0;
    for (int k = 0; k < i; ++k) dup |= mlirValueEqual(operands[k], operands[i]);
    if (dup) continue;
    MlirOperation deq = producer(operands[i], "mcu.dequantize");
    MlirValue src = mlirOperationIsNull(deq) ? (MlirValue){NULL} : mlirOperationGetOperand(deq, 0);
    if (mcu_value_num_uses(operands[i]) == 0) {
      mcu_erase_if_dead(operands[i]);
      if (!mlirValueIsNull(src)) mcu_erase_if_dead(src);
    }
  }
}

/* First layout ops move out of the QDQ groups, then each group folds. */
static void move_layout(MlirOperation op, void *user) {
  (void)user;
  if (mcu_op_is(op, "mcu.transpose") || mcu_op_is(op, "mcu.reshape")) {
    sink_dequantize(op);
  } else if (mcu_op_is(op, "mcu.quantize")) {
    for (MlirOperation q = hoist_quantize(op); !mlirOperationIsNull(q);) q = hoist_quantize(q);
  }
}

static void fold_at_quantize(MlirOperation op, void *user) {
  (void)user;
  fold_group(mlirOperationGetContext(op), op);
}

void mcu_pass_fold_qdq(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, NULL, move_layout, NULL);
  mcu_for_each_op(module, "mcu.quantize", fold_at_quantize, NULL);
}
