/* k_softmax_rows.h: device-side row pass shared by the int8 softmax and log_softmax kernels (max and exp sum). */
#ifndef MCUNET_RUNTIME_KERNELS_K_SOFTMAX_ROWS_H
#define MCUNET_RUNTIME_KERNELS_K_SOFTMAX_ROWS_H

/* TF Lite Micro's int8 softmax and log_softmax both start a row the same way: the row maximum (from -128), then
 * sum_exp = sum over the row of RoundingDivideByPOT(exp(x_c - max), 12), i.e. the Q0.31 exponentials of the
 * 256-entry exp table (aux0 of both kernels, indexed by max - x_c in [0, 255]) accumulated in Q12.19, in uint32
 * (wrapping modulo 2^32 instead of overflowing). depth >= 1. */

#include <stdint.h>

#include "k_fixedpoint.h"

static inline int32_t mcu_ksr_row_max_s8(const int8_t *x, int32_t depth) {
  int32_t max = -128;
  for (int32_t c = 0; c < depth; ++c)
    if (x[c] > max) max = x[c];
  return max;
}

static inline uint32_t mcu_ksr_row_exp_sum_q12(const int8_t *x, int32_t depth, int32_t max, const int32_t *exp_table) {
  uint32_t sum = 0; /* Q12.19 */
  for (int32_t c = 0; c < depth; ++c) sum += (uint32_t)mcu_fx_rdbypot(exp_table[max - x[c]], 12);
  return sum;
}

#endif
