/* arena_planner.h: IR-free placement of buffers with known lifetimes into one arena. */
#ifndef MCUNET_COMPILER_ARENA_PLANNER_H
#define MCUNET_COMPILER_ARENA_PLANNER_H

#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A buffer that is live from step `first` to step `last` inclusive (steps are layer indices). */
typedef struct mcu_arena_buffer {
  uint64_t size;  /* bytes, >= 0 */
  int32_t first;  /* first step that writes it */
  int32_t last;   /* last step that reads it, >= first */
  uint32_t align; /* power of two, >= 1 */
} mcu_arena_buffer_t;

typedef struct mcu_arena_plan {
  uint64_t peak;        /* bytes of arena the placement needs */
  uint64_t lower_bound; /* the largest total of bytes live at one step: no placement can do better */
} mcu_arena_plan_t;

/* Places `n` buffers: out_offsets[i] is buffer i's offset, aligned, and no two buffers whose lifetimes overlap
 * share a byte. Deterministic. */
mcu_status_t mcu_arena_plan(const mcu_arena_buffer_t *buffers, int n, uint64_t *out_offsets,
                            mcu_arena_plan_t *out_plan);

#ifdef __cplusplus
}
#endif
#endif
