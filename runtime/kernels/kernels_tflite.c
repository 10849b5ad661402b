/* kernels_tflite.c: the kernel-library entries of the TF Lite Micro-exact kernels (see kernel_registry.h). */
#include "k_stream_block.h"
#include "k_tflite.h"
#include "kernel_registry.h"
#include "prepare_stream_block.h"
#include "prepare_tflite.h"

/* First match wins (kernel_call.c). Integer entries only match layers with numerics == MCU_NUMERICS_TFLITE;
 * PAD and CONCAT are exact data movement and also serve ONNX layers (CONCAT only when no requantization is
 * involved). The rounding of each function is documented in its k_*.c file and docs/numerics-tflite.md. */
const mcu_kernel_entry_t mcu_kernels_tflite[] = {
    {"mcu_k_stream_block_s8", mcu_k_stream_block_s8, mcu_tfl_match_stream_block_s8, mcu_tfl_prepare_stream_block_s8},
    {"mcu_k_conv_dw_inplace_s8", mcu_k_conv_dw_inplace_s8, mcu_tfl_match_conv_dw_inplace_s8,
     mcu_tfl_prepare_conv_dw_inplace_s8},
    {"mcu_k_conv_dw_s8", mcu_k_conv_dw_s8, mcu_tfl_match_conv_dw_s8, mcu_tfl_prepare_conv_s8},
    {"mcu_k_conv_pw_s8", mcu_k_conv_pw_s8, mcu_tfl_match_conv_pw_s8, mcu_tfl_prepare_conv_pw_s8},
    {"mcu_k_conv_im2col_s8", mcu_k_conv_im2col_s8, mcu_tfl_match_conv_im2col_s8, mcu_tfl_prepare_conv_im2col_s8},
    {"mcu_k_conv_s8", mcu_k_conv_s8, mcu_tfl_match_conv_s8, mcu_tfl_prepare_conv_s8},
    {"mcu_k_conv_f32", mcu_k_conv_f32, mcu_tfl_match_conv_f32, mcu_tfl_prepare_conv_f32},
    {"mcu_k_fc_gemm_s8", mcu_k_fc_gemm_s8, mcu_tfl_match_fc_gemm_s8, mcu_tfl_prepare_fc_gemm_s8},
    {"mcu_k_fc_s8", mcu_k_fc_s8, mcu_tfl_match_fc_s8, mcu_tfl_prepare_fc_s8},
    {"mcu_k_fc_f32", mcu_k_fc_f32, mcu_tfl_match_fc_f32, mcu_tfl_prepare_fc_f32},
    {"mcu_k_requantize", mcu_k_requantize, mcu_tfl_match_requantize, mcu_tfl_prepare_requantize},
    {"mcu_k_quantize_f32", mcu_k_quantize_f32, mcu_tfl_match_quantize_f32, mcu_tfl_prepare_quantize_f32},
    {"mcu_k_dequantize_f32", mcu_k_dequantize_f32, mcu_tfl_match_dequantize_f32, mcu_tfl_prepare_dequantize_f32},
    {"mcu_k_add_s8", mcu_k_add_s8, mcu_tfl_match_add_s8, mcu_tfl_prepare_addsub_s8},
    {"mcu_k_sub_s8", mcu_k_sub_s8, mcu_tfl_match_sub_s8, mcu_tfl_prepare_addsub_s8},
    {"mcu_k_mul_s8", mcu_k_mul_s8, mcu_tfl_match_mul_s8, mcu_tfl_prepare_mul_s8},
    {"mcu_k_add_f32", mcu_k_add_f32, mcu_tfl_match_add_f32, mcu_tfl_prepare_binary_f32},
    {"mcu_k_sub_f32", mcu_k_sub_f32, mcu_tfl_match_sub_f32, mcu_tfl_prepare_binary_f32},
    {"mcu_k_mul_f32", mcu_k_mul_f32, mcu_tfl_match_mul_f32, mcu_tfl_prepare_binary_f32},
    {"mcu_k_pad", mcu_k_pad, mcu_tfl_match_pad, mcu_tfl_prepare_pad},
    {"mcu_k_concat", mcu_k_concat, mcu_tfl_match_concat, mcu_tfl_prepare_concat},
    {"mcu_k_mean", mcu_k_mean, mcu_tfl_match_mean, mcu_tfl_prepare_mean},
    {NULL, NULL, NULL, NULL},
};
