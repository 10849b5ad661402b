/* report.c: writes the compile report as JSON (stable key order, so reports diff cleanly). */
#include "report.h"

#include "patch_plan.h"

#include <stdlib.h>
#include <string.h>

/* The memory figures: the live bytes of a layer are the bytes of the arena occupied while it runs: the union of
 * the byte ranges of the non-alias ARENA tensors live at that layer (live_first <= layer <= live_last) and of its
 * scratch. A union, not a sum: an in-place layer's output shares its input's bytes, and an alias names bytes
 * already counted. Weakness: relies on plan-memory's `mcu.live` having reached the program; tensors without a
 * lifetime count nowhere. */
typedef struct {
  uint64_t lo, hi;
} byte_range_t;

/* With pools (--pool), offsets are inside a pool; the figures place the pools one after the other, in order, so
 * pool k's bytes start at the sum of the sizes of the pools before it (0 without pools). */
static uint64_t pool_base(const mcu_program_t *p, int pool) {
  uint64_t base = 0;
  for (int k = 0; k < pool && k < p->num_pools; ++k) base += p->pools[k].size;
  return base;
}

static int by_start(const void *a, const void *b) {
  const byte_range_t *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int mcu_report_peak_layer(const mcu_program_t *p, uint64_t *out_live, uint64_t *out_peak_live) {
  int peak = -1;
  uint64_t best = 0;
  byte_range_t *r = malloc(sizeof *r * ((size_t)p->num_tensors + 1));
  if (!r) return -1;
  for (int l = 0; l < p->num_layers; ++l) {
    int n = 0;
    for (int i = 0; i < p->num_tensors; ++i) {
      const mcu_tensor_t *t = &p->tensors[i];
      if (t->storage == MCU_STORAGE_ARENA && !t->is_alias && t->live_first >= 0 && t->live_first <= l &&
          l <= t->live_last && mcu_tensor_stored_bytes(t) > 0)
        r[n++] = (byte_range_t){pool_base(p, t->pool) + t->offset,
                                pool_base(p, t->pool) + t->offset + (uint64_t)mcu_tensor_stored_bytes(t)};
    }
    if (p->layers[l].scratch_bytes)
      r[n++] = (byte_range_t){pool_base(p, p->layers[l].scratch_pool) + p->layers[l].scratch_offset,
                              pool_base(p, p->layers[l].scratch_pool) + p->layers[l].scratch_offset +
                                  p->layers[l].scratch_bytes};
    qsort(r, (size_t)n, sizeof *r, by_start);
    uint64_t live = 0, end = 0;
    for (int k = 0; k < n; ++k) {
      uint64_t lo = r[k].lo > end ? r[k].lo : end;
      if (r[k].hi > lo) live += r[k].hi - lo;
      if (r[k].hi > end) end = r[k].hi;
    }
    if (out_live) out_live[l] = live;
    if (live > best) best = live, peak = l;
  }
  free(r);
  if (out_peak_live) *out_peak_live = best;
  return peak;
}

/* The arena tensor whose bytes end at the arena's end (the placement's peak), or -1. */
static int peak_tensor(const mcu_program_t *p) {
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    if (t->storage == MCU_STORAGE_ARENA && !t->is_alias && mcu_tensor_stored_bytes(t) > 0 &&
        pool_base(p, t->pool) + t->offset + (uint64_t)mcu_tensor_stored_bytes(t) == p->arena_size)
      return i;
  }
  return -1;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static void json_shape(FILE *f, const mcu_tensor_t *t) {
  fputc('[', f);
  for (int i = 0; i < t->rank; ++i) fprintf(f, "%s%d", i ? ", " : "", t->shape[i]);
  fputc(']', f);
}

static const char *storage_name(mcu_storage_t s) {
  switch (s) {
  case MCU_STORAGE_ARENA:
    return "arena";
  case MCU_STORAGE_INPUT:
    return "input";
  case MCU_STORAGE_OUTPUT:
    return "output";
  case MCU_STORAGE_CONST:
    return "weights";
  }
  return "?";
}

static void json_tensor_io(FILE *f, const mcu_tensor_t *t) {
  fprintf(f, "{\"name\": ");
  json_string(f, t->name);
  fprintf(f, ", \"dtype\": \"%s\", \"shape\": ", mcu_dtype_name(t->dtype));
  json_shape(f, t);
  fprintf(f, ", \"bytes\": %lld", (long long)mcu_tensor_bytes(t));
  if (t->num_scales == 1) fprintf(f, ", \"scale\": %.9g, \"zero_point\": %d", t->scales[0], t->zero_points[0]);
  fputc('}', f);
}

static void json_memory(FILE *f, const mcu_program_t *p, const mcu_report_info_t *info, int peak, uint64_t peak_live) {
  fprintf(f, "  \"arena_strategy\": ");
  if (info->arena_strategy)
    json_string(f, info->arena_strategy);
  else
    fprintf(f, "null");
  fprintf(f, ",\n  \"arena_strategy_peaks\": {");
  for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k) {
    fprintf(f, "%s\"%s\": ", k ? ", " : "", mcu_arena_strategy_name((mcu_arena_strategy_t)k));
    if (info->arena_strategy_peaks[k] >= 0)
      fprintf(f, "%lld", (long long)info->arena_strategy_peaks[k]);
    else
      fprintf(f, "null");
  }
  fprintf(f, "},\n  \"arena_peak_layer\": ");
  if (peak >= 0) {
    fprintf(f, "{\"index\": %d, \"name\": ", peak);
    json_string(f, p->layers[peak].name);
    fprintf(f, ", \"live_bytes\": %llu}", (unsigned long long)peak_live);
  } else {
    fprintf(f, "null");
  }
  /* The buffer ending at the arena's end: a tensor, or a layer's scratch ("scratch:LAYER"). */
  int pt = peak_tensor(p), ps = -1;
  for (int l = 0; pt < 0 && ps < 0 && l < p->num_layers; ++l)
    if (p->layers[l].scratch_bytes &&
        pool_base(p, p->layers[l].scratch_pool) + p->layers[l].scratch_offset + p->layers[l].scratch_bytes ==
            p->arena_size)
      ps = l;
  fprintf(f, ",\n  \"arena_peak_tensor\": ");
  if (pt >= 0) {
    json_string(f, p->tensors[pt].name);
  } else if (ps >= 0) {
    char *nm = malloc(strlen(p->layers[ps].name ? p->layers[ps].name : "") + 9);
    if (nm) sprintf(nm, "scratch:%s", p->layers[ps].name ? p->layers[ps].name : "");
    json_string(f, nm ? nm : "scratch");
    free(nm);
  } else {
    fprintf(f, "null");
  }
  /* Patch-based execution: the stage's layers, grid and MACs with the recomputed halos. */
  fprintf(f, ",\n  \"patch_stage\": ");
  if (p->num_patch_stages) {
    const mcu_patch_stage_t *st = &p->patch_stages[0];
    mcu_patch_layer_t ls[MCU_PATCH_MAX_LAYERS];
    mcu_patch_cost_t cost = {0};
    const int n = st->last_layer - st->first_layer + 1;
    mcu_status_t s = n <= MCU_PATCH_MAX_LAYERS ? NULL : mcu_status_errorf("too many layers");
    for (int k = 0; k < n && !s; ++k) s = mcu_patch_layer_of_layer(p, &p->layers[st->first_layer + k], &ls[k]);
    if (!s) s = mcu_patch_cost(ls, n, st->rows, st->cols, &cost);
    fprintf(f, "{\"first_layer\": %d, \"last_layer\": %d, \"rows\": %d, \"cols\": %d, \"macs\": %llu, "
               "\"whole_macs\": %llu}",
            st->first_layer, st->last_layer, st->rows, st->cols, (unsigned long long)cost.macs,
            (unsigned long long)cost.base_macs);
    mcu_status_free(s);
  } else {
    fprintf(f, "null");
  }
  fprintf(f, ",\n  \"stream_blocks\": ");
  if (info->stream_choice[0])
    json_string(f, info->stream_choice);
  else
    fputs("null", f);
  fprintf(f, ",\n  \"board\": ");
  if (info->board)
    json_string(f, info->board);
  else
    fprintf(f, "null");
  fprintf(f, ",\n  \"tensors\": [");
  int first = 1;
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    if (t->storage != MCU_STORAGE_ARENA) continue;
    fprintf(f, "%s\n    {\"name\": ", first ? "" : ",");
    first = 0;
    json_string(f, t->name);
    /* A patch stage's intermediate takes one patch (`bytes`); `whole_bytes` is the tensor's. */
    fprintf(f, ", \"bytes\": %lld, \"offset\": %u, ", (long long)mcu_tensor_stored_bytes(t), t->offset);
    if (t->patch_bytes) fprintf(f, "\"whole_bytes\": %lld, ", (long long)mcu_tensor_bytes(t));
    if (p->num_pools) {
      fprintf(f, "\"pool\": ");
      json_string(f, p->pools[t->pool].name);
      fprintf(f, ", ");
    }
    fprintf(f, "\"live\": ");
    if (t->live_first >= 0)
      fprintf(f, "[%d, %d]", t->live_first, t->live_last);
    else
      fprintf(f, "null");
    fprintf(f, ", \"alias_of\": ");
    if (t->is_alias)
      json_string(f, p->tensors[t->alias_of].name);
    else
      fprintf(f, "null");
    fputc('}', f);
  }
  fprintf(f, "\n  ],\n");
}

