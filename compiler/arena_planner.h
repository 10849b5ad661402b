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
  uint64_t size;  /* bytes, >= 0, at most 2^40 */
  int32_t first;  /* first step that writes it, >= 0 */
  int32_t last;   /* last step that reads it, >= first */
  uint32_t align; /* power of two, >= 1 */
} mcu_arena_buffer_t;

/* The placement strategies, in the fixed order that breaks ties (the first one with the smallest peak wins). */
typedef enum mcu_arena_strategy {
  MCU_ARENA_GREEDY_BY_SIZE = 0,      /* largest first, lowest offset that fits */
  MCU_ARENA_GREEDY_BY_CONFLICTS = 1, /* most bytes live alongside first, lowest offset that fits */
  MCU_ARENA_BEST_FIT = 2,            /* in order of first use, the smallest gap that fits */
  MCU_ARENA_EXACT = 3,               /* branch and bound, only for <= MCU_ARENA_EXACT_MAX_BUFFERS buffers */
  MCU_ARENA_LOCAL_SEARCH = 4,        /* swaps in the best greedy order, kept when the peak does not grow */
  MCU_ARENA_NUM_STRATEGIES = 5,
} mcu_arena_strategy_t;

/* The exact search runs when at most this many buffers have a nonzero size, within a budget of search nodes. */
#define MCU_ARENA_EXACT_MAX_BUFFERS 12
#define MCU_ARENA_EXACT_NODE_BUDGET 300000

/* The local search tries at most this many swaps (fewer on large sets: MCU_ARENA_LOCAL_WORK / n), and only when
 * no other strategy reached the lower bound. */
#define MCU_ARENA_LOCAL_SWAPS 3000
#define MCU_ARENA_LOCAL_WORK 300000

/* Marks a strategy that did not run (the exact search on a large buffer set) in strategy_peak[]. */
#define MCU_ARENA_NOT_RUN UINT64_MAX

typedef struct mcu_arena_plan {
  uint64_t peak;        /* bytes of arena the placement needs: the largest offset + size */
  uint64_t lower_bound; /* the largest total of bytes live at one step: no placement can do better */
  int32_t lower_bound_step; /* the first step where that total is reached (-1 without buffers) */
  uint64_t baseline;    /* no reuse: every buffer after the previous one, aligned (peak never exceeds it) */
  mcu_arena_strategy_t strategy;                 /* the strategy whose placement out_offsets holds */
  uint64_t strategy_peak[MCU_ARENA_NUM_STRATEGIES]; /* each strategy's peak, or MCU_ARENA_NOT_RUN */
  int exact_complete; /* 1 when the exact search ran to the end (its peak is then the optimum) */
} mcu_arena_plan_t;

/* Places `n` buffers with every strategy and keeps the smallest peak: out_offsets[i] is buffer i's offset,
 * aligned, and no two buffers whose lifetimes overlap share a byte (zero-size buffers are at 0 and share with
 * anything). Deterministic. */
mcu_status_t mcu_arena_plan(const mcu_arena_buffer_t *buffers, int n, uint64_t *out_offsets,
                            mcu_arena_plan_t *out_plan);

/* The same with one strategy only (tests, comparisons); out_plan->strategy_peak[] holds only that one.
 * MCU_ARENA_EXACT on more than MCU_ARENA_EXACT_MAX_BUFFERS nonzero buffers is an error. */
mcu_status_t mcu_arena_plan_with(const mcu_arena_buffer_t *buffers, int n, mcu_arena_strategy_t strategy,
                                 uint64_t *out_offsets, mcu_arena_plan_t *out_plan);

/* Several pools (--pool), fastest first, each with a capacity in bytes. Each buffer goes to exactly one pool:
 * out_pool[i] is its pool, out_offsets[i] its offset inside that pool, out_plans[k] pool k's plan (peak <= its
 * capacity). `heat[i]` says how much buffer i is used (any unit: the caller's work of the layers that touch it);
 * the first pool is filled first by heat per byte, see arena_planner.c. Zero-size buffers go to pool 0 at 0.
 * Error (one line, with the shortfall in bytes) when the buffers left for the last pool exceed its capacity.
 * Deterministic. */
mcu_status_t mcu_arena_plan_pools(const mcu_arena_buffer_t *buffers, const uint64_t *heat, int n,
                                  const uint64_t *capacities, int num_pools, int *out_pool, uint64_t *out_offsets,
                                  mcu_arena_plan_t *out_plans);

/* "greedy_by_size", "greedy_by_conflicts", "best_fit", "exact", "local_search" ("?" otherwise). */
const char *mcu_arena_strategy_name(mcu_arena_strategy_t s);

#ifdef __cplusplus
}
#endif
#endif
