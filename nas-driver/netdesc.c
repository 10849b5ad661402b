/* netdesc.c: MCUNet config <-> nas_net_t, and the analytic MACs / parameter counts of a description. */
#include "netdesc.h"

#include <math.h>
#include <string.h>

static mcu_status_t read_conv_layer(const nas_json_t *c, const char *what, int *out_in, int *out_out, int *out_k,
                                    int *out_s) {
  long in, out, k, s;
  mcu_status_t st;
  if ((st = nas_json_int(c, "in_channels", what, 1, 65536, 0, 0, &in)) ||
      (st = nas_json_int(c, "out_channels", what, 1, 65536, 0, 0, &out)) ||
      (st = nas_json_int(c, "kernel_size", what, 1, 11, 1, 1, &k)) ||
      (st = nas_json_int(c, "stride", what, 1, 2, 1, 1, &s)))
    return st;
  long groups;
  if ((st = nas_json_int(c, "groups", what, 1, 1, 1, 1, &groups))) return st;
  *out_in = (int)in, *out_out = (int)out, *out_k = (int)k, *out_s = (int)s;
  return NULL;
}

static int is_name(const nas_json_t *v, const char *name) {
  const nas_json_t *n = nas_json_get(v, "name");
  return n && n->kind == NAS_JSON_STRING && !strcmp(n->string, name);
}

/* act_func must be `expected` (NULL: none); missing_ok: a missing act_func means the layer class's default
 * (MBInvertedConvLayer's is relu6 in ProxylessNAS and OFA). */
static mcu_status_t check_act(const nas_json_t *v, const char *what, const char *expected, int missing_ok) {
  const nas_json_t *a = nas_json_get(v, "act_func");
  if (!a && missing_ok) return NULL;
  int ok = expected ? a && a->kind == NAS_JSON_STRING && !strcmp(a->string, expected) : !a || a->kind == NAS_JSON_NULL;
  if (!ok) return mcu_status_errorf("%s: act_func must be %s", what, expected ? expected : "null");
  const nas_json_t *se = nas_json_get(v, "use_se");
  if (se && se->kind == NAS_JSON_BOOL && se->number)
    return mcu_status_errorf("%s: squeeze-excite (use_se) is not supported", what);
  return NULL;
}

