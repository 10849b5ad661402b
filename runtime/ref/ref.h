/* ref.h: the reference kernels, portable C that defines the numerics generated code must match bit for bit. */
#ifndef MCUNET_RUNTIME_REF_H
#define MCUNET_RUNTIME_REF_H

#include "program.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ONNX requantization multiplier: (float)s_in * (float)s_w / (float)s_out in float32, left to right. */
float mcu_ref_requant_scale(double s_in, double s_w, double s_out);

/* ONNX requantization of one accumulator (docs/ir.md steps 3-5): clamp((float)acc * m) to
 * [act_min - zp, act_max - zp], round half to even, add zp. */
int32_t mcu_ref_requantize(int32_t acc, float m, int32_t zp, int32_t act_min, int32_t act_max);

/* Runs one layer of `p` with the reference kernels. `in[i]` points to the bytes of the layer's input i, `out` to
 * its output buffer (mcu_tensor_bytes of the output tensor). Returns 0, or -1 for an op it cannot run. */
int mcu_ref_run_layer(const mcu_program_t *p, const mcu_layer_t *l, const void *const *in, void *out);

/* Runs the whole program with every tensor in a buffer of its own (so the memory plan is not trusted):
 * inputs[i] holds model input i, outputs[j] receives model output j. Returns 0 on success. */
int mcu_ref_run(const mcu_program_t *p, const void *const *inputs, void *const *outputs);

#ifdef __cplusplus
}
#endif
#endif
