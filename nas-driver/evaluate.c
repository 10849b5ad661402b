/* evaluate.c: batch evaluation: the co-design loop (first schedule that fits), fork workers, MPI fan-out, fitness.
 * Each batch is split into contiguous chunks, one per MPI rank; a rank's chunk is split round-robin over its fork
 * workers, which send fixed-size results back through a pipe. Results are indexed, so the split never changes them.
 * The fitness is the built-in proxy (MACs: the paper's own stage-1 premise that, within a space, more computation
 * under the same memory means more accuracy) or an external command answering one JSON line per candidate.
 * Weakness: a worker pays a fresh MLIR context per query; the external command runs on rank 0 only, serially. */
#define _POSIX_C_SOURCE 200809L /* fdopen, open_memstream, fork */
#include "evaluate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boards.h"
#include "cost.h"
#include "json.h"

#ifdef MCUNET_NAS_MPI
#include <mpi.h>
#endif

struct nas_evaluator {
  nas_eval_options_t o;
  uint64_t sram, flash;
  int64_t queries;
  pid_t child;
  FILE *to_child, *from_child;
  int64_t next_id;
};

static int mpi_on;

int nas_mpi_init(int *argc, char ***argv) {
#ifdef MCUNET_NAS_MPI
  if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE")) {
    MPI_Init(argc, argv);
    mpi_on = 1;
  }
#endif
  return mpi_on;
}

void nas_mpi_finalize(void) {
#ifdef MCUNET_NAS_MPI
  if (mpi_on) MPI_Finalize();
#endif
  mpi_on = 0;
}

int nas_mpi_rank(void) {
  int r = 0;
#ifdef MCUNET_NAS_MPI
  if (mpi_on) MPI_Comm_rank(MPI_COMM_WORLD, &r);
#endif
  return r;
}

int nas_mpi_size(void) {
  int s = 1;
#ifdef MCUNET_NAS_MPI
  if (mpi_on) MPI_Comm_size(MPI_COMM_WORLD, &s);
#endif
  return s;
}

static mcu_status_t start_command(nas_evaluator_t *ev) {
  int in[2], out[2];
  if (pipe(in) || pipe(out)) return mcu_status_errorf("evaluator: pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) return mcu_status_errorf("evaluator: fork: %s", strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    execl("/bin/sh", "sh", "-c", ev->o.command, (char *)NULL);
    _exit(127);
  }
  close(in[0]), close(out[1]);
  ev->child = pid;
  ev->to_child = fdopen(in[1], "w");
  ev->from_child = fdopen(out[0], "r");
  if (!ev->to_child || !ev->from_child) return mcu_status_errorf("evaluator: fdopen failed");
  return NULL;
}

mcu_status_t nas_evaluator_create(const nas_eval_options_t *o, nas_evaluator_t **out_ev) {
  const mcu_board_t *b = NULL;
  if (o->board && !(b = mcu_board_find(o->board))) return mcu_status_errorf("unknown board '%s'", o->board);
  nas_evaluator_t *ev = calloc(1, sizeof *ev);
  if (!ev) return mcu_status_errorf("out of memory");
  ev->o = *o;
  if (ev->o.jobs < 1) ev->o.jobs = 1;
  ev->sram = o->sram_limit ? o->sram_limit : b ? b->sram_bytes : UINT64_MAX;
  ev->flash = o->flash_limit ? o->flash_limit : b ? b->flash_bytes : UINT64_MAX;
  if (o->command && nas_mpi_rank() == 0) {
    signal(SIGPIPE, SIG_IGN);
    mcu_status_t s = start_command(ev);
    if (s) {
      nas_evaluator_destroy(ev);
      return s;
    }
  }
  *out_ev = ev;
  return NULL;
}

void nas_evaluator_destroy(nas_evaluator_t *ev) {
  if (!ev) return;
  if (ev->to_child) fclose(ev->to_child);
  if (ev->from_child) fclose(ev->from_child);
  if (ev->child > 0) waitpid(ev->child, NULL, 0);
  free(ev);
}

int64_t nas_evaluator_queries(const nas_evaluator_t *ev) { return ev->queries; }

