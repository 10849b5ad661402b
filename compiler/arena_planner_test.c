/* arena_planner_test.c: property tests of every arena-planner strategy on random interval sets, plus exact cases. */
#include "arena_planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"

static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) % n;
}

/* A chain a -> b -> c: a and c may share bytes, b may not share with either. */
static void test_chain(void) {
  mcu_arena_buffer_t b[3] = {{100, 0, 1, 4}, {50, 1, 2, 4}, {100, 2, 3, 4}};
  uint64_t off[3];
  mcu_arena_plan_t plan;
  mcu_status_t s = mcu_arena_plan(b, 3, off, &plan);
  CHECK(!s, "chain plan failed: %s", mcu_status_message(s));
  CHECK(plan.peak == 150 && plan.lower_bound == 150, "chain peak %llu bound %llu", (unsigned long long)plan.peak,
        (unsigned long long)plan.lower_bound);
  CHECK(plan.lower_bound_step == 1, "chain lower bound at step %d", plan.lower_bound_step);
  CHECK(plan.baseline == 252, "chain baseline %llu", (unsigned long long)plan.baseline);
  CHECK(plan.strategy == MCU_ARENA_GREEDY_BY_SIZE, "ties go to the first strategy, got %s",
        mcu_arena_strategy_name(plan.strategy));
  CHECK(off[0] == 0 && off[2] == 0 && off[1] == 100, "chain offsets %llu %llu %llu", (unsigned long long)off[0],
        (unsigned long long)off[1], (unsigned long long)off[2]);
}

/* Worked by hand. Three buffers A [0,1] 64 B, B [1,2] 32 B, C [2,3] 64 B, D [3,4] 32 B plus E [0,0] 16 B:
 * greedy by size places A at 0, C at 0 (A and C never live together), B at 64, D at 64 (live with C only),
 * E at 64 (live with A only): peak 96, the lower bound (A+B = 96 at step 1). */
static void test_hand_case(void) {
  mcu_arena_buffer_t b[5] = {{64, 0, 1, 1}, {32, 1, 2, 1}, {64, 2, 3, 1}, {32, 3, 4, 1}, {16, 0, 0, 1}};
  uint64_t off[5];
  mcu_arena_plan_t plan;
  mcu_status_t s = mcu_arena_plan_with(b, 5, MCU_ARENA_GREEDY_BY_SIZE, off, &plan);
  CHECK(!s && plan.peak == 96 && off[0] == 0 && off[2] == 0 && off[1] == 64 && off[3] == 64 && off[4] == 64,
        "hand case: peak %llu offsets %llu %llu %llu %llu %llu", (unsigned long long)plan.peak,
        (unsigned long long)off[0], (unsigned long long)off[1], (unsigned long long)off[2],
        (unsigned long long)off[3], (unsigned long long)off[4]);
}

/* Each strategy's result on the worked cases of test/passes/plan-memory-strategies.mlir and -best-fit.mlir. */
static void check_peaks(const char *what, const mcu_arena_buffer_t *b, int n, const uint64_t expected[5],
                        mcu_arena_strategy_t winner) {
  uint64_t off[8];
  mcu_arena_plan_t plan;
  mcu_status_t s = mcu_arena_plan(b, n, off, &plan);
  CHECK(!s, "%s failed", what);
  mcu_status_free(s);
  if (s) return;
  for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k)
    CHECK(plan.strategy_peak[k] == expected[k], "%s: %s peak %llu, expected %llu", what,
          mcu_arena_strategy_name((mcu_arena_strategy_t)k), (unsigned long long)plan.strategy_peak[k],
          (unsigned long long)expected[k]);
  CHECK(plan.strategy == winner && plan.exact_complete, "%s: kept %s", what, mcu_arena_strategy_name(plan.strategy));
}

