/* weights_test.c: loading a state dict (.npz built in memory) into the float network: key scheme with a skipped
 * ZeroLayer block, batch-norm folding with the config's eps, forward and quantization properties, and the errors
 * (missing, unexpected, negative variance). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnet.h"
#include "mcu_test.h"
#include "npz_writer.h"

static const char *config =
    "{\"name\": \"ProxylessNASNets\", \"bn\": {\"momentum\": 0.1, \"eps\": 0.001, \"ws_eps\": null},"
    " \"first_conv\": {\"name\": \"ConvLayer\", \"kernel_size\": 3, \"stride\": 2, \"in_channels\": 3,"
    "   \"out_channels\": 4, \"act_func\": \"relu6\"},"
    " \"blocks\": ["
    "  {\"name\": \"MobileInvertedResidualBlock\", \"mobile_inverted_conv\": {\"name\": \"MBInvertedConvLayer\","
    "   \"in_channels\": 4, \"out_channels\": 4, \"kernel_size\": 3, \"stride\": 1, \"expand_ratio\": 1,"
    "   \"mid_channels\": null}, \"shortcut\": null},"
    "  {\"name\": \"MobileInvertedResidualBlock\", \"mobile_inverted_conv\": {\"name\": \"ZeroLayer\", \"stride\": 1},"
    "   \"shortcut\": {\"name\": \"IdentityLayer\", \"in_channels\": [4], \"out_channels\": [4]}},"
    "  {\"name\": \"MobileInvertedResidualBlock\", \"mobile_inverted_conv\": {\"name\": \"MBInvertedConvLayer\","
    "   \"in_channels\": 4, \"out_channels\": 4, \"kernel_size\": 5, \"stride\": 1, \"expand_ratio\": 2,"
    "   \"mid_channels\": 8}, \"shortcut\": {\"name\": \"IdentityLayer\", \"in_channels\": [4], \"out_channels\": [4]}}"
    " ],"
    " \"feature_mix_layer\": {\"name\": \"ConvLayer\", \"kernel_size\": 1, \"stride\": 1, \"in_channels\": 4,"
    "   \"out_channels\": 6, \"act_func\": \"relu6\"},"
    " \"classifier\": {\"name\": \"LinearLayer\", \"in_features\": 6, \"out_features\": 3, \"bias\": true},"
    " \"resolution\": 8}";

#define MAX_KEYS 40
static char names[MAX_KEYS][128];
static buf_t *bodies[MAX_KEYS];
static entry_t entries[MAX_KEYS];
static int n_keys;
static buf_t archive;

/* Adds a float32 entry of `count` values v[i] = base + 0.01 * i (or `fill` when not NAN). */
static void add(const char *key, const char *shape, int count, float base, float fill) {
  float v[512];
  for (int i = 0; i < count; ++i) v[i] = isnan(fill) ? base + 0.01f * (float)(i % 97) : fill;
  snprintf(names[n_keys], sizeof names[0], "%s.npy", key);
  bodies[n_keys] = calloc(1, sizeof(buf_t));
  npy(bodies[n_keys], "<f4", "False", shape, v, sizeof(float) * (size_t)count);
  entries[n_keys] = (entry_t){names[n_keys], bodies[n_keys], 0, 0};
  ++n_keys;
}

static void conv_bn(const char *prefix, const char *wshape, int wcount, int cout, float var) {
  char key[160], cs[16];
  snprintf(cs, sizeof cs, "(%d,)", cout);
  snprintf(key, sizeof key, "%s.conv.weight", prefix), add(key, wshape, wcount, -0.2f, NAN);
  snprintf(key, sizeof key, "%s.bn.weight", prefix), add(key, cs, cout, 0.5f, NAN);
  snprintf(key, sizeof key, "%s.bn.bias", prefix), add(key, cs, cout, 0.1f, NAN);
  snprintf(key, sizeof key, "%s.bn.running_mean", prefix), add(key, cs, cout, 0.05f, NAN);
  snprintf(key, sizeof key, "%s.bn.running_var", prefix), add(key, cs, cout, 0, var);
}