mcu_status_t nas_net_from_json(const nas_json_t *cfg, nas_net_t *out_net) {
  nas_net_t n;
  memset(&n, 0, sizeof n);
  mcu_status_t s;
  long r;
  if ((s = nas_json_int(cfg, "resolution", "config", 8, 1024, 0, 0, &r))) return s;
  n.resolution = (int)r;
  const nas_json_t *fc = nas_json_get(cfg, "first_conv");
  if (!fc) return mcu_status_errorf("config: missing 'first_conv'");
  if ((s = read_conv_layer(fc, "first_conv", &n.in_channels, &n.first_channels, &n.first_kernel, &n.first_stride)) ||
      (s = check_act(fc, "first_conv", "relu6", 0)))
    return s;
  const nas_json_t *blocks = nas_json_get(cfg, "blocks");
  if (!blocks || blocks->kind != NAS_JSON_ARRAY) return mcu_status_errorf("config: missing 'blocks' array");
  for (int i = 0; i < blocks->count; ++i) {
    const nas_json_t *b = blocks->items[i];
    char what[64];
    snprintf(what, sizeof what, "blocks[%d]", i);
    const nas_json_t *conv = nas_json_get(b, "mobile_inverted_conv");
    const nas_json_t *sc = nas_json_get(b, "shortcut");
    int has_sc = sc && sc->kind == NAS_JSON_OBJECT;
    if (has_sc && !is_name(sc, "IdentityLayer"))
      return mcu_status_errorf("%s: only IdentityLayer shortcuts are supported", what);
    if (!conv || conv->kind != NAS_JSON_OBJECT) return mcu_status_errorf("%s: missing mobile_inverted_conv", what);
    if (is_name(conv, "ZeroLayer")) {
      if (!has_sc) return mcu_status_errorf("%s: a ZeroLayer without a shortcut zeroes the network", what);
      continue; /* a skipped block: the identity */
    }
    if (!is_name(conv, "MBInvertedConvLayer"))
      return mcu_status_errorf("%s: only MBInvertedConvLayer blocks are supported", what);
    if (n.num_blocks == NAS_MAX_BLOCKS) return mcu_status_errorf("%s: more than %d blocks", what, NAS_MAX_BLOCKS);
    nas_block_t *bl = &n.blocks[n.num_blocks];
    long e, mid;
    if ((s = read_conv_layer(conv, what, &bl->in_channels, &bl->out_channels, &bl->kernel, &bl->stride)) ||
        (s = check_act(conv, what, "relu6", 1)) || (s = nas_json_int(conv, "expand_ratio", what, 1, 16, 0, 0, &e)) ||
        (s = nas_json_int(conv, "mid_channels", what, 1, 65536, 1, 0, &mid)))
      return s;
    bl->expand = (int)e;
    /* ProxylessNAS: mid_channels null means round(in * expand). */
    bl->mid_channels = e == 1 ? bl->in_channels : mid ? (int)mid : bl->in_channels * (int)e;
    bl->residual = has_sc;
    ++n.num_blocks;
  }
  const nas_json_t *fm = nas_json_get(cfg, "feature_mix_layer");
  int last = n.num_blocks ? n.blocks[n.num_blocks - 1].out_channels : n.first_channels;
  if (fm && fm->kind == NAS_JSON_OBJECT) {
    int in, k, st;
    if ((s = read_conv_layer(fm, "feature_mix_layer", &in, &n.mix_channels, &k, &st)) ||
        (s = check_act(fm, "feature_mix_layer", "relu6", 0)))
      return s;
    if (k != 1 || st != 1 || in != last)
      return mcu_status_errorf("feature_mix_layer: must be a 1x1 stride-1 conv on the last block's %d channels", last);
    last = n.mix_channels;
  }
  const nas_json_t *cl = nas_json_get(cfg, "classifier");
  long in_f, out_f;
  if (!cl) return mcu_status_errorf("config: missing 'classifier'");
  if ((s = nas_json_int(cl, "in_features", "classifier", 1, 65536, 0, 0, &in_f)) ||
      (s = nas_json_int(cl, "out_features", "classifier", 1, 65536, 0, 0, &out_f)) ||
      (s = check_act(cl, "classifier", NULL, 1)))
    return s;
  const nas_json_t *bias = nas_json_get(cl, "bias");
  if (bias && bias->kind == NAS_JSON_BOOL && !bias->number)
    return mcu_status_errorf("classifier: a linear layer without bias is not supported");
  if (in_f != last) return mcu_status_errorf("classifier: in_features %ld, but the features have %d", in_f, last);
  n.classes = (int)out_f;
  if ((s = nas_net_check(&n))) return s;
  *out_net = n;
  return NULL;
}

mcu_status_t nas_net_load(const char *path, nas_net_t *out_net) {
  nas_json_t *j;
  mcu_status_t s = nas_json_parse_file(path, &j);
  if (s) return s;
  s = nas_net_from_json(j, out_net);
  nas_json_free(j);
  return s ? mcu_status_annotatef(s, "%s: ", path) : NULL;
}

mcu_status_t nas_net_check(const nas_net_t *n) {
  if (n->resolution < 8 || n->resolution > 1024)
    return mcu_status_errorf("resolution %d out of [8, 1024]", n->resolution);
  if (n->in_channels != 3 && n->in_channels != 1) return mcu_status_errorf("first_conv: 1 or 3 input channels");
  if (n->first_kernel < 1 || n->first_kernel % 2 == 0 || n->first_stride < 1 || n->first_stride > 2)
    return mcu_status_errorf("first_conv: odd kernel and stride 1 or 2 expected");
  if (n->num_blocks < 0 || n->num_blocks > NAS_MAX_BLOCKS) return mcu_status_errorf("bad block count");
  int c = n->first_channels;
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    if (b->in_channels != c)
      return mcu_status_errorf("blocks[%d]: in_channels %d, but the previous layer has %d", i, b->in_channels, c);
    if (b->kernel < 1 || b->kernel > 11 || b->kernel % 2 == 0 || b->stride < 1 || b->stride > 2 || b->expand < 1 ||
        b->mid_channels < 1 || b->out_channels < 1 || b->mid_channels > 65536 || b->out_channels > 65536)
      return mcu_status_errorf("blocks[%d]: kernel, stride, expand or channels out of range", i);
    if (b->expand == 1 && b->mid_channels != b->in_channels)
      return mcu_status_errorf("blocks[%d]: expand_ratio 1 needs mid_channels == in_channels", i);
    if (b->residual && (b->stride != 1 || b->in_channels != b->out_channels))
      return mcu_status_errorf("blocks[%d]: a residual block needs stride 1 and in == out channels", i);
    c = b->out_channels;
  }
  if (n->classes < 1) return mcu_status_errorf("classifier: no classes");
  return NULL;
}

