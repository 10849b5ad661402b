/* tflite_import_test.c: unit test of the TFLite reader and importer on the shared real models and generated ones. */
#define _POSIX_C_SOURCE 200809L
#include "tflite_import.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "import_harness.h"
#include "mcu_test.h"
#include "tensor_file.h"
#include "tflite_reader.h"

#ifndef MCUNET_SOURCE_DIR
#define MCUNET_SOURCE_DIR "."
#endif
#ifndef MUTATIONS
#define MUTATIONS 3000 /* byte-mutated copies of each small model to import (-DMUTATIONS=... for a longer fuzz) */
#endif

/* ---- printing and importing ---- */

/* Imports and prints in generic form (large constants elided); NULL (and `err` set) on error. */
static char *import_print(const char *path) {
  MlirModule m = {NULL};
  mcu_status_t s = mcu_tflite_import(ctx, path, &m);
  return import_result(s, m, 1, NULL);
}

/* Number of mcu.conv2d ops whose groups attribute is (depthwise != 0 ? > 1 : == 1). */
static int count_convs(const char *ir, int depthwise) {
  int n = 0;
  for (const char *p = ir; (p = strstr(p, "\"mcu.conv2d\"")); ++p) {
    const char *g = strstr(p, "groups = ");
    if (g && atoi(g + 9) > 1 ? depthwise : !depthwise)
      ++n;
  }
  return n;
}

/* A one-line message: no newline, starts with the path. */
static int one_line(const char *msg, const char *path) { return !strchr(msg, '\n') && !strncmp(msg, path, strlen(path)); }

static char tmpdir[256];

static const char *write_tmp(const char *name, const uint8_t *data, size_t n) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n)
    abort();
  fclose(f);
  return path;
}

/* ---- a small forward FlatBuffer writer for generated models ---- */

/* Layout: each table's vtable sits just before it and every field gets an 8-byte slot (field i at offset
 * 4 + 8 * i); children are appended later, so every uoffset points forward as FlatBuffers requires. */
typedef struct fbw {
  uint8_t *b;
  size_t n, cap;
} fbw_t;

static size_t w_grow(fbw_t *w, size_t n, size_t align) {
  while (w->n % align)
    w->b[w->n++] = 0; /* cap is kept ahead below */
  if (w->n + n + 16 > w->cap) {
    w->cap = (w->n + n + 16) * 2;
    w->b = realloc(w->b, w->cap);
    if (!w->b)
      abort();
  }
  size_t at = w->n;
  memset(w->b + at, 0, n);
  w->n += n;
  return at;
}
static void w_u32(fbw_t *w, size_t at, uint32_t v) {
  for (int k = 0; k < 4; ++k)
    w->b[at + k] = (uint8_t)(v >> (8 * k));
}
static void w_u16(fbw_t *w, size_t at, uint16_t v) {
  w->b[at] = (uint8_t)v;
  w->b[at + 1] = (uint8_t)(v >> 8);
}
/* A table with fields 0..nfields-1 all present (set them with t_* below; unset ones read as zero). */
static size_t t_begin(fbw_t *w, int nfields) {
  size_t vt = w_grow(w, 4 + 2 * (size_t)nfields, 4);
  size_t t = w_grow(w, 4 + 8 * (size_t)nfields, 8);
  w_u16(w, vt, (uint16_t)(4 + 2 * nfields));
  w_u16(w, vt + 2, (uint16_t)(4 + 8 * nfields));
  for (int i = 0; i < nfields; ++i)
    w_u16(w, vt + 4 + 2 * (size_t)i, (uint16_t)(4 + 8 * i));
  w_u32(w, t, (uint32_t)(t - vt));
  return t;
}
static void t_absent(fbw_t *w, size_t t, int id) {
  size_t vt = t - (size_t)(int32_t)(w->b[t] | w->b[t + 1] << 8 | w->b[t + 2] << 16 | (uint32_t)w->b[t + 3] << 24);
  w_u16(w, vt + 4 + 2 * (size_t)id, 0);
}
static void t_i32(fbw_t *w, size_t t, int id, int32_t v) { w_u32(w, t + 4 + 8 * (size_t)id, (uint32_t)v); }
static void t_u8(fbw_t *w, size_t t, int id, uint8_t v) { w->b[t + 4 + 8 * (size_t)id] = v; }
static void t_f32(fbw_t *w, size_t t, int id, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  w_u32(w, t + 4 + 8 * (size_t)id, u);
}
static void t_off(fbw_t *w, size_t t, int id, size_t target) {
  size_t f = t + 4 + 8 * (size_t)id;
  w_u32(w, f, (uint32_t)(target - f));
}
/* A vector of n elements of `es` bytes (little-endian copies of data when given); returns its length field. */
static size_t v_new(fbw_t *w, const void *data, size_t n, size_t es) {
  size_t at = w_grow(w, 4 + n * es + 1, 16);
  w_u32(w, at, (uint32_t)n);
  if (data)
    memcpy(w->b + at + 4, data, n * es); /* the test host is little-endian (x86-64, aarch64) */
  return at;
}
static void v_set_off(fbw_t *w, size_t vec, size_t i, size_t target) {
  size_t f = vec + 4 + 4 * i;
  w_u32(w, f, (uint32_t)(target - f));
}

