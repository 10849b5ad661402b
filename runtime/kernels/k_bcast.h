/* k_bcast.h: device-side walk over a broadcast binary op's output with the matching input element offsets. */
#ifndef MCUNET_RUNTIME_KERNELS_K_BCAST_H
#define MCUNET_RUNTIME_KERNELS_K_BCAST_H

/* Numpy broadcasting as TF Lite Micro's BroadcastAdd/Sub/Mul (4-D/6-D "Slow" forms) do it: every output element
 * is computed from one element of each input, so the visiting order does not change any value. The walk visits
 * output elements in row-major order; `a` and `b` are the element offsets into the two inputs. */

#include <stdint.h>

#include "k_tflite.h"

typedef struct mcu_kb_it {
  int32_t idx[MCU_K_RANK];
  int32_t a, b;
} mcu_kb_it_t;

static inline int32_t mcu_kb_count(const mcu_k_bcast_t *bc) {
  int32_t n = 1;
  for (int d = 0; d < MCU_K_RANK; ++d) n *= bc->out_shape[d];
  return n;
}

static inline void mcu_kb_start(mcu_kb_it_t *it) {
  for (int d = 0; d < MCU_K_RANK; ++d) it->idx[d] = 0;
  it->a = it->b = 0;
}

/* Advances to the next output element (row-major). */
static inline void mcu_kb_next(const mcu_k_bcast_t *bc, mcu_kb_it_t *it) {
  for (int d = MCU_K_RANK - 1; d >= 0; --d) {
    ++it->idx[d];
    it->a += bc->a_stride[d];
    it->b += bc->b_stride[d];
    if (it->idx[d] < bc->out_shape[d]) return;
    it->a -= bc->a_stride[d] * bc->out_shape[d];
    it->b -= bc->b_stride[d] * bc->out_shape[d];
    it->idx[d] = 0;
  }
}

#endif