/* The state dict of `config`; `skip` (may be NULL) is left out, `extra` (may be NULL) added. */
static void build(const char *skip, const char *extra, float var) {
  for (int i = 0; i < n_keys; ++i) free(bodies[i]);
  n_keys = 0;
  conv_bn("first_conv", "(4, 3, 3, 3)", 108, 4, 0.81f);
  conv_bn("blocks.0.mobile_inverted_conv.depth_conv", "(4, 1, 3, 3)", 36, 4, 0.81f);
  conv_bn("blocks.0.mobile_inverted_conv.point_linear", "(4, 4, 1, 1)", 16, 4, 0.81f);
  conv_bn("blocks.2.mobile_inverted_conv.inverted_bottleneck", "(8, 4, 1, 1)", 32, 8, 0.81f);
  conv_bn("blocks.2.mobile_inverted_conv.depth_conv", "(8, 1, 5, 5)", 200, 8, var);
  conv_bn("blocks.2.mobile_inverted_conv.point_linear", "(4, 8, 1, 1)", 32, 4, 0.81f);
  conv_bn("feature_mix_layer", "(6, 4, 1, 1)", 24, 6, 0.81f);
  add("classifier.linear.weight", "(3, 6)", 18, -0.1f, NAN);
  add("classifier.linear.bias", "(3,)", 3, 0.3f, NAN);
  if (extra) add(extra, "(3,)", 3, 0, 1);
  int k = 0;
  for (int i = 0; i < n_keys; ++i)
    if (!skip || strncmp(names[i], skip, strlen(skip)) || names[i][strlen(skip)] != '.') entries[k++] = entries[i];
  zip(&archive, entries, k);
}

/* Loads `archive` for `config`; the error message ("" on success), f filled on success (caller frees). */
static const char *load(nas_fnet_t *f) {
  static char msg[512];
  nas_json_t *cfg;
  nas_net_t n;
  nas_npz_t *z = NULL;
  mcu_status_t s = nas_json_parse(config, &cfg);
  if (!s) s = nas_net_from_json(cfg, &n);
  if (!s) s = nas_npz_parse(archive.data, archive.n, &z);
  if (!s) s = nas_fnet_load(&n, cfg, z, f);
  snprintf(msg, sizeof msg, "%s", s ? mcu_status_message(s) : "");
  mcu_status_free(s);
  nas_npz_free(z);
  nas_json_free(cfg);
  return msg;
}

