/* search.c: the TinyNAS two-stage search (MCUNet, Lin et al. 2020), driven by the compiler's own cost queries.
 * Stage 1 (search-space optimisation): for each (width multiplier, resolution) space, sample N networks, keep those
 * that fit the board under some schedule (evaluate.c), and rank the spaces by E[MACs * fits] (the area under the
 * complementary CDF of the MACs, non-fitting samples counted at 0 MACs): a space where big networks fit often wins.
 * Stage 2: OFA's evolutionary search inside the chosen space: population, top parents, mutation and crossover
 * children, each kept only if it fits. Every random draw is made by this process from splitmix64 streams derived
 * from the seed, so results do not depend on workers or MPI ranks, and a checkpoint (written atomically after each
 * stage-1 space and each stage-2 iteration) holds the whole state: a resumed search ends exactly as an uninterrupted
 * one. Weakness: the built-in fitness (MACs) is a proxy for accuracy, not accuracy (docs/nas.md). */
#define _POSIX_C_SOURCE 200809L /* fsync, clock_gettime, getpid */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cost.h"
#include "evaluate.h"
#include "onnx_export.h"
#include "space.h"

#ifndef MCUNET_SOURCE_DIR
#define MCUNET_SOURCE_DIR "."
#endif
#define MAX_SPACES (NAS_MAX_CHOICES * 2 * NAS_MAX_CHOICES * 2)
#define MAX_TRIES 50 /* rounds of resampling to fill a population with fitting children */

typedef struct {
  const char *board, *space_path, *checkpoint, *svg, *out, *command;
  uint64_t seed;
  int samples, population, iterations, jobs, space_index;
  double parent_ratio, mutate_ratio, mutate_prob;
  uint64_t sram, flash;
  int64_t instructions;
  int quiet;
} options_t;

typedef struct {
  nas_genome_t g;
  nas_eval_result_t r;
} member_t;

typedef struct {
  /* stage 1 */
  int num_spaces, spaces_done;
  int64_t *macs;  /* [num_spaces][samples]: MACs of each sample, 0 when it does not fit */
  int *fit_count; /* [num_spaces] */
  int chosen;     /* space index (width * num_resolutions + resolution), or -1 before */
  /* stage 2 */
  int iteration; /* completed iterations; -1: the initial population is not there yet */
  uint64_t rng;
  int pop_size;
  member_t *pop;
  member_t best;
  int have_best;
  int64_t evaluated;
} state_t;

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return h;
}

/* What must be equal for a checkpoint to resume: every option that changes the result, and the space file. */
static uint64_t options_hash(const options_t *o, const nas_space_t *sp) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s|%llu|%d|%d|%d|%d|%.17g|%.17g|%.17g|%llu|%llu|%lld|%s", o->board,
           (unsigned long long)o->seed, o->samples, o->population, o->iterations, o->space_index, o->parent_ratio,
           o->mutate_ratio, o->mutate_prob, (unsigned long long)o->sram, (unsigned long long)o->flash,
           (long long)o->instructions, o->command ? o->command : "");
  return fnv1a(fnv1a(0xcbf29ce484222325ull, buf, strlen(buf)), sp, sizeof *sp);
}

static int checkpoint_write(const options_t *o, const nas_space_t *sp, const state_t *st) {
  if (!o->checkpoint || nas_mpi_rank() != 0) return 0;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", o->checkpoint, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "mcunet-nas-checkpoint 1\nhash %llu\n", (unsigned long long)options_hash(o, sp));
  fprintf(f, "stage1 %d %d %d\n", st->num_spaces, st->spaces_done, st->chosen);
  for (int s = 0; s < st->spaces_done; ++s) {
    fprintf(f, "space %d %d", s, st->fit_count[s]);
    for (int i = 0; i < o->samples; ++i) fprintf(f, " %lld", (long long)st->macs[(size_t)s * o->samples + i]);
    fputc('\n', f);
  }
  fprintf(f, "stage2 %d %llu %d %d %lld\n", st->iteration, (unsigned long long)st->rng, st->pop_size, st->have_best,
          (long long)st->evaluated);
  char g[1024];
  for (int i = 0; i < st->pop_size + st->have_best; ++i) {
    const member_t *m = i < st->pop_size ? &st->pop[i] : &st->best;
    nas_genome_format(sp, &m->g, g, sizeof g);
    fprintf(f, "%s %d %d %d %llu %llu %lld %lld %lld %.17g : %s\n", i < st->pop_size ? "member" : "best", m->r.ok,
            m->r.fits, m->r.schedule, (unsigned long long)m->r.sram, (unsigned long long)m->r.flash,
            (long long)m->r.macs, (long long)m->r.params, (long long)m->r.instructions, m->r.fitness, g);
  }
  fprintf(f, "end\n");
  int bad = ferror(f);
  bad |= fflush(f) != 0;
  bad |= fsync(fileno(f)) != 0;
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, o->checkpoint)) {
    remove(tmp);
    return -1;
  }
  return 0;
}

