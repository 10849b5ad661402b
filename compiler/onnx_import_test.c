/* onnx_import_test.c: unit test of the ONNX importer on ONNX's backend tests and small generated models. */
#define _POSIX_C_SOURCE 200809L
#include "onnx_import.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "import_harness.h"
#include "mcu_test.h"

#ifndef MCUNET_SOURCE_DIR
#define MCUNET_SOURCE_DIR "."
#endif
#define NODE_DIR "/usr/share/libonnx-testdata/data/node"
#define INPUTS MCUNET_SOURCE_DIR "/test/inputs/onnx_import"
#ifndef MUTATIONS
#define MUTATIONS 2000 /* byte-mutated copies of chain.onnx to import (-DMUTATIONS=... for a longer fuzz) */
#endif


/* Imports and prints; NULL (and `err` set) on error. *out_module (optional) keeps the module. */
static char *import_print(const char *path, const mcu_binding_t *b, int n, MlirModule *out_module) {
  MlirModule m = {NULL};
  mcu_status_t s = mcu_onnx_import(ctx, path, b, n, &m);
  return import_result(s, m, 0, out_module);
}

/* Binds inputs 1..n-1 of an ONNX backend test to its test_data_set_0/input_K.pb. */
static char *import_node_test(const char *test, const char **names, int n) {
  static char paths[16][512];
  mcu_binding_t b[16];
  for (int i = 1; i < n; ++i) {
    snprintf(paths[i], sizeof paths[i], NODE_DIR "/%s/test_data_set_0/input_%d.pb", test, i);
    b[i - 1] = (mcu_binding_t){names[i], paths[i]};
  }
  char model[512];
  snprintf(model, sizeof model, NODE_DIR "/%s/model.onnx", test);
  return import_print(model, b, n - 1, NULL);
}

static void test_qlinearconv(void) {
  const char *names[] = {"x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale", "y_zero_point"};
  char *ir = import_node_test("test_qlinearconv", names, 8);
  CHECK(ir, "test_qlinearconv imports: %s", err);
  if (!ir)
    return;
  printf("%s\n", ir);
  CHECK(count(ir, "\"mcu.conv2d\"") == 1, "one conv2d");
  CHECK(count(ir, "\"mcu.transpose\"") == 2, "one transpose in, one out");
  CHECK(strstr(ir, "perm = array<i64: 0, 2, 3, 1>") && strstr(ir, "perm = array<i64: 0, 3, 1, 2>"), "both perms");
  CHECK(strstr(ir, "func.func @main(%arg0: tensor<1x1x7x7x!quant.uniform<u8:f32, 0.0036920469719916582:132>> {mcu.name "
                   "= \"x\"}"),
        "input type: %s", ir);
  CHECK(strstr(ir, "{mcu.name = \"x\"}") && strstr(ir, "{mcu.name = \"y\"}"), "argument and result names");
  CHECK(strstr(ir, "pads = array<i64: 0, 0, 0, 0>") && strstr(ir, "strides = array<i64: 1, 1>") &&
            strstr(ir, "dilations = array<i64: 1, 1>") && strstr(ir, "groups = 1 : i64"),
        "conv attributes");
  CHECK(strstr(ir, "() -> tensor<1x1x1x1x!quant.uniform<u8:f32, 0.0017279457533732057:255>>"), "filter type");
  CHECK(strstr(ir, "dense<0> : tensor<1xi32>"), "zero bias");
  CHECK(strstr(ir, "-> tensor<1x7x7x1x!quant.uniform<u8:f32, 0.0016268126200884581:123>>"), "NHWC conv result");
  CHECK(strstr(ir, "{mcu.name = \"w\", value = dense<0> : tensor<1x1x1x1xui8>}"), "weight stored as ui8");
  free(ir);

  /* Without bindings the scales are graph inputs: not constants. */
  ir = import_print(NODE_DIR "/test_qlinearconv/model.onnx", NULL, 0, NULL);
  CHECK(!ir && strstr(err, "node 'QLinearConv_0' (QLinearConv): input scale 'x_scale' must be a constant"),
        "non-constant scale: %s", err);
  free(ir);
}

