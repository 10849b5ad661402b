/* mcunet_nas_main.c: the mcunet-nas tool: export, cost, search (docs/nas.md). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>

#include "cost.h"
#include "netdesc.h"
#include "onnx_export.h"
#include "search.h"
#include "space.h"
#include "wexport.h"

static int usage(void) {
  fprintf(
      stderr,
      "usage: mcunet-nas export CONFIG.json -o OUT.onnx [--seed N] [--weights W.npz [--calib IMAGES.raw]]\n"
      "       mcunet-nas forward CONFIG.json --weights W.npz --input IMAGES.raw   (float logits, one line per image)\n"
      "       mcunet-nas cost CONFIG.json [--board B] [--schedule best|default|patches-off|patches-2x2|patches-4x4]\n"
      "                  [--via-onnx | --via-text]\n"
      "       mcunet-nas bench CONFIG.json [--seconds S] [--schedule NAME] [--board B] [--via-onnx | --via-text]\n"
      "                  [--cold | --mutate P [--seed N]]   (cost queries per second)\n"
      "       mcunet-nas search --board B [--space SPACE.json] [options] (mcunet-nas search --help)\n");
  return 2;
}

static int fail(mcu_status_t s) {
  fprintf(stderr, "mcunet-nas: %s\n", mcu_status_message(s));
  mcu_status_free(s);
  return 1;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end) return -1;
  *out = v;
  return 0;
}

static int cmd_export(int argc, char **argv) {
  const char *config = NULL, *out = NULL, *weights = NULL, *calib = NULL;
  uint64_t seed = 1;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc)
      out = argv[++i];
    else if (!strcmp(argv[i], "--weights") && i + 1 < argc)
      weights = argv[++i];
    else if (!strcmp(argv[i], "--calib") && i + 1 < argc)
      calib = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      if (parse_u64(argv[++i], &seed)) return usage();
    } else if (argv[i][0] != '-' && !config)
      config = argv[i];
    else
      return usage();
  }
  if (!config || !out || (calib && !weights)) return usage();
  mcu_status_t s;
  if (weights) {
    s = nas_export_weights(config, weights, calib, seed, out, stdout);
  } else {
    nas_net_t n;
    s = nas_net_load(config, &n);
    if (!s) s = nas_onnx_export_file(&n, seed, out);
  }
  if (s) return fail(s);
  return 0;
}

/* The float forward pass of the user's weights (the reference an int8 export is compared with). */
static int cmd_forward(int argc, char **argv) {
  const char *config = NULL, *weights = NULL, *input = NULL;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--weights") && i + 1 < argc)
      weights = argv[++i];
    else if (!strcmp(argv[i], "--input") && i + 1 < argc)
      input = argv[++i];
    else if (argv[i][0] != '-' && !config)
      config = argv[i];
    else
      return usage();
  }
  if (!config || !weights || !input) return usage();
  mcu_status_t s = nas_forward_file(config, weights, input, stdout);
  if (s) return fail(s);
  return 0;
}

static int cmd_cost(int argc, char **argv) {
  const char *config = NULL, *board = NULL, *sched = "best";
  int via_onnx = 0, via_text = 0;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--via-onnx"))
      via_onnx = 1;
    else if (!strcmp(argv[i], "--via-text"))
      via_text = 1;
    else if (!strcmp(argv[i], "--board") && i + 1 < argc)
      board = argv[++i];
    else if (!strcmp(argv[i], "--schedule") && i + 1 < argc)
      sched = argv[++i];
    else if (argv[i][0] != '-' && !config)
      config = argv[i];
    else
      return usage();
  }
  if (!config) return usage();
  nas_net_t n;
  mcu_status_t s = nas_net_load(config, &n);
  if (s) return fail(s);
  nas_cost_ctx_t *ctx;
  if ((s = nas_cost_ctx_create(board, NULL, &ctx))) return fail(s);
  nas_cost_ctx_set_via_onnx(ctx, via_onnx);
  nas_cost_ctx_set_via_text(ctx, via_text);
  nas_cost_t c;
  if (!strcmp(sched, "best")) {
    s = nas_cost_best(ctx, &n, &c);
  } else {
    int k = -1;
    for (int i = 0; i < NAS_NUM_SCHEDULES; ++i)
      if (!strcmp(sched, nas_schedule_name(i))) k = i;
    if (k < 0) {
      nas_cost_ctx_destroy(ctx);
      fprintf(stderr, "mcunet-nas: unknown schedule '%s' (best, default, patches-off, patches-2x2, patches-4x4)\n",
              sched);
      return 2;
    }
    s = nas_cost_query(ctx, &n, k, &c);
  }
  nas_cost_ctx_destroy(ctx);
  if (s) return fail(s);
  nas_cost_write_json(&c, board, stdout);
  fputc('\n', stdout);
  return 0;
}

/* A network of the config's size as stage 2 makes them (bench --mutate): each inverted-residual block that has an
 * expansion conv redraws its kernel from {3, 5, 7} and its expand ratio from {3, 4, 6} with probability p (OFA's
 * mutation, on the config's blocks instead of a space's genome), its middle width OFA's make_divisible. */
