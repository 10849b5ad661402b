/* fuse_activation.c: the fuse-activation pass, mcu.clamp folded into the conv2d/matmul that feeds it. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>

#include "context.h"
#include "passes.h"

/* Algorithm: for each mcu.clamp on integer storage whose input is the only use of a conv2d or matmul result of the
 * same type, intersect the clamp's [min, max] with the producer's act_min/act_max (the storage range when
 * absent), set them on the producer, route the clamp's users to the producer and erase the clamp. Why: ONNX
 * applies Relu/Clip to the stored int8 values, which the requantization epilogue can do for free. Weakness: float
 * clamps and clamps after other ops (transpose, reshape) are left alone; the memory planner then pays for them. */

static int fusable_producer(MlirOperation op) { return mcu_op_is(op, "mcu.conv2d") || mcu_op_is(op, "mcu.matmul"); }

static void fuse_one(MlirOperation clamp, void *user) {
  (void)user;
  MlirContext ctx = mlirOperationGetContext(clamp);
  MlirValue in = mlirOperationGetOperand(clamp, 0);
  if (mlirValueIsABlockArgument(in)) return;
  MlirOperation producer = mlirOpResultGetOwner(in);
  if (!fusable_producer(producer) || mcu_value_num_uses(in) != 1) return;
  MlirValue out = mlirOperationGetResult(clamp, 0);
  if (!mlirTypeEqual(mlirValueGetType(in), mlirValueGetType(out))) return;
  MlirAttribute lo = mlirOperationGetAttributeByName(clamp, mlirStringRefCreateFromCString("min"));
  MlirAttribute hi = mlirOperationGetAttributeByName(clamp, mlirStringRefCreateFromCString("max"));
  if (!mlirAttributeIsAInteger(lo) || !mlirAttributeIsAInteger(hi)) return;
  int64_t tmin, tmax;
  if (!mcu_type_storage_range(mlirValueGetType(in), &tmin, &tmax)) return;
  int64_t amin = mcu_op_get_i64(producer, "act_min", tmin), amax = mcu_op_get_i64(producer, "act_max", tmax);
  int64_t cmin = mlirIntegerAttrGetValueInt(lo), cmax = mlirIntegerAttrGetValueInt(hi);
  if (cmin > amin) amin = cmin;
  if (cmax < amax) amax = cmax;
  if (amin > amax) amin = amax; /* Clip with min > max gives max everywhere (min(max(v, lo), hi) = hi) */
  mlirOperationSetDiscardableAttributeByName(producer, mlirStringRefCreateFromCString("act_min"),
                                             mcu_attr_i64(ctx, amin));
  mlirOperationSetDiscardableAttributeByName(producer, mlirStringRefCreateFromCString("act_max"),
                                             mcu_attr_i64(ctx, amax));
  mlirValueReplaceAllUsesOfWith(out, in);
  mlirOperationDestroy(clamp);
}

void mcu_pass_fuse_activation(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, "mcu.clamp", fuse_one, NULL);
}