static void test_qlinearmatmul(void) {
  const char *names[] = {"a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "y_scale", "y_zero_point"};
  char *ir = import_node_test("test_qlinearmatmul_2D", names, 8);
  CHECK(ir, "test_qlinearmatmul_2D imports: %s", err);
  if (ir) {
    printf("%s\n", ir);
    CHECK(count(ir, "\"mcu.matmul\"") == 1 && !strstr(ir, "mcu.transpose"), "one matmul, no transpose");
    CHECK(strstr(ir, "(tensor<2x4x!quant.uniform<u8:f32, 0.0065999999642372131:113>>"), "a type");
    CHECK(strstr(ir, "dense<[[152, 51, 244], [60, 26, 255], [0, 127, 246], [127, 254, 247]]> : tensor<4x3xui8>} : () "
                     "-> tensor<4x3x!quant.uniform<u8:f32, 0.0070500001311302185:114>>"),
          "b type");
    CHECK(strstr(ir, "-> tensor<2x3x!quant.uniform<u8:f32, 0.010700000450015068:118>>"), "result type");
    free(ir);
  }
  ir = import_node_test("test_qlinearmatmul_3D", names, 8);
  CHECK(ir, "test_qlinearmatmul_3D imports: %s", err);
  if (ir) {
    printf("%s\n", ir);
    CHECK(count(ir, "\"mcu.matmul\"") == 1, "one matmul");
    CHECK(strstr(ir, "-> tensor<2x2x3x!quant.uniform<u8:f32, 0.010700000450015068:118>>"), "3-D result type");
    free(ir);
  }
}

static MlirOperation find_op(MlirModule m, const char *opname, const char *name) {
  MlirOperation func = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.name"));
    if (mcu_op_is(op, opname) && !mlirAttributeIsNull(a)) {
      MlirStringRef s = mlirStringAttrGetValue(a);
      if (s.length == strlen(name) && !memcmp(s.data, name, s.length))
        return op;
    }
  }
  return (MlirOperation){NULL};
}

static void test_chain(void) {
  MlirModule m;
  char *ir = import_print(INPUTS "/chain.onnx", NULL, 0, &m);
  CHECK(ir, "chain.onnx imports: %s", err);
  if (!ir)
    return;
  printf("%s\n", ir);
  /* Transposes: into c1, and out of the Clip after c3 (Flatten needs ONNX layout). None between the convs: the
   * Relu and the Clip run on the NHWC values. */
  CHECK(count(ir, "\"mcu.transpose\"") == 2, "2 transposes, got %d", count(ir, "\"mcu.transpose\""));
  CHECK(count(ir, "\"mcu.conv2d\"") == 3 && count(ir, "\"mcu.matmul\"") == 1, "3 convs, 1 matmul");
  CHECK(count(ir, "\"mcu.clamp\"") == 2 && count(ir, "\"mcu.reshape\"") == 2, "2 clamps, 2 reshapes");
  CHECK(count(ir, "\"mcu.quantize\"") == 1 && count(ir, "\"mcu.dequantize\"") == 1, "quantize, dequantize");
  CHECK(strstr(ir, "tensor<4x3x1x3x!quant.uniform<i8:f32:0, {0.0099"), "c1 per-channel OHWI filter");
  CHECK(strstr(ir, "pads = array<i64: 1, 0, 1, 0>"), "c1 pads");
  CHECK(strstr(ir, "groups = 4 : i64") && strstr(ir, "pads = array<i64: 0, 0, 1, 1>") &&
            strstr(ir, "strides = array<i64: 2, 2>"),
        "c2 depthwise, SAME_UPPER pads");
  CHECK(strstr(ir, "max = 255 : i64, mcu.name = \"relu\", min = 0 : i64"), "relu bounds");
  CHECK(strstr(ir, "max = 240 : i64, mcu.name = \"clip\", min = 10 : i64"), "clip bounds");
  CHECK(strstr(ir, "tensor<96x10x!quant.uniform<i8:f32:1, {0.0099"), "per-column matmul b");
  CHECK(strstr(ir, "-> tensor<1x10xf32>"), "f32 output");
  CHECK(strstr(ir, "loc(\"") == NULL, "generic print has no inline locations");
  /* The c1 filter holds the OIHW weights transposed to OHWI: w[o][c][kh][0] = o*9 + c*3 + kh - 18. */
  MlirOperation c1 = find_op(m, "mcu.conv2d", "c1");
  CHECK(!mlirOperationIsNull(c1), "c1 found");
  if (!mlirOperationIsNull(c1)) {
    MlirOperation w = mlirOpResultGetOwner(mlirOperationGetOperand(c1, 1));
    MlirAttribute v = mlirOperationGetAttributeByName(w, mlirStringRefCreateFromCString("value"));
    int ok = mlirAttributeIsADenseElements(v) && mlirElementsAttrGetNumElements(v) == 36;
    const int8_t *d = ok ? mlirDenseElementsAttrGetRawData(v) : NULL;
    for (int o = 0; ok && o < 4; ++o)
      for (int kh = 0; kh < 3; ++kh)
        for (int c = 0; c < 3; ++c)
          ok &= d[(o * 3 + kh) * 3 + c] == o * 9 + c * 3 + kh - 18;
    CHECK(ok, "c1 filter bytes in OHWI order");
    MlirOperation b = mlirOpResultGetOwner(mlirOperationGetOperand(c1, 2));
    CHECK(strstr(ir, "dense<[1, -2, 3, -4]> : tensor<4xi32>") && mcu_op_is(b, "mcu.constant"), "c1 bias");
  }
  mlirModuleDestroy(m);
  free(ir);
}