/* The co-design loop for one network: schedules in order until one fits. */
static void evaluate_one(nas_evaluator_t *ev, nas_cost_ctx_t *ctx, const nas_net_t *n, nas_eval_result_t *r,
                         int64_t *queries) {
  memset(r, 0, sizeof *r);
  for (int k = 0; k < NAS_NUM_SCHEDULES; ++k) {
    nas_cost_t c;
    mcu_status_t s = nas_cost_query(ctx, n, k, &c);
    ++*queries;
    if (s) {
      mcu_status_free(s);
      continue;
    }
    int fits = c.peak_sram_bytes <= ev->sram && c.flash_bytes <= ev->flash &&
               (!ev->o.instruction_budget || c.instructions <= ev->o.instruction_budget);
    if (!r->ok || fits) {
      r->ok = 1, r->fits = fits, r->schedule = k;
      r->sram = c.peak_sram_bytes, r->flash = c.flash_bytes;
      r->macs = c.macs, r->params = c.params, r->instructions = c.instructions;
    }
    if (fits) return;
    /* flash and instructions do not depend on the schedule: only SRAM can still be saved */
    if (c.flash_bytes > ev->flash || (ev->o.instruction_budget && c.instructions > ev->o.instruction_budget)) return;
  }
}

/* Evaluates the indices [lo, hi) of nets into res, with the rank's fork workers. */
static mcu_status_t evaluate_range(nas_evaluator_t *ev, const nas_net_t *nets, int lo, int hi, nas_eval_result_t *res) {
  int jobs = ev->o.jobs < hi - lo ? ev->o.jobs : hi - lo;
  if (jobs <= 1) {
    nas_cost_ctx_t *ctx;
    mcu_status_t s = nas_cost_ctx_create(NULL, NULL, &ctx);
    if (s) return s;
    for (int i = lo; i < hi; ++i) evaluate_one(ev, ctx, &nets[i], &res[i], &ev->queries);
    nas_cost_ctx_destroy(ctx);
    return NULL;
  }
  int fds[64];
  pid_t pids[64];
  if (jobs > 64) jobs = 64;
  fflush(NULL);
  for (int w = 0; w < jobs; ++w) {
    int p[2];
    if (pipe(p)) return mcu_status_errorf("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) return mcu_status_errorf("fork: %s", strerror(errno));
    if (pid == 0) {
      close(p[0]);
      nas_cost_ctx_t *ctx;
      mcu_status_t s = nas_cost_ctx_create(NULL, NULL, &ctx);
      if (s) _exit(3);
      int64_t q = 0;
      for (int i = lo + w; i < hi; i += jobs) {
        struct {
          int index;
          nas_eval_result_t r;
        } msg;
        memset(&msg, 0, sizeof msg);
        msg.index = i;
        evaluate_one(ev, ctx, &nets[i], &msg.r, &q);
        if (write(p[1], &msg, sizeof msg) != (ssize_t)sizeof msg) _exit(4);
      }
      struct {
        int index;
        nas_eval_result_t r;
      } done;
      memset(&done, 0, sizeof done);
      done.index = -1, done.r.macs = q;
      if (write(p[1], &done, sizeof done) != (ssize_t)sizeof done) _exit(4);
      nas_cost_ctx_destroy(ctx);
      _exit(0);
    }
    close(p[1]);
    fds[w] = p[0], pids[w] = pid;
  }
  mcu_status_t s = NULL;
  for (int w = 0; w < jobs; ++w) {
    int got = 0, expected = (hi - lo - w + jobs - 1) / jobs;
    for (;;) {
      struct {
        int index;
        nas_eval_result_t r;
      } msg;
      size_t have = 0;
      while (have < sizeof msg) {
        ssize_t k = read(fds[w], (char *)&msg + have, sizeof msg - have);
        if (k <= 0) break;
        have += (size_t)k;
      }
      if (have < sizeof msg) break;
      if (msg.index < 0) {
        ev->queries += msg.r.macs;
        break;
      }
      if (msg.index >= lo && msg.index < hi) res[msg.index] = msg.r, ++got;
    }
    close(fds[w]);
    int st;
    waitpid(pids[w], &st, 0);
    if (!s && (got != expected || !WIFEXITED(st) || WEXITSTATUS(st)))
      s = mcu_status_errorf("worker %d failed (%d of %d results)", w, got, expected);
  }
  return s;
}

/* One request line to the external evaluator and its reply: {"id": N, "score": X}. */
static mcu_status_t external_score(nas_evaluator_t *ev, const nas_net_t *n, const nas_eval_result_t *r,
                                   double *out_score) {
  int64_t id = ev->next_id++;
  fprintf(ev->to_child,
          "{\"id\": %lld, \"macs\": %lld, \"params\": %lld, \"peak_sram_bytes\": %llu, "
          "\"flash_bytes\": %llu, \"config\": ",
          (long long)id, (long long)r->macs, (long long)r->params, (unsigned long long)r->sram,
          (unsigned long long)r->flash);
  /* the config on one line: nas_net_write_json's newlines are whitespace to a JSON reader, so they are dropped */
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) return mcu_status_errorf("out of memory");
  nas_net_write_json(n, mem);
  fclose(mem);
  for (size_t i = 0; i < len; ++i)
    if (buf[i] == '\n') buf[i] = ' ';
  fprintf(ev->to_child, "%s}\n", buf);
  free(buf);
  if (fflush(ev->to_child)) return mcu_status_errorf("evaluator: the command closed its input");
  char line[4096];
  if (!fgets(line, sizeof line, ev->from_child))
    return mcu_status_errorf("evaluator: no reply for candidate %lld", (long long)id);
  nas_json_t *j;
  mcu_status_t s = nas_json_parse(line, &j);
  if (s) return mcu_status_annotatef(s, "evaluator reply for candidate %lld: ", (long long)id);
  const nas_json_t *jid = nas_json_get(j, "id"), *sc = nas_json_get(j, "score");
  if (!jid || jid->kind != NAS_JSON_NUMBER || (int64_t)jid->number != id || !sc || sc->kind != NAS_JSON_NUMBER)
    s = mcu_status_errorf("evaluator: reply for candidate %lld must be {\"id\": %lld, \"score\": NUMBER}",
                          (long long)id, (long long)id);
  else
    *out_score = sc->number;
  nas_json_free(j);
  return s;
}

