/* space.c: search-space files, genome <-> network, sampling, OFA-style mutation and crossover.
 * The genome holds choices for every block up to max_depth, used or not (as OFA's arch dicts), so a mutation that
 * deepens a stage uses genes already drawn: the random stream stays the same length whatever the depths. */
#include "space.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "onnx_export.h"

int nas_make_divisible(double v) {
  int r = (int)floor(v / 8.0 + 0.5) * 8;
  if (r < 8) r = 8;
  if (r < 0.9 * v) r += 8; /* never more than 10% below */
  return r;
}

static mcu_status_t int_list(const nas_json_t *o, const char *key, int *out, int cap, int lo, int hi, int *out_n) {
  const nas_json_t *a = nas_json_get(o, key);
  if (!a || a->kind != NAS_JSON_ARRAY || a->count < 1 || a->count > cap)
    return mcu_status_errorf("space: '%s' must be an array of 1 to %d integers", key, cap);
  for (int i = 0; i < a->count; ++i) {
    const nas_json_t *v = a->items[i];
    if (v->kind != NAS_JSON_NUMBER || v->number != floor(v->number) || v->number < lo || v->number > hi)
      return mcu_status_errorf("space: '%s'[%d] must be an integer in [%d, %d]", key, i, lo, hi);
    out[i] = (int)v->number;
  }
  *out_n = a->count;
  return NULL;
}

mcu_status_t nas_space_load(const char *path, nas_space_t *out_space) {
  nas_json_t *j;
  mcu_status_t s = nas_json_parse_file(path, &j);
  if (s) return s;
  nas_space_t sp;
  memset(&sp, 0, sizeof sp);
  long v;
  int n1, n2, n3;
  if ((s = nas_json_int(j, "first_width", "space", 8, 1024, 0, 0, &v))) goto done;
  sp.first_width = (int)v;
  if ((s = nas_json_int(j, "first_block_width", "space", 8, 1024, 0, 0, &v))) goto done;
  sp.first_block_width = (int)v;
  if ((s = nas_json_int(j, "classes", "space", 1, 100000, 1, 1000, &v))) goto done;
  sp.classes = (int)v;
  if ((s = int_list(j, "stage_widths", sp.stage_widths, NAS_MAX_STAGES, 8, 4096, &sp.num_stages)) ||
      (s = int_list(j, "stage_strides", sp.stage_strides, NAS_MAX_STAGES, 1, 2, &n1)) ||
      (s = int_list(j, "min_depth", sp.min_depth, NAS_MAX_STAGES, 1, NAS_MAX_DEPTH, &n2)) ||
      (s = int_list(j, "max_depth", sp.max_depth, NAS_MAX_STAGES, 1, NAS_MAX_DEPTH, &n3)))
    goto done;
  if (n1 != sp.num_stages || n2 != sp.num_stages || n3 != sp.num_stages) {
    s = mcu_status_errorf("space: stage_widths, stage_strides, min_depth and max_depth must have one entry per stage");
    goto done;
  }
  for (int i = 0; i < sp.num_stages; ++i)
    if (sp.min_depth[i] > sp.max_depth[i]) {
      s = mcu_status_errorf("space: stage %d: min_depth > max_depth", i);
      goto done;
    }
  if ((s = int_list(j, "kernels", sp.kernels, NAS_MAX_CHOICES, 1, 11, &sp.num_kernels)) ||
      (s = int_list(j, "expand_ratios", sp.expands, NAS_MAX_CHOICES, 1, 16, &sp.num_expands)) ||
      (s = int_list(j, "resolutions", sp.resolutions, NAS_MAX_CHOICES * 2, 16, 1024, &sp.num_resolutions)))
    goto done;
  for (int i = 0; i < sp.num_kernels; ++i)
    if (sp.kernels[i] % 2 == 0) {
      s = mcu_status_errorf("space: kernels must be odd");
      goto done;
    }
  const nas_json_t *w = nas_json_get(j, "width_multipliers");
  if (!w || w->kind != NAS_JSON_ARRAY || w->count < 1 || w->count > NAS_MAX_CHOICES * 2) {
    s = mcu_status_errorf("space: 'width_multipliers' must be an array of 1 to %d numbers", NAS_MAX_CHOICES * 2);
    goto done;
  }
  for (int i = 0; i < w->count; ++i) {
    if (w->items[i]->kind != NAS_JSON_NUMBER || !(w->items[i]->number >= 0.1 && w->items[i]->number <= 4)) {
      s = mcu_status_errorf("space: width_multipliers[%d] must be in [0.1, 4]", i);
      goto done;
    }
    sp.widths[i] = w->items[i]->number;
  }
  sp.num_widths = w->count;
  *out_space = sp;
done:
  nas_json_free(j);
  return s ? mcu_status_annotatef(s, "%s: ", path) : NULL;
}