static void test_misc(void) {
  char *ir = import_print(INPUTS "/misc.onnx", NULL, 0, NULL);
  CHECK(ir, "misc.onnx imports: %s", err);
  if (ir) {
    printf("%s\n", ir);
    /* the pending input `a` took the matmul's quantization through the Reshape */
    CHECK(strstr(ir, "%arg0: tensor<2x6x!quant.uniform<u8:f32, 0.10000000149011612:3>> {mcu.name = \"a\"}"),
          "pending input fixed by its consumer");
    CHECK(strstr(ir, "-> tensor<3x4x!quant.uniform<u8:f32, 0.10000000149011612:3>>"), "reshape result retyped");
    CHECK(strstr(ir, "-> tensor<3x2x!quant.uniform<i8:f32, 0.20000000298023224:-5>>"), "int8 matmul result");
    CHECK(strstr(ir, "max = 0x7F800000 : f32, mcu.name = \"frelu\", min = 0.000000e+00 : f32"), "f32 relu");
    CHECK(strstr(ir, "max = 6.000000e+00 : f32, mcu.name = \"fclip\", min = -1.000000e+00 : f32"), "f32 clip");
    CHECK(strstr(ir, "max = 127 : i64, mcu.name = \"iclip\", min = -128 : i64"), "int8 clip, default bounds");
    CHECK(strstr(ir, "tensor<1x4x!quant.uniform<i8:f32:1, {0.10000000149011612:1,0.20000000298023224:2,"),
          "per-axis quantize");
    CHECK(strstr(ir, "\"mcu.transpose\"(%arg3) {mcu.name = \"w\", perm = array<i64: 0, 2, 3, 1>}"),
          "non-constant weights transposed by an op");
    CHECK(strstr(ir, "%arg3: tensor<2x1x3x3x!quant.uniform<u8:f32, 2.500000e-01>>"), "weight input typed");
    free(ir);
  }
  ir = import_print(INPUTS "/conflict.onnx", NULL, 0, NULL);
  CHECK(!ir && strstr(err, "conflict.onnx: node 'm2' (QLinearMatMul): input 'a' has element type "
                           "!quant.uniform<u8:f32, 0.10000000149011612>, this node reads it as "
                           "!quant.uniform<u8:f32, 0.20000000298023224>"),
        "conflicting quantization: %s", err);
}

static char tmpdir[] = "/tmp/onnx_import_test.XXXXXX";

static char *tmp_path(const char *name) {
  static char p[4][256];
  static int k;
  char *r = p[k++ & 3];
  snprintf(r, 256, "%s/%s", tmpdir, name);
  return r;
}

static int write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return 0;
  int ok = fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

