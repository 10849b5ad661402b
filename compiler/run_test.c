/* run_test.c: mcu_run_object on hand-written model objects (built here) on the emulated Cortex-M7/M4 and the host. */

/* The "model" tm_run(in0 i8[2,3], in1 f32[3], out0 i32[2], out1 f32[3]) sums each row of in0 and doubles in1. It is
 * compiled here with arm-none-eabi-gcc / cc, so the test exercises the harness generation, linking, semihosting
 * file I/O, output collection, the instruction count (positive and identical over two runs) and the error paths
 * without depending on the model compiler. The exact-count check lives in test/e2e/run_icount.sh.
 * The per-layer count is checked exactly on "tl", written in assembly: tl_run (5 instructions of its own) calls the
 * layer functions tl_l0_copy (4 instructions) and tl_l1_copy (2), on both Cortex-M targets; a layer function called
 * twice and one that is missing are errors. */

#define _XOPEN_SOURCE 700

#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcu_test.h"
#include "tensor_file.h"


static const char model_c[] =
    "#include <stdint.h>\n"
    "#include <string.h>\n"
    "int tm_run(const void *in0, const void *in1, void *out0, void *out1) {\n"
    "  const int8_t *a = in0; const float *b = in1; int32_t s[2] = {0, 0}; float d[3];\n"
    "  if (a[0] == 100) for (volatile int spin = 0;; spin++) {}\n"
    "  for (int r = 0; r < 2; r++) for (int c = 0; c < 3; c++) s[r] += a[r * 3 + c];\n"
    "  for (int i = 0; i < 3; i++) d[i] = b[i] * 2.0f;\n"
    "  memcpy(out0, s, sizeof s); memcpy(out1, d, sizeof d);\n"
    "  return a[0] == 99 ? 5 : 0;\n"
    "}\n";

static const char model_h[] =
    "#define tm_NUM_INPUTS 2\n#define tm_NUM_OUTPUTS 2\n"
    "#define tm_INPUT0_BYTES 6\n#define tm_INPUT1_BYTES 12\n"
    "#define tm_OUTPUT0_BYTES 8\n#define tm_OUTPUT1_BYTES 12\n"
    "int tm_run(const void *in0, const void *in1, void *out0, void *out1);\n";

/* tl_run's glue: push, bl, bl, movs, pop = 5 instructions; layer 0: 4; layer 1: 2 (3 calls with TL_TWICE). */
static const char tl_c[] =
    "__attribute__((naked, noinline)) void tl_l0_copy(void) {\n"
    "  __asm__ volatile(\"movs r0, #0\\n nop\\n nop\\n bx lr\");\n"
    "}\n"
    "__attribute__((naked, noinline)) void tl_l1_copy(void) { __asm__ volatile(\"nop\\n bx lr\"); }\n"
    "__attribute__((naked)) int tl_run(const void *in0, void *out0) {\n"
    "  __asm__ volatile(\"push {r4, lr}\\n bl tl_l0_copy\\n bl tl_l1_copy\\n\"\n"
    "#ifdef TL_TWICE\n"
    "                   \"bl tl_l1_copy\\n\"\n"
    "#endif\n"
    "                   \"movs r0, #0\\n pop {r4, pc}\");\n"
    "}\n";

static const char tl_h[] = "#define tl_NUM_INPUTS 1\n#define tl_NUM_OUTPUTS 1\n"
                           "#define tl_INPUT0_BYTES 4\n#define tl_OUTPUT0_BYTES 4\n"
                           "int tl_run(const void *in0, void *out0);\n";

static int have(const char *tool) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
  return system(cmd) == 0;
}

static void set_tensor(mcu_tensor_t *t, mcu_dtype_t dt, int rank, int32_t d0, int32_t d1, mcu_storage_t st, int idx) {
  memset(t, 0, sizeof *t);
  t->name = "";
  t->dtype = dt;
  t->rank = rank;
  t->shape[0] = d0;
  t->shape[1] = d1;
  t->quant_axis = -1;
  t->storage = st;
  t->index = idx;
}

/* The compiler command line for a hand-written model on `target`. */
static void cc_cmd(char *cmd, size_t n, mcu_run_target_t target, const char *defs, const char *src, const char *obj) {
  if (target == MCU_RUN_CORTEX_M7)
    snprintf(cmd, n, "arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -O2 %s -c %s -o %s",
             defs, src, obj);
  else if (target == MCU_RUN_CORTEX_M4)
    snprintf(cmd, n, "arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -O2 %s -c %s -o %s",
             defs, src, obj);
  else
    snprintf(cmd, n, "cc -O2 %s -c %s -o %s", defs, src, obj);
}

