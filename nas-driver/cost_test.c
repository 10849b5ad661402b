/* cost_test.c: cost queries on a small network: the compiled MACs equal the analytic ones, the three query paths
 * agree (built module, IR text, ONNX export), every schedule runs, the best is no worse than the default, a context
 * reused across queries gives what fresh contexts give (also on a stage-2-like stream, whose layers the kept memo
 * answers), errors are reported. */
#include "cost.h"

#include <stdio.h>
#include <string.h>

#include "mcu_test.h"
#include "onnx_export.h"
#include "space.h"

static nas_net_t small_net(void) {
  nas_net_t n;
  memset(&n, 0, sizeof n);
  n.resolution = 32, n.in_channels = 3, n.first_channels = 8, n.first_kernel = 3, n.first_stride = 2;
  n.blocks[0] = (nas_block_t){8, 8, 3, 1, 1, 8, 0};
  n.blocks[1] = (nas_block_t){8, 16, 5, 2, 4, 32, 0};
  n.blocks[2] = (nas_block_t){16, 16, 7, 1, 3, 48, 1};
  n.num_blocks = 3, n.classes = 10;
  return n;
}

/* The reusable compiler context: on one handle, a query of another network in between, then the same two queries
 * again, every schedule; each figure equals the one a fresh handle (a fresh compiler context) gives. */
static void test_reuse(void) {
  nas_net_t a = small_net(), b = small_net();
  b.resolution = 48, b.blocks[2].kernel = 3, b.mix_channels = 32;
  nas_cost_ctx_t *one = NULL;
  mcu_status_t s = nas_cost_ctx_create("stm32f746", NULL, &one);
  CHECK(!s, "context: %s", mcu_status_message(s));
  if (s) {
    mcu_status_free(s);
    return;
  }
  for (int k = 0; k < NAS_NUM_SCHEDULES; ++k) {
    nas_cost_t fresh[2], reused[4];
    const nas_net_t *nets[2] = {&a, &b};
    for (int j = 0; j < 2; ++j) {
      nas_cost_ctx_t *f = NULL;
      s = nas_cost_ctx_create("stm32f746", NULL, &f);
      if (!s) s = nas_cost_query(f, nets[j], k, &fresh[j]);
      CHECK(!s, "fresh query: %s", mcu_status_message(s));
      mcu_status_free(s);
      nas_cost_ctx_destroy(f);
    }
    for (int j = 0; j < 4; ++j) {
      nas_cost_ctx_set_recycle(one, j == 3 ? 1 : 0); /* the last query in a recreated compiler context */
      s = nas_cost_query(one, nets[j % 2], k, &reused[j]);
      CHECK(!s, "reused query: %s", mcu_status_message(s));
      mcu_status_free(s);
    }
    for (int j = 0; j < 4; ++j)
      CHECK(!memcmp(&reused[j], &fresh[j % 2], sizeof reused[j]),
            "%s: query %d on one handle equals a fresh handle's (SRAM %llu vs %llu)", nas_schedule_name(k), j,
            (unsigned long long)reused[j].peak_sram_bytes, (unsigned long long)fresh[j % 2].peak_sram_bytes);
    CHECK(fresh[0].peak_sram_bytes != fresh[1].peak_sram_bytes || fresh[0].macs != fresh[1].macs,
          "%s: the two networks differ", nas_schedule_name(k));
  }
  nas_cost_ctx_destroy(one);
}

/* The tables figure the query reads from the plan (plan-memory's sum of its answers) equals every library call of the
 * compiled program prepared again (nas_tables_bytes). */
static void check_tables(nas_cost_ctx_t *ctx, const nas_net_t *n, int k) {
  mcu_program_t *p = NULL;
  mcu_status_t s = nas_cost_program(ctx, n, k, &p);
  CHECK(!s, "%s: program: %s", nas_schedule_name(k), mcu_status_message(s));
  mcu_status_free(s);
  if (!p) return;
  const uint64_t again = nas_tables_bytes(p);
  CHECK(p->tables_size == again && again > 0, "%s: the plan's tables %llu B == the program's calls' %llu B",
        nas_schedule_name(k), (unsigned long long)p->tables_size, (unsigned long long)again);
  mcu_program_destroy(p);
}

/* The memo kept across queries (compiler/mcunet.c, run_pipeline): a stream as stage 2 makes it (random networks of
 * four candidate spaces, then mutations and crossovers of them, so most layers recur) on one handle, every schedule in
 * turn, gives what a handle that forgets the memo before each query gives. */
