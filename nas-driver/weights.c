/* weights.c: a PyTorch state dict of MCUNet's ProxylessNASNets (.npz) -> the float network, batch norm folded.
 * Key scheme (MCUNet's / OFA's module names; docs/nas.md): first_conv.{conv.weight, bn.*},
 * blocks.N.mobile_inverted_conv.{inverted_bottleneck, depth_conv, point_linear}.{conv.weight, bn.*},
 * feature_mix_layer.{conv.weight, bn.*}, classifier.linear.{weight, bias}; bn.* = weight, bias, running_mean,
 * running_var. Folding: s = gamma / sqrt(var + eps), w' = w * s (per output channel), b' = beta - mean * s, in double.
 * Weakness: only this module layout (a checkpoint of another implementation must be renamed first), and batch norm
 * in eval mode only (running statistics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"

/* The config's block index of each nas_net_t block (ZeroLayer blocks are dropped from the description but keep
 * their index in the state dict), and the batch-norm epsilon. */
static mcu_status_t key_layout(const nas_net_t *n, const nas_json_t *cfg, int *out_index, double *out_eps) {
  *out_eps = 1e-5;
  for (int i = 0; i < n->num_blocks; ++i) out_index[i] = i;
  if (!cfg) return NULL;
  const nas_json_t *bn = nas_json_get(cfg, "bn");
  const nas_json_t *eps = bn ? nas_json_get(bn, "eps") : NULL;
  if (eps && eps->kind == NAS_JSON_NUMBER) {
    if (!(eps->number > 0 && eps->number < 1)) return mcu_status_errorf("config: bn.eps must be in (0, 1)");
    *out_eps = eps->number;
  }
  const nas_json_t *ws = bn ? nas_json_get(bn, "ws_eps") : NULL;
  if (ws && ws->kind != NAS_JSON_NULL)
    return mcu_status_errorf("config: weight standardization (bn.ws_eps) is not supported");
  const nas_json_t *blocks = nas_json_get(cfg, "blocks");
  if (!blocks || blocks->kind != NAS_JSON_ARRAY) return NULL;
  int k = 0;
  for (int j = 0; j < blocks->count && k < n->num_blocks; ++j) {
    const nas_json_t *conv = nas_json_get(blocks->items[j], "mobile_inverted_conv");
    const nas_json_t *name = conv ? nas_json_get(conv, "name") : NULL;
    if (name && name->kind == NAS_JSON_STRING && !strcmp(name->string, "ZeroLayer")) continue;
    out_index[k++] = j;
  }
  if (k != n->num_blocks) return mcu_status_errorf("config: blocks do not match the network description");
  return NULL;
}

/* prefix.conv.weight (OIHW) and prefix.bn.{weight,bias,running_mean,running_var}, folded into c. */
static mcu_status_t load_conv_bn(const nas_npz_t *z, const char *prefix, double eps, nas_fconv_t *c) {
  char key[256];
  int64_t wshape[4] = {c->cout, c->cin / c->group, c->k, c->k}, cshape[1] = {c->cout};
  snprintf(key, sizeof key, "%s.conv.weight", prefix);
  mcu_status_t s = nas_npz_get_f32(z, key, 4, wshape, c->w);
  if (s) return s;
  float *p[4] = {NULL, NULL, NULL, NULL};
  static const char *const names[4] = {"weight", "bias", "running_mean", "running_var"};
  for (int i = 0; i < 4 && !s; ++i) {
    if (!(p[i] = malloc(sizeof(float) * (size_t)c->cout))) {
      s = mcu_status_errorf("out of memory");
      break;
    }
    snprintf(key, sizeof key, "%s.bn.%s", prefix, names[i]);
    s = nas_npz_get_f32(z, key, 1, cshape, p[i]);
  }
  size_t per = (size_t)(c->cin / c->group) * (size_t)c->k * (size_t)c->k;
  for (int o = 0; o < c->cout && !s; ++o) {
    if (p[3][o] < 0) {
      s = mcu_status_errorf("key '%s.bn.running_var': element %d is negative", prefix, o);
      break;
    }
    double scale = p[0][o] / sqrt((double)p[3][o] + eps);
    for (size_t i = 0; i < per; ++i) c->w[(size_t)o * per + i] = (float)(c->w[(size_t)o * per + i] * scale);
    c->b[o] = (float)(p[1][o] - p[2][o] * scale);
    if (!isfinite(c->b[o]) || !isfinite(scale))
      s = mcu_status_errorf("%s: batch norm folding overflows float in channel %d", prefix, o);
  }
  for (int i = 0; i < 4; ++i) free(p[i]);
  return s;
}

