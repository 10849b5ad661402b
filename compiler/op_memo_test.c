/* op_memo_test.c: unit test of the memo table and of mcu_lower_op_kernel's answers through it (never stale). */
#include "op_memo.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/IR.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "lower.h"
#include "mcu_test.h"

/* ---- the table ---- */

static void test_table(void) {
  mcu_op_memo_t *m = mcu_op_memo_create(sizeof(uint64_t));
  CHECK(m != NULL, "create");
  CHECK(mcu_op_memo_create(0) == NULL && mcu_op_memo_create(257) == NULL, "value size out of range refused");
  uintptr_t key[4];
  uint64_t v = 0;
  for (uint64_t i = 0; i < 3000; ++i) { /* enough to grow the slot array several times */
    key[0] = 7, key[1] = (uintptr_t)i, key[2] = (uintptr_t)(i % 3), key[3] = 11;
    uint64_t val = i * 1000003u;
    CHECK(mcu_op_memo_put(m, key, 1 + i % 4, &val) == 0, "put %llu", (unsigned long long)i);
  }
  int bad = 0;
  for (uint64_t i = 0; i < 3000; ++i) {
    key[0] = 7, key[1] = (uintptr_t)i, key[2] = (uintptr_t)(i % 3), key[3] = 11;
    /* length 1 keys {7} are all equal: the last put of that length wins */
    const uint64_t want = i % 4 == 0 ? 2996u * 1000003u : i * 1000003u;
    if (!mcu_op_memo_get(m, key, 1 + i % 4, &v) || v != want) ++bad;
  }
  CHECK(bad == 0, "%d keys answered wrong", bad);
  key[0] = 7, key[1] = 5, key[2] = 2, key[3] = 12; /* differs from a stored key in its last word only */
  CHECK(!mcu_op_memo_get(m, key, 4, &v), "a key differing in one word misses");
  key[3] = 11;
  CHECK(mcu_op_memo_get(m, key, 4, &v) == 0, "key 5 was stored with length 2, not 4");
  CHECK(mcu_op_memo_get(m, key, 2, &v) == 1 && v == 5u * 1000003u, "same words, stored length: hit");
  uint64_t hits, misses;
  mcu_op_memo_stats(m, &hits, &misses);
  CHECK(hits == 3001 && misses == 2, "stats %llu hits %llu misses", (unsigned long long)hits,
        (unsigned long long)misses);
  mcu_op_memo_clear(m);
  CHECK(!mcu_op_memo_get(m, key, 2, &v), "cleared");
  CHECK(mcu_op_memo_put(m, key, 2, &(uint64_t){42}) == 0 && mcu_op_memo_get(m, key, 2, &v) && v == 42,
        "usable after clear");
  CHECK(mcu_op_memo_install(m) == NULL && mcu_op_memo_current() == m, "install");
  mcu_op_memo_destroy(m);
  CHECK(mcu_op_memo_current() == NULL, "destroying the installed memo uninstalls it");
}

/* ---- answers through the memo ---- */

static const char *const module_text =
    "!x = !quant.uniform<i8:f32, 0.05:-3>\n"
    "!w = !quant.uniform<i8:f32, 0.02>\n"
    "module {\n"
    "func.func @main(%in: tensor<1x8x8x8x!x>) -> tensor<1x8x8x8x!x> {\n"
    "  %w = \"mcu.constant\"() {value = dense<1> : tensor<8x3x3x8xi8>} : () -> tensor<8x3x3x8x!w>\n"
    "  %b = \"mcu.constant\"() {value = dense<9> : tensor<8xi32>} : () -> tensor<8xi32>\n"
    "  %c = \"mcu.conv2d\"(%in, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = "
    "array<i64: 1, 1>, groups = 1 : i64, numerics = \"tflite\"} : (tensor<1x8x8x8x!x>, tensor<8x3x3x8x!w>, "
    "tensor<8xi32>) -> tensor<1x8x8x8x!x>\n"
    "  %wd = \"mcu.constant\"() {value = dense<1> : tensor<8x3x3x1xi8>} : () -> tensor<8x3x3x1x!w>\n"
    "  %d = \"mcu.conv2d\"(%c, %wd, %b) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = "
    "array<i64: 1, 1>, groups = 8 : i64, numerics = \"tflite\"} : (tensor<1x8x8x8x!x>, tensor<8x3x3x1x!w>, "
    "tensor<8xi32>) -> tensor<1x8x8x8x!x>\n"
    "  return %d : tensor<1x8x8x8x!x>\n"
    "}\n"
    "}\n";

/* The answer with the memo installed must equal the one computed afresh. */
static int same_answer(MlirOperation op, const mcu_op_view_t *view, mcu_op_memo_t *memo, mcu_op_kernel_t *out) {
  mcu_op_kernel_t fresh;
  mcu_op_memo_install(memo);
  mcu_status_t s1 = mcu_lower_op_kernel_view(op, view, out);
  mcu_op_memo_install(NULL);
  mcu_status_t s2 = mcu_lower_op_kernel_view(op, view, &fresh);
  const int ok = !s1 && !s2 && !memcmp(out, &fresh, sizeof fresh);
  if (s1) printf("memo: %s\n", mcu_status_message(s1));
  if (s2) printf("fresh: %s\n", mcu_status_message(s2));
  mcu_status_free(s1);
  mcu_status_free(s2);
  return ok;
}

