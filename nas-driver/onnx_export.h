/* onnx_export.h: writes an int8 ONNX model (QOperator form) of a nas_net_t: seeded or user-supplied weights. */
#ifndef MCUNET_NAS_ONNX_EXPORT_H
#define MCUNET_NAS_ONNX_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fnet.h"
#include "netdesc.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The serialized ModelProto of `n`, weights drawn from `seed` (same description and seed: same bytes). The graph:
 * int8 input [1, C, R, R] (scale 1/64, zero point 0) -> QLinearConv per conv (ReLU6 through the output quantization:
 * scale 6/255, zero point -128; linear projections: scale 1/16, zero point 0), com.microsoft QLinearAdd for the
 * residuals, com.microsoft QLinearGlobalAveragePool, the classifier as a 1x1 QLinearConv, Flatten -> int8 [1, K].
 * Weights int8 per output channel (symmetric), biases int32. *out_bytes is malloc'd (free()). */
mcu_status_t nas_onnx_export(const nas_net_t *n, uint64_t seed, uint8_t **out_bytes, size_t *out_size);
/* nas_onnx_export written to `path` atomically (a temporary file renamed into place). */
mcu_status_t nas_onnx_export_file(const nas_net_t *n, uint64_t seed, const char *path);

/* The same graph with the weights and activation quantization of `q` (nas_quantize): every activation tensor gets
 * its own scale / zero point initializers ("<tensor>.scale", "<tensor>.zero_point"), the pool its own output range.
 * Deterministic: same q, same bytes. */
mcu_status_t nas_onnx_export_q(const nas_net_t *n, const nas_qnet_t *q, uint8_t **out_bytes, size_t *out_size);
mcu_status_t nas_onnx_export_q_file(const nas_net_t *n, const nas_qnet_t *q, const char *path);

/* splitmix64: the exporter's and the search's random numbers (portable, seedable, no global state). */
static inline uint64_t nas_rand_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
/* Uniform in [0, bound) (bound >= 1; the modulo bias is below 2^-40 for the bounds used here). */
static inline uint32_t nas_rand_below(uint64_t *state, uint32_t bound) {
  return (uint32_t)(nas_rand_next(state) % bound);
}
/* Uniform in [0, 1). */
static inline double nas_rand_unit(uint64_t *state) { return (double)(nas_rand_next(state) >> 11) * 0x1.0p-53; }

#ifdef __cplusplus
}
#endif
#endif
