/* codegen_test.c: builds small programs by hand, runs the generated host code and compares it with the reference. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_harness.h"
#include "kernel_select.h"

/* ---- program builder (cg_harness.h) with this test's conventions ---- */

/* A tensor at `off` (ARENA tensors: explicit offsets, so tests can alias them). */
#define T(b, dt, st, off, ...) pb_tensor(b, dt, RANK(__VA_ARGS__), SHAPE(__VA_ARGS__), st, off)

/* Per-tensor quantization with the scale rounded to float (as the importers store it). */
static void quant(pb_t *b, int ti, double scale, int32_t zp) { pb_quant(b, ti, (double)(float)scale, zp); }

/* ---- running and checking ---- */

/* Float inputs: a mix of ordinary values, exact ties at the quantization step `step`, and IEEE specials. */
static void fill_input(uint32_t *rng, const mcu_tensor_t *t, uint8_t *buf, float step) {
  int64_t n = mcu_tensor_elements(t);
  if (t->dtype != MCU_DT_F32) {
    for (int64_t i = 0; i < mcu_tensor_bytes(t); ++i) buf[i] = (uint8_t)rnd(rng);
    return;
  }
  static const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f, 1e-30f};
  for (int64_t i = 0; i < n; ++i) {
    uint32_t r = rnd(rng);
    float v;
    if (r % 8 == 0)
      v = specials[(r >> 3) % 8];
    else if (r % 8 < 4)
      v = ((float)((int32_t)((r >> 4) % 301) - 150) + 0.5f) * step; /* ties */
    else
      v = ((float)((r >> 4) % 100001) / 100000.0f - 0.5f) * 400.0f * step;
    memcpy(buf + 4 * i, &v, 4);
  }
}

