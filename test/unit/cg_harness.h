/* cg_harness.h: the code generation tests' shared machinery: program builder, temp dir, host link, run vs reference. */
#ifndef MCUNET_TEST_UNIT_CG_HARNESS_H
#define MCUNET_TEST_UNIT_CG_HARNESS_H

/* Needs _POSIX_C_SOURCE >= 200809L (mkdtemp) defined by the including test before any system header, and
 * mcu_test.h's CHECK. Static functions: each test is a single .c file (see mcu_test.h). What it offers:
 * - a program builder (pb_*): tensors, pseudo-random constants, quantization, layers with neutral attributes;
 * - a temporary directory (cg_tmp) and file helpers;
 * - cg_host_open: a host object linked into lib<name>.so and opened; cg_compare_with_ref: the generated
 *   <name>_run against the reference, twice, byte for byte.
 * Known weakness: programs have at most 4 outputs and 8 inputs + outputs; allocation failure exits(2). */

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "mcu_test.h"
#include "ref.h"

/* ---- program builder ---- */

typedef struct pb {
  mcu_program_t *p;
  uint32_t rng;
} pb_t;

static uint32_t rnd(uint32_t *s) { /* xorshift32: deterministic inputs and weights */
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

static char *xstrdup(const char *s) { return strcpy(xcalloc(strlen(s) + 1, 1), s); }

static pb_t pb_new(const char *name, uint32_t seed) {
  pb_t b = {xcalloc(1, sizeof(mcu_program_t)), seed};
  b.p->name = xstrdup(name);
  return b;
}

static int *pb_append_int(int *arr, int n, int v) {
  int *a = realloc(arr, (size_t)(n + 1) * sizeof *a);
  if (!a)
    exit(2);
  a[n] = v;
  return a;
}

/* pb_tensor's offset for an ARENA tensor placed after the arena's end (aligned to 16). */
#define PB_ARENA_APPEND UINT32_MAX

/* A tensor of `storage`; INPUT/OUTPUT get the next model input/output number, ARENA and CONST use `offset` (ARENA:
 * PB_ARENA_APPEND for the arena's end), and the arena grows to hold every ARENA tensor. */
static int pb_tensor(pb_t *b, mcu_dtype_t dt, int rank, const int32_t *shape, mcu_storage_t st, uint32_t offset) {
  mcu_program_t *p = b->p;
  mcu_tensor_t *ts = realloc(p->tensors, (size_t)(p->num_tensors + 1) * sizeof *ts);
  if (!ts)
    exit(2);
  p->tensors = ts;
  int i = p->num_tensors++;
  mcu_tensor_t *t = &ts[i];
  memset(t, 0, sizeof *t);
  t->name = xstrdup("t");
  t->dtype = dt;
  t->rank = rank;
  memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
  t->quant_axis = -1;
  t->storage = st;
  t->offset = offset;
  if (st == MCU_STORAGE_INPUT) {
    t->offset = 0;
    t->index = p->num_inputs;
    p->inputs = pb_append_int(p->inputs, p->num_inputs++, i);
  } else if (st == MCU_STORAGE_OUTPUT) {
    t->offset = 0;
    t->index = p->num_outputs;
    p->outputs = pb_append_int(p->outputs, p->num_outputs++, i);
  } else if (st == MCU_STORAGE_ARENA) {
    if (offset == PB_ARENA_APPEND)
      t->offset = (p->arena_size + 15) & ~15u;
    uint32_t end = t->offset + (uint32_t)mcu_tensor_bytes(t);
    if (end > p->arena_size)
      p->arena_size = end;
  }
  return i;
}

/* A constant tensor with pseudo-random contents: i8/u8 any byte, i32 in [-3000, 3000] (f32: random bytes, for the
 * caller to overwrite). Offsets are aligned to the element size, and 8-bit tensors are deliberately put at odd
 * offsets. */
static int pb_constant(pb_t *b, mcu_dtype_t dt, int rank, const int32_t *shape) {
  mcu_program_t *p = b->p;
  uint32_t off = dt == MCU_DT_I32 || dt == MCU_DT_F32 ? (p->weights_size + 3) & ~3u : p->weights_size | 1;
  int i = pb_tensor(b, dt, rank, shape, MCU_STORAGE_CONST, off);
  mcu_tensor_t *t = &p->tensors[i];
  int64_t n = mcu_tensor_elements(t), bytes = mcu_tensor_bytes(t);
  t->data = xcalloc((size_t)bytes, 1);
  for (int64_t e = 0; e < n; ++e) {
    if (dt == MCU_DT_I32) {
      int32_t v = (int32_t)(rnd(&b->rng) % 6001) - 3000;
      memcpy(t->data + 4 * e, &v, 4);
    } else {
      t->data[e] = (uint8_t)rnd(&b->rng);
    }
  }
  p->weights_size = off + (uint32_t)bytes;
  return i;
}

/* Per-tensor quantization (scale stored as given). */
static void pb_quant(pb_t *b, int ti, double scale, int32_t zp) {
  mcu_tensor_t *t = &b->p->tensors[ti];
  t->num_scales = 1;
  t->quant_axis = -1;
  t->scales = xcalloc(1, sizeof(double));
  t->zero_points = xcalloc(1, sizeof(int32_t));
  t->scales[0] = scale;
  t->zero_points[0] = zp;
}

/* Per-axis quantization with pseudo-random scales in [smin, 2 smin) (float-rounded) and zero points in
 * [zmin, zmin + zspan) (zmin when zspan <= 0). */
static void pb_quant_axis(pb_t *b, int ti, int axis, double smin, int32_t zmin, int32_t zspan) {
  mcu_tensor_t *t = &b->p->tensors[ti];
  int n = t->shape[axis];
  t->num_scales = n;
  t->quant_axis = axis;
  t->scales = xcalloc((size_t)n, sizeof(double));
  t->zero_points = xcalloc((size_t)n, sizeof(int32_t));
  for (int i = 0; i < n; ++i) {
    t->scales[i] = (double)(float)(smin * (1.0 + (rnd(&b->rng) % 1000) / 1000.0));
    t->zero_points[i] = zspan > 0 ? zmin + (int32_t)(rnd(&b->rng) % (uint32_t)zspan) : zmin;
  }
}

/* A layer of ONNX numerics with neutral attributes (stride/dilation 1, no pad, 1 group, identity perm, full
 * activation range of the output's type). */
static mcu_layer_t *pb_layer(pb_t *b, mcu_op_t op, int nin, int i0, int i1, int i2, int out) {
  mcu_program_t *p = b->p;
  mcu_layer_t *ls = realloc(p->layers, (size_t)(p->num_layers + 1) * sizeof *ls);
  if (!ls)
    exit(2);
  p->layers = ls;
  mcu_layer_t *l = &ls[p->num_layers++];
  memset(l, 0, sizeof *l);
  l->name = xstrdup("layer");
  l->op = op;
  l->num_inputs = nin;
  l->inputs[0] = i0;
  l->inputs[1] = i1;
  l->inputs[2] = i2;
  l->output = out;
  l->stride[0] = l->stride[1] = l->dilation[0] = l->dilation[1] = l->groups = 1;
  for (int d = 0; d < MCU_MAX_RANK; ++d)
    l->perm[d] = d;
  mcu_dtype_t dt = p->tensors[out].dtype;
  l->act_min = dt == MCU_DT_I8 ? -128 : dt == MCU_DT_U8 ? 0 : INT32_MIN;
  l->act_max = dt == MCU_DT_I8 ? 127 : dt == MCU_DT_U8 ? 255 : INT32_MAX;
  l->fact_min = -INFINITY;
  l->fact_max = INFINITY;
  return l;
}

#define SHAPE(...) ((const int32_t[]){__VA_ARGS__})
#define RANK(...) ((int)(sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t)))
#define K(b, dt, ...) pb_constant(b, dt, RANK(__VA_ARGS__), SHAPE(__VA_ARGS__))

/* ---- temporary directory and files ---- */

static char cg_tmp[64];

/* Creates /tmp/<prefix>XXXXXX as cg_tmp; 0 (after perror) on failure. */
static int cg_tmp_create(const char *prefix) {
  snprintf(cg_tmp, sizeof cg_tmp, "/tmp/%sXXXXXX", prefix);
  if (!mkdtemp(cg_tmp)) {
    perror("mkdtemp");
    return 0;
  }
  return 1;
}

static int sh(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0)
    fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
  return rc;
}

