/* kernel_link_test.c: layers run by the kernel library's linked bitcode: host results vs reference, M7/M4 symbols. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, popen */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_harness.h"
#include "kernel_call.h"

/* What each case checks: (1) the host object, loaded with dlopen, gives the reference's bytes (the reference runs
 * the host build of the same library function); (2) the Cortex-M7 object defines only SYM_* symbols and needs only
 * standard C functions (arm-none-eabi-nm); (3) its IR keeps no call to the library (the entry point was inlined)
 * and defines nothing outside SYM_*; (4) two emissions give the same bytes; (5) the Cortex-M4 object (FPv4-SP: no
 * double precision) passes (2) too, so no double arithmetic became a libgcc call (__aeabi_d*), and has no .f64
 * instruction (arm-none-eabi-objdump). A case whose layers the library does not handle (yet) is skipped; the run
 * fails when no case at all was handled. */

static int g_handled;

/* ---- program builder (cg_harness.h) with this test's conventions ---- */

/* A tensor; ARENA tensors go after the arena's end. */
#define T(b, dt, st, ...) pb_tensor(b, dt, RANK(__VA_ARGS__), SHAPE(__VA_ARGS__), st, PB_ARENA_APPEND)

/* Per-channel (axis 0) scales in [smin, 2 smin), zero points 0 (TF Lite's symmetric weights). */
static void quant_axis0(pb_t *b, int ti, double smin) { pb_quant_axis(b, ti, 0, smin, 0, 0); }

/* A TF Lite-numerics layer with neutral attributes and the output type's full activation range. */
static mcu_layer_t *layer(pb_t *b, mcu_op_t op, int nin, int i0, int i1, int i2, int out) {
  mcu_layer_t *l = pb_layer(b, op, nin, i0, i1, i2, out);
  l->numerics = MCU_NUMERICS_TFLITE;
  l->kernel[0] = l->kernel[1] = 1;
  l->beta = 1.0f;
  return l;
}

/* ---- checks ---- */

/* Inputs: random bytes for 8-bit tensors; floats in [-8, 8) for f32 ones (no NaN: softmax & co. are compared). */
static void fill_input(uint32_t *rng, const mcu_program_t *p, int input, uint8_t *buf) {
  const mcu_tensor_t *t = &p->tensors[p->inputs[input]];
  if (t->dtype != MCU_DT_F32) {
    for (int64_t i = 0; i < mcu_tensor_bytes(t); ++i) buf[i] = (uint8_t)rnd(rng);
    return;
  }
  for (int64_t i = 0; i < mcu_tensor_elements(t); ++i) {
    float v = ((float)(rnd(rng) % 65536) / 4096.0f) - 8.0f;
    memcpy(buf + 4 * i, &v, 4);
  }
}

/* The standard C functions a Cortex-M7 object may leave undefined (cg_link.c's list, the ones seen in practice). */
static int standard_c(const char *name) {
  static const char *const ok[] = {"memcpy", "memmove", "memset", "expf", "exp",   "logf",  "log",
                                   "sqrtf",  "tanhf",   "powf",   "exp2f", "log2f", "roundf", "floorf"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; ++i)
    if (!strcmp(name, ok[i])) return 1;
  return 0;
}

/* arm-none-eabi-nm over the object: every defined symbol starts with SYM, every undefined one is standard C. */
static void check_m7_symbols(const char *name, const char *obj) {
  char cmd[512], line[512];
  snprintf(cmd, sizeof cmd, "arm-none-eabi-nm %s", obj);
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL, "%s: cannot run arm-none-eabi-nm", name);
  if (!f) return;
  int defined = 0;
  size_t plen = strlen(name);
  while (fgets(line, sizeof line, f)) {
    char a[128] = "", b[128] = "", c[256] = "";
    int n = sscanf(line, "%127s %127s %255s", a, b, c);
    if (n == 2 && !strcmp(a, "U")) {
      CHECK(standard_c(b), "%s: the cortex-m7 object needs '%s', not a standard C function", name, b);
      printf("  %s needs %s\n", name, b);
    } else if (n == 3) {
      ++defined;
      CHECK(strncmp(c, name, plen) == 0 && c[plen] == '_', "%s: the cortex-m7 object defines '%s'", name, c);
    } else {
      CHECK(0, "%s: unexpected nm line '%s'", name, line);
    }
  }
  CHECK(pclose(f) == 0 && defined > 0, "%s: arm-none-eabi-nm failed", name);
}