/* Input `input` of p; ties of the first quantize layer reading it land exactly on .5 steps. */
static void fill_model_input(uint32_t *rng, const mcu_program_t *p, int input, uint8_t *buf) {
  float step = 1.0f;
  for (int li = 0; li < p->num_layers; ++li)
    if (p->layers[li].op == MCU_OP_QUANTIZE && p->layers[li].inputs[0] == p->inputs[input])
      step = (float)p->tensors[p->layers[li].output].scales[0];
  fill_input(rng, &p->tensors[p->inputs[input]], buf, step);
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* Compiles a C file that includes the generated header and uses every macro of input 0 / output 0. */
static int check_header(const mcu_program_t *p) {
  char hpath[256], cpath[256], cmd[1024];
  snprintf(hpath, sizeof hpath, "%s/%s.h", cg_tmp, p->name);
  snprintf(cpath, sizeof cpath, "%s/%s_use.c", cg_tmp, p->name);
  FILE *f = fopen(hpath, "w");
  if (!f) return 0;
  mcu_status_t s = mcu_header_write(p, f);
  fclose(f);
  if (s) {
    fprintf(stderr, "header: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    return 0;
  }
  f = fopen(cpath, "w");
  if (!f) return 0;
  const char *S = p->name;
  fprintf(f, "#include \"%s.h\"\n#include \"%s.h\"\n", S, S); /* twice: the include guard */
  fprintf(f, "_Static_assert(%s_NUM_INPUTS == %d, \"in\");\n_Static_assert(%s_NUM_OUTPUTS == %d, \"out\");\n", S,
          p->num_inputs, S, p->num_outputs);
  fprintf(f, "_Static_assert(%s_ARENA_SIZE == %uu && %s_WEIGHTS_SIZE == %uu, \"sizes\");\n", S, p->arena_size, S,
          p->weights_size);
  fprintf(f, "static const int in_shape[] = %s_INPUT0_SHAPE;\nstatic const int out_shape[] = %s_OUTPUT0_SHAPE;\n", S,
          S);
  fprintf(f, "_Static_assert(%s_INPUT0_BYTES == %lld, \"bytes\");\n", S,
          (long long)mcu_tensor_bytes(&p->tensors[p->inputs[0]]));
  fprintf(f, "int use(void) { return in_shape[0] + out_shape[0] + (int)sizeof(&%s_run); }\n", S);
  const mcu_tensor_t *t = &p->tensors[p->inputs[0]];
  if (t->num_scales == 1)
    fprintf(f, "_Static_assert(%s_INPUT0_SCALE == %.9gf && %s_INPUT0_ZERO_POINT == %d, \"q\");\n", S,
            (double)(float)t->scales[0], S, t->zero_points[0]);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cc -std=c11 -Wall -Wextra -Werror -c -o %s/%s_use.o %s && c++ -x c++ -Wall -Werror "
                            "-fsyntax-only -include %s -xc++ /dev/null",
           cg_tmp, S, cpath, hpath);
  return sh(cmd) == 0;
}

/* Emits `p` for the host, links it into a shared library, runs it twice and compares every output byte with the
 * reference; then emits it twice for Cortex-M7 (object) and checks the bytes are identical, and once as assembly
 * and LLVM IR. Frees p. */
static void run_case(pb_t *b) {
  mcu_program_t *p = b->p;
  const char *name = p->name;
  /* These cases test the loop nests of targets/ (cg_conv.c for convs): "scalar" keeps an int8 ONNX conv off the
   * fast kernels (prepare_onnx_conv.c, tested against the reference in prepare_onnx_conv_test.c), which the
   * reference would run too and whose scratch these hand-placed arenas do not plan. */
  for (int i = 0; i < p->num_layers; ++i)
    if (p->layers[i].op == MCU_OP_CONV2D && p->layers[i].kernel_family == MCU_KF_AUTO)
      p->layers[i].kernel_family = MCU_KF_SCALAR;
  char obj[256];
  cg_tmp_path(obj, name, "_host.o");
  mcu_codegen_stats_t st = {0};
  mcu_status_t s = mcu_codegen_emit(p, MCU_TARGET_HOST, MCU_EMIT_OBJ, obj, &st);
  if (s) {
    CHECK(0, "%s: %s", name, mcu_status_message(s));
    mcu_status_free(s);
    mcu_program_destroy(p);
    return;
  }
  CHECK(st.code_bytes > 0, "%s: host code_bytes is 0", name);
  int linked;
  void *lib;
  void *fn = cg_host_open(name, obj, &linked, &lib);
  CHECK(linked, "%s: cc -shared failed", name);
  CHECK(fn != NULL, "%s: dlopen/dlsym failed", name);
  if (fn)
    cg_compare_with_ref(b, fn, fill_model_input);
  if (lib) dlclose(lib);

  /* Cortex-M7: object twice (byte-identical), assembly and IR once. */
  char m7a[256], m7b[256], m7s[256], m7ll[256];
  cg_tmp_path(m7a, name, "_m7a.o");
  cg_tmp_path(m7b, name, "_m7b.o");
  cg_tmp_path(m7s, name, "_m7.s");
  cg_tmp_path(m7ll, name, "_m7.ll");
  mcu_codegen_stats_t sa = {0}, sb = {0}, ss = {0}, sl = {0};
  mcu_status_t e1 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_OBJ, m7a, &sa);
  mcu_status_t e2 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_OBJ, m7b, &sb);
  mcu_status_t e3 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_ASM, m7s, &ss);
  mcu_status_t e4 = mcu_codegen_emit(p, MCU_TARGET_CORTEX_M7, MCU_EMIT_LLVM, m7ll, &sl);
  CHECK(!e1 && !e2 && !e3 && !e4, "%s: cortex-m7 emission failed", name);
  if (e1 || e2 || e3 || e4)
    fprintf(stderr, "  %s\n", mcu_status_message(e1 ? e1 : e2 ? e2 : e3 ? e3 : e4));
  mcu_status_free(e1), mcu_status_free(e2), mcu_status_free(e3), mcu_status_free(e4);
  CHECK(file_size(m7a) > 0 && files_equal(m7a, m7b), "%s: cortex-m7 objects differ between two emissions",
        name);
  CHECK(sa.code_bytes > 0 && sa.code_bytes == sb.code_bytes && sa.code_bytes == ss.code_bytes &&
            sa.code_bytes == sl.code_bytes,
        "%s: cortex-m7 code_bytes inconsistent", name);
  CHECK(file_size(m7s) > 0 && file_size(m7ll) > 0, "%s: assembly or IR missing", name);
  CHECK(check_header(p), "%s: generated header does not compile", name);
  printf("%-16s host %6llu code bytes, cortex-m7 %6llu code bytes\n", name, (unsigned long long)st.code_bytes,
         (unsigned long long)sa.code_bytes);
  mcu_program_destroy(p);
}

