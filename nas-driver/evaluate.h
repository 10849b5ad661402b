/* evaluate.h: evaluating a batch of candidate networks: cost (fork workers, MPI ranks) and fitness. */
#ifndef MCUNET_NAS_EVALUATE_H
#define MCUNET_NAS_EVALUATE_H

#include <stdint.h>

#include "netdesc.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nas_eval_result {
  int ok;       /* the compiler accepted it under at least one schedule */
  int fits;     /* some schedule fits every limit */
  int schedule; /* the first schedule that fits (else 0) */
  uint64_t sram, flash;
  int64_t macs, params, instructions;
  double fitness; /* higher is better; 0 when it does not fit */
} nas_eval_result_t;

typedef struct nas_eval_options {
  const char *board;          /* limits default to its SRAM and flash */
  uint64_t sram_limit;        /* 0: the board's */
  uint64_t flash_limit;       /* 0: the board's */
  int64_t instruction_budget; /* 0: none */
  int jobs;                   /* worker processes per rank (fork); 1: in process */
  const char *command;        /* external fitness evaluator (docs/nas.md protocol), or NULL: the built-in proxy */
} nas_eval_options_t;

typedef struct nas_evaluator nas_evaluator_t;

/* Starts the external command (if any). MPI (when the process was started by mpirun and MPI is built in) must be
 * initialised by the caller first: the batch is then split over the ranks. */
mcu_status_t nas_evaluator_create(const nas_eval_options_t *o, nas_evaluator_t **out_ev);
void nas_evaluator_destroy(nas_evaluator_t *ev);
/* Evaluates nets[0..n): for each, the schedules in order (cost.h) until one fits the limits; fitness for the
 * fitting ones when want_fitness. Every rank gets every result. Deterministic: results do not depend on jobs or
 * ranks. */
mcu_status_t nas_evaluate(nas_evaluator_t *ev, const nas_net_t *nets, int n, int want_fitness,
                          nas_eval_result_t *out_results);
/* Queries evaluated so far (by this process and its workers), for the progress line. */
int64_t nas_evaluator_queries(const nas_evaluator_t *ev);
/* MPI rank and size (0 and 1 without MPI). */
int nas_mpi_rank(void);
int nas_mpi_size(void);
/* Initialises MPI when built with it and launched by mpirun (OMPI_COMM_WORLD_SIZE / PMI_SIZE set); returns 1 then. */
int nas_mpi_init(int *argc, char ***argv);
void nas_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif
