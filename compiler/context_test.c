/* context_test.c: unit test of mcu_op_set_attrs (several attributes in one dictionary build, the op re-created). */
#include "context.h"

#include <mlir-c/BuiltinAttributes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"

static const char *const module_text =
    "module {\n"
    "func.func @main(%in: tensor<1x4xi8>) -> tensor<1x4xi8> {\n"
    "  %a = \"mcu.clamp\"(%in) {min = -3 : i64, max = 7 : i64, mcu.tile = array<i64: 9, 9>, zeta = 1 : i64} : "
    "(tensor<1x4xi8>) -> tensor<1x4xi8>\n"
    "  %b = \"mcu.clamp\"(%a) {min = -1 : i64, max = 1 : i64} : (tensor<1x4xi8>) -> tensor<1x4xi8>\n"
    "  %c = \"mcu.add\"(%a, %b) : (tensor<1x4xi8>, tensor<1x4xi8>) -> tensor<1x4xi8>\n"
    "  return %c : tensor<1x4xi8>\n"
    "}\n"
    "}\n";

static void print_to_buffer(MlirStringRef s, void *user) {
  char *buf = user;
  const size_t len = strlen(buf);
  if (len + s.length < 8192) memcpy(buf + len, s.data, s.length), buf[len + s.length] = 0;
}

/* The first op of @main; the module's text into buf (8192 bytes). */
static MlirOperation first_op(MlirModule m) {
  return mlirBlockGetFirstOperation(mcu_main_block(mlirModuleGetOperation(m)));
}
static void print_module(MlirModule m, char *buf) {
  buf[0] = 0;
  mlirOperationPrint(mlirModuleGetOperation(m), print_to_buffer, buf);
}

int main(void) {
  MlirContext ctx;
  mcu_status_t s = mcu_context_create(&ctx);
  CHECK(!s, "context");
  if (s) return mcu_test_finish();
  MlirModule one, each;
  s = mcu_module_parse_string(ctx, module_text, "context_test", &one);
  CHECK(!s, "parse: %s", s ? mcu_status_message(s) : "");
  mcu_status_t s2 = mcu_module_parse_string(ctx, module_text, "context_test", &each);
  CHECK(!s2, "parse again");
  if (s || s2) return mcu_test_finish();
  const int64_t tile[2] = {2, 2};
  /* a replaced attribute (mcu.tile), names before, between and after the op's own (a.., mcu.kernel, zz) */
  const MlirNamedAttribute set[] = {
      {mcu_ident(ctx, "mcu.tile"), mlirDenseI64ArrayGet(ctx, 2, tile)},
      {mcu_ident(ctx, "zz"), mcu_attr_i64(ctx, 5)},
      {mcu_ident(ctx, "mcu.kernel"), mlirStringAttrGet(ctx, mlirStringRefCreateFromCString("im2col"))},
      {mcu_ident(ctx, "aa"), mcu_attr_i64(ctx, 4)},
  };
  MlirOperation op = first_op(one), old = op;
  mcu_op_set_attrs(&op, 4, set);
  CHECK(!mlirOperationEqual(op, old), "the op is re-created");
  CHECK(mlirOperationEqual(first_op(one), op), "in the old op's place");
  for (int i = 0; i < 4; ++i)
    mlirOperationSetDiscardableAttributeByName(first_op(each), mlirIdentifierStr(set[i].name), set[i].attribute);
  CHECK(mlirOperationGetNumAttributes(op) == 7, "seven attributes (%d)", (int)mlirOperationGetNumAttributes(op));
  CHECK(mlirAttributeEqual(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.tile")),
                           set[0].attribute),
        "mcu.tile replaced");
  CHECK(mcu_op_get_i64(op, "min", 0) == -3 && mcu_op_get_i64(op, "aa", 0) == 4, "old and new attributes kept");
  CHECK(mlirOperationVerify(mlirModuleGetOperation(one)), "the module verifies (uses moved to the new result)");
  static char a[8192], b[8192];
  print_module(one, a);
  print_module(each, b);
  CHECK(a[0] && !strcmp(a, b), "prints as the same attributes set one at a time:\n%s\n%s", a, b);
  mlirModuleDestroy(one);
  mlirModuleDestroy(each);
  mlirContextDestroy(ctx);
  return mcu_test_finish();
}
