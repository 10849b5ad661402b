/* select_kernels.c: the select-kernels pass, each int8 conv / fully connected op's kernel from the cost model. */
#include <stdio.h>
#include <string.h>

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/Diagnostics.h>

#include "context.h"
#include "kernel_select.h"
#include "lower.h"
#include "passes.h"

/* Algorithm: for each mcu.conv2d and mcu.fully_connected of @main that lowers to an int8 TF Lite or ONNX layer,
 * the op is lowered alone (compiler/lower.c's mcu_lower_op_kernel_shape, the shapes and constants code generation
 * will see; the choice needs only the shape, so the kernel library's prepare is not run), and the cost model of
 * runtime/kernels/kernel_select.c estimates the executed instructions of every applicable kernel family and
 * register tile; the cheapest is recorded on the op:
 *   mcu.kernel = "pointwise" | "im2col" | "first" | "fc" | "scalar" | "depthwise"  (the family)
 *   mcu.im2col = "none" | "partial"       (partial: tile_n columns at a time in the layer's scratch)
 *   mcu.tile = array<i64: M, N>           (register tile: output channels x pixels; 0, 0 without one)
 *   mcu.unroll = N                        (input values per inner-loop iteration)
 *   mcu.kernel_cost = N                   (the estimate, instructions)
 * A module attribute mcu.force_kernel = "FAMILY" or "FAMILY:MxN" (mcunetc / mcunet-run --kernel) makes every op
 * the family applies to take it (with that tile when it applies); the others keep the cost model's choice. A unit
 * module attribute mcu.lean_scratch (--patches=min) keeps the 4x16 form (a scratch of up to 16 widened pixels and
 * one widened tile) out of the unforced choices. The
 * lowering reads mcu.kernel / mcu.tile into the layer and the prepare functions follow them. Why a pass: the choice
 * is visible in the IR (lit tests, --dump-after) and made once, before plan-memory sizes each layer's scratch from
 * it. ONNX-numerics int8 convs take part too (runtime/kernels/prepare_onnx_conv.c: the same kernels with ONNX's
 * epilogue; a layer whose numerics the fast kernels cannot reproduce exactly can only get "scalar", cg_conv.c).
 * Weakness: the cost model's figures are per-loop estimates, not measurements; float convs have one kernel each
 * and get no attribute. */

static void remove_attrs(MlirOperation op) {
  static const char *const names[] = {"mcu.kernel", "mcu.im2col", "mcu.tile", "mcu.unroll", "mcu.kernel_cost"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    mcu_op_remove_attr(op, names[i]);
}

static MlirAttribute str_attr(MlirContext ctx, const char *s) {
  return mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(s));
}

void mcu_pass_select_kernels(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)user_data;
  MlirContext ctx = mlirOperationGetContext(module);
  mcu_kfamily_t force = MCU_KF_AUTO;
  int32_t force_tm = 0, force_tn = 0;
  MlirAttribute fa = mlirOperationGetAttributeByName(module, mlirStringRefCreateFromCString("mcu.force_kernel"));
  if (!mlirAttributeIsNull(fa)) {
    char spec[64] = "";
    MlirStringRef v = mlirAttributeIsAString(fa) ? mlirStringAttrGetValue(fa) : mlirStringRefCreateFromCString("");
    if (v.length < sizeof spec) memcpy(spec, v.data, v.length), spec[v.length] = 0;
    if (!spec[0] || mcu_ksel_parse_force(spec, &force, &force_tm, &force_tn)) {
      mlirEmitError(mlirOperationGetLocation(module),
                    "select-kernels: mcu.force_kernel must be FAMILY or FAMILY:MxN (families scalar, pointwise, "
                    "im2col, first, fc, depthwise; tiles 1x4, 2x2, 1x1, 4x1, 4x16, 2x1)");
      mlirExternalPassSignalFailure(pass);
      return;
    }
  }
  /* mcu.lean_scratch (the driver's --patches=min): the least memory is asked for, so no scratch-hungry tile */
  const int lean = !mlirAttributeIsNull(
      mlirOperationGetAttributeByName(module, mlirStringRefCreateFromCString("mcu.lean_scratch")));
  MlirBlock block = mcu_main_block(module);
  if (mlirBlockIsNull(block)) return;
  const MlirIdentifier names[5] = {mcu_ident(ctx, "mcu.kernel"), mcu_ident(ctx, "mcu.im2col"),
                                   mcu_ident(ctx, "mcu.tile"), mcu_ident(ctx, "mcu.unroll"),
                                   mcu_ident(ctx, "mcu.kernel_cost")};
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!mcu_op_is(op, "mcu.conv2d") && !mcu_op_is(op, "mcu.fully_connected")) continue;
    remove_attrs(op); /* a stale choice must not steer the lowering below */
    mcu_op_kernel_t info;
    mcu_status_t s = mcu_lower_op_kernel_shape(op, &info); /* the choice needs no kernel call */
    if (s) { /* not ours to diagnose here: the lowering reports it with its own message */
      mcu_status_free(s);
      continue;
    }
    if (!info.kernel_shape_ok) continue;
    info.kernel_shape.lean_scratch = lean;
    const mcu_ksel_choice_t c = mcu_ksel_choose(&info.kernel_shape, force, force_tm, force_tn);
    const int64_t tile[2] = {c.tile_m, c.tile_n};
    const MlirNamedAttribute set[] = {
        {names[0], str_attr(ctx, mcu_kfamily_name(c.family))},
        {names[1], str_attr(ctx, mcu_kfamily_im2col(c.family))},
        {names[2], mlirDenseI64ArrayGet(ctx, 2, tile)},
        {names[3], mcu_attr_i64(ctx, c.unroll)},
        {names[4], mcu_attr_i64(ctx, c.cost)},
    };
    mcu_op_set_attrs(&op, 5, set); /* one dictionary build: op is re-created, the loop goes on from the new one */
  }
}