void nas_genome_to_net(const nas_space_t *sp, const nas_genome_t *g, nas_net_t *out_net) {
  nas_net_t n;
  memset(&n, 0, sizeof n);
  double m = sp->widths[g->width];
  n.resolution = sp->resolutions[g->resolution];
  n.in_channels = 3;
  n.first_channels = nas_make_divisible(sp->first_width * m);
  n.first_kernel = 3, n.first_stride = 2;
  int c = n.first_channels;
  nas_block_t *b = &n.blocks[n.num_blocks++];
  *b = (nas_block_t){c, nas_make_divisible(sp->first_block_width * m), 3, 1, 1, c, 0};
  c = b->out_channels;
  for (int st = 0; st < sp->num_stages; ++st) {
    int width = nas_make_divisible(sp->stage_widths[st] * m);
    for (int d = 0; d < g->depth[st] && n.num_blocks < NAS_MAX_BLOCKS; ++d) {
      b = &n.blocks[n.num_blocks++];
      int e = sp->expands[g->expand[st][d]];
      b->in_channels = c, b->out_channels = width;
      b->kernel = sp->kernels[g->kernel[st][d]];
      b->stride = d == 0 ? sp->stage_strides[st] : 1;
      b->expand = e;
      b->mid_channels = e == 1 ? c : nas_make_divisible((double)c * e);
      b->residual = d > 0;
      c = width;
    }
  }
  n.classes = sp->classes;
  *out_net = n;
}

void nas_genome_sample(const nas_space_t *sp, int width, int resolution, uint64_t *rng, nas_genome_t *out_genome) {
  nas_genome_t g;
  memset(&g, 0, sizeof g);
  g.width = width, g.resolution = resolution;
  for (int st = 0; st < sp->num_stages; ++st) {
    g.depth[st] = sp->min_depth[st] + (int)nas_rand_below(rng, (uint32_t)(sp->max_depth[st] - sp->min_depth[st] + 1));
    for (int d = 0; d < sp->max_depth[st]; ++d) {
      g.kernel[st][d] = (int)nas_rand_below(rng, (uint32_t)sp->num_kernels);
      g.expand[st][d] = (int)nas_rand_below(rng, (uint32_t)sp->num_expands);
    }
  }
  *out_genome = g;
}

void nas_genome_mutate(const nas_space_t *sp, const nas_genome_t *parent, double prob, uint64_t *rng,
                       nas_genome_t *out_child) {
  nas_genome_t g = *parent;
  for (int st = 0; st < sp->num_stages; ++st) {
    if (nas_rand_unit(rng) < prob)
      g.depth[st] = sp->min_depth[st] + (int)nas_rand_below(rng, (uint32_t)(sp->max_depth[st] - sp->min_depth[st] + 1));
    for (int d = 0; d < sp->max_depth[st]; ++d) {
      if (nas_rand_unit(rng) < prob) g.kernel[st][d] = (int)nas_rand_below(rng, (uint32_t)sp->num_kernels);
      if (nas_rand_unit(rng) < prob) g.expand[st][d] = (int)nas_rand_below(rng, (uint32_t)sp->num_expands);
    }
  }
  *out_child = g;
}

void nas_genome_crossover(const nas_space_t *sp, const nas_genome_t *a, const nas_genome_t *b, uint64_t *rng,
                          nas_genome_t *out_child) {
  nas_genome_t g = *a;
  for (int st = 0; st < sp->num_stages; ++st) {
    if (nas_rand_below(rng, 2)) g.depth[st] = b->depth[st];
    for (int d = 0; d < sp->max_depth[st]; ++d) {
      if (nas_rand_below(rng, 2)) g.kernel[st][d] = b->kernel[st][d];
      if (nas_rand_below(rng, 2)) g.expand[st][d] = b->expand[st][d];
    }
  }
  *out_child = g;
}

int nas_genome_format(const nas_space_t *sp, const nas_genome_t *g, char *buf, int cap) {
  int n = snprintf(buf, (size_t)cap, "%d %d", g->width, g->resolution);
  for (int st = 0; st < sp->num_stages && n < cap; ++st) {
    n += snprintf(buf + n, (size_t)(cap - n), " | %d", g->depth[st]);
    for (int d = 0; d < sp->max_depth[st] && n < cap; ++d)
      n += snprintf(buf + n, (size_t)(cap - n), " %d %d", g->kernel[st][d], g->expand[st][d]);
  }
  return n < cap ? 0 : -1;
}

int nas_genome_parse(const nas_space_t *sp, const char *s, nas_genome_t *out_genome) {
  nas_genome_t g;
  memset(&g, 0, sizeof g);
  char *end;
  const char *p = s;
#define NEXT_INT(dst, lo, hi)                                                                                          \
  do {                                                                                                                 \
    while (*p == ' ' || *p == '|') ++p;                                                                                \
    long v_ = strtol(p, &end, 10);                                                                                     \
    if (end == p || v_ < (lo) || v_ > (hi)) return -1;                                                                 \
    (dst) = (int)v_;                                                                                                   \
    p = end;                                                                                                           \
  } while (0)
  NEXT_INT(g.width, 0, sp->num_widths - 1);
  NEXT_INT(g.resolution, 0, sp->num_resolutions - 1);
  for (int st = 0; st < sp->num_stages; ++st) {
    NEXT_INT(g.depth[st], sp->min_depth[st], sp->max_depth[st]);
    for (int d = 0; d < sp->max_depth[st]; ++d) {
      NEXT_INT(g.kernel[st][d], 0, sp->num_kernels - 1);
      NEXT_INT(g.expand[st][d], 0, sp->num_expands - 1);
    }
  }
#undef NEXT_INT
  *out_genome = g;
  return 0;
}