static int read_member(FILE *f, const char *tag, const nas_space_t *sp, member_t *m) {
  char word[16], g[1024];
  unsigned long long sram, flash;
  long long macs, params, instr;
  if (fscanf(f, "%15s %d %d %d %llu %llu %lld %lld %lld %lg : %1023[^\n]", word, &m->r.ok, &m->r.fits, &m->r.schedule,
             &sram, &flash, &macs, &params, &instr, &m->r.fitness, g) != 11 ||
      strcmp(word, tag))
    return -1;
  m->r.sram = sram, m->r.flash = flash, m->r.macs = macs, m->r.params = params, m->r.instructions = instr;
  return nas_genome_parse(sp, g, &m->g);
}

/* 1: resumed, 0: no checkpoint file, -1: unreadable or from other options. */
static int checkpoint_read(const options_t *o, const nas_space_t *sp, state_t *st) {
  if (!o->checkpoint) return 0;
  FILE *f = fopen(o->checkpoint, "r");
  if (!f) return 0;
  unsigned long long hash, rng;
  int num_spaces, done, chosen, version;
  int bad = fscanf(f, "mcunet-nas-checkpoint %d hash %llu stage1 %d %d %d", &version, &hash, &num_spaces, &done,
                   &chosen) != 5 ||
            version != 1 || hash != options_hash(o, sp) || num_spaces != st->num_spaces || done < 0 ||
            done > num_spaces;
  for (int s = 0; !bad && s < done; ++s) {
    int idx, fit;
    bad = fscanf(f, " space %d %d", &idx, &fit) != 2 || idx != s;
    st->fit_count[s] = fit;
    for (int i = 0; !bad && i < o->samples; ++i) {
      long long v;
      bad = fscanf(f, "%lld", &v) != 1;
      st->macs[(size_t)s * o->samples + i] = v;
    }
  }
  int iteration, pop_size, have_best;
  long long evaluated;
  if (!bad)
    bad = fscanf(f, " stage2 %d %llu %d %d %lld", &iteration, &rng, &pop_size, &have_best, &evaluated) != 5 ||
          pop_size < 0 || pop_size > o->population;
  for (int i = 0; !bad && i < pop_size; ++i) bad = read_member(f, "member", sp, &st->pop[i]);
  if (!bad && have_best) bad = read_member(f, "best", sp, &st->best);
  char end[8];
  if (!bad) bad = fscanf(f, " %7s", end) != 1 || strcmp(end, "end");
  fclose(f);
  if (bad) return -1;
  st->spaces_done = done, st->chosen = chosen, st->iteration = iteration, st->rng = rng;
  st->pop_size = pop_size, st->have_best = have_best, st->evaluated = evaluated;
  return 1;
}