int mcu_report_write(const mcu_program_t *p, const mcu_report_info_t *info, FILE *f) {
  uint64_t *live = calloc((size_t)p->num_layers + 1, sizeof *live);
  if (!live) return -1;
  uint64_t peak_live = 0;
  int peak = mcu_report_peak_layer(p, live, &peak_live);
  int64_t macs = 0;
  for (int i = 0; i < p->num_layers; ++i) macs += mcu_layer_macs(p, &p->layers[i]);
  fprintf(f, "{\n  \"model\": ");
  json_string(f, info->model_path);
  fprintf(f, ",\n  \"name\": ");
  json_string(f, p->name);
  fprintf(f, ",\n  \"target\": ");
  json_string(f, info->target);
  fprintf(f, ",\n  \"arena_bytes\": %u,\n  \"arena_lower_bound_bytes\": %llu,\n  \"weights_bytes\": %u,\n",
          p->arena_size, (unsigned long long)info->arena_lower_bound, p->weights_size);
  if (p->num_pools) { /* size: what --pool allows; peak: what the plan uses (the global's size) */
    fprintf(f, "  \"pools\": [");
    for (int k = 0; k < p->num_pools; ++k) {
      fprintf(f, "%s\n    {\"name\": ", k ? "," : "");
      json_string(f, p->pools[k].name);
      fprintf(f, ", \"size\": %u, \"peak\": %u, \"align\": %u}", p->pools[k].capacity, p->pools[k].size,
              p->pools[k].align);
    }
    fprintf(f, "\n  ],\n");
  }
  fprintf(f, "  \"tables_bytes\": %llu,\n  \"code_bytes\": %llu,\n  \"flash_bytes\": %llu,\n  \"macs\": %lld,\n",
          (unsigned long long)info->tables_bytes, (unsigned long long)info->code_bytes,
          (unsigned long long)(p->weights_size + info->tables_bytes + info->code_bytes), (long long)macs);
  json_memory(f, p, info, peak, peak_live);
  fprintf(f, "  \"inputs\": [");
  for (int i = 0; i < p->num_inputs; ++i) {
    fprintf(f, "%s\n    ", i ? "," : "");
    json_tensor_io(f, &p->tensors[p->inputs[i]]);
  }
  fprintf(f, "\n  ],\n  \"outputs\": [");
  for (int i = 0; i < p->num_outputs; ++i) {
    fprintf(f, "%s\n    ", i ? "," : "");
    json_tensor_io(f, &p->tensors[p->outputs[i]]);
  }
  fprintf(f, "\n  ],\n  \"layers\": [");
  for (int i = 0; i < p->num_layers; ++i) {
    const mcu_layer_t *l = &p->layers[i];
    const mcu_tensor_t *t = &p->tensors[l->output];
    fprintf(f, "%s\n    {\"index\": %d, \"name\": ", i ? "," : "", i);
    json_string(f, l->name);
    fprintf(f, ", \"op\": \"%s\", \"output_shape\": ", mcu_op_name(l->op));
    json_shape(f, t);
    fprintf(f, ", \"output_bytes\": %lld, \"macs\": %lld, \"output_storage\": \"%s\", \"output_offset\": ",
            (long long)mcu_tensor_bytes(t), (long long)mcu_layer_macs(p, l), storage_name(t->storage));
    if (t->storage == MCU_STORAGE_ARENA)
      fprintf(f, "%u", t->offset);
    else
      fprintf(f, "null");
    /* The kernel's scratch (with a patch stage's gather/staging buffer at its end), live at this layer only. */
    fprintf(f, ", \"scratch_bytes\": %u, \"live_bytes\": %llu, \"scratch\": ", l->scratch_bytes, (unsigned long long)live[i]);
    if (l->scratch_bytes) {
      fprintf(f, "{\"offset\": %u, \"bytes\": %u, \"patch_buffer_bytes\": %u", l->scratch_offset, l->scratch_bytes,
              l->patch_buf_bytes);
      if (p->num_pools) {
        fprintf(f, ", \"pool\": ");
        json_string(f, p->pools[l->scratch_pool].name);
      }
      fputc('}', f);
    } else {
      fprintf(f, "null");
    }
    fputc('}', f);
  }
  fprintf(f, "\n  ]\n}\n");
  free(live);
  return ferror(f) ? -1 : 0;
}

