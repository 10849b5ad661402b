/* scheduler.c: an execution order of a DAG of ops that keeps the peak of live activation bytes low (IR-free). */
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

/* Algorithm: the live bytes after a set S of executed ops depend on S alone (the results of S that some op outside
 * S still reads), so the best peak of any order that executes exactly S first is a function of S: a dynamic
 * programme over the downward-closed sets, level by level (level k: the sets of k ops), each set keeping the least
 * peak reached so far and the op that got there. Running ready op v from S costs live(S) + bytes(v) + scratch(v)
 * during its step. The number of such sets is small for chains with residual adds (a few per level) and grows
 * with the number of parallel branches; a level with more than `beam` sets keeps the `beam` best (lowest peak so
 * far, then fewest live bytes, then first found), which makes the search a beam search and no longer exact.
 * A greedy (the ready op leaving the fewest live bytes) and the file's order are measured too and the best of the
 * three is returned, ties to the file's order then the search's, so the result is never worse than the file's
 * order. Why: MCUNet-style networks are chains where the file order is already best, and the few branching graphs
 * (inception-like concatenations, several heads) are narrow enough for the exact search; the beam bounds time and
 * memory (levels x beam states) on wide graphs. Weakness: the measure is the sum of live bytes, not the arena
 * planner's placement (fragmentation can make a lower peak place worse), and in-place ops are not modelled. */

typedef struct graph {
  int32_t n;
  uint64_t *bytes;   /* arena bytes of each op's result (0 for model outputs) */
  uint64_t *scratch; /* each op's scratch */
  int32_t *pred_at;  /* CSR of the distinct operands: preds[pred_at[i] .. pred_at[i+1]) */
  int32_t *preds;
  int32_t *succ_at; /* CSR of the distinct readers */
  int32_t *succs;
} graph_t;

static void graph_free(graph_t *g) {
  free(g->bytes);
  free(g->scratch);
  free(g->pred_at);
  free(g->preds);
  free(g->succ_at);
  free(g->succs);
}

/* Builds the graph and checks it: operands of op i are in [0, i), byte totals cannot overflow. */
static mcu_status_t graph_build(const mcu_sched_op_t *ops, int32_t n, graph_t *out_g) {
  memset(out_g, 0, sizeof *out_g);
  if (n < 0) return mcu_status_errorf("scheduler: negative op count %d", (int)n);
  if (n > 0 && !ops) return mcu_status_errorf("scheduler: no ops");
  graph_t g = {.n = n};
  size_t total = 0;
  uint64_t sum = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (ops[i].num_operands < 0 || (ops[i].num_operands > 0 && !ops[i].operands))
      return mcu_status_errorf("scheduler: op %d has a bad operand list", (int)i);
    total += (size_t)ops[i].num_operands;
    uint64_t b = ops[i].is_output ? 0 : ops[i].out_bytes;
    if (b > UINT64_MAX / 4 - sum || ops[i].scratch_bytes > UINT64_MAX / 4 - sum - b)
      return mcu_status_errorf("scheduler: byte counts overflow");
    sum += b + ops[i].scratch_bytes;
  }
  g.bytes = calloc((size_t)n + 1, sizeof *g.bytes);
  g.scratch = calloc((size_t)n + 1, sizeof *g.scratch);
  g.pred_at = calloc((size_t)n + 1, sizeof *g.pred_at);
  g.preds = calloc(total + 1, sizeof *g.preds);
  g.succ_at = calloc((size_t)n + 2, sizeof *g.succ_at);
  g.succs = calloc(total + 1, sizeof *g.succs);
  int32_t *stamp = calloc((size_t)n + 1, sizeof *stamp);
  if (!g.bytes || !g.scratch || !g.pred_at || !g.preds || !g.succ_at || !g.succs || !stamp) {
    free(stamp);
    graph_free(&g);
    return mcu_status_errorf("scheduler: out of memory");
  }
  int32_t np = 0;
  for (int32_t i = 0; i < n; ++i) {
    g.bytes[i] = ops[i].is_output ? 0 : ops[i].out_bytes;
    g.scratch[i] = ops[i].scratch_bytes;
    g.pred_at[i] = np;
    for (int32_t k = 0; k < ops[i].num_operands; ++k) {
      int32_t u = ops[i].operands[k];
      if (u < 0 || u >= i) {
        free(stamp);
        graph_free(&g);
        return mcu_status_errorf("scheduler: op %d reads op %d, not an earlier op", (int)i, (int)u);
      }
      if (stamp[u] == i + 1) continue; /* read twice: one edge */
      stamp[u] = i + 1;
      g.preds[np++] = u;
      ++g.succ_at[u + 1];
    }
  }
  g.pred_at[n] = np;
  for (int32_t i = 0; i < n; ++i) g.succ_at[i + 1] += g.succ_at[i];
  memset(stamp, 0, ((size_t)n + 1) * sizeof *stamp);
  for (int32_t i = 0; i < n; ++i)
    for (int32_t k = g.pred_at[i]; k < g.pred_at[i + 1]; ++k) {
      int32_t u = g.preds[k];
      g.succs[g.succ_at[u] + stamp[u]++] = i;
    }
  free(stamp);
  *out_g = g;
  return NULL;
}