mcu_status_t nas_evaluate(nas_evaluator_t *ev, const nas_net_t *nets, int n, int want_fitness, nas_eval_result_t *out) {
  memset(out, 0, sizeof *out * (size_t)n);
  int rank = nas_mpi_rank(), size = nas_mpi_size();
  int lo = (int)((int64_t)n * rank / size), hi = (int)((int64_t)n * (rank + 1) / size);
  mcu_status_t s = evaluate_range(ev, nets, lo, hi, out);
  int bad = s != NULL;
#ifdef MCUNET_NAS_MPI
  if (mpi_on) {
    int any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_bad && !s) s = mcu_status_errorf("evaluation failed on another rank");
    if (s) return s;
    int *counts = malloc(sizeof(int) * (size_t)size), *displs = malloc(sizeof(int) * (size_t)size);
    if (!counts || !displs) {
      free(counts), free(displs);
      return mcu_status_errorf("out of memory");
    }
    for (int r = 0; r < size; ++r) {
      int a = (int)((int64_t)n * r / size), b = (int)((int64_t)n * (r + 1) / size);
      counts[r] = (b - a) * (int)sizeof *out, displs[r] = a * (int)sizeof *out;
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_BYTE, out, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
    free(counts), free(displs);
    long long q = ev->queries, total = 0;
    MPI_Allreduce(&q, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    ev->queries = total;
  }
#endif
  (void)bad;
  if (s) return s;
  if (!want_fitness) return NULL;
  if (!ev->o.command) {
    for (int i = 0; i < n; ++i) out[i].fitness = out[i].fits ? (double)out[i].macs : 0;
    return NULL;
  }
  if (rank == 0)
    for (int i = 0; i < n && !s; ++i)
      if (out[i].fits) s = external_score(ev, &nets[i], &out[i], &out[i].fitness);
#ifdef MCUNET_NAS_MPI
  if (mpi_on) {
    int failed = s != NULL;
    MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (failed) return s ? s : mcu_status_errorf("the evaluator failed on rank 0");
    double *f = malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (!f) return mcu_status_errorf("out of memory");
    for (int i = 0; i < n; ++i) f[i] = out[i].fitness;
    MPI_Bcast(f, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    for (int i = 0; i < n; ++i) out[i].fitness = f[i];
    free(f);
  }
#endif
  return s;
}