/* The per-layer split of tl on `target`: exact figures, then the two error cases. */
static void per_layer_one(mcu_run_target_t target, const char *dir) {
  mcu_tensor_t tensors[2];
  set_tensor(&tensors[0], MCU_DT_I8, 1, 4, 0, MCU_STORAGE_INPUT, 0);
  set_tensor(&tensors[1], MCU_DT_I8, 1, 4, 0, MCU_STORAGE_OUTPUT, 0);
  mcu_layer_t layers[2];
  memset(layers, 0, sizeof layers);
  for (int k = 0; k < 2; k++) {
    layers[k].name = "";
    layers[k].op = MCU_OP_COPY;
    layers[k].num_inputs = 1;
    layers[k].output = 1;
  }
  int inputs[1] = {0}, outputs[1] = {1};
  mcu_program_t p = {.name = "tl", .num_tensors = 2, .tensors = tensors, .num_layers = 2, .layers = layers,
                     .num_inputs = 1, .inputs = inputs, .num_outputs = 1, .outputs = outputs};
  char src[512], obj[512], hdr[512], cmd[2048];
  snprintf(src, sizeof src, "%s/tl.c", dir);
  snprintf(obj, sizeof obj, "%s/tl.o", dir);
  snprintf(hdr, sizeof hdr, "%s/tl.h", dir);
  mcu_status_t s = mcu_file_write_all(src, tl_c, strlen(tl_c));
  if (!s) s = mcu_file_write_all(hdr, tl_h, strlen(tl_h));
  CHECK(!s, "writing tl: %s", mcu_status_message(s));
  mcu_status_free(s);
  int8_t in0[4] = {1, 2, 3, 4}, out0[4] = {0};
  const uint8_t *ins[1] = {(const uint8_t *)in0};
  uint8_t *outs[1] = {(uint8_t *)out0};
  uint64_t per[2] = {0, 0}, glue = 0, n = 0;
  mcu_run_object_options_t o = {.p = &p, .target = target, .object_path = obj, .header_path = hdr, .work_dir = dir,
                                .count = 1, .timeout_seconds = 60, .layer_instructions = per,
                                .glue_instructions = &glue};
  cc_cmd(cmd, sizeof cmd, target, "", src, obj);
  CHECK(system(cmd) == 0, "%s", cmd);
  s = mcu_run_object(&o, ins, outs, &n);
  CHECK(!s, "per-layer run: %s", mcu_status_message(s));
  mcu_status_free(s);
  printf("tl per layer: %llu + %llu + glue %llu = %llu\n", (unsigned long long)per[0], (unsigned long long)per[1],
         (unsigned long long)glue, (unsigned long long)n);
  CHECK(per[0] == 4 && per[1] == 2 && glue == 5 && n == 11, "tl per layer: %llu %llu glue %llu total %llu",
        (unsigned long long)per[0], (unsigned long long)per[1], (unsigned long long)glue, (unsigned long long)n);

  /* Layer 1's function called twice in one SYM_run call. */
  cc_cmd(cmd, sizeof cmd, target, "-DTL_TWICE", src, obj);
  CHECK(system(cmd) == 0, "%s", cmd);
  s = mcu_run_object(&o, ins, outs, &n);
  CHECK(s && strstr(mcu_status_message(s), "a function of layer 1 was entered 2 times"), "a layer called twice is reported");
  if (s) printf("expected error: %s\n", mcu_status_message(s));
  mcu_status_free(s);

  /* A program layer with no function (its op name differs from the object's symbol). */
  layers[1].op = MCU_OP_TRANSPOSE;
  cc_cmd(cmd, sizeof cmd, target, "", src, obj);
  CHECK(system(cmd) == 0, "%s", cmd);
  s = mcu_run_object(&o, ins, outs, &n);
  CHECK(s && strstr(mcu_status_message(s), "layer 1 has 0 functions tl_l1_transpose"), "a missing layer function is reported");
  if (s) printf("expected error: %s\n", mcu_status_message(s));
  mcu_status_free(s);
}

