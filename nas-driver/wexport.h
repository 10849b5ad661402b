/* wexport.h: `mcunet-nas export --weights`: state dict + calibration -> int8 ONNX, and the float forward tool. */
#ifndef MCUNET_NAS_WEXPORT_H
#define MCUNET_NAS_WEXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "fnet.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NAS_SEEDED_CALIB_IMAGES 8

/* Reads raw float32 NHWC images of n's input shape from `path` (a whole number of images, at least one, every
 * value finite). *out_images is malloc'd (free()), *out_count images. */
mcu_status_t nas_read_images(const nas_net_t *n, const char *path, float **out_images, int *out_count);

/* The export with user weights: loads `config_path` and `npz_path`, runs the float network on the calibration
 * images (`calib_path`, or NAS_SEEDED_CALIB_IMAGES seeded images from `seed` when NULL), quantizes, writes `out_path`
 * atomically. `report` (may be NULL) gets one JSON line: the calibration used and the input/output quantization. */
mcu_status_t nas_export_weights(const char *config_path, const char *npz_path, const char *calib_path, uint64_t seed,
                                const char *out_path, FILE *report);

/* The float network's logits of every image of `input_path` (raw float32 NHWC), one line per image to `out`. */
mcu_status_t nas_forward_file(const char *config_path, const char *npz_path, const char *input_path, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
