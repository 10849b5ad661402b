/* op_memo_test.c: unit test of the memo table and of mcu_lower_op_kernel's answers through it (never stale). */
#include "op_memo.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/IR.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The byte buffers kept with the answers: stored under their key only, gone after a clear (freed: the sanitizer
 * build would report a leak), owned by the memo until then. */
static void test_bytes(void) {
  mcu_op_memo_t *m = mcu_op_memo_create(8);
  const uintptr_t k1[2] = {0x1000, 64}, k2[2] = {0x1000, 65}, k3[2] = {0x2000, 64};
  CHECK(mcu_op_memo_get_bytes(m, k1, 2) == NULL, "bytes: empty");
  uint8_t *b1 = malloc(64), *b2 = malloc(65);
  memset(b1, 1, 64), memset(b2, 2, 65);
  CHECK(mcu_op_memo_put_bytes(m, k1, 2, b1, 64) == 0 && mcu_op_memo_put_bytes(m, k2, 2, b2, 65) == 0, "bytes: put");
  size_t entries, bytes;
  mcu_op_memo_size(m, &entries, &bytes);
  CHECK(entries == 2 && bytes == 129, "bytes: the size counts both buffers");
  CHECK(mcu_op_memo_get_bytes(m, k1, 2) == b1 && mcu_op_memo_get_bytes(m, k2, 2) == b2, "bytes: each its own key");
  CHECK(mcu_op_memo_get_bytes(m, k3, 2) == NULL && mcu_op_memo_get_bytes(m, k1, 1) == NULL, "bytes: other keys miss");
  uint64_t hits, misses;
  mcu_op_memo_stats(m, &hits, &misses);
  CHECK(hits == 0 && misses == 0, "bytes lookups are not answer lookups");
  mcu_op_memo_clear(m);
  CHECK(mcu_op_memo_get_bytes(m, k1, 2) == NULL, "bytes: cleared");
  mcu_op_memo_size(m, &entries, &bytes);
  CHECK(entries == 0 && bytes == 0, "bytes: the size after a clear");
  uint8_t *b3 = calloc(64, 1);
  CHECK(mcu_op_memo_put_bytes(m, k1, 2, b3, 64) == 0 && mcu_op_memo_get_bytes(m, k1, 2) == b3, "bytes: after clear");
  mcu_op_memo_destroy(m); /* frees b3 */
}

/* ---- answers through the memo ---- */

static const char *const module_text =
    "!x = !quant.uniform<i8:f32, 0.05:-3>\n"
    "!w = !quant.uniform<i8:f32, 0.02>\n"
    "!y = !quant.uniform<i8:f32, 0.001>\n"
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
    "  %wo = \"mcu.constant\"() {value = dense<1> : tensor<8x3x3x8xi8>} : () -> tensor<8x3x3x8x!w>\n"
    "  %o = \"mcu.conv2d\"(%in, %wo, %b) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = "
    "array<i64: 1, 1>, groups = 1 : i64, numerics = \"onnx\"} : (tensor<1x8x8x8x!x>, tensor<8x3x3x8x!w>, "
    "tensor<8xi32>) -> tensor<1x8x8x8x!y>\n"
    "  return %d : tensor<1x8x8x8x!x>\n"
    "}\n"
    "}\n";