static void test_strategy_cases(void) {
  /* A 112 [0,1], B 64 [1,2], C 32 [2,3], D 96 [3,4], E 64 [4,6]: lower bound A + B = 176. Greedy by size: A 0,
   * D 0, B 112, E 96, C 176 (the hole [96,112) is too small): 208; the exact search reaches 176. */
  mcu_arena_buffer_t five[5] = {{112, 0, 1, 4}, {64, 1, 2, 4}, {32, 2, 3, 4}, {96, 3, 4, 4}, {64, 4, 6, 4}};
  /* The local search does not run: the exact search reached the bound. */
  check_peaks("five buffers", five, 5, (const uint64_t[5]){208, 208, 192, 176, MCU_ARENA_NOT_RUN}, MCU_ARENA_EXACT);
  /* A 128 [0,1], B 48 [1,2], C 80 [2,4], D 128 [3,4]: best fit puts C under B where A was: 208 = the bound. */
  mcu_arena_buffer_t four[4] = {{128, 0, 1, 4}, {48, 1, 2, 4}, {80, 2, 4, 4}, {128, 3, 4, 4}};
  check_peaks("four buffers", four, 4, (const uint64_t[5]){256, 256, 208, 208, MCU_ARENA_NOT_RUN},
              MCU_ARENA_BEST_FIT);
}

static void test_bad_input(void) {
  mcu_arena_buffer_t b[1] = {{8, 3, 2, 4}};
  uint64_t off[1];
  mcu_arena_plan_t plan;
  mcu_status_t s = mcu_arena_plan(b, 1, off, &plan);
  CHECK(s != NULL, "inverted lifetime accepted");
  mcu_status_free(s);
  b[0] = (mcu_arena_buffer_t){8, 0, 2, 3};
  s = mcu_arena_plan(b, 1, off, &plan);
  CHECK(s != NULL, "alignment 3 accepted");
  mcu_status_free(s);
  b[0] = (mcu_arena_buffer_t){8, -1, 2, 4};
  s = mcu_arena_plan(b, 1, off, &plan);
  CHECK(s != NULL, "negative first step accepted");
  mcu_status_free(s);
  mcu_arena_buffer_t many[MCU_ARENA_EXACT_MAX_BUFFERS + 1];
  uint64_t many_off[MCU_ARENA_EXACT_MAX_BUFFERS + 1];
  for (int i = 0; i <= MCU_ARENA_EXACT_MAX_BUFFERS; ++i) many[i] = (mcu_arena_buffer_t){8, i, i, 4};
  s = mcu_arena_plan_with(many, MCU_ARENA_EXACT_MAX_BUFFERS + 1, MCU_ARENA_EXACT, many_off, &plan);
  CHECK(s != NULL, "exact search accepted %d buffers", MCU_ARENA_EXACT_MAX_BUFFERS + 1);
  mcu_status_free(s);
  s = mcu_arena_plan(many, MCU_ARENA_EXACT_MAX_BUFFERS + 1, many_off, &plan);
  CHECK(!s && plan.strategy_peak[MCU_ARENA_EXACT] == MCU_ARENA_NOT_RUN && plan.peak == 8,
        "large sets skip the exact search");
  mcu_status_free(s);
  s = mcu_arena_plan(many, 0, many_off, &plan);
  CHECK(!s && plan.peak == 0 && plan.lower_bound == 0 && plan.lower_bound_step == -1, "no buffers");
  mcu_status_free(s);
}

/* Checks one placement: aligned, inside the peak, the peak reached, no two live buffers share a byte, bounds. */
static int valid_plan(const mcu_arena_buffer_t *b, int n, const uint64_t *off, const mcu_arena_plan_t *plan,
                      uint64_t baseline) {
  uint64_t top = 0;
  for (int i = 0; i < n; ++i) {
    if (off[i] % b[i].align) return 0;
    if (off[i] + b[i].size > plan->peak) return 0;
    if (b[i].size && off[i] + b[i].size > top) top = off[i] + b[i].size;
    for (int j = i + 1; j < n; ++j) {
      int live_together = b[i].first <= b[j].last && b[j].first <= b[i].last;
      int bytes_overlap = off[i] < off[j] + b[j].size && off[j] < off[i] + b[i].size;
      if (live_together && bytes_overlap && b[i].size && b[j].size) return 0;
    }
  }
  return top == plan->peak && plan->peak >= plan->lower_bound && plan->peak <= baseline &&
         plan->baseline == baseline;
}

