/* quantize.c: post-training int8 quantization of a float network from calibration ranges.
 * Activations: per tensor, asymmetric: the observed [min, max] widened to include 0 (so zero is exact, which the
 * convs' padding needs) mapped onto [-128, 127]; a ReLU6 output has min 0, so its zero point is -128 and the int8
 * clamp is the ReLU (and clips at the observed max, at most 6). Weights: per output channel, symmetric,
 * scale max|w| / 127, zero point 0 (what TF Lite's int8 models and the kernels expect). Biases: int32 at scale
 * input_scale * w_scale[c]. Why min/max: simple, deterministic, no outliers rule to tune. Weakness: one outlier
 * value stretches a tensor's range and costs every other value resolution (a percentile or MSE-optimal range would
 * be tighter), and the ranges are only as good as the calibration images. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

static nas_qparam_t qparam_of(float lo, float hi) {
  nas_qparam_t q;
  if (!(lo <= hi)) lo = hi = 0; /* never observed */
  if (lo > 0) lo = 0;
  if (hi < 0) hi = 0;
  double scale = ((double)hi - lo) / 255.0;
  if (scale < 1e-8) scale = 1e-8; /* a constant-zero tensor: any positive scale represents it */
  double zp = nearbyint(-128.0 - lo / scale);
  q.scale = (float)scale;
  q.zero_point = zp < -128 ? -128 : zp > 127 ? 127 : (int)zp;
  return q;
}

void nas_qnet_free(nas_qnet_t *q) {
  for (int k = 0; k < NAS_SLOTS; ++k) {
    free(q->conv[k].w), free(q->conv[k].w_scale), free(q->conv[k].bias);
    q->conv[k].w = NULL, q->conv[k].w_scale = NULL, q->conv[k].bias = NULL;
  }
}

mcu_status_t nas_quantize(const nas_fnet_t *f, const nas_ranges_t *r, nas_qnet_t *out) {
  memset(out, 0, sizeof *out);
  const nas_net_t *n = &f->net;
  for (int t = 0; t < NAS_TENSORS; ++t) out->t[t] = qparam_of(r->lo[t], r->hi[t]);
  for (int k = 0; k < NAS_SLOTS; ++k) {
    const nas_fconv_t *c = &f->conv[k];
    if (!c->cout) continue;
    int tin = nas_t_slot_input(n, k);
    if (tin < 0) return mcu_status_errorf("internal: conv slot %d has no input tensor", k);
    const double sx = out->t[tin].scale;
    size_t per = (size_t)(c->cin / c->group) * (size_t)(c->k * c->k);
    nas_qconv_t *q = &out->conv[k];
    q->w = malloc(per * (size_t)c->cout);
    q->w_scale = malloc(sizeof(float) * (size_t)c->cout);
    q->bias = malloc(sizeof(int32_t) * (size_t)c->cout);
    if (!q->w || !q->w_scale || !q->bias) {
      nas_qnet_free(out);
      return mcu_status_errorf("out of memory quantizing");
    }
    for (int o = 0; o < c->cout; ++o) {
      const float *w = c->w + (size_t)o * per;
      double m = 0;
      for (size_t i = 0; i < per; ++i) m = fmax(m, fabs((double)w[i]));
      double ws = m / 127.0;
      /* the bias must fit int32 at scale sx * ws: |b| / (sx * ws) <= 2^31 - 128 (margin for rounding) */
      double need = fabs((double)c->b[o]) / (sx * 2147483520.0);
      if (ws < need) ws = need;
      if (ws < 1e-12) ws = 1e-12; /* an all-zero channel with no bias */
      if (ws > FLT_MAX) return mcu_status_errorf("conv slot %d channel %d: weight scale overflows float", k, o);
      float wsf = (float)ws;
      ws = wsf; /* quantize with the scale the model will carry */
      q->w_scale[o] = wsf;
      for (size_t i = 0; i < per; ++i) {
        double v = nearbyint(w[i] / ws);
        q->w[(size_t)o * per + i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
      }
      double b = nearbyint(c->b[o] / (sx * ws));
      if (!(fabs(b) <= 2147483647.0)) return mcu_status_errorf("conv slot %d channel %d: bias overflows int32", k, o);
      q->bias[o] = (int32_t)b;
    }
  }
  return NULL;
}