static void test_warm_stream(void) {
  nas_space_t sp;
  mcu_status_t s = nas_space_load(MCUNET_SOURCE_DIR "/nas-driver/space_default.json", &sp);
  CHECK(!s, "default space: %s", mcu_status_message(s));
  nas_cost_ctx_t *warm = NULL, *cold = NULL;
  if (!s) s = nas_cost_ctx_create("stm32f746", NULL, &warm);
  if (!s) s = nas_cost_ctx_create("stm32f746", NULL, &cold);
  CHECK(!s, "contexts: %s", mcu_status_message(s));
  mcu_status_free(s);
  uint64_t rng = 11;
  nas_genome_t pool[4];
  int compared = 0;
  for (int i = 0; warm && cold && i < 24; ++i) {
    nas_genome_t g;
    if (i < 4) /* two widths by two resolutions: equal layers at other sizes must not share answers */
      nas_genome_sample(&sp, i % 2, i / 2, &rng, &g);
    else if (i % 3)
      nas_genome_mutate(&sp, &pool[i % 4], 0.1, &rng, &g);
    else
      nas_genome_crossover(&sp, &pool[i % 4], &pool[(i + 1) % 4], &rng, &g);
    pool[i % 4] = g;
    nas_net_t n;
    nas_genome_to_net(&sp, &g, &n);
    const int k = i % NAS_NUM_SCHEDULES;
    nas_cost_t a, b;
    check_tables(warm, &n, k);
    mcu_status_t sa = nas_cost_query(warm, &n, k, &a);
    nas_cost_ctx_forget(cold);
    mcu_status_t sb = nas_cost_query(cold, &n, k, &b);
    CHECK(!sa && !sb, "stream query %d: %s / %s", i, mcu_status_message(sa), mcu_status_message(sb));
    if (!sa && !sb) {
      CHECK(!memcmp(&a, &b, sizeof a),
            "stream query %d (%s): the warm memo's figures equal the cold ones "
            "(SRAM %llu vs %llu, tables %llu vs %llu)",
            i, nas_schedule_name(k), (unsigned long long)a.peak_sram_bytes,
            (unsigned long long)b.peak_sram_bytes, (unsigned long long)a.tables_bytes,
            (unsigned long long)b.tables_bytes);
      ++compared;
    }
    mcu_status_free(sa);
    mcu_status_free(sb);
  }
  CHECK(compared == 24, "every stream query compared (%d)", compared);
  nas_cost_ctx_destroy(warm);
  nas_cost_ctx_destroy(cold);
}

int main(void) {
  nas_net_t n = small_net();
  CHECK(!nas_net_check(&n), "the network is valid");
  nas_cost_ctx_t *ctx = NULL;
  mcu_status_t s = nas_cost_ctx_create("stm32f746", NULL, &ctx);
  CHECK(!s && ctx, "context: %s", mcu_status_message(s));
  if (s) return mcu_test_finish();
  CHECK(nas_cost_ctx_sram(ctx) == 327680 && nas_cost_ctx_flash(ctx) == 1048576, "board limits");
  nas_cost_t c[NAS_NUM_SCHEDULES];
  for (int k = 0; k < NAS_NUM_SCHEDULES; ++k) {
    s = nas_cost_query(ctx, &n, k, &c[k]);
    CHECK(!s, "schedule %s: %s", nas_schedule_name(k), mcu_status_message(s));
    mcu_status_free(s);
    CHECK(c[k].macs == nas_net_macs(&n) && c[k].params == nas_net_params(&n), "%s: MACs %lld (analytic %lld)",
          nas_schedule_name(k), (long long)c[k].macs, (long long)nas_net_macs(&n));
    CHECK(c[k].peak_sram_bytes > 0 && c[k].weights_bytes + c[k].tables_bytes > (uint64_t)nas_net_params(&n) &&
              c[k].flash_bytes == c[k].weights_bytes + c[k].tables_bytes + c[k].code_bytes && c[k].instructions > c[k].macs,
          "%s: figures consistent", nas_schedule_name(k));
    CHECK(c[k].fits && c[k].schedule == k, "%s fits the board", nas_schedule_name(k));
    check_tables(ctx, &n, k);
  }
  CHECK(c[0].weights_bytes == c[1].weights_bytes, "the schedule does not change the weights");
  nas_cost_t via, best;
  nas_cost_ctx_set_via_onnx(ctx, 1);
  s = nas_cost_query(ctx, &n, 0, &via);
  CHECK(!s && !memcmp(&via, &c[0], sizeof via), "the ONNX path gives the same figures: %s", mcu_status_message(s));
  mcu_status_free(s);
  nas_cost_ctx_set_via_onnx(ctx, 0);
  nas_cost_ctx_set_via_text(ctx, 1);
  for (int k = 0; k < NAS_NUM_SCHEDULES; ++k) {
    s = nas_cost_query(ctx, &n, k, &via);
    CHECK(!s && !memcmp(&via, &c[k], sizeof via), "%s: the text path gives the same figures: %s",
          nas_schedule_name(k), mcu_status_message(s));
    mcu_status_free(s);
  }
  nas_cost_ctx_set_via_text(ctx, 0);
  s = nas_cost_best(ctx, &n, &best);
  CHECK(!s && best.peak_sram_bytes <= c[0].peak_sram_bytes && best.peak_sram_bytes <= c[1].peak_sram_bytes,
        "best schedule: %llu B", (unsigned long long)best.peak_sram_bytes);
  mcu_status_free(s);
  s = nas_cost_query(ctx, &n, NAS_NUM_SCHEDULES, &best);
  CHECK(s && strstr(mcu_status_message(s), "out of range"), "a bad schedule index is an error");
  mcu_status_free(s);
  n.blocks[1].in_channels = 9;
  s = nas_cost_query(ctx, &n, 0, &best);
  CHECK(s && strstr(mcu_status_message(s), "blocks[1]: in_channels 9"), "an inconsistent network is refused: %s",
        mcu_status_message(s));
  mcu_status_free(s);
  nas_cost_ctx_destroy(ctx);
  test_reuse();
  test_warm_stream();
  nas_cost_ctx_t *bad = NULL;
  s = nas_cost_ctx_create("nosuchboard", NULL, &bad);
  CHECK(s && !bad && strstr(mcu_status_message(s), "unknown board"), "unknown board");
  mcu_status_free(s);
  return mcu_test_finish();
}