/* Bytes that stay live after op v runs (0 when nothing reads it). */
static uint64_t kept_bytes(const graph_t *g, int32_t v) { return g->succ_at[v + 1] > g->succ_at[v] ? g->bytes[v] : 0; }

static mcu_status_t peak_of(const graph_t *g, const int32_t *order, uint64_t *out_peak) {
  const int32_t n = g->n;
  int32_t *left = calloc((size_t)n + 1, sizeof *left); /* readers not yet run */
  int32_t *pos = malloc(((size_t)n + 1) * sizeof *pos);
  if (!left || !pos) {
    free(left);
    free(pos);
    return mcu_status_errorf("scheduler: out of memory");
  }
  for (int32_t i = 0; i < n; ++i) pos[i] = -1;
  for (int32_t t = 0; t < n; ++t) {
    int32_t v = order[t];
    if (v < 0 || v >= n || pos[v] >= 0) {
      free(left);
      free(pos);
      return mcu_status_errorf("scheduler: order is not a permutation (position %d)", (int)t);
    }
    pos[v] = t;
  }
  uint64_t live = 0, peak = 0;
  mcu_status_t s = NULL;
  for (int32_t i = 0; i < n; ++i) left[i] = g->succ_at[i + 1] - g->succ_at[i];
  for (int32_t t = 0; t < n && !s; ++t) {
    int32_t v = order[t];
    uint64_t step = live + g->bytes[v] + g->scratch[v];
    if (step > peak) peak = step;
    live += kept_bytes(g, v);
    for (int32_t k = g->pred_at[v]; k < g->pred_at[v + 1]; ++k) {
      int32_t u = g->preds[k];
      if (pos[u] > t) {
        s = mcu_status_errorf("scheduler: op %d runs before op %d, which it reads", (int)v, (int)u);
        break;
      }
      if (--left[u] == 0) live -= g->bytes[u];
    }
  }
  free(left);
  free(pos);
  if (!s) *out_peak = peak;
  return s;
}

mcu_status_t mcu_schedule_peak(const mcu_sched_op_t *ops, int32_t n, const int32_t *order, uint64_t *out_peak) {
  graph_t g;
  mcu_status_t s = graph_build(ops, n, &g);
  if (s) return s;
  if (n > 0 && !order) s = mcu_status_errorf("scheduler: no order");
  if (!s) s = peak_of(&g, order, out_peak);
  graph_free(&g);
  return s;
}