/* The shape-only answer with the memo installed must equal the one computed afresh. */
static int same_shape(MlirOperation op, mcu_op_memo_t *memo, mcu_op_kernel_t *out) {
  mcu_op_kernel_t fresh;
  mcu_op_memo_install(memo);
  mcu_status_t s1 = mcu_lower_op_kernel_shape(op, out);
  mcu_op_memo_install(NULL);
  mcu_status_t s2 = mcu_lower_op_kernel_shape(op, &fresh);
  const int ok = !s1 && !s2 && !memcmp(out, &fresh, sizeof fresh);
  mcu_status_free(s1);
  mcu_status_free(s2);
  return ok;
}

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
  MlirOperation conv[3] = {{NULL}, {NULL}, {NULL}};
  int nconv = 0;
  MlirBlock block = mcu_main_block(mlirModuleGetOperation(module));
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (mcu_op_is(op, "mcu.conv2d") && nconv < 3) conv[nconv++] = op;
  CHECK(nconv == 3, "three convs");
  if (nconv != 3) return;
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

  /* mark-inplace's question without the mark set: the answer the op gives with mcu.inplace = 0 set, through the
   * memo and afresh, and the op is left unmarked. */
  mcu_op_kernel_t d_mark, d_as, d_as_fresh;
  set_attr(d, "mcu.inplace", mcu_attr_i64(ctx, 0));
  CHECK(same_answer(d, NULL, memo, &d_mark), "depthwise marked");
  mcu_op_remove_attr(d, "mcu.inplace");
  mcu_op_memo_install(memo);
  s = mcu_lower_op_kernel_inplace(d, 0, &d_as);
  mcu_op_memo_install(NULL);
  mcu_status_t s2 = mcu_lower_op_kernel_inplace(d, 0, &d_as_fresh);
  CHECK(!s && !s2 && !memcmp(&d_as, &d_mark, sizeof d_mark) && !memcmp(&d_as_fresh, &d_mark, sizeof d_mark),
        "inplace question == the marked op's answer");
  CHECK(d_mark.handled && (d_mark.inplace_mask & 1u), "the TF Lite depthwise conv runs in place when marked");
  CHECK(!mcu_op_has_attr(d, "mcu.inplace"), "the inplace question leaves the op unmarked");
  mcu_status_free(s), mcu_status_free(s2);
  mcu_op_kernel_t d_now;
  CHECK(same_answer(d, NULL, memo, &d_now) && !memcmp(&d_now, &d_plain, sizeof d_plain),
        "unmarked answer unchanged after the inplace question");
  s = mcu_lower_op_kernel_inplace(d, 7, &d_as);
  CHECK(s != NULL, "inplace question on a missing operand refused");
  mcu_status_free(s);

  /* select-kernels' shape-only question: the full answer's kernel shape, no kernel call. */
  mcu_op_kernel_t c_full, c_shape, c_shape_fresh;
  CHECK(same_answer(c, NULL, memo, &c_full), "conv full answer");
  mcu_op_memo_install(memo);
  s = mcu_lower_op_kernel_shape(c, &c_shape);
  mcu_op_memo_install(NULL);
  s2 = mcu_lower_op_kernel_shape(c, &c_shape_fresh);
  CHECK(!s && !s2 && c_full.handled && c_shape.kernel_shape_ok && !c_full.kernel_shape_ok && !c_shape.handled &&
            !c_shape.scratch_bytes && c_shape.kernel_shape.o == 8 && c_shape.kernel_shape.kh == 3 &&
            !memcmp(&c_shape, &c_shape_fresh, sizeof c_shape),
        "shape-only answer: the kernel shape, nothing else; the full answer: no shape");
  mcu_status_free(s), mcu_status_free(s2);
  CHECK(same_answer(c, NULL, memo, &c_shape) && !memcmp(&c_shape, &c_full, sizeof c_full),
        "the shape-only answer is not given to the full question");

  /* The ONNX conv's answer depends on its filter's bytes (the bound check: with a multiplier of 1, |w| = 1 passes,
   * |w| = 127 does not), which the memo keeps per constant value: a new filter value must not see the old bytes. */
  MlirOperation o = conv[2], wo = mlirOpResultGetOwner(mlirOperationGetOperand(o, 1));
  mcu_op_kernel_t o_small, o_big;
  CHECK(same_shape(o, memo, &o_small) && o_small.kernel_shape_ok && o_small.kernel_shape.fast_numerics,
        "onnx conv, |w| = 1: fast numerics");
  MlirAttribute wo_old = mlirOperationGetAttributeByName(wo, mlirStringRefCreateFromCString("value"));
  set_attr(wo, "value", mlirDenseElementsAttrInt8SplatGet(mlirAttributeGetType(wo_old), 127));
  mcu_op_memo_install(memo);
  s = mcu_lower_op_kernel_shape(o, &o_big); /* borrows kept bytes where it can */
  mcu_op_memo_install(NULL);
  CHECK(!s && o_big.kernel_shape_ok && !o_big.kernel_shape.fast_numerics, "onnx conv, |w| = 127: not fast");
  mcu_status_free(s);
  CHECK(same_shape(o, memo, &o_big) && !o_big.kernel_shape.fast_numerics, "onnx conv, |w| = 127, memo and fresh");
  set_attr(wo, "value", wo_old);
  CHECK(same_shape(o, memo, &o_small) && o_small.kernel_shape.fast_numerics, "onnx conv, |w| = 1 again");

  mcu_op_memo_destroy(memo);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
}