static void mutate_net(const nas_net_t *base, double p, uint64_t *rng, nas_net_t *out_net) {
  static const int kernels[3] = {3, 5, 7}, expands[3] = {3, 4, 6};
  *out_net = *base;
  for (int i = 0; i < out_net->num_blocks; ++i) {
    nas_block_t *b = &out_net->blocks[i];
    if (b->expand == 1) continue;
    if (nas_rand_unit(rng) < p) b->kernel = kernels[nas_rand_below(rng, 3)];
    if (nas_rand_unit(rng) < p) {
      b->expand = expands[nas_rand_below(rng, 3)];
      b->mid_channels = nas_make_divisible((double)b->in_channels * b->expand);
    }
  }
}

/* The cost-query benchmark: repeats queries for at least S seconds (default 5) in this process and prints the rate.
 * Three workloads: the config again and again (its layers answered from the compiler's memo after the first query);
 * --cold, the memo forgotten before each query (every query as a context's first); --mutate P, each query a fresh
 * mutation of the config (the stream stage 2 asks about: new networks, most of their layers seen before). Not a
 * test: the figures go to docs/nas.md. */
static int cmd_bench(int argc, char **argv) {
  const char *config = NULL, *sched = "default", *board = NULL;
  double seconds = 5, mutate = -1;
  uint64_t seed = 1;
  int via_onnx = 0, via_text = 0, cold = 0;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--via-onnx"))
      via_onnx = 1;
    else if (!strcmp(argv[i], "--via-text"))
      via_text = 1;
    else if (!strcmp(argv[i], "--cold"))
      cold = 1;
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--mutate") && i + 1 < argc) {
      char *end;
      mutate = strtod(argv[++i], &end);
      if (end == argv[i] || *end || !(mutate >= 0 && mutate <= 1)) return usage(); /* a probability */
    }
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      if (parse_u64(argv[++i], &seed)) return usage();
    } else if (!strcmp(argv[i], "--schedule") && i + 1 < argc)
      sched = argv[++i];
    else if (!strcmp(argv[i], "--board") && i + 1 < argc)
      board = argv[++i];
    else if (argv[i][0] != '-' && !config)
      config = argv[i];
    else
      return usage();
  }
  const int mutating = mutate >= 0;
  if (!config || !(seconds > 0) || (mutating && cold)) return usage();
  int k = -1;
  for (int i = 0; i < NAS_NUM_SCHEDULES; ++i)
    if (!strcmp(sched, nas_schedule_name(i))) k = i;
  if (k < 0) return usage();
  nas_net_t base, n;
  mcu_status_t s = nas_net_load(config, &base);
  if (s) return fail(s);
  n = base;
  nas_cost_ctx_t *ctx;
  if ((s = nas_cost_ctx_create(board, NULL, &ctx))) return fail(s);
  nas_cost_ctx_set_via_onnx(ctx, via_onnx);
  nas_cost_ctx_set_via_text(ctx, via_text);
  struct timespec t0, t1, c0, c1; /* wall clock, and this process's CPU time (robust on a loaded machine) */
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  long count = 0;
  double el = 0, macs = 0;
  nas_cost_t c;
  while (!s && el < seconds) {
    if (mutating) mutate_net(&base, mutate, &seed, &n);
    if (cold) nas_cost_ctx_forget(ctx);
    s = nas_cost_query(ctx, &n, k, &c);
    macs += (double)c.macs;
    ++count;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  const double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
  nas_cost_ctx_destroy(ctx);
  if (s) return fail(s);
  char mode[64];
  if (mutating)
    snprintf(mode, sizeof mode, "mutate %g", mutate);
  else
    snprintf(mode, sizeof mode, "%s", cold ? "cold" : "repeat");
  printf("{\"config\": \"%s\", \"schedule\": \"%s\", \"workload\": \"%s\", \"queries\": %ld, \"seconds\": %.3f, "
         "\"queries_per_second\": %.1f, \"ms_per_query\": %.3f, \"cpu_ms_per_query\": %.3f, "
         "\"cpu_queries_per_second\": %.1f, \"mean_macs\": %.0f, \"peak_sram_bytes\": %llu}\n",
         config, sched, mode, count, el, count / el, el * 1000 / count, cpu * 1000 / count, count / cpu,
         macs / count, (unsigned long long)c.peak_sram_bytes);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
#ifdef __GLIBC__
  /* Cost queries allocate and free the same large buffers (the zero weights a kernel's prepare reads, its tables)
   * thousands of times: keep freed memory in the heap rather than handing it back to the kernel and faulting it in
   * again (about a tenth of a query, measured in docs/nas.md). A process setting of this tool, not of the library. */
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
#endif
  if (!strcmp(argv[1], "export")) return cmd_export(argc - 2, argv + 2);
  if (!strcmp(argv[1], "forward")) return cmd_forward(argc - 2, argv + 2);
  if (!strcmp(argv[1], "cost")) return cmd_cost(argc - 2, argv + 2);
  if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
  if (!strcmp(argv[1], "search")) return nas_search_main(argc - 2, argv + 2);
  return usage();
}