/* The smallest first-fit peak over every placement order (n <= 7): an exact answer found another way. */
static uint64_t brute_force(const mcu_arena_buffer_t *b, int n) {
  int perm[8];
  for (int i = 0; i < n; ++i) perm[i] = i;
  uint64_t best = UINT64_MAX;
  for (;;) {
    uint64_t off[8], peak = 0;
    for (int k = 0; k < n; ++k) {
      const mcu_arena_buffer_t *x = &b[perm[k]];
      uint64_t at = 0;
      for (int moved = 1; moved;) { /* lowest aligned offset clear of every placed conflicting buffer */
        moved = 0;
        at = (at + x->align - 1) / x->align * x->align;
        for (int j = 0; j < k; ++j) {
          const mcu_arena_buffer_t *y = &b[perm[j]];
          if (x->size && y->size && x->first <= y->last && y->first <= x->last && at < off[perm[j]] + y->size &&
              off[perm[j]] < at + x->size) {
            at = off[perm[j]] + y->size;
            moved = 1;
          }
        }
      }
      off[perm[k]] = at;
      if (x->size && at + x->size > peak) peak = at + x->size;
    }
    if (peak < best) best = peak;
    int i = n - 2; /* next permutation */
    while (i >= 0 && perm[i] > perm[i + 1]) --i;
    if (i < 0) break;
    int j = n - 1;
    while (perm[j] < perm[i]) --j;
    int t = perm[i];
    perm[i] = perm[j], perm[j] = t;
    for (int a = i + 1, c = n - 1; a < c; ++a, --c) t = perm[a], perm[a] = perm[c], perm[c] = t;
  }
  return best;
}

static void random_set(mcu_arena_buffer_t *b, int n, int steps, uint64_t *out_baseline) {
  *out_baseline = 0;
  for (int i = 0; i < n; ++i) {
    int32_t first = (int32_t)rnd((uint32_t)steps);
    b[i] = (mcu_arena_buffer_t){rnd(5) == 0 ? 0 : 1 + rnd(5000), first, first + (int32_t)rnd(8), 1u << rnd(5)};
    if (b[i].size)
      *out_baseline = (*out_baseline + b[i].align - 1) / b[i].align * b[i].align + b[i].size;
  }
}

static void test_random(void) {
  enum { N = 40 };
  int wins[MCU_ARENA_NUM_STRATEGIES] = {0};
  for (int trial = 0; trial < 400; ++trial) {
    mcu_arena_buffer_t b[N];
    uint64_t off[N], off2[N], baseline;
    int n = 1 + (int)rnd(N);
    random_set(b, n, 30, &baseline);
    uint64_t peaks[MCU_ARENA_NUM_STRATEGIES];
    for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k) {
      mcu_arena_plan_t plan;
      int nonzero = 0;
      for (int i = 0; i < n; ++i) nonzero += b[i].size > 0;
      peaks[k] = MCU_ARENA_NOT_RUN;
      if (k == MCU_ARENA_EXACT && nonzero > MCU_ARENA_EXACT_MAX_BUFFERS) continue;
      mcu_status_t s = mcu_arena_plan_with(b, n, (mcu_arena_strategy_t)k, off, &plan);
      CHECK(!s, "trial %d %s failed: %s", trial, mcu_arena_strategy_name((mcu_arena_strategy_t)k),
            mcu_status_message(s));
      if (s) {
        mcu_status_free(s);
        continue;
      }
      CHECK(valid_plan(b, n, off, &plan, baseline), "trial %d %s: overlap, misalignment or bound violated", trial,
            mcu_arena_strategy_name((mcu_arena_strategy_t)k));
      CHECK(plan.strategy == (mcu_arena_strategy_t)k && plan.strategy_peak[k] == plan.peak,
            "trial %d: plan_with reports strategy %d", trial, (int)plan.strategy);
      peaks[k] = plan.peak;
    }
    mcu_arena_plan_t best, again;
    mcu_status_t s = mcu_arena_plan(b, n, off, &best);
    mcu_status_t s2 = mcu_arena_plan(b, n, off2, &again);
    CHECK(!s && !s2, "trial %d: plan failed", trial);
    if (s || s2) {
      mcu_status_free(s), mcu_status_free(s2);
      continue;
    }
    CHECK(valid_plan(b, n, off, &best, baseline), "trial %d: the best plan is invalid", trial);
    CHECK(!memcmp(off, off2, sizeof off[0] * (size_t)n) && best.peak == again.peak &&
              best.strategy == again.strategy,
          "trial %d: two runs differ", trial);
    /* The kept plan is the first strategy with the smallest peak. */
    mcu_arena_strategy_t first_min = MCU_ARENA_GREEDY_BY_SIZE;
    for (int k = 1; k < MCU_ARENA_NUM_STRATEGIES; ++k)
      if (peaks[k] < peaks[first_min]) first_min = (mcu_arena_strategy_t)k;
    CHECK(best.peak == peaks[first_min] && best.strategy == first_min, "trial %d: kept %s (%llu), expected %s (%llu)",
          trial, mcu_arena_strategy_name(best.strategy), (unsigned long long)best.peak,
          mcu_arena_strategy_name(first_min), (unsigned long long)peaks[first_min]);
    /* All strategies together run the local search only when the others miss the lower bound; alone it always
     * runs, from the same start, so it then gives the same peak. */
    for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k)
      CHECK(best.strategy_peak[k] == peaks[k] ||
                (k == MCU_ARENA_LOCAL_SEARCH && best.strategy_peak[k] == MCU_ARENA_NOT_RUN &&
                 best.peak == best.lower_bound),
            "trial %d: strategy_peak[%d]", trial, k);
    if (peaks[MCU_ARENA_EXACT] != MCU_ARENA_NOT_RUN)
      for (int k = 0; k < MCU_ARENA_EXACT; ++k)
        CHECK(peaks[MCU_ARENA_EXACT] <= peaks[k], "trial %d: exact %llu above %s %llu", trial,
              (unsigned long long)peaks[MCU_ARENA_EXACT], mcu_arena_strategy_name((mcu_arena_strategy_t)k),
              (unsigned long long)peaks[k]);
    ++wins[best.strategy];
  }
  printf("strategy wins over random sets: size %d, conflicts %d, best fit %d, exact %d, local search %d\n", wins[0],
         wins[1], wins[2], wins[3], wins[4]);
}

