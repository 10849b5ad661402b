/* arena_planner.c: placement of buffers with lifetimes into one arena, several strategies, the best kept. */
#include "arena_planner.h"

#include <stdlib.h>
#include <string.h>

/* Algorithm: dynamic storage allocation (NP-hard in general) with four strategies, each a complete placement:
 *  - greedy by size: largest buffer first, each at the lowest aligned offset that overlaps no already placed buffer
 *    whose lifetime intersects its own (TF Lite Micro's and TinyEngine's planner);
 *  - greedy by conflicts: the same first fit, ordered by the bytes of the buffers live alongside (the most
 *    constrained first), then by size;
 *  - best fit: in order of first use (a simulation of a heap), each buffer goes into the smallest gap between the
 *    conflicting buffers that holds it, or on top when none does;
 *  - exact: for at most MCU_ARENA_EXACT_MAX_BUFFERS nonzero buffers, a branch and bound over placement orders.
 *    Any placement can be pushed down until each buffer rests at 0 or on the (aligned) end of a conflicting one;
 *    taking the buffers in order of offset, each then sits at the lowest aligned offset, at or above the previous
 *    buffer's, that its placed neighbours leave free (pushing it there never collides with later buffers, which
 *    lie above its old place). So searching orders, each buffer at that lowest offset, reaches an optimum. Bound:
 *    every unplaced buffer ends up at or above the current offset, so the arena needs at least that offset plus
 *    the largest total of unplaced bytes live at one step. The search starts from the best greedy placement and
 *    stops after MCU_ARENA_EXACT_NODE_BUDGET nodes (then exact_complete is 0 and the result is merely good).
 * The lower bound is the largest total of bytes live at one step; the no-reuse baseline puts every buffer after
 * the previous one, in index order; a greedy order whose alignment padding would end above it falls back to it,
 * so no strategy is ever worse. Why several: each greedy order has inputs where it leaves holes the others avoid, and they are
 * cheap (O(n^2 log n)). Weakness: above the exact search's size, nothing guarantees the optimum; lifetimes and the
 * execution order are taken as given (no rematerialisation, no reordering, no in-place ops). */

typedef struct {
  uint64_t lo, hi;
} span_t;

static int by_lo(const void *pa, const void *pb) {
  const span_t *a = pa, *b = pb;
  if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
  return a->hi < b->hi ? -1 : (a->hi > b->hi);
}

static uint64_t align_up(uint64_t v, uint32_t a) { return (v + a - 1) & ~(uint64_t)(a - 1); }

static int overlaps(const mcu_arena_buffer_t *a, const mcu_arena_buffer_t *b) {
  return a->first <= b->last && b->first <= a->last;
}

/* The lowest offset >= from, aligned, where `size` bytes overlap none of the spans (sorted by lo). */
static uint64_t first_fit(const span_t *spans, int num_spans, uint64_t from, uint64_t size, uint32_t align) {
  uint64_t at = from;
  for (int j = 0; j < num_spans; ++j) {
    if (spans[j].lo >= align_up(at, align) + size) break; /* fits in the gap before this span */
    if (spans[j].hi > at) at = spans[j].hi;
  }
  return align_up(at, align);
}

/* The offset of the smallest gap between spans (sorted by lo) that holds `size` aligned bytes, the lowest of
 * equal gaps; above every span when no gap holds it. */
static uint64_t best_fit(const span_t *spans, int num_spans, uint64_t size, uint32_t align) {
  uint64_t at = 0, best = 0, best_gap = UINT64_MAX;
  for (int j = 0; j < num_spans; ++j) {
    uint64_t cand = align_up(at, align);
    if (spans[j].lo >= cand + size && spans[j].lo - at < best_gap) {
      best_gap = spans[j].lo - at;
      best = cand;
    }
    if (spans[j].hi > at) at = spans[j].hi;
  }
  return best_gap != UINT64_MAX ? best : align_up(at, align);
}

/* Shared state of one planning call. */
typedef struct {
  const mcu_arena_buffer_t *b;
  int n;
  span_t *spans; /* n scratch spans */
  int *order;    /* n scratch indices */
  struct rank *ranks; /* n scratch sort records */
} planner_t;