typedef struct gtensor {
  const char *name;
  int type, rank;
  int32_t shape[6];
  int nq; /* scales; 0: no quantization */
  float scales[8];
  int64_t zps[8];
  int qdim;
  const void *data; /* constant data or NULL */
  size_t size;
} gtensor_t;

typedef struct gop {
  int code, deprecated_code; /* builtin_code, deprecated_builtin_code */
  int nin, nout;
  int32_t in[6], out[2];
  int opt_type;
  int nopt;
  struct {
    int id, kind; /* kind 0: i32, 1: u8, 2: f32 */
    double v;
  } opt[8];
} gop_t;

/* Serialises one subgraph with tensors, operators (each with its own operator code) and inputs/outputs. */
static uint8_t *build_model(const gtensor_t *ts, int nt, const gop_t *ops, int no, const int32_t *ins, int ni,
                            const int32_t *outs, int nout, size_t *out_len) {
  fbw_t w = {0};
  w_grow(&w, 8, 4);
  memcpy(w.b + 4, "TFL3", 4);
  size_t model = t_begin(&w, 5);
  w_u32(&w, 0, (uint32_t)model);
  t_i32(&w, model, 0, 3);
  t_absent(&w, model, 3);
  size_t codes = v_new(&w, NULL, (size_t)no, 4), subgraphs = v_new(&w, NULL, 1, 4);
  size_t buffers = v_new(&w, NULL, (size_t)nt + 1, 4);
  t_off(&w, model, 1, codes);
  t_off(&w, model, 2, subgraphs);
  t_off(&w, model, 4, buffers);
  for (int i = 0; i < no; ++i) {
    size_t c = t_begin(&w, 4);
    t_absent(&w, c, 1);
    t_u8(&w, c, 0, (uint8_t)ops[i].deprecated_code);
    t_i32(&w, c, 2, 1);
    t_i32(&w, c, 3, ops[i].code);
    v_set_off(&w, codes, (size_t)i, c);
  }
  for (int i = 0; i <= nt; ++i) {
    size_t b = t_begin(&w, 1);
    if (i > 0 && ts[i - 1].data)
      t_off(&w, b, 0, v_new(&w, ts[i - 1].data, ts[i - 1].size, 1));
    else
      t_absent(&w, b, 0);
    v_set_off(&w, buffers, (size_t)i, b);
  }
  size_t g = t_begin(&w, 5);
  v_set_off(&w, subgraphs, 0, g);
  size_t tv = v_new(&w, NULL, (size_t)nt, 4), ov = v_new(&w, NULL, (size_t)no, 4);
  t_off(&w, g, 0, tv);
  t_off(&w, g, 1, v_new(&w, ins, (size_t)ni, 4));
  t_off(&w, g, 2, v_new(&w, outs, (size_t)nout, 4));
  t_off(&w, g, 3, ov);
  t_off(&w, g, 4, v_new(&w, "g", 1, 1));
  for (int i = 0; i < nt; ++i) {
    const gtensor_t *t = &ts[i];
    size_t tt = t_begin(&w, 8);
    v_set_off(&w, tv, (size_t)i, tt);
    t_off(&w, tt, 0, v_new(&w, t->shape, (size_t)t->rank, 4));
    t_u8(&w, tt, 1, (uint8_t)t->type);
    t_i32(&w, tt, 2, t->data ? i + 1 : 0);
    t_off(&w, tt, 3, v_new(&w, t->name, strlen(t->name), 1));
    t_absent(&w, tt, 5);
    t_absent(&w, tt, 6);
    t_absent(&w, tt, 7);
    if (t->nq) {
      size_t q = t_begin(&w, 7);
      t_off(&w, tt, 4, q);
      t_absent(&w, q, 0);
      t_absent(&w, q, 1);
      t_off(&w, q, 2, v_new(&w, t->scales, (size_t)t->nq, 4));
      t_off(&w, q, 3, v_new(&w, t->zps, (size_t)t->nq, 8));
      t_absent(&w, q, 5);
      t_i32(&w, q, 6, t->qdim);
    } else {
      t_absent(&w, tt, 4);
    }
  }
  for (int i = 0; i < no; ++i) {
    const gop_t *o = &ops[i];
    size_t ot = t_begin(&w, 5);
    v_set_off(&w, ov, (size_t)i, ot);
    t_i32(&w, ot, 0, i);
    t_off(&w, ot, 1, v_new(&w, o->in, (size_t)o->nin, 4));
    t_off(&w, ot, 2, v_new(&w, o->out, (size_t)o->nout, 4));
    t_u8(&w, ot, 3, (uint8_t)o->opt_type);
    if (o->opt_type) {
      size_t opt = t_begin(&w, 8);
      for (int k = 0; k < 8; ++k)
        t_absent(&w, opt, k);
      size_t vt = opt - (size_t)(w.b[opt] | w.b[opt + 1] << 8);
      for (int k = 0; k < o->nopt; ++k) {
        int id = o->opt[k].id;
        w_u16(&w, vt + 4 + 2 * (size_t)id, (uint16_t)(4 + 8 * id));
        if (o->opt[k].kind == 0)
          t_i32(&w, opt, id, (int32_t)o->opt[k].v);
        else if (o->opt[k].kind == 1)
          t_u8(&w, opt, id, (uint8_t)(int8_t)o->opt[k].v);
        else
          t_f32(&w, opt, id, (float)o->opt[k].v);
      }
      t_off(&w, ot, 4, opt);
    } else {
      t_absent(&w, ot, 4);
    }
  }
  *out_len = w.n;
  return w.b;
}