/* Removes cg_tmp, unless MCUNET_KEEP_TMP is set (then says where it is). */
static void cg_tmp_remove(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cg_tmp);
  if (!getenv("MCUNET_KEEP_TMP"))
    sh(cmd);
  else
    printf("kept %s\n", cg_tmp);
}

/* cg_tmp/<name><suffix> into out (256 bytes). */
static char *cg_tmp_path(char out[256], const char *name, const char *suffix) {
  snprintf(out, 256, "%s/%s%s", cg_tmp, name, suffix);
  return out;
}

static int files_equal(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int eq = fa && fb;
  while (eq) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb)
      eq = 0;
    if (ca == EOF)
      break;
  }
  if (fa)
    fclose(fa);
  if (fb)
    fclose(fb);
  return eq;
}

/* ---- host library and comparison with the reference ---- */

/* Links the host object `obj` into cg_tmp/lib<name>.so (with libm) and dlopens it; *out_lib is the handle (NULL
 * when linking or loading failed: then *out_linked says whether linking did) and the result <name>_run (NULL when
 * absent). */
static void *cg_host_open(const char *name, const char *obj, int *out_linked, void **out_lib) {
  char so[256], cmd[1024], sym[160];
  snprintf(so, sizeof so, "%s/lib%s.so", cg_tmp, name);
  snprintf(cmd, sizeof cmd, "cc -shared -o %s %s -lm", so, obj);
  *out_linked = sh(cmd) == 0;
  *out_lib = *out_linked ? dlopen(so, RTLD_NOW | RTLD_LOCAL) : NULL;
  snprintf(sym, sizeof sym, "%s_run", name);
  return *out_lib ? dlsym(*out_lib, sym) : NULL;
}