static unsigned char *slurp(const char *path, size_t *out_n) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)n + 1);
  *out_n = fread(b, 1, (size_t)n, f);
  fclose(f);
  return b;
}

/* A status from a malformed file must be one line starting with the file's path. */
static int one_line_error(const char *path) {
  return !strchr(err, '\n') && !strncmp(err, path, strlen(path)) && err[strlen(path)] == ':';
}


/* Imports with --shape overrides; NULL (and `err` set) on error. */
static char *import_shaped(const char *path, const mcu_shape_override_t *sh, int n) {
  MlirModule m = {NULL};
  mcu_status_t s = mcu_onnx_import_shaped(ctx, path, NULL, 0, sh, n, &m);
  return import_result(s, m, 0, NULL);
}

static void test_shape_overrides(void) {
  mcu_shape_override_t pin = {"x", 2, {3, 4}};
  char *ir = import_shaped(INPUTS "/symbolic.onnx", &pin, 1);
  CHECK(ir && strstr(ir, "%arg0: tensor<3x4xf32> {mcu.name = \"x\"}") && strstr(ir, "-> tensor<3x4xf32>"),
        "pinned symbolic dim: %s", ir ? ir : err);
  free(ir);
  mcu_shape_override_t wrong = {"x", 2, {1, 5}};
  ir = import_shaped(INPUTS "/symbolic.onnx", &wrong, 1);
  CHECK(!ir && strstr(err, "symbolic.onnx: --shape x: dimension 1 is 5, the model says 4"), "disagreeing pin: %s", err);
  free(ir);
  mcu_shape_override_t rank = {"x", 3, {1, 4, 1}};
  ir = import_shaped(INPUTS "/symbolic.onnx", &rank, 1);
  CHECK(!ir && strstr(err, "--shape x: rank 3, the input has rank 2"), "pin of another rank: %s", err);
  free(ir);
  mcu_shape_override_t other = {"z", 1, {4}};
  ir = import_shaped(INPUTS "/symbolic.onnx", &other, 1);
  CHECK(!ir && strstr(err, "symbolic.onnx: --shape z: the model has no graph input named 'z'"), "unknown pin: %s", err);
  free(ir);
}

