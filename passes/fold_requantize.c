/* fold_requantize.c: the fold-requantize pass, conversions that keep the quantization become clamps or vanish. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>

#include "const_util.h"
#include "context.h"
#include "passes.h"

/* Algorithm, per op in order: (1) an mcu.requantize whose input and result have the same type (same storage,
 * same scales and zero points) multiplies by exactly 1: it is the identity on stored values followed by its
 * act_min/act_max; when that range is narrower than the storage range it becomes an mcu.clamp of the stored
 * values, otherwise its users read the input. (2) An mcu.quantize of an mcu.dequantize with the same quantized
 * type on both ends gives back the stored values: quantize((q - z) * s) = q exactly in float32, since
 * |fl(fl(k * s) / s) - k| < 0.5 for |k| < 2^16, so its users read the dequantize's input; the dequantize is
 * erased when nothing else reads it. Why: importers emit these conversions at every format boundary (TFLite
 * QUANTIZE int8 -> int8, ONNX QDQ pairs between integer ops); each costs a pass over memory and an arena buffer.
 * Weakness: conversions between different quantizations are kept (folding them into the producer would change
 * the rounding), and so is i8 <-> u8 with zero points 128 apart (the same real values, other bytes). */

static int same_type(MlirValue a, MlirValue b) { return mlirTypeEqual(mlirValueGetType(a), mlirValueGetType(b)); }

/* Replaces op (one operand, one result of the same type) by `mcu.clamp {min, max}` or by its input. */
static void fold_requantize(MlirContext ctx, MlirOperation op) {
  MlirValue in = mlirOperationGetOperand(op, 0), out = mlirOperationGetResult(op, 0);
  if (!same_type(in, out)) return;
  int64_t lo, hi;
  if (!mcu_type_storage_range(mlirValueGetType(out), &lo, &hi)) return;
  int64_t amin = mcu_op_get_i64(op, "act_min", lo), amax = mcu_op_get_i64(op, "act_max", hi);
  if (amin < lo) amin = lo;
  if (amax > hi) amax = hi;
  if (amin > amax) amin = amax; /* an empty range gives max everywhere, as the lowering reads it */
  if (amin == lo && amax == hi) {
    mlirValueReplaceAllUsesOfWith(out, in);
    mlirOperationDestroy(op);
    return;
  }
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("mcu.clamp"),
                                                mlirOperationGetLocation(op));
  MlirNamedAttribute attrs[3] = {mcu_named(ctx, "min", mcu_attr_i64(ctx, amin)),
                                 mcu_named(ctx, "max", mcu_attr_i64(ctx, amax))};
  int nattrs = 2;
  MlirAttribute name = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.name"));
  if (!mlirAttributeIsNull(name)) attrs[nattrs++] = mcu_named(ctx, "mcu.name", name);
  mlirOperationStateAddAttributes(&st, nattrs, attrs);
  mlirOperationStateAddOperands(&st, 1, &in);
  MlirType t = mlirValueGetType(out);
  mlirOperationStateAddResults(&st, 1, &t);
  MlirOperation clamp = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(op), op, clamp);
  mlirValueReplaceAllUsesOfWith(out, mlirOperationGetResult(clamp, 0));
  mlirOperationDestroy(op);
}

/* quantize(dequantize(q)) with the same quantized type on both ends -> q. */
static void fold_pair(MlirOperation quant) {
  MlirValue mid = mlirOperationGetOperand(quant, 0), out = mlirOperationGetResult(quant, 0);
  if (mlirValueIsABlockArgument(mid)) return;
  MlirOperation deq = mlirOpResultGetOwner(mid);
  if (!mcu_op_is(deq, "mcu.dequantize")) return;
  MlirValue in = mlirOperationGetOperand(deq, 0);
  if (!same_type(in, out)) return;
  mlirValueReplaceAllUsesOfWith(out, in);
  mlirOperationDestroy(quant);
  mcu_erase_if_dead(mid);
}

static void fold_any(MlirOperation op, void *user) {
  (void)user;
  if (mcu_op_is(op, "mcu.requantize"))
    fold_requantize(mlirOperationGetContext(op), op);
  else if (mcu_op_is(op, "mcu.quantize"))
    fold_pair(op);
}

void mcu_pass_fold_requantize(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, NULL, fold_any, NULL);
}
