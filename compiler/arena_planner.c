/* arena_planner.c: greedy-by-size first-fit placement of buffers with lifetimes into one arena. */
#include "arena_planner.h"

#include <stdlib.h>

/* Algorithm: sort buffers by size (largest first; ties by first use, then index, for determinism), then place each
 * at the lowest aligned offset that overlaps no already placed buffer whose lifetime intersects its own. Why: this
 * is the placement TF Lite Micro and TinyEngine use, simple and usually within a few percent of the lower bound on
 * chain-like networks. Weakness: greedy; on graphs with many equal-sized or interleaved lifetimes it can leave
 * holes that an exact or conflict-ordered search would fill (the memory issue adds those strategies). */

typedef struct {
  const mcu_arena_buffer_t *b;
  int index;
} entry_t;

static int by_size_desc(const void *pa, const void *pb) {
  const entry_t *a = pa, *b = pb;
  if (a->b->size != b->b->size) return a->b->size > b->b->size ? -1 : 1;
  if (a->b->first != b->b->first) return a->b->first < b->b->first ? -1 : 1;
  return a->index - b->index;
}

typedef struct {
  uint64_t lo, hi;
} span_t;

static int by_lo(const void *pa, const void *pb) {
  const span_t *a = pa, *b = pb;
  if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
  return a->hi < b->hi ? -1 : (a->hi > b->hi);
}

static uint64_t align_up(uint64_t v, uint32_t a) { return (v + a - 1) & ~(uint64_t)(a - 1); }

mcu_status_t mcu_arena_plan(const mcu_arena_buffer_t *buffers, int n, uint64_t *out_offsets,
                            mcu_arena_plan_t *out_plan) {
  out_plan->peak = out_plan->lower_bound = 0;
  if (n <= 0) return NULL;
  int32_t max_step = 0;
  for (int i = 0; i < n; ++i) {
    const mcu_arena_buffer_t *b = &buffers[i];
    if (b->first < 0 || b->last < b->first) return mcu_status_errorf("arena planner: buffer %d has lifetime [%d, %d]", i, b->first, b->last);
    if (b->align == 0 || (b->align & (b->align - 1))) return mcu_status_errorf("arena planner: buffer %d has alignment %u", i, b->align);
    if (b->size > (UINT64_C(1) << 40)) return mcu_status_errorf("arena planner: buffer %d is too large", i);
    if (b->last > max_step) max_step = b->last;
  }
  entry_t *order = malloc(sizeof *order * (size_t)n);
  span_t *spans = malloc(sizeof *spans * (size_t)n);
  uint64_t *live = calloc((size_t)max_step + 1, sizeof *live);
  int *placed = malloc(sizeof *placed * (size_t)n);
  if (!order || !spans || !live || !placed) {
    free(order), free(spans), free(live), free(placed);
    return mcu_status_errorf("arena planner: out of memory");
  }
  for (int i = 0; i < n; ++i) {
    order[i] = (entry_t){&buffers[i], i};
    for (int32_t s = buffers[i].first; s <= buffers[i].last; ++s) live[s] += buffers[i].size;
  }
  for (int32_t s = 0; s <= max_step; ++s)
    if (live[s] > out_plan->lower_bound) out_plan->lower_bound = live[s];
  qsort(order, (size_t)n, sizeof *order, by_size_desc);

  int num_placed = 0;
  for (int k = 0; k < n; ++k) {
    const mcu_arena_buffer_t *b = order[k].b;
    int num_spans = 0;
    for (int j = 0; j < num_placed; ++j) {
      const mcu_arena_buffer_t *o = &buffers[placed[j]];
      if (o->first <= b->last && b->first <= o->last && o->size > 0)
        spans[num_spans++] = (span_t){out_offsets[placed[j]], out_offsets[placed[j]] + o->size};
    }
    qsort(spans, (size_t)num_spans, sizeof *spans, by_lo);
    uint64_t at = 0;
    for (int j = 0; j < num_spans; ++j) {
      if (spans[j].lo >= align_up(at, b->align) + b->size) break; /* fits in the gap before this span */
      if (spans[j].hi > at) at = spans[j].hi;
    }
    at = align_up(at, b->align);
    out_offsets[order[k].index] = at;
    if (at + b->size > out_plan->peak) out_plan->peak = at + b->size;
    placed[num_placed++] = order[k].index;
  }
  free(order), free(spans), free(live), free(placed);
  return NULL;
}
