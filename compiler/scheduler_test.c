/* scheduler_test.c: the scheduler on hand-made branching graphs and property tests on random DAGs. */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"

static uint32_t rng_state = 2024;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) % n;
}

/* Brute force: the least peak over every topological order (small n only). */
static uint64_t brute_best;
static void brute(const mcu_sched_op_t *ops, int32_t n, int32_t *order, int32_t t, char *used) {
  if (t == n) {
    uint64_t p;
    mcu_status_t s = mcu_schedule_peak(ops, n, order, &p);
    if (!s && p < brute_best) brute_best = p;
    mcu_status_free(s);
    return;
  }
  for (int32_t v = 0; v < n; ++v) {
    if (used[v]) continue;
    int ready = 1;
    for (int32_t k = 0; k < ops[v].num_operands; ++k) ready &= used[ops[v].operands[k]] != 0;
    if (!ready) continue;
    used[v] = 1, order[t] = v;
    brute(ops, n, order, t + 1, used);
    used[v] = 0;
  }
}

static int is_topological(const mcu_sched_op_t *ops, int32_t n, const int32_t *order) {
  int32_t pos[64];
  for (int32_t i = 0; i < n; ++i) pos[i] = -1;
  for (int32_t t = 0; t < n; ++t) {
    if (order[t] < 0 || order[t] >= n || pos[order[t]] >= 0) return 0;
    pos[order[t]] = t;
  }
  for (int32_t i = 0; i < n; ++i)
    for (int32_t k = 0; k < ops[i].num_operands; ++k)
      if (pos[ops[i].operands[k]] > pos[i]) return 0;
  return 1;
}

/* Two hand cases with two branches from one input joined by a concat (a model output). The first is a tie: the
 * file's order is kept. In the second the file runs branch A first, whose 500-byte result then waits while
 * branch B peaks; the best runs B (800 -> 10) first. */
static void test_two_branches(void) {
  /* 0: x = stem (1000 bytes)
   * 1: a1 = big(x) (2000)      branch A, first op
   * 2: a2 = reduce(a1) (10)
   * 3: b1 = f(x) (10)          branch B reads x too: in file order x lives through a1's step
   * 4: out = concat(a2, b1) (model output) */
  int32_t o1[] = {0}, o2[] = {1}, o3[] = {0}, o4[] = {2, 3};
  mcu_sched_op_t ops[5] = {
      {1000, 0, 0, 0, NULL}, {2000, 0, 0, 1, o1}, {10, 0, 0, 1, o2}, {10, 0, 0, 1, o3}, {50, 0, 1, 2, o4},
  };
  int32_t order[5];
  mcu_sched_result_t r;
  mcu_status_t s = mcu_schedule(ops, 5, 0, order, &r);
  CHECK(!s, "schedule failed: %s", mcu_status_message(s));
  /* File order: step 2 has x, a1 and a2 live (x still awaits b1): 1000 + 2000 + 10; running b1 first gives
   * step 2 x + b1 + a1 = 3010 as well. */
  CHECK(r.file_peak == 3010, "file peak %llu", (unsigned long long)r.file_peak);
  CHECK(r.peak == 3010 && r.exact && r.from == 0, "peak %llu exact %d from %d", (unsigned long long)r.peak, r.exact,
        r.from);
  for (int32_t i = 0; i < 5; ++i) CHECK(order[i] == i, "a tie keeps the file's order: order[%d] = %d", i, order[i]);
  mcu_status_free(s);

  /* 0: x (100); 1: a = f(x) (500); 2: b1 = g(x) (800); 3: b2 = h(b1) (10); 4: out = concat(a, b2) (output).
   * File: b1's step holds x + a + b1 = 1400. Best: b1, b2 first: x + b1 = 900, x + b1 + b2 = 910, then
   * a: x + b2 + a = 610. */
  int32_t p1[] = {0}, p2[] = {0}, p3[] = {2}, p4[] = {1, 3};
  mcu_sched_op_t ops2[5] = {
      {100, 0, 0, 0, NULL}, {500, 0, 0, 1, p1}, {800, 0, 0, 1, p2}, {10, 0, 0, 1, p3}, {50, 0, 1, 2, p4},
  };
  s = mcu_schedule(ops2, 5, 0, order, &r);
  CHECK(!s, "schedule failed: %s", mcu_status_message(s));
  CHECK(r.file_peak == 1400, "file peak %llu", (unsigned long long)r.file_peak);
  CHECK(r.peak == 910 && r.exact && r.from == 1, "peak %llu exact %d from %d", (unsigned long long)r.peak, r.exact,
        r.from);
  CHECK(order[0] == 0 && order[1] == 2 && order[2] == 3 && order[3] == 1 && order[4] == 4,
        "order %d %d %d %d %d", order[0], order[1], order[2], order[3], order[4]);
  mcu_status_free(s);
}

