/* prepare_tflite_dw.c: which TF Lite int8 convolutions run through the depthwise kernel mcu_k_conv_dw_s8. */
#include "kernel_select.h"
#include "prepare_tflite.h"

/* A depthwise conv (groups == input channels, one input channel per group, output channels a multiple of the
 * input channels: depth multiplier >= 1), not in place (the in-place ones go to mcu_k_conv_dw_inplace_s8, listed
 * first). Its params and aux tables are mcu_k_conv_s8's (mcu_tfl_prepare_conv_s8), so this only picks the kernel. */
int mcu_tfl_match_conv_dw_s8(const mcu_program_t *p, const mcu_layer_t *l) {
  if (!mcu_tfl_match_conv_s8(p, l) || l->inplace)
    return 0;
  const mcu_tensor_t *x = mcu_tfl_in(p, l, 0), *w = mcu_tfl_in(p, l, 1), *y = mcu_tfl_out(p, l);
  return x->rank == 4 && w->rank == 4 && y->rank == 4 && x->shape[3] >= 1 && l->groups == x->shape[3] &&
         w->shape[3] == 1 && y->shape[3] % x->shape[3] == 0 && w->shape[0] == y->shape[3] &&
         mcu_tfl_kernel_choice(p, l).family == MCU_KF_DEPTHWISE; /* select-kernels' choice (--kernel=scalar: no) */
}
