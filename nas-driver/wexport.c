/* wexport.c: the user-weights export pipeline: config + .npz -> float network -> calibration (min/max per tensor
 * over the images) -> int8 quantization -> ONNX. The steps live in weights.c, forward.c, quantize.c, onnx_export.c. */
#include "wexport.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_export.h"

mcu_status_t nas_read_images(const nas_net_t *n, const char *path, float **out_images, int *out_count) {
  FILE *f = fopen(path, "rb");
  if (!f) return mcu_status_errorf("%s: cannot open", path);
  size_t image = (size_t)n->resolution * (size_t)n->resolution * (size_t)n->in_channels * sizeof(float);
  long size = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    return mcu_status_errorf("%s: cannot read", path);
  }
  if (size == 0 || (size_t)size % image || (size_t)size / image > 100000) {
    fclose(f);
    return mcu_status_errorf("%s: %ld bytes is not a whole number (1..100000) of float32 NHWC images of %dx%dx%d "
                             "(%zu bytes each)", path, size, n->resolution, n->resolution, n->in_channels, image);
  }
  float *buf = malloc((size_t)size);
  if (!buf) {
    fclose(f);
    return mcu_status_errorf("%s: out of memory", path);
  }
  size_t got = fread(buf, 1, (size_t)size, f);
  fclose(f);
  if (got != (size_t)size) {
    free(buf);
    return mcu_status_errorf("%s: short read", path);
  }
  for (size_t i = 0; i < (size_t)size / sizeof(float); ++i)
    if (!isfinite(buf[i])) {
      free(buf);
      return mcu_status_errorf("%s: value %zu is not finite", path, i);
    }
  *out_images = buf, *out_count = (int)((size_t)size / image);
  return NULL;
}

/* Config + weights -> float network. */
static mcu_status_t load_net(const char *config_path, const char *npz_path, nas_fnet_t *out) {
  nas_json_t *cfg;
  mcu_status_t s = nas_json_parse_file(config_path, &cfg);
  if (s) return s;
  nas_net_t n;
  s = nas_net_from_json(cfg, &n);
  if (s) s = mcu_status_annotatef(s, "%s: ", config_path);
  if (!s) s = nas_fnet_load_file(&n, cfg, npz_path, out);
  nas_json_free(cfg);
  return s;
}

mcu_status_t nas_export_weights(const char *config_path, const char *npz_path, const char *calib_path, uint64_t seed,
                                const char *out_path, FILE *report) {
  nas_fnet_t f;
  mcu_status_t s = load_net(config_path, npz_path, &f);
  if (s) return s;
  const nas_net_t *n = &f.net;
  float *images = NULL, *logits = malloc(sizeof(float) * (size_t)n->classes);
  int count = NAS_SEEDED_CALIB_IMAGES;
  if (!logits) s = mcu_status_errorf("out of memory");
  if (!s && calib_path) {
    s = nas_read_images(n, calib_path, &images, &count);
  } else if (!s) {
    images = malloc(sizeof(float) * (size_t)count * (size_t)n->resolution * (size_t)n->resolution *
                    (size_t)n->in_channels);
    if (!images) s = mcu_status_errorf("out of memory");
    else nas_seeded_images(n, seed, count, images);
  }
  nas_ranges_t r;
  nas_ranges_init(&r);
  size_t per = (size_t)n->resolution * (size_t)n->resolution * (size_t)n->in_channels;
  for (int i = 0; i < count && !s; ++i) s = nas_forward(&f, images + (size_t)i * per, logits, &r);
  nas_qnet_t q;
  if (!s && !(s = nas_quantize(&f, &r, &q))) {
    s = nas_onnx_export_q_file(n, &q, out_path);
    if (!s && report) {
      nas_qparam_t in = q.t[NAS_T_INPUT], out = q.t[nas_t_conv(NAS_SLOT_CLS)];
      fprintf(report,
              "{\"calibration\": \"%s\", \"images\": %d, \"input_scale\": %.9g, \"input_zero_point\": %d, "
              "\"output_scale\": %.9g, \"output_zero_point\": %d}\n",
              calib_path ? "file" : "seeded", count, in.scale, in.zero_point, out.scale, out.zero_point);
    }
    nas_qnet_free(&q);
  }
  free(images), free(logits);
  nas_fnet_free(&f);
  return s;
}

mcu_status_t nas_forward_file(const char *config_path, const char *npz_path, const char *input_path, FILE *out) {
  nas_fnet_t f;
  mcu_status_t s = load_net(config_path, npz_path, &f);
  if (s) return s;
  const nas_net_t *n = &f.net;
  float *images = NULL, *logits = malloc(sizeof(float) * (size_t)n->classes);
  int count = 0;
  if (!logits) s = mcu_status_errorf("out of memory");
  if (!s) s = nas_read_images(n, input_path, &images, &count);
  size_t per = (size_t)n->resolution * (size_t)n->resolution * (size_t)n->in_channels;
  for (int i = 0; i < count && !s; ++i) {
    s = nas_forward(&f, images + (size_t)i * per, logits, NULL);
    for (int k = 0; k < n->classes && !s; ++k) fprintf(out, "%s%.9g", k ? " " : "", logits[k]);
    if (!s) fputc('\n', out);
  }
  free(images), free(logits);
  nas_fnet_free(&f);
  return s;
}
