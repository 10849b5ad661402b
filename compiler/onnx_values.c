/* onnx_values.c: the ONNX importer's memory, errors, name/value table and NCHW/NHWC value twins. */
#include <mlir-c/Dialect/Quant.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* The import walks the nodes once, in file order (ONNX requires a topological order; a node reading an undefined
 * value is an error). Every ONNX value gets a `value_t`: its ONNX dtype and shape (always in ONNX layout), and
 * either constant data (initializers, --bind tensors, Constant nodes, Reshapes of constants: materialised as an
 * `mcu.constant` only when an op needs them, with the element type that op needs) or MLIR values: `nchw` (ONNX
 * layout) and/or `nhwc` (the layout mcu.conv2d reads and writes). A missing twin is made with one mcu.transpose
 * the first time it is asked for and then reused.
 *
 * Quantization is not part of an ONNX value: uint8/int8 tensors are plain bytes and each QLinear* node states
 * the scale and zero point it reads them with. Values produced by a quantizing node take that node's output
 * quantization. Graph inputs (and the outputs of Reshape/Flatten/Relu/Clip applied to them) start "pending",
 * typed with scale 1, zero point 0, and take the quantization of the first quantizing node that reads them
 * (mlirValueSetType on the whole pending tree). A value read with a quantization other than the one it has is an
 * error: known weakness, a model that reinterprets one tensor with two different scales is rejected (the mcu
 * dialect has no reinterpreting cast). */

/* ---- errors and memory ---- */

mcu_status_t onnx_fail(importer_t *imp, const char *fmt, ...) {
  char reason[512], msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  if (imp->node)
    snprintf(msg, sizeof msg, "node '%.200s' (%.100s): %s", imp->node_name, onnx_str(imp->node->op_type), reason);
  else
    snprintf(msg, sizeof msg, "%s", reason);
  /* Names come from the file: keep the message on one line. */
  for (char *p = msg; *p; ++p)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  return mcu_status_errorf("%s: %s", imp->path, msg);
}

mcu_status_t onnx_oom(importer_t *imp) { return onnx_fail(imp, "out of memory"); }

/* Makes `p` (malloc'd) owned by the importer. 0 when out of memory (p is then not owned). */
static int adopt(importer_t *imp, void *p) {
  if (imp->num_allocs == imp->cap_allocs) {
    size_t cap = imp->cap_allocs ? imp->cap_allocs * 2 : 64;
    void **grown = realloc(imp->allocs, cap * sizeof *grown);
    if (!grown)
      return 0;
    imp->allocs = grown;
    imp->cap_allocs = cap;
  }
  imp->allocs[imp->num_allocs++] = p;
  return 1;
}

void *onnx_alloc(importer_t *imp, size_t size) {
  void *p = calloc(1, size ? size : 1);
  if (p && !adopt(imp, p)) {
    free(p);
    p = NULL;
  }
  return p;
}

void onnx_importer_free(importer_t *imp) {
  for (size_t i = 0; i < imp->num_allocs; ++i)
    free(imp->allocs[i]);
  free(imp->allocs);
  free(imp->values);
  free(imp->slot_names);
  free(imp->slot_values);
}

/* ---- the name table (FNV-1a, linear probing, kept at most half full) ---- */

static size_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

int onnx_name_lookup(const importer_t *imp, const char *name) {
  if (!imp->num_slots)
    return -1;
  for (size_t i = name_hash(name) & (imp->num_slots - 1);; i = (i + 1) & (imp->num_slots - 1)) {
    if (!imp->slot_names[i])
      return -1;
    if (!strcmp(imp->slot_names[i], name))
      return imp->slot_values[i];
  }
}

static int name_insert_slot(const char **names, int *values, size_t n, const char *name, int v) {
  for (size_t i = name_hash(name) & (n - 1);; i = (i + 1) & (n - 1)) {
    if (!names[i]) {
      names[i] = name;
      values[i] = v;
      return 0;
    }
  }
}

mcu_status_t onnx_name_bind(importer_t *imp, const char *name, int v) {
  if (onnx_name_lookup(imp, name) >= 0)
    return onnx_fail(imp, "value '%s' is defined twice", name);
  if (2 * (imp->used_slots + 1) > imp->num_slots) {
    size_t n = imp->num_slots ? imp->num_slots * 2 : 256;
    const char **names = calloc(n, sizeof *names);
    int *values = calloc(n, sizeof *values);
    if (!names || !values) {
      free(names);
      free(values);
      return onnx_oom(imp);
    }
    for (size_t i = 0; i < imp->num_slots; ++i)
      if (imp->slot_names[i])
        name_insert_slot(names, values, n, imp->slot_names[i], imp->slot_values[i]);
    free(imp->slot_names);
    free(imp->slot_values);
    imp->slot_names = names;
    imp->slot_values = values;
    imp->num_slots = n;
  }
  name_insert_slot(imp->slot_names, imp->slot_values, imp->num_slots, name, v);
  imp->used_slots++;
  return NULL;
}

