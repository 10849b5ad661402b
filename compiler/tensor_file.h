/* tensor_file.h: reading a model input from a file (raw bytes or an ONNX TensorProto .pb) and whole-file I/O. */
#ifndef MCUNET_COMPILER_TENSOR_FILE_H
#define MCUNET_COMPILER_TENSOR_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the tensor `expect` (dtype, shape) from `path` into *out_data (malloc'd, mcu_tensor_bytes(expect) bytes,
 * little-endian, row-major in the model's declared layout; the caller frees it).
 * - `path` ending in ".pb": an ONNX TensorProto, decoded by onnx_tensor.h (rank at most MCU_MAX_RANK); its data
 *   type must be expect's (FLOAT f32, INT8 i8, UINT8 u8, INT32 i32) and its element count expect's; data from
 *   raw_data, float_data or int32_data (int8/uint8/int32, each value range-checked). Shapes may differ if the counts
 *   agree (e.g. [1,4] for [4]).
 * - anything else: raw bytes, whose size must equal mcu_tensor_bytes(expect).
 * Errors name the file and the expected and actual sizes or types. */
mcu_status_t mcu_tensor_file_read(const char *path, const mcu_tensor_t *expect, uint8_t **out_data);

/* Reads the whole file: *out_data is malloc'd and followed by a 0 byte (so text can be used as a string),
 * *out_size is the file's size. */
mcu_status_t mcu_file_read_all(const char *path, uint8_t **out_data, size_t *out_size);

/* Writes `size` bytes to `path` (created or truncated). */
mcu_status_t mcu_file_write_all(const char *path, const void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif
