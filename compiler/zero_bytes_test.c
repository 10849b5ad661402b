/* zero_bytes_test.c: unit test of the shared zero block and of the lowering's use of it for zero splats. */
#include "zero_bytes.h"

#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "lower.h"
#include "mcu_test.h"

static void test_block(void) {
  const uint8_t *z = mcu_zero_bytes(4096);
  CHECK(z != NULL, "a block of 4096 bytes");
  int all_zero = 1;
  for (int i = 0; z && i < 4096; ++i) all_zero &= z[i] == 0;
  CHECK(all_zero, "reads as zeros");
  CHECK(mcu_zero_bytes(0) == z && mcu_zero_bytes(MCU_ZERO_BYTES_MAX) == z, "one block for every size up to the max");
  CHECK(mcu_zero_bytes(MCU_ZERO_BYTES_MAX + 1LL) == NULL && mcu_zero_bytes(-1) == NULL, "larger or negative: none");
  CHECK(mcu_zero_bytes_holds(z) && mcu_zero_bytes_holds(z + MCU_ZERO_BYTES_MAX - 1), "first and last byte held");
  CHECK(!mcu_zero_bytes_holds(z + MCU_ZERO_BYTES_MAX) && !mcu_zero_bytes_holds(NULL), "one past the end, NULL");
  void *m = malloc(16);
  CHECK(!mcu_zero_bytes_holds(m), "a heap block is not held");
  free(m);
}

/* A zero splat filter and bias, a splat of 3 and a non-splat constant: only the zero splats point into the block;
 * every constant holds its value; destroying the program frees the others and not the block (ASan checks it). */
static const char *const module_text =
    "!x = !quant.uniform<i8:f32, 0.05:-3>\n"
    "!w = !quant.uniform<i8:f32, 0.02>\n"
    "module {\n"
    "func.func @main(%in: tensor<1x4x4x8x!x>) -> (tensor<1x4x4x8x!x>, tensor<1x4x4x8x!x>) {\n"
    "  %w = \"mcu.constant\"() {value = dense<0> : tensor<8x1x1x8xi8>} : () -> tensor<8x1x1x8x!w>\n"
    "  %b = \"mcu.constant\"() {value = dense<0> : tensor<8xi32>} : () -> tensor<8xi32>\n"
    "  %w3 = \"mcu.constant\"() {value = dense<3> : tensor<8x1x1x8xi8>} : () -> tensor<8x1x1x8x!w>\n"
    "  %bv = \"mcu.constant\"() {value = dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi32>} : () -> tensor<8xi32>\n"
    "  %c = \"mcu.conv2d\"(%in, %w, %b) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = "
    "array<i64: 1, 1>, groups = 1 : i64, numerics = \"tflite\"} : (tensor<1x4x4x8x!x>, tensor<8x1x1x8x!w>, "
    "tensor<8xi32>) -> tensor<1x4x4x8x!x>\n"
    "  %d = \"mcu.conv2d\"(%in, %w3, %bv) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = "
    "array<i64: 1, 1>, groups = 1 : i64, numerics = \"tflite\"} : (tensor<1x4x4x8x!x>, tensor<8x1x1x8x!w>, "
    "tensor<8xi32>) -> tensor<1x4x4x8x!x>\n"
    "  return %c, %d : tensor<1x4x4x8x!x>, tensor<1x4x4x8x!x>\n"
    "}\n"
    "}\n";

static void test_lowering(void) {
  MlirContext ctx;
  mcu_status_t s = mcu_context_create(&ctx);
  CHECK(!s, "context");
  if (s) return;
  MlirModule module;
  s = mcu_module_parse_string(ctx, module_text, "zero_bytes_test", &module);
  CHECK(!s, "parse: %s", s ? mcu_status_message(s) : "");
  mcu_program_t *p = NULL;
  if (!s) s = mcu_lower_module(module, "m", &p);
  CHECK(!s && p, "lower: %s", s ? mcu_status_message(s) : "");
  int consts = 0, in_block = 0, values_ok = 1;
  for (int i = 0; p && i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    if (t->storage != MCU_STORAGE_CONST) continue;
    ++consts;
    const int64_t n = mcu_tensor_bytes(t);
    const int held = mcu_zero_bytes_holds(t->data);
    in_block += held;
    if (n == 64) { /* a filter: 0 (held) or 3 (not) */
      for (int64_t k = 0; k < n; ++k) values_ok &= t->data[k] == (held ? 0 : 3);
      values_ok &= t->splat;
    } else { /* a bias: zeros (held, splat) or 0..7 (not held, not splat) */
      for (int64_t k = 0; k < 8; ++k) {
        int32_t v;
        memcpy(&v, t->data + 4 * k, 4);
        values_ok &= v == (held ? 0 : (int32_t)k);
      }
      values_ok &= t->splat == held;
    }
  }
  CHECK(consts == 4, "four constants (%d)", consts);
  CHECK(in_block == 2, "the two zero splats point into the block (%d)", in_block);
  CHECK(values_ok, "every constant holds its value");
  mcu_program_destroy(p);
  mcu_status_free(s);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
}

int main(void) {
  test_block();
  test_lowering();
  return mcu_test_finish();
}
