/* mlir_build.c: nas_net_t -> the cost queries' mcu-dialect module, built through the MLIR C API (no text).
 * What: the module mlir_emit.c writes as text, op for op (same ops, attributes, types, names, splat constants), made
 * with mlirOperationCreate in the compiler context's MLIR context. Why: printing and parsing that text was a fifth
 * of a query (docs/nas.md); building the operations directly skips the lexer, the parser and the SSA name tables.
 * Weakness: two writers of one form; mlir_build_test.c prints both modules and requires identical text, so a change
 * to one that is not mirrored in the other fails there (and the text writer is what the via-text check uses). */
#include "mlir_build.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  MlirContext ctx;
  MlirLocation loc;
  MlirBlock body;
  MlirType relu6, linear, input, filter, i8, i32;
  MlirIdentifier id_name, id_value, id_dilations, id_groups, id_pads, id_strides, id_perm, id_axes;
  MlirAttribute ones2; /* array<i64: 1, 1> */
} builder_t;

/* The quantized types of mlir_emit.c's aliases (same scales and zero points, storage i8 in [-128, 127]). */
static MlirType quant(builder_t *b, double scale, int64_t zero_point) {
  return mlirUniformQuantizedTypeGet(mlirQuantizedTypeGetSignedFlag(), b->i8, mlirF32TypeGet(b->ctx), scale,
                                     zero_point, -128, 127);
}

static MlirType tensor(int rank, const int64_t *dims, MlirType el) {
  return mlirRankedTensorTypeGet(rank, dims, el, mlirAttributeGetNull());
}

static MlirType nhwc(int h, int w, int c, MlirType el) {
  int64_t d[4] = {1, h, w, c};
  return tensor(4, d, el);
}

static MlirNamedAttribute named(MlirIdentifier id, MlirAttribute a) { return mlirNamedAttributeGet(id, a); }

static MlirAttribute str(builder_t *b, const char *s) {
  return mlirStringAttrGet(b->ctx, mlirStringRefCreateFromCString(s));
}

/* Appends op `name` with operands, one result and attributes to the body; returns its result. */
static MlirValue op(builder_t *b, const char *name, int nops, const MlirValue *operands, MlirType result, int nattrs,
                    const MlirNamedAttribute *attrs) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), b->loc);
  if (nops) mlirOperationStateAddOperands(&st, nops, operands);
  mlirOperationStateAddResults(&st, 1, &result);
  mlirOperationStateAddAttributes(&st, nattrs, attrs);
  MlirOperation o = mlirOperationCreate(&st);
  mlirBlockAppendOwnedOperation(b->body, o);
  return mlirOperationGetResult(o, 0);
}

/* One conv2d as mlir_emit.c's conv(): zero-splat OHWI filter (per-tensor quantized) and i32 bias constants. */
static MlirValue conv(builder_t *b, const char *name, MlirValue x, int h, int ci, int co, int k, int stride, int groups,
                      MlirType yq, int *out_h) {
  int cig = ci / groups, oh = (h + stride - 1) / stride;
  char n[96];
  int64_t wd[4] = {co, k, k, cig}, bd[1] = {co};
  MlirType wraw = tensor(4, wd, b->i8), wq = tensor(4, wd, b->filter), bt = tensor(1, bd, b->i32);
  snprintf(n, sizeof n, "%s.weight", name);
  MlirNamedAttribute wa[2] = {named(b->id_name, str(b, n)),
                              named(b->id_value, mlirDenseElementsAttrInt8SplatGet(wraw, 0))};
  MlirValue w = op(b, "mcu.constant", 0, NULL, wq, 2, wa);
  snprintf(n, sizeof n, "%s.bias", name);
  MlirNamedAttribute ba[2] = {named(b->id_name, str(b, n)),
                              named(b->id_value, mlirDenseElementsAttrInt32SplatGet(bt, 0))};
  MlirValue bias = op(b, "mcu.constant", 0, NULL, bt, 2, ba);
  int64_t pads[4] = {k / 2, k / 2, k / 2, k / 2}, strides[2] = {stride, stride};
  MlirNamedAttribute ca[5] = {named(b->id_dilations, b->ones2),
                              named(b->id_groups, mlirIntegerAttrGet(mlirIntegerTypeGet(b->ctx, 64), groups)),
                              named(b->id_name, str(b, name)),
                              named(b->id_pads, mlirDenseI64ArrayGet(b->ctx, 4, pads)),
                              named(b->id_strides, mlirDenseI64ArrayGet(b->ctx, 2, strides))};
  MlirValue operands[3] = {x, w, bias};
  *out_h = oh;
  return op(b, "mcu.conv2d", 3, operands, nhwc(oh, oh, co, yq), 5, ca);
}

/* func.func @main's argument or result attributes: [{mcu.name = "NAME"}]. */
static MlirAttribute io_attrs(builder_t *b, const char *name) {
  MlirNamedAttribute a = named(b->id_name, str(b, name));
  MlirAttribute d = mlirDictionaryAttrGet(b->ctx, 1, &a);
  return mlirArrayAttrGet(b->ctx, 1, &d);
}