/* No double-precision VFP instruction (".f64") in the disassembly of the Cortex-M4 object. */
static void check_m4_single_precision(const char *name, const char *obj) {
  char cmd[512], line[512];
  snprintf(cmd, sizeof cmd, "arm-none-eabi-objdump -d %s", obj);
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL, "%s: cannot run arm-none-eabi-objdump", name);
  if (!f) return;
  int lines = 0;
  while (fgets(line, sizeof line, f)) {
    ++lines;
    CHECK(!strstr(line, ".f64"), "%s: double-precision instruction in the cortex-m4 object: %s", name, line);
  }
  CHECK(pclose(f) == 0 && lines > 0, "%s: arm-none-eabi-objdump failed", name);
}

/* The IR after optimisation: no call of a library entry point left and no definition outside SYM_*. */
static void check_m7_ir(const char *name, const char *ll) {
  FILE *f = fopen(ll, "r");
  CHECK(f != NULL, "%s: no IR", name);
  if (!f) return;
  char line[4096], prefix[160], call[160];
  snprintf(prefix, sizeof prefix, "@%s_", name);
  snprintf(call, sizeof call, "@%s_mcu_k_", name);
  int defines = 0, calls = 0;
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "mcu_k_") && strstr(line, "call ")) ++calls;
    if (strncmp(line, "define ", 7) == 0) {
      ++defines;
      const char *at = strchr(line, '@');
      CHECK(at && strncmp(at, prefix, strlen(prefix)) == 0, "%s: IR defines a function outside SYM_*: %s", name,
            line);
    }
  }
  fclose(f);
  CHECK(defines > 0, "%s: IR defines no function", name);
  CHECK(calls == 0, "%s: %d calls of a library function were not inlined", name, calls);
}

/* Skips the case (returns 0) unless the library handles every TFLite-numerics layer of it. */
/* Also plans each kernel layer's scratch (plan-memory's job in the compiler) after the arena's end. */
static int handled(mcu_program_t *p) {
  for (int i = 0; i < p->num_layers; ++i) {
    mcu_layer_t *l = &p->layers[i];
    if (l->numerics == MCU_NUMERICS_TFLITE && !mcu_kernel_handles(p, l)) {
      printf("%-20s skipped: the library does not handle layer %d (%s) yet\n", p->name, i, mcu_op_name(l->op));
      return 0;
    }
    if (!mcu_kernel_handles(p, l)) continue;
    mcu_kernel_call_t call;
    mcu_status_t s = mcu_kernel_prepare(p, l, &call);
    if (s) {
      mcu_status_free(s);
      continue; /* the emission reports it */
    }
    if (call.scratch_bytes > 0) {
      l->scratch_offset = (p->arena_size + 15) & ~15u;
      l->scratch_bytes = call.scratch_bytes;
      p->arena_size = l->scratch_offset + call.scratch_bytes;
    }
    mcu_kernel_call_release(&call);
  }
  return 1;
}

/* Host object vs reference (twice: the second call must not depend on the arena's old contents), then the
 * Cortex-M7 checks. Frees p. */
static void run_case(pb_t *b) {
  mcu_program_t *p = b->p;
  const char *name = p->name;
  if (!handled(p)) {
    mcu_program_destroy(p);
    return;
  }
  ++g_handled;
  char obj[256];
  cg_tmp_path(obj, name, "_host.o");
  mcu_codegen_stats_t st = {0};
  mcu_status_t s = mcu_codegen_emit(p, MCU_TARGET_HOST, MCU_EMIT_OBJ, obj, &st);
  CHECK(!s, "%s: host emission: %s", name, mcu_status_message(s));
  mcu_status_free(s);
  int linked = 0;
  void *lib = NULL, *fn = s ? NULL : cg_host_open(name, obj, &linked, &lib);
  CHECK(fn != NULL, "%s: link/dlopen/dlsym failed", name);
  if (fn)
    cg_compare_with_ref(b, fn, fill_input);
  if (lib) dlclose(lib);

  char m7a[256], m7b[256], m7ll[256];
  cg_tmp_path(m7a, name, "_m7a.o");
  cg_tmp_path(m7b, name, "_m7b.o");
  cg_tmp_path(m7ll, name, "_m7.ll");
  mcu_codegen_stats_t sa = {0}, sb = {0}, sl = {0};
  mcu_status_t e1 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_OBJ, m7a, &sa);
  mcu_status_t e2 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_OBJ, m7b, &sb);
  mcu_status_t e3 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_LLVM, m7ll, &sl);
  CHECK(!e1 && !e2 && !e3, "%s: cortex-m7 emission: %s", name, mcu_status_message(e1 ? e1 : e2 ? e2 : e3));
  if (!e1 && !e2 && !e3) {
    CHECK(files_equal(m7a, m7b), "%s: two cortex-m7 emissions differ", name);
    CHECK(sa.code_bytes > 0 && sa.code_bytes == sb.code_bytes && sa.code_bytes == sl.code_bytes,
          "%s: cortex-m7 code_bytes inconsistent", name);
    check_m7_symbols(name, m7a);
    check_m7_ir(name, m7ll);
  }
  mcu_status_free(e1), mcu_status_free(e2), mcu_status_free(e3);
  char m4[256];
  cg_tmp_path(m4, name, "_m4.o");
  mcu_codegen_stats_t s4 = {0};
  mcu_status_t e4 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M4, MCU_EMIT_OBJ, m4, &s4);
  CHECK(!e4, "%s: cortex-m4 emission: %s", name, mcu_status_message(e4));
  if (!e4) {
    check_m7_symbols(name, m4);
    check_m4_single_precision(name, m4);
  }
  mcu_status_free(e4);
  printf("%-20s host %6llu code bytes, cortex-m7 %6llu code bytes, cortex-m4 %6llu code bytes\n", name,
         (unsigned long long)st.code_bytes, (unsigned long long)sa.code_bytes, (unsigned long long)s4.code_bytes);
  mcu_program_destroy(p);
}