static double space_score(const options_t *o, const state_t *st, int s) {
  double sum = 0;
  for (int i = 0; i < o->samples; ++i) sum += (double)st->macs[(size_t)s * o->samples + i];
  return sum / o->samples;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The MACs CDFs of the spaces (fitting samples only), one polyline each. */
static int write_svg(const options_t *o, const nas_space_t *sp, const state_t *st, const int *order, const char *path) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  int64_t max_macs = 1;
  for (size_t i = 0; i < (size_t)st->num_spaces * o->samples; ++i)
    if (st->macs[i] > max_macs) max_macs = st->macs[i];
  const int W = 720, H = 420, L = 70, R = 200, T = 30, B = 50;
  int pw = W - L - R, ph = H - T - B;
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
          "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          W, H);
  fprintf(f,
          "<text x=\"%d\" y=\"18\" font-size=\"13\">TinyNAS stage 1 on %s: MACs CDF of the fitting samples (%d per "
          "space)</text>\n",
          L, o->board, o->samples);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n", L, T, pw, ph);
  for (int k = 0; k <= 4; ++k) {
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1fM</text>\n", L + pw * k / 4, T + ph + 15,
            (double)max_macs * k / 4 / 1e6);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f</text>\n", L - 4, T + ph - ph * k / 4 + 4, k / 4.0);
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">MACs</text>\n", L + pw / 2, H - 10);
  int64_t *v = malloc(sizeof(int64_t) * (size_t)o->samples);
  if (!v) {
    fclose(f);
    remove(tmp);
    return -1;
  }
  for (int rank = 0; rank < st->num_spaces; ++rank) {
    int s = order[rank];
    int n = 0;
    for (int i = 0; i < o->samples; ++i)
      if (st->macs[(size_t)s * o->samples + i]) v[n++] = st->macs[(size_t)s * o->samples + i];
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    int hue = (int)(rank * 360L / st->num_spaces);
    int wi = s / sp->num_resolutions, ri = s % sp->num_resolutions;
    fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"hsl(%d,70%%,40%%)\">#%d w%.2f r%d: %d/%d fit</text>\n", L + pw + 8,
            T + 12 + 13 * rank, hue, rank + 1, sp->widths[wi], sp->resolutions[ri], n, o->samples);
    if (!n) continue;
    fprintf(f, "<polyline fill=\"none\" stroke=\"hsl(%d,70%%,40%%)\" stroke-width=\"%s\" points=\"", hue,
            rank == 0 ? "2.5" : "1");
    for (int i = 0; i < n; ++i) {
      double x = L + pw * (double)v[i] / (double)max_macs;
      fprintf(f, "%.1f,%.1f %.1f,%.1f ", x, T + ph - ph * (double)i / n, x, T + ph - ph * (double)(i + 1) / n);
    }
    fprintf(f, "\"/>\n");
  }
  free(v);
  fprintf(f, "</svg>\n");
  if (fclose(f) || rename(tmp, path)) {
    remove(tmp);
    return -1;
  }
  return 0;
}

static void report_member(const char *what, const nas_space_t *sp, const member_t *m) {
  fprintf(stderr,
          "%s: fitness %.6g, MACs %lld, params %lld, SRAM %llu B, flash %llu B, instructions ~%lld, schedule %s\n",
          what, m->r.fitness, (long long)m->r.macs, (long long)m->r.params, (unsigned long long)m->r.sram,
          (unsigned long long)m->r.flash, (long long)m->r.instructions, nas_schedule_name(m->r.schedule));
  (void)sp;
}

