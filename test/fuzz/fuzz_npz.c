/* fuzz_npz.c: libFuzzer target for the .npz reader of `mcunet-nas export --weights` (nas-driver/npz.c). */
#include <stdint.h>
#include <stdlib.h>

#include "npz.h"

/* Each input is an archive held in memory: parsed, then every array read back as float32 with its own shape (the
 * copy and the finite-value check). A crash, a sanitizer report, a leak or a hang is a finding; an error status is
 * the expected answer to most inputs. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nas_npz_t *z = NULL;
  mcu_status_t s = nas_npz_parse(data, size, &z);
  if (s) {
    mcu_status_free(s);
    return 0;
  }
  for (int i = 0; i < z->count; ++i) {
    const nas_npy_t *a = &z->arrays[i];
    if (a->count > (1 << 22)) continue; /* the reader checked the bytes exist; keep the fuzzer's memory small */
    float *out = malloc(sizeof(float) * (size_t)(a->count ? a->count : 1));
    if (!out) abort();
    mcu_status_free(nas_npz_get_f32(z, a->key, a->rank, a->shape, out));
    free(out);
  }
  nas_npz_free(z);
  return 0;
}