/* Places the buffers in `order` (first fit or best fit against the placed buffers they overlap); the peak. */
static uint64_t place_in_order(planner_t *P, const int *order, int use_best_fit, uint64_t *out_offsets) {
  uint64_t peak = 0;
  for (int k = 0; k < P->n; ++k) {
    const mcu_arena_buffer_t *b = &P->b[order[k]];
    int num_spans = 0;
    if (b->size == 0) {
      out_offsets[order[k]] = 0;
      continue;
    }
    for (int j = 0; j < k; ++j) {
      const mcu_arena_buffer_t *o = &P->b[order[j]];
      if (o->size > 0 && overlaps(o, b))
        P->spans[num_spans++] = (span_t){out_offsets[order[j]], out_offsets[order[j]] + o->size};
    }
    qsort(P->spans, (size_t)num_spans, sizeof *P->spans, by_lo);
    uint64_t at = use_best_fit ? best_fit(P->spans, num_spans, b->size, b->align)
                               : first_fit(P->spans, num_spans, 0, b->size, b->align);
    out_offsets[order[k]] = at;
    if (at + b->size > peak) peak = at + b->size;
  }
  return peak;
}

/* One buffer's sort record (qsort has no context argument, so the keys travel with the index). */
typedef struct rank {
  uint64_t key, size;
  int32_t first;
  int index;
} rank_t;

/* Descending key, then larger size, earlier first use, lower index. */
static int by_key_desc(const void *pa, const void *pb) {
  const rank_t *a = pa, *b = pb;
  if (a->key != b->key) return a->key > b->key ? -1 : 1;
  if (a->size != b->size) return a->size > b->size ? -1 : 1;
  if (a->first != b->first) return a->first < b->first ? -1 : 1;
  return a->index - b->index;
}

static uint64_t run_greedy(planner_t *P, mcu_arena_strategy_t s, uint64_t *out_offsets) {
  for (int i = 0; i < P->n; ++i) {
    const mcu_arena_buffer_t *x = &P->b[i];
    uint64_t key = x->size; /* greedy by size */
    if (s == MCU_ARENA_GREEDY_BY_CONFLICTS) {
      key = 0;
      for (int j = 0; j < P->n; ++j)
        if (j != i && overlaps(x, &P->b[j])) key += P->b[j].size;
    } else if (s == MCU_ARENA_BEST_FIT) {
      key = (uint64_t)(INT32_MAX - x->first); /* earliest first use first */
    }
    P->ranks[i] = (rank_t){key, x->size, x->first, i};
  }
  qsort(P->ranks, (size_t)P->n, sizeof *P->ranks, by_key_desc);
  for (int i = 0; i < P->n; ++i) P->order[i] = P->ranks[i].index;
  return place_in_order(P, P->order, s == MCU_ARENA_BEST_FIT, out_offsets);
}

/* ---- Local search ---- */

/* Algorithm: start from the placement order of the best greedy strategy; repeatedly swap two positions of the
 * order (pairs drawn by a fixed linear congruential sequence, so the result is deterministic) and place first fit;
 * keep the swap when the peak does not grow (moves along a plateau let later swaps find the way down), undo it
 * otherwise; stop at the lower bound or after the swap budget. Why: the greedy orders miss by a few bytes when a
 * buffer just does not fit a hole another order would have left (patch buffers of different sizes, scratch); the
 * exact search only covers small sets. Weakness: a local optimum is not a proof; the budget bounds compile time,
 * not quality. */
static uint64_t run_local(planner_t *P, const int *start, uint64_t lower_bound, uint64_t *out_offsets) {
  memcpy(P->order, start, sizeof *P->order * (size_t)P->n);
  uint64_t *trial = malloc(sizeof *trial * (size_t)P->n);
  if (!trial) return UINT64_MAX;
  uint64_t best = place_in_order(P, P->order, 0, out_offsets);
  long swaps = P->n > 1 ? MCU_ARENA_LOCAL_WORK / P->n : 0;
  if (swaps > MCU_ARENA_LOCAL_SWAPS) swaps = MCU_ARENA_LOCAL_SWAPS;
  uint32_t rng = 2463534242u;
  for (long it = 0; it < swaps && best > lower_bound; ++it) {
    rng = rng * 1664525u + 1013904223u;
    int i = (int)((rng >> 8) % (uint32_t)P->n);
    rng = rng * 1664525u + 1013904223u;
    int j = (int)((rng >> 8) % (uint32_t)P->n);
    if (i == j) continue;
    int t = P->order[i];
    P->order[i] = P->order[j], P->order[j] = t;
    uint64_t peak = place_in_order(P, P->order, 0, trial);
    if (peak <= best) {
      memcpy(out_offsets, trial, sizeof *trial * (size_t)P->n);
      best = peak;
    } else {
      P->order[j] = P->order[i], P->order[i] = t;
    }
  }
  free(trial);
  return best;
}

