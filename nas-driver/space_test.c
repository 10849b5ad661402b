/* space_test.c: configs (read, write, read back), analytic MACs/params, the default space and its genomes. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"
#include "onnx_export.h"

#define CONFIGS MCUNET_SOURCE_DIR "/../shared/models/mcunet-configs/"

static void test_zoo_config(void) {
  nas_net_t n;
  mcu_status_t s = nas_net_load(CONFIGS "mcunet-5fps_imagenet.json", &n);
  if (s && strstr(mcu_status_message(s), "cannot open")) { /* the shared folder is optional */
    printf("skip: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    return;
  }
  CHECK(!s, "mcunet-in1 loads: %s", mcu_status_message(s));
  CHECK(n.resolution == 96 && n.first_channels == 16 && n.classes == 1000, "mcunet-in1 header");
  CHECK(nas_net_macs(&n) == 12790096 && nas_net_params(&n) == 630224, "mcunet-in1: %lld MACs, %lld params",
        (long long)nas_net_macs(&n), (long long)nas_net_params(&n));
  /* written and read back: the same network */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CHECK(f && !nas_net_write_json(&n, f), "written");
  fclose(f);
  nas_json_t *j = NULL;
  nas_net_t back;
  s = nas_json_parse(buf, &j);
  if (!s) s = nas_net_from_json(j, &back);
  CHECK(!s && !memcmp(&n, &back, sizeof n), "read back identical: %s", mcu_status_message(s));
  mcu_status_free(s);
  nas_json_free(j);
  free(buf);
  nas_net_t p;
  s = nas_net_load(CONFIGS "proxyless-w0.25-r112_imagenet.json", &p);
  CHECK(!s && nas_net_params(&p) == 564920 && nas_net_macs(&p) == 10691008, "proxyless (ZeroLayer blocks dropped)");
  mcu_status_free(s);
}

static void test_bad_config(void) {
  const char *bad =
      "{\"resolution\": 96, \"first_conv\": {\"in_channels\": 3, \"out_channels\": 16, \"kernel_size\": 3,"
      " \"stride\": 2, \"act_func\": \"relu6\"}, \"blocks\": [{\"mobile_inverted_conv\": {\"name\": "
      "\"MBInvertedConvLayer\", \"in_channels\": 8, \"out_channels\": 8, \"kernel_size\": 3, \"stride\": "
      "1, \"expand_ratio\": 1}, \"shortcut\": null}], \"classifier\": {\"in_features\": 8, "
      "\"out_features\": 10}}";
  nas_json_t *j;
  mcu_status_t s = nas_json_parse(bad, &j);
  CHECK(!s, "parsed");
  nas_net_t n;
  mcu_status_t e = nas_net_from_json(j, &n);
  CHECK(e && strstr(mcu_status_message(e), "blocks[0]: in_channels 8, but the previous layer has 16"), "%s",
        mcu_status_message(e));
  mcu_status_free(e);
  nas_json_free(j);
}

static void test_space(void) {
  nas_space_t sp;
  mcu_status_t s = nas_space_load(MCUNET_SOURCE_DIR "/nas-driver/space_default.json", &sp);
  CHECK(!s, "default space: %s", mcu_status_message(s));
  if (s) {
    mcu_status_free(s);
    return;
  }
  CHECK(sp.num_stages == 6 && sp.num_kernels == 3 && sp.num_expands == 3, "anchors.md's space");
  CHECK(nas_make_divisible(32 * 0.5) == 16 && nas_make_divisible(16 * 0.3) == 8 && nas_make_divisible(40 * 0.7) == 32 &&
            nas_make_divisible(320 * 0.3) == 96,
        "make_divisible");
  uint64_t rng = 42, rng2 = 42;
  for (int t = 0; t < 200; ++t) {
    nas_genome_t g, h, m, c;
    nas_genome_sample(&sp, t % sp.num_widths, t % sp.num_resolutions, &rng, &g);
    nas_net_t n;
    nas_genome_to_net(&sp, &g, &n);
    mcu_status_t e = nas_net_check(&n);
    CHECK(!e, "sampled network %d is valid: %s", t, mcu_status_message(e));
    mcu_status_free(e);
    char text[1024];
    CHECK(!nas_genome_format(&sp, &g, text, sizeof text) && !nas_genome_parse(&sp, text, &h) &&
              !memcmp(&g, &h, sizeof g),
          "genome text round trip: %s", text);
    nas_genome_mutate(&sp, &g, 0.0, &rng2, &m);
    CHECK(!memcmp(&g, &m, sizeof g), "mutation with probability 0 is the identity");
    nas_genome_crossover(&sp, &g, &g, &rng2, &c);
    CHECK(!memcmp(&g, &c, sizeof g), "crossover of a genome with itself is itself");
  }
  nas_genome_t g;
  CHECK(nas_genome_parse(&sp, "0 0 | 9", &g) == -1, "a depth out of range is refused");
}

int main(void) {
  test_zoo_config();
  test_bad_config();
  test_space();
  return mcu_test_finish();
}