/* ---- the cases ---- */

/* Requantize i8 -> i8 with a multiplier > 1 and one < 1 (two layers, same library function twice). */
static void case_requantize(void) {
  pb_t b = pb_new("requant", 11);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 1, 37);
  int m = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 1, 37);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 1, 37);
  pb_quant(&b, x, 0.05, 3);
  pb_quant(&b, m, 0.031, -7);
  pb_quant(&b, y, 0.07, 12);
  layer(&b, MCU_OP_REQUANTIZE, 1, x, 0, 0, m);
  layer(&b, MCU_OP_REQUANTIZE, 1, m, 0, 0, y);
  run_case(&b);
}

/* Fully connected int8: per-tensor weights, bias, a Relu6-like range. */
static void case_fc(void) {
  pb_t b = pb_new("fc_s8", 12);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 3, 40);
  int w = K(&b, MCU_DT_I8, 10, 40);
  int bias = K(&b, MCU_DT_I32, 10);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 3, 10);
  pb_quant(&b, x, 0.02, -5);
  pb_quant(&b, w, 0.004, 0);
  pb_quant(&b, bias, 0.02 * 0.004, 0);
  pb_quant(&b, y, 0.05, -20);
  mcu_layer_t *l = layer(&b, MCU_OP_FULLY_CONNECTED, 3, x, w, bias, y);
  l->act_min = -20;
  l->act_max = 100;
  run_case(&b);
}

/* Conv 3x3, stride 2, pad 1, per-channel weights, then softmax over the 4 channels. */
static void case_conv_softmax(void) {
  pb_t b = pb_new("conv_softmax", 13);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 1, 9, 9, 3);
  int w = K(&b, MCU_DT_I8, 4, 3, 3, 3);
  int bias = K(&b, MCU_DT_I32, 4);
  int c = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 1, 5, 5, 4);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 1, 5, 5, 4);
  pb_quant(&b, x, 0.03, 4);
  quant_axis0(&b, w, 0.003);
  quant_axis0(&b, bias, 0.03 * 0.003); /* scales are not used by the kernels: bias is raw i32 */
  pb_quant(&b, c, 0.08, -3);
  pb_quant(&b, y, 1.0 / 256.0, -128);
  mcu_layer_t *l = layer(&b, MCU_OP_CONV2D, 3, x, w, bias, c);
  l->stride[0] = l->stride[1] = 2;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  layer(&b, MCU_OP_SOFTMAX, 1, c, 0, 0, y);
  run_case(&b);
}

/* Add with broadcasting, then 2x2 max pooling. */
static void case_add_pool(void) {
  pb_t b = pb_new("add_pool", 14);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 1, 6, 6, 8);
  int k = K(&b, MCU_DT_I8, 1, 1, 1, 8);
  int s = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 1, 6, 6, 8);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 1, 3, 3, 8);
  pb_quant(&b, x, 0.04, -2);
  pb_quant(&b, k, 0.025, 9);
  pb_quant(&b, s, 0.06, 1);
  pb_quant(&b, y, 0.06, 1);
  layer(&b, MCU_OP_ADD, 2, x, k, 0, s);
  mcu_layer_t *l = layer(&b, MCU_OP_MAX_POOL, 1, s, 0, 0, y);
  l->kernel[0] = l->kernel[1] = 2;
  l->stride[0] = l->stride[1] = 2;
  run_case(&b);
}