static int cmp_member(const void *a, const void *b) {
  const member_t *x = a, *y = b;
  if (x->r.fitness != y->r.fitness) return x->r.fitness > y->r.fitness ? -1 : 1;
  if (x->r.sram != y->r.sram) return x->r.sram < y->r.sram ? -1 : 1; /* ties: less SRAM first */
  return memcmp(&x->g, &y->g, sizeof x->g); /* then a fixed order, whatever qsort does with equal keys */
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Evaluates genomes and appends those that fit to `dst` (up to `want`). */
static mcu_status_t eval_genomes(nas_evaluator_t *ev, const nas_space_t *sp, const nas_genome_t *gs, int n,
                                 member_t *dst, int *count, int want, int64_t *evaluated) {
  nas_net_t *nets = calloc((size_t)n, sizeof *nets);
  nas_eval_result_t *res = calloc((size_t)n, sizeof *res);
  if (!nets || !res) {
    free(nets), free(res);
    return mcu_status_errorf("out of memory");
  }
  for (int i = 0; i < n; ++i) nas_genome_to_net(sp, &gs[i], &nets[i]);
  mcu_status_t s = nas_evaluate(ev, nets, n, 1, res);
  *evaluated += n;
  for (int i = 0; !s && i < n && *count < want; ++i)
    if (res[i].fits) dst[*count] = (member_t){gs[i], res[i]}, ++*count;
  free(nets), free(res);
  return s;
}

static mcu_status_t stage1(const options_t *o, const nas_space_t *sp, nas_evaluator_t *ev, state_t *st) {
  nas_genome_t *gs = malloc(sizeof *gs * (size_t)o->samples);
  nas_net_t *nets = malloc(sizeof *nets * (size_t)o->samples);
  nas_eval_result_t *res = malloc(sizeof *res * (size_t)o->samples);
  mcu_status_t s = NULL;
  if (!gs || !nets || !res) s = mcu_status_errorf("out of memory");
  double t0 = now();
  int64_t q0 = nas_evaluator_queries(ev);
  for (int sidx = st->spaces_done; !s && sidx < st->num_spaces; ++sidx) {
    int wi = sidx / sp->num_resolutions, ri = sidx % sp->num_resolutions;
    uint64_t rng = o->seed ^ (0x51ED270B27A4A1D1ull * (uint64_t)(sidx + 1)); /* this space's own stream */
    for (int i = 0; i < o->samples; ++i) {
      nas_genome_sample(sp, wi, ri, &rng, &gs[i]);
      nas_genome_to_net(sp, &gs[i], &nets[i]);
    }
    if ((s = nas_evaluate(ev, nets, o->samples, 0, res))) break;
    int fit = 0;
    for (int i = 0; i < o->samples; ++i) {
      st->macs[(size_t)sidx * o->samples + i] = res[i].fits ? res[i].macs : 0;
      fit += res[i].fits;
    }
    st->fit_count[sidx] = fit;
    st->spaces_done = sidx + 1;
    if (checkpoint_write(o, sp, st)) s = mcu_status_errorf("%s: cannot write the checkpoint", o->checkpoint);
    if (!o->quiet && nas_mpi_rank() == 0)
      fprintf(stderr,
              "stage 1: space %d/%d (width %.2f, resolution %d): %d/%d fit, mean MACs*fit %.2fM, %.1f queries/s\n",
              sidx + 1, st->num_spaces, sp->widths[wi], sp->resolutions[ri], fit, o->samples,
              space_score(o, st, sidx) / 1e6, (double)(nas_evaluator_queries(ev) - q0) / (now() - t0 + 1e-9));
  }
  free(gs), free(nets), free(res);
  return s;
}

static mcu_status_t stage2(const options_t *o, const nas_space_t *sp, nas_evaluator_t *ev, state_t *st) {
  int P = o->population;
  int parents = (int)lround(o->parent_ratio * P);
  if (parents < 1) parents = 1;
  if (parents > P) parents = P;
  int mutations = (int)lround(o->mutate_ratio * (P - parents));
  int wi = st->chosen / sp->num_resolutions, ri = st->chosen % sp->num_resolutions;
  nas_genome_t *cand = malloc(sizeof *cand * (size_t)P);
  member_t *next = malloc(sizeof *next * (size_t)P);
  mcu_status_t s = NULL;
  if (!cand || !next) s = mcu_status_errorf("out of memory");
  double t0 = now();
  int64_t q0 = nas_evaluator_queries(ev);
  if (!s && st->iteration < 0) { /* the initial population: random fitting networks of the chosen space */
    st->rng = o->seed ^ 0xA0761D6478BD642Full;
    st->pop_size = 0;
    for (int round = 0; !s && st->pop_size < P && round < MAX_TRIES; ++round) {
      int n = P - st->pop_size;
      for (int i = 0; i < n; ++i) nas_genome_sample(sp, wi, ri, &st->rng, &cand[i]);
      s = eval_genomes(ev, sp, cand, n, st->pop, &st->pop_size, P, &st->evaluated);
    }
    if (!s && st->pop_size == 0) s = mcu_status_errorf("stage 2: no network of the chosen space fits");
    if (!s) {
      qsort(st->pop, (size_t)st->pop_size, sizeof *st->pop, cmp_member);
      st->best = st->pop[0], st->have_best = 1;
      st->iteration = 0;
      if (checkpoint_write(o, sp, st)) s = mcu_status_errorf("%s: cannot write the checkpoint", o->checkpoint);
    }
  }
  while (!s && st->iteration < o->iterations) {
    int np = parents < st->pop_size ? parents : st->pop_size, count = np;
    memcpy(next, st->pop, sizeof *next * (size_t)np); /* sorted: the top ones */
    for (int phase = 0; phase < 2 && !s; ++phase) {
      int target = phase == 0 ? np + mutations : P;
      for (int round = 0; !s && count < target && round < MAX_TRIES; ++round) {
        int n = target - count;
        for (int i = 0; i < n; ++i) {
          if (phase == 0) {
            int a = (int)nas_rand_below(&st->rng, (uint32_t)np);
            nas_genome_mutate(sp, &next[a].g, o->mutate_prob, &st->rng, &cand[i]);
          } else {
            int a = (int)nas_rand_below(&st->rng, (uint32_t)np), b = (int)nas_rand_below(&st->rng, (uint32_t)np);
            nas_genome_crossover(sp, &next[a].g, &next[b].g, &st->rng, &cand[i]);
          }
        }
        s = eval_genomes(ev, sp, cand, n, next, &count, target, &st->evaluated);
      }
    }
    if (s) break;
    memcpy(st->pop, next, sizeof *next * (size_t)count);
    st->pop_size = count;
    qsort(st->pop, (size_t)st->pop_size, sizeof *st->pop, cmp_member);
    if (cmp_member(&st->pop[0], &st->best) < 0) st->best = st->pop[0];
    ++st->iteration;
    if (checkpoint_write(o, sp, st)) s = mcu_status_errorf("%s: cannot write the checkpoint", o->checkpoint);
    if (!o->quiet && nas_mpi_rank() == 0)
      fprintf(stderr,
              "stage 2: iteration %d/%d, population %d, best fitness %.6g (MACs %lld, SRAM %llu B), "
              "%lld candidates, %.1f queries/s\n",
              st->iteration, o->iterations, st->pop_size, st->best.r.fitness, (long long)st->best.r.macs,
              (unsigned long long)st->best.r.sram, (long long)st->evaluated,
              (double)(nas_evaluator_queries(ev) - q0) / (now() - t0 + 1e-9));
  }
  free(cand), free(next);
  return s;
}

static int usage(void) {
  fprintf(stderr,
          "usage: mcunet-nas search --board B [--space SPACE.json] [--seed S] [--checkpoint FILE] [--svg FILE]\n"
          "         [--out BEST.json] [--samples N] [--population P] [--iterations I] [--parent-ratio R]\n"
          "         [--mutate-ratio R] [--mutate-prob P] [--jobs J] [--sram BYTES] [--flash BYTES]\n"
          "         [--instructions N] [--evaluator CMD] [--space-index K] [--quiet]\n"
          "defaults: OFA's (population 100, iterations 500, parent ratio 0.25, mutate ratio 0.5, mutate prob 0.1),\n"
          "samples 100 per space, jobs 2, seed 1, the space nas-driver/space_default.json, limits the board's.\n");
  return 2;
}

/* One command-line option: its flag, where it goes and its range (numbers). */
typedef enum { OPT_STR, OPT_INT, OPT_U64, OPT_I64, OPT_DBL, OPT_FLAG } opt_kind_t;
typedef struct {
  const char *flag;
  opt_kind_t kind;
  void *dst;
  double lo, hi;
} opt_t;

static int parse_args(int argc, char **argv, options_t *o) {
  memset(o, 0, sizeof *o);
  o->space_path = MCUNET_SOURCE_DIR "/nas-driver/space_default.json";
  o->seed = 1, o->samples = 100, o->population = 100, o->iterations = 500, o->jobs = 2, o->space_index = -1;
  o->parent_ratio = 0.25, o->mutate_ratio = 0.5, o->mutate_prob = 0.1;
  const opt_t opts[] = {
      {"--board", OPT_STR, &o->board, 0, 0},
      {"--space", OPT_STR, &o->space_path, 0, 0},
      {"--checkpoint", OPT_STR, &o->checkpoint, 0, 0},
      {"--svg", OPT_STR, &o->svg, 0, 0},
      {"--out", OPT_STR, &o->out, 0, 0},
      {"--evaluator", OPT_STR, &o->command, 0, 0},
      {"--seed", OPT_U64, &o->seed, 0, 1.8e19},
      {"--samples", OPT_INT, &o->samples, 1, 100000},
      {"--population", OPT_INT, &o->population, 2, 100000},
      {"--iterations", OPT_INT, &o->iterations, 0, 1000000},
      {"--parent-ratio", OPT_DBL, &o->parent_ratio, 0.0001, 1},
      {"--mutate-ratio", OPT_DBL, &o->mutate_ratio, 0, 1},
      {"--mutate-prob", OPT_DBL, &o->mutate_prob, 0, 1},
      {"--jobs", OPT_INT, &o->jobs, 1, 64},
      {"--sram", OPT_U64, &o->sram, 1, 1e12},
      {"--flash", OPT_U64, &o->flash, 1, 1e12},
      {"--instructions", OPT_I64, &o->instructions, 1, 1e15},
      {"--space-index", OPT_INT, &o->space_index, 0, MAX_SPACES - 1},
      {"--quiet", OPT_FLAG, &o->quiet, 0, 0},
  };
  for (int i = 0; i < argc; ++i) {
    const opt_t *op = NULL;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; ++k)
      if (!strcmp(argv[i], opts[k].flag)) op = &opts[k];
    if (!op) return -1;
    if (op->kind == OPT_FLAG) {
      *(int *)op->dst = 1;
      continue;
    }
    if (i + 1 >= argc) return -1;
    const char *v = argv[++i];
    if (op->kind == OPT_STR) {
      *(const char **)op->dst = v;
      continue;
    }
    char *end;
    double d = strtod(v, &end);
    if (*end || end == v || !(d >= op->lo && d <= op->hi)) return -1;
    if (op->kind == OPT_U64) {
      if (*v == '-') return -1;
      unsigned long long u = strtoull(v, &end, 10); /* integers above 2^53 exactly */
      if (*end) return -1;
      *(uint64_t *)op->dst = u;
    } else if (op->kind == OPT_DBL) {
      *(double *)op->dst = d;
    } else if (d != floor(d)) {
      return -1;
    } else if (op->kind == OPT_INT) {
      *(int *)op->dst = (int)d;
    } else {
      *(int64_t *)op->dst = (int64_t)d;
    }
  }
  return o->board ? 0 : -1;
}

