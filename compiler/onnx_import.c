/* onnx_import.c: reads an ONNX ModelProto (QOperator form) with protobuf-c and builds the `mcu` module. */
#include "onnx_import.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Func.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "onnx.pb-c.h"
#include "program.h"

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

enum {
  DT_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
  DT_UINT8 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,
  DT_INT8 = ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
  DT_INT32 = ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
  DT_INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
};

/* Largest element count (and dimension) accepted anywhere: far above any microcontroller tensor. */
#define MAX_ELEMENTS ((int64_t)INT32_MAX)
/* Largest stride, dilation or pad accepted (keeps every shape computation far from overflow). */
#define MAX_WINDOW ((int64_t)1 << 20)

typedef struct value {
  const char *name;
  int dtype;
  int rank;
  int64_t dims[MCU_MAX_RANK]; /* ONNX layout, even when only the NHWC twin exists */
  int64_t count;
  const uint8_t *data; /* constants: count little-endian elements of dtype; NULL otherwise */
  MlirValue nchw, nhwc;
  int pending;     /* element type not fixed yet (graph input or pass-through of one) */
  int pending_src; /* the pending value this one was computed from, or -1 for a graph input */
  int index;
} value_t;

typedef struct importer {
  MlirContext ctx;
  const char *path;
  MlirBlock block;
  value_t **values;
  int num_values, cap_values;
  /* name -> value index, open addressing; names are not owned */
  const char **slot_names;
  int *slot_values;
  size_t num_slots, used_slots;
  /* every allocation made during the import, freed at the end */
  void **allocs;
  size_t num_allocs, cap_allocs;
  /* the node being imported (NULL outside nodes), for messages, locations and `mcu.name` */
  const Onnx__NodeProto *node;
  const char *node_name;
  MlirLocation loc;
} importer_t;

static const char *str(const char *s) { return s ? s : ""; }