/* ---- the cases ---- */

/* 3x3 conv, stride 2, pad 1, per-channel weights with per-channel zero points, fused Relu-like range. */
static void case_conv_s2(void) {
  pb_t b = pb_new("conv_s2", 1);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 1, 9, 9, 3);
  quant(&b, x, 0.05, -3);
  int w = K(&b, MCU_DT_I8, 4, 3, 3, 3);
  pb_quant_axis(&b, w, 0, 0.01, -4, 9);
  int bias = K(&b, MCU_DT_I32, 4);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 1, 5, 5, 4);
  quant(&b, y, 0.02, 5);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CONV2D, 3, x, w, bias, y);
  l->stride[0] = l->stride[1] = 2;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  l->act_min = 5; /* Relu: q >= zy */
  run_case(&b);
}

/* Depthwise 3x3 (groups = C = O), pad 1, stride 1, batch 2. */
static void case_depthwise(void) {
  pb_t b = pb_new("dwconv", 2);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 2, 8, 8, 6);
  quant(&b, x, 0.1, 0);
  int w = K(&b, MCU_DT_I8, 6, 3, 3, 1);
  pb_quant_axis(&b, w, 0, 0.005, 0, 0);
  int bias = K(&b, MCU_DT_I32, 6);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 2, 8, 8, 6);
  quant(&b, y, 0.03, -10);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CONV2D, 3, x, w, bias, y);
  l->groups = 6;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  run_case(&b);
}

/* Grouped conv with dilation 2, asymmetric pads and stride (1, 2). */
static void case_dilation(void) {
  pb_t b = pb_new("dilated", 3);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 1, 10, 11, 4);
  quant(&b, x, 0.04, 7);
  int w = K(&b, MCU_DT_I8, 6, 3, 3, 2);
  pb_quant_axis(&b, w, 0, 0.008, -2, 5);
  int bias = K(&b, MCU_DT_I32, 6);
  /* OH = (10 + 2 + 0 - 4 - 1) / 1 + 1 = 8; OW = (11 + 1 + 2 - 4 - 1) / 2 + 1 = 5 */
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 1, 8, 5, 6);
  quant(&b, y, 0.05, 0);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CONV2D, 3, x, w, bias, y);
  l->groups = 2;
  l->dilation[0] = l->dilation[1] = 2;
  l->stride[1] = 2;
  l->pad[0] = 2, l->pad[1] = 1, l->pad[2] = 0, l->pad[3] = 2;
  run_case(&b);
}

/* uint8 everything, per-tensor weights with zero point 128, no bias, a Relu6-like clipped range. */
static void case_u8(void) {
  pb_t b = pb_new("conv_u8", 4);
  int x = T(&b, MCU_DT_U8, MCU_STORAGE_INPUT, 0, 1, 7, 7, 5);
  quant(&b, x, 0.02, 128);
  int w = K(&b, MCU_DT_U8, 3, 2, 2, 5);
  quant(&b, w, 0.01, 128);
  int y = T(&b, MCU_DT_U8, MCU_STORAGE_OUTPUT, 0, 1, 6, 6, 3);
  quant(&b, y, 0.015, 100);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CONV2D, 2, x, w, 0, y);
  l->act_min = 100;
  l->act_max = 200;
  run_case(&b);
}

/* i8 input with u8 weights (an i8/u8 mix). */
static void case_mixed(void) {
  pb_t b = pb_new("conv_mix", 5);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 1, 5, 6, 3);
  quant(&b, x, 0.03, -1);
  int w = K(&b, MCU_DT_U8, 2, 3, 1, 3);
  pb_quant_axis(&b, w, 0, 0.004, 120, 16);
  int bias = K(&b, MCU_DT_I32, 2);
  int y = T(&b, MCU_DT_U8, MCU_STORAGE_OUTPUT, 0, 1, 5, 6, 2);
  quant(&b, y, 0.04, 128);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CONV2D, 3, x, w, bias, y);
  l->pad[0] = l->pad[2] = 1;
  run_case(&b);
}