int nas_search_main(int argc, char **argv) {
  options_t o;
  if (argc == 1 && !strcmp(argv[0], "--help")) return usage();
  if (parse_args(argc, argv, &o)) return usage();
  nas_mpi_init(&argc, &argv);
  int rank = nas_mpi_rank();
  if (rank == 0 && !o.quiet)
    fprintf(stderr, "mcunet-nas search: %d MPI rank(s) x %d worker process(es)\n", nas_mpi_size(), o.jobs);
  nas_space_t sp;
  mcu_status_t s = nas_space_load(o.space_path, &sp);
  state_t st;
  memset(&st, 0, sizeof st);
  nas_evaluator_t *ev = NULL;
  int rc = 1;
  if (s) goto out;
  st.num_spaces = sp.num_widths * sp.num_resolutions;
  if (o.space_index >= st.num_spaces) {
    s = mcu_status_errorf("--space-index %d: the space has %d candidate spaces", o.space_index, st.num_spaces);
    goto out;
  }
  st.macs = calloc((size_t)st.num_spaces * o.samples, sizeof *st.macs);
  st.fit_count = calloc((size_t)st.num_spaces, sizeof *st.fit_count);
  st.pop = calloc((size_t)o.population, sizeof *st.pop);
  if (!st.macs || !st.fit_count || !st.pop) {
    s = mcu_status_errorf("out of memory");
    goto out;
  }
  st.chosen = -1, st.iteration = -1;
  int resumed = checkpoint_read(&o, &sp, &st);
  if (resumed < 0) {
    s = mcu_status_errorf("%s: not a checkpoint of this search (other options or space, or damaged): remove it "
                          "to start over",
                          o.checkpoint);
    goto out;
  }
  if (resumed && rank == 0 && !o.quiet)
    fprintf(stderr, "resuming from %s: stage 1 %d/%d spaces, stage 2 iteration %d\n", o.checkpoint, st.spaces_done,
            st.num_spaces, st.iteration);
  nas_eval_options_t eo = {o.board, o.sram, o.flash, o.instructions, o.jobs, o.command};
  if ((s = nas_evaluator_create(&eo, &ev))) goto out;
  /* stage 1 */
  if (o.space_index >= 0) {
    st.chosen = o.space_index;
  } else {
    if ((s = stage1(&o, &sp, ev, &st))) goto out;
    int order[MAX_SPACES];
    for (int i = 0; i < st.num_spaces; ++i) order[i] = i;
    for (int i = 1; i < st.num_spaces; ++i) /* stable insertion sort by score, descending */
      for (int j = i; j > 0 && space_score(&o, &st, order[j]) > space_score(&o, &st, order[j - 1]); --j) {
        int t = order[j];
        order[j] = order[j - 1], order[j - 1] = t;
      }
    st.chosen = order[0];
    if (rank == 0) {
      printf("stage 1 ranking (board %s, %d samples per space; score = mean MACs, 0 for samples that do not fit):\n",
             o.board, o.samples);
      for (int r = 0; r < st.num_spaces; ++r) {
        int k = order[r];
        printf("  %2d. width %.2f resolution %3d: %3d/%d fit, score %.3fM MACs\n", r + 1,
               sp.widths[k / sp.num_resolutions], sp.resolutions[k % sp.num_resolutions], st.fit_count[k], o.samples,
               space_score(&o, &st, k) / 1e6);
      }
      if (o.svg && write_svg(&o, &sp, &st, order, o.svg)) {
        s = mcu_status_errorf("%s: cannot write", o.svg);
        goto out;
      }
    }
    if (st.fit_count[st.chosen] == 0) {
      s = mcu_status_errorf("stage 1: no sampled network fits board %s in any space", o.board);
      goto out;
    }
  }
  if (rank == 0)
    printf("chosen space: width %.2f, resolution %d\n", sp.widths[st.chosen / sp.num_resolutions],
           sp.resolutions[st.chosen % sp.num_resolutions]);
  if ((s = stage2(&o, &sp, ev, &st))) goto out;
  if (rank == 0) {
    char g[1024];
    nas_genome_format(&sp, &st.best.g, g, sizeof g);
    printf("best genome: %s\n", g);
    printf("best: {\"fitness\": %.17g, \"macs\": %lld, \"params\": %lld, \"peak_sram_bytes\": %llu, \"flash_bytes\": "
           "%llu, \"instructions_estimate\": %lld, \"schedule\": \"%s\", \"candidates\": %lld}\n",
           st.best.r.fitness, (long long)st.best.r.macs, (long long)st.best.r.params,
           (unsigned long long)st.best.r.sram, (unsigned long long)st.best.r.flash, (long long)st.best.r.instructions,
           nas_schedule_name(st.best.r.schedule), (long long)st.evaluated);
    if (!o.quiet) report_member("best", &sp, &st.best);
    if (o.out) {
      nas_net_t n;
      nas_genome_to_net(&sp, &st.best.g, &n);
      char tmp[4200];
      snprintf(tmp, sizeof tmp, "%s.tmp%ld", o.out, (long)getpid());
      FILE *f = fopen(tmp, "w");
      if (!f || nas_net_write_json(&n, f) || fclose(f) || rename(tmp, o.out)) {
        remove(tmp);
        s = mcu_status_errorf("%s: cannot write", o.out);
        goto out;
      }
    }
  }
  rc = 0;
out:
  if (s) {
    if (rank == 0) fprintf(stderr, "mcunet-nas search: %s\n", mcu_status_message(s));
    mcu_status_free(s);
  }
  nas_evaluator_destroy(ev);
  free(st.macs), free(st.fit_count), free(st.pop);
  fflush(stdout);
  nas_mpi_finalize();
  return rc;
}
