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

/* What a stream holds (k_gemm_w16.h): o channels of k values (o % tw == 0, k % 4 == 0) in tiles of tw channels (4:
 * the 4x1 tile and its 4x16 form; 2: the 2x1 tile, o == 2, whose epilogue runs in C); the requantization mode
 * (MCU_GEMM_RQ_*), the epilogue form and its shift (mcu_w16_epi_form: they decide each channel's scale of filter and
 * bias, mcu_w16_scale_log2, and the record at the end of each 4-channel tile), the output offset z; compact: the
 * 4x16 form's int8 groups (each group's 16 filter bytes, channels 0..3 four values each) instead of int16 pairs. */
typedef struct mcu_w16_spec {
  int32_t o, k, tw;
  int32_t mode, epi, shift, z;
  int compact;
} mcu_w16_spec_t;

/* Appends the stream to `call` as its next aux table: w the int8 filter [o][k], bias the folded bias'[o], rec the
 * MMLA records {bias', m, C, e} per channel (read in the MMLA modes). sizes_only: only the table's size (no bytes,
 * aux NULL), w/bias/rec not read (cost queries). */
mcu_status_t mcu_prep_w16_stream(const mcu_layer_t *l, mcu_kernel_call_t *call, const int8_t *w, const int32_t *bias,
                                 const int32_t *rec, const mcu_w16_spec_t *spec, int sizes_only);

#ifdef __cplusplus
}
#endif
#endif