static void run_one(mcu_program_t *p, mcu_run_target_t target, const char *dir, int count, uint64_t *out_n) {
  char src[512], obj[512], hdr[512], cmd[2048];
  snprintf(src, sizeof src, "%s/tm.c", dir);
  snprintf(obj, sizeof obj, "%s/tm.o", dir);
  snprintf(hdr, sizeof hdr, "%s/tm.h", dir);
  mcu_status_t s = mcu_file_write_all(src, model_c, strlen(model_c));
  if (!s) s = mcu_file_write_all(hdr, model_h, strlen(model_h));
  CHECK(!s, "writing the model: %s", mcu_status_message(s));
  mcu_status_free(s);
  cc_cmd(cmd, sizeof cmd, target, "", src, obj);
  CHECK(system(cmd) == 0, "%s", cmd);

  int8_t in0[6] = {1, 2, 3, -4, -5, 127};
  float in1[3] = {0.5f, -1.25f, 3.0e7f};
  int32_t out0[2] = {0, 0};
  float out1[3] = {0, 0, 0};
  const uint8_t *ins[2] = {(const uint8_t *)in0, (const uint8_t *)in1};
  uint8_t *outs[2] = {(uint8_t *)out0, (uint8_t *)out1};
  mcu_run_object_options_t o = {.p = p, .target = target, .object_path = obj, .header_path = hdr,
                                .work_dir = dir, .count = count, .timeout_seconds = 60};
  s = mcu_run_object(&o, ins, outs, out_n);
  CHECK(!s, "mcu_run_object: %s", mcu_status_message(s));
  mcu_status_free(s);
  CHECK(out0[0] == 6 && out0[1] == 118, "row sums");
  CHECK(out1[0] == 1.0f && out1[1] == -2.5f && out1[2] == 6.0e7f, "doubled floats");

  /* SYM_run failing: the harness's message comes back. */
  in0[0] = 99;
  s = mcu_run_object(&o, ins, outs, out_n);
  CHECK(s && strstr(mcu_status_message(s), "tm_run returned 5"), "a nonzero SYM_run return is reported");
  if (s) printf("expected error: %s\n", mcu_status_message(s));
  mcu_status_free(s);

  /* A model that never returns is killed at the timeout. */
  in0[0] = 100;
  o.timeout_seconds = 2;
  s = mcu_run_object(&o, ins, outs, out_n);
  CHECK(s && strstr(mcu_status_message(s), "timed out after 2 s"), "the timeout is reported");
  if (s) printf("expected error: %s\n", mcu_status_message(s));
  mcu_status_free(s);
}

int main(void) {
  mcu_tensor_t tensors[4];
  set_tensor(&tensors[0], MCU_DT_I8, 2, 2, 3, MCU_STORAGE_INPUT, 0);
  set_tensor(&tensors[1], MCU_DT_F32, 1, 3, 0, MCU_STORAGE_INPUT, 1);
  set_tensor(&tensors[2], MCU_DT_I32, 1, 2, 0, MCU_STORAGE_OUTPUT, 0);
  set_tensor(&tensors[3], MCU_DT_F32, 1, 3, 0, MCU_STORAGE_OUTPUT, 1);
  int inputs[2] = {0, 1}, outputs[2] = {2, 3};
  mcu_program_t p = {.name = "tm", .num_tensors = 4, .tensors = tensors, .num_inputs = 2, .inputs = inputs,
                     .num_outputs = 2, .outputs = outputs};

  char dir[] = "/tmp/mcunet-run-test-XXXXXX";
  if (!mkdtemp(dir)) return 1;

  if (have("cc")) run_one(&p, MCU_RUN_HOST, dir, 0, NULL);
  if (have("arm-none-eabi-gcc") && have("qemu-system-arm")) {
    uint64_t n1 = 0, n2 = 0;
    run_one(&p, MCU_RUN_CORTEX_M7, dir, 1, &n1);
    run_one(&p, MCU_RUN_CORTEX_M7, dir, 1, &n2);
    printf("tm_run instructions: %llu\n", (unsigned long long)n1);
    CHECK(n1 > 10 && n1 < 1000 && n1 == n2, "instruction counts %llu and %llu", (unsigned long long)n1,
          (unsigned long long)n2);
    uint64_t n4 = 0;
    run_one(&p, MCU_RUN_CORTEX_M4, dir, 1, &n4);
    printf("tm_run instructions on cortex-m4: %llu\n", (unsigned long long)n4);
    CHECK(n4 > 10 && n4 < 1000, "cortex-m4 instruction count %llu", (unsigned long long)n4);
    per_layer_one(MCU_RUN_CORTEX_M7, dir);
    per_layer_one(MCU_RUN_CORTEX_M4, dir);
  } else {
    printf("skipped the cortex-m7 part: arm-none-eabi-gcc or qemu-system-arm missing\n");
  }

  /* Printing. */
  int32_t v[2] = {-113, 113};
  mcu_run_output_t out = {
      .name = "", .dtype = MCU_DT_I32, .rank = 2, .shape = {1, 2}, .bytes = 8, .data = (uint8_t *)v};
  char buf[128] = "";
  FILE *f = fmemopen(buf, sizeof buf, "w");
  mcu_run_print_output(f, 0, &out);
  fclose(f);
  CHECK(strcmp(buf, "output0 [1, 2]: -113 113\n") == 0, "printed '%s'", buf);

  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0, "%s", cmd);
  return mcu_test_finish();
}
