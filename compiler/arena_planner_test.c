/* arena_planner_test.c: property tests of the arena planner on random interval sets, plus exact small cases. */
#include "arena_planner.h"

#include <stdio.h>
#include <stdlib.h>

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
  CHECK(off[0] == 0 && off[2] == 0 && off[1] == 100, "chain offsets %llu %llu %llu", (unsigned long long)off[0],
        (unsigned long long)off[1], (unsigned long long)off[2]);
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
}

static void test_random(void) {
  enum { N = 40 };
  for (int trial = 0; trial < 500; ++trial) {
    mcu_arena_buffer_t b[N];
    uint64_t off[N], total = 0;
    int n = 1 + (int)rnd(N);
    for (int i = 0; i < n; ++i) {
      int32_t first = (int32_t)rnd(30);
      b[i] = (mcu_arena_buffer_t){rnd(5) == 0 ? 0 : 1 + rnd(5000), first, first + (int32_t)rnd(8), 1u << rnd(5)};
      total += b[i].size + b[i].align;
    }
    mcu_arena_plan_t plan;
    mcu_status_t s = mcu_arena_plan(b, n, off, &plan);
    CHECK(!s, "random plan failed");
    if (s) continue;
    int ok = 1;
    for (int i = 0; i < n; ++i) {
      if (off[i] % b[i].align) ok = 0;
      if (off[i] + b[i].size > plan.peak) ok = 0;
      for (int j = i + 1; j < n; ++j) {
        int live_together = b[i].first <= b[j].last && b[j].first <= b[i].last;
        int bytes_overlap = off[i] < off[j] + b[j].size && off[j] < off[i] + b[i].size;
        if (live_together && bytes_overlap && b[i].size && b[j].size) ok = 0;
      }
    }
    CHECK(ok, "trial %d: overlap, misalignment or buffer past the peak", trial);
    CHECK(plan.peak >= plan.lower_bound, "trial %d: peak below the lower bound", trial);
    CHECK(plan.peak <= total, "trial %d: peak %llu above the no-reuse baseline %llu", trial,
          (unsigned long long)plan.peak, (unsigned long long)total);
  }
}

int main(void) {
  test_chain();
  test_bad_input();
  test_random();
  return mcu_test_finish();
}
