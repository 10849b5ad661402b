/* forward.c: the float forward pass of a nas_fnet_t (calibration and the reference the int8 export is checked with).
 * Direct loops in NHWC: a general conv (weights transposed once per call to [out][ky][kx][in] so the inner loop runs
 * over contiguous input channels), a depthwise conv, ReLU6, residual add, global average pool, linear. Each tensor's
 * min/max widens `ranges`. Weakness: no blocking or vectorisation; mcunet-in2 (67M MACs) takes about 0.06 s of CPU
 * an image here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

static void observe(nas_ranges_t *r, int t, const float *x, size_t n) {
  if (!r) return;
  float lo = r->lo[t], hi = r->hi[t];
  for (size_t i = 0; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  r->lo[t] = lo, r->hi[t] = hi;
}

/* y [ho][wo][cout] = conv(x [h][w][cin]) + bias, then ReLU6 when relu6. wt: scratch for the transposed weights. */
static void conv(const nas_fconv_t *c, const float *x, int h, int w, float *y, int relu6, float *wt) {
  const int k = c->k, s = c->stride, pad = k / 2, ho = nas_out_size(h, s), wo = nas_out_size(w, s);
  const int cin = c->cin, cout = c->cout;
  if (c->group == 1)
    for (int o = 0; o < cout; ++o)
      for (int i = 0; i < cin; ++i)
        for (int t = 0; t < k * k; ++t)
          wt[((size_t)o * (size_t)(k * k) + (size_t)t) * (size_t)cin + (size_t)i] =
              c->w[((size_t)o * (size_t)cin + (size_t)i) * (size_t)(k * k) + (size_t)t];
  for (int oy = 0; oy < ho; ++oy)
    for (int ox = 0; ox < wo; ++ox) {
      float *out = y + ((size_t)oy * (size_t)wo + (size_t)ox) * (size_t)cout;
      for (int o = 0; o < cout; ++o) out[o] = c->b[o];
      for (int ky = 0; ky < k; ++ky) {
        int iy = oy * s + ky - pad;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < k; ++kx) {
          int ix = ox * s + kx - pad;
          if (ix < 0 || ix >= w) continue;
          const float *in = x + ((size_t)iy * (size_t)w + (size_t)ix) * (size_t)cin;
          if (c->group == 1) {
            for (int o = 0; o < cout; ++o) {
              const float *wr = wt + ((size_t)o * (size_t)(k * k) + (size_t)(ky * k + kx)) * (size_t)cin;
              float acc = 0;
              for (int i = 0; i < cin; ++i) acc += wr[i] * in[i];
              out[o] += acc;
            }
          } else { /* depthwise: group == cin == cout */
            for (int o = 0; o < cout; ++o) out[o] += c->w[(size_t)o * (size_t)(k * k) + (size_t)(ky * k + kx)] * in[o];
          }
        }
      }
      if (relu6)
        for (int o = 0; o < cout; ++o) out[o] = out[o] < 0 ? 0 : out[o] > 6 ? 6 : out[o];
    }
}

mcu_status_t nas_forward(const nas_fnet_t *f, const float *image, float *out_logits, nas_ranges_t *ranges) {
  const nas_net_t *n = &f->net;
  /* the largest activation and the largest transposed weight set */
  size_t max_act = (size_t)n->resolution * (size_t)n->resolution * (size_t)n->in_channels, max_w = 1;
  int h = n->resolution;
  for (int k = 0; k < NAS_SLOTS; ++k) {
    const nas_fconv_t *c = &f->conv[k];
    if (!c->cout) continue;
    if (k == NAS_SLOT_FIRST || (k >= 1 && k < NAS_SLOT_MIX && (k - 1) % 3 == 1)) h = nas_out_size(h, c->stride);
    size_t a = (size_t)h * (size_t)h * (size_t)c->cout;
    if (a > max_act) max_act = a;
    size_t nw = (size_t)c->cout * (size_t)(c->cin / c->group) * (size_t)(c->k * c->k);
    if (nw > max_w) max_w = nw;
  }
  float *buf[4], *wt = malloc(sizeof(float) * max_w);
  int ok = wt != NULL;
  for (int i = 0; i < 4; ++i) ok &= (buf[i] = malloc(sizeof(float) * max_act)) != NULL;
  if (!ok) {
    for (int i = 0; i < 4; ++i) free(buf[i]);
    free(wt);
    return mcu_status_errorf("out of memory in the float forward pass");
  }
  h = n->resolution;
  size_t in_n = (size_t)h * (size_t)h * (size_t)n->in_channels;
  observe(ranges, NAS_T_INPUT, image, in_n);
  float *x = buf[0], *t1 = buf[1], *t2 = buf[2], *t3 = buf[3];
  const nas_fconv_t *fc = &f->conv[NAS_SLOT_FIRST];
  conv(fc, image, h, h, x, 1, wt);
  h = nas_out_size(h, fc->stride);
  int c = fc->cout;
  observe(ranges, nas_t_conv(NAS_SLOT_FIRST), x, (size_t)h * h * c);
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    const float *in = x;
    if (b->expand != 1) {
      conv(&f->conv[nas_slot_expand(i)], x, h, h, t1, 1, wt);
      observe(ranges, nas_t_conv(nas_slot_expand(i)), t1, (size_t)h * h * b->mid_channels);
      in = t1;
    }
    const nas_fconv_t *dw = &f->conv[nas_slot_dw(i)];
    conv(dw, in, h, h, t2, 1, wt);
    h = nas_out_size(h, dw->stride);
    size_t mid_n = (size_t)h * h * b->mid_channels, out_n = (size_t)h * h * b->out_channels;
    observe(ranges, nas_t_conv(nas_slot_dw(i)), t2, mid_n);
    conv(&f->conv[nas_slot_proj(i)], t2, h, h, t3, 0, wt);
    observe(ranges, nas_t_conv(nas_slot_proj(i)), t3, out_n);
    if (b->residual) {
      for (size_t j = 0; j < out_n; ++j) t3[j] += x[j];
      observe(ranges, nas_t_add(i), t3, out_n);
    }
    float *tmp = x;
    x = t3, t3 = tmp;
    c = b->out_channels;
  }
  if (n->mix_channels) {
    conv(&f->conv[NAS_SLOT_MIX], x, h, h, t1, 1, wt);
    c = n->mix_channels;
    observe(ranges, nas_t_conv(NAS_SLOT_MIX), t1, (size_t)h * h * c);
    x = t1;
  }
  for (int ch = 0; ch < c; ++ch) { /* global average pool into t2[c] */
    double sum = 0;
    for (size_t p = 0; p < (size_t)h * h; ++p) sum += x[p * (size_t)c + (size_t)ch];
    t2[ch] = (float)(sum / ((double)h * h));
  }
  observe(ranges, NAS_T_POOL, t2, (size_t)c);
  conv(&f->conv[NAS_SLOT_CLS], t2, 1, 1, out_logits, 0, wt);
  observe(ranges, nas_t_conv(NAS_SLOT_CLS), out_logits, (size_t)n->classes);
  for (int i = 0; i < 4; ++i) free(buf[i]);
  free(wt);
  for (int i = 0; i < n->classes; ++i)
    if (!isfinite(out_logits[i])) return mcu_status_errorf("the float forward pass overflows (logit %d not finite)", i);
  return NULL;
}
