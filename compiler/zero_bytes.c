/* zero_bytes.c: the shared read-only zero block (zero_bytes.h) for all-zero constants. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "zero_bytes.h"

#include <pthread.h>
#include <sys/mman.h>

/* Algorithm: one anonymous private mapping of MCU_ZERO_BYTES_MAX bytes, PROT_READ, made on first use
 * (pthread_once). Untouched anonymous pages read as zeros and all map the kernel's one zero page, so the block costs
 * address space, not memory, and handing it out costs nothing. Why: the cost queries' weights are zero splats
 * (nas-driver/mlir_build.c); lowering calloc'd and so cleared every one of them once per single-op question and
 * again in the final lowering, about 1.1 MB of memset per mcunet-in1 query. Weakness: a larger constant falls back
 * to the caller's calloc; the mapping stays for the life of the process. */
static const uint8_t *block;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void map_block(void) {
  void *m = mmap(NULL, (size_t)MCU_ZERO_BYTES_MAX, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  block = m == MAP_FAILED ? NULL : m;
}

const uint8_t *mcu_zero_bytes(int64_t n) {
  if (n < 0 || n > MCU_ZERO_BYTES_MAX) return NULL;
  pthread_once(&once, map_block);
  return block;
}

int mcu_zero_bytes_holds(const void *p) {
  pthread_once(&once, map_block);
  const uintptr_t a = (uintptr_t)p, b = (uintptr_t)block;
  return block && a >= b && a - b < (uintptr_t)MCU_ZERO_BYTES_MAX;
}
