/* scheduler.h: an execution order of a DAG of ops that keeps the peak of live activation bytes low (IR-free). */
#ifndef MCUNET_COMPILER_SCHEDULER_H
#define MCUNET_COMPILER_SCHEDULER_H

#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One op of the graph, indexed by its position in the file's order (which must be a topological order). */
typedef struct mcu_sched_op {
  uint64_t out_bytes;     /* bytes of its result in the arena (ignored when is_output) */
  uint64_t scratch_bytes; /* its kernel's scratch, live only while it runs */
  int is_output;          /* its result is a model output: written to the caller's buffer, no arena bytes */
  int32_t num_operands;
  const int32_t *operands; /* indices of the ops whose results it reads, each < this op's index; repeats allowed.
                            * Model inputs and constants are not ops and are left out. */
} mcu_sched_op_t;

/* Beam width used when the caller passes 0: levels of the search with more states than this are pruned. It is
 * MCU_SCHED_DEFAULT_BEAM, lowered on large graphs to 2^26 / n^2 (at least 64) so the search stays near a second:
 * the work is about n levels x beam states x n candidate ops. */
#define MCU_SCHED_DEFAULT_BEAM 2048

typedef struct mcu_sched_result {
  uint64_t file_peak; /* the peak of the file's order (0, 1, ..., n-1) */
  uint64_t peak;      /* the peak of the returned order, <= file_peak */
  int exact;          /* the search pruned nothing: peak is the least of every topological order */
  int from;           /* which order won: 0 the file's, 1 the search's, 2 the greedy's */
} mcu_sched_result_t;

/* Live-bytes measure of an order: a result is live from its op's step to the step of its last reader (a result
 * nobody reads, only at its own step); at each step the live bytes are the live results plus the running op's
 * scratch; the peak is the largest over the steps. Sets *out_peak for `order` (n op indices), or an error when it
 * is not a permutation in topological order. */
mcu_status_t mcu_schedule_peak(const mcu_sched_op_t *ops, int32_t n, const int32_t *order, uint64_t *out_peak);

/* Greedy heuristic: repeatedly runs, among the ready ops, the one that leaves the fewest live bytes after it (then
 * the lowest step peak, then the lowest index). Writes n indices to out_order. */
mcu_status_t mcu_schedule_greedy(const mcu_sched_op_t *ops, int32_t n, int32_t *out_order);

/* The order to run: the best of the file's order, a beam search over the sets of executed ops (exact when no
 * level exceeds beam_width states; 0 means MCU_SCHED_DEFAULT_BEAM) and the greedy, ties to the file's order.
 * Deterministic. Writes n indices to out_order and, when out_result is not NULL, the figures. */
mcu_status_t mcu_schedule(const mcu_sched_op_t *ops, int32_t n, int32_t beam_width, int32_t *out_order,
                          mcu_sched_result_t *out_result);

#ifdef __cplusplus
}
#endif
#endif
