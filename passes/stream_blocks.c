/* stream_blocks.c: the stream-blocks pass, expand 1x1 -> depthwise -> project 1x1 chains made one mcu.stream_block. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdio.h>
#include <stdlib.h>
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
 * (runtime/kernels/k_stream_block.c, bit-identical).
 *
 * Policy (which candidates are fused): without a budget, every one (the least memory). With `mcu.stream_budget = N`
 * on the module (the driver sets the board's SRAM when --board is given and neither --stream nor --no-stream),
 * streaming only where the memory is needed, since the fused kernel is slower than the three tiled convs: when
 * patch-stages' estimate of the peak (mcu_patch_estimate_peak: live bytes at one step, a lower bound of the
 * arena) is within N, none; otherwise the candidate with the largest expanded tensor first (the peak is usually
 * there), re-estimating after each fusion, until the estimate fits or no candidate is left (patch-stages may then
 * still help). The choice is recorded as the module's `mcu.stream_choice` string (--verbose and the report print
 * it). Weakness: a chain without a projection (or a block whose expansion feeds anything else) is not streamed;
 * with a budget the estimate is taken before scheduling and in-place marks (so it is pessimistic and may stream a
 * block the final plan would not have needed), and since it is a lower bound, a model whose estimate just fits
 * may still be planned above N (the board check then reports it; --stream forces every block). */

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

/* The chain ending at projection `proj` (see the top): its depthwise and expansion, and the expanded tensor's bytes
 * (out_bytes). Returns 1 when it is a candidate. */
static int chain_of(MlirOperation proj, MlirOperation *out_dw, MlirOperation *out_ex, int64_t *out_bytes) {
  if (!conv_ok(proj) || !is_pointwise(proj)) return 0;
  MlirOperation dw = sole_conv_producer(mlirOperationGetOperand(proj, 0));
  if (mlirOperationIsNull(dw) || !conv_ok(dw)) return 0;
  MlirOperation ex = sole_conv_producer(mlirOperationGetOperand(dw, 0));
  if (mlirOperationIsNull(ex) || !conv_ok(ex) || !is_pointwise(ex)) return 0;
  MlirValue e = mlirOperationGetResult(ex, 0), wd = mlirOperationGetOperand(dw, 1);
  const int64_t h = dim(e, 1), w = dim(e, 2), ce = dim(e, 3);
  if (mcu_op_get_i64(dw, "groups", 0) != ce || dim(mlirOperationGetResult(dw, 0), 3) != ce || dim(wd, 3) != 1)
    return 0;
  int64_t dil[2];
  if (mcu_op_get_i64_array(dw, "dilations", dil, 2) != 2 || dil[0] < 1) return 0;
  int64_t ring = (dim(wd, 1) - 1) * dil[0] + 1;
  if (ring > h) ring = h;
  if (ring * w * ce + ce >= h * w * ce) return 0; /* streaming would not shrink anything */
  *out_dw = dw, *out_ex = ex, *out_bytes = h * w * ce;
  return 1;
}

/* Replaces the chain by one mcu.stream_block; 0 when the kernel library refuses it (the convs then stay). */
static int fuse(MlirOperation proj, MlirOperation dw, MlirOperation ex) {
  MlirValue e = mlirOperationGetResult(ex, 0), wd = mlirOperationGetOperand(dw, 1);
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
    return 0;
  }
  mlirValueReplaceAllUsesOfWith(y, mlirOperationGetResult(fused, 0));
  mlirOperationDestroy(proj);
  mlirOperationDestroy(dw);
  mlirOperationDestroy(ex);
  return 1;
}

/* The next chain to fuse: the first candidate in walk order (no budget) or the one with the largest expanded
 * tensor (budget), skipping projections the kernel library refused. */
typedef struct pick {
  int largest;
  MlirOperation *refused;
  int num_refused;
  MlirOperation proj, dw, ex;
  int64_t bytes;
} pick_t;

static void pick_at(MlirOperation proj, void *user) {
  pick_t *k = user;
  if (!mlirOperationIsNull(k->proj) && !k->largest) return;
  for (int i = 0; i < k->num_refused; ++i)
    if (mlirOperationEqual(k->refused[i], proj)) return;
  MlirOperation dw, ex;
  int64_t bytes;
  if (!chain_of(proj, &dw, &ex, &bytes)) return;
  if (!mlirOperationIsNull(k->proj) && bytes <= k->bytes) return; /* ties: the first */
  k->proj = proj, k->dw = dw, k->ex = ex, k->bytes = bytes;
}

static void set_choice(MlirOperation module, const char *text) {
  MlirContext ctx = mlirOperationGetContext(module);
  mlirOperationSetDiscardableAttributeByName(module, mlirStringRefCreateFromCString("mcu.stream_choice"),
                                             mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(text)));
}

void mcu_pass_stream_blocks(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)user_data;
  const int64_t budget = mcu_op_get_i64(module, "mcu.stream_budget", -1);
  MlirBlock block = mcu_main_block(module);
  uint64_t peak0 = 0, peak = 0;
  if (budget >= 0 && (mlirBlockIsNull(block) || mcu_patch_estimate_peak(block, &peak0))) {
    mlirEmitError(mlirOperationGetLocation(module), "stream-blocks: cannot estimate the peak (out of memory)");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  peak = peak0;
  pick_t k;
  memset(&k, 0, sizeof k);
  k.largest = budget >= 0;
  int fused = 0, cap = 0, failed = 0;
  while (budget < 0 || peak > (uint64_t)budget) {
    k.proj.ptr = NULL;
    k.bytes = 0;
    mcu_for_each_op(module, "mcu.conv2d", pick_at, &k);
    if (mlirOperationIsNull(k.proj)) break;
    if (fuse(k.proj, k.dw, k.ex)) {
      ++fused;
      if (budget >= 0 && mcu_patch_estimate_peak(block, &peak)) {
        failed = 1;
        break;
      }
      continue;
    }
    if (k.num_refused == cap) {
      cap = cap ? 2 * cap : 8;
      MlirOperation *grown = realloc(k.refused, (size_t)cap * sizeof *grown);
      if (!grown) {
        failed = 1;
        break;
      }
      k.refused = grown;
    }
    k.refused[k.num_refused++] = k.proj;
  }
  free(k.refused);
  if (failed) {
    mlirEmitError(mlirOperationGetLocation(module), "stream-blocks: out of memory");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  char text[200];
  if (budget < 0)
    snprintf(text, sizeof text, "%d block%s streamed (every candidate: least memory)", fused, fused == 1 ? "" : "s");
  else if (!fused)
    snprintf(text, sizeof text, "none streamed (estimated peak %llu B fits the budget of %lld B)",
             (unsigned long long)peak0, (long long)budget);
  else
    snprintf(text, sizeof text, "%d block%s streamed (estimated peak %llu B without, %llu B with; budget %lld B)",
             fused, fused == 1 ? "" : "s", (unsigned long long)peak0, (unsigned long long)peak, (long long)budget);
  set_choice(module, text);
}