static void test_float_ops(void) {
  MlirModule m;
  char *ir = import_print(INPUTS "/float_ops.onnx", NULL, 0, &m);
  CHECK(ir, "float_ops.onnx imports: %s", err);
  if (!ir)
    return;
  printf("%s\n", ir);
  /* One transpose into NHWC (c1's input), one out (Flatten needs ONNX layout): everything between is NHWC. */
  CHECK(count(ir, "\"mcu.transpose\"") == 2 && count(ir, "perm = array<i64: 0, 2, 3, 1>") == 1 &&
            strstr(ir, "{mcu.name = \"gp_nchw\", perm = array<i64: 0, 3, 1, 2>}"),
        "one transpose in, one out, got %d", count(ir, "\"mcu.transpose\""));
  CHECK(count(ir, "\"mcu.conv2d\"") == 2 && strstr(ir, "groups = 4 : i64"), "two convs, one depthwise");
  CHECK(strstr(ir, "tensor<4x3x3x1xf32>"), "depthwise filter OHWI");
  CHECK(strstr(ir, "\"mcu.batch_norm\"") && strstr(ir, "epsilon = 1.000000e-03 : f32") &&
            strstr(ir, "(tensor<1x8x8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> "
                       "tensor<1x8x8x4xf32>"),
        "batch norm on NHWC");
  CHECK(strstr(ir, "alpha = 1.000000e-01 : f32, mcu.name = \"lrelu\""), "leaky relu alpha");
  CHECK(strstr(ir, "\"mcu.max_pool2d\"") && strstr(ir, "-> tensor<1x4x4x4xf32>"), "max pool NHWC");
  CHECK(strstr(ir, "\"mcu.hard_swish\"") && strstr(ir, "\"mcu.logistic\""), "hard swish, logistic");
  CHECK(strstr(ir, "alpha = 2.500000e-01 : f32, beta = 4.000000e-01 : f32, mcu.name = \"hsigm\""), "hard sigmoid");
  CHECK(strstr(ir, "\"mcu.add\"") && strstr(ir, "(tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>"),
        "add of two NHWC activations");
  CHECK(strstr(ir, "(tensor<1x4x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x4x4x4xf32>"), "mul by a [C,1,1] constant");
  CHECK(strstr(ir, "{axis = 3 : i64, mcu.name = \"cat\"}"), "channel concat in NHWC");
  CHECK(strstr(ir, "pads = array<i64: 0, 1, 2, 0, 0, 3, 4, 0>, value = 5.000000e-01 : f32"), "pads in NHWC order");
  CHECK(strstr(ir, "-> tensor<1x8x10x8xf32>"), "padded shape");
  CHECK(strstr(ir, "\"mcu.avg_pool2d\"") && strstr(ir, "kernel = array<i64: 3, 3>"), "average pool");
  CHECK(strstr(ir, "align_corners = 0 : i64, half_pixel_centers = 0 : i64") &&
            strstr(ir, "(tensor<1x8x10x8xf32>) -> tensor<1x16x20x8xf32>"),
        "resize asymmetric/floor = TF Lite's plain rule");
  CHECK(strstr(ir, "{axes = array<i64: 1, 2>, mcu.name = \"gap\"} : (tensor<1x16x20x8xf32>) -> tensor<1x1x1x8xf32>"),
        "global average pool as a mean over H, W");
  CHECK(strstr(ir, "\"mcu.fully_connected\"") && strstr(ir, "tensor<5x8xf32>") && strstr(ir, "-> tensor<1x5xf32>"),
        "gemm as fully connected");
  CHECK(strstr(ir, "beta = 1.000000e+00 : f32, mcu.name = \"softmax\""), "softmax");
  /* Gemm's alpha 2 is folded into the weight: w = 2 * wg (transB: wg is already [O, K]). */
  MlirOperation fc = find_op(m, "mcu.fully_connected", "gemm");
  CHECK(!mlirOperationIsNull(fc), "gemm found");
  if (!mlirOperationIsNull(fc)) {
    MlirOperation w = mlirOpResultGetOwner(mlirOperationGetOperand(fc, 1));
    MlirAttribute v = mlirOperationGetAttributeByName(w, mlirStringRefCreateFromCString("value"));
    CHECK(mlirAttributeIsADenseElements(v) && mlirElementsAttrGetNumElements(v) == 40, "weight has 40 values");
  }
  mlirModuleDestroy(m);
  free(ir);
}

static void test_shapes(void) {
  char *ir = import_print(INPUTS "/shapes.onnx", NULL, 0, NULL);
  CHECK(ir, "shapes.onnx imports: %s", err);
  if (!ir)
    return;
  printf("%s\n", ir);
  CHECK(strstr(ir, "{mcu.name = \"reshape\"} : (tensor<2x6x3xf32>) -> tensor<2x18xf32>"),
        "Shape/Gather/Unsqueeze/Concat/Cast folded into the reshape's shape");
  CHECK(strstr(ir, "{mcu.name = \"unsq\"} : (tensor<2x18xf32>) -> tensor<2x1x18xf32>") &&
            strstr(ir, "{mcu.name = \"sq\"} : (tensor<2x1x18xf32>) -> tensor<2x18xf32>"),
        "squeeze/unsqueeze with attribute axes");
  CHECK(strstr(ir, "perm = array<i64: 0, 2, 1>"), "transpose");
  CHECK(strstr(ir, "(tensor<2x3x6xf32>, tensor<6x1xf32>) -> tensor<2x3x1xf32>") &&
            strstr(ir, "{mcu.name = \"matvec\"} : (tensor<2x3x1xf32>) -> tensor<2x3xf32>"),
        "matmul by a vector");
  CHECK(strstr(ir, "{mcu.name = \"gemm_nc_b\", perm = array<i64: 1, 0>}") &&
            strstr(ir, "{mcu.name = \"gemm_nc\"} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>"),
        "gemm with a non-constant B");
  CHECK(strstr(ir, "{beta = 1.000000e+00 : f32, mcu.name = \"softmax1_softmax\"} : (tensor<2x18xf32>)"),
        "opset-11 softmax flattens at its axis");
  free(ir);
}