mcu_status_t onnx_value_add(importer_t *imp, const char *name, const value_t *proto, value_t **out) {
  if (!name || !*name)
    return onnx_fail(imp, "a value has an empty name");
  if (imp->num_values == imp->cap_values) {
    int cap = imp->cap_values ? imp->cap_values * 2 : 64;
    value_t **grown = realloc(imp->values, (size_t)cap * sizeof *grown);
    if (!grown)
      return onnx_oom(imp);
    imp->values = grown;
    imp->cap_values = cap;
  }
  value_t *v = onnx_alloc(imp, sizeof *v);
  if (!v)
    return onnx_oom(imp);
  *v = *proto;
  v->name = name;
  v->index = imp->num_values;
  mcu_status_t s = onnx_name_bind(imp, name, v->index);
  if (s)
    return s;
  imp->values[imp->num_values++] = v;
  *out = v;
  return NULL;
}

/* Decodes with mcu_onnx_tensor_decode; its message ("WHAT: reason") gets the file and node context. */
mcu_status_t onnx_value_decode(importer_t *imp, const Onnx__TensorProto *t, const char *what, value_t *out) {
  memset(out, 0, sizeof *out);
  mcu_onnx_tensor_t d;
  mcu_status_t s = mcu_onnx_tensor_decode(t, what, &d);
  if (s) {
    mcu_status_t e = onnx_fail(imp, "%s", mcu_status_message(s));
    mcu_status_free(s);
    return e;
  }
  if (!adopt(imp, d.data)) {
    free(d.data);
    return onnx_oom(imp);
  }
  out->dtype = d.dtype;
  out->rank = d.rank;
  memcpy(out->dims, d.dims, sizeof out->dims);
  out->count = d.count;
  out->data = d.data;
  return NULL;
}

/* ---- shapes and constant data ---- */

void onnx_shape_str(int rank, const int64_t *dims, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = 0;
  used += (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && used < cap; ++i)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (used < cap)
    snprintf(buf + used, cap - used, "]");
}

/* ---- constant data ---- */

int64_t onnx_data_i64(const value_t *v, int64_t i) {
  const uint8_t *p = v->data + (size_t)i * mcu_onnx_dtype_size(v->dtype);
  switch (v->dtype) {
  case DT_UINT8:
    return p[0];
  case DT_INT8:
    return (int8_t)p[0];
  case DT_INT32:
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
  case DT_INT64: {
    uint64_t u = 0;
    for (int k = 7; k >= 0; --k)
      u = u << 8 | p[k];
    return (int64_t)u;
  }
  default:
    return 0;
  }
}