/* A native ONNX-numerics layer (QuantizeLinear f32 -> i8) feeding a library layer (TF Lite requantize): both
 * generators in one module. */
static void case_native_then_library(void) {
  pb_t b = pb_new("mixed_lib", 15);
  int x = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 2, 16);
  int q = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 2, 16);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 2, 16);
  pb_quant(&b, q, 0.0625, 0);
  pb_quant(&b, y, 0.1, -4);
  mcu_layer_t *l = layer(&b, MCU_OP_QUANTIZE, 1, x, 0, 0, q);
  l->numerics = MCU_NUMERICS_ONNX;
  layer(&b, MCU_OP_REQUANTIZE, 1, q, 0, 0, y);
  run_case(&b);
}

/* Float softmax: exercises libm (expf) through the library. */
static void case_softmax_f32(void) {
  pb_t b = pb_new("softmax_f32", 16);
  int x = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 3, 10);
  int y = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 3, 10);
  layer(&b, MCU_OP_SOFTMAX, 1, x, 0, 0, y);
  run_case(&b);
}

/* Softmax int8 (TF Lite's required output quantization 1/256, -128) over rows of 10. */
static void case_softmax_s8(void) {
  pb_t b = pb_new("softmax_s8", 17);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 4, 10);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 4, 10);
  pb_quant(&b, x, 0.11, -6);
  pb_quant(&b, y, 1.0 / 256.0, -128);
  layer(&b, MCU_OP_SOFTMAX, 1, x, 0, 0, y);
  run_case(&b);
}

/* Logistic int8 through a lookup table (an aux table in .rodata.SYM), then average pooling 3x3 stride 2. */
static void case_logistic_avg_pool(void) {
  pb_t b = pb_new("logistic_pool", 18);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 1, 7, 7, 5);
  int s = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 1, 7, 7, 5);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 1, 3, 3, 5);
  pb_quant(&b, x, 0.05, 7);
  pb_quant(&b, s, 1.0 / 256.0, -128);
  pb_quant(&b, y, 1.0 / 256.0, -128);
  layer(&b, MCU_OP_LOGISTIC, 1, x, 0, 0, s);
  mcu_layer_t *l = layer(&b, MCU_OP_AVG_POOL, 1, s, 0, 0, y);
  l->kernel[0] = l->kernel[1] = 3;
  l->stride[0] = l->stride[1] = 2;
  run_case(&b);
}

/* Float hard-swish then 2x2 max pooling with padding. */
static void case_hard_swish_f32(void) {
  pb_t b = pb_new("hswish_f32", 19);
  int x = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 1, 4, 4, 3);
  int s = T(&b, MCU_DT_F32, MCU_STORAGE_ARENA, 1, 4, 4, 3);
  int y = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 1, 3, 3, 3);
  layer(&b, MCU_OP_HARD_SWISH, 1, x, 0, 0, s);
  mcu_layer_t *l = layer(&b, MCU_OP_MAX_POOL, 1, s, 0, 0, y);
  l->kernel[0] = l->kernel[1] = 2;
  l->stride[0] = l->stride[1] = 2;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  run_case(&b);
}

/* ---- ONNX group (kernels_onnx.c): QLinear* of ONNX numerics and float32 ops ---- */

/* Constant f32 tensor with values v0 + i * step (finite, so results compare byte for byte). */
static int fconst(pb_t *b, int n, float v0, float step) {
  int k = K(b, MCU_DT_F32, n);
  for (int i = 0; i < n; ++i) {
    const float v = v0 + (float)i * step;
    memcpy(b->p->tensors[k].data + 4 * i, &v, 4);
  }
  return k;
}

/* uint8 QLinearAdd with a per-channel constant, QLinearMul by a one-element constant, QLinearSigmoid (table). */
static void case_onnx_add_mul_sigmoid(void) {
  pb_t b = pb_new("onnx_q_eltwise", 20);
  int x = T(&b, MCU_DT_U8, MCU_STORAGE_INPUT, 1, 5, 5, 8);
  int k = K(&b, MCU_DT_U8, 8);
  int s1 = T(&b, MCU_DT_U8, MCU_STORAGE_ARENA, 1, 5, 5, 8);
  int k2 = K(&b, MCU_DT_U8, 1);
  int s2 = T(&b, MCU_DT_U8, MCU_STORAGE_ARENA, 1, 5, 5, 8);
  int y = T(&b, MCU_DT_U8, MCU_STORAGE_OUTPUT, 1, 5, 5, 8);
  pb_quant(&b, x, 0.037, 120);
  pb_quant(&b, k, 0.021, 100);
  pb_quant(&b, s1, 0.05, 128);
  pb_quant(&b, k2, 0.013, 3);
  pb_quant(&b, s2, 0.11, 131);
  pb_quant(&b, y, 1.0 / 256.0, 0);
  layer(&b, MCU_OP_ADD, 2, x, k, 0, s1)->numerics = MCU_NUMERICS_ONNX;
  layer(&b, MCU_OP_MUL, 2, s1, k2, 0, s2)->numerics = MCU_NUMERICS_ONNX;
  layer(&b, MCU_OP_LOGISTIC, 1, s2, 0, 0, y)->numerics = MCU_NUMERICS_ONNX;
  run_case(&b);
}