static mcu_status_t greedy(const graph_t *g, int32_t *out_order) {
  const int32_t n = g->n;
  int32_t *npred = calloc((size_t)n + 1, sizeof *npred); /* operands not yet run */
  int32_t *left = calloc((size_t)n + 1, sizeof *left);
  char *done = calloc((size_t)n + 1, 1);
  if (!npred || !left || !done) {
    free(npred);
    free(left);
    free(done);
    return mcu_status_errorf("scheduler: out of memory");
  }
  for (int32_t i = 0; i < n; ++i) {
    npred[i] = g->pred_at[i + 1] - g->pred_at[i];
    left[i] = g->succ_at[i + 1] - g->succ_at[i];
  }
  uint64_t live = 0;
  for (int32_t t = 0; t < n; ++t) {
    int32_t best = -1;
    uint64_t best_after = 0, best_step = 0;
    for (int32_t v = 0; v < n; ++v) {
      if (done[v] || npred[v]) continue;
      uint64_t freed = 0;
      for (int32_t k = g->pred_at[v]; k < g->pred_at[v + 1]; ++k)
        if (left[g->preds[k]] == 1) freed += g->bytes[g->preds[k]];
      uint64_t after = live + kept_bytes(g, v) - freed, step = live + g->bytes[v] + g->scratch[v];
      if (best < 0 || after < best_after || (after == best_after && step < best_step))
        best = v, best_after = after, best_step = step;
    }
    /* A DAG always has a ready op; graph_build guarantees acyclicity. */
    out_order[t] = best;
    done[best] = 1;
    live = best_after;
    for (int32_t k = g->pred_at[best]; k < g->pred_at[best + 1]; ++k) --left[g->preds[k]];
    for (int32_t k = g->succ_at[best]; k < g->succ_at[best + 1]; ++k) --npred[g->succs[k]];
  }
  free(npred);
  free(left);
  free(done);
  return NULL;
}

mcu_status_t mcu_schedule_greedy(const mcu_sched_op_t *ops, int32_t n, int32_t *out_order) {
  graph_t g;
  mcu_status_t s = graph_build(ops, n, &g);
  if (s) return s;
  if (n > 0 && !out_order) s = mcu_status_errorf("scheduler: no output order");
  if (!s) s = greedy(&g, out_order);
  graph_free(&g);
  return s;
}

/* ---- The search over sets of executed ops ---- */

/* The states of one level: bitsets of `words` words each, with their figures. */
typedef struct states {
  int32_t words, count, cap;
  uint64_t *bits;
  uint64_t *peak, *live;
  int32_t *parent, *op; /* index in the previous level, the op run last */
} states_t;

static void states_free(states_t *s) {
  free(s->bits);
  free(s->peak);
  free(s->live);
  free(s->parent);
  free(s->op);
  memset(s, 0, sizeof *s);
}

static int states_grow(states_t *s) {
  if (s->count < s->cap) return 1;
  if (s->cap > INT32_MAX / 4) return 0;
  int32_t cap = s->cap ? 2 * s->cap : 64;
  uint64_t *bits = realloc(s->bits, (size_t)cap * (size_t)s->words * sizeof *bits);
  if (bits) s->bits = bits;
  uint64_t *peak = realloc(s->peak, (size_t)cap * sizeof *peak);
  if (peak) s->peak = peak;
  uint64_t *live = realloc(s->live, (size_t)cap * sizeof *live);
  if (live) s->live = live;
  int32_t *parent = realloc(s->parent, (size_t)cap * sizeof *parent);
  if (parent) s->parent = parent;
  int32_t *op = realloc(s->op, (size_t)cap * sizeof *op);
  if (op) s->op = op;
  if (!bits || !peak || !live || !parent || !op) return 0;
  s->cap = cap;
  return 1;
}

