/* stream_blocks.c: the stream-blocks pass, expand 1x1 -> depthwise -> project 1x1 chains made one mcu.stream_block. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <string.h>

#include "context.h"
#include "lower.h"
#include "passes.h"

/* Algorithm: for each mcu.conv2d P (the projection) of every function, walking back: its input must be the only use
 * of a depthwise mcu.conv2d D, whose input must be the only use of an mcu.conv2d E (the expansion), where
 *   - all three have TF Lite numerics and int8 per-tensor-quantized activations, int32 biases, and their filters
 *     and biases are mcu.constant results;
 *   - E and P are 1x1, stride 1, no padding, groups 1; D has groups == its input channels == its output channels
 *     (depth multiplier 1);
 *   - neither E's nor D's result is returned by the function;
 *   - streaming pays: the kernel's scratch (min(kh_span, H) rows of W x Ce bytes plus Ce) is smaller than E's
 *     result (H x W x Ce bytes), so the block's peak (input + output + scratch) is below what the unfused chain
 *     holds at the expansion (input + expanded).
 * The chain becomes one mcu.stream_block (operands: input, E's filter and bias, D's filter and bias, P's filter
 * and bias; D's strides/pads/dilations; P's act_min/act_max and numerics; `mid_types` = [E's and D's result
 * types]; `mid_act` = [E's act range, D's act range]) inserted where P was; the kernel library must accept it
 * (compiler/lower.c's mcu_lower_op_kernel), else the three convs stay. Why: the expanded tensor of an
 * inverted-residual block is usually the network's largest; streamed, only a few of its rows ever exist
 * (runtime/kernels/k_stream_block.c, bit-identical). Weakness: a chain without a projection (or a block whose
 * expansion feeds anything else) is not streamed; the decision is local (it does not ask whether this block is
 * at the arena's peak), and the fused kernel is slower than the three tiled convs would be. */

static MlirAttribute attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
}

/* The conv2d defining v when v's only use is `user`, else a null operation. */
static MlirOperation sole_conv_producer(MlirValue v) {
  MlirOperation none = {NULL};
  if (mlirValueIsABlockArgument(v) || mcu_value_num_uses(v) != 1 || mcu_value_is_returned(v)) return none;
  MlirOperation def = mlirOpResultGetOwner(v);
  return mcu_op_is(def, "mcu.conv2d") ? def : none;
}

static int is_i8_per_tensor(MlirType t) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) || mlirShapedTypeGetRank(t) != 4) return 0;
  MlirType el = mlirShapedTypeGetElementType(t);
  return mlirTypeIsAUniformQuantizedType(el) && mlirQuantizedTypeIsSigned(el) &&
         mlirQuantizedTypeGetStorageTypeIntegralWidth(el) == 8;
}

static int is_tflite(MlirOperation op) {
  MlirAttribute n = attr(op, "numerics");
  if (mlirAttributeIsNull(n) || !mlirAttributeIsAString(n)) return 0;
  MlirStringRef s = mlirStringAttrGetValue(n);
  return s.length == 6 && !memcmp(s.data, "tflite", 6);
}

/* Common checks on one conv: numerics, int8 activations, constant filter and bias; out_shape: result dims. */
static int conv_ok(MlirOperation conv) {
  if (!is_tflite(conv) || mlirOperationGetNumOperands(conv) != 3) return 0;
  if (!is_i8_per_tensor(mlirValueGetType(mlirOperationGetOperand(conv, 0))) ||
      !is_i8_per_tensor(mlirValueGetType(mlirOperationGetResult(conv, 0))))
    return 0;
  for (int i = 1; i < 3; ++i) {
    MlirValue v = mlirOperationGetOperand(conv, i);
    if (mlirValueIsABlockArgument(v) || !mcu_op_is(mlirOpResultGetOwner(v), "mcu.constant")) return 0;
  }
  return 1;
}

static int64_t dim(MlirValue v, int i) { return mlirShapedTypeGetDimSize(mlirValueGetType(v), i); }

/* 1x1, stride 1, no padding, groups 1. */
static int is_pointwise(MlirOperation conv) {
  int64_t s[2], p[4];
  MlirValue w = mlirOperationGetOperand(conv, 1);
  if (mcu_op_get_i64_array(conv, "strides", s, 2) != 2 || mcu_op_get_i64_array(conv, "pads", p, 4) != 4) return 0;
  return dim(w, 1) == 1 && dim(w, 2) == 1 && s[0] == 1 && s[1] == 1 && !p[0] && !p[1] && !p[2] && !p[3] &&
         mcu_op_get_i64(conv, "groups", 0) == 1;
}

