/* k_stream_block.h: params and entry points of the streamed inverted-residual block (device and host side). */
#ifndef MCUNET_RUNTIME_KERNELS_K_STREAM_BLOCK_H
#define MCUNET_RUNTIME_KERNELS_K_STREAM_BLOCK_H

#include <stdint.h>

#include "k_tflite.h"

/* The three convolutions' own params, exactly as mcu_k_conv_s8 would receive them unfused (prepare_stream_block.c
 * gets them from mcu_tfl_prepare_conv_s8): e = expand 1x1 (input [n,h,w,c] -> [n,h,w,ce]), d = depthwise
 * (groups == ce, multiplier 1, [n,h,w,ce] -> [n,oh,ow,ce]), p = project 1x1 ([n,oh,ow,ce] -> [n,oh,ow,co]).
 * aux0: int32 tables, in order: e.mult[ce], e.shift[ce], d.mult[ce], d.shift[ce], d.bias[ce], p.mult[co],
 * p.shift[co], p.bias'[co], e.bias'[ce], d.hb[ce], d.r1[ce] (the last two for d_rq_fast, mcu_dw_rq_fast_make;
 * zeros otherwise) (a missing bias: zeros; bias' = bias + input_offset * sum of the filter
 * row, the GEMM core's folded bias, k_gemm_s8.h). aux1: d.filter packed by mcu_dw_pack (k_conv_dw.h: int16 pairs,
 * mcu_dw_packed_words(ce, kh * kw) words), then int8 d.filter [ce, kh, kw, 1], then p.filter [co, ce].
 * Scratch: the ring (ring_rows * d.w * ce bytes), tile_n depthwise pixels (tile_n * ce bytes), then at
 * cols_offset (4-aligned) a block of tile_n widened columns of max(e.c, ce) values (k_gemm_s8.h). */
typedef struct mcu_k_stream_params {
  mcu_k_conv_params_t e, d, p;
  int32_t ring_rows;      /* min((d.kh - 1) * d.dilation_h + 1, d.h): expanded rows kept in the scratch */
  int32_t tile_m, tile_n; /* GEMM register tile of the expand and the projection (1x4, 2x2 or 1x1) */
  int32_t cols_offset;    /* byte offset of the widened columns in the scratch */
  int32_t e_rq_mode, p_rq_mode; /* requantization modes of the expand and the projection (mcu_gemm_requant) */
  int32_t d_rq_fast; /* 1: every depthwise channel is mcu_dw_rq_fast_ok, its hb, r1 tables end aux0 (k_conv_dw.h) */
} mcu_k_stream_params_t;

MCU_K_TFLITE_FN(mcu_k_stream_block_s8);

#endif
