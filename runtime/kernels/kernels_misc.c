/* kernels_misc.c: the kernel-library entries of this group (see kernel_registry.h). */
#include "k_misc.h"
#include "kernel_registry.h"
#include "prepare_misc.h"

/* A layer matches when it asks for TF Lite numerics, has one input, and its input and output have the dtypes. */
static int unary(const mcu_program_t *p, const mcu_layer_t *l, mcu_op_t op, mcu_dtype_t in, mcu_dtype_t out) {
  if (l->op != op || l->numerics != MCU_NUMERICS_TFLITE || l->num_inputs != 1) return 0;
  if (l->inputs[0] < 0 || l->inputs[0] >= p->num_tensors || l->output < 0 || l->output >= p->num_tensors) return 0;
  return p->tensors[l->inputs[0]].dtype == in && p->tensors[l->output].dtype == out;
}

static int m_softmax_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_SOFTMAX, MCU_DT_I8, MCU_DT_I8);
}
static int m_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_SOFTMAX, MCU_DT_F32, MCU_DT_F32);
}
static int m_log_softmax_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_LOG_SOFTMAX, MCU_DT_I8, MCU_DT_I8);
}
static int m_log_softmax_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_LOG_SOFTMAX, MCU_DT_F32, MCU_DT_F32);
}
static int m_logistic_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_LOGISTIC, MCU_DT_I8, MCU_DT_I8);
}
static int m_logistic_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_LOGISTIC, MCU_DT_F32, MCU_DT_F32);
}
static int m_hard_swish_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_HARD_SWISH, MCU_DT_I8, MCU_DT_I8);
}
static int m_hard_swish_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_HARD_SWISH, MCU_DT_F32, MCU_DT_F32);
}
static int m_avg_pool_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_AVG_POOL, MCU_DT_I8, MCU_DT_I8);
}
static int m_max_pool_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_MAX_POOL, MCU_DT_I8, MCU_DT_I8);
}
static int m_avg_pool_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_AVG_POOL, MCU_DT_F32, MCU_DT_F32);
}
static int m_max_pool_f32(const mcu_program_t *p, const mcu_layer_t *l) {
  return unary(p, l, MCU_OP_MAX_POOL, MCU_DT_F32, MCU_DT_F32);
}
static int m_resize(const mcu_program_t *p, const mcu_layer_t *l) {
  if (l->op != MCU_OP_RESIZE_NEAREST || l->numerics != MCU_NUMERICS_TFLITE || l->num_inputs != 1) return 0;
  if (l->inputs[0] < 0 || l->inputs[0] >= p->num_tensors || l->output < 0 || l->output >= p->num_tensors) return 0;
  return p->tensors[l->inputs[0]].dtype == p->tensors[l->output].dtype;
}

const mcu_kernel_entry_t mcu_kernels_misc[] = {
    {"mcu_k_softmax_s8", mcu_k_softmax_s8, m_softmax_s8, mcu_prepare_softmax_s8},
    {"mcu_k_softmax_f32", mcu_k_softmax_f32, m_softmax_f32, mcu_prepare_softmax_f32},
    {"mcu_k_log_softmax_s8", mcu_k_log_softmax_s8, m_log_softmax_s8, mcu_prepare_log_softmax_s8},
    {"mcu_k_log_softmax_f32", mcu_k_log_softmax_f32, m_log_softmax_f32, mcu_prepare_log_softmax_f32},
    {"mcu_k_lut_s8", mcu_k_lut_s8, m_logistic_s8, mcu_prepare_logistic_s8},
    {"mcu_k_lut_s8", mcu_k_lut_s8, m_hard_swish_s8, mcu_prepare_hard_swish_s8},
    {"mcu_k_logistic_f32", mcu_k_logistic_f32, m_logistic_f32, mcu_prepare_elementwise_f32},
    {"mcu_k_hard_swish_f32", mcu_k_hard_swish_f32, m_hard_swish_f32, mcu_prepare_elementwise_f32},
    {"mcu_k_avg_pool_s8", mcu_k_avg_pool_s8, m_avg_pool_s8, mcu_prepare_pool},
    {"mcu_k_max_pool_s8", mcu_k_max_pool_s8, m_max_pool_s8, mcu_prepare_pool},
    {"mcu_k_avg_pool_f32", mcu_k_avg_pool_f32, m_avg_pool_f32, mcu_prepare_pool},
    {"mcu_k_max_pool_f32", mcu_k_max_pool_f32, m_max_pool_f32, mcu_prepare_pool},
    {"mcu_k_resize_nearest", mcu_k_resize_nearest, m_resize, mcu_prepare_resize_nearest},
    {NULL, NULL, NULL, NULL},
};
