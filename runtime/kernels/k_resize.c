/* k_resize.c: nearest-neighbour resize of NHWC tensors with precomputed source rows and columns. */
#include <stdint.h>
#include <string.h>

#include "k_misc.h"

/* mcu_k_resize_nearest: out[b, y, x, :] = in[b, aux0[y], aux1[x], :] (pixel_bytes bytes per pixel, any element
 * type). The source indices are TF Lite's GetNearestNeighbor (align_corners, half_pixel_centers, float scale and
 * offset, round or floor) evaluated at compile time in prepare_misc_pool.c, so no float arithmetic runs here.
 * Parameters: mcu_k_resize_params_t; aux0 int32[out_h] in [0, in_h), aux1 int32[out_w] in [0, in_w); in0
 * [batches, in_h, in_w, pixel_bytes], out [batches, out_h, out_w, pixel_bytes] (no aliasing). */
void mcu_k_resize_nearest(const void *params, const void *aux0, const void *aux1, const void *in0,
                          const void *in1, const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_resize_params_t *p = (const mcu_k_resize_params_t *)params;
  const int32_t *src_y = (const int32_t *)aux0, *src_x = (const int32_t *)aux1;
  const uint8_t *x = (const uint8_t *)in0;
  uint8_t *y = (uint8_t *)out;
  const size_t pix = (size_t)p->pixel_bytes, row = pix * (size_t)p->in_w, image = row * (size_t)p->in_h;
  for (int32_t b = 0; b < p->batches; ++b, x += image)
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      const uint8_t *in_row = x + (size_t)src_y[oy] * row;
      for (int32_t ox = 0; ox < p->out_w; ++ox, y += pix) memcpy(y, in_row + (size_t)src_x[ox] * pix, pix);
    }
}