int main(void) {
  nas_fnet_t f;
  build(NULL, "first_conv.bn.num_batches_tracked", 0.81f);
  const char *e = load(&f);
  CHECK(!e[0], "the state dict loads (block 2's keys for the second MB block): %s", e);
  if (!e[0]) {
    CHECK(f.net.num_blocks == 2 && f.net.mix_channels == 6 && f.net.classes == 3, "network shape");
    /* depth_conv of blocks.2 (the second described block), output channel 3, tap 4: w = -0.2 + 0.01 * (3*25+4),
     * gamma = 0.5 + 0.03, folded scale gamma / sqrt(0.81 + 0.001) (the config's eps) */
    const nas_fconv_t *dw = &f.conv[nas_slot_dw(1)];
    double scale = 0.53 / sqrt(0.81 + 0.001), w = (-0.2 + 0.01 * 79) * scale;
    CHECK(fabs(dw->w[3 * 25 + 4] - w) < 1e-5, "folded weight %g, expected %g", dw->w[3 * 25 + 4], w);
    double b = (0.1 + 0.03) - (0.05 + 0.03) * scale;
    CHECK(fabs(dw->b[3] - b) < 1e-6, "folded bias %g, expected %g", dw->b[3], b);
    CHECK(!f.conv[nas_slot_expand(0)].cout && f.conv[nas_slot_expand(1)].cout == 8, "expand slots");
    CHECK(fabs(f.conv[NAS_SLOT_CLS].b[2] - 0.32f) < 1e-7, "classifier bias taken unchanged");

    /* forward: deterministic, ReLU6 tensors within [0, 6], the input range is the image's */
    float img[8 * 8 * 3], l1[3], l2[3];
    for (int i = 0; i < 8 * 8 * 3; ++i) img[i] = (float)((i * 37) % 41) / 10.0f - 2.0f;
    nas_ranges_t r;
    nas_ranges_init(&r);
    mcu_status_t s = nas_forward(&f, img, l1, &r);
    if (!s) s = nas_forward(&f, img, l2, NULL);
    CHECK(!s && !memcmp(l1, l2, sizeof l1), "forward is deterministic: %s", mcu_status_message(s));
    mcu_status_free(s);
    CHECK(r.lo[NAS_T_INPUT] == -2.0f && r.hi[NAS_T_INPUT] == 2.0f, "input range %g..%g", r.lo[NAS_T_INPUT],
          r.hi[NAS_T_INPUT]);
    int relu_ok = 1;
    for (int k = 0; k < NAS_SLOTS; ++k)
      if (f.conv[k].cout && nas_slot_relu6(&f.net, k))
        relu_ok &= r.lo[nas_t_conv(k)] >= 0 && r.hi[nas_t_conv(k)] <= 6;
    CHECK(relu_ok, "ReLU6 outputs stay within [0, 6]");
    CHECK(r.lo[nas_t_add(1)] <= r.hi[nas_t_add(1)] && r.lo[nas_t_add(0)] > r.hi[nas_t_add(0)],
          "the residual block's add observed; block 0 has none");

    /* quantization: ReLU6 tensors get zero point -128; weights per channel at max|w| / 127 */
    nas_qnet_t q;
    s = nas_quantize(&f, &r, &q);
    CHECK(!s, "quantize: %s", mcu_status_message(s));
    if (!s) {
      CHECK(q.t[nas_t_conv(NAS_SLOT_FIRST)].zero_point == -128, "ReLU6 zero point");
      const nas_fconv_t *c = &f.conv[nas_slot_proj(0)];
      double m = 0;
      for (int i = 0; i < 4; ++i) m = fmax(m, fabs(c->w[4 + i]));
      CHECK(fabs(q.conv[nas_slot_proj(0)].w_scale[1] - m / 127) < 1e-9, "weight scale %g vs %g",
            q.conv[nas_slot_proj(0)].w_scale[1], m / 127);
      int has127 = 0;
      for (int i = 0; i < 4; ++i) has127 |= abs(q.conv[nas_slot_proj(0)].w[4 + i]) == 127;
      CHECK(has127, "the largest weight of a channel maps to +-127");
      nas_qparam_t in = q.t[NAS_T_INPUT];
      CHECK(fabs(in.scale - 4.0 / 255) < 1e-7 && in.zero_point == 0, "input: scale %g zero point %d", in.scale,
            in.zero_point);
      nas_qnet_free(&q);
    }
    /* a bias too large for int32 at max|w| / 127 raises that channel's weight scale instead of overflowing */
    f.conv[NAS_SLOT_CLS].b[0] = 1e9f;
    s = nas_quantize(&f, &r, &q);
    CHECK(!s, "quantize with a huge bias: %s", mcu_status_message(s));
    if (!s) {
      double bq = (double)q.conv[NAS_SLOT_CLS].bias[0];
      CHECK(bq > 2e9 && bq < 2147483647.0, "bias %g fits int32 near its limit", bq);
      nas_qnet_free(&q);
    }
    mcu_status_free(s);
    nas_fnet_free(&f);
  }
  build("blocks.2.mobile_inverted_conv.depth_conv.bn.running_var", NULL, 0.81f);
  e = load(&f);
  CHECK(!strcmp(e, "missing key 'blocks.2.mobile_inverted_conv.depth_conv.bn.running_var'"), "missing: %s", e);
  build(NULL, "blocks.1.mobile_inverted_conv.depth_conv.conv.weight", 0.81f);
  e = load(&f);
  CHECK(!strcmp(e, "unexpected key 'blocks.1.mobile_inverted_conv.depth_conv.conv.weight' (not a parameter of this "
                   "architecture)"),
        "unexpected: %s", e);
  build(NULL, NULL, -1);
  e = load(&f);
  CHECK(!strcmp(e, "key 'blocks.2.mobile_inverted_conv.depth_conv.bn.running_var': element 0 is negative"),
        "negative variance: %s", e);
  for (int i = 0; i < n_keys; ++i) free(bodies[i]);
  return mcu_test_finish();
}
