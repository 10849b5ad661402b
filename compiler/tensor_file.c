/* tensor_file.c: reading a model input from a file (raw bytes or an ONNX TensorProto .pb) and whole-file I/O. */

#include "tensor_file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

mcu_status_t mcu_file_read_all(const char *path, uint8_t **out_data, size_t *out_size) {
  *out_data = NULL;
  *out_size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return mcu_status_errorf("%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return mcu_status_errorf("%s: out of memory", path);
  }
  for (;;) {
    if (n == cap) {
      if (cap > SIZE_MAX / 2) {
        free(buf);
        fclose(f);
        return mcu_status_errorf("%s: file too large", path);
      }
      uint8_t *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        fclose(f);
        return mcu_status_errorf("%s: out of memory", path);
      }
      buf = bigger;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return mcu_status_errorf("%s: read error", path);
  }
  buf[n] = 0; /* the loop ends only on a short read, so n < cap */
  *out_data = buf;
  *out_size = n;
  return NULL;
}

mcu_status_t mcu_file_write_all(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return mcu_status_errorf("%s: cannot create: %s", path, strerror(errno));
  size_t put = size ? fwrite(data, 1, size, f) : 0;
  int failed = put != size || ferror(f);
  if (fclose(f) != 0) failed = 1;
  if (failed) return mcu_status_errorf("%s: write error", path);
  return NULL;
}

static int path_is_pb(const char *path) {
  size_t n = strlen(path);
  return n >= 3 && strcmp(path + n - 3, ".pb") == 0;
}

/* ONNX TensorProto data type of `dt`. */
static int32_t onnx_type_of(mcu_dtype_t dt) {
  switch (dt) {
  case MCU_DT_I8: return ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
  case MCU_DT_U8: return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
  case MCU_DT_I32: return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
  case MCU_DT_F32: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  }
  return -1;
}

static const char *onnx_type_name(int32_t t) {
  switch (t) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return "float";
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return "uint8";
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return "int8";
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return "int32";
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return "int64";
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return "double";
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return "float16";
  default: return "unsupported type";
  }
}

/* Copies the typed int32_data values of an int8/uint8/int32 tensor into `out`, checking each value's range. */
static mcu_status_t copy_int32_data(const char *path, const Onnx__TensorProto *t, mcu_dtype_t dt, uint8_t *out) {
  int32_t lo = dt == MCU_DT_I8 ? INT8_MIN : dt == MCU_DT_U8 ? 0 : INT32_MIN;
  int32_t hi = dt == MCU_DT_I8 ? INT8_MAX : dt == MCU_DT_U8 ? UINT8_MAX : INT32_MAX;
  for (size_t i = 0; i < t->n_int32_data; i++) {
    int32_t v = t->int32_data[i];
    if (v < lo || v > hi)
      return mcu_status_errorf("%s: int32_data[%zu] = %d is out of range for %s", path, i, (int)v, mcu_dtype_name(dt));
    if (dt == MCU_DT_I32) {
      memcpy(out + 4 * i, &v, 4);
    } else {
      out[i] = (uint8_t)(dt == MCU_DT_I8 ? (uint8_t)(int8_t)v : (uint8_t)v);
    }
  }
  return NULL;
}

/* Decodes a TensorProto already unpacked from `path` into `out` (bytes of `expect`). */
static mcu_status_t decode_tensor_proto(const char *path, const Onnx__TensorProto *t, const mcu_tensor_t *expect,
                                        uint8_t *out) {
  int64_t want_elems = mcu_tensor_elements(expect);
  int64_t want_bytes = mcu_tensor_bytes(expect);
  int32_t want_type = onnx_type_of(expect->dtype);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return mcu_status_errorf("%s: external tensor data is not supported", path);
  if (!t->has_data_type || t->data_type != want_type)
    return mcu_status_errorf("%s: tensor has type %s, the model input expects %s", path,
                             t->has_data_type ? onnx_type_name(t->data_type) : "(none)",
                             onnx_type_name(want_type));
  int64_t elems = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0) return mcu_status_errorf("%s: negative dimension %lld", path, (long long)t->dims[i]);
    if (t->dims[i] != 0 && elems > INT64_MAX / t->dims[i]) return mcu_status_errorf("%s: shape overflows", path);
    elems *= t->dims[i];
  }
  if (elems != want_elems)
    return mcu_status_errorf("%s: tensor has %lld elements, the model input expects %lld", path, (long long)elems,
                             (long long)want_elems);
  if (t->has_raw_data) {
    if ((int64_t)t->raw_data.len != want_bytes)
      return mcu_status_errorf("%s: raw_data has %zu bytes, expected %lld", path, t->raw_data.len,
                               (long long)want_bytes);
    if (want_bytes) memcpy(out, t->raw_data.data, (size_t)want_bytes);
    return NULL;
  }
  if (expect->dtype == MCU_DT_F32) {
    if ((int64_t)t->n_float_data != want_elems)
      return mcu_status_errorf("%s: float_data has %zu values, expected %lld", path, t->n_float_data,
                               (long long)want_elems);
    if (want_bytes) memcpy(out, t->float_data, (size_t)want_bytes);
    return NULL;
  }
  if ((int64_t)t->n_int32_data != want_elems)
    return mcu_status_errorf("%s: int32_data has %zu values, expected %lld", path, t->n_int32_data,
                             (long long)want_elems);
  return copy_int32_data(path, t, expect->dtype, out);
}

mcu_status_t mcu_tensor_file_read(const char *path, const mcu_tensor_t *expect, uint8_t **out_data) {
  *out_data = NULL;
  int64_t want_bytes = mcu_tensor_bytes(expect);
  if (want_bytes < 0 || (uint64_t)want_bytes > SIZE_MAX - 1)
    return mcu_status_errorf("%s: the model input is too large", path);
  uint8_t *file = NULL;
  size_t size = 0;
  mcu_status_t s = mcu_file_read_all(path, &file, &size);
  if (s) return s;
  if (!path_is_pb(path)) {
    if ((int64_t)size != want_bytes) {
      free(file);
      return mcu_status_errorf("%s: raw input has %zu bytes, expected %lld (%s %s of %lld elements)", path, size,
                               (long long)want_bytes, mcu_dtype_name(expect->dtype),
                               expect->name && expect->name[0] ? expect->name : "tensor",
                               (long long)mcu_tensor_elements(expect));
    }
    *out_data = file;
    return NULL;
  }
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, size, file);
  free(file);
  if (!t) return mcu_status_errorf("%s: not a valid ONNX TensorProto", path);
  uint8_t *out = malloc((size_t)want_bytes + 1);
  if (!out) {
    onnx__tensor_proto__free_unpacked(t, NULL);
    return mcu_status_errorf("%s: out of memory", path);
  }
  s = decode_tensor_proto(path, t, expect, out);
  onnx__tensor_proto__free_unpacked(t, NULL);
  if (s) {
    free(out);
    return s;
  }
  *out_data = out;
  return NULL;
}