/* ---- Exact search over at most MCU_ARENA_EXACT_MAX_BUFFERS nonzero buffers. ---- */

enum { XMAX = MCU_ARENA_EXACT_MAX_BUFFERS };

typedef struct {
  int k;                  /* buffers in the search */
  int index[XMAX];        /* their indices in the caller's array, largest first */
  uint64_t size[XMAX];
  uint32_t align[XMAX];
  uint32_t conflicts[XMAX]; /* bit j: lifetimes of search buffers i and j overlap */
  int num_points;
  uint32_t live_at[XMAX]; /* bit i: buffer i is live at point p (the distinct first steps) */
  uint64_t offset[XMAX];
  uint64_t best_offset[XMAX];
  uint64_t best_peak; /* the incumbent; only strictly better placements replace it */
  int found;
  long nodes;
  int aborted;
} search_t;

static void search(search_t *S, uint32_t placed, uint64_t floor, uint64_t peak) {
  if (S->nodes++ >= MCU_ARENA_EXACT_NODE_BUDGET) {
    S->aborted = 1;
    return;
  }
  uint32_t all = (UINT32_C(1) << S->k) - 1;
  if (placed == all) {
    if (peak < S->best_peak) {
      S->best_peak = peak;
      memcpy(S->best_offset, S->offset, sizeof S->offset);
      S->found = 1;
    }
    return;
  }
  uint64_t max_unplaced = 0; /* the largest total of unplaced bytes live at one step */
  for (int p = 0; p < S->num_points; ++p) {
    uint64_t sum = 0;
    for (int i = 0; i < S->k; ++i)
      if ((S->live_at[p] & ~placed) >> i & 1) sum += S->size[i];
    if (sum > max_unplaced) max_unplaced = sum;
  }
  for (int i = 0; i < S->k && !S->aborted; ++i) {
    if (placed >> i & 1) continue;
    span_t spans[XMAX];
    int ns = 0;
    for (int j = 0; j < S->k; ++j)
      if ((placed >> j & 1) && (S->conflicts[i] >> j & 1)) spans[ns++] = (span_t){S->offset[j], S->offset[j] + S->size[j]};
    for (int a = 1; a < ns; ++a) /* insertion sort: at most 11 spans */
      for (int c = a; c > 0 && by_lo(&spans[c - 1], &spans[c]) > 0; --c) {
        span_t t = spans[c];
        spans[c] = spans[c - 1], spans[c - 1] = t;
      }
    uint64_t at = first_fit(spans, ns, floor, S->size[i], S->align[i]);
    uint64_t new_peak = at + S->size[i] > peak ? at + S->size[i] : peak;
    uint64_t bound = at + max_unplaced > new_peak ? at + max_unplaced : new_peak;
    if (bound >= S->best_peak) continue;
    S->offset[i] = at;
    search(S, placed | UINT32_C(1) << i, at, new_peak);
  }
}

