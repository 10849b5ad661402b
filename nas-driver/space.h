/* space.h: the TinyNAS search space (MobileNetV2-style stages) and its genomes. */
#ifndef MCUNET_NAS_SPACE_H
#define MCUNET_NAS_SPACE_H

#include <stdint.h>

#include "netdesc.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NAS_MAX_STAGES 8
#define NAS_MAX_DEPTH 6
#define NAS_MAX_CHOICES 8

/* A space (JSON, nas-driver/space_default.json): first conv (3x3 stride 2) of first_width, a first block of
 * first_block_width (expand 1, 3x3), then stages of stage_widths[i] channels, stride stage_strides[i] on their first
 * block, depth in [min_depth[i], max_depth[i]], each block a kernel of `kernels` and an expand ratio of `expands`;
 * widths are base * multiplier rounded to a multiple of 8 (at least 8). One (width multiplier, resolution) pair is
 * one candidate space of stage 1. */
typedef struct nas_space {
  int first_width, first_block_width;
  int num_stages;
  int stage_widths[NAS_MAX_STAGES], stage_strides[NAS_MAX_STAGES];
  int min_depth[NAS_MAX_STAGES], max_depth[NAS_MAX_STAGES];
  int num_kernels, kernels[NAS_MAX_CHOICES];
  int num_expands, expands[NAS_MAX_CHOICES];
  int num_widths;
  double widths[NAS_MAX_CHOICES * 2];
  int num_resolutions, resolutions[NAS_MAX_CHOICES * 2];
  int classes;
} nas_space_t;

/* One network of a candidate space: indices into the space's choices. */
typedef struct nas_genome {
  int width, resolution; /* indices into widths / resolutions */
  int depth[NAS_MAX_STAGES];
  int kernel[NAS_MAX_STAGES][NAS_MAX_DEPTH]; /* indices into kernels */
  int expand[NAS_MAX_STAGES][NAS_MAX_DEPTH]; /* indices into expands */
} nas_genome_t;

mcu_status_t nas_space_load(const char *path, nas_space_t *out_space);
/* round(v * m) to a multiple of 8, at least 8 (OFA's make_divisible). */
int nas_make_divisible(double v);
/* The network of a genome. */
void nas_genome_to_net(const nas_space_t *sp, const nas_genome_t *g, nas_net_t *out_net);
/* A uniform random genome of the candidate space (width, resolution). */
void nas_genome_sample(const nas_space_t *sp, int width, int resolution, uint64_t *rng, nas_genome_t *out_genome);
/* OFA's mutation: each stage's depth, each block's kernel and expand is resampled with probability `prob`. */
void nas_genome_mutate(const nas_space_t *sp, const nas_genome_t *parent, double prob, uint64_t *rng,
                       nas_genome_t *out_child);
/* OFA's crossover: each gene from one of the two parents with probability 1/2. */
void nas_genome_crossover(const nas_space_t *sp, const nas_genome_t *a, const nas_genome_t *b, uint64_t *rng,
                          nas_genome_t *out_child);
/* A compact text form "w r | d k k k e e e | ..." (for logs and checkpoints) and back. */
int nas_genome_format(const nas_space_t *sp, const nas_genome_t *g, char *buf, int cap);
int nas_genome_parse(const nas_space_t *sp, const char *s, nas_genome_t *out_genome);

#ifdef __cplusplus
}
#endif
#endif
