/* fuse_pad.c: the fuse-pad pass, an explicit mcu.pad of H and W folded into the following conv2d's pads. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>

#include "context.h"
#include "passes.h"

/* Algorithm: for each mcu.conv2d whose input is the only use of an mcu.pad that pads only H and W (NHWC) with the
 * input's zero point (0.0 for f32), add the pad amounts to the convolution's pads, read the pad's input directly
 * and erase the pad. Exact: the convolution skips padded positions, which is what a zero-point-valued pad
 * contributes ((x - zx) = 0). Why: TFLite and PyTorch exporters write explicit PADs before stride-2 depthwise
 * convolutions; the padded copy costs a whole tensor of SRAM and a pass over memory. Weakness: pooling is not
 * fused (average pooling counts explicit padding, and max pooling sees the pad value: neither is exact). */

/* The stored value that represents real 0 in a tensor of this type: its zero point (0 for plain types). */
static int zero_value(MlirType tensor_type, int64_t *out_value, int *out_is_float) {
  MlirType el = mlirShapedTypeGetElementType(tensor_type);
  *out_is_float = mlirTypeIsAF32(el);
  *out_value = 0;
  if (mlirTypeIsAUniformQuantizedType(el)) {
    *out_value = mlirUniformQuantizedTypeGetZeroPoint(el);
    return 1;
  }
  return mlirTypeIsAInteger(el) || *out_is_float;
}

static int pad_is_zero(MlirOperation pad, MlirType in_type) {
  int64_t zero;
  int is_float;
  if (!zero_value(in_type, &zero, &is_float)) return 0;
  MlirAttribute v = mlirOperationGetAttributeByName(pad, mlirStringRefCreateFromCString("value"));
  if (mlirAttributeIsNull(v)) return 0;
  if (is_float) return mlirAttributeIsAFloat(v) && mlirFloatAttrGetValueDouble(v) == 0.0;
  return mlirAttributeIsAInteger(v) && mlirIntegerAttrGetValueInt(v) == zero;
}

static void fuse_one(MlirOperation conv, void *user) {
  (void)user;
  MlirContext ctx = mlirOperationGetContext(conv);
  MlirValue in = mlirOperationGetOperand(conv, 0);
  if (mlirValueIsABlockArgument(in)) return;
  MlirOperation pad = mlirOpResultGetOwner(in);
  if (!mcu_op_is(pad, "mcu.pad") || mcu_value_num_uses(in) != 1) return;
  MlirValue src = mlirOperationGetOperand(pad, 0);
  if (mlirShapedTypeGetRank(mlirValueGetType(src)) != 4 || !pad_is_zero(pad, mlirValueGetType(src))) return;
  int64_t p[8], c[4];
  if (mcu_op_get_i64_array(pad, "pads", p, 8) != 8 || mcu_op_get_i64_array(conv, "pads", c, 4) != 4) return;
  if (p[0] || p[3] || p[4] || p[7]) return; /* only H and W: before H, W at 1, 2; after at 5, 6 */
  int64_t fused[4] = {c[0] + p[1], c[1] + p[2], c[2] + p[5], c[3] + p[6]};
  mlirOperationSetAttributeByName(conv, mlirStringRefCreateFromCString("pads"), mlirDenseI64ArrayGet(ctx, 4, fused));
  mlirOperationSetOperand(conv, 0, src);
  mlirOperationDestroy(pad);
}

void mcu_pass_fuse_pad(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, "mcu.conv2d", fuse_one, NULL);
}