/* Improves on the incumbent placement in out_offsets (peak `incumbent`); returns the peak kept. */
static uint64_t run_exact(const mcu_arena_buffer_t *b, int n, uint64_t incumbent, uint64_t *out_offsets,
                          int *out_complete) {
  search_t *S = calloc(1, sizeof *S);
  if (!S) return incumbent; /* the incumbent stands; reported as not complete */
  *out_complete = 0;
  for (int i = 0; i < n; ++i)
    if (b[i].size > 0) {
      int at = S->k++; /* insertion by size, largest first (then index) */
      while (at > 0 && b[S->index[at - 1]].size < b[i].size) {
        S->index[at] = S->index[at - 1];
        --at;
      }
      S->index[at] = i;
    }
  for (int i = 0; i < S->k; ++i) {
    const mcu_arena_buffer_t *x = &b[S->index[i]];
    S->size[i] = x->size;
    S->align[i] = x->align;
    for (int j = 0; j < S->k; ++j)
      if (j != i && overlaps(x, &b[S->index[j]])) S->conflicts[i] |= UINT32_C(1) << j;
    uint32_t live = 0;
    for (int j = 0; j < S->k; ++j)
      if (b[S->index[j]].first <= x->first && x->first <= b[S->index[j]].last) live |= UINT32_C(1) << j;
    int dup = 0;
    for (int p = 0; p < S->num_points; ++p) dup |= S->live_at[p] == live;
    if (!dup) S->live_at[S->num_points++] = live;
  }
  S->best_peak = incumbent;
  search(S, 0, 0, 0);
  if (S->found)
    for (int i = 0; i < S->k; ++i) out_offsets[S->index[i]] = S->best_offset[i];
  uint64_t peak = S->best_peak;
  *out_complete = !S->aborted;
  free(S);
  return peak;
}

const char *mcu_arena_strategy_name(mcu_arena_strategy_t s) {
  switch (s) {
  case MCU_ARENA_GREEDY_BY_SIZE:
    return "greedy_by_size";
  case MCU_ARENA_GREEDY_BY_CONFLICTS:
    return "greedy_by_conflicts";
  case MCU_ARENA_BEST_FIT:
    return "best_fit";
  case MCU_ARENA_LOCAL_SEARCH:
    return "local_search";
  case MCU_ARENA_EXACT:
    return "exact";
  case MCU_ARENA_NUM_STRATEGIES:
    break;
  }
  return "?";
}

/* Checks the buffers and fills the lower bound and the baseline. */
static mcu_status_t analyse(const mcu_arena_buffer_t *b, int n, mcu_arena_plan_t *out_plan, int *out_nonzero) {
  memset(out_plan, 0, sizeof *out_plan);
  out_plan->lower_bound_step = -1;
  for (int s = 0; s < MCU_ARENA_NUM_STRATEGIES; ++s) out_plan->strategy_peak[s] = MCU_ARENA_NOT_RUN;
  *out_nonzero = 0;
  for (int i = 0; i < n; ++i) {
    if (b[i].first < 0 || b[i].last < b[i].first)
      return mcu_status_errorf("arena planner: buffer %d has lifetime [%d, %d]", i, b[i].first, b[i].last);
    if (b[i].align == 0 || (b[i].align & (b[i].align - 1)) || b[i].align > (UINT32_C(1) << 16))
      return mcu_status_errorf("arena planner: buffer %d has alignment %u", i, b[i].align);
    if (b[i].size > (UINT64_C(1) << 40)) return mcu_status_errorf("arena planner: buffer %d is too large", i);
    *out_nonzero += b[i].size > 0;
  }
  /* Live bytes only rise at a first use, so the largest total is at one of them. O(n^2): n is a layer count. */
  for (int i = 0; i < n; ++i) {
    uint64_t live = 0;
    for (int j = 0; j < n; ++j)
      if (b[j].first <= b[i].first && b[i].first <= b[j].last) live += b[j].size;
    if (live > out_plan->lower_bound || (live == out_plan->lower_bound && live > 0 && b[i].first < out_plan->lower_bound_step)) {
      out_plan->lower_bound = live;
      out_plan->lower_bound_step = b[i].first;
    }
    if (b[i].size > 0) out_plan->baseline = align_up(out_plan->baseline, b[i].align) + b[i].size;
  }
  return NULL;
}

/* The baseline placement: every buffer after the previous one, in index order. Returns its peak. */
static uint64_t no_reuse(const mcu_arena_buffer_t *b, int n, uint64_t *out_offsets) {
  uint64_t at = 0;
  for (int i = 0; i < n; ++i) {
    out_offsets[i] = 0;
    if (b[i].size == 0) continue;
    out_offsets[i] = align_up(at, b[i].align);
    at = out_offsets[i] + b[i].size;
  }
  return at;
}

