/* program.c: small queries over the lowered program and its destructor. */
#include "program.h"
#include "zero_bytes.h"

#include <stdlib.h>

size_t mcu_dtype_size(mcu_dtype_t dt) {
  switch (dt) {
  case MCU_DT_I8:
  case MCU_DT_U8:
    return 1;
  case MCU_DT_I32:
  case MCU_DT_F32:
    return 4;
  }
  return 0;
}

const char *mcu_dtype_name(mcu_dtype_t dt) {
  switch (dt) {
  case MCU_DT_I8:
    return "i8";
  case MCU_DT_U8:
    return "u8";
  case MCU_DT_I32:
    return "i32";
  case MCU_DT_F32:
    return "f32";
  }
  return "?";
}

int64_t mcu_tensor_elements(const mcu_tensor_t *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; ++i) n *= t->shape[i];
  return n;
}

int64_t mcu_tensor_bytes(const mcu_tensor_t *t) {
  return mcu_tensor_elements(t) * (int64_t)mcu_dtype_size(t->dtype);
}

int64_t mcu_tensor_stored_bytes(const mcu_tensor_t *t) {
  return t->patch_bytes ? (int64_t)t->patch_bytes : mcu_tensor_bytes(t);
}

const char *mcu_op_name(mcu_op_t op) {
  switch (op) {
  case MCU_OP_CONV2D:
    return "conv2d";
  case MCU_OP_MATMUL:
    return "matmul";
  case MCU_OP_QUANTIZE:
    return "quantize";
  case MCU_OP_DEQUANTIZE:
    return "dequantize";
  case MCU_OP_CLAMP:
    return "clamp";
  case MCU_OP_TRANSPOSE:
    return "transpose";
  case MCU_OP_COPY:
    return "copy";
  case MCU_OP_FULLY_CONNECTED:
    return "fully_connected";
  case MCU_OP_ADD:
    return "add";
  case MCU_OP_SUB:
    return "sub";
  case MCU_OP_MUL:
    return "mul";
  case MCU_OP_AVG_POOL:
    return "avg_pool2d";
  case MCU_OP_MAX_POOL:
    return "max_pool2d";
  case MCU_OP_MEAN:
    return "mean";
  case MCU_OP_PAD:
    return "pad";
  case MCU_OP_SOFTMAX:
    return "softmax";
  case MCU_OP_LOG_SOFTMAX:
    return "log_softmax";
  case MCU_OP_CONCAT:
    return "concat";
  case MCU_OP_RESIZE_NEAREST:
    return "resize_nearest";
  case MCU_OP_LOGISTIC:
    return "logistic";
  case MCU_OP_HARD_SWISH:
    return "hard_swish";
  case MCU_OP_REQUANTIZE:
    return "requantize";
  case MCU_OP_BATCH_NORM:
    return "batch_norm";
  case MCU_OP_LEAKY_RELU:
    return "leaky_relu";
  case MCU_OP_HARD_SIGMOID:
    return "hard_sigmoid";
  case MCU_OP_STREAM_BLOCK:
    return "stream_block";
  }
  return "?";
}

int64_t mcu_layer_macs(const mcu_program_t *p, const mcu_layer_t *l) {
  const mcu_tensor_t *out = &p->tensors[l->output];
  switch (l->op) {
  case MCU_OP_CONV2D: {
    const mcu_tensor_t *w = &p->tensors[l->inputs[1]];
    return mcu_tensor_elements(out) * w->shape[1] * w->shape[2] * w->shape[3];
  }
  case MCU_OP_MATMUL:
  case MCU_OP_FULLY_CONNECTED: {
    const mcu_tensor_t *a = &p->tensors[l->inputs[0]];
    return mcu_tensor_elements(out) * a->shape[a->rank - 1];
  }
  case MCU_OP_STREAM_BLOCK: { /* expand over the input's pixels, depthwise and project over the output's */
    const mcu_tensor_t *x = &p->tensors[l->inputs[0]], *wd = &p->tensors[l->inputs[3]];
    const mcu_tensor_t *wp = &p->tensors[l->inputs[5]];
    const int64_t ce = wd->shape[0], pixels_out = mcu_tensor_elements(out) / out->shape[out->rank - 1];
    return mcu_tensor_elements(x) * ce + pixels_out * ce * (wd->shape[1] * wd->shape[2] + wp->shape[0]);
  }
  default:
    return 0;
  }
}

void mcu_program_destroy(mcu_program_t *p) {
  if (!p) return;
  for (int i = 0; i < p->num_tensors; ++i) {
    free(p->tensors[i].name);
    free(p->tensors[i].scales);
    free(p->tensors[i].zero_points);
    if (!mcu_zero_bytes_holds(p->tensors[i].data)) free(p->tensors[i].data); /* lower.c's shared zeros */
  }
  for (int i = 0; i < p->num_layers; ++i) free(p->layers[i].name);
  free(p->tensors);
  free(p->layers);
  free(p->inputs);
  free(p->outputs);
  free(p->name);
  free(p);
}
