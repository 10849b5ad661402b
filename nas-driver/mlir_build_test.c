/* mlir_build_test.c: the module built through the C API (mlir_build.c) verifies and prints exactly as the text
 * (mlir_emit.c) parses, on the zoo's mcunet-in1, on a small network with every block form (no expansion, residual,
 * mix) and on random networks of the default search space (the cost queries compile the built module without
 * verifying it again: mcu_compile_options_t.module_verified). */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "mlir_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "mcu_test.h"
#include "mlir_emit.h"
#include "onnx_export.h"
#include "space.h"

static void append(MlirStringRef s, void *user) { fwrite(s.data, 1, s.length, (FILE *)user); }

/* The module printed in the generic form (every attribute, no aliases), owned by the caller. */
static char *print(MlirModule m) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  mlirOpPrintingFlagsPrintGenericOpForm(flags);
  mlirOperationPrintWithFlags(mlirModuleGetOperation(m), flags, append, f);
  mlirOpPrintingFlagsDestroy(flags);
  fclose(f);
  return buf;
}

static void check_same(MlirContext ctx, const nas_net_t *n, const char *what) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  CHECK(!nas_mlir_write(n, f), "%s: text written", what);
  fclose(f);
  MlirModule parsed = {NULL}, built = {NULL};
  mcu_status_t s = mcu_module_parse_string(ctx, text, what, &parsed);
  CHECK(!s, "%s: text parses: %s", what, mcu_status_message(s));
  mcu_status_free(s);
  s = nas_mlir_build(n, ctx, &built);
  CHECK(!s, "%s: built: %s", what, mcu_status_message(s));
  mcu_status_free(s);
  if (!mlirModuleIsNull(parsed) && !mlirModuleIsNull(built)) {
    CHECK(mlirOperationVerify(mlirModuleGetOperation(built)), "%s: the built module verifies", what);
    char *a = print(parsed), *b = print(built);
    CHECK(!strcmp(a, b), "%s: the built module prints as the parsed text (%zu and %zu characters)", what, strlen(a),
          strlen(b));
    CHECK(strlen(b) > 1000 && strstr(b, "\"mcu.conv2d\"") && strstr(b, "dense<0>"), "%s: not empty", what);
    free(a), free(b);
  }
  if (!mlirModuleIsNull(parsed)) mlirModuleDestroy(parsed);
  if (!mlirModuleIsNull(built)) mlirModuleDestroy(built);
  free(text);
}

int main(void) {
  MlirContext ctx;
  mcu_status_t s = mcu_context_create(&ctx);
  CHECK(!s, "context: %s", mcu_status_message(s));
  if (s) return mcu_test_finish();
  nas_net_t n;
  memset(&n, 0, sizeof n);
  n.resolution = 32, n.in_channels = 3, n.first_channels = 8, n.first_kernel = 3, n.first_stride = 2;
  n.blocks[0] = (nas_block_t){8, 8, 3, 1, 1, 8, 0};
  n.blocks[1] = (nas_block_t){8, 16, 5, 2, 4, 32, 0};
  n.blocks[2] = (nas_block_t){16, 16, 7, 1, 3, 48, 1};
  n.num_blocks = 3, n.mix_channels = 24, n.classes = 10;
  check_same(ctx, &n, "small");
  nas_net_t in1;
  s = nas_net_load(MCUNET_SOURCE_DIR "/../shared/models/mcunet-configs/mcunet-5fps_imagenet.json", &in1);
  CHECK(!s, "mcunet-in1 config: %s", mcu_status_message(s));
  if (!s) check_same(ctx, &in1, "mcunet-in1");
  mcu_status_free(s);
  /* random networks of the default space: three per (width, resolution) candidate space */
  nas_space_t sp;
  s = nas_space_load(MCUNET_SOURCE_DIR "/nas-driver/space_default.json", &sp);
  CHECK(!s, "default space: %s", mcu_status_message(s));
  mcu_status_free(s);
  uint64_t rng = 7;
  for (int w = 0; !s && w < sp.num_widths; ++w)
    for (int r = 0; r < sp.num_resolutions; ++r)
      for (int i = 0; i < 3; ++i) {
        nas_genome_t g;
        nas_net_t sample;
        char what[64];
        nas_genome_sample(&sp, w, r, &rng, &g);
        nas_genome_to_net(&sp, &g, &sample);
        snprintf(what, sizeof what, "space sample w%d r%d #%d", w, r, i);
        check_same(ctx, &sample, what);
      }
  n.blocks[1].in_channels = 9;
  MlirModule bad = {NULL};
  s = nas_mlir_build(&n, ctx, &bad);
  CHECK(s && mlirModuleIsNull(bad) && strstr(mcu_status_message(s), "blocks[1]"), "an inconsistent network is refused");
  mcu_status_free(s);
  mlirContextDestroy(ctx);
  return mcu_test_finish();
}
