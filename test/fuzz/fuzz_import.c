/* fuzz_import.c: libFuzzer target for a front end (ONNX or TFLite, chosen at build time by MCUNET_FUZZ_FORMAT). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "context.h"
#include "onnx_import.h"
#include "tflite_import.h"

/* The importers read files: each input is written to one temporary file, imported, and the module (if any)
 * verified and destroyed. One MLIR context serves every input. A crash, a sanitizer report, a leak or a hang is
 * a finding; an error status is the expected answer to most inputs. */

static MlirContext ctx;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  mcu_status_t s = mcu_context_create(&ctx);
  if (s) abort();
  snprintf(path, sizeof path, "/tmp/mcunet-fuzz-%ld." MCUNET_FUZZ_FORMAT, (long)getpid());
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  MlirModule m = {NULL};
#ifdef MCUNET_FUZZ_TFLITE
  mcu_status_t s = mcu_tflite_import(ctx, path, &m);
#else
  mcu_status_t s = mcu_onnx_import(ctx, path, NULL, 0, &m);
#endif
  if (s) {
    mcu_status_free(s);
  } else {
    if (!mlirOperationVerify(mlirModuleGetOperation(m))) abort(); /* an importer must produce valid IR */
    mlirModuleDestroy(m);
  }
  return 0;
}