/* Two layers with an arena tensor between them (depthwise then pointwise), then an in-place clamp in the arena
 * and a copy (reshape) to the output. */
static void case_two_layers(void) {
  pb_t b = pb_new("two_layers", 6);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 1, 6, 6, 4);
  quant(&b, x, 0.05, 2);
  int w1 = K(&b, MCU_DT_I8, 4, 3, 3, 1);
  pb_quant_axis(&b, w1, 0, 0.01, 0, 0);
  int b1 = K(&b, MCU_DT_I32, 4);
  int t = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 16, 1, 6, 6, 4);
  quant(&b, t, 0.04, -5);
  int w2 = K(&b, MCU_DT_I8, 8, 1, 1, 4);
  pb_quant_axis(&b, w2, 0, 0.02, 0, 0);
  int b2 = K(&b, MCU_DT_I32, 8);
  int u = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 160, 1, 6, 6, 8);
  quant(&b, u, 0.06, 3);
  int v = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 160, 1, 6, 6, 8); /* in place */
  quant(&b, v, 0.06, 3);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 1, 288);
  quant(&b, y, 0.06, 3);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CONV2D, 3, x, w1, b1, t);
  l->groups = 4;
  l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
  pb_layer(&b, MCU_OP_CONV2D, 3, t, w2, b2, u);
  l = pb_layer(&b, MCU_OP_CLAMP, 1, u, 0, 0, v);
  l->act_min = -50, l->act_max = 60;
  pb_layer(&b, MCU_OP_COPY, 1, v, 0, 0, y);
  run_case(&b);
}

/* 3-D matmul, a [2,3,5] (input) x b [5,4] (constant, per-axis along N), broadcast over the batch. */
static void case_matmul_bcast(void) {
  pb_t b = pb_new("matmul3d", 7);
  int a = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 2, 3, 5);
  quant(&b, a, 0.07, 1);
  int m = K(&b, MCU_DT_U8, 5, 4);
  pb_quant_axis(&b, m, 1, 0.01, 100, 50);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 2, 3, 4);
  quant(&b, y, 0.1, -2);
  pb_layer(&b, MCU_OP_MATMUL, 2, a, m, 0, y);
  run_case(&b);
}

/* Two-sided broadcasting: a [4,1,3,5] x b [2,5,7] -> y [4,2,3,7], both inputs, u8 output. */
static void case_matmul_bcast2(void) {
  pb_t b = pb_new("matmul4d", 8);
  int a = T(&b, MCU_DT_U8, MCU_STORAGE_INPUT, 0, 4, 1, 3, 5);
  quant(&b, a, 0.02, 128);
  int m = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 2, 5, 7);
  quant(&b, m, 0.03, 0);
  int y = T(&b, MCU_DT_U8, MCU_STORAGE_OUTPUT, 0, 4, 2, 3, 7);
  quant(&b, y, 0.2, 120);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_MATMUL, 2, a, m, 0, y);
  l->act_min = 120;
  run_case(&b);
}

/* f32 -> quantize (i8 per tensor) -> dequantize -> f32, with ties, NaN, infinities and -0.0 in the input. */
static void case_qdq(void) {
  pb_t b = pb_new("qdq", 9);
  int x = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 0, 2, 3, 40);
  int q = T(&b, MCU_DT_I8, MCU_STORAGE_ARENA, 0, 2, 3, 40);
  quant(&b, q, 0.0375, -7);
  int y = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 0, 2, 3, 40);
  pb_layer(&b, MCU_OP_QUANTIZE, 1, x, 0, 0, q);
  pb_layer(&b, MCU_OP_DEQUANTIZE, 1, q, 0, 0, y);
  run_case(&b);
}