float onnx_data_f32(const value_t *v, int64_t i) {
  const uint8_t *p = v->data + (size_t)i * 4;
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

const int ONNX_TO_NHWC[4] = {0, 2, 3, 1}, ONNX_TO_NCHW[4] = {0, 3, 1, 2};


/* 4-D data permutation (output dim i = input dim perm[i]) of `es`-byte elements. */
static void permute4(const uint8_t *src, size_t es, const int64_t *dims, const int *perm, uint8_t *dst) {
  int64_t od[4], stride[4], ostride[4];
  stride[3] = 1;
  for (int i = 2; i >= 0; --i)
    stride[i] = stride[i + 1] * dims[i + 1];
  for (int i = 0; i < 4; ++i) {
    od[i] = dims[perm[i]];
    ostride[i] = stride[perm[i]];
  }
  size_t o = 0;
  for (int64_t a = 0; a < od[0]; ++a)
    for (int64_t b = 0; b < od[1]; ++b)
      for (int64_t c = 0; c < od[2]; ++c)
        for (int64_t d = 0; d < od[3]; ++d, ++o) {
          int64_t in = a * ostride[0] + b * ostride[1] + c * ostride[2] + d * ostride[3];
          memcpy(dst + o * es, src + (size_t)in * es, es);
        }
}

/* ---- reading values ---- */

/* The element type the value has in ONNX layout, or null when it is a constant not yet materialised. */
mcu_status_t onnx_elem(importer_t *imp, const value_t *v, MlirType *out) {
  out->ptr = NULL;
  if (!mlirValueIsNull(v->nchw)) {
    *out = onnx_elem_of(v->nchw);
    return NULL;
  }
  if (!mlirValueIsNull(v->nhwc))
    return onnx_permute_elem(imp, onnx_elem_of(v->nhwc), ONNX_TO_NCHW, 4, out);
  return NULL;
}

/* Gives a pending value (and every value computed from it by pass-through ops) the element type `want`. */
static mcu_status_t fix_pending(importer_t *imp, value_t *v, MlirType want) {
  int root = v->index;
  while (imp->values[root]->pending_src >= 0)
    root = imp->values[root]->pending_src;
  int per_axis = mlirTypeIsAUniformQuantizedPerAxisType(want);
  char *in_tree = onnx_alloc(imp, (size_t)imp->num_values);
  if (!in_tree)
    return onnx_oom(imp);
  for (int i = root; i < imp->num_values; ++i) {
    value_t *w = imp->values[i];
    if (i == root)
      in_tree[i] = 1;
    else
      in_tree[i] = w->pending && w->pending_src >= 0 && in_tree[w->pending_src];
    if (!in_tree[i])
      continue;
    if (per_axis && (w->rank != v->rank || memcmp(w->dims, v->dims, sizeof(int64_t) * (size_t)v->rank)))
      return onnx_fail(imp, "value '%s' needs a per-axis quantization that does not survive its reshapes", v->name);
    mlirValueSetType(w->nchw, onnx_tensor_type(w->rank, w->dims, want));
    w->pending = 0;
  }
  return NULL;
}

/* Checks (or, for pending values, sets) a non-constant value's element type. */
static mcu_status_t require_elem(importer_t *imp, value_t *v, MlirType want) {
  if (v->pending)
    return fix_pending(imp, v, want);
  MlirType have;
  mcu_status_t s = onnx_elem(imp, v, &have);
  if (s)
    return s;
  if (!mlirTypeEqual(have, want))
    return onnx_fail(imp, "input '%s' has element type %s, this node reads it as %s", v->name, onnx_type_str(imp, have),
                     onnx_type_str(imp, want));
  return NULL;
}

/* The value in ONNX layout with element type `want` (null: whatever it has; constants then get their dtype's
 * default type). */
mcu_status_t onnx_get_nchw(importer_t *imp, value_t *v, MlirType want, MlirValue *out) {
  if (v->data) {
    MlirType elem = mlirTypeIsNull(want) ? onnx_default_elem(imp, v->dtype) : want;
    if (mlirTypeIsNull(elem))
      return onnx_fail(imp, "constant '%s': dtype %s tensors are not supported as operands", v->name,
                       mcu_onnx_dtype_name(v->dtype));
    if (!mlirValueIsNull(v->nchw) && mlirTypeEqual(onnx_elem_of(v->nchw), elem)) {
      *out = v->nchw;
      return NULL;
    }
    mcu_status_t s = onnx_emit_const(imp, v->rank, v->dims, v->dtype, v->data, v->count, elem, v->name, out);
    if (!s && mlirValueIsNull(v->nchw))
      v->nchw = *out;
    return s;
  }
  if (!mlirTypeIsNull(want)) {
    mcu_status_t s = require_elem(imp, v, want);
    if (s)
      return s;
  }
  if (mlirValueIsNull(v->nchw)) {
    size_t n = strlen(v->name) + 6;
    char *name = onnx_alloc(imp, n);
    if (!name)
      return onnx_oom(imp);
    snprintf(name, n, "%s_nchw", v->name);
    mcu_status_t s = onnx_emit_transpose(imp, v->nhwc, ONNX_TO_NCHW, name, &v->nchw);
    if (s)
      return s;
  }
  *out = v->nchw;
  return NULL;
}

/* The value in NHWC layout (4-D only) with element type `want` (in ONNX layout terms). Constants are
 * transposed at import time. */
mcu_status_t onnx_get_nhwc(importer_t *imp, value_t *v, MlirType want, MlirValue *out) {
  if (v->rank != 4)
    return onnx_fail(imp, "input '%s' must be 4-D", v->name);
  size_t n = strlen(v->name) + 6;
  char *name = onnx_alloc(imp, n);
  if (!name)
    return onnx_oom(imp);
  snprintf(name, n, "%s_nhwc", v->name);
  MlirType elem;
  mcu_status_t s = onnx_permute_elem(imp, want, ONNX_TO_NHWC, 4, &elem);
  if (s)
    return s;
  if (v->data) {
    if (!mlirValueIsNull(v->nhwc) && mlirTypeEqual(onnx_elem_of(v->nhwc), elem)) {
      *out = v->nhwc;
      return NULL;
    }
    size_t es = mcu_onnx_dtype_size(v->dtype);
    uint8_t *t = onnx_alloc(imp, (size_t)v->count * es);
    if (!t)
      return onnx_oom(imp);
    permute4(v->data, es, v->dims, ONNX_TO_NHWC, t);
    int64_t d[4] = {v->dims[0], v->dims[2], v->dims[3], v->dims[1]};
    s = onnx_emit_const(imp, 4, d, v->dtype, t, v->count, elem, v->name, out);
    if (!s && mlirValueIsNull(v->nhwc))
      v->nhwc = *out;
    return s;
  }
  s = require_elem(imp, v, want);
  if (s)
    return s;
  if (mlirValueIsNull(v->nhwc)) {
    s = onnx_emit_transpose(imp, v->nchw, ONNX_TO_NHWC, name, &v->nhwc);
    if (s)
      return s;
  }
  *out = v->nhwc;
  return NULL;
}