/* Small sets: the exact search completes and equals the brute-force optimum; greedy results are never below. */
static void test_exact_small(void) {
  int improved = 0;
  for (int trial = 0; trial < 300; ++trial) {
    mcu_arena_buffer_t b[7];
    uint64_t off[7], baseline;
    int n = 1 + (int)rnd(7);
    random_set(b, n, 6, &baseline);
    mcu_arena_plan_t plan;
    mcu_status_t s = mcu_arena_plan(b, n, off, &plan);
    CHECK(!s, "small trial %d failed", trial);
    if (s) {
      mcu_status_free(s);
      continue;
    }
    uint64_t opt = brute_force(b, n);
    CHECK(plan.exact_complete && plan.peak == opt, "small trial %d: exact %llu (complete %d), brute force %llu",
          trial, (unsigned long long)plan.peak, plan.exact_complete, (unsigned long long)opt);
    improved += plan.strategy == MCU_ARENA_EXACT;
  }
  printf("exact search beat every greedy strategy on %d of 300 small sets\n", improved);
}

/* Twelve buffers, the largest exact case, finish within the node budget on a chain-like set. */
static void test_exact_twelve(void) {
  mcu_arena_buffer_t b[12];
  for (int i = 0; i < 12; ++i) b[i] = (mcu_arena_buffer_t){100 + 37u * (uint64_t)((i * 5) % 12), i, i + 2, 8};
  uint64_t off[12];
  mcu_arena_plan_t plan;
  mcu_status_t s = mcu_arena_plan(b, 12, off, &plan);
  CHECK(!s && plan.strategy_peak[MCU_ARENA_EXACT] != MCU_ARENA_NOT_RUN, "twelve buffers run the exact search");
  CHECK(!s && plan.peak >= plan.lower_bound && plan.peak <= plan.strategy_peak[0], "twelve buffers: peak %llu",
        (unsigned long long)plan.peak);
  mcu_status_free(s);
}