static const char *dtype_name(int dt) {
  static const char *names[] = {"UNDEFINED",      "FLOAT",    "UINT8",        "INT8",           "UINT16",
                                "INT16",          "INT32",    "INT64",        "STRING",         "BOOL",
                                "FLOAT16",        "DOUBLE",   "UINT32",       "UINT64",         "COMPLEX64",
                                "COMPLEX128",     "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                                "FLOAT8E5M2FNUZ", "UINT4",    "INT4"};
  if (dt >= 0 && dt < (int)(sizeof names / sizeof names[0]))
    return names[dt];
  return "UNKNOWN";
}

static size_t dtype_size(int dt) {
  switch (dt) {
  case DT_UINT8:
  case DT_INT8:
    return 1;
  case DT_FLOAT:
  case DT_INT32:
    return 4;
  case DT_INT64:
    return 8;
  default:
    return 0;
  }
}

static int is_q8(int dt) { return dt == DT_UINT8 || dt == DT_INT8; }

/* ---- errors and memory ---- */

static mcu_status_t fail(importer_t *imp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mcu_status_t fail(importer_t *imp, const char *fmt, ...) {
  char reason[512], msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  if (imp->node)
    snprintf(msg, sizeof msg, "node '%.200s' (%.100s): %s", imp->node_name, str(imp->node->op_type), reason);
  else
    snprintf(msg, sizeof msg, "%s", reason);
  /* Names come from the file: keep the message on one line. */
  for (char *p = msg; *p; ++p)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  return mcu_status_errorf("%s: %s", imp->path, msg);
}

static mcu_status_t oom(importer_t *imp) { return fail(imp, "out of memory"); }

/* Zeroed memory owned by the importer (freed when the import ends, on every path). NULL when out of memory. */
static void *imp_alloc(importer_t *imp, size_t size) {
  if (imp->num_allocs == imp->cap_allocs) {
    size_t cap = imp->cap_allocs ? imp->cap_allocs * 2 : 64;
    void **grown = realloc(imp->allocs, cap * sizeof *grown);
    if (!grown)
      return NULL;
    imp->allocs = grown;
    imp->cap_allocs = cap;
  }
  void *p = calloc(1, size ? size : 1);
  if (p)
    imp->allocs[imp->num_allocs++] = p;
  return p;
}

static void importer_free(importer_t *imp) {
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

static int name_lookup(const importer_t *imp, const char *name) {
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

/* Binds `name` to value `v`; an existing binding is an error (ONNX values are defined once). */
static mcu_status_t name_bind(importer_t *imp, const char *name, int v) {
  if (name_lookup(imp, name) >= 0)
    return fail(imp, "value '%s' is defined twice", name);
  if (2 * (imp->used_slots + 1) > imp->num_slots) {
    size_t n = imp->num_slots ? imp->num_slots * 2 : 256;
    const char **names = calloc(n, sizeof *names);
    int *values = calloc(n, sizeof *values);
    if (!names || !values) {
      free(names);
      free(values);
      return oom(imp);
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

/* Adds a value named `name` (a copy of *proto) and binds the name. */
static mcu_status_t value_add(importer_t *imp, const char *name, const value_t *proto, value_t **out) {
  if (!name || !*name)
    return fail(imp, "a value has an empty name");
  if (imp->num_values == imp->cap_values) {
    int cap = imp->cap_values ? imp->cap_values * 2 : 64;
    value_t **grown = realloc(imp->values, (size_t)cap * sizeof *grown);
    if (!grown)
      return oom(imp);
    imp->values = grown;
    imp->cap_values = cap;
  }
  value_t *v = imp_alloc(imp, sizeof *v);
  if (!v)
    return oom(imp);
  *v = *proto;
  v->name = name;
  v->index = imp->num_values;
  mcu_status_t s = name_bind(imp, name, v->index);
  if (s)
    return s;
  imp->values[imp->num_values++] = v;
  *out = v;
  return NULL;
}

/* ---- shapes ---- */

/* Element count of a shape; dims must be in [0, MAX_ELEMENTS] and the product at most MAX_ELEMENTS. */
static int shape_count(int rank, const int64_t *dims, int64_t *out_count) {
  int64_t c = 1;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] < 0 || dims[i] > MAX_ELEMENTS)
      return 0;
    if (dims[i] && c > MAX_ELEMENTS / dims[i])
      return 0;
    c *= dims[i];
  }
  *out_count = c;
  return 1;
}

static void shape_str(int rank, const int64_t *dims, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = 0;
  used += (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && used < cap; ++i)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (used < cap)
    snprintf(buf + used, cap - used, "]");
}

/* ---- constant data ---- */

static int64_t data_i64(const value_t *v, int64_t i) {
  const uint8_t *p = v->data + (size_t)i * dtype_size(v->dtype);
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

static float data_f32(const value_t *v, int64_t i) {
  const uint8_t *p = v->data + (size_t)i * 4;
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static void put_le(uint8_t *p, uint64_t u, size_t n) {
  for (size_t k = 0; k < n; ++k)
    p[k] = (uint8_t)(u >> (8 * k));
}

/* Decodes a TensorProto into a constant value (data copied, little-endian). Accepts raw_data or the typed
 * fields (float_data for FLOAT; int32_data for UINT8/INT8/INT32, range-checked; int64_data for INT64); the data
 * length must match the dims exactly. `what` names the tensor in messages. */
static mcu_status_t decode_tensor(importer_t *imp, const Onnx__TensorProto *t, const char *what, value_t *out) {
  memset(out, 0, sizeof *out);
  out->dtype = t->has_data_type ? t->data_type : 0;
  size_t es = dtype_size(out->dtype);
  if (!es)
    return fail(imp, "%s: dtype %s is not supported", what, dtype_name(out->dtype));
  if (t->n_dims > MCU_MAX_RANK)
    return fail(imp, "%s: rank %zu exceeds %d", what, t->n_dims, MCU_MAX_RANK);
  out->rank = (int)t->n_dims;
  for (int i = 0; i < out->rank; ++i)
    out->dims[i] = t->dims[i];
  if (!shape_count(out->rank, out->dims, &out->count))
    return fail(imp, "%s: bad or too large dims", what);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return fail(imp, "%s: external data is not supported", what);
  if (t->segment)
    return fail(imp, "%s: segmented tensors are not supported", what);
  /* Check the data length before allocating: the dims alone may claim gigabytes. */
  size_t nbytes = (size_t)out->count * es;
  if (t->has_raw_data && t->raw_data.len != nbytes)
    return fail(imp, "%s: raw_data holds %zu bytes, %lld elements of %s need %zu", what, t->raw_data.len,
                (long long)out->count, dtype_name(out->dtype), nbytes);
  size_t have = out->dtype == DT_FLOAT ? t->n_float_data : out->dtype == DT_INT64 ? t->n_int64_data : t->n_int32_data;
  if (!t->has_raw_data && have != (size_t)out->count)
    return fail(imp, "%s: holds %zu values, its dims need %lld", what, have, (long long)out->count);
  uint8_t *data = imp_alloc(imp, nbytes);
  if (!data)
    return oom(imp);
  out->data = data;
  if (t->has_raw_data) {
    if (nbytes)
      memcpy(data, t->raw_data.data, nbytes);
    return NULL;
  }
  for (int64_t i = 0; i < out->count; ++i) {
    uint8_t *p = data + (size_t)i * es;
    switch (out->dtype) {
    case DT_FLOAT: {
      uint32_t u;
      memcpy(&u, &t->float_data[i], 4);
      put_le(p, u, 4);
      break;
    }
    case DT_INT64:
      put_le(p, (uint64_t)t->int64_data[i], 8);
      break;
    case DT_UINT8:
    case DT_INT8: {
      int32_t x = t->int32_data[i];
      int lo = out->dtype == DT_UINT8 ? 0 : -128, hi = out->dtype == DT_UINT8 ? 255 : 127;
      if (x < lo || x > hi)
        return fail(imp, "%s: value %d out of range for %s", what, (int)x, dtype_name(out->dtype));
      p[0] = (uint8_t)x;
      break;
    }
    default: /* INT32 */
      put_le(p, (uint32_t)t->int32_data[i], 4);
      break;
    }
  }
  return NULL;
}

/* Reads a whole file. "PATH: cannot open" when it cannot be opened. */
static mcu_status_t read_file(const char *path, uint8_t **out_buf, size_t *out_len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return mcu_status_errorf("%s: cannot open", path);
  long len = -1;
  if (!fseek(f, 0, SEEK_END))
    len = ftell(f);
  if (len < 0 || fseek(f, 0, SEEK_SET) || (unsigned long)len > (unsigned long)INT32_MAX) {
    fclose(f);
    return mcu_status_errorf("%s: cannot read (not a regular file, or larger than 2 GiB)", path);
  }
  uint8_t *buf = malloc((size_t)len + 1);
  if (!buf) {
    fclose(f);
    return mcu_status_errorf("%s: out of memory", path);
  }
  size_t got = fread(buf, 1, (size_t)len, f);
  fclose(f);
  if (got != (size_t)len) {
    free(buf);
    return mcu_status_errorf("%s: read error", path);
  }
  *out_buf = buf;
  *out_len = got;
  return NULL;
}

/* ---- MLIR helpers ---- */

static MlirStringRef sref(const char *s) { return mlirStringRefCreateFromCString(s); }

static MlirType tensor_type(int rank, const int64_t *dims, MlirType elem) {
  return mlirRankedTensorTypeGet(rank, dims, elem, mlirAttributeGetNull());
}

static MlirType elem_of(MlirValue v) { return mlirShapedTypeGetElementType(mlirValueGetType(v)); }

static void append_cb(MlirStringRef s, void *user) {
  char *buf = user;
  size_t used = strlen(buf), n = s.length;
  if (used + n > 255)
    n = 255 - used;
  memcpy(buf + used, s.data, n);
  buf[used + n] = 0;
}

/* Textual form of a type, for messages (truncated to 255 characters). */
static const char *type_str(importer_t *imp, MlirType t) {
  char *buf = imp_alloc(imp, 256);
  if (!buf)
    return "?";
  mlirTypePrint(t, append_cb, buf);
  return buf;
}

/* The quantized element type for uint8/int8 storage: real = scale * (q - zero_point); per tensor when n == 1,
 * else per slice along `axis`. Scales must already be checked positive and finite. */
static MlirType quant_type(importer_t *imp, int dtype, int n, const double *scales, const int64_t *zps, int axis) {
  int is_signed = dtype == DT_INT8;
  MlirType storage = mlirIntegerTypeGet(imp->ctx, 8), expressed = mlirF32TypeGet(imp->ctx);
  unsigned flags = is_signed ? mlirQuantizedTypeGetSignedFlag() : 0;
  int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  if (n == 1)
    return mlirUniformQuantizedTypeGet(flags, storage, expressed, scales[0], zps[0], lo, hi);
  return mlirUniformQuantizedPerAxisTypeGet(flags, storage, expressed, n, (double *)scales, (int64_t *)zps, axis, lo,
                                            hi);
}

/* Scale 1, zero point 0: the type of uint8/int8 tensors whose quantization no node states. */
static MlirType raw_quant_type(importer_t *imp, int dtype) {
  double one = 1.0;
  int64_t zero = 0;
  return quant_type(imp, dtype, 1, &one, &zero, -1);
}

/* Element type of a non-quantized or not-yet-quantized dtype. Null for unsupported dtypes. */
static MlirType default_elem(importer_t *imp, int dtype) {
  switch (dtype) {
  case DT_FLOAT:
    return mlirF32TypeGet(imp->ctx);
  case DT_INT32:
    return mlirIntegerTypeGet(imp->ctx, 32);
  case DT_UINT8:
  case DT_INT8:
    return raw_quant_type(imp, dtype);
  default:
    return (MlirType){NULL};
  }
}

/* The element type after permuting dimensions (output dim i = input dim perm[i]): moves a per-axis axis. */
static mcu_status_t permute_elem(importer_t *imp, MlirType elem, const int *perm, int rank, MlirType *out) {
  *out = elem;
  if (!mlirTypeIsAUniformQuantizedPerAxisType(elem))
    return NULL;
  int axis = mlirUniformQuantizedPerAxisTypeGetQuantizedDimension(elem), new_axis = -1;
  for (int i = 0; i < rank; ++i)
    if (perm[i] == axis)
      new_axis = i;
  intptr_t n = mlirUniformQuantizedPerAxisTypeGetNumDims(elem);
  double *scales = imp_alloc(imp, (size_t)n * sizeof *scales);
  int64_t *zps = imp_alloc(imp, (size_t)n * sizeof *zps);
  if (!scales || !zps)
    return oom(imp);
  for (intptr_t i = 0; i < n; ++i) {
    scales[i] = mlirUniformQuantizedPerAxisTypeGetScale(elem, i);
    zps[i] = mlirUniformQuantizedPerAxisTypeGetZeroPoint(elem, i);
  }
  *out = mlirUniformQuantizedPerAxisTypeGet(
      mlirQuantizedTypeGetFlags(elem), mlirQuantizedTypeGetStorageType(elem), mlirQuantizedTypeGetExpressedType(elem),
      n, scales, zps, new_axis, mlirQuantizedTypeGetStorageTypeMin(elem), mlirQuantizedTypeGetStorageTypeMax(elem));
  return NULL;
}

/* Creates `op` (one result) at the end of the function body, with `mcu.name` = name. */
static MlirValue emit(importer_t *imp, const char *op, int nops, const MlirValue *operands, MlirType result, int nattrs,
                      const MlirNamedAttribute *attrs, const char *name) {
  MlirOperationState st = mlirOperationStateGet(sref(op), imp->loc);
  if (nops)
    mlirOperationStateAddOperands(&st, nops, operands);
  mlirOperationStateAddResults(&st, 1, &result);
  if (nattrs)
    mlirOperationStateAddAttributes(&st, nattrs, attrs);
  MlirNamedAttribute n = mcu_named(imp->ctx, "mcu.name", mlirStringAttrGet(imp->ctx, sref(name)));
  mlirOperationStateAddAttributes(&st, 1, &n);
  MlirOperation o = mlirOperationCreate(&st);
  mlirBlockAppendOwnedOperation(imp->block, o);
  return mlirOperationGetResult(o, 0);
}

static MlirAttribute i64_array(importer_t *imp, int n, const int64_t *v) {
  return mlirDenseI64ArrayGet(imp->ctx, n, v);
}

/* A constant of `rank`/`dims` holding `data` (dtype storage, little-endian), typed `elem`. */
static mcu_status_t emit_const(importer_t *imp, int rank, const int64_t *dims, int dtype, const uint8_t *data,
                               int64_t count, MlirType elem, const char *name, MlirValue *out) {
  MlirType storage;
  switch (dtype) {
  case DT_UINT8:
    storage = mlirIntegerTypeUnsignedGet(imp->ctx, 8);
    break;
  case DT_INT8:
    storage = mlirIntegerTypeGet(imp->ctx, 8);
    break;
  case DT_INT32:
    storage = mlirIntegerTypeGet(imp->ctx, 32);
    break;
  case DT_FLOAT:
    storage = mlirF32TypeGet(imp->ctx);
    break;
  default:
    return fail(imp, "constant '%s': dtype %s tensors are not supported as operands", name, dtype_name(dtype));
  }
  if (count <= 0)
    return fail(imp, "constant '%s' is empty", name);
  MlirAttribute value =
      mlirDenseElementsAttrRawBufferGet(tensor_type(rank, dims, storage), (size_t)count * dtype_size(dtype), data);
  if (mlirAttributeIsNull(value))
    return fail(imp, "constant '%s': internal error making its attribute", name);
  MlirNamedAttribute a = mcu_named(imp->ctx, "value", value);
  *out = emit(imp, "mcu.constant", 0, NULL, tensor_type(rank, dims, elem), 1, &a, name);
  return NULL;
}

static mcu_status_t emit_transpose(importer_t *imp, MlirValue in, const int *perm, const char *name, MlirValue *out) {
  MlirType t = mlirValueGetType(in);
  int rank = (int)mlirShapedTypeGetRank(t);
  int64_t dims[MCU_MAX_RANK], p[MCU_MAX_RANK];
  for (int i = 0; i < rank; ++i) {
    dims[i] = mlirShapedTypeGetDimSize(t, perm[i]);
    p[i] = perm[i];
  }
  MlirType elem;
  mcu_status_t s = permute_elem(imp, mlirShapedTypeGetElementType(t), perm, rank, &elem);
  if (s)
    return s;
  MlirNamedAttribute a = mcu_named(imp->ctx, "perm", i64_array(imp, rank, p));
  *out = emit(imp, "mcu.transpose", 1, &in, tensor_type(rank, dims, elem), 1, &a, name);
  return NULL;
}

static const int TO_NHWC[4] = {0, 2, 3, 1}, TO_NCHW[4] = {0, 3, 1, 2};

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
static mcu_status_t onnx_elem(importer_t *imp, const value_t *v, MlirType *out) {
  out->ptr = NULL;
  if (!mlirValueIsNull(v->nchw)) {
    *out = elem_of(v->nchw);
    return NULL;
  }
  if (!mlirValueIsNull(v->nhwc))
    return permute_elem(imp, elem_of(v->nhwc), TO_NCHW, 4, out);
  return NULL;
}

/* Gives a pending value (and every value computed from it by pass-through ops) the element type `want`. */
static mcu_status_t fix_pending(importer_t *imp, value_t *v, MlirType want) {
  int root = v->index;
  while (imp->values[root]->pending_src >= 0)
    root = imp->values[root]->pending_src;
  int per_axis = mlirTypeIsAUniformQuantizedPerAxisType(want);
  char *in_tree = imp_alloc(imp, (size_t)imp->num_values);
  if (!in_tree)
    return oom(imp);
  for (int i = root; i < imp->num_values; ++i) {
    value_t *w = imp->values[i];
    if (i == root)
      in_tree[i] = 1;
    else
      in_tree[i] = w->pending && w->pending_src >= 0 && in_tree[w->pending_src];
    if (!in_tree[i])
      continue;
    if (per_axis && (w->rank != v->rank || memcmp(w->dims, v->dims, sizeof(int64_t) * (size_t)v->rank)))
      return fail(imp, "value '%s' needs a per-axis quantization that does not survive its reshapes", v->name);
    mlirValueSetType(w->nchw, tensor_type(w->rank, w->dims, want));
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
    return fail(imp, "input '%s' has element type %s, this node reads it as %s", v->name, type_str(imp, have),
                type_str(imp, want));
  return NULL;
}

/* The value in ONNX layout with element type `want` (null: whatever it has; constants then get their dtype's
 * default type). */
static mcu_status_t get_nchw(importer_t *imp, value_t *v, MlirType want, MlirValue *out) {
  if (v->data) {
    MlirType elem = mlirTypeIsNull(want) ? default_elem(imp, v->dtype) : want;
    if (mlirTypeIsNull(elem))
      return fail(imp, "constant '%s': dtype %s tensors are not supported as operands", v->name, dtype_name(v->dtype));
    if (!mlirValueIsNull(v->nchw) && mlirTypeEqual(elem_of(v->nchw), elem)) {
      *out = v->nchw;
      return NULL;
    }
    mcu_status_t s = emit_const(imp, v->rank, v->dims, v->dtype, v->data, v->count, elem, v->name, out);
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
    char *name = imp_alloc(imp, n);
    if (!name)
      return oom(imp);
    snprintf(name, n, "%s_nchw", v->name);
    mcu_status_t s = emit_transpose(imp, v->nhwc, TO_NCHW, name, &v->nchw);
    if (s)
      return s;
  }
  *out = v->nchw;
  return NULL;
}

/* The value in NHWC layout (4-D only) with element type `want` (in ONNX layout terms). Constants are
 * transposed at import time. */
static mcu_status_t get_nhwc(importer_t *imp, value_t *v, MlirType want, MlirValue *out) {
  if (v->rank != 4)
    return fail(imp, "input '%s' must be 4-D", v->name);
  size_t n = strlen(v->name) + 6;
  char *name = imp_alloc(imp, n);
  if (!name)
    return oom(imp);
  snprintf(name, n, "%s_nhwc", v->name);
  MlirType elem;
  mcu_status_t s = permute_elem(imp, want, TO_NHWC, 4, &elem);
  if (s)
    return s;
  if (v->data) {
    if (!mlirValueIsNull(v->nhwc) && mlirTypeEqual(elem_of(v->nhwc), elem)) {
      *out = v->nhwc;
      return NULL;
    }
    size_t es = dtype_size(v->dtype);
    uint8_t *t = imp_alloc(imp, (size_t)v->count * es);
    if (!t)
      return oom(imp);
    permute4(v->data, es, v->dims, TO_NHWC, t);
    int64_t d[4] = {v->dims[0], v->dims[2], v->dims[3], v->dims[1]};
    s = emit_const(imp, 4, d, v->dtype, t, v->count, elem, v->name, out);
    if (!s && mlirValueIsNull(v->nhwc))
      v->nhwc = *out;
    return s;
  }
  s = require_elem(imp, v, want);
  if (s)
    return s;
  if (mlirValueIsNull(v->nhwc)) {
    s = emit_transpose(imp, v->nchw, TO_NHWC, name, &v->nhwc);
    if (s)
      return s;
  }
  *out = v->nhwc;
  return NULL;
}

/* ---- nodes: inputs, outputs, attributes ---- */

/* Input k of the current node: NULL (and no error) when absent or empty and !required. */
static mcu_status_t node_input(importer_t *imp, int k, int required, value_t **out) {
  *out = NULL;
  const Onnx__NodeProto *n = imp->node;
  const char *name = (size_t)k < n->n_input ? str(n->input[k]) : "";
  if (!*name)
    return required ? fail(imp, "input %d is missing", k) : NULL;
  int i = name_lookup(imp, name);
  if (i < 0)
    return fail(imp, "input '%s' is not defined before this node", name);
  *out = imp->values[i];
  return NULL;
}

static mcu_status_t node_output(importer_t *imp, const value_t *proto, value_t **out) {
  const Onnx__NodeProto *n = imp->node;
  if (n->n_output < 1 || !n->output[0] || !*n->output[0])
    return fail(imp, "the node has no output");
  return value_add(imp, n->output[0], proto, out);
}

static const Onnx__AttributeProto *find_attr(importer_t *imp, const char *name) {
  for (size_t i = 0; i < imp->node->n_attribute; ++i) {
    const Onnx__AttributeProto *a = imp->node->attribute[i];
    if (a && a->name && !strcmp(a->name, name))
      return a;
  }
  return NULL;
}

static mcu_status_t attr_check(importer_t *imp, const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType t,
                               const char *kind) {
  if (!a->has_type || a->type != t)
    return fail(imp, "attribute '%s' must be %s", a->name, kind);
  return NULL;
}

static mcu_status_t attr_int(importer_t *imp, const char *name, int64_t fallback, int64_t *out) {
  const Onnx__AttributeProto *a = find_attr(imp, name);
  *out = fallback;
  if (!a)
    return NULL;
  mcu_status_t s = attr_check(imp, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, "an int");
  if (!s)
    *out = a->i;
  return s;
}

/* Copies exactly `n` ints of attribute `name` into out; leaves out as is when absent. */
static mcu_status_t attr_ints(importer_t *imp, const char *name, size_t n, int64_t *out) {
  const Onnx__AttributeProto *a = find_attr(imp, name);
  if (!a)
    return NULL;
  mcu_status_t s = attr_check(imp, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, "a list of ints");
  if (s)
    return s;
  if (a->n_ints != n)
    return fail(imp, "attribute '%s' has %zu values, expected %zu", name, a->n_ints, n);
  memcpy(out, a->ints, n * sizeof *out);
  return NULL;
}

/* Normalises an axis in [-rank, rank + extra) to [0, rank + extra). */
static mcu_status_t norm_axis(importer_t *imp, int64_t axis, int rank, int extra, int *out) {
  if (axis < -rank || axis >= rank + extra)
    return fail(imp, "axis %lld out of range for rank %d", (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return NULL;
}

/* ---- quantization parameters ---- */

typedef struct qparams {
  int dtype; /* UINT8 or INT8 */
  int n;     /* 1: per tensor */
  double *scales;
  int64_t *zps;
} qparams_t;

static mcu_status_t need_const(importer_t *imp, const value_t *v, const char *role) {
  if (!v->data)
    return fail(imp, "%s '%s' must be a constant (an initializer or a --bind input)", role, v->name);
  if (v->rank > 1)
    return fail(imp, "%s '%s' must be a scalar or 1-D", role, v->name);
  if (v->count < 1)
    return fail(imp, "%s '%s' is empty", role, v->name);
  return NULL;
}

/* Reads the scale (input si, required) and zero point (input zi, optional: then `default_dtype` with zero point
 * 0) of a quantized operand. Sizes are 1 or one common n (a size-1 one is broadcast). */
static mcu_status_t read_qparams(importer_t *imp, int si, int zi, int default_dtype, const char *role, qparams_t *out) {
  value_t *sv, *zv;
  mcu_status_t s = node_input(imp, si, 1, &sv);
  if (!s)
    s = node_input(imp, zi, 0, &zv);
  if (s)
    return s;
  char what[64];
  snprintf(what, sizeof what, "%s scale", role);
  if ((s = need_const(imp, sv, what)))
    return s;
  if (sv->dtype != DT_FLOAT)
    return fail(imp, "%s '%s' has dtype %s, expected FLOAT", what, sv->name, dtype_name(sv->dtype));
  int64_t n = sv->count;
  out->dtype = default_dtype;
  if (zv) {
    snprintf(what, sizeof what, "%s zero point", role);
    if ((s = need_const(imp, zv, what)))
      return s;
    if (!is_q8(zv->dtype))
      return fail(imp, "%s '%s' has dtype %s, only UINT8 and INT8 are supported", what, zv->name,
                  dtype_name(zv->dtype));
    if (zv->count != n && zv->count != 1 && n != 1)
      return fail(imp, "%s scale has %lld values but its zero point %lld", role, (long long)n, (long long)zv->count);
    if (zv->count > n)
      n = zv->count;
    out->dtype = zv->dtype;
  }
  out->n = (int)n;
  out->scales = imp_alloc(imp, (size_t)n * sizeof *out->scales);
  out->zps = imp_alloc(imp, (size_t)n * sizeof *out->zps);
  if (!out->scales || !out->zps)
    return oom(imp);
  for (int64_t i = 0; i < n; ++i) {
    float f = data_f32(sv, sv->count == 1 ? 0 : i);
    if (!(f > 0.0f) || isinf(f))
      return fail(imp, "%s scale %g is not positive and finite", role, (double)f);
    out->scales[i] = (double)f;
    out->zps[i] = zv ? data_i64(zv, zv->count == 1 ? 0 : i) : 0;
  }
  return NULL;
}

static MlirType qtype(importer_t *imp, const qparams_t *q, int axis) {
  return quant_type(imp, q->dtype, q->n, q->scales, q->zps, axis);
}

/* Reads per-tensor parameters. */
static mcu_status_t read_qparams1(importer_t *imp, int si, int zi, int default_dtype, const char *role,
                                  qparams_t *out) {
  mcu_status_t s = read_qparams(imp, si, zi, default_dtype, role, out);
  if (!s && out->n != 1)
    return fail(imp, "%s has %d scales; only per-tensor quantization is supported here", role, out->n);
  return s;
}

static mcu_status_t need_q8(importer_t *imp, const value_t *v, const char *role) {
  if (!is_q8(v->dtype))
    return fail(imp, "%s '%s' has dtype %s, only UINT8 and INT8 are supported", role, v->name, dtype_name(v->dtype));
  return NULL;
}

/* ---- operators ---- */

/* QLinearConv -> mcu.conv2d (NHWC, filter [O,KH,KW,C/G], bias i32). Output shape per ONNX:
 * floor((H + pad_begin + pad_end - dilation*(k-1) - 1) / stride) + 1; auto_pad SAME_* computes the pads
 * (SAME_UPPER puts the odd one at the end). The output is an NHWC-only value. */
static mcu_status_t import_qlinearconv(importer_t *imp) {
  value_t *x, *w, *b;
  mcu_status_t s;
  if ((s = node_input(imp, 0, 1, &x)) || (s = node_input(imp, 3, 1, &w)) || (s = node_input(imp, 8, 0, &b)))
    return s;
  if ((s = need_q8(imp, x, "input")) || (s = need_q8(imp, w, "weight")))
    return s;
  if (x->rank != 4 || w->rank != 4)
    return fail(imp, "only 2-D convolutions are supported (input rank %d, weight rank %d)", x->rank, w->rank);
  qparams_t xq, wq, yq;
  if ((s = read_qparams1(imp, 1, 2, x->dtype, "input", &xq)))
    return s;
  if ((s = read_qparams(imp, 4, 5, w->dtype, "weight", &wq)))
    return s;
  if ((s = read_qparams1(imp, 6, 7, DT_UINT8, "output", &yq)))
    return s;
  if (xq.dtype != x->dtype || wq.dtype != w->dtype)
    return fail(imp, "zero point dtype differs from its tensor's dtype");
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t O = w->dims[0], CG = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  int64_t group = 1, strides[2] = {1, 1}, dil[2] = {1, 1}, pads[4] = {0, 0, 0, 0}, ks[2] = {KH, KW};
  if ((s = attr_int(imp, "group", 1, &group)) || (s = attr_ints(imp, "strides", 2, strides)) ||
      (s = attr_ints(imp, "dilations", 2, dil)) || (s = attr_ints(imp, "pads", 4, pads)) ||
      (s = attr_ints(imp, "kernel_shape", 2, ks)))
    return s;
  if (group < 1 || group > C || C % group || O % group || O < 1)
    return fail(imp, "group %lld does not divide input channels %lld and output channels %lld", (long long)group,
                (long long)C, (long long)O);
  if (CG != C / group)
    return fail(imp, "weight has %lld input channels, expected %lld", (long long)CG, (long long)(C / group));
  if (ks[0] != KH || ks[1] != KW)
    return fail(imp, "kernel_shape differs from the weight's shape");
  if (KH < 1 || KW < 1)
    return fail(imp, "empty kernel");
  for (int i = 0; i < 2; ++i)
    if (strides[i] < 1 || strides[i] > MAX_WINDOW || dil[i] < 1 || dil[i] > MAX_WINDOW)
      return fail(imp, "strides and dilations must be in [1, %lld]", (long long)MAX_WINDOW);
  for (int i = 0; i < 4; ++i)
    if (pads[i] < 0 || pads[i] > MAX_WINDOW)
      return fail(imp, "pads must be in [0, %lld]", (long long)MAX_WINDOW);
  const Onnx__AttributeProto *ap = find_attr(imp, "auto_pad");
  if (ap) {
    if ((s = attr_check(imp, ap, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, "a string")))
      return s;
    char mode[16] = {0};
    if (ap->s.len < sizeof mode)
      memcpy(mode, ap->s.data, ap->s.len);
    int upper = !strcmp(mode, "SAME_UPPER"), lower = !strcmp(mode, "SAME_LOWER");
    if (!strcmp(mode, "VALID")) {
      memset(pads, 0, sizeof pads);
    } else if (upper || lower) {
      int64_t in[2] = {H, W};
      for (int i = 0; i < 2; ++i) {
        int64_t out = (in[i] + strides[i] - 1) / strides[i];
        int64_t total = (out - 1) * strides[i] + dil[i] * ((i ? KW : KH) - 1) + 1 - in[i];
        if (total < 0)
          total = 0;
        pads[i] = upper ? total / 2 : total - total / 2;
        pads[i + 2] = total - pads[i];
      }
    } else if (strcmp(mode, "NOTSET")) {
      return fail(imp, "auto_pad '%.*s' is not supported", (int)(ap->s.len > 32 ? 32 : ap->s.len),
                  (const char *)ap->s.data);
    }
  }
  int64_t od[2], in[2] = {H, W}, k[2] = {KH, KW};
  for (int i = 0; i < 2; ++i) {
    int64_t span = in[i] + pads[i] + pads[i + 2] - dil[i] * (k[i] - 1) - 1;
    if (span < 0)
      return fail(imp, "the kernel is larger than the padded input");
    od[i] = span / strides[i] + 1;
  }
  if (wq.n != 1 && wq.n != O)
    return fail(imp, "weight has %d scales, expected 1 or %lld (one per output channel)", wq.n, (long long)O);
  /* operands */
  MlirValue ops[3];
  if ((s = get_nhwc(imp, x, qtype(imp, &xq, -1), &ops[0])))
    return s;
  MlirType welem = qtype(imp, &wq, 0);
  if (w->data) {
    if ((s = get_nhwc(imp, w, welem, &ops[1])))
      return s;
  } else {
    MlirValue wn;
    if ((s = get_nchw(imp, w, welem, &wn)) || (s = emit_transpose(imp, wn, TO_NHWC, w->name, &ops[1])))
      return s;
  }
  if (b) {
    if (b->dtype != DT_INT32 || b->rank != 1 || b->dims[0] != O)
      return fail(imp, "bias '%s' must be INT32 [%lld]", b->name, (long long)O);
    if ((s = get_nchw(imp, b, mlirIntegerTypeGet(imp->ctx, 32), &ops[2])))
      return s;
  } else {
    size_t n = strlen(imp->node_name) + 6;
    char *name = imp_alloc(imp, n);
    if (!name)
      return oom(imp);
    snprintf(name, n, "%s_bias", imp->node_name);
    MlirType bt = tensor_type(1, &O, mlirIntegerTypeGet(imp->ctx, 32));
    MlirNamedAttribute a = mcu_named(imp->ctx, "value", mlirDenseElementsAttrInt32SplatGet(bt, 0));
    ops[2] = emit(imp, "mcu.constant", 0, NULL, bt, 1, &a, name);
  }
  int64_t sp[4] = {pads[0], pads[1], pads[2], pads[3]};
  MlirNamedAttribute attrs[4] = {
      mcu_named(imp->ctx, "strides", i64_array(imp, 2, strides)),
      mcu_named(imp->ctx, "pads", i64_array(imp, 4, sp)),
      mcu_named(imp->ctx, "dilations", i64_array(imp, 2, dil)),
      mcu_named(imp->ctx, "groups", mcu_attr_i64(imp->ctx, group)),
  };
  value_t proto = {.dtype = yq.dtype, .rank = 4, .dims = {N, O, od[0], od[1]}, .pending_src = -1};
  if (!shape_count(4, proto.dims, &proto.count))
    return fail(imp, "output too large");
  int64_t nhwc[4] = {N, od[0], od[1], O};
  value_t *y;
  if ((s = node_output(imp, &proto, &y)))
    return s;
  y->nhwc = emit(imp, "mcu.conv2d", 3, ops, tensor_type(4, nhwc, qtype(imp, &yq, -1)), 4, attrs, imp->node_name);
  return NULL;
}

/* QLinearMatMul -> mcu.matmul: [..., M, K] x [..., K, N], batch dims broadcast (numpy rules); b may be
 * quantized per column (per-axis on its last dimension). */
static mcu_status_t import_qlinearmatmul(importer_t *imp) {
  value_t *a, *b;
  mcu_status_t s;
  if ((s = node_input(imp, 0, 1, &a)) || (s = node_input(imp, 3, 1, &b)))
    return s;
  if ((s = need_q8(imp, a, "input a")) || (s = need_q8(imp, b, "input b")))
    return s;
  if (a->rank < 2 || b->rank < 2)
    return fail(imp, "1-D operands are not supported yet (ranks %d and %d); reshape them to 2-D", a->rank, b->rank);
  qparams_t aq, bq, yq;
  if ((s = read_qparams1(imp, 1, 2, a->dtype, "input a", &aq)))
    return s;
  if ((s = read_qparams(imp, 4, 5, b->dtype, "input b", &bq)))
    return s;
  if ((s = read_qparams1(imp, 6, 7, DT_UINT8, "output", &yq)))
    return s;
  if (aq.dtype != a->dtype || bq.dtype != b->dtype)
    return fail(imp, "zero point dtype differs from its tensor's dtype");
  int64_t M = a->dims[a->rank - 2], K = a->dims[a->rank - 1], N = b->dims[b->rank - 1];
  if (b->dims[b->rank - 2] != K)
    return fail(imp, "inner dimensions differ (%lld and %lld)", (long long)K, (long long)b->dims[b->rank - 2]);
  if (bq.n != 1 && bq.n != N)
    return fail(imp, "input b has %d scales, expected 1 or %lld", bq.n, (long long)N);
  value_t proto = {.dtype = yq.dtype, .pending_src = -1};
  proto.rank = a->rank > b->rank ? a->rank : b->rank;
  for (int i = 0; i < proto.rank - 2; ++i) {
    int ia = i - (proto.rank - a->rank), ib = i - (proto.rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return fail(imp, "batch dimensions %lld and %lld do not broadcast", (long long)da, (long long)db);
    proto.dims[i] = da == 1 ? db : da;
  }
  proto.dims[proto.rank - 2] = M;
  proto.dims[proto.rank - 1] = N;
  if (!shape_count(proto.rank, proto.dims, &proto.count))
    return fail(imp, "output too large");
  MlirValue ops[2];
  if ((s = get_nchw(imp, a, qtype(imp, &aq, -1), &ops[0])) ||
      (s = get_nchw(imp, b, qtype(imp, &bq, b->rank - 1), &ops[1])))
    return s;
  value_t *y;
  if ((s = node_output(imp, &proto, &y)))
    return s;
  y->nchw = emit(imp, "mcu.matmul", 2, ops, tensor_type(proto.rank, proto.dims, qtype(imp, &yq, -1)), 0, NULL,
                 imp->node_name);
  return NULL;
}

/* QuantizeLinear (f32 -> u8/i8) and DequantizeLinear (u8/i8 -> f32), per tensor or per axis (`axis`). */
static mcu_status_t import_quant(importer_t *imp, int dequantize) {
  value_t *x;
  mcu_status_t s;
  if ((s = node_input(imp, 0, 1, &x)))
    return s;
  if (dequantize ? !is_q8(x->dtype) : x->dtype != DT_FLOAT)
    return fail(imp, "input '%s' has dtype %s, expected %s", x->name, dtype_name(x->dtype),
                dequantize ? "UINT8 or INT8" : "FLOAT");
  int64_t block = 0, axis64 = 1;
  if ((s = attr_int(imp, "block_size", 0, &block)) || (s = attr_int(imp, "axis", 1, &axis64)))
    return s;
  if (block)
    return fail(imp, "blocked quantization is not supported");
  qparams_t q;
  if ((s = read_qparams(imp, 1, 2, dequantize ? x->dtype : DT_UINT8, dequantize ? "input" : "output", &q)))
    return s;
  if (dequantize && q.dtype != x->dtype)
    return fail(imp, "zero point dtype differs from the input's dtype");
  int axis = -1;
  if (q.n != 1) {
    if ((s = norm_axis(imp, axis64, x->rank, 0, &axis)))
      return s;
    if (x->dims[axis] != q.n)
      return fail(imp, "%d scales for dimension %d of size %lld", q.n, axis, (long long)x->dims[axis]);
  }
  MlirType qt = qtype(imp, &q, axis), f32 = mlirF32TypeGet(imp->ctx);
  MlirValue in;
  if ((s = get_nchw(imp, x, dequantize ? qt : f32, &in)))
    return s;
  value_t proto = *x, *y;
  proto.data = NULL;
  proto.nchw = proto.nhwc = (MlirValue){NULL};
  proto.pending = 0;
  proto.pending_src = -1;
  proto.dtype = dequantize ? DT_FLOAT : q.dtype;
  if ((s = node_output(imp, &proto, &y)))
    return s;
  y->nchw = emit(imp, dequantize ? "mcu.dequantize" : "mcu.quantize", 1, &in,
                 tensor_type(x->rank, x->dims, dequantize ? f32 : qt), 0, NULL, imp->node_name);
  return NULL;
}

/* The result of a shape- and type-preserving op on `x` (Relu, Clip) or of a reshape: same element type; a pending
 * input gives a pending result. */
/* An element-wise op (`elementwise`: clamp) runs in whichever layout its input already has, preferring the NHWC
 * twin, so Relu/Clip between convolutions costs no transposes and stays fusable into the producing conv. */
static mcu_status_t passthrough_output(importer_t *imp, value_t *x, int rank, const int64_t *dims, const char *op,
                                       int nattrs, const MlirNamedAttribute *attrs, int elementwise) {
  MlirValue in;
  mcu_status_t s;
  if (elementwise && !mlirValueIsNull(x->nhwc) && !x->pending) {
    value_t proto = {.dtype = x->dtype, .rank = rank, .pending_src = -1};
    memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
    proto.count = x->count;
    value_t *y;
    if ((s = node_output(imp, &proto, &y)))
      return s;
    MlirType t = mlirValueGetType(x->nhwc);
    y->nhwc = emit(imp, op, 1, &x->nhwc, t, nattrs, attrs, imp->node_name);
    return NULL;
  }
  s = get_nchw(imp, x, (MlirType){NULL}, &in);
  if (s)
    return s;
  value_t proto = {.dtype = x->dtype, .rank = rank, .pending = x->pending, .pending_src = x->pending ? x->index : -1};
  memcpy(proto.dims, dims, sizeof(int64_t) * (size_t)rank);
  proto.count = x->count;
  value_t *y;
  if ((s = node_output(imp, &proto, &y)))
    return s;
  y->nchw = emit(imp, op, 1, &in, tensor_type(rank, dims, elem_of(in)), nattrs, attrs, imp->node_name);
  return NULL;
}

/* Relu and Clip -> mcu.clamp. On uint8/int8 tensors ONNX clamps the stored integers, so the bounds are integers
 * (Relu: [0, type max]; Clip: its constant min/max inputs, else the type's range); on f32, float bounds. */
static mcu_status_t import_clamp(importer_t *imp, int relu) {
  value_t *x, *lo = NULL, *hi = NULL;
  mcu_status_t s;
  if ((s = node_input(imp, 0, 1, &x)))
    return s;
  if (x->dtype != DT_FLOAT && !is_q8(x->dtype))
    return fail(imp, "input '%s' has dtype %s, expected FLOAT, UINT8 or INT8", x->name, dtype_name(x->dtype));
  double fmin = -INFINITY, fmax = INFINITY;
  int64_t imin = x->dtype == DT_INT8 ? -128 : 0, imax = x->dtype == DT_INT8 ? 127 : 255;
  if (relu) {
    fmin = 0.0;
    imin = 0;
  } else {
    const Onnx__AttributeProto *amin = find_attr(imp, "min"), *amax = find_attr(imp, "max");
    if (amin || amax) { /* Clip-1/6: float attributes */
      if (x->dtype != DT_FLOAT)
        return fail(imp, "min/max attributes apply to FLOAT tensors only");
      if (amin && (s = attr_check(imp, amin, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float")))
        return s;
      if (amax && (s = attr_check(imp, amax, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float")))
        return s;
      if (amin)
        fmin = amin->f;
      if (amax)
        fmax = amax->f;
    }
    if ((s = node_input(imp, 1, 0, &lo)) || (s = node_input(imp, 2, 0, &hi)))
      return s;
    value_t *bounds[2] = {lo, hi};
    for (int i = 0; i < 2; ++i) {
      value_t *v = bounds[i];
      if (!v)
        continue;
      if (!v->data || v->count != 1 || v->rank > 1)
        return fail(imp, "the %s bound '%s' must be a constant scalar", i ? "max" : "min", v->name);
      if (v->dtype != x->dtype)
        return fail(imp, "the %s bound has dtype %s, the input %s", i ? "max" : "min", dtype_name(v->dtype),
                    dtype_name(x->dtype));
      if (x->dtype == DT_FLOAT)
        *(i ? &fmax : &fmin) = data_f32(v, 0);
      else
        *(i ? &imax : &imin) = data_i64(v, 0);
    }
  }
  MlirAttribute amin, amax;
  if (x->dtype == DT_FLOAT) {
    if (isnan(fmin) || isnan(fmax))
      return fail(imp, "NaN clip bound");
    amin = mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), fmin);
    amax = mlirFloatAttrDoubleGet(imp->ctx, mlirF32TypeGet(imp->ctx), fmax);
  } else {
    amin = mcu_attr_i64(imp->ctx, imin);
    amax = mcu_attr_i64(imp->ctx, imax);
  }
  MlirNamedAttribute attrs[2] = {mcu_named(imp->ctx, "min", amin), mcu_named(imp->ctx, "max", amax)};
  return passthrough_output(imp, x, x->rank, x->dims, "mcu.clamp", 2, attrs, 1);
}

/* Reshape (constant shape: 0 copies the input dim unless allowzero, -1 is inferred) and Flatten(axis) ->
 * mcu.reshape; on a constant the reshape is folded (new dims over the same data). */
static mcu_status_t import_reshape(importer_t *imp, int flatten) {
  value_t *x;
  mcu_status_t s;
  if ((s = node_input(imp, 0, 1, &x)))
    return s;
  int rank = 0;
  int64_t dims[MCU_MAX_RANK];
  if (flatten) {
    int64_t axis64;
    int axis = 0;
    if ((s = attr_int(imp, "axis", 1, &axis64)) || (s = norm_axis(imp, axis64, x->rank, 1, &axis)))
      return s;
    dims[0] = dims[1] = 1;
    for (int i = 0; i < x->rank; ++i)
      dims[i >= axis] *= x->dims[i]; /* bounded by count <= MAX_ELEMENTS */
    rank = 2;
  } else {
    value_t *shape;
    int64_t allowzero;
    if ((s = node_input(imp, 1, 1, &shape)) || (s = attr_int(imp, "allowzero", 0, &allowzero)))
      return s;
    if (!shape->data || shape->dtype != DT_INT64 || shape->rank != 1)
      return fail(imp, "the shape '%s' must be a constant 1-D INT64 tensor", shape->name);
    if (shape->count > MCU_MAX_RANK)
      return fail(imp, "rank %lld exceeds %d", (long long)shape->count, MCU_MAX_RANK);
    rank = (int)shape->count;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < rank; ++i) {
      int64_t d = data_i64(shape, i);
      if (d == 0 && !allowzero) {
        if (i >= x->rank)
          return fail(imp, "shape entry %d is 0 but the input has rank %d", i, x->rank);
        d = x->dims[i];
      }
      if (d == -1) {
        if (infer >= 0)
          return fail(imp, "more than one -1 in the shape");
        infer = i;
        d = 1;
      } else if (d < 0 || d > MAX_ELEMENTS) {
        return fail(imp, "bad shape entry %lld", (long long)d);
      }
      dims[i] = d;
      if (d && known > MAX_ELEMENTS / d)
        return fail(imp, "shape too large");
      known *= d;
    }
    if (infer >= 0) {
      if (!known || x->count % known)
        return fail(imp, "cannot infer the -1 dimension");
      dims[infer] = x->count / known;
      known = x->count;
    }
    if (known != x->count) {
      char a[128], b[128];
      shape_str(x->rank, x->dims, a, sizeof a);
      shape_str(rank, dims, b, sizeof b);
      return fail(imp, "cannot reshape %s to %s", a, b);
    }
  }
  if (x->data) {
    value_t proto = *x, *y;
    proto.rank = rank;
    memcpy(proto.dims, dims, sizeof dims);
    proto.nchw = proto.nhwc = (MlirValue){NULL};
    return node_output(imp, &proto, &y);
  }
  MlirType elem;
  if ((s = onnx_elem(imp, x, &elem)))
    return s;
  if (mlirTypeIsAUniformQuantizedPerAxisType(elem) &&
      (rank != x->rank || memcmp(dims, x->dims, sizeof(int64_t) * (size_t)rank)))
    return fail(imp, "reshaping a per-axis quantized tensor is not supported");
  return passthrough_output(imp, x, rank, dims, "mcu.reshape", 0, NULL, 0);
}

/* Constant: its `value` tensor (or value_int / value_ints) becomes a constant value. */
static mcu_status_t import_constant(importer_t *imp) {
  value_t proto, *y;
  mcu_status_t s;
  const Onnx__AttributeProto *a = find_attr(imp, "value");
  if (a) {
    if ((s = attr_check(imp, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, "a tensor")))
      return s;
    if (!a->t)
      return fail(imp, "attribute 'value' holds no tensor");
    if ((s = decode_tensor(imp, a->t, "attribute 'value'", &proto)))
      return s;
  } else if ((a = find_attr(imp, "value_ints")) || (a = find_attr(imp, "value_int"))) {
    int list = !strcmp(a->name, "value_ints");
    if ((s = attr_check(imp, a,
                        list ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
                        list ? "a list of ints" : "an int")))
      return s;
    size_t n = list ? a->n_ints : 1;
    if (n > (size_t)MAX_ELEMENTS / 8)
      return fail(imp, "too many values");
    memset(&proto, 0, sizeof proto);
    proto.dtype = DT_INT64;
    proto.rank = list ? 1 : 0;
    proto.dims[0] = (int64_t)n;
    proto.count = (int64_t)n;
    uint8_t *d = imp_alloc(imp, n * 8);
    if (!d)
      return oom(imp);
    for (size_t i = 0; i < n; ++i)
      put_le(d + 8 * i, (uint64_t)(list ? a->ints[i] : a->i), 8);
    proto.data = d;
  } else {
    return fail(imp, "only the 'value', 'value_int' and 'value_ints' forms are supported");
  }
  proto.pending_src = -1;
  return node_output(imp, &proto, &y);
}

static mcu_status_t import_node(importer_t *imp) {
  const Onnx__NodeProto *n = imp->node;
  const char *op = str(n->op_type), *domain = str(n->domain);
  if (*domain && strcmp(domain, "ai.onnx"))
    return fail(imp, "unsupported operator (domain '%s')", domain);
  if (!strcmp(op, "QLinearConv"))
    return import_qlinearconv(imp);
  if (!strcmp(op, "QLinearMatMul"))
    return import_qlinearmatmul(imp);
  if (!strcmp(op, "QuantizeLinear"))
    return import_quant(imp, 0);
  if (!strcmp(op, "DequantizeLinear"))
    return import_quant(imp, 1);
  if (!strcmp(op, "Relu"))
    return import_clamp(imp, 1);
  if (!strcmp(op, "Clip"))
    return import_clamp(imp, 0);
  if (!strcmp(op, "Reshape"))
    return import_reshape(imp, 0);
  if (!strcmp(op, "Flatten"))
    return import_reshape(imp, 1);
  if (!strcmp(op, "Constant"))
    return import_constant(imp);
  if (!strcmp(op, "Identity")) {
    value_t *x;
    mcu_status_t s = node_input(imp, 0, 1, &x);
    if (s)
      return s;
    if (n->n_output < 1 || !n->output[0] || !*n->output[0])
      return fail(imp, "the node has no output");
    return name_bind(imp, n->output[0], x->index);
  }
  return fail(imp, "unsupported operator");
}

/* ---- the graph ---- */

/* The declared dtype and static shape of a graph input or output. `need_shape` 0 accepts an absent shape
 * (*out_rank = -1); a dim that is symbolic or unknown is always an error. */
static mcu_status_t declared_type(importer_t *imp, const Onnx__ValueInfoProto *vi, const char *role, int need_shape,
                                  int *out_dtype, int *out_rank, int64_t *dims) {
  const char *name = str(vi->name);
  const Onnx__TypeProto *t = vi->type;
  if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
    return fail(imp, "%s '%s' is not a tensor", role, name);
  const Onnx__TypeProto__Tensor *tt = t->tensor_type;
  *out_dtype = tt->has_elem_type ? tt->elem_type : 0;
  *out_rank = -1;
  if (!tt->shape)
    return need_shape ? fail(imp, "%s '%s' has an unknown shape", role, name) : NULL;
  if (tt->shape->n_dim > MCU_MAX_RANK)
    return fail(imp, "%s '%s' has rank %zu, more than %d", role, name, tt->shape->n_dim, MCU_MAX_RANK);
  for (size_t i = 0; i < tt->shape->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (!d || d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
        return fail(imp, "%s '%s': dim %zu is symbolic ('%s'); static shapes only", role, name, i, str(d->dim_param));
      return fail(imp, "%s '%s': dim %zu is unknown; static shapes only", role, name, i);
    }
    if (d->dim_value < 1 || d->dim_value > MAX_ELEMENTS)
      return fail(imp, "%s '%s': dim %zu has size %lld", role, name, i, (long long)d->dim_value);
    dims[i] = d->dim_value;
  }
  *out_rank = (int)tt->shape->n_dim;
  int64_t count;
  if (!shape_count(*out_rank, dims, &count))
    return fail(imp, "%s '%s' is too large", role, name);
  return NULL;
}

static mcu_status_t bind_tensor(importer_t *imp, const Onnx__GraphProto *g, const mcu_binding_t *b) {
  const char *name = str(b->input_name);
  const Onnx__ValueInfoProto *vi = NULL;
  for (size_t i = 0; i < g->n_input && !vi; ++i)
    if (g->input[i] && !strcmp(str(g->input[i]->name), name))
      vi = g->input[i];
  if (!vi)
    return fail(imp, "--bind %s: the model has no graph input named '%s'", name, name);
  uint8_t *buf;
  size_t len;
  mcu_status_t s = read_file(str(b->tensor_path), &buf, &len);
  if (s)
    return s;
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  if (!t)
    return mcu_status_errorf("%s: not an ONNX tensor (protobuf parse failed)", str(b->tensor_path));
  char what[512];
  snprintf(what, sizeof what, "--bind %s (%s)", name, str(b->tensor_path));
  value_t proto, *v;
  s = decode_tensor(imp, t, what, &proto);
  onnx__tensor_proto__free_unpacked(t, NULL);
  if (s)
    return s;
  /* The tensor must match what the graph declares (symbolic dims accept any size). */
  const Onnx__TypeProto *tp = vi->type;
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type) {
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type && tt->elem_type != proto.dtype)
      return fail(imp, "%s: dtype %s, the input is declared %s", what, dtype_name(proto.dtype),
                  dtype_name(tt->elem_type));
    if (tt->shape) {
      int ok = tt->shape->n_dim == (size_t)proto.rank;
      for (int i = 0; ok && i < proto.rank; ++i) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value != proto.dims[i])
          ok = 0;
      }
      if (!ok)
        return fail(imp, "%s: the tensor's shape differs from the input's declared shape", what);
    }
  }
  proto.pending_src = -1;
  return value_add(imp, name, &proto, &v);
}

static mcu_status_t import_graph(importer_t *imp, const Onnx__GraphProto *g, const mcu_binding_t *bindings,
                                 int num_bindings, MlirModule module) {
  mcu_status_t s;
  MlirLocation graph_loc = mlirLocationFileLineColGet(imp->ctx, sref(imp->path), 0, 0);
  imp->loc = graph_loc;
  if (g->n_sparse_initializer)
    return fail(imp, "sparse initializers are not supported");
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    if (!t || !t->name || !*t->name)
      return fail(imp, "initializer %zu has no name", i);
    char what[256];
    snprintf(what, sizeof what, "initializer '%.200s'", t->name);
    value_t proto, *v;
    if ((s = decode_tensor(imp, t, what, &proto)))
      return s;
    proto.pending_src = -1;
    if ((s = value_add(imp, t->name, &proto, &v)))
      return s;
  }
  for (int i = 0; i < num_bindings; ++i)
    if ((s = bind_tensor(imp, g, &bindings[i])))
      return s;
  /* graph inputs that are neither initializers nor bound: the function's arguments */
  int num_args = 0;
  MlirType *arg_types = imp_alloc(imp, (g->n_input + 1) * sizeof *arg_types);
  const char **arg_names = imp_alloc(imp, (g->n_input + 1) * sizeof *arg_names);
  if (!arg_types || !arg_names)
    return oom(imp);
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (!vi || !vi->name || !*vi->name)
      return fail(imp, "graph input %zu has no name", i);
    if (name_lookup(imp, vi->name) >= 0)
      continue; /* an initializer or bound */
    value_t proto = {.pending_src = -1}, *v;
    if ((s = declared_type(imp, vi, "input", 1, &proto.dtype, &proto.rank, proto.dims)))
      return s;
    shape_count(proto.rank, proto.dims, &proto.count);
    MlirType elem = default_elem(imp, proto.dtype);
    if (mlirTypeIsNull(elem))
      return fail(imp, "input '%s' has dtype %s, only FLOAT, UINT8, INT8 and INT32 are supported", vi->name,
                  dtype_name(proto.dtype));
    proto.pending = is_q8(proto.dtype);
    if ((s = value_add(imp, vi->name, &proto, &v)))
      return s;
    v->nchw = mlirBlockAddArgument(imp->block, tensor_type(v->rank, v->dims, elem), graph_loc);
    arg_names[num_args++] = vi->name;
  }
  /* nodes */
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    if (!n)
      return fail(imp, "node %zu is empty", i);
    imp->node = n;
    if (n->name && *n->name) {
      imp->node_name = n->name;
    } else {
      size_t len = strlen(str(n->op_type)) + 24;
      char *name = imp_alloc(imp, len);
      if (!name)
        return oom(imp);
      snprintf(name, len, "%s_%zu", str(n->op_type), i);
      imp->node_name = name;
    }
    imp->loc = mlirLocationFileLineColGet(imp->ctx, sref(imp->path), (unsigned)(i + 1), 1);
    if ((s = import_node(imp)))
      return s;
  }
  imp->node = NULL;
  imp->loc = graph_loc;
  /* outputs */
  if (!g->n_output)
    return fail(imp, "the graph has no outputs");
  MlirValue *results = imp_alloc(imp, g->n_output * sizeof *results);
  MlirType *result_types = imp_alloc(imp, g->n_output * sizeof *result_types);
  if (!results || !result_types)
    return oom(imp);
  for (size_t i = 0; i < g->n_output; ++i) {
    const Onnx__ValueInfoProto *vi = g->output[i];
    if (!vi || !vi->name || !*vi->name)
      return fail(imp, "graph output %zu has no name", i);
    int dtype, rank;
    int64_t dims[MCU_MAX_RANK];
    if ((s = declared_type(imp, vi, "output", 0, &dtype, &rank, dims)))
      return s;
    int k = name_lookup(imp, vi->name);
    if (k < 0)
      return fail(imp, "output '%s' is not computed by any node", vi->name);
    value_t *v = imp->values[k];
    if (dtype && dtype != v->dtype)
      return fail(imp, "output '%s' is declared %s but computed as %s", vi->name, dtype_name(dtype),
                  dtype_name(v->dtype));
    if (rank >= 0 && (rank != v->rank || memcmp(dims, v->dims, sizeof(int64_t) * (size_t)rank))) {
      char a[128], b[128];
      shape_str(rank, dims, a, sizeof a);
      shape_str(v->rank, v->dims, b, sizeof b);
      return fail(imp, "output '%s' is declared %s but computed as %s", vi->name, a, b);
    }
    if ((s = get_nchw(imp, v, (MlirType){NULL}, &results[i])))
      return s;
  }
  for (size_t i = 0; i < g->n_output; ++i)
    result_types[i] = mlirValueGetType(results[i]);
  for (int i = 0; i < num_args; ++i)
    arg_types[i] = mlirValueGetType(mlirBlockGetArgument(imp->block, i));
  MlirOperationState rs = mlirOperationStateGet(sref("func.return"), graph_loc);
  mlirOperationStateAddOperands(&rs, (intptr_t)g->n_output, results);
  mlirBlockAppendOwnedOperation(imp->block, mlirOperationCreate(&rs));
  /* the function */
  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, imp->block);
  imp->block = (MlirBlock){NULL};
  MlirType ftype = mlirFunctionTypeGet(imp->ctx, num_args, arg_types, (intptr_t)g->n_output, result_types);
  MlirNamedAttribute fattrs[2] = {
      mcu_named(imp->ctx, "sym_name", mlirStringAttrGet(imp->ctx, sref("main"))),
      mcu_named(imp->ctx, "function_type", mlirTypeAttrGet(ftype)),
  };
  MlirOperationState fs = mlirOperationStateGet(sref("func.func"), graph_loc);
  mlirOperationStateAddAttributes(&fs, 2, fattrs);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  MlirOperation func = mlirOperationCreate(&fs);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), func);
  for (int i = 0; i < num_args; ++i)
    mlirFuncSetArgAttr(func, i, sref("mcu.name"), mlirStringAttrGet(imp->ctx, sref(arg_names[i])));
  for (size_t i = 0; i < g->n_output; ++i)
    mlirFuncSetResultAttr(func, (intptr_t)i, sref("mcu.name"), mlirStringAttrGet(imp->ctx, sref(g->output[i]->name)));
  return NULL;
}

mcu_status_t mcu_onnx_import(MlirContext ctx, const char *path, const mcu_binding_t *bindings, int num_bindings,
                             MlirModule *out_module) {
  if (num_bindings < 0 || (num_bindings && !bindings))
    return mcu_status_errorf("%s: bad bindings", path);
  uint8_t *buf;
  size_t len;
  mcu_status_t s = read_file(path, &buf, &len);
  if (s)
    return s;
  Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!model)
    return mcu_status_errorf("%s: not an ONNX model (protobuf parse failed)", path);
  if (!model->has_ir_version || !model->graph) {
    onnx__model_proto__free_unpacked(model, NULL);
    return mcu_status_errorf("%s: not an ONNX model (no ir_version or no graph)", path);
  }
  importer_t imp = {.ctx = ctx, .path = path};
  imp.block = mlirBlockCreate(0, NULL, NULL);
  MlirModule module = mlirModuleCreateEmpty(mlirLocationFileLineColGet(ctx, sref(path), 0, 0));
  s = import_graph(&imp, model->graph, bindings, num_bindings, module);
  if (!mlirBlockIsNull(imp.block))
    mlirBlockDestroy(imp.block);
  if (!s && !mlirOperationVerify(mlirModuleGetOperation(module)))
    s = mcu_status_errorf("%s: internal error: the imported module does not verify", path);
  importer_free(&imp);
  onnx__model_proto__free_unpacked(model, NULL);
  if (s) {
    mlirModuleDestroy(module);
    return s;
  }
  *out_module = module;
  return NULL;
}
