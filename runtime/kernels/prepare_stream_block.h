/* prepare_stream_block.h: the kernel-library entry of the streamed inverted-residual block (host side). */
#ifndef MCUNET_RUNTIME_KERNELS_PREPARE_STREAM_BLOCK_H
#define MCUNET_RUNTIME_KERNELS_PREPARE_STREAM_BLOCK_H

#include "kernel_call.h"
#include "program.h"
#include "status.h"

/* An int8 TF Lite MCU_OP_STREAM_BLOCK with its seven inputs (program.h). */
int mcu_tfl_match_stream_block_s8(const mcu_program_t *p, const mcu_layer_t *l);
/* Params and tables of mcu_k_stream_block_s8 (k_stream_block.h), scratch_bytes = ring rows + one pixel. */
mcu_status_t mcu_tfl_prepare_stream_block_s8(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *call);

#endif
