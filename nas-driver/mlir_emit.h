/* mlir_emit.h: a nas_net_t as the compiler's graph IR (the mcu dialect, as the ONNX front end imports the export). */
#ifndef MCUNET_NAS_MLIR_EMIT_H
#define MCUNET_NAS_MLIR_EMIT_H

#include <stdio.h>

#include "netdesc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the module that importing nas_onnx_export's model gives, op for op (same shapes, activation quantization
 * and names), except that weights and biases are zero splats (dense<0>) and filters are quantized per tensor: the
 * memory plan and the blob sizes do not depend on either, so the cost queries skip the weights entirely. Returns 0,
 * or -1 on a write error. */
int nas_mlir_write(const nas_net_t *n, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