static void test_qdq(void) {
  MlirModule m;
  char *ir = import_print(INPUTS "/qdq.onnx", NULL, 0, &m);
  CHECK(ir, "qdq.onnx imports: %s", err);
  if (!ir)
    return;
  printf("%s\n", ir);
  CHECK(count(ir, "\"mcu.quantize\"") == 2 && count(ir, "\"mcu.dequantize\"") == 3, "QDQ chains kept");
  CHECK(strstr(ir, "-> tensor<2x2x2x3x!quant.uniform<i8:f32:0, {0.10000000149011612,0.20000000298023224}>>"),
        "weight constant OHWI, per-axis on O");
  CHECK(strstr(ir, "{mcu.name = \"dqw\"} : (tensor<2x2x2x3x!quant.uniform<i8:f32:0, {0.10000000149011612,"
                   "0.20000000298023224}>>) -> tensor<2x2x2x3xf32>"),
        "weight dequantized in OHWI");
  MlirOperation conv = find_op(m, "mcu.conv2d", "conv");
  CHECK(!mlirOperationIsNull(conv), "conv found");
  if (!mlirOperationIsNull(conv)) {
    MlirOperation dq = mlirOpResultGetOwner(mlirOperationGetOperand(conv, 1));
    CHECK(mcu_op_is(dq, "mcu.dequantize"), "the filter is the dequantize, no transpose between");
    MlirOperation c = mlirOpResultGetOwner(mlirOperationGetOperand(dq, 0));
    MlirAttribute v = mlirOperationGetAttributeByName(c, mlirStringRefCreateFromCString("value"));
    int ok = mcu_op_is(c, "mcu.constant") && mlirAttributeIsADenseElements(v) &&
             mlirElementsAttrGetNumElements(v) == 24;
    const int8_t *d = ok ? mlirDenseElementsAttrGetRawData(v) : NULL;
    /* wq[o][c][kh][kw] = (((o*3 + c)*2 + kh)*2 + kw) % 11 - 5, stored OHWI */
    for (int o = 0; ok && o < 2; ++o)
      for (int kh = 0; kh < 2; ++kh)
        for (int kw = 0; kw < 2; ++kw)
          for (int c2 = 0; c2 < 3; ++c2)
            ok &= d[((o * 2 + kh) * 2 + kw) * 3 + c2] == (((o * 3 + c2) * 2 + kh) * 2 + kw) % 11 - 5;
    CHECK(ok, "weight bytes in OHWI order");
  }
  mlirModuleDestroy(m);
  free(ir);
}

static void test_ms_ops(void) {
  char *ir = import_print(INPUTS "/ms_ops.onnx", NULL, 0, NULL);
  CHECK(ir, "ms_ops.onnx imports: %s", err);
  if (!ir)
    return;
  printf("%s\n", ir);
  CHECK(strstr(ir, "%arg0: tensor<1x4x6x6x!quant.uniform<u8:f32, 0.10000000149011612:128>>") &&
            strstr(ir, "%arg1: tensor<1x4x6x6x!quant.uniform<u8:f32, 0.20000000298023224:100>>"),
        "inputs take their QLinearAdd quantization");
  CHECK(strstr(ir, "{mcu.name = \"qadd\"} : (tensor<1x4x6x6x!quant.uniform<u8:f32, 0.10000000149011612:128>>, "
                   "tensor<1x4x6x6x!quant.uniform<u8:f32, 0.20000000298023224:100>>) -> "
                   "tensor<1x4x6x6x!quant.uniform<u8:f32, 0.30000001192092896:90>>"),
        "QLinearAdd");
  CHECK(strstr(ir, "tensor<4x1x1x!quant.uniform<u8:f32, 0.10000000149011612:128>>) -> "
                   "tensor<1x4x6x6x!quant.uniform<u8:f32, 0.20000000298023224:100>>"),
        "QLinearMul with a broadcast constant");
  CHECK(strstr(ir, "{mcu.name = \"qsig\"} : (tensor<1x4x6x6x!quant.uniform<u8:f32, 0.20000000298023224:100>>) -> "
                   "tensor<1x4x6x6x!quant.uniform<u8:f32, 0.10000000149011612:128>>"),
        "QLinearSigmoid");
  CHECK(strstr(ir, "mcu.name = \"qavg\", pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : "
                   "(tensor<1x6x6x4x"),
        "QLinearAveragePool on NHWC");
  CHECK(strstr(ir, "{axes = array<i64: 1, 2>, mcu.name = \"qgapl\"} : (tensor<1x5x5x3x!quant.uniform<u8:f32, "
                   "0.10000000149011612:128>>) -> tensor<1x1x1x3x"),
        "channels_last global pool reads the tensor as it is");
  CHECK(count(ir, "\"mcu.mean\"") == 2, "two global pools");
  CHECK(strstr(ir, "{axis = 3 : i64, mcu.name = \"qcat\"}") &&
            strstr(ir, "-> tensor<1x6x6x8x!quant.uniform<u8:f32, 0.20000000298023224:100>>"),
        "QLinearConcat requantizes to its output, channel axis in NHWC");
  free(ir);
}