/* Runs the strategies in `mask` (bit per strategy), keeping the first smallest. */
static mcu_status_t plan(const mcu_arena_buffer_t *b, int n, unsigned mask, uint64_t *out_offsets,
                         mcu_arena_plan_t *out_plan) {
  int nonzero;
  mcu_status_t s = analyse(b, n, out_plan, &nonzero);
  if (s) return s;
  if ((mask >> MCU_ARENA_EXACT & 1) && nonzero > MCU_ARENA_EXACT_MAX_BUFFERS && mask == 1u << MCU_ARENA_EXACT)
    return mcu_status_errorf("arena planner: the exact search takes at most %d buffers, not %d",
                             MCU_ARENA_EXACT_MAX_BUFFERS, nonzero);
  if (n <= 0) {
    for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k)
      if (mask >> k & 1) out_plan->strategy_peak[k] = 0;
    out_plan->exact_complete = 1;
    return NULL;
  }
  planner_t P = {b, n, malloc(sizeof(span_t) * (size_t)n), malloc(sizeof(int) * (size_t)n),
                 malloc(sizeof(rank_t) * (size_t)n)};
  uint64_t *trial = malloc(sizeof *trial * (size_t)n);
  if (!P.spans || !P.order || !P.ranks || !trial) {
    free(P.spans), free(P.order), free(P.ranks), free(trial);
    return mcu_status_errorf("arena planner: out of memory");
  }
  uint64_t best = UINT64_MAX;
  int *best_order = malloc(sizeof *best_order * (size_t)n);
  if (!best_order) {
    free(P.spans), free(P.order), free(P.ranks), free(trial);
    return mcu_status_errorf("arena planner: out of memory");
  }
  const unsigned search_mask = 1u << MCU_ARENA_EXACT | 1u << MCU_ARENA_LOCAL_SEARCH;
  for (int k = MCU_ARENA_GREEDY_BY_SIZE; k <= MCU_ARENA_BEST_FIT; ++k) {
    /* The searches start from the best greedy placement, so they need them even when not asked for. */
    if (!(mask >> k & 1) && !(mask & search_mask)) continue;
    uint64_t peak = run_greedy(&P, (mcu_arena_strategy_t)k, trial);
    if (peak > out_plan->baseline) peak = no_reuse(b, n, trial); /* alignment padding in an unlucky order */
    if (mask >> k & 1) out_plan->strategy_peak[k] = peak;
    if (peak < best) {
      best = peak;
      out_plan->strategy = (mcu_arena_strategy_t)k;
      memcpy(out_offsets, trial, sizeof *trial * (size_t)n);
      memcpy(best_order, P.order, sizeof *best_order * (size_t)n);
    }
  }
  if ((mask >> MCU_ARENA_EXACT & 1) && nonzero <= MCU_ARENA_EXACT_MAX_BUFFERS) {
    uint64_t peak = run_exact(b, n, best, out_offsets, &out_plan->exact_complete);
    out_plan->strategy_peak[MCU_ARENA_EXACT] = peak;
    if (peak < best || mask == 1u << MCU_ARENA_EXACT) out_plan->strategy = MCU_ARENA_EXACT;
    best = peak;
  }
  if ((mask >> MCU_ARENA_LOCAL_SEARCH & 1) && (best > out_plan->lower_bound || mask == 1u << MCU_ARENA_LOCAL_SEARCH)) {
    uint64_t peak = run_local(&P, best_order, out_plan->lower_bound, trial);
    out_plan->strategy_peak[MCU_ARENA_LOCAL_SEARCH] = peak;
    if (peak < best || mask == 1u << MCU_ARENA_LOCAL_SEARCH) {
      out_plan->strategy = MCU_ARENA_LOCAL_SEARCH;
      memcpy(out_offsets, trial, sizeof *trial * (size_t)n);
      best = peak;
    }
  }
  free(best_order);
  out_plan->peak = best;
  free(P.spans), free(P.order), free(P.ranks), free(trial);
  return NULL;
}

mcu_status_t mcu_arena_plan(const mcu_arena_buffer_t *buffers, int n, uint64_t *out_offsets,
                            mcu_arena_plan_t *out_plan) {
  return plan(buffers, n, (1u << MCU_ARENA_NUM_STRATEGIES) - 1, out_offsets, out_plan);
}

mcu_status_t mcu_arena_plan_with(const mcu_arena_buffer_t *buffers, int n, mcu_arena_strategy_t strategy,
                                 uint64_t *out_offsets, mcu_arena_plan_t *out_plan) {
  if ((unsigned)strategy >= MCU_ARENA_NUM_STRATEGIES)
    return mcu_status_errorf("arena planner: unknown strategy %d", (int)strategy);
  return plan(buffers, n, 1u << strategy, out_offsets, out_plan);
}

