/* prepare_gemm_w16.h: the compile-time stream of the 4x1 pointwise tile (k_gemm_w16.h), shared by both front ends. */
#ifndef MCUNET_RUNTIME_KERNELS_PREPARE_GEMM_W16_H
#define MCUNET_RUNTIME_KERNELS_PREPARE_GEMM_W16_H

#include <stdint.h>

#include "kernel_call.h"
#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends the stream of a 4x1 layer to `call` as its next aux table: w the int8 filter [o][k] (o % 4 == 0, k % 4
 * == 0), bias the folded bias'[o], mode the requantization mode (MCU_GEMM_RQ_*), epi and shift the epilogue form
 * (mcu_w16_epi_form: it decides each channel's scale of filter and bias, mcu_w16_scale_log2, and the record at the
 * end of each tile), rec the MMLA records {bias', m, C, e} per channel (read in the MMLA modes), z the output
 * offset. sizes_only: only the table's size (no bytes, aux NULL), w/bias/rec not read (cost queries). */
mcu_status_t mcu_prep_w16_stream(const mcu_layer_t *l, mcu_kernel_call_t *call, const int8_t *w, const int32_t *bias,
                                 const int32_t *rec, int32_t o, int32_t k, int32_t mode, int32_t epi, int32_t shift,
                                 int32_t z, int sizes_only);

#ifdef __cplusplus
}
#endif
#endif