static void set_attr(MlirOperation op, const char *name, MlirAttribute a) {
  mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString(name), a);
}

static void test_answers(void) {
  MlirContext ctx;
  mcu_status_t s = mcu_context_create(&ctx);
  CHECK(!s, "context");
  if (s) return;
  MlirModule module;
  s = mcu_module_parse_string(ctx, module_text, "op_memo_test", &module);
  CHECK(!s, "parse: %s", s ? mcu_status_message(s) : "");
  if (s) {
    mlirContextDestroy(ctx);
    return;
  }
  MlirOperation conv[2] = {{NULL}, {NULL}};
  int nconv = 0;
  MlirBlock block = mcu_main_block(mlirModuleGetOperation(module));
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (mcu_op_is(op, "mcu.conv2d") && nconv < 2) conv[nconv++] = op;
  CHECK(nconv == 2, "two convs");
  mcu_op_memo_t *memo = mcu_op_memo_create(sizeof(mcu_op_kernel_t));
  MlirOperation c = conv[0], d = conv[1];
  const int64_t tile[2] = {2, 2};

  /* The 3x3 conv through a sequence of changes the passes make; each answer (memo) == fresh. The kernel family
   * changes the scratch, so a memo that ignored mcu.kernel or mcu.tile would answer stale. */
  mcu_op_kernel_t a_auto, a_scalar, a_im2col, a_tile, a_offset, a_again;
  CHECK(same_answer(c, NULL, memo, &a_auto), "auto");
  set_attr(c, "mcu.kernel", mlirStringAttrGet(ctx, mlirStringRefCreateFromCString("scalar")));
  CHECK(same_answer(c, NULL, memo, &a_scalar), "after mcu.kernel = scalar");
  set_attr(c, "mcu.kernel", mlirStringAttrGet(ctx, mlirStringRefCreateFromCString("im2col")));
  CHECK(same_answer(c, NULL, memo, &a_im2col), "after mcu.kernel = im2col");
  set_attr(c, "mcu.tile", mlirDenseI64ArrayGet(ctx, 2, tile));
  CHECK(same_answer(c, NULL, memo, &a_tile), "after mcu.tile = 2x2");
  CHECK(a_scalar.scratch_bytes != a_im2col.scratch_bytes, "the family changes the answer (scratch %u vs %u)",
        a_scalar.scratch_bytes, a_im2col.scratch_bytes);
  /* an attribute lowering alone ignores (plan-memory's mark) may share the entry: still the same answer */
  set_attr(c, "mcu.offset", mcu_attr_i64(ctx, 64));
  CHECK(same_answer(c, NULL, memo, &a_offset), "after mcu.offset");
  CHECK(!memcmp(&a_offset, &a_tile, sizeof a_tile), "mcu.offset does not change the answer");
  mcu_op_remove_attr(c, "mcu.kernel");
  mcu_op_remove_attr(c, "mcu.tile");
  CHECK(same_answer(c, NULL, memo, &a_again), "marks removed");
  CHECK(!memcmp(&a_again, &a_auto, sizeof a_auto), "back to the first answer");

  /* A patch view (patch-stages) is another question than the whole op. */
  const mcu_op_view_t view = {5, 5, 4, 4, {1, 1, 0, 0}}; /* the top-left patch of a 2x2 grid */
  mcu_op_kernel_t a_view;
  set_attr(c, "mcu.kernel", mlirStringAttrGet(ctx, mlirStringRefCreateFromCString("im2col")));
  CHECK(same_answer(c, &view, memo, &a_view), "patch view");
  CHECK(same_answer(c, NULL, memo, &a_again), "whole op after the view");

  /* The depthwise conv with and without mark-inplace's tentative mark; the two convs share the bias constant. */
  mcu_op_kernel_t d_plain, d_inplace;
  CHECK(same_answer(d, NULL, memo, &d_plain), "depthwise");
  set_attr(d, "mcu.inplace", mcu_attr_i64(ctx, 0));
  CHECK(same_answer(d, NULL, memo, &d_inplace), "depthwise, mcu.inplace = 0");
  mcu_op_remove_attr(d, "mcu.inplace");
  CHECK(same_answer(d, NULL, memo, &d_inplace), "depthwise, mark removed");
  CHECK(!memcmp(&d_inplace, &d_plain, sizeof d_plain), "depthwise: first answer again");

  /* A changed constant operand (another filter value) is another question. */
  MlirOperation wd = mlirOpResultGetOwner(mlirOperationGetOperand(d, 1));
  uint64_t hits0, misses0, hits1, misses1;
  mcu_op_memo_stats(memo, &hits0, &misses0);
  MlirAttribute old = mlirOperationGetAttributeByName(wd, mlirStringRefCreateFromCString("value"));
  MlirAttribute nv = mlirDenseElementsAttrInt8SplatGet(mlirAttributeGetType(old), 2);
  set_attr(wd, "value", nv);
  CHECK(same_answer(d, NULL, memo, &d_plain), "depthwise, new filter value");
  mcu_op_memo_stats(memo, &hits1, &misses1);
  CHECK(misses1 == misses0 + 1 && hits1 == hits0, "a new constant value misses the memo");

  mcu_op_memo_destroy(memo);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
}

int main(void) {
  test_table();
  test_answers();
  return mcu_test_finish();
}
