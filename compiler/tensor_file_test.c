/* tensor_file_test.c: mcu_tensor_file_read on raw files and ONNX TensorProto files (raw_data and typed fields). */

#define _XOPEN_SOURCE 700

#include "tensor_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "mcu_test.h"
#include "status.h"


static char dir[] = "/tmp/mcunet-tf-test-XXXXXX";

static void write_proto(const char *path, Onnx__TensorProto *t) {
  size_t n = onnx__tensor_proto__get_packed_size(t);
  uint8_t *buf = malloc(n ? n : 1);
  onnx__tensor_proto__pack(t, buf);
  mcu_status_t s = mcu_file_write_all(path, buf, n);
  CHECK(!s, "writing %s: %s", path, mcu_status_message(s));
  mcu_status_free(s);
  free(buf);
}

/* Reads `path` as `t` and expects failure whose message contains `needle`, or success if needle is NULL. */
static uint8_t *read_expect(const char *path, const mcu_tensor_t *t, const char *needle) {
  uint8_t *data = NULL;
  mcu_status_t s = mcu_tensor_file_read(path, t, &data);
  if (needle) {
    CHECK(s && strstr(mcu_status_message(s), needle), "%s: an error containing '%s'", path, needle);
    if (s) printf("expected error: %s\n", mcu_status_message(s));
    else fprintf(stderr, "%s: unexpectedly accepted\n", path);
  } else {
    if (s) fprintf(stderr, "%s: %s\n", path, mcu_status_message(s));
    CHECK(!s && data, "%s is read", path);
  }
  mcu_status_free(s);
  return data;
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  char path[256];
  mcu_tensor_t t = {.name = "x", .dtype = MCU_DT_I8, .rank = 2, .shape = {2, 3}, .quant_axis = -1};

  /* Raw: exact size accepted, any other size refused with both sizes named. */
  snprintf(path, sizeof path, "%s/x.bin", dir);
  int8_t raw[6] = {1, -2, 3, -4, 5, -128};
  mcu_file_write_all(path, raw, 6);
  uint8_t *d = read_expect(path, &t, NULL);
  CHECK(d && memcmp(d, raw, 6) == 0, "raw file bytes");
  free(d);
  mcu_file_write_all(path, raw, 5);
  free(read_expect(path, &t, "raw input has 5 bytes, expected 6"));
  free(read_expect("/nonexistent/in.bin", &t, "cannot open"));

  /* TensorProto with raw_data. */
  int64_t dims[2] = {2, 3};
  Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
  tp.n_dims = 2;
  tp.dims = dims;
  tp.has_data_type = 1;
  tp.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
  tp.has_raw_data = 1;
  tp.raw_data.len = 6;
  tp.raw_data.data = (uint8_t *)raw;
  snprintf(path, sizeof path, "%s/raw.pb", dir);
  write_proto(path, &tp);
  d = read_expect(path, &t, NULL);
  CHECK(d && memcmp(d, raw, 6) == 0, "raw_data bytes");
  free(d);

  /* Wrong type and wrong count. */
  tp.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
  write_proto(path, &tp);
  free(read_expect(path, &t, "type uint8, the model input expects int8"));
  tp.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
  dims[1] = 4;
  write_proto(path, &tp);
  free(read_expect(path, &t, "8 elements, the model input expects 6"));
  dims[1] = 3;

  /* int32_data for int8, with range checks; a [6] shape for a [2,3] input is fine. */
  int32_t ints[6] = {1, -2, 3, -4, 5, -128};
  int64_t flat[1] = {6};
  tp.has_raw_data = 0;
  tp.n_dims = 1;
  tp.dims = flat;
  tp.n_int32_data = 6;
  tp.int32_data = ints;
  snprintf(path, sizeof path, "%s/typed.pb", dir);
  write_proto(path, &tp);
  d = read_expect(path, &t, NULL);
  CHECK(d && memcmp(d, raw, 6) == 0, "int32_data bytes");
  free(d);
  ints[2] = 200;
  write_proto(path, &tp);
  free(read_expect(path, &t, "int32_data[2] = 200 is out of range for INT8"));

  /* float_data for f32. */
  mcu_tensor_t tf = {.name = "y", .dtype = MCU_DT_F32, .rank = 1, .shape = {3}, .quant_axis = -1};
  float fl[3] = {1.5f, -0.0f, 3.25e-8f};
  int64_t fdims[1] = {3};
  Onnx__TensorProto fp = ONNX__TENSOR_PROTO__INIT;
  fp.n_dims = 1;
  fp.dims = fdims;
  fp.has_data_type = 1;
  fp.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  fp.n_float_data = 3;
  fp.float_data = fl;
  snprintf(path, sizeof path, "%s/f.pb", dir);
  write_proto(path, &fp);
  d = read_expect(path, &tf, NULL);
  CHECK(d && memcmp(d, fl, 12) == 0, "float_data bytes");
  free(d);

  /* Garbage is not a TensorProto. */
  snprintf(path, sizeof path, "%s/bad.pb", dir);
  mcu_file_write_all(path, "\xff\xff\xff\xff", 4);
  free(read_expect(path, &tf, "not a valid ONNX TensorProto"));

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0, "%s", cmd);
  return mcu_test_finish();
}
