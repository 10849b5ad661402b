/* kernels_onnx.c: the kernel-library entries of the ONNX group and of float32 layers of any numerics. */
#include "k_misc.h"
#include "k_onnx.h"
#include "k_tflite.h"
#include "kernel_registry.h"
#include "prepare_misc.h"
#include "prepare_onnx.h"
#include "prepare_tflite.h"

/* First match wins (kernel_call.c); this table comes after the TF Lite and misc ones, whose entries only take
 * TF Lite layers (except exact data movement: pad, and concat when no input is requantized). Quantized entries
 * take layers with numerics == MCU_NUMERICS_ONNX and reproduce ONNX Runtime (docs/numerics-onnx.md). The float32
 * entries take float layers of ONNX numerics with the same functions and prepares as the TF Lite layers (float
 * arithmetic has no numerics variant), or float-only ops (matmul, leaky relu, hard sigmoid, batch norm) of any
 * numerics. */
const mcu_kernel_entry_t mcu_kernels_onnx[] = {
    {"mcu_k_conv_dw_s8", mcu_k_conv_dw_s8, mcu_onnx_match_conv_dw_s8, mcu_onnx_prepare_conv_dw_s8},
    {"mcu_k_conv_pw_s8", mcu_k_conv_pw_s8, mcu_onnx_match_conv_pw_s8, mcu_onnx_prepare_conv_pw_s8},
    {"mcu_k_conv_im2col_s8", mcu_k_conv_im2col_s8, mcu_onnx_match_conv_im2col_s8, mcu_onnx_prepare_conv_im2col_s8},
    {"mcu_k_qladd_q8", mcu_k_qladd_q8, mcu_onnx_match_qladd, mcu_onnx_prepare_qladd},
    {"mcu_k_qlmul_q8", mcu_k_qlmul_q8, mcu_onnx_match_qlmul, mcu_onnx_prepare_qlmul},
    {"mcu_k_qlavgpool_q8", mcu_k_qlavgpool_q8, mcu_onnx_match_qlavgpool, mcu_onnx_prepare_qlavgpool},
    {"mcu_k_qlgavgpool_q8", mcu_k_qlgavgpool_q8, mcu_onnx_match_qlgavgpool, mcu_onnx_prepare_qlgavgpool},
    {"mcu_k_qlconcat_q8", mcu_k_qlconcat_q8, mcu_onnx_match_qlconcat, mcu_onnx_prepare_qlconcat},
    {"mcu_k_lut_s8", mcu_k_lut_s8, mcu_onnx_match_qlsigmoid, mcu_onnx_prepare_qlsigmoid},
    {"mcu_k_lut_s8", mcu_k_lut_s8, mcu_onnx_match_qlleakyrelu, mcu_onnx_prepare_qlleakyrelu},
    {"mcu_k_matmul_f32", mcu_k_matmul_f32, mcu_onnx_match_matmul_f32, mcu_onnx_prepare_matmul_f32},
    {"mcu_k_leaky_relu_f32", mcu_k_leaky_relu_f32, mcu_onnx_match_leaky_relu_f32, mcu_onnx_prepare_leaky_relu_f32},
    {"mcu_k_hard_sigmoid_f32", mcu_k_hard_sigmoid_f32, mcu_onnx_match_hard_sigmoid_f32,
     mcu_onnx_prepare_hard_sigmoid_f32},
    {"mcu_k_batch_norm_f32", mcu_k_batch_norm_f32, mcu_onnx_match_batch_norm_f32, mcu_onnx_prepare_batch_norm_f32},
    {"mcu_k_conv_f32", mcu_k_conv_f32, mcu_onnx_match_conv_f32, mcu_tfl_prepare_conv_f32},
    {"mcu_k_fc_f32", mcu_k_fc_f32, mcu_onnx_match_fc_f32, mcu_tfl_prepare_fc_f32},
    {"mcu_k_add_f32", mcu_k_add_f32, mcu_onnx_match_add_f32, mcu_tfl_prepare_binary_f32},
    {"mcu_k_sub_f32", mcu_k_sub_f32, mcu_onnx_match_sub_f32, mcu_tfl_prepare_binary_f32},
    {"mcu_k_mul_f32", mcu_k_mul_f32, mcu_onnx_match_mul_f32, mcu_tfl_prepare_binary_f32},
    {"mcu_k_avg_pool_f32", mcu_k_avg_pool_f32, mcu_onnx_match_avg_pool_f32, mcu_prepare_pool},
    {"mcu_k_max_pool_f32", mcu_k_max_pool_f32, mcu_onnx_match_max_pool_f32, mcu_prepare_pool},
    {"mcu_k_mean", mcu_k_mean, mcu_onnx_match_mean_f32, mcu_tfl_prepare_mean},
    {"mcu_k_softmax_f32", mcu_k_softmax_f32, mcu_onnx_match_softmax_f32, mcu_prepare_softmax_f32},
    {"mcu_k_log_softmax_f32", mcu_k_log_softmax_f32, mcu_onnx_match_log_softmax_f32, mcu_prepare_log_softmax_f32},
    {"mcu_k_logistic_f32", mcu_k_logistic_f32, mcu_onnx_match_logistic_f32, mcu_prepare_elementwise_f32},
    {"mcu_k_hard_swish_f32", mcu_k_hard_swish_f32, mcu_onnx_match_hard_swish_f32, mcu_prepare_elementwise_f32},
    {"mcu_k_resize_nearest", mcu_k_resize_nearest, mcu_onnx_match_resize, mcu_prepare_resize_nearest},
    {NULL, NULL, NULL, NULL},
};