mcu_status_t nas_mlir_build(const nas_net_t *n, MlirContext ctx, MlirModule *out_module) {
  mcu_status_t s = nas_net_check(n);
  if (s) return s;
  builder_t b;
  memset(&b, 0, sizeof b);
  b.ctx = ctx;
  b.loc = mlirLocationUnknownGet(ctx);
  b.i8 = mlirIntegerTypeGet(ctx, 8), b.i32 = mlirIntegerTypeGet(ctx, 32);
  b.relu6 = quant(&b, 0.023529412224888802, -128);
  b.linear = quant(&b, 6.250000e-02, 0);
  b.input = quant(&b, 1.562500e-02, 0);
  b.filter = quant(&b, 4.000000e-03, 0);
  b.id_name = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("mcu.name"));
  b.id_value = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("value"));
  b.id_dilations = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("dilations"));
  b.id_groups = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("groups"));
  b.id_pads = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("pads"));
  b.id_strides = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("strides"));
  b.id_perm = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("perm"));
  b.id_axes = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("axes"));
  int64_t ones[2] = {1, 1};
  b.ones2 = mlirDenseI64ArrayGet(ctx, 2, ones);

  int r = n->resolution, c = n->in_channels;
  int64_t in_dims[4] = {1, c, r, r}, out_dims[2] = {1, n->classes};
  MlirType in_t = tensor(4, in_dims, b.input), out_t = tensor(2, out_dims, b.linear);
  MlirModule module = mlirModuleCreateEmpty(b.loc);
  MlirRegion region = mlirRegionCreate();
  b.body = mlirBlockCreate(1, &in_t, &b.loc);
  mlirRegionAppendOwnedBlock(region, b.body);
  MlirNamedAttribute fa[4] = {
      named(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("sym_name")), str(&b, "main")),
      named(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("function_type")),
            mlirTypeAttrGet(mlirFunctionTypeGet(ctx, 1, &in_t, 1, &out_t))),
      named(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("arg_attrs")), io_attrs(&b, "input")),
      named(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("res_attrs")), io_attrs(&b, "logits"))};
  MlirOperationState fst = mlirOperationStateGet(mlirStringRefCreateFromCString("func.func"), b.loc);
  mlirOperationStateAddAttributes(&fst, 4, fa);
  mlirOperationStateAddOwnedRegions(&fst, 1, &region);
  MlirOperation func = mlirOperationCreate(&fst);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), func);

  int64_t perm[4] = {0, 2, 3, 1};
  MlirNamedAttribute ta[2] = {named(b.id_name, str(&b, "input_nhwc")),
                              named(b.id_perm, mlirDenseI64ArrayGet(ctx, 4, perm))};
  MlirValue arg = mlirBlockGetArgument(b.body, 0);
  MlirValue x = op(&b, "mcu.transpose", 1, &arg, nhwc(r, r, c, b.input), 2, ta);
  int h;
  x = conv(&b, "first_conv", x, r, c, n->first_channels, n->first_kernel, n->first_stride, 1, b.relu6, &h);
  MlirType xq = b.relu6;
  c = n->first_channels;
  char name[64];
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *bl = &n->blocks[i];
    MlirValue in = x;
    if (bl->expand != 1) {
      snprintf(name, sizeof name, "blocks.%d.expand", i);
      x = conv(&b, name, x, h, c, bl->mid_channels, 1, 1, 1, b.relu6, &h);
    }
    snprintf(name, sizeof name, "blocks.%d.depthwise", i);
    x = conv(&b, name, x, h, bl->mid_channels, bl->mid_channels, bl->kernel, bl->stride, bl->mid_channels, b.relu6,
             &h);
    snprintf(name, sizeof name, "blocks.%d.project", i);
    x = conv(&b, name, x, h, bl->mid_channels, bl->out_channels, 1, 1, 1, b.linear, &h);
    xq = b.linear;
    if (bl->residual) {
      snprintf(name, sizeof name, "blocks.%d.add", i);
      MlirNamedAttribute aa = named(b.id_name, str(&b, name));
      MlirValue operands[2] = {x, in};
      x = op(&b, "mcu.add", 2, operands, nhwc(h, h, bl->out_channels, b.linear), 1, &aa);
    }
    c = bl->out_channels;
  }
  if (n->mix_channels) {
    x = conv(&b, "feature_mix", x, h, c, n->mix_channels, 1, 1, 1, b.relu6, &h);
    xq = b.relu6;
    c = n->mix_channels;
  }
  int64_t axes[2] = {1, 2};
  MlirNamedAttribute ma[2] = {named(b.id_axes, mlirDenseI64ArrayGet(ctx, 2, axes)),
                              named(b.id_name, str(&b, "global_pool"))};
  x = op(&b, "mcu.mean", 1, &x, nhwc(1, 1, c, xq), 2, ma);
  int one;
  x = conv(&b, "classifier", x, 1, c, n->classes, 1, 1, 1, b.linear, &one);
  int64_t nchw[4] = {1, n->classes, 1, 1};
  MlirNamedAttribute r1 = named(b.id_name, str(&b, "classifier.out_nchw"));
  x = op(&b, "mcu.reshape", 1, &x, tensor(4, nchw, b.linear), 1, &r1);
  MlirNamedAttribute r2 = named(b.id_name, str(&b, "flatten"));
  x = op(&b, "mcu.reshape", 1, &x, out_t, 1, &r2);
  MlirOperationState rst = mlirOperationStateGet(mlirStringRefCreateFromCString("func.return"), b.loc);
  mlirOperationStateAddOperands(&rst, 1, &x);
  mlirBlockAppendOwnedOperation(b.body, mlirOperationCreate(&rst));
  *out_module = module;
  return NULL;
}
