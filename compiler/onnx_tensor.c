/* onnx_tensor.c: decoding an ONNX TensorProto (dtype, dims, raw_data or the typed fields) into little-endian bytes. */
#include "onnx_tensor.h"

#include <stdlib.h>
#include <string.h>

/* The one TensorProto decoder of the project (initializers, Constant nodes and --bind files in the importer, input
 * files in mcunet-run). It works in two halves so that a caller can check the shape against what it expects before
 * the data is looked at. Every length is checked against the dims before anything is allocated: a malformed file
 * may claim gigabytes. Typed fields are converted value by value (range-checked for UINT8/INT8), so the output is
 * little-endian whatever the host. Known weakness: external and segmented tensors, and dtypes other than FLOAT,
 * UINT8, INT8, INT32 and INT64, are refused. */

const char *mcu_onnx_dtype_name(int dtype) {
  static const char *names[] = {"UNDEFINED",      "FLOAT",    "UINT8",        "INT8",           "UINT16",
                                "INT16",          "INT32",    "INT64",        "STRING",         "BOOL",
                                "FLOAT16",        "DOUBLE",   "UINT32",       "UINT64",         "COMPLEX64",
                                "COMPLEX128",     "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                                "FLOAT8E5M2FNUZ", "UINT4",    "INT4"};
  if (dtype >= 0 && dtype < (int)(sizeof names / sizeof names[0]))
    return names[dtype];
  return "UNKNOWN";
}

size_t mcu_onnx_dtype_size(int dtype) {
  switch (dtype) {
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

int mcu_onnx_shape_count(int rank, const int64_t *dims, int64_t *out_count) {
  int64_t c = 1;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] < 0 || dims[i] > MCU_ONNX_MAX_ELEMENTS)
      return 0;
    if (dims[i] && c > MCU_ONNX_MAX_ELEMENTS / dims[i])
      return 0;
    c *= dims[i];
  }
  *out_count = c;
  return 1;
}

void mcu_onnx_put_le(uint8_t *p, uint64_t u, size_t n) {
  for (size_t k = 0; k < n; ++k)
    p[k] = (uint8_t)(u >> (8 * k));
}

mcu_status_t mcu_onnx_tensor_read_header(const Onnx__TensorProto *t, const char *what, mcu_onnx_tensor_t *out) {
  memset(out, 0, sizeof *out);
  out->dtype = t->has_data_type ? t->data_type : 0;
  size_t es = mcu_onnx_dtype_size(out->dtype);
  if (!es)
    return mcu_status_errorf("%s: dtype %s is not supported", what, mcu_onnx_dtype_name(out->dtype));
  if (t->n_dims > MCU_MAX_RANK)
    return mcu_status_errorf("%s: rank %zu exceeds %d", what, t->n_dims, MCU_MAX_RANK);
  out->rank = (int)t->n_dims;
  for (int i = 0; i < out->rank; ++i)
    out->dims[i] = t->dims[i];
  if (!mcu_onnx_shape_count(out->rank, out->dims, &out->count))
    return mcu_status_errorf("%s: bad or too large dims", what);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return mcu_status_errorf("%s: external data is not supported", what);
  if (t->segment)
    return mcu_status_errorf("%s: segmented tensors are not supported", what);
  out->nbytes = (size_t)out->count * es; /* count <= INT32_MAX, es <= 8 */
  return NULL;
}

mcu_status_t mcu_onnx_tensor_read_data(const Onnx__TensorProto *t, const char *what, mcu_onnx_tensor_t *tensor) {
  tensor->data = NULL;
  size_t es = mcu_onnx_dtype_size(tensor->dtype), nbytes = tensor->nbytes;
  /* Check the data length before allocating: the dims alone may claim gigabytes. */
  if (t->has_raw_data && t->raw_data.len != nbytes)
    return mcu_status_errorf("%s: raw_data holds %zu bytes, %lld elements of %s need %zu", what, t->raw_data.len,
                             (long long)tensor->count, mcu_onnx_dtype_name(tensor->dtype), nbytes);
  size_t have = tensor->dtype == DT_FLOAT   ? t->n_float_data
                : tensor->dtype == DT_INT64 ? t->n_int64_data
                                            : t->n_int32_data;
  if (!t->has_raw_data && have != (size_t)tensor->count)
    return mcu_status_errorf("%s: holds %zu values, its dims need %lld", what, have, (long long)tensor->count);
  uint8_t *data = malloc(nbytes ? nbytes : 1);
  if (!data)
    return mcu_status_errorf("%s: out of memory", what);
  if (t->has_raw_data) {
    if (nbytes)
      memcpy(data, t->raw_data.data, nbytes);
    tensor->data = data;
    return NULL;
  }
  for (int64_t i = 0; i < tensor->count; ++i) {
    uint8_t *p = data + (size_t)i * es;
    switch (tensor->dtype) {
    case DT_FLOAT: {
      uint32_t u;
      memcpy(&u, &t->float_data[i], 4);
      mcu_onnx_put_le(p, u, 4);
      break;
    }
    case DT_INT64:
      mcu_onnx_put_le(p, (uint64_t)t->int64_data[i], 8);
      break;
    case DT_UINT8:
    case DT_INT8: {
      int32_t x = t->int32_data[i];
      int lo = tensor->dtype == DT_UINT8 ? 0 : -128, hi = tensor->dtype == DT_UINT8 ? 255 : 127;
      if (x < lo || x > hi) {
        free(data);
        return mcu_status_errorf("%s: int32_data[%lld] = %d is out of range for %s", what, (long long)i, (int)x,
                                 mcu_onnx_dtype_name(tensor->dtype));
      }
      p[0] = (uint8_t)x;
      break;
    }
    default: /* INT32 */
      mcu_onnx_put_le(p, (uint32_t)t->int32_data[i], 4);
      break;
    }
  }
  tensor->data = data;
  return NULL;
}

mcu_status_t mcu_onnx_tensor_decode(const Onnx__TensorProto *t, const char *what, mcu_onnx_tensor_t *out) {
  mcu_status_t s = mcu_onnx_tensor_read_header(t, what, out);
  return s ? s : mcu_onnx_tensor_read_data(t, what, out);
}