static char *import_generated(const char *name, const gtensor_t *ts, int nt, const gop_t *ops, int no,
                              const int32_t *ins, int ni, const int32_t *outs, int nout) {
  size_t len;
  uint8_t *b = build_model(ts, nt, ops, no, ins, ni, outs, nout, &len);
  char *ir = import_print(write_tmp(name, b, len));
  free(b);
  return ir;
}

#define Q8(nm, r, s0, s1, s2, s3, sc, zp)                                                                            \
  { .name = nm, .type = 9, .rank = r, .shape = {s0, s1, s2, s3}, .nq = 1, .scales = {sc}, .zps = {zp} }

/* ---- tests ---- */

static void test_real_models(const char *dir) {
  static const struct {
    const char *file;
    int conv, dw, fc, add, pad, mean, transpose, quantize, dequantize, softmax, log_softmax, reshape, avg_pool;
  } models[] = {
      {"person_detect", 14, 14, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1},
      {"micro_speech", 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0},
      {"hello_world_int8", 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {"mcunet_vww1", 30, 15, 1, 8, 4, 2, 1, 1, 1, 0, 0, 0, 0},
      {"lenet_300_100_mnist", 0, 0, 3, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0},
  };
  for (size_t i = 0; i < sizeof models / sizeof models[0]; ++i) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.tflite", dir, models[i].file);
    char *ir = import_print(path);
    CHECK(ir != NULL, "%s: %s", path, err);
    if (!ir)
      continue;
    /* A depthwise convolution over one input channel is an ordinary one (groups = C = 1): the totals are checked. */
    int conv = count_convs(ir, 0), dw = count_convs(ir, 1);
    CHECK(conv + dw == models[i].conv + models[i].dw, "%s: %d conv2d, expected %d", models[i].file, conv + dw,
          models[i].conv + models[i].dw);
    CHECK(count(ir, "\"mcu.fully_connected\"") == models[i].fc, "%s: fully_connected", models[i].file);
    CHECK(count(ir, "\"mcu.add\"") == models[i].add, "%s: add", models[i].file);
    CHECK(count(ir, "\"mcu.pad\"") == models[i].pad, "%s: pad", models[i].file);
    CHECK(count(ir, "\"mcu.mean\"") == models[i].mean, "%s: mean", models[i].file);
    CHECK(count(ir, "\"mcu.transpose\"") == models[i].transpose, "%s: transpose", models[i].file);
    CHECK(count(ir, "\"mcu.quantize\"") == models[i].quantize, "%s: quantize", models[i].file);
    CHECK(count(ir, "\"mcu.dequantize\"") == models[i].dequantize, "%s: dequantize", models[i].file);
    CHECK(count(ir, "\"mcu.softmax\"") == models[i].softmax, "%s: softmax", models[i].file);
    CHECK(count(ir, "\"mcu.log_softmax\"") == models[i].log_softmax, "%s: log_softmax", models[i].file);
    CHECK(count(ir, "\"mcu.reshape\"") == models[i].reshape, "%s: reshape", models[i].file);
    CHECK(count(ir, "\"mcu.avg_pool2d\"") == models[i].avg_pool, "%s: avg_pool2d", models[i].file);
    /* every op but the constants carries numerics = "tflite" */
    int ops = count(ir, "= \"mcu."), consts = count(ir, "\"mcu.constant\"");
    CHECK(count(ir, "numerics = \"tflite\"") == ops - consts, "%s: %d ops, %d constants, %d with numerics",
          models[i].file, ops, consts, count(ir, "numerics = \"tflite\""));
    if (!strcmp(models[i].file, "mcunet_vww1")) {
      CHECK(dw == 15 && conv == 30, "mcunet_vww1: %d depthwise, %d conv", dw, conv);
      /* the first PAD pads H and W by (0, 1) with the input zero point 0; the later ones with -128 */
      CHECK(strstr(ir, "pads = array<i64: 0, 1, 1, 0, 0, 1, 1, 0>, value = 0 : i64") != NULL, "mcunet: first pad");
      CHECK(strstr(ir, "pads = array<i64: 0, 3, 3, 0, 0, 3, 3, 0>, value = -128 : i64") != NULL, "mcunet: 7x7 pad");
      CHECK(strstr(ir, "axes = array<i64: 3>") && strstr(ir, "axes = array<i64: 2>"), "mcunet: mean axes");
      CHECK(strstr(ir, "perm = array<i64: 0, 3, 1, 2>") != NULL, "mcunet: transpose perm");
      CHECK(strstr(ir, "tensor<48x3x3x1x!quant.uniform<i8:f32:0, {") != NULL, "mcunet: depthwise filter reordered");
      CHECK(strstr(ir, "function_type = (tensor<1x80x80x3xf32>) -> tensor<1x2xf32>") != NULL, "mcunet: signature");
    }
    if (!strcmp(models[i].file, "person_detect")) {
      /* Conv2d_0: 96x96, 3x3, stride 2, SAME: out 48, total = 47 * 2 + 3 - 96 = 1 -> top 0, bottom 1; RELU6 at
       * scale 0.0235294 zp -128: [-128, -128 + round(6 / 0.0235294) = 127]. */
      const char *c0 = strstr(ir, "\"mcu.conv2d\"");
      const char *a0 = c0 ? strchr(c0, '{') : NULL;
      static const char want0[] = "{act_max = 127 : i64, act_min = -128 : i64, dilations = array<i64: 1, 1>, groups = 1 : "
                                  "i64, mcu.name = \"MobilenetV1/MobilenetV1/Conv2d_0/Relu6\", numerics = \"tflite\", "
                                  "pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}";
      CHECK(a0 && !strncmp(a0, want0, sizeof want0 - 1),
            "person_detect: Conv2d_0 attributes");
      CHECK(strstr(ir, "groups = 8 : i64, mcu.name = \"MobilenetV1/MobilenetV1/Conv2d_1_depthwise/Relu6\", numerics = "
                       "\"tflite\", pads = array<i64: 1, 1, 1, 1>") != NULL,
            "person_detect: Conv2d_1_depthwise");
      /* the 1-D biases with quantized_dimension 3 are plain i32 */
      CHECK(strstr(ir, "tensor<8xi32>") != NULL, "person_detect: bias type");
      CHECK(strstr(ir, "function_type = (tensor<1x96x96x1x!quant.uniform<i8:f32, 0.0078431377187371254:-1>>) -> "
                       "tensor<1x2x!quant.uniform<i8:f32, 3.906250e-03:-128>>") != NULL,
            "person_detect: signature");
    }
    if (!strcmp(models[i].file, "micro_speech")) {
      /* 49x40 input, 10x8 filter, stride 2, SAME: H out 25, total 24*2+10-49 = 9 -> 4, 5; W out 20, total 6 -> 3, 3 */
      CHECK(strstr(ir, "pads = array<i64: 4, 3, 5, 3>, strides = array<i64: 2, 2>") != NULL, "micro_speech pads");
    }
    if (!strcmp(models[i].file, "hello_world_int8")) /* shape_signature [-1, 1]: the shape [1, 1] is taken */
      CHECK(strstr(ir, "function_type = (tensor<1x1x!quant.uniform<i8:f32,") != NULL, "hello_world: batch 1");
    free(ir);
  }
}