int mcu_report_print_table(const mcu_program_t *p, const mcu_report_info_t *info, FILE *f) {
  uint64_t *live = calloc((size_t)p->num_layers + 1, sizeof *live);
  if (!live) return -1;
  uint64_t peak_live = 0;
  int peak = mcu_report_peak_layer(p, live, &peak_live);
  fprintf(f, "%5s  %-32s %-16s %-20s %10s %10s %10s\n", "index", "name", "op", "output shape", "bytes", "offset",
          "live bytes");
  for (int i = 0; i < p->num_layers; ++i) {
    const mcu_layer_t *l = &p->layers[i];
    const mcu_tensor_t *t = &p->tensors[l->output];
    char shape[96] = "", where[24];
    size_t used = 0;
    for (int d = 0; d < t->rank && used < sizeof shape; ++d) {
      int w = snprintf(shape + used, sizeof shape - used, "%s%d", d ? "x" : "", t->shape[d]);
      if (w < 0) break;
      used += (size_t)w;
    }
    if (t->storage == MCU_STORAGE_ARENA && p->num_pools)
      snprintf(where, sizeof where, "%.12s:%u", p->pools[t->pool].name, t->offset);
    else if (t->storage == MCU_STORAGE_ARENA)
      snprintf(where, sizeof where, "%u", t->offset);
    else
      snprintf(where, sizeof where, "%s", t->storage == MCU_STORAGE_OUTPUT ? "output" : "-");
    fprintf(f, "%5d  %-32.32s %-16s %-20s %10lld %10s %10llu%s\n", i, l->name ? l->name : "", mcu_op_name(l->op),
            shape, (long long)mcu_tensor_stored_bytes(t), where, (unsigned long long)live[i],
            i == peak ? "  <- peak" : t->patch_bytes ? "  (one patch)" : "");
  }
  int pt = peak_tensor(p);
  fprintf(f, "arena %u bytes (strategy %s), lower bound %llu bytes", p->arena_size,
          info->arena_strategy ? info->arena_strategy : "?", (unsigned long long)info->arena_lower_bound);
  if (peak >= 0) fprintf(f, ", most live bytes at layer %d '%s'", peak, p->layers[peak].name ? p->layers[peak].name : "");
  if (pt >= 0) fprintf(f, ", placement peak ends at tensor '%s'", p->tensors[pt].name);
  fprintf(f, "\nstrategy peaks:");
  for (int k = 0; k < MCU_ARENA_NUM_STRATEGIES; ++k) {
    if (info->arena_strategy_peaks[k] >= 0)
      fprintf(f, " %s %lld", mcu_arena_strategy_name((mcu_arena_strategy_t)k), (long long)info->arena_strategy_peaks[k]);
    else
      fprintf(f, " %s -", mcu_arena_strategy_name((mcu_arena_strategy_t)k));
  }
  if (p->num_pools) {
    fprintf(f, "\npools (strategies: the first pool):");
    for (int k = 0; k < p->num_pools; ++k)
      fprintf(f, " %s %u of %u bytes%s", p->pools[k].name, p->pools[k].size, p->pools[k].capacity,
              k + 1 < p->num_pools ? "," : "");
  }
  fprintf(f, "\nweights %u bytes, tables %llu bytes, code %llu bytes\n", p->weights_size,
          (unsigned long long)info->tables_bytes, (unsigned long long)info->code_bytes);
  free(live);
  return ferror(f) ? -1 : 0;
}