/* int8 QLinearAveragePool 3x3 with padding, QLinearConcat with a requantized input, then a global average. */
static void case_onnx_pool_concat_mean(void) {
  pb_t b = pb_new("onnx_q_pool", 21);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 1, 6, 6, 4);
  int p1 = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 1, 6, 6, 4);
  int c = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 1, 6, 6, 8);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 1, 1, 1, 8);
  pb_quant(&b, x, 0.07, -5);
  pb_quant(&b, p1, 0.05, 3);
  pb_quant(&b, c, 0.05, 3);
  pb_quant(&b, y, 0.02, -1);
  mcu_layer_t *l = layer(&b, MCU_OP_AVG_POOL, 1, x, 0, 0, p1);
  l->numerics = MCU_NUMERICS_ONNX;
  l->kernel[0] = l->kernel[1] = 3;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  l = layer(&b, MCU_OP_CONCAT, 2, p1, x, 0, c);
  l->numerics = MCU_NUMERICS_ONNX;
  l->axis = 3;
  l = layer(&b, MCU_OP_MEAN, 1, c, 0, 0, y);
  l->numerics = MCU_NUMERICS_ONNX;
  l->axes_mask = 0x6u;
  run_case(&b);
}

/* float32: batched matmul, leaky relu, hard sigmoid, batch norm (constant scale/bias/mean/var). */
static void case_onnx_float(void) {
  pb_t b = pb_new("onnx_f32", 22);
  int a = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 2, 3, 4);
  int w = K(&b, MCU_DT_F32, 4, 5);
  for (int i = 0; i < 20; ++i) {
    const float v = (float)((i * 7) % 11 - 5) * 0.125f;
    memcpy(b.p->tensors[w].data + 4 * i, &v, 4);
  }
  int m = T(&b, MCU_DT_F32, MCU_STORAGE_ARENA, 2, 3, 5);
  int r = T(&b, MCU_DT_F32, MCU_STORAGE_ARENA, 2, 3, 5);
  int h = T(&b, MCU_DT_F32, MCU_STORAGE_ARENA, 2, 3, 5);
  int y = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 2, 3, 5);
  int sc = fconst(&b, 5, 0.5f, 0.25f), bi = fconst(&b, 5, -0.3f, 0.1f), mu = fconst(&b, 5, 0.1f, 0.05f),
      va = fconst(&b, 5, 0.2f, 0.3f);
  layer(&b, MCU_OP_MATMUL, 2, a, w, 0, m)->numerics = MCU_NUMERICS_ONNX;
  mcu_layer_t *l = layer(&b, MCU_OP_LEAKY_RELU, 1, m, 0, 0, r);
  l->numerics = MCU_NUMERICS_ONNX;
  l->alpha = 0.1f;
  l = layer(&b, MCU_OP_HARD_SIGMOID, 1, r, 0, 0, h);
  l->numerics = MCU_NUMERICS_ONNX;
  l->alpha = 0.2f;
  l->beta = 0.5f;
  l = layer(&b, MCU_OP_BATCH_NORM, 3, h, sc, bi, y);
  l->numerics = MCU_NUMERICS_ONNX;
  l->num_inputs = 5;
  l->inputs[3] = mu;
  l->inputs[4] = va;
  l->epsilon = 1e-3f;
  run_case(&b);
}

int main(void) {
  if (!cg_tmp_create("mcunet_kl_"))
    return 2;
  case_requantize();
  case_fc();
  case_conv_softmax();
  case_add_pool();
  case_native_then_library();
  case_softmax_f32();
  case_softmax_s8();
  case_logistic_avg_pool();
  case_hard_swish_f32();
  case_onnx_add_mul_sigmoid();
  case_onnx_pool_concat_mean();
  case_onnx_float();
  CHECK(g_handled > 0, "the kernel library handles none of the test layers");
  cg_tmp_remove();
  return mcu_test_finish();
}
