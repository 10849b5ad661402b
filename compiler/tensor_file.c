/* tensor_file.c: reading a model input from a file (raw bytes or an ONNX TensorProto .pb) and whole-file I/O. */

#include "tensor_file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnx_tensor.h"

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

/* Lower-case type name for messages ("uint8"). */
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

/* Decodes a TensorProto already unpacked from `path` as the model input `expect` (mcu_onnx_tensor_*: the dtype and
 * element count are compared with expect's before the data is read). *out_data is malloc'd. */
static mcu_status_t decode_tensor_proto(const char *path, const Onnx__TensorProto *t, const mcu_tensor_t *expect,
                                        uint8_t **out_data) {
  int64_t want_elems = mcu_tensor_elements(expect);
  int32_t want_type = onnx_type_of(expect->dtype);
  if (!t->has_data_type || t->data_type != want_type)
    return mcu_status_errorf("%s: tensor has type %s, the model input expects %s", path,
                             t->has_data_type ? onnx_type_name(t->data_type) : "(none)",
                             onnx_type_name(want_type));
  mcu_onnx_tensor_t d;
  mcu_status_t s = mcu_onnx_tensor_read_header(t, path, &d);
  if (s) return s;
  if (d.count != want_elems)
    return mcu_status_errorf("%s: tensor has %lld elements, the model input expects %lld", path, (long long)d.count,
                             (long long)want_elems);
  s = mcu_onnx_tensor_read_data(t, path, &d);
  if (s) return s;
  *out_data = d.data;
  return NULL;
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
  s = decode_tensor_proto(path, t, expect, out_data);
  onnx__tensor_proto__free_unpacked(t, NULL);
  return s;
}