static uint64_t hash_bits(const uint64_t *b, int32_t words) {
  uint64_t h = 1469598103934665603ull;
  for (int32_t i = 0; i < words; ++i) {
    h ^= b[i];
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

/* Open-addressing index of a level's states by bitset (-1 = empty). */
typedef struct index {
  int32_t *slot;
  size_t mask;
} index_t;

static int index_reset(index_t *ix, size_t want) {
  size_t cap = 64;
  while (cap < 2 * want) cap *= 2;
  if (cap - 1 != ix->mask || !ix->slot) {
    free(ix->slot);
    ix->slot = malloc(cap * sizeof *ix->slot);
    if (!ix->slot) return 0;
    ix->mask = cap - 1;
  }
  memset(ix->slot, 0xff, cap * sizeof *ix->slot);
  return 1;
}

/* The slot where `b` is or would go. */
static size_t index_find(const index_t *ix, const states_t *s, const uint64_t *b) {
  size_t h = (size_t)hash_bits(b, s->words) & ix->mask;
  while (ix->slot[h] >= 0 && memcmp(s->bits + (size_t)ix->slot[h] * (size_t)s->words, b,
                                    (size_t)s->words * sizeof *b))
    h = (h + 1) & ix->mask;
  return h;
}

static const states_t *sort_states; /* qsort has no context argument; the search is single-threaded */
static int by_rank(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  const states_t *s = sort_states;
  if (s->peak[x] != s->peak[y]) return s->peak[x] < s->peak[y] ? -1 : 1;
  if (s->live[x] != s->live[y]) return s->live[x] < s->live[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

#define HAS(b, v) (((b)[(v) >> 6] >> ((v)&63)) & 1u)

static mcu_status_t search(const graph_t *g, int32_t beam, int32_t *out_order, int *out_exact) {
  const int32_t n = g->n, words = (n + 63) / 64 > 0 ? (n + 63) / 64 : 1;
  mcu_status_t st = NULL;
  states_t cur = {.words = words}, next = {.words = words};
  index_t ix = {0};
  int32_t **hist_parent = calloc((size_t)n + 1, sizeof *hist_parent), **hist_op = calloc((size_t)n + 1, sizeof *hist_op);
  int32_t *rank = NULL;
  uint64_t *b = malloc((size_t)words * sizeof *b);
  int exact = 1;
  if (!hist_parent || !hist_op || !b || !states_grow(&cur)) goto oom;
  memset(cur.bits, 0, (size_t)words * sizeof *cur.bits);
  cur.peak[0] = cur.live[0] = 0;
  cur.parent[0] = cur.op[0] = -1;
  cur.count = 1;
  for (int32_t level = 0; level < n; ++level) {
    next.count = 0;
    if (!index_reset(&ix, (size_t)cur.count * 4)) goto oom;
    for (int32_t si = 0; si < cur.count; ++si) {
      const uint64_t *sb = cur.bits + (size_t)si * (size_t)words;
      for (int32_t v = 0; v < n; ++v) {
        if (HAS(sb, v)) continue;
        int ready = 1;
        for (int32_t k = g->pred_at[v]; k < g->pred_at[v + 1] && ready; ++k) ready = HAS(sb, g->preds[k]);
        if (!ready) continue;
        memcpy(b, sb, (size_t)words * sizeof *b);
        b[v >> 6] |= 1ull << (v & 63);
        uint64_t step = cur.live[si] + g->bytes[v] + g->scratch[v];
        uint64_t peak = step > cur.peak[si] ? step : cur.peak[si];
        uint64_t live = cur.live[si] + kept_bytes(g, v);
        for (int32_t k = g->pred_at[v]; k < g->pred_at[v + 1]; ++k) {
          int32_t u = g->preds[k], all = 1;
          for (int32_t j = g->succ_at[u]; j < g->succ_at[u + 1] && all; ++j) all = HAS(b, g->succs[j]);
          if (all) live -= g->bytes[u];
        }
        size_t h = index_find(&ix, &next, b);
        int32_t at = ix.slot[h];
        if (at >= 0) {
          if (peak < next.peak[at]) next.peak[at] = peak, next.parent[at] = si, next.op[at] = v;
          continue;
        }
        if (!states_grow(&next)) goto oom;
        at = next.count++;
        memcpy(next.bits + (size_t)at * (size_t)words, b, (size_t)words * sizeof *b);
        next.peak[at] = peak, next.live[at] = live, next.parent[at] = si, next.op[at] = v;
        ix.slot[h] = at;
        if ((size_t)next.count * 2 > ix.mask) { /* keep the load under one half: rebuild larger */
          if (!index_reset(&ix, (size_t)next.count * 2)) goto oom;
          for (int32_t j = 0; j < next.count; ++j)
            ix.slot[index_find(&ix, &next, next.bits + (size_t)j * (size_t)words)] = j;
        }
      }
    }
    if (next.count == 0) {
      st = mcu_status_errorf("scheduler: no ready op at level %d", (int)level);
      goto done;
    }
    if (next.count > beam) { /* keep the best `beam` states, in rank order */
      exact = 0;
      free(rank);
      rank = malloc((size_t)next.count * sizeof *rank);
      if (!rank) goto oom;
      for (int32_t j = 0; j < next.count; ++j) rank[j] = j;
      sort_states = &next;
      qsort(rank, (size_t)next.count, sizeof *rank, by_rank);
      sort_states = NULL;
      states_t kept = {.words = words};
      for (int32_t j = 0; j < beam; ++j) {
        if (!states_grow(&kept)) {
          states_free(&kept);
          goto oom;
        }
        int32_t r = rank[j];
        memcpy(kept.bits + (size_t)j * (size_t)words, next.bits + (size_t)r * (size_t)words,
               (size_t)words * sizeof *b);
        kept.peak[j] = next.peak[r], kept.live[j] = next.live[r];
        kept.parent[j] = next.parent[r], kept.op[j] = next.op[r];
        kept.count = j + 1;
      }
      states_free(&next);
      next = kept;
    }
    hist_parent[level + 1] = malloc((size_t)next.count * sizeof **hist_parent);
    hist_op[level + 1] = malloc((size_t)next.count * sizeof **hist_op);
    if (!hist_parent[level + 1] || !hist_op[level + 1]) goto oom;
    memcpy(hist_parent[level + 1], next.parent, (size_t)next.count * sizeof **hist_parent);
    memcpy(hist_op[level + 1], next.op, (size_t)next.count * sizeof **hist_op);
    states_t t = cur;
    cur = next;
    next = t;
  }
  /* Level n holds the one full set; walk the parents back. */
  for (int32_t level = n, at = 0; level > 0; --level) {
    out_order[level - 1] = hist_op[level][at];
    at = hist_parent[level][at];
  }
  *out_exact = exact;
  goto done;
oom:
  st = mcu_status_errorf("scheduler: out of memory");
done:
  if (hist_parent)
    for (int32_t i = 0; i <= n; ++i) free(hist_parent[i]);
  if (hist_op)
    for (int32_t i = 0; i <= n; ++i) free(hist_op[i]);
  free(hist_parent);
  free(hist_op);
  free(rank);
  free(b);
  free(ix.slot);
  states_free(&cur);
  states_free(&next);
  return st;
}

mcu_status_t mcu_schedule(const mcu_sched_op_t *ops, int32_t n, int32_t beam_width, int32_t *out_order,
                          mcu_sched_result_t *out_result) {
  graph_t g;
  mcu_status_t s = graph_build(ops, n, &g);
  if (s) return s;
  if (n > 0 && !out_order) {
    graph_free(&g);
    return mcu_status_errorf("scheduler: no output order");
  }
  if (beam_width <= 0) {
    const int64_t scaled = n > 0 ? ((int64_t)1 << 26) / ((int64_t)n * n) : MCU_SCHED_DEFAULT_BEAM;
    beam_width = scaled > MCU_SCHED_DEFAULT_BEAM ? MCU_SCHED_DEFAULT_BEAM : scaled < 64 ? 64 : (int32_t)scaled;
  }
  int32_t *cand = malloc(((size_t)n + 1) * sizeof *cand), *gre = malloc(((size_t)n + 1) * sizeof *gre);
  mcu_sched_result_t r = {0, 0, 0, 0};
  if (!cand || !gre) s = mcu_status_errorf("scheduler: out of memory");
  for (int32_t i = 0; i < n && !s; ++i) out_order[i] = i;
  if (!s) s = peak_of(&g, out_order, &r.file_peak);
  r.peak = r.file_peak;
  uint64_t p;
  if (!s && n > 0) s = search(&g, beam_width, cand, &r.exact);
  if (!s && n > 0) s = peak_of(&g, cand, &p); /* re-measured: the search's order is checked like any other */
  if (!s && n > 0 && p < r.peak) memcpy(out_order, cand, (size_t)n * sizeof *cand), r.peak = p, r.from = 1;
  if (!s && n > 0) s = greedy(&g, gre);
  if (!s && n > 0) s = peak_of(&g, gre, &p);
  if (!s && n > 0 && p < r.peak) memcpy(out_order, gre, (size_t)n * sizeof *gre), r.peak = p, r.from = 2;
  if (n == 0) r.exact = 1;
  free(cand);
  free(gre);
  graph_free(&g);
  if (!s && out_result) *out_result = r;
  return s;
}