/* Per-axis quantize (u8, axis 1) -> per-axis dequantize, plus the quantized tensor as a second output. */
static void case_qdq_axis(void) {
  pb_t b = pb_new("qdq_axis", 10);
  int x = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 0, 2, 5, 7);
  int q = T(&b, MCU_DT_U8, MCU_STORAGE_OUTPUT, 0, 2, 5, 7);
  pb_quant_axis(&b, q, 1, 0.05, 90, 60);
  int y = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 0, 2, 5, 7);
  pb_layer(&b, MCU_OP_QUANTIZE, 1, x, 0, 0, q);
  pb_layer(&b, MCU_OP_DEQUANTIZE, 1, q, 0, 0, y);
  run_case(&b);
}

/* NCHW -> NHWC transpose of i8, and a rank-3 f32 transpose (bits must move untouched, NaNs included). */
static void case_transpose(void) {
  pb_t b = pb_new("transpose", 11);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 1, 3, 4, 5);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 1, 4, 5, 3);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_TRANSPOSE, 1, x, 0, 0, y);
  l->perm[0] = 0, l->perm[1] = 2, l->perm[2] = 3, l->perm[3] = 1;
  int fx = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 0, 3, 4, 5);
  int fy = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 0, 5, 3, 4);
  l = pb_layer(&b, MCU_OP_TRANSPOSE, 1, fx, 0, 0, fy);
  l->perm[0] = 2, l->perm[1] = 0, l->perm[2] = 1;
  run_case(&b);
}

/* Clamp of i8 and of f32 (with -0.0 at a +0.0 bound and NaNs passing through). */
static void case_clamp(void) {
  pb_t b = pb_new("clamp", 12);
  int x = T(&b, MCU_DT_I8, MCU_STORAGE_INPUT, 0, 4, 33);
  int y = T(&b, MCU_DT_I8, MCU_STORAGE_OUTPUT, 0, 4, 33);
  mcu_layer_t *l = pb_layer(&b, MCU_OP_CLAMP, 1, x, 0, 0, y);
  l->act_min = -20, l->act_max = 50;
  int fx = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 0, 3, 50);
  int fy = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 0, 3, 50);
  l = pb_layer(&b, MCU_OP_CLAMP, 1, fx, 0, 0, fy);
  l->fact_min = 0.0f, l->fact_max = 6.0f;
  run_case(&b);
}

/* Unsupported input must give a clear error naming the layer and op. */
static void case_errors(void) {
  pb_t b = pb_new("bad", 13);
  int x = T(&b, MCU_DT_F32, MCU_STORAGE_INPUT, 0, 1, 4, 4, 2);
  int w = K(&b, MCU_DT_I8, 2, 1, 1, 2); /* float input, int8 filter: no kernel mixes them */
  int y = T(&b, MCU_DT_F32, MCU_STORAGE_OUTPUT, 0, 1, 4, 4, 2);
  pb_layer(&b, MCU_OP_CONV2D, 2, x, w, 0, y);
  char path[256];
  cg_tmp_path(path, "bad", ".o");
  mcu_status_t s = mcu_codegen_emit(b.p, MCU_TARGET_HOST, MCU_EMIT_OBJ, path, NULL);
  const char *m = mcu_status_message(s);
  CHECK(s && strstr(m, "layer 0") && strstr(m, "conv2d"), "bad: mixed-type conv2d not rejected with a clear message");
  if (s) printf("expected error: %s\n", m);
  mcu_status_free(s);
  b.p->layers[0].op = (mcu_op_t)42;
  s = mcu_codegen_emit(b.p, MCU_TARGET_CORTEX_M7, MCU_EMIT_OBJ, path, NULL);
  CHECK(s && strstr(mcu_status_message(s), "layer 0"), "bad: unknown op not rejected");
  if (s) printf("expected error: %s\n", mcu_status_message(s));
  mcu_status_free(s);
  mcu_program_destroy(b.p);
}

int main(void) {
  if (!cg_tmp_create("mcunet_cg_"))
    return 2;
  case_conv_s2();
  case_depthwise();
  case_dilation();
  case_u8();
  case_mixed();
  case_two_layers();
  case_matmul_bcast();
  case_matmul_bcast2();
  case_qdq();
  case_qdq_axis();
  case_transpose();
  case_clamp();
  case_errors();
  cg_tmp_remove();
  return mcu_test_finish();
}
