/* fnet.c: the float network's layout: conv slots and activation tensors of a nas_net_t, allocation, seeded images. */
#include "fnet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_export.h" /* nas_rand_* */

#define NAS_TWO_PI 6.283185307179586

int nas_t_block_input(const nas_net_t *n, int block) {
  if (block == 0) return nas_t_conv(NAS_SLOT_FIRST);
  return n->blocks[block - 1].residual ? nas_t_add(block - 1) : nas_t_conv(nas_slot_proj(block - 1));
}

int nas_t_features(const nas_net_t *n) { return nas_t_block_input(n, n->num_blocks); }

int nas_t_slot_input(const nas_net_t *n, int slot) {
  if (slot == NAS_SLOT_FIRST) return NAS_T_INPUT;
  if (slot == NAS_SLOT_MIX) return n->mix_channels ? nas_t_features(n) : -1;
  if (slot == NAS_SLOT_CLS) return NAS_T_POOL;
  int i = (slot - 1) / 3, kind = (slot - 1) % 3;
  if (i >= n->num_blocks) return -1;
  if (kind == 0) return n->blocks[i].expand != 1 ? nas_t_block_input(n, i) : -1;
  if (kind == 1) return n->blocks[i].expand != 1 ? nas_t_conv(nas_slot_expand(i)) : nas_t_block_input(n, i);
  return nas_t_conv(nas_slot_dw(i));
}

int nas_slot_relu6(const nas_net_t *n, int slot) {
  (void)n;
  if (slot == NAS_SLOT_FIRST || slot == NAS_SLOT_MIX) return 1;
  if (slot == NAS_SLOT_CLS) return 0;
  return (slot - 1) % 3 != 2;
}

static void set_geom(nas_fconv_t *c, int cin, int cout, int k, int stride, int group) {
  c->cin = cin, c->cout = cout, c->k = k, c->stride = stride, c->group = group;
}

mcu_status_t nas_fnet_alloc(const nas_net_t *n, nas_fnet_t *out) {
  memset(out, 0, sizeof *out);
  mcu_status_t s = nas_net_check(n);
  if (s) return s;
  out->net = *n;
  set_geom(&out->conv[NAS_SLOT_FIRST], n->in_channels, n->first_channels, n->first_kernel, n->first_stride, 1);
  int c = n->first_channels;
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    if (b->expand != 1) set_geom(&out->conv[nas_slot_expand(i)], b->in_channels, b->mid_channels, 1, 1, 1);
    set_geom(&out->conv[nas_slot_dw(i)], b->mid_channels, b->mid_channels, b->kernel, b->stride, b->mid_channels);
    set_geom(&out->conv[nas_slot_proj(i)], b->mid_channels, b->out_channels, 1, 1, 1);
    c = b->out_channels;
  }
  if (n->mix_channels) set_geom(&out->conv[NAS_SLOT_MIX], c, n->mix_channels, 1, 1, 1), c = n->mix_channels;
  set_geom(&out->conv[NAS_SLOT_CLS], c, n->classes, 1, 1, 1);
  for (int k = 0; k < NAS_SLOTS; ++k) {
    nas_fconv_t *cv = &out->conv[k];
    if (!cv->cout) continue;
    /* channels <= 65536, kernel <= 11: the product fits size_t on every host we build for (< 2^39) */
    size_t nw = (size_t)cv->cout * (size_t)(cv->cin / cv->group) * (size_t)cv->k * (size_t)cv->k;
    cv->w = calloc(nw ? nw : 1, sizeof(float));
    cv->b = calloc((size_t)cv->cout, sizeof(float));
    if (!cv->w || !cv->b) {
      nas_fnet_free(out);
      return mcu_status_errorf("out of memory allocating the float network");
    }
  }
  return NULL;
}

void nas_fnet_free(nas_fnet_t *f) {
  for (int k = 0; k < NAS_SLOTS; ++k) {
    free(f->conv[k].w), free(f->conv[k].b);
    f->conv[k].w = NULL, f->conv[k].b = NULL;
  }
}

void nas_ranges_init(nas_ranges_t *r) {
  for (int i = 0; i < NAS_TENSORS; ++i) r->lo[i] = INFINITY, r->hi[i] = -INFINITY;
}

void nas_seeded_images(const nas_net_t *n, uint64_t seed, int count, float *out) {
  uint64_t rng = seed ^ 0x63616c6962ull; /* "calib": a stream apart from the weights' */
  const int r = n->resolution, ch = n->in_channels;
  for (int img = 0; img < count; ++img) {
    float *im = out + (size_t)img * (size_t)r * (size_t)r * (size_t)ch;
    for (int c = 0; c < ch; ++c) {
      double fx[3], fy[3], ph[3], amp[3], base = nas_rand_unit(&rng) - 0.5;
      for (int k = 0; k < 3; ++k) {
        fx[k] = (nas_rand_unit(&rng) * 3.0) * NAS_TWO_PI / r;
        fy[k] = (nas_rand_unit(&rng) * 3.0) * NAS_TWO_PI / r;
        ph[k] = nas_rand_unit(&rng) * NAS_TWO_PI;
        amp[k] = 0.2 + 0.5 * nas_rand_unit(&rng);
      }
      for (int y = 0; y < r; ++y)
        for (int x = 0; x < r; ++x) {
          double v = base + 0.2 * (nas_rand_unit(&rng) - 0.5);
          for (int k = 0; k < 3; ++k) v += amp[k] * cos(fx[k] * x + fy[k] * y + ph[k]);
          im[((size_t)y * (size_t)r + (size_t)x) * (size_t)ch + (size_t)c] = (float)fmin(2.6, fmax(-2.1, v));
        }
    }
  }
}