mcu_status_t nas_fnet_load(const nas_net_t *n, const nas_json_t *cfg, const nas_npz_t *z, nas_fnet_t *out) {
  int index[NAS_MAX_BLOCKS];
  double eps;
  mcu_status_t s = key_layout(n, cfg, index, &eps);
  if (s) return s;
  if ((s = nas_fnet_alloc(n, out))) return s;
  for (int i = 0; i < z->count; ++i) z->arrays[i].used = 0;
  s = load_conv_bn(z, "first_conv", eps, &out->conv[NAS_SLOT_FIRST]);
  for (int i = 0; i < n->num_blocks && !s; ++i) {
    char prefix[128];
    static const char *const parts[3] = {"inverted_bottleneck", "depth_conv", "point_linear"};
    for (int k = 0; k < 3 && !s; ++k) {
      int slot = 1 + 3 * i + k;
      if (!out->conv[slot].cout) continue; /* expand ratio 1: no inverted_bottleneck */
      snprintf(prefix, sizeof prefix, "blocks.%d.mobile_inverted_conv.%s", index[i], parts[k]);
      s = load_conv_bn(z, prefix, eps, &out->conv[slot]);
    }
  }
  if (!s && n->mix_channels) s = load_conv_bn(z, "feature_mix_layer", eps, &out->conv[NAS_SLOT_MIX]);
  if (!s) {
    nas_fconv_t *c = &out->conv[NAS_SLOT_CLS];
    int64_t wshape[2] = {c->cout, c->cin}, bshape[1] = {c->cout};
    s = nas_npz_get_f32(z, "classifier.linear.weight", 2, wshape, c->w);
    if (!s) s = nas_npz_get_f32(z, "classifier.linear.bias", 1, bshape, c->b);
  }
  for (int i = 0; i < z->count && !s; ++i) {
    const char *k = z->arrays[i].key, *tail = ".num_batches_tracked";
    size_t kl = strlen(k), tl = strlen(tail);
    if (!z->arrays[i].used && !(kl > tl && !strcmp(k + kl - tl, tail)))
      s = mcu_status_errorf("unexpected key '%s' (not a parameter of this architecture)", k);
  }
  if (s) nas_fnet_free(out);
  return s;
}

mcu_status_t nas_fnet_load_file(const nas_net_t *n, const nas_json_t *cfg, const char *npz_path, nas_fnet_t *out) {
  FILE *f = fopen(npz_path, "rb");
  if (!f) return mcu_status_errorf("%s: cannot open", npz_path);
  uint8_t *buf = NULL;
  size_t size = 0, cap = 0;
  for (;;) {
    if (size == cap) {
      size_t nc = cap ? cap * 2 : 1 << 20;
      uint8_t *t = nc > cap ? realloc(buf, nc) : NULL;
      if (!t) {
        free(buf), fclose(f);
        return mcu_status_errorf("%s: out of memory reading", npz_path);
      }
      buf = t, cap = nc;
    }
    size_t got = fread(buf + size, 1, cap - size, f);
    size += got;
    if (!got) break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return mcu_status_errorf("%s: read error", npz_path);
  }
  nas_npz_t *z;
  mcu_status_t s = nas_npz_parse(buf, size, &z);
  if (!s) {
    s = nas_fnet_load(n, cfg, z, out);
    nas_npz_free(z);
  }
  free(buf);
  return s ? mcu_status_annotatef(s, "%s: ", npz_path) : NULL;
}