/* Every prefix of a model, and byte mutations of it: an error (one line) or a verified module, never a crash. */
static void fuzz_file(const char *label, const uint8_t *data, size_t len, size_t prefix_step, int mutations) {
  int bad_msgs = 0, ok = 0;
  uint8_t *copy = malloc(len + 1);
  const char *path = NULL;
  for (size_t n = 0; n < len; n += prefix_step) {
    path = write_tmp("prefix.tflite", data, n);
    char *ir = import_print(path);
    if (ir)
      ok += n + 16 < len; /* the last bytes may be alignment padding no object needs */
    else if (!one_line(err, path))
      ++bad_msgs;
    free(ir);
  }
  CHECK(bad_msgs == 0, "%s: %d prefixes gave a malformed message", label, bad_msgs);
  CHECK(ok == 0, "%s: %d strict prefixes imported", label, ok);
  unsigned seed = 12345;
  int imported = 0;
  bad_msgs = 0;
  for (int iter = 0; iter < mutations; ++iter) {
    memcpy(copy, data, len);
    int k = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
    for (int j = 0; j < k; ++j) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % len;
      seed = seed * 1103515245u + 12345u;
      int mode = (seed >> 16) % 3;
      copy[at] = mode == 0 ? (uint8_t)(seed >> 24) : mode == 1 ? (uint8_t)(copy[at] ^ (1u << ((seed >> 12) % 8))) : 0xff;
    }
    path = write_tmp("mutant.tflite", copy, len);
    char *ir = import_print(path);
    if (ir)
      ++imported;
    else if (!one_line(err, path))
      ++bad_msgs;
    free(ir);
  }
  CHECK(bad_msgs == 0, "%s: %d mutants gave a malformed message", label, bad_msgs);
  printf("%s: %d mutations: %d imported, %d rejected\n", label, mutations, imported, mutations - imported);
  free(copy);
}