/* module_text with every "1x8x8x8" (the activations) made "1x<size>x<size>x8"; owned by the caller. */
static char *module_of_size(int size) {
  char *t = malloc(strlen(module_text) * 2);
  char *o = t, rep[32];
  snprintf(rep, sizeof rep, "1x%dx%dx8", size, size);
  for (const char *p = module_text; *p;)
    if (!strncmp(p, "1x8x8x8", 7))
      o += sprintf(o, "%s", rep), p += 7;
    else
      *o++ = *p++;
  *o = 0;
  return t;
}

/* The compiler keeps the memo from one compile to the next in a context (compiler/mcunet.c, run_pipeline): the same
 * convs on 8x8, then on 16x16 and 8x8 again in other modules of the context, through one memo, answer as afresh
 * (full and shape-only questions; the 16x16 ones are new questions, the second 8x8 module's are the first's). */
static void test_modules(void) {
  MlirContext ctx;
  mcu_status_t s = mcu_context_create(&ctx);
  CHECK(!s, "context");
  if (s) return;
  mcu_op_memo_t *memo = mcu_op_memo_create(sizeof(mcu_op_kernel_t));
  const int sizes[3] = {8, 16, 8};
  mcu_op_kernel_t first[3], shape16 = {0};
  for (int m = 0; m < 3; ++m) {
    char *text = module_of_size(sizes[m]);
    MlirModule module;
    s = mcu_module_parse_string(ctx, text, "op_memo_test", &module);
    free(text);
    CHECK(!s, "module %d parses: %s", m, s ? mcu_status_message(s) : "");
    if (s) break;
    uint64_t h0, m0, h1, m1;
    mcu_op_memo_stats(memo, &h0, &m0);
    int i = 0;
    MlirBlock block = mcu_main_block(mlirModuleGetOperation(module));
    for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      if (!mcu_op_is(op, "mcu.conv2d")) continue;
      mcu_op_kernel_t full, shape;
      CHECK(same_answer(op, NULL, memo, &full), "module %d (%dx%d), conv %d: full answer", m, sizes[m], sizes[m], i);
      CHECK(same_shape(op, memo, &shape), "module %d, conv %d: shape answer", m, i);
      CHECK(shape.kernel_shape.h == sizes[m], "module %d, conv %d: the shape is the module's (%d)", m, i,
            shape.kernel_shape.h);
      if (m == 0 && i < 3) first[i] = full;
      if (m == 2 && i < 3) CHECK(!memcmp(&full, &first[i], sizeof full), "module 2, conv %d: module 0's answer", i);
      if (m == 1 && i == 0) shape16 = shape;
      ++i;
    }
    mcu_op_memo_stats(memo, &h1, &m1);
    CHECK(m == 2 ? m1 == m0 : m1 > m0, "module %d: %s the memo (%llu misses)", m, m == 2 ? "answered from" : "new to",
          (unsigned long long)(m1 - m0));
    mlirModuleDestroy(module);
  }
  CHECK(shape16.kernel_shape.h == 16 && shape16.kernel_shape.oh == 16, "the 16x16 conv's shape is its own");
  mcu_op_memo_destroy(memo);
  mlirContextDestroy(ctx);
}

int main(void) {
  test_table();
  test_bytes();
  test_answers();
  test_modules();
  return mcu_test_finish();
}