/* Several pools: fill order by heat per byte, capacity, a buffer too large left for the next pool, failure. */
static void test_pools(void) {
  /* Three buffers live together, 100 bytes each; heat 100, 1000, 500: the fast pool (200 bytes) takes 1 and 2. */
  mcu_arena_buffer_t b[3] = {{100, 0, 2, 4}, {100, 0, 2, 4}, {100, 0, 2, 4}};
  uint64_t heat[3] = {100, 1000, 500}, caps[2] = {200, 1000}, off[3];
  int pool[3];
  mcu_arena_plan_t plans[2];
  mcu_status_t s = mcu_arena_plan_pools(b, heat, 3, caps, 2, pool, off, plans);
  CHECK(!s, "pools: %s", s ? mcu_status_message(s) : "");
  CHECK(pool[0] == 1 && pool[1] == 0 && pool[2] == 0, "pools: fill order %d %d %d", pool[0], pool[1], pool[2]);
  CHECK(plans[0].peak == 200 && plans[1].peak == 100 && off[0] == 0 && off[1] != off[2], "pools: peaks %llu %llu",
        (unsigned long long)plans[0].peak, (unsigned long long)plans[1].peak);
  mcu_status_free(s);

  /* Heat per byte, not heat: 300 bytes with heat 3000 (10/byte) vs 50 bytes with heat 400 (8/byte); the first
   * does not fit 100 bytes, so it goes to the second pool and the cooler small one still fills the first. */
  mcu_arena_buffer_t c[2] = {{300, 0, 1, 4}, {50, 0, 1, 4}};
  uint64_t heat_c[2] = {3000, 400}, caps_c[2] = {100, 1000};
  s = mcu_arena_plan_pools(c, heat_c, 2, caps_c, 2, pool, off, plans);
  CHECK(!s && pool[0] == 1 && pool[1] == 0 && plans[0].peak == 50 && plans[1].peak == 300, "pools: skip large");
  mcu_status_free(s);

  /* Reuse inside a pool: the chain a -> b -> c needs 150 bytes, so all three fit a 150-byte pool. */
  mcu_arena_buffer_t d[3] = {{100, 0, 1, 4}, {50, 1, 2, 4}, {100, 2, 3, 4}};
  uint64_t heat_d[3] = {1, 1, 1}, caps_d[2] = {150, 10};
  s = mcu_arena_plan_pools(d, heat_d, 3, caps_d, 2, pool, off, plans);
  CHECK(!s && pool[0] == 0 && pool[1] == 0 && pool[2] == 0 && plans[0].peak == 150 && plans[1].peak == 0,
        "pools: chain in the first pool");
  mcu_status_free(s);

  /* Does not fit: 300 live bytes, pools of 100 + 100: the last pool needs 200, 100 bytes short. */
  uint64_t caps_e[2] = {100, 100};
  s = mcu_arena_plan_pools(b, heat, 3, caps_e, 2, pool, off, plans);
  CHECK(s && strstr(mcu_status_message(s), "by 100 bytes"), "pools: overflow message '%s'",
        s ? mcu_status_message(s) : "(none)");
  mcu_status_free(s);

  /* Random sets: every pool's placement valid and within its capacity, deterministic, zero-size in pool 0. */
  enum { N = 30 };
  for (int trial = 0; trial < 100; ++trial) {
    mcu_arena_buffer_t r[N];
    uint64_t baseline, h[N], o1[N], o2[N], cap[3];
    int p1[N], p2[N];
    mcu_arena_plan_t pl1[3], pl2[3];
    random_set(r, N, 12, &baseline);
    for (int i = 0; i < N; ++i) h[i] = rnd(10000);
    int np = 1 + (int)rnd(3);
    for (int k = 0; k < np; ++k) cap[k] = k == np - 1 ? baseline : rnd(8000);
    s = mcu_arena_plan_pools(r, h, N, cap, np, p1, o1, pl1);
    mcu_status_t s2 = mcu_arena_plan_pools(r, h, N, cap, np, p2, o2, pl2);
    CHECK(!s && !s2, "pool trial %d failed: %s", trial, s ? mcu_status_message(s) : "");
    mcu_status_free(s), mcu_status_free(s2);
    CHECK(!memcmp(p1, p2, sizeof p1) && !memcmp(o1, o2, sizeof o1), "pool trial %d: not deterministic", trial);
    for (int k = 0; k < np; ++k) {
      mcu_arena_buffer_t sub[N];
      uint64_t so[N];
      int m = 0;
      for (int i = 0; i < N; ++i)
        if (p1[i] == k && r[i].size) {
          sub[m] = r[i], so[m++] = o1[i];
        }
      CHECK(pl1[k].peak <= cap[k], "pool trial %d: pool %d peak %llu above %llu", trial, k,
            (unsigned long long)pl1[k].peak, (unsigned long long)cap[k]);
      CHECK(valid_plan(sub, m, so, &pl1[k], pl1[k].baseline), "pool trial %d: pool %d placement invalid", trial, k);
    }
    for (int i = 0; i < N; ++i)
      CHECK(p1[i] >= 0 && p1[i] < np && (r[i].size || (p1[i] == 0 && o1[i] == 0)), "pool trial %d: buffer %d",
            trial, i);
  }
}

int main(void) {
  test_pools();
  test_chain();
  test_hand_case();
  test_strategy_cases();
  test_bad_input();
  test_random();
  test_exact_small();
  test_exact_twelve();
  return mcu_test_finish();
}