/* A scratch counts only at its own step; a result nobody reads only at its own step; repeated operands once. */
static void test_measure(void) {
  int32_t o1[] = {0, 0}, o2[] = {0};
  mcu_sched_op_t ops[3] = {{100, 7, 0, 0, NULL}, {50, 30, 0, 2, o1}, {20, 0, 0, 1, o2}};
  int32_t order[3] = {0, 1, 2};
  uint64_t p = 0;
  mcu_status_t s = mcu_schedule_peak(ops, 3, order, &p);
  CHECK(!s && p == 180, "peak %llu (step 1: 100 + 50 + 30)", (unsigned long long)p);
  mcu_status_free(s);
  int32_t bad[3] = {1, 0, 2};
  s = mcu_schedule_peak(ops, 3, bad, &p);
  CHECK(s != NULL, "an order that runs a reader first must be rejected");
  mcu_status_free(s);
  int32_t dup[3] = {0, 0, 2};
  s = mcu_schedule_peak(ops, 3, dup, &p);
  CHECK(s != NULL, "a non-permutation must be rejected");
  mcu_status_free(s);
  int32_t fwd[] = {2};
  mcu_sched_op_t cyc[3] = {{1, 0, 0, 0, NULL}, {1, 0, 0, 1, fwd}, {1, 0, 0, 0, NULL}};
  s = mcu_schedule(cyc, 3, 0, order, NULL);
  CHECK(s != NULL, "an operand that is not an earlier op must be rejected");
  mcu_status_free(s);
  s = mcu_schedule(NULL, 0, 0, NULL, NULL);
  CHECK(!s, "an empty graph is fine");
  mcu_status_free(s);
}

/* Random DAGs: every order is topological, never worse than the file's, the exact search never worse than the
 * greedy and equal to brute force on small graphs, and the result is the same on a second run. */
static void test_random(void) {
  for (int iter = 0; iter < 300; ++iter) {
    const int32_t n = 2 + (int32_t)rnd(iter < 200 ? 8 : 40);
    mcu_sched_op_t ops[64];
    int32_t operands[64][4];
    for (int32_t i = 0; i < n; ++i) {
      int32_t k = i == 0 ? 0 : 1 + (int32_t)rnd(i < 3 ? (uint32_t)i : 3);
      for (int32_t j = 0; j < k; ++j) operands[i][j] = (int32_t)rnd((uint32_t)i);
      ops[i] = (mcu_sched_op_t){1 + rnd(1000), rnd(4) == 0 ? rnd(200) : 0, rnd(6) == 0, k, operands[i]};
    }
    int32_t order[64], again[64], gre[64];
    mcu_sched_result_t r, r2;
    const int32_t beam = n <= 16 ? 1 << 14 : 0; /* C(16, 8) = 12870 sets at most per level: exact */
    mcu_status_t s = mcu_schedule(ops, n, beam, order, &r);
    CHECK(!s, "iter %d: %s", iter, mcu_status_message(s));
    mcu_status_free(s);
    if (s) continue;
    CHECK(is_topological(ops, n, order), "iter %d: not a topological order", iter);
    CHECK(r.peak <= r.file_peak, "iter %d: peak %llu > file %llu", iter, (unsigned long long)r.peak,
          (unsigned long long)r.file_peak);
    uint64_t p = 0, pg = 0;
    s = mcu_schedule_peak(ops, n, order, &p);
    CHECK(!s && p == r.peak, "iter %d: reported peak %llu, measured %llu", iter, (unsigned long long)r.peak,
          (unsigned long long)p);
    mcu_status_free(s);
    s = mcu_schedule_greedy(ops, n, gre);
    CHECK(!s && is_topological(ops, n, gre), "iter %d: greedy order invalid", iter);
    mcu_status_free(s);
    s = mcu_schedule_peak(ops, n, gre, &pg);
    mcu_status_free(s);
    if (n <= 16) CHECK(r.exact && r.peak <= pg, "iter %d: exact %d peak %llu greedy %llu", iter, r.exact,
                       (unsigned long long)r.peak, (unsigned long long)pg);
    if (n <= 9) {
      int32_t tmp[64];
      char used[64] = {0};
      brute_best = UINT64_MAX;
      brute(ops, n, tmp, 0, used);
      CHECK(r.peak == brute_best, "iter %d: peak %llu, brute force %llu", iter, (unsigned long long)r.peak,
            (unsigned long long)brute_best);
    }
    s = mcu_schedule(ops, n, beam, again, &r2);
    CHECK(!s && !memcmp(order, again, (size_t)n * sizeof *order) && r2.peak == r.peak, "iter %d: not deterministic",
          iter);
    mcu_status_free(s);
    /* A tiny beam prunes but still returns a valid order no worse than the file's (nor better than exact). */
    s = mcu_schedule(ops, n, 2, again, &r2);
    CHECK(!s && is_topological(ops, n, again) && r2.peak <= r2.file_peak && (n > 16 || r2.peak >= r.peak),
          "iter %d: beam 2 peak %llu (exact %llu)", iter, (unsigned long long)r2.peak, (unsigned long long)r.peak);
    mcu_status_free(s);
  }
}

int main(void) {
  test_two_branches();
  test_measure();
  test_random();
  return mcu_test_finish();
}
