/* fold_batch_norm.c: the fold-batch-norm pass, an f32 batch normalization folded into the conv2d before it. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>

#include "const_util.h"
#include "context.h"
#include "passes.h"

/* Algorithm: for each f32 mcu.batch_norm over the channel (last) dimension whose input is the only use of an f32
 * mcu.conv2d with constant filter [O, KH, KW, C/G] and bias [O], no fused activation, and whose scale, bias,
 * mean and var are constant f32 [O]: with k[o] = scale[o] / sqrt(var[o] + eps), the conv gets the new constants
 * w'[o, ...] = w[o, ...] * k[o] and b'[o] = (b[o] - mean[o]) * k[o] + bias[o] (computed in double, stored as
 * float; new constants, so a filter shared with another conv is untouched), its result replaces the batch
 * norm's, and the batch norm and dead constants are erased. Exact in real arithmetic: BN is an affine map per
 * output channel, and the conv is linear per output channel. Why: PyTorch exports keep Conv + BatchNormalization
 * for float models; the folded model does one pass over memory instead of two and one arena buffer less.
 * Weakness: the float result differs from the unfolded one by rounding (a few ulp); a batch norm after anything
 * else (a transpose, a matmul, a fused Relu) stays, and runs as its own layer. */

static int const_f32(MlirValue v, int64_t count, float **out_data) {
  MlirType t = mlirValueGetType(v);
  if (!mcu_const_is(v) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t))) return 0;
  int64_t bytes = mcu_type_bytes(t);
  if (bytes != count * 4) return 0;
  float *d = malloc((size_t)bytes + 4);
  if (!d || !mcu_const_read(v, d, bytes)) {
    free(d);
    return 0;
  }
  *out_data = d;
  return 1;
}

static void fold_one(MlirOperation bn, void *user) {
  (void)user;
  MlirValue in = mlirOperationGetOperand(bn, 0), out = mlirOperationGetResult(bn, 0);
  if (mlirValueIsABlockArgument(in) || mcu_value_num_uses(in) != 1) return;
  MlirOperation conv = mlirOpResultGetOwner(in);
  if (!mcu_op_is(conv, "mcu.conv2d") || !mlirTypeEqual(mlirValueGetType(in), mlirValueGetType(out))) return;
  MlirType yt = mlirValueGetType(in);
  if (!mlirTypeIsAF32(mlirShapedTypeGetElementType(yt)) || mlirShapedTypeGetRank(yt) != 4) return;
  if (mcu_op_has_attr(conv, "act_fmin") || mcu_op_has_attr(conv, "act_fmax") || mcu_op_has_attr(conv, "act_min") || mcu_op_has_attr(conv, "act_max"))
    return;
  MlirAttribute eps_attr = mlirOperationGetAttributeByName(bn, mlirStringRefCreateFromCString("epsilon"));
  if (mlirAttributeIsNull(eps_attr) || !mlirAttributeIsAFloat(eps_attr)) return;
  double eps = (double)(float)mlirFloatAttrGetValueDouble(eps_attr);
  MlirValue wv = mlirOperationGetOperand(conv, 1), bv = mlirOperationGetOperand(conv, 2);
  MlirType wt = mlirValueGetType(wv);
  int64_t O = mlirShapedTypeGetDimSize(yt, 3);
  if (O < 1 || mlirShapedTypeGetRank(wt) != 4 || mlirShapedTypeGetDimSize(wt, 0) != O) return;
  int64_t wbytes = mcu_type_bytes(wt);
  if (wbytes < 0) return;
  int64_t per_o = wbytes / 4 / O;
  float *w = NULL, *b = NULL, *p[4] = {NULL, NULL, NULL, NULL};
  int ok = const_f32(wv, per_o * O, &w) && const_f32(bv, O, &b);
  for (int i = 0; i < 4 && ok; ++i) ok = const_f32(mlirOperationGetOperand(bn, i + 1), O, &p[i]);
  if (ok) {
    const float *scale = p[0], *bias = p[1], *mean = p[2], *var = p[3];
    for (int64_t o = 0; o < O && ok; ++o) {
      double k = (double)scale[o] / sqrt((double)var[o] + eps);
      if (!isfinite(k)) ok = 0; /* var + eps <= 0: leave the batch norm to run (and show the problem) */
      for (int64_t j = 0; j < per_o; ++j) w[o * per_o + j] = (float)((double)w[o * per_o + j] * k);
      b[o] = (float)(((double)b[o] - (double)mean[o]) * k + (double)bias[o]);
    }
  }
  if (ok) {
    MlirAttribute no_name = {NULL};
    MlirValue nw = mcu_const_insert(conv, wt, w, mlirOperationGetAttributeByName(
                                                     mlirOpResultGetOwner(wv), mlirStringRefCreateFromCString("mcu.name")));
    MlirValue nb = mcu_const_insert(conv, mlirValueGetType(bv), b, no_name);
    mlirOperationSetOperand(conv, 1, nw);
    mlirOperationSetOperand(conv, 2, nb);
    mcu_erase_if_dead(wv);
    mcu_erase_if_dead(bv);
    MlirValue stats[4];
    for (int i = 0; i < 4; ++i) stats[i] = mlirOperationGetOperand(bn, i + 1);
    mlirValueReplaceAllUsesOfWith(out, in);
    mlirOperationDestroy(bn);
    for (int i = 0; i < 4; ++i) {
      int dup = 0;
      for (int k = 0; k < i; ++k) dup |= mlirValueEqual(stats[k], stats[i]);
      if (!dup) mcu_erase_if_dead(stats[i]);
    }
  }
  free(w), free(b);
  for (int i = 0; i < 4; ++i) free(p[i]);
}

void mcu_pass_fold_batch_norm(MlirOperation module, MlirExternalPass pass, void *user_data) {
  (void)pass;
  (void)user_data;
  mcu_for_each_op(module, "mcu.batch_norm", fold_one, NULL);
}