/* Several pools. Algorithm: order the nonzero buffers by heat per byte, hottest first (then lower index). For
 * each pool but the last, in order: go through the buffers not yet placed, in that order, and keep a buffer in
 * the pool when the pool's buffers with it still plan (greedy strategies) within the capacity, else leave it for
 * the next pools (so a large buffer that does not fit does not stop smaller, cooler ones from filling the gap);
 * then plan the kept set with every strategy (never worse than the greedy trial, so it still fits). The last
 * pool takes every buffer left; it must fit. Why: the fast pool should hold the bytes accessed most per byte
 * it holds, a knapsack whose weights (planned peaks) are not additive, so a greedy by density with real plans
 * as the feasibility test. Weakness: O(n) plans per pool (O(n^3 log n)); a buffer's pool is fixed before the
 * later pools are planned, so a fit of all pools may be missed when only a different split would fit. */
mcu_status_t mcu_arena_plan_pools(const mcu_arena_buffer_t *buffers, const uint64_t *heat, int n,
                                  const uint64_t *capacities, int num_pools, int *out_pool, uint64_t *out_offsets,
                                  mcu_arena_plan_t *out_plans) {
  if (num_pools < 1 || n < 0) return mcu_status_errorf("arena planner: %d pools, %d buffers", num_pools, n);
  mcu_arena_plan_t check;
  int nonzero;
  mcu_status_t s = analyse(buffers, n, &check, &nonzero);
  if (s) return s;
  rank_t *ranks = malloc(sizeof *ranks * (size_t)(n + 1));
  mcu_arena_buffer_t *sub = malloc(sizeof *sub * (size_t)(n + 1));
  int *sub_index = malloc(sizeof *sub_index * (size_t)(n + 1));
  uint64_t *sub_off = malloc(sizeof *sub_off * (size_t)(n + 1));
  if (!ranks || !sub || !sub_index || !sub_off) {
    s = mcu_status_errorf("arena planner: out of memory");
    goto done;
  }
  int m = 0;
  for (int i = 0; i < n; ++i) {
    out_pool[i] = buffers[i].size ? -1 : 0;
    out_offsets[i] = 0;
    if (buffers[i].size) {
      /* Heat per byte as a fixed-point key (2^20 steps per unit of heat per byte, saturated). */
      double d = (double)heat[i] / (double)buffers[i].size * 1048576.0;
      uint64_t key = d >= 1.8e19 ? UINT64_MAX : (uint64_t)d;
      ranks[m++] = (rank_t){key, 0, 0, i};
    }
  }
  /* Density first, then lower index (size and first use set to 0 so they do not reorder). */
  qsort(ranks, (size_t)m, sizeof *ranks, by_key_desc);
  for (int k = 0; k < num_pools && !s; ++k) {
    int ns = 0, last = k == num_pools - 1;
    mcu_arena_plan_t trial;
    for (int r = 0; r < m && !s; ++r) {
      int i = ranks[r].index;
      if (out_pool[i] >= 0) continue;
      if (!last && buffers[i].size > capacities[k]) continue;
      sub[ns] = buffers[i], sub_index[ns] = i;
      if (last) {
        ++ns;
        continue;
      }
      s = plan(sub, ns + 1, (1u << MCU_ARENA_EXACT) - 1, sub_off, &trial);
      if (!s && trial.peak <= capacities[k]) ++ns;
    }
    if (s) break;
    if ((s = plan(sub, ns, (1u << MCU_ARENA_NUM_STRATEGIES) - 1, sub_off, &out_plans[k]))) break;
    if (out_plans[k].peak > capacities[k]) {
      s = mcu_status_errorf("the arena buffers do not fit the pools by %llu bytes (the last pool needs %llu, "
                            "holds %llu)",
                            (unsigned long long)(out_plans[k].peak - capacities[k]),
                            (unsigned long long)out_plans[k].peak, (unsigned long long)capacities[k]);
      break;
    }
    for (int j = 0; j < ns; ++j) out_pool[sub_index[j]] = k, out_offsets[sub_index[j]] = sub_off[j];
  }
done:
  free(ranks), free(sub), free(sub_index), free(sub_off);
  return s;
}