static int call_run(void *fn, void **args, int n) {
  switch (n) {
  case 1:
    return ((int (*)(void *))fn)(args[0]);
  case 2:
    return ((int (*)(void *, void *))fn)(args[0], args[1]);
  case 3:
    return ((int (*)(void *, void *, void *))fn)(args[0], args[1], args[2]);
  case 4:
    return ((int (*)(void *, void *, void *, void *))fn)(args[0], args[1], args[2], args[3]);
  }
  return -99;
}

/* Fills model input `input` of `p` (buf has its bytes). */
typedef void (*cg_fill_fn)(uint32_t *rng, const mcu_program_t *p, int input, uint8_t *buf);

/* Runs the reference and then `fn` (the generated <name>_run) twice on inputs from `fill`: the second call must not
 * depend on the arena's old contents. Every output byte must equal the reference's. */
static void cg_compare_with_ref(pb_t *b, void *fn, cg_fill_fn fill) {
  mcu_program_t *p = b->p;
  const char *name = p->name;
  int ni = p->num_inputs, no = p->num_outputs;
  void *args[8];
  uint8_t *ref_out[4];
  for (int i = 0; i < ni; ++i) {
    args[i] = xcalloc((size_t)mcu_tensor_bytes(&p->tensors[p->inputs[i]]), 1);
    fill(&b->rng, p, i, args[i]);
  }
  for (int j = 0; j < no; ++j) {
    size_t n = (size_t)mcu_tensor_bytes(&p->tensors[p->outputs[j]]);
    args[ni + j] = xcalloc(n, 1);
    ref_out[j] = xcalloc(n, 1);
    memset(args[ni + j], 0xA5, n);
    memset(ref_out[j], 0x5A, n);
  }
  int rc_ref = mcu_ref_run(p, (const void *const *)args, (void *const *)ref_out);
  CHECK(rc_ref == 0, "%s: reference run failed", name);
  for (int rep = 0; rep < 2; ++rep) {
    CHECK(call_run(fn, args, ni + no) == 0, "%s: SYM_run did not return 0", name);
    for (int j = 0; j < no && rc_ref == 0; ++j) {
      size_t n = (size_t)mcu_tensor_bytes(&p->tensors[p->outputs[j]]), bad = 0, first = n;
      const uint8_t *g = args[ni + j];
      for (size_t k = 0; k < n; ++k)
        if (g[k] != ref_out[j][k]) {
          if (first == n)
            first = k;
          ++bad;
        }
      if (bad)
        fprintf(stderr, "%s output %d: %zu of %zu bytes differ, first at %zu: got 0x%02x want 0x%02x\n", name, j,
                bad, n, first, g[first], ref_out[j][first]);
      CHECK(bad == 0, "%s: output differs from the reference", name);
    }
  }
  for (int i = 0; i < ni + no; ++i)
    free(args[i]);
  for (int j = 0; j < no; ++j)
    free(ref_out[j]);
}

#endif