static void test_fuzz_real(const char *dir) {
  static const char *small[] = {"hello_world_int8", "micro_speech", "lenet_300_100_mnist"};
  for (size_t i = 0; i < sizeof small / sizeof small[0]; ++i) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.tflite", dir, small[i]);
    uint8_t *data;
    size_t len;
    mcu_status_t s = mcu_file_read_all(path, &data, &len);
    CHECK(!s, "%s", mcu_status_message(s));
    if (s) {
      mcu_status_free(s);
      continue;
    }
    fuzz_file(small[i], data, len, len < 8000 ? 1 : len / 3000 + 1, !strcmp(small[i], "hello_world_int8") ? MUTATIONS : MUTATIONS / 10);
    free(data);
  }
}

/* Activation ranges (TfLiteRound = half away from zero on float32 division), SAME padding with dilation,
 * depthwise reordering and per-channel axes, on generated models. */
static void test_generated(void) {
  /* ADD with RELU_N1_TO_1 at output scale 0.4, zp 0: 1 / 0.4f rounds to 2.5f in float32, TfLiteRound gives 3 (a
   * round-half-even would give 2): [-3, 3]. */
  {
    gtensor_t ts[3] = {Q8("a", 2, 1, 4, 0, 0, 0.1f, 0), Q8("b", 2, 1, 4, 0, 0, 0.1f, 0), Q8("y", 2, 1, 4, 0, 0, 0.4f, 0)};
    gop_t op = {.code = 0, .nin = 2, .in = {0, 1}, .nout = 1, .out = {2}, .opt_type = TFL_OPT_ADD, .nopt = 1,
                .opt = {{0, 1, TFL_ACT_RELU_N1_TO_1}}};
    char *ir = import_generated("add.tflite", ts, 3, &op, 1, (int32_t[]){0, 1}, 2, (int32_t[]){2}, 1);
    CHECK(ir && strstr(ir, "\"mcu.add\"(%arg0, %arg1) {act_max = 3 : i64, act_min = -3 : i64"), "add relu_n1_to_1: %s",
          ir ? ir : err);
    free(ir);
  }
  /* CONV_2D RELU6 at output scale 0.05, zp -10: [max(-128, -10), min(127, -10 + 120)] = [-10, 110]. SAME, stride
   * 2, dilation 2, 3x3 on 7x8: eff 5, H: out 4, total 3*2+5-7 = 4 -> 2, 2; W: out 4, total 6+5-8 = 3 -> 1, 2.
   * Per-channel filter (axis 0), no bias: zeros. */
  {
    static int8_t w[2 * 3 * 3 * 1];
    gtensor_t ts[3] = {Q8("x", 4, 1, 7, 8, 1, 0.1f, 3), Q8("w", 4, 2, 3, 3, 1, 0.01f, 0), Q8("y", 4, 1, 4, 4, 2, 0.05f, -10)};
    ts[1].nq = 2;
    ts[1].scales[1] = 0.02f;
    ts[1].data = w;
    ts[1].size = sizeof w;
    gop_t op = {.code = 3, .nin = 3, .in = {0, 1, -1}, .nout = 1, .out = {2}, .opt_type = TFL_OPT_CONV2D, .nopt = 6,
                .opt = {{0, 1, TFL_PAD_SAME}, {1, 0, 2}, {2, 0, 2}, {3, 1, TFL_ACT_RELU6}, {4, 0, 2}, {5, 0, 2}}};
    char *ir = import_generated("conv.tflite", ts, 3, &op, 1, (int32_t[]){0}, 1, (int32_t[]){2}, 1);
    CHECK(ir && strstr(ir, "{act_max = 110 : i64, act_min = -10 : i64, dilations = array<i64: 2, 2>, groups = 1 : i64, "
                           "mcu.name = \"y\", numerics = \"tflite\", pads = array<i64: 2, 1, 2, 2>, strides = "
                           "array<i64: 2, 2>}"),
          "conv: %s", ir ? ir : err);
    CHECK(ir && strstr(ir, "dense<0> : tensor<2xi32>") && strstr(ir, "!quant.uniform<i8:f32:0, {0.0099999997764825821,"),
          "conv bias and filter: %s", ir ? ir : err);
    free(ir);
    /* a wrong declared output shape is an error naming the output */
    ts[2].shape[1] = 3;
    ir = import_generated("conv_bad.tflite", ts, 3, &op, 1, (int32_t[]){0}, 1, (int32_t[]){2}, 1);
    CHECK(!ir && strstr(err, "operator 0 (CONV_2D): output 'y' is declared [1,3,4,2] but the operator computes [1,4,4,2]"),
          "conv shape: %s", err);
    free(ir);
  }
  /* DEPTHWISE_CONV_2D, C = 2, M = 2, 1x2 filter [1,1,2,4] holding k*10+o at (k, o): reordered to [4,1,2,1], i.e.
   * o-major: 0,10, 1,11, 2,12, 3,13; per-channel axis 3 -> 0; groups 2. Selected by the deprecated opcode (4) with
   * builtin_code 0 (the larger of the two counts). */
  {
    static int8_t w[8] = {0, 1, 2, 3, 10, 11, 12, 13};
    gtensor_t ts[3] = {Q8("x", 4, 1, 3, 3, 2, 0.1f, 0), Q8("w", 4, 1, 1, 2, 4, 0.01f, 0), Q8("y", 4, 1, 3, 2, 4, 0.2f, 5)};
    ts[1].nq = 4;
    ts[1].scales[1] = 0.02f;
    ts[1].scales[2] = 0.03f;
    ts[1].scales[3] = 0.04f;
    ts[1].qdim = 3;
    ts[1].data = w;
    ts[1].size = sizeof w;
    gop_t op = {.code = 0, .deprecated_code = 4, .nin = 3, .in = {0, 1, -1}, .nout = 1, .out = {2},
                .opt_type = TFL_OPT_DEPTHWISE_CONV2D, .nopt = 5,
                .opt = {{0, 1, TFL_PAD_VALID}, {1, 0, 1}, {2, 0, 1}, {3, 0, 2}, {4, 1, TFL_ACT_RELU}}};
    char *ir = import_generated("dw.tflite", ts, 3, &op, 1, (int32_t[]){0}, 1, (int32_t[]){2}, 1);
    CHECK(ir && strstr(ir, "dense<[[[[0], [10]]], [[[1], [11]]], [[[2], [12]]], [[[3], [13]]]]> : tensor<4x1x2x1xi8>"),
          "depthwise data: %s", ir ? ir : err);
    CHECK(ir && strstr(ir, "tensor<4x1x2x1x!quant.uniform<i8:f32:0, {"), "depthwise axis: %s", ir ? ir : err);
    CHECK(ir && strstr(ir, "act_max = 127 : i64, act_min = 5 : i64, dilations = array<i64: 1, 1>, groups = 2 : i64"),
          "depthwise attrs: %s", ir ? ir : err);
    free(ir);
  }
  /* CONCATENATION of three along axis -1 with RELU on the last: two chained mcu.concat. */
  {
    gtensor_t ts[4] = {Q8("a", 2, 1, 2, 0, 0, 0.5f, -3), Q8("b", 2, 1, 3, 0, 0, 0.5f, -3), Q8("c", 2, 1, 1, 0, 0, 0.5f, -3),
                       Q8("y", 2, 1, 6, 0, 0, 0.5f, -3)};
    gop_t op = {.code = 2, .nin = 3, .in = {0, 1, 2}, .nout = 1, .out = {3}, .opt_type = TFL_OPT_CONCATENATION,
                .nopt = 2, .opt = {{0, 0, -1}, {1, 1, TFL_ACT_RELU}}};
    char *ir = import_generated("concat.tflite", ts, 4, &op, 1, (int32_t[]){0, 1, 2}, 3, (int32_t[]){3}, 1);
    CHECK(ir && count(ir, "\"mcu.concat\"") == 2, "concat count: %s", ir ? ir : err);
    CHECK(ir && strstr(ir, "{axis = 1 : i64, mcu.name = \"y_concat1\", numerics = \"tflite\"} : (tensor<1x2x!quant.uniform"
                           "<i8:f32, 5.000000e-01:-3>>, tensor<1x3x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> "
                           "tensor<1x5x!quant.uniform<i8:f32, 5.000000e-01:-3>>"),
          "concat intermediate: %s", ir ? ir : err);
    CHECK(ir && strstr(ir, "{act_max = 127 : i64, act_min = -3 : i64, axis = 1 : i64, mcu.name = \"y\""),
          "concat last: %s", ir ? ir : err);
    free(ir);
  }
  /* PADV2 (int8, constant 7) and a float PAD; MEAN with a negative axis and keep_dims. */
  {
    static const int32_t pads[4] = {1, 2, 0, 3};
    static const int8_t seven = 7;
    gtensor_t ts[4] = {Q8("x", 2, 2, 3, 0, 0, 0.5f, 1), {.name = "p", .type = 2, .rank = 2, .shape = {2, 2}, .data = pads,
                       .size = sizeof pads}, Q8("c", 0, 0, 0, 0, 0, 0.5f, 1), Q8("y", 2, 5, 6, 0, 0, 0.5f, 1)};
    ts[2].data = &seven;
    ts[2].size = 1;
    gop_t op = {.code = 60, .nin = 3, .in = {0, 1, 2}, .nout = 1, .out = {3}};
    char *ir = import_generated("padv2.tflite", ts, 4, &op, 1, (int32_t[]){0}, 1, (int32_t[]){3}, 1);
    CHECK(ir && strstr(ir, "pads = array<i64: 1, 0, 2, 3>, value = 7 : i64"), "padv2: %s", ir ? ir : err);
    free(ir);
    static const int32_t axis = -2;
    gtensor_t ms[3] = {{.name = "x", .type = 0, .rank = 3, .shape = {2, 3, 4}},
                       {.name = "axis", .type = 2, .rank = 1, .shape = {1}, .data = &axis, .size = 4},
                       {.name = "y", .type = 0, .rank = 3, .shape = {2, 1, 4}}};
    gop_t mop = {.code = 40, .nin = 2, .in = {0, 1}, .nout = 1, .out = {2}, .opt_type = TFL_OPT_REDUCER, .nopt = 1,
                 .opt = {{0, 1, 1}}};
    ir = import_generated("mean.tflite", ms, 3, &mop, 1, (int32_t[]){0}, 1, (int32_t[]){2}, 1);
    CHECK(ir && strstr(ir, "\"mcu.mean\"(%arg0) {axes = array<i64: 1>") && strstr(ir, "-> tensor<2x1x4xf32>"),
          "mean: %s", ir ? ir : err);
    free(ir);
  }
  /* RELU on int8 (TF Lite Micro's CalculateReluOpData) and RELU6 with matching quantization; float RELU6. */
  {
    gtensor_t ts[2] = {Q8("x", 1, 4, 0, 0, 0, 0.25f, 2), Q8("y", 1, 4, 0, 0, 0, 0.25f, 2)};
    gop_t op = {.code = 21, .nin = 1, .in = {0}, .nout = 1, .out = {1}};
    char *ir = import_generated("relu6.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    CHECK(ir && strstr(ir, "\"mcu.requantize\"(%arg0) {act_max = 26 : i64, act_min = 2 : i64"), "relu6: %s", ir ? ir : err);
    free(ir);
    ts[1].scales[0] = 0.5f;
    ir = import_generated("relu6_bad.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    CHECK(!ir && strstr(err, "operator 0 (RELU6): RELU6 with different input and output quantization"), "relu6: %s", err);
    free(ir);
    op.code = 19;
    ir = import_generated("relu.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    CHECK(ir && strstr(ir, "{act_max = 127 : i64, act_min = 2 : i64"), "relu: %s", ir ? ir : err);
    free(ir);
  }
  /* Errors: an unsupported operator, an unsupported dtype, a non-positive dimension, a bad identifier. */
  {
    gtensor_t ts[2] = {{.name = "x", .type = 0, .rank = 2, .shape = {1, 4}}, {.name = "y", .type = 0, .rank = 2, .shape = {1, 4}}};
    gop_t op = {.code = 28, .nin = 1, .in = {0}, .nout = 1, .out = {1}};
    char *ir = import_generated("tanh.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    char want[600];
    snprintf(want, sizeof want, "%s/tanh.tflite: operator 0 (TANH): unsupported operator (TFLite front end)", tmpdir);
    CHECK(!ir && !strcmp(err, want), "tanh: %s", err);
    free(ir);
    op.code = 14;
    ts[0].type = ts[1].type = 7;
    ir = import_generated("int16.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    CHECK(!ir && strstr(err, "tensor 'x' has dtype INT16"), "int16: %s", err);
    free(ir);
    ts[0].type = ts[1].type = 0;
    ts[0].shape[1] = 0;
    ir = import_generated("dim0.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    CHECK(!ir && strstr(err, "tensor 'x': dimension 1 has size 0"), "dim 0: %s", err);
    free(ir);
    ts[0].shape[1] = 4;
    ir = import_generated("logistic.tflite", ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1);
    CHECK(ir && strstr(ir, "\"mcu.logistic\"(%arg0) {mcu.name = \"y\", numerics = \"tflite\"}"), "logistic: %s", ir ? ir : err);
    free(ir);
    size_t len;
    uint8_t *b = build_model(ts, 2, &op, 1, (int32_t[]){0}, 1, (int32_t[]){1}, 1, &len);
    memcpy(b + 4, "TFL2", 4);
    const char *path = write_tmp("ident.tflite", b, len);
    ir = import_print(path);
    CHECK(!ir && strstr(err, ": not a TFLite model (file: file identifier is not TFL3)"), "identifier: %s", err);
    free(ir);
    memcpy(b + 4, "TFL3", 4);
    fuzz_file("generated logistic", b, len, 1, MUTATIONS);
    free(b);
  }
}

int main(void) {
  const char *t = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/tflite_import_test.XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  mcu_status_t s = mcu_context_create(&ctx);
  if (s) {
    printf("context: %s\n", mcu_status_message(s));
    return 1;
  }
  test_generated();
  const char *shared = getenv("MCUNET_SHARED_DIR");
  char dir[512];
  snprintf(dir, sizeof dir, "%s/models/tflite", shared && *shared ? shared : MCUNET_SOURCE_DIR "/../shared");
  if (access(dir, R_OK) == 0) {
    test_real_models(dir);
    test_fuzz_real(dir);
  } else {
    printf("skipping the real models: %s is absent\n", dir);
  }
  mlirContextDestroy(ctx);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    printf("could not remove %s\n", tmpdir);
  return mcu_test_finish();
}