static void act_range(MlirOperation conv, int64_t *out) {
  int64_t lo = -128, hi = 127;
  mcu_type_storage_range(mlirValueGetType(mlirOperationGetResult(conv, 0)), &lo, &hi);
  out[0] = mcu_op_get_i64(conv, "act_min", lo);
  out[1] = mcu_op_get_i64(conv, "act_max", hi);
}

static void copy_attr(MlirOperation from, MlirOperation to, const char *name) {
  MlirAttribute a = attr(from, name);
  if (!mlirAttributeIsNull(a)) mlirOperationSetAttributeByName(to, mlirStringRefCreateFromCString(name), a);
}

static void fuse_at(MlirOperation proj, void *user) {
  (void)user;
  if (!conv_ok(proj) || !is_pointwise(proj)) return;
  MlirOperation dw = sole_conv_producer(mlirOperationGetOperand(proj, 0));
  if (mlirOperationIsNull(dw) || !conv_ok(dw)) return;
  MlirOperation ex = sole_conv_producer(mlirOperationGetOperand(dw, 0));
  if (mlirOperationIsNull(ex) || !conv_ok(ex) || !is_pointwise(ex)) return;
  MlirValue e = mlirOperationGetResult(ex, 0), wd = mlirOperationGetOperand(dw, 1);
  const int64_t h = dim(e, 1), w = dim(e, 2), ce = dim(e, 3);
  if (mcu_op_get_i64(dw, "groups", 0) != ce || dim(mlirOperationGetResult(dw, 0), 3) != ce || dim(wd, 3) != 1)
    return;
  int64_t dil[2];
  if (mcu_op_get_i64_array(dw, "dilations", dil, 2) != 2 || dil[0] < 1) return;
  int64_t ring = (dim(wd, 1) - 1) * dil[0] + 1;
  if (ring > h) ring = h;
  if (ring * w * ce + ce >= h * w * ce) return; /* streaming would not shrink anything */

  MlirContext ctx = mlirOperationGetContext(proj);
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("mcu.stream_block"),
                                                mlirOperationGetLocation(proj));
  MlirValue operands[7] = {mlirOperationGetOperand(ex, 0), mlirOperationGetOperand(ex, 1),
                           mlirOperationGetOperand(ex, 2), wd, mlirOperationGetOperand(dw, 2),
                           mlirOperationGetOperand(proj, 1), mlirOperationGetOperand(proj, 2)};
  mlirOperationStateAddOperands(&st, 7, operands);
  MlirValue y = mlirOperationGetResult(proj, 0);
  MlirType yt = mlirValueGetType(y);
  mlirOperationStateAddResults(&st, 1, &yt);
  MlirAttribute mids[2] = {mlirTypeAttrGet(mlirValueGetType(e)),
                           mlirTypeAttrGet(mlirValueGetType(mlirOperationGetResult(dw, 0)))};
  int64_t acts[4];
  act_range(ex, acts);
  act_range(dw, acts + 2);
  MlirNamedAttribute named[2] = {mcu_named(ctx, "mid_types", mlirArrayAttrGet(ctx, 2, mids)),
                                 mcu_named(ctx, "mid_act", mlirDenseI64ArrayGet(ctx, 4, acts))};
  mlirOperationStateAddAttributes(&st, 2, named);
  MlirOperation fused = mlirOperationCreate(&st);
  static const char *const from_dw[] = {"strides", "pads", "dilations", "mcu.name"};
  for (size_t i = 0; i < sizeof from_dw / sizeof from_dw[0]; ++i) copy_attr(dw, fused, from_dw[i]);
  static const char *const from_proj[] = {"numerics", "act_min", "act_max"};
  for (size_t i = 0; i < sizeof from_proj / sizeof from_proj[0]; ++i) copy_attr(proj, fused, from_proj[i]);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(proj), proj, fused);

  mcu_op_kernel_t info;
  mcu_status_t s = mcu_lower_op_kernel(fused, &info);
  if (s || !info.handled) {
    mcu_status_free(s);
    mlirOperationDestroy(fused);
    return;
  }
  mlirValueReplaceAllUsesOfWith(y, mlirOperationGetResult(fused, 0));
  mlirOperationDestroy(proj);
  mlirOperationDestroy(dw);
  mlirOperationDestroy(ex);
}

void mcu_pass_stream_blocks(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, "mcu.conv2d", fuse_at, NULL);
}