int64_t nas_net_macs(const nas_net_t *n) {
  int64_t h = nas_out_size(n->resolution, n->first_stride);
  int64_t m = h * h * n->first_kernel * n->first_kernel * n->in_channels * n->first_channels;
  int64_t c = n->first_channels;
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    if (b->expand != 1) m += h * h * b->in_channels * (int64_t)b->mid_channels;
    h = nas_out_size((int)h, b->stride);
    m += h * h * b->kernel * b->kernel * (int64_t)b->mid_channels;
    m += h * h * b->mid_channels * (int64_t)b->out_channels;
    c = b->out_channels;
  }
  if (n->mix_channels) {
    m += h * h * c * n->mix_channels;
    c = n->mix_channels;
  }
  return m + c * n->classes;
}

int64_t nas_net_params(const nas_net_t *n) {
  int64_t p = (int64_t)n->first_kernel * n->first_kernel * n->in_channels * n->first_channels + n->first_channels;
  int64_t c = n->first_channels;
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    if (b->expand != 1) p += (int64_t)b->in_channels * b->mid_channels + b->mid_channels;
    p += (int64_t)b->kernel * b->kernel * b->mid_channels + b->mid_channels;
    p += (int64_t)b->mid_channels * b->out_channels + b->out_channels;
    c = b->out_channels;
  }
  if (n->mix_channels) {
    p += c * n->mix_channels + n->mix_channels;
    c = n->mix_channels;
  }
  return p + c * n->classes + n->classes;
}

int nas_net_write_json(const nas_net_t *n, FILE *f) {
  fprintf(f,
          "{\n  \"name\": \"ProxylessNASNets\",\n  \"bn\": {\"momentum\": 0.1, \"eps\": 1e-05, \"ws_eps\": null},\n");
  fprintf(f,
          "  \"first_conv\": {\"name\": \"ConvLayer\", \"kernel_size\": %d, \"stride\": %d, \"dilation\": 1, "
          "\"groups\": 1, \"bias\": false, \"has_shuffle\": false, \"in_channels\": %d, \"out_channels\": %d, "
          "\"use_bn\": true, \"act_func\": \"relu6\", \"dropout_rate\": 0, \"ops_order\": \"weight_bn_act\"},\n",
          n->first_kernel, n->first_stride, n->in_channels, n->first_channels);
  fprintf(f, "  \"blocks\": [");
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    fprintf(f,
            "%s\n    {\"name\": \"MobileInvertedResidualBlock\", \"mobile_inverted_conv\": {\"name\": "
            "\"MBInvertedConvLayer\", \"in_channels\": %d, \"out_channels\": %d, \"kernel_size\": %d, \"stride\": %d, "
            "\"expand_ratio\": %d, \"mid_channels\": ",
            i ? "," : "", b->in_channels, b->out_channels, b->kernel, b->stride, b->expand);
    if (b->expand == 1)
      fprintf(f, "null");
    else
      fprintf(f, "%d", b->mid_channels);
    fprintf(f, ", \"act_func\": \"relu6\", \"use_se\": false}, \"shortcut\": ");
    if (b->residual)
      fprintf(f,
              "{\"name\": \"IdentityLayer\", \"in_channels\": %d, \"out_channels\": %d, \"use_bn\": false, "
              "\"act_func\": null, \"dropout_rate\": 0, \"ops_order\": \"weight_bn_act\"}}",
              b->in_channels, b->out_channels);
    else
      fprintf(f, "null}");
  }
  fprintf(f, "\n  ],\n  \"feature_mix_layer\": ");
  int c = n->num_blocks ? n->blocks[n->num_blocks - 1].out_channels : n->first_channels;
  if (n->mix_channels) {
    fprintf(f,
            "{\"name\": \"ConvLayer\", \"kernel_size\": 1, \"stride\": 1, \"dilation\": 1, \"groups\": 1, \"bias\": "
            "false, \"has_shuffle\": false, \"in_channels\": %d, \"out_channels\": %d, \"use_bn\": true, "
            "\"act_func\": \"relu6\", \"dropout_rate\": 0, \"ops_order\": \"weight_bn_act\"}",
            c, n->mix_channels);
    c = n->mix_channels;
  } else {
    fprintf(f, "null");
  }
  fprintf(f,
          ",\n  \"classifier\": {\"name\": \"LinearLayer\", \"in_features\": %d, \"out_features\": %d, \"bias\": true, "
          "\"use_bn\": false, \"act_func\": null, \"dropout_rate\": 0, \"ops_order\": \"weight_bn_act\"},\n",
          c, n->classes);
  fprintf(f, "  \"resolution\": %d\n}\n", n->resolution);
  return ferror(f) ? -1 : 0;
}