static void test_refusals(void) {
  static const struct {
    const char *file, *msg;
  } cases[] = {
      {"bad_cip.onnx", "node 'p' (AveragePool): count_include_pad 1 with padding is not supported"},
      {"bad_pad.onnx", "node 'p' (Pad): mode 'reflect' is not supported (constant only)"},
      {"bad_resize.onnx", "node 'r' (Resize): mode 'linear' is not supported (nearest only)"},
      {"bad_resize_mode.onnx", "node 'r' (Resize): coordinate_transformation_mode 'align_corners' with nearest_mode "
                               "'round_prefer_floor' differs from every TF Lite nearest rule for this shape"},
      {"bad_dilated_pool.onnx", "node 'p' (MaxPool): dilated pooling is not supported"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    char path[512];
    snprintf(path, sizeof path, INPUTS "/%s", cases[i].file);
    char *ir = import_print(path, NULL, 0, NULL);
    CHECK(!ir && one_line_error(path) && strstr(err, cases[i].msg), "%s: %s", cases[i].file, err);
    free(ir);
  }
}

static void test_errors(void) {
  char *ir;
  const char *missing = tmp_path("missing.onnx");
  ir = import_print(missing, NULL, 0, NULL);
  CHECK(!ir && !strncmp(err + strlen(missing), ": cannot open", 13), "missing file: %s", err);

  const char *text = tmp_path("text.onnx");
  const char *words = "This is not an ONNX model, just some text.\n";
  write_file(text, words, strlen(words));
  ir = import_print(text, NULL, 0, NULL);
  CHECK(!ir && one_line_error(text) && strstr(err, ": not an ONNX model ("), "text file: %s", err);

  size_t n;
  unsigned char *model = slurp(NODE_DIR "/test_qlinearconv/model.onnx", &n);
  const char *trunc = tmp_path("truncated.onnx");
  write_file(trunc, model, n / 2);
  ir = import_print(trunc, NULL, 0, NULL);
  CHECK(!ir && !strcmp(err + strlen(trunc), ": not an ONNX model (protobuf parse failed)"), "truncated: %s", err);

  mcu_binding_t bad = {"nonesuch", NODE_DIR "/test_qlinearconv/test_data_set_0/input_1.pb"};
  ir = import_print(NODE_DIR "/test_qlinearconv/model.onnx", &bad, 1, NULL);
  CHECK(!ir && strstr(err, "model.onnx: --bind nonesuch: the model has no graph input named 'nonesuch'"),
        "unknown binding: %s", err);

  mcu_binding_t nofile = {"x_scale", missing};
  ir = import_print(NODE_DIR "/test_qlinearconv/model.onnx", &nofile, 1, NULL);
  CHECK(!ir && !strncmp(err + strlen(missing), ": cannot open", 13), "missing bound file: %s", err);

  mcu_binding_t badtype = {"x_scale", NODE_DIR "/test_qlinearconv/test_data_set_0/input_2.pb"};
  ir = import_print(NODE_DIR "/test_qlinearconv/model.onnx", &badtype, 1, NULL);
  CHECK(!ir && strstr(err, "dtype UINT8, the input is declared FLOAT"), "mistyped binding: %s", err);

  ir = import_print(INPUTS "/unsupported.onnx", NULL, 0, NULL);
  CHECK(!ir && strstr(err, "unsupported.onnx: node 'n3' (LSTM): unsupported operator (ONNX front end)") && !strchr(err, '\n'),
        "unsupported op: %s", err);

  ir = import_print(INPUTS "/symbolic.onnx", NULL, 0, NULL);
  CHECK(!ir && strstr(err, "symbolic.onnx: input 'x' dimension 0 is symbolic ('N'): pin it with --shape x=1x4") &&
            !strchr(err, '\n'),
        "symbolic dim: %s", err);

  /* Every prefix of a model, and byte mutations of the chain model: an error or a verified module, never a
   * crash (run under ASan for the full effect). */
  int bad_msgs = 0, ok_imports = 0;
  for (size_t k = 0; k < n; ++k) {
    write_file(trunc, model, k);
    ir = import_print(trunc, NULL, 0, NULL);
    if (ir)
      ++ok_imports;
    else if (!one_line_error(trunc))
      ++bad_msgs;
    free(ir);
  }
  CHECK(bad_msgs == 0, "%d prefixes gave a malformed message", bad_msgs);
  CHECK(ok_imports == 0, "%d prefixes imported (the scales are inputs, so none should)", ok_imports);
  free(model);

  /* byte mutations of the chain model and of the float, shape and com.microsoft models */
  static const char *const seeds[] = {"chain.onnx", "float_ops.onnx", "shapes.onnx", "ms_ops.onnx", "qdq.onnx"};
  for (size_t f = 0; f < sizeof seeds / sizeof seeds[0]; ++f) {
    char src[512];
    snprintf(src, sizeof src, INPUTS "/%s", seeds[f]);
    unsigned char *chain = slurp(src, &n);
    unsigned char *mut = malloc(n ? n : 1);
    unsigned seed = 12345;
    const char *mpath = tmp_path("mutated.onnx");
    bad_msgs = ok_imports = 0;
    int iters = f ? MUTATIONS / 2 : MUTATIONS;
    for (int iter = 0; iter < iters && chain && n; ++iter) {
      memcpy(mut, chain, n);
      for (int j = 0; j < 1 + iter % 4; ++j) {
        seed = seed * 1103515245u + 12345u;
        size_t at = (seed >> 8) % n;
        seed = seed * 1103515245u + 12345u;
        mut[at] = (unsigned char)(iter & 1 ? mut[at] ^ (1u << ((seed >> 16) & 7)) : (seed >> 16));
      }
      write_file(mpath, mut, n);
      ir = import_print(mpath, NULL, 0, NULL);
      if (ir)
        ++ok_imports;
      if (getenv("SHOW_ERRORS") && !ir)
        printf("mutation error: %s\n", err);
      if (!ir && !one_line_error(mpath)) {
        ++bad_msgs;
        printf("bad message: %s\n", err);
      }
      free(ir);
    }
    printf("%s: %d mutations: %d imported, %d rejected\n", seeds[f], iters, ok_imports, iters - ok_imports);
    CHECK(chain && bad_msgs == 0, "%s: %d mutations gave a malformed message", seeds[f], bad_msgs);
    free(mut);
    free(chain);
  }

  unlink(tmp_path("text.onnx"));
  unlink(tmp_path("truncated.onnx"));
  unlink(tmp_path("mutated.onnx"));
}

int main(void) {
  mcu_status_t s = mcu_context_create(&ctx);
  if (s) {
    printf("FAIL: %s\n", mcu_status_message(s));
    return 1;
  }
  if (!mkdtemp(tmpdir)) {
    printf("FAIL: mkdtemp\n");
    return 1;
  }
  test_qlinearconv();
  test_qlinearmatmul();
  test_chain();
  test_misc();
  test_shape_overrides();
  test_float_ops();
  test_shapes();
  test_qdq();
  test_ms_ops();
  test_refusals();
  test_errors();
  rmdir(tmpdir);
  mlirContextDestroy(ctx);
  return mcu_test_finish();
}
