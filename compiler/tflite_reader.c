/* tflite_reader.c: decodes a .tflite FlatBuffer (the TFLite schema) into tfl_model_t, checking every offset. */
#include "tflite_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A FlatBuffer is a tree of tables reached through unsigned 32-bit offsets relative to where each offset is
 * stored. A table starts with a signed 32-bit offset back (or forward) to its vtable: u16 vtable size, u16 table
 * size, then one u16 per field id giving the field's offset inside the table (0 = absent: the schema default).
 * Vectors are a u32 element count followed by the elements; strings are byte vectors; a union is a u8 type field
 * followed by a table field. Everything is little-endian and read byte by byte, so alignment never matters.
 *
 * Every read below is checked against the buffer before it happens; malformed input gives an error naming the
 * object, never a read outside the buffer. Work is bounded: the decoder allocates at most `budget` bytes (a
 * multiple of the file size), so a file whose offsets alias one large vector many times cannot make it spin.
 * Known weakness: it accepts some files a strict FlatBuffers verifier refuses (misaligned fields, strings without
 * their terminating NUL, fields outside their table's declared size) since none of these can make it misread. */

typedef struct dec {
  const uint8_t *p;
  size_t n;
  tfl_model_t *m;
  char err[256];
} dec_t;

typedef struct tbl {
  size_t pos;     /* table start */
  size_t vt;      /* vtable start */
  size_t nfields; /* field slots in the vtable */
} tbl_t;

typedef struct vec {
  size_t pos; /* first element */
  size_t count;
} vec_t;

static int bad(dec_t *d, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(dec_t *d, const char *what, const char *fmt, ...) {
  if (d->err[0])
    return -1;
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(d->err, sizeof d->err, "%s: %s", what, msg);
  return -1;
}

static uint32_t rd_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Zeroed memory for n elements of `size`, owned by the model; NULL (with d->err set) past the budget. */
static void *dalloc(dec_t *d, size_t n, size_t size, const char *what) {
  tfl_model_t *m = d->m;
  if (size && n > m->budget / size) {
    bad(d, what, "too large (more memory than a file of this size can describe)");
    return NULL;
  }
  size_t bytes = n * size;
  if (m->num_allocs == m->cap_allocs) {
    size_t cap = m->cap_allocs ? 2 * m->cap_allocs : 64;
    void **a = realloc(m->allocs, cap * sizeof *a);
    if (!a) {
      bad(d, what, "out of memory");
      return NULL;
    }
    m->allocs = a;
    m->cap_allocs = cap;
  }
  void *p = calloc(1, bytes ? bytes : 1);
  if (!p) {
    bad(d, what, "out of memory");
    return NULL;
  }
  m->budget -= bytes;
  m->allocs[m->num_allocs++] = p;
  return p;
}

/* The table whose start is at `pos`. */
static int table_at(dec_t *d, size_t pos, const char *what, tbl_t *out) {
  if (d->n < 4 || pos > d->n - 4)
    return bad(d, what, "table offset %zu is outside the file", pos);
  int64_t vt = (int64_t)pos - (int64_t)(int32_t)rd_u32(d->p + pos);
  if (vt < 0 || (uint64_t)vt > d->n - 4)
    return bad(d, what, "vtable offset is outside the file");
  size_t vsize = rd_u16(d->p + vt);
  if (vsize < 4 || (vsize & 1) || vsize > d->n - (size_t)vt)
    return bad(d, what, "bad vtable size %zu", vsize);
  out->pos = pos;
  out->vt = (size_t)vt;
  out->nfields = (vsize - 4) / 2;
  return 0;
}

/* Position of field `id` holding `width` bytes: 0 absent, 1 present (*out set), -1 malformed. */
static int field(dec_t *d, const tbl_t *t, int id, size_t width, const char *what, size_t *out) {
  *out = 0;
  if ((size_t)id >= t->nfields)
    return 0;
  size_t off = rd_u16(d->p + t->vt + 4 + 2 * (size_t)id);
  if (!off)
    return 0;
  if (off > d->n - t->pos || width > d->n - t->pos - off)
    return bad(d, what, "field %d lies outside the file", id);
  *out = t->pos + off;
  return 1;
}

static int get_u8(dec_t *d, const tbl_t *t, int id, uint8_t def, const char *what, uint8_t *out) {
  size_t f;
  int r = field(d, t, id, 1, what, &f);
  *out = r == 1 ? d->p[f] : def;
  return r < 0 ? -1 : 0;
}
static int get_i8(dec_t *d, const tbl_t *t, int id, int def, const char *what, int *out) {
  uint8_t u;
  if (get_u8(d, t, id, (uint8_t)(int8_t)def, what, &u))
    return -1;
  *out = (int8_t)u;
  return 0;
}
static int get_u32(dec_t *d, const tbl_t *t, int id, uint32_t def, const char *what, uint32_t *out) {
  size_t f;
  int r = field(d, t, id, 4, what, &f);
  *out = r == 1 ? rd_u32(d->p + f) : def;
  return r < 0 ? -1 : 0;
}
static int get_i32(dec_t *d, const tbl_t *t, int id, int32_t def, const char *what, int32_t *out) {
  uint32_t u;
  if (get_u32(d, t, id, (uint32_t)def, what, &u))
    return -1;
  *out = (int32_t)u;
  return 0;
}
static int get_int(dec_t *d, const tbl_t *t, int id, int32_t def, const char *what, int *out) {
  int32_t v;
  if (get_i32(d, t, id, def, what, &v))
    return -1;
  *out = v;
  return 0;
}
static int get_u64(dec_t *d, const tbl_t *t, int id, uint64_t def, const char *what, uint64_t *out) {
  size_t f;
  int r = field(d, t, id, 8, what, &f);
  *out = r == 1 ? (uint64_t)rd_u32(d->p + f) | (uint64_t)rd_u32(d->p + f + 4) << 32 : def;
  return r < 0 ? -1 : 0;
}
static int get_f32(dec_t *d, const tbl_t *t, int id, float def, const char *what, float *out) {
  size_t f;
  int r = field(d, t, id, 4, what, &f);
  if (r == 1) {
    uint32_t u = rd_u32(d->p + f);
    memcpy(out, &u, 4);
  } else {
    *out = def;
  }
  return r < 0 ? -1 : 0;
}

/* Follows the offset stored in field `id`: 0 absent, 1 present (*out = target, with at least 4 bytes), -1. */
static int deref(dec_t *d, const tbl_t *t, int id, const char *what, size_t *out) {
  size_t f;
  int r = field(d, t, id, 4, what, &f);
  if (r <= 0)
    return r;
  uint64_t target = (uint64_t)f + rd_u32(d->p + f);
  if (d->n < 4 || target > d->n - 4)
    return bad(d, what, "field %d points outside the file", id);
  *out = (size_t)target;
  return 1;
}

static int get_table(dec_t *d, const tbl_t *t, int id, const char *what, int *present, tbl_t *out) {
  size_t target;
  int r = deref(d, t, id, what, &target);
  *present = r == 1;
  if (r <= 0)
    return r;
  return table_at(d, target, what, out);
}

/* The vector in field `id` of `esize`-byte elements (count 0 when absent; *present says which). */
static int get_vec(dec_t *d, const tbl_t *t, int id, size_t esize, const char *what, int *present, vec_t *out) {
  size_t target;
  out->pos = 0;
  out->count = 0;
  int r = deref(d, t, id, what, &target);
  if (present)
    *present = r == 1;
  if (r <= 0)
    return r;
  size_t count = rd_u32(d->p + target), room = d->n - target - 4;
  if (count > room / esize)
    return bad(d, what, "vector (field %d) of %zu elements runs past the end of the file", id, count);
  out->pos = target + 4;
  out->count = count;
  return 0;
}

/* The table that element i of a vector of tables points at. */
static int vec_table(dec_t *d, const vec_t *v, size_t i, const char *what, tbl_t *out) {
  size_t at = v->pos + 4 * i;
  uint64_t target = (uint64_t)at + rd_u32(d->p + at);
  if (target > d->n)
    return bad(d, what, "element offset is outside the file");
  return table_at(d, (size_t)target, what, out);
}

/* A copy of the string in field `id` (NULL when absent), control characters replaced by '?'. */
static int get_string(dec_t *d, const tbl_t *t, int id, const char *what, char **out) {
  vec_t v;
  int present;
  *out = NULL;
  if (get_vec(d, t, id, 1, what, &present, &v))
    return -1;
  if (!present)
    return 0;
  char *s = dalloc(d, v.count + 1, 1, what);
  if (!s)
    return -1;
  for (size_t i = 0; i < v.count; ++i) {
    uint8_t c = d->p[v.pos + i];
    s[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
  }
  *out = s;
  return 0;
}

/* A copy of an [int] vector field (NULL and *count -1 when absent). */
static int get_i32_vec(dec_t *d, const tbl_t *t, int id, const char *what, int *out_count, int32_t **out) {
  vec_t v;
  int present;
  *out = NULL;
  *out_count = -1;
  if (get_vec(d, t, id, 4, what, &present, &v))
    return -1;
  if (!present)
    return 0;
  if (v.count > INT32_MAX / 4)
    return bad(d, what, "vector too long");
  int32_t *a = dalloc(d, v.count, sizeof *a, what);
  if (!a)
    return -1;
  for (size_t i = 0; i < v.count; ++i)
    a[i] = (int32_t)rd_u32(d->p + v.pos + 4 * i);
  *out = a;
  *out_count = (int)v.count;
  return 0;
}

/* ---- schema tables ---- */

static int read_quant(dec_t *d, const tbl_t *t, const char *what, tfl_quant_t *q) {
  vec_t sv, zv;
  uint8_t details_type;
  if (get_vec(d, t, 2, 4, what, NULL, &sv) || get_vec(d, t, 3, 8, what, NULL, &zv) ||
      get_u8(d, t, 4, 0, what, &details_type) || get_i32(d, t, 6, 0, what, &q->quantized_dimension))
    return -1;
  if (sv.count > INT32_MAX / 8 || zv.count > INT32_MAX / 8)
    return bad(d, what, "too many quantization parameters");
  q->has_details = details_type != 0;
  q->scales = dalloc(d, sv.count, sizeof *q->scales, what);
  q->zero_points = dalloc(d, zv.count, sizeof *q->zero_points, what);
  if (!q->scales || !q->zero_points)
    return -1;
  for (size_t i = 0; i < sv.count; ++i) {
    uint32_t u = rd_u32(d->p + sv.pos + 4 * i);
    memcpy(&q->scales[i], &u, 4);
  }
  for (size_t i = 0; i < zv.count; ++i) {
    const uint8_t *p = d->p + zv.pos + 8 * i;
    q->zero_points[i] = (int64_t)((uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32);
  }
  q->num_scales = (int)sv.count;
  q->num_zero_points = (int)zv.count;
  return 0;
}

static int read_tensor(dec_t *d, const tbl_t *t, const char *what, tfl_tensor_t *out) {
  int present;
  uint8_t is_var;
  tbl_t q, sp;
  if (get_i32_vec(d, t, 0, what, &out->rank, &out->shape) || get_i8(d, t, 1, 0, what, &out->type) ||
      get_u32(d, t, 2, 0, what, &out->buffer) || get_string(d, t, 3, what, &out->name) ||
      get_u8(d, t, 5, 0, what, &is_var) || get_table(d, t, 6, what, &out->is_sparse, &sp) ||
      get_i32_vec(d, t, 7, what, &out->sig_rank, &out->shape_signature))
    return -1;
  out->is_variable = is_var != 0;
  if (!out->name) {
    out->name = dalloc(d, 1, 1, what);
    if (!out->name)
      return -1;
  }
  if (get_table(d, t, 4, what, &present, &q))
    return -1;
  out->has_quant = present;
  if (present && read_quant(d, &q, what, &out->quant))
    return -1;
  return 0;
}

static int read_options(dec_t *d, const tbl_t *t, int type, const char *what, tfl_options_t *o) {
  uint8_t b0 = 0, b1 = 0;
  switch (type) {
  case TFL_OPT_CONV2D:
    return get_i8(d, t, 0, 0, what, &o->padding) || get_int(d, t, 1, 0, what, &o->stride_w) ||
                   get_int(d, t, 2, 0, what, &o->stride_h) || get_i8(d, t, 3, 0, what, &o->activation) ||
                   get_int(d, t, 4, 1, what, &o->dilation_w) || get_int(d, t, 5, 1, what, &o->dilation_h)
               ? -1
               : 0;
  case TFL_OPT_DEPTHWISE_CONV2D:
    return get_i8(d, t, 0, 0, what, &o->padding) || get_int(d, t, 1, 0, what, &o->stride_w) ||
                   get_int(d, t, 2, 0, what, &o->stride_h) || get_int(d, t, 3, 0, what, &o->depth_multiplier) ||
                   get_i8(d, t, 4, 0, what, &o->activation) || get_int(d, t, 5, 1, what, &o->dilation_w) ||
                   get_int(d, t, 6, 1, what, &o->dilation_h)
               ? -1
               : 0;
  case TFL_OPT_POOL2D:
    return get_i8(d, t, 0, 0, what, &o->padding) || get_int(d, t, 1, 0, what, &o->stride_w) ||
                   get_int(d, t, 2, 0, what, &o->stride_h) || get_int(d, t, 3, 0, what, &o->filter_w) ||
                   get_int(d, t, 4, 0, what, &o->filter_h) || get_i8(d, t, 5, 0, what, &o->activation)
               ? -1
               : 0;
  case TFL_OPT_FULLY_CONNECTED:
    if (get_i8(d, t, 0, 0, what, &o->activation) || get_i8(d, t, 1, 0, what, &o->weights_format) ||
        get_u8(d, t, 2, 0, what, &b0))
      return -1;
    o->keep_num_dims = b0 != 0;
    return 0;
  case TFL_OPT_SOFTMAX:
    return get_f32(d, t, 0, 0.0f, what, &o->beta);
  case TFL_OPT_CONCATENATION:
    return get_int(d, t, 0, 0, what, &o->axis) || get_i8(d, t, 1, 0, what, &o->activation) ? -1 : 0;
  case TFL_OPT_ADD:
  case TFL_OPT_SUB:
  case TFL_OPT_MUL:
    return get_i8(d, t, 0, 0, what, &o->activation);
  case TFL_OPT_REDUCER:
    if (get_u8(d, t, 0, 0, what, &b0))
      return -1;
    o->keep_dims = b0 != 0;
    return 0;
  case TFL_OPT_RESIZE_NEAREST:
    if (get_u8(d, t, 0, 0, what, &b0) || get_u8(d, t, 1, 0, what, &b1))
      return -1;
    o->align_corners = b0 != 0;
    o->half_pixel_centers = b1 != 0;
    return 0;
  case TFL_OPT_SQUEEZE: {
    int n;
    int32_t *dims;
    if (get_i32_vec(d, t, 0, what, &n, &dims))
      return -1;
    if (n > TFL_MAX_SQUEEZE_DIMS)
      return bad(d, what, "%d squeeze_dims, at most %d", n, TFL_MAX_SQUEEZE_DIMS);
    o->num_squeeze_dims = n;
    for (int i = 0; i < n; ++i)
      o->squeeze_dims[i] = dims[i];
    return 0;
  }
  default:
    return 0;
  }
}

static int read_operator(dec_t *d, const tbl_t *t, const char *what, tfl_operator_t *out) {
  uint8_t type;
  int present;
  tbl_t opt;
  vec_t custom;
  if (get_u32(d, t, 0, 0, what, &out->opcode_index) ||
      get_i32_vec(d, t, 1, what, &out->num_inputs, &out->inputs) ||
      get_i32_vec(d, t, 2, what, &out->num_outputs, &out->outputs) || get_u8(d, t, 3, 0, what, &type) ||
      get_vec(d, t, 5, 1, what, &out->has_custom_options, &custom))
    return -1;
  if (out->num_inputs < 0)
    out->num_inputs = 0;
  if (out->num_outputs < 0)
    out->num_outputs = 0;
  tfl_options_t *o = &out->options;
  memset(o, 0, sizeof *o);
  o->dilation_w = o->dilation_h = 1;
  o->num_squeeze_dims = -1;
  if (get_table(d, t, 4, what, &present, &opt))
    return -1;
  o->type = present ? type : TFL_OPT_NONE;
  if (present && read_options(d, &opt, type, what, o))
    return -1;
  return 0;
}

static int read_subgraph(dec_t *d, const tbl_t *t, int index, tfl_subgraph_t *out) {
  char what[96];
  snprintf(what, sizeof what, "subgraph %d", index);
  vec_t tv, ov;
  if (get_vec(d, t, 0, 4, what, NULL, &tv) || get_i32_vec(d, t, 1, what, &out->num_inputs, &out->inputs) ||
      get_i32_vec(d, t, 2, what, &out->num_outputs, &out->outputs) || get_vec(d, t, 3, 4, what, NULL, &ov) ||
      get_string(d, t, 4, what, &out->name))
    return -1;
  if (out->num_inputs < 0)
    out->num_inputs = 0;
  if (out->num_outputs < 0)
    out->num_outputs = 0;
  if (tv.count > INT32_MAX / 4 || ov.count > INT32_MAX / 4)
    return bad(d, what, "too many tensors or operators");
  out->tensors = dalloc(d, tv.count, sizeof *out->tensors, what);
  out->operators = dalloc(d, ov.count, sizeof *out->operators, what);
  if (!out->tensors || !out->operators)
    return -1;
  out->num_tensors = (int)tv.count;
  out->num_operators = (int)ov.count;
  for (size_t i = 0; i < tv.count; ++i) {
    tbl_t tt;
    snprintf(what, sizeof what, "subgraph %d tensor %zu", index, i);
    if (vec_table(d, &tv, i, what, &tt) || read_tensor(d, &tt, what, &out->tensors[i]))
      return -1;
  }
  for (size_t i = 0; i < ov.count; ++i) {
    tbl_t ot;
    snprintf(what, sizeof what, "subgraph %d operator %zu", index, i);
    if (vec_table(d, &ov, i, what, &ot) || read_operator(d, &ot, what, &out->operators[i]))
      return -1;
  }
  return 0;
}

static int read_model(dec_t *d) {
  tfl_model_t *m = d->m;
  if (d->n < 8)
    return bad(d, "file", "%zu bytes, too short", d->n);
  if (memcmp(d->p + 4, "TFL3", 4))
    return bad(d, "file", "file identifier is not TFL3");
  tbl_t root;
  if (table_at(d, rd_u32(d->p), "model", &root))
    return -1;
  vec_t cv, sv, bv;
  if (get_u32(d, &root, 0, 0, "model", &m->version) || get_vec(d, &root, 1, 4, "model", NULL, &cv) ||
      get_vec(d, &root, 2, 4, "model", NULL, &sv) || get_vec(d, &root, 4, 4, "model", NULL, &bv))
    return -1;
  if (cv.count > INT32_MAX / 4 || sv.count > INT32_MAX / 4 || bv.count > INT32_MAX / 4)
    return bad(d, "model", "too many operator codes, subgraphs or buffers");
  m->opcodes = dalloc(d, cv.count, sizeof *m->opcodes, "model");
  m->subgraphs = dalloc(d, sv.count, sizeof *m->subgraphs, "model");
  m->buffers = dalloc(d, bv.count, sizeof *m->buffers, "model");
  if (!m->opcodes || !m->subgraphs || !m->buffers)
    return -1;
  m->num_opcodes = (int)cv.count;
  m->num_subgraphs = (int)sv.count;
  m->num_buffers = (int)bv.count;
  char what[64];
  for (size_t i = 0; i < cv.count; ++i) {
    tbl_t t;
    int deprecated;
    int32_t code;
    tfl_opcode_t *c = &m->opcodes[i];
    snprintf(what, sizeof what, "operator code %zu", i);
    if (vec_table(d, &cv, i, what, &t) || get_i8(d, &t, 0, 0, what, &deprecated) ||
        get_string(d, &t, 1, what, &c->custom_code) || get_i32(d, &t, 2, 1, what, &c->version) ||
        get_i32(d, &t, 3, 0, what, &code))
      return -1;
    c->builtin = code > deprecated ? code : deprecated;
  }
  for (size_t i = 0; i < bv.count; ++i) {
    tbl_t t;
    vec_t data;
    uint64_t offset, size;
    snprintf(what, sizeof what, "buffer %zu", i);
    if (vec_table(d, &bv, i, what, &t) || get_vec(d, &t, 0, 1, what, NULL, &data) ||
        get_u64(d, &t, 1, 0, what, &offset) || get_u64(d, &t, 2, 0, what, &size))
      return -1;
    tfl_buffer_t *b = &m->buffers[i];
    if (offset > 1) { /* data stored after the FlatBuffer, at `offset` from the start of the file */
      if (offset > d->n || size > d->n - offset)
        return bad(d, what, "external data [%llu, +%llu) is outside the file", (unsigned long long)offset,
                   (unsigned long long)size);
      b->data = size ? d->p + offset : NULL;
      b->size = (size_t)size;
    } else {
      b->data = data.count ? d->p + data.pos : NULL;
      b->size = data.count;
    }
  }
  for (size_t i = 0; i < sv.count; ++i) {
    tbl_t t;
    snprintf(what, sizeof what, "subgraph %zu", i);
    if (vec_table(d, &sv, i, what, &t) || read_subgraph(d, &t, (int)i, &m->subgraphs[i]))
      return -1;
  }
  return 0;
}

mcu_status_t tfl_model_read(const uint8_t *buf, size_t len, tfl_model_t *out_model) {
  memset(out_model, 0, sizeof *out_model);
  if (!buf)
    len = 0;
  size_t cap = (SIZE_MAX - ((size_t)1 << 20)) / 64;
  out_model->budget = (len < cap ? len : cap) * 64 + ((size_t)1 << 20);
  dec_t d = {.p = buf, .n = len, .m = out_model};
  if (read_model(&d)) {
    tfl_model_free(out_model);
    return mcu_status_errorf("%s", d.err[0] ? d.err : "malformed");
  }
  return NULL;
}

void tfl_model_free(tfl_model_t *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->num_allocs; ++i)
    free(m->allocs[i]);
  free(m->allocs);
  memset(m, 0, sizeof *m);
}

/* ---- names ---- */

const char *tfl_builtin_name(int32_t code) {
  static const char *const names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
    "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
    "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
    "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE",
    "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
    "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
    "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE",
    "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD",
    "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
    "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
    "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
    "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
    "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
    "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
    "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
    "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD",
    "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP",
    "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE",
    "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE",
    "STABLEHLO_EXPONENTIAL", "STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE",
    "STABLEHLO_OR", "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
    "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE", "STABLEHLO_CONVERT",
    "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD", "STABLEHLO_IOTA",
    "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER",
    "STABLEHLO_TRANSPOSE", "DILATE", "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE",
    "STABLEHLO_SHIFT_LEFT", "STABLEHLO_CBRT", "STABLEHLO_CASE",
  };
  if (code >= 0 && code < (int32_t)(sizeof names / sizeof names[0]))
    return names[code];
  return "UNKNOWN";
}

const char *tfl_type_name(int type) {
  static const char *const names[] = {"FLOAT32", "FLOAT16", "INT32",  "UINT8",     "INT64",       "STRING",
                                      "BOOL",    "INT16",   "COMPLEX64", "INT8",   "FLOAT64",     "COMPLEX128",
                                      "UINT64",  "RESOURCE", "VARIANT", "UINT32",  "UINT16",      "INT4",
                                      "BFLOAT16", "INT2",   "UINT4",   "FLOAT8_E4M3FN", "FLOAT8_E5M2"};
  if (type >= 0 && type < (int)(sizeof names / sizeof names[0]))
    return names[type];
  return "UNKNOWN";
}
