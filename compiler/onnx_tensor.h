/* onnx_tensor.h: decoding an ONNX TensorProto (dtype, dims, raw_data or the typed fields) into little-endian bytes. */
#ifndef MCUNET_COMPILER_ONNX_TENSOR_H
#define MCUNET_COMPILER_ONNX_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest element count (and dimension) accepted anywhere in the ONNX front end: far above any microcontroller
 * tensor, and small enough that count * 8 bytes cannot overflow. */
#define MCU_ONNX_MAX_ELEMENTS ((int64_t)INT32_MAX)

/* Short names of the ONNX dtypes the front end decodes (TensorProto.DataType values). */
enum {
  DT_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
  DT_UINT8 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,
  DT_INT8 = ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
  DT_INT32 = ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
  DT_INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
};

/* A decoded TensorProto. */
typedef struct mcu_onnx_tensor {
  int dtype;                  /* ONNX TensorProto.DataType: FLOAT, UINT8, INT8, INT32 or INT64 */
  int rank;                   /* in [0, MCU_MAX_RANK] */
  int64_t dims[MCU_MAX_RANK]; /* each in [0, MCU_ONNX_MAX_ELEMENTS] */
  int64_t count;              /* product of dims, in [0, MCU_ONNX_MAX_ELEMENTS] */
  size_t nbytes;              /* count * mcu_onnx_dtype_size(dtype) */
  uint8_t *data;              /* malloc'd (at least 1 byte) by mcu_onnx_tensor_read_data: nbytes, little-endian */
} mcu_onnx_tensor_t;

/* "FLOAT", "UINT8", ... (the ONNX enum names); "UNKNOWN" outside the enum. */
const char *mcu_onnx_dtype_name(int dtype);

/* Bytes per element of the dtypes the front end decodes (FLOAT, UINT8, INT8, INT32, INT64); 0 for any other. */
size_t mcu_onnx_dtype_size(int dtype);

/* Element count of a shape: 1 when it succeeds (each dim and the product in [0, MCU_ONNX_MAX_ELEMENTS]), else 0. */
int mcu_onnx_shape_count(int rank, const int64_t *dims, int64_t *out_count);

/* Stores the low `n` bytes of `u` at p, little-endian. */
void mcu_onnx_put_le(uint8_t *p, uint64_t u, size_t n);

/* First half of the decoding: fills out's dtype, rank, dims, count and nbytes (data NULL) from `t`'s header and
 * checks them: a supported dtype, rank <= MCU_MAX_RANK, dims and count within MCU_ONNX_MAX_ELEMENTS, data held in
 * the proto (not external, not segmented). The data fields are not looked at, so a caller can compare the shape
 * with what it expects first. Errors read "WHAT: reason" (`what` names the tensor). */
mcu_status_t mcu_onnx_tensor_read_header(const Onnx__TensorProto *t, const char *what, mcu_onnx_tensor_t *out);

/* Second half: checks that the data of `t` (raw_data, else float_data for FLOAT, int32_data for UINT8/INT8/INT32
 * with every value range-checked, int64_data for INT64) holds exactly tensor->count elements, before allocating,
 * then sets tensor->data to a malloc'd copy (little-endian; the caller frees it). `tensor` comes from
 * mcu_onnx_tensor_read_header on the same `t`. Errors read "WHAT: reason". */
mcu_status_t mcu_onnx_tensor_read_data(const Onnx__TensorProto *t, const char *what, mcu_onnx_tensor_t *tensor);

/* Both halves. On error out->data is NULL. */
mcu_status_t mcu_onnx_tensor_decode(const Onnx__TensorProto *t, const char *what, mcu_onnx_tensor_t *out);

#ifdef __cplusplus
}
#endif
#endif
