/* memory_svg.c: draws the arena over time as SVG (one rectangle per tensor), for --memory-svg. */
#include "memory_svg.h"

#include "report.h"

/* Layout: a plot of PLOT_W x PLOT_H pixels inside a margin; layer l spans x in [l*cw, (l+1)*cw) and byte offset o
 * is at height o / arena_size * PLOT_H from the bottom (offsets grow upwards). Colours cycle through a small
 * palette by tensor index so neighbours differ. With pools (--pool), one band per pool, the first (fastest) at
 * the bottom, each as tall as its share of the arena, with a dashed boundary and the pool's name; a tensor's
 * height is its pool's start plus its offset. Weakness: thousands of layers give hair-thin columns (the SVG
 * still scales). */

enum { MARGIN_L = 70, MARGIN_R = 20, MARGIN_T = 40, MARGIN_B = 40, PLOT_W = 900, PLOT_H = 480 };

static void xml_text(FILE *f, const char *s) {
  for (; s && *s; ++s) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default:
      if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, f);
    }
  }
}

/* Where pool `pool` starts in the drawing: the sizes of the pools below it (0 without pools). */
static uint64_t pool_base(const mcu_program_t *p, int pool) {
  uint64_t base = 0;
  for (int k = 0; k < pool && k < p->num_pools; ++k) base += p->pools[k].size;
  return base;
}

int mcu_memory_svg_write(const mcu_program_t *p, FILE *f) {
  static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  int layers = p->num_layers > 0 ? p->num_layers : 1;
  double cw = (double)PLOT_W / layers;
  double arena = p->arena_size > 0 ? (double)p->arena_size : 1.0;
  double sy = PLOT_H / arena;
  uint64_t peak_live = 0;
  int peak = mcu_report_peak_layer(p, NULL, &peak_live);
  int w = MARGIN_L + PLOT_W + MARGIN_R, h = MARGIN_T + PLOT_H + MARGIN_B;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\" font-size=\"12\">\n", w, h, w, h);
  fprintf(f, "<title>arena of ");
  xml_text(f, p->name);
  fprintf(f, ": %u bytes over %d layers</title>\n", p->arena_size, p->num_layers);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f7f7f7\" stroke=\"#888\"/>\n", MARGIN_L,
          MARGIN_T, PLOT_W, PLOT_H);
  if (peak >= 0)
    fprintf(f, "<rect class=\"peak-layer\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"#ffd54f\" "
               "fill-opacity=\"0.35\"><title>layer %d: %llu live bytes (the most)</title></rect>\n",
            MARGIN_L + peak * cw, MARGIN_T, cw, PLOT_H, peak, (unsigned long long)peak_live);
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    int64_t bytes = mcu_tensor_stored_bytes(t);
    if (t->storage != MCU_STORAGE_ARENA || t->is_alias || t->live_first < 0 || bytes <= 0) continue;
    double x = MARGIN_L + t->live_first * cw, rw = (t->live_last - t->live_first + 1) * cw;
    double y = MARGIN_T + PLOT_H - ((double)(pool_base(p, t->pool) + t->offset) + (double)bytes) * sy;
    double rh = (double)bytes * sy;
    fprintf(f, "<rect class=\"tensor\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
               "fill-opacity=\"0.8\" stroke=\"#333\" stroke-width=\"0.5\"><title>",
            x, y, rw, rh, palette[i % (int)(sizeof palette / sizeof palette[0])]);
    xml_text(f, t->name);
    fprintf(f, ": %lld bytes at offset %u", (long long)bytes, t->offset);
    if (p->num_pools) {
      fprintf(f, " of pool ");
      xml_text(f, p->pools[t->pool].name);
    }
    fprintf(f, ", layers %d-%d</title></rect>\n", t->live_first, t->live_last);
  }
  for (int k = 0; k < p->num_pools; ++k) { /* the bands: a boundary at each pool's start, its name above */
    double y = MARGIN_T + PLOT_H - (double)pool_base(p, k) * sy;
    fprintf(f, "<line class=\"pool\" x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#555\" "
               "stroke-dasharray=\"2 2\"/>\n<text class=\"pool\" x=\"%d\" y=\"%.2f\" fill=\"#555\">",
            MARGIN_L, y, MARGIN_L + PLOT_W, y, MARGIN_L + PLOT_W - 150, y - 4);
    xml_text(f, p->pools[k].name);
    fprintf(f, " %u bytes</text>\n", p->pools[k].size);
  }
  fprintf(f, "<line class=\"peak\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c00\" stroke-dasharray=\"6 3\"/>\n",
          MARGIN_L, MARGIN_T, MARGIN_L + PLOT_W, MARGIN_T);
  fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#c00\">peak %u bytes", MARGIN_L, MARGIN_T - 8, p->arena_size);
  if (peak >= 0) {
    fprintf(f, "; most live bytes (%llu) at layer %d '", (unsigned long long)peak_live, peak);
    xml_text(f, p->layers[peak].name);
    fputc('\'', f);
  }
  fprintf(f, "</text>\n");
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", MARGIN_L - 4, MARGIN_T + PLOT_H);
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%u</text>\n", MARGIN_L - 4, MARGIN_T + 10, p->arena_size);
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">layer (execution order, 0-%d)</text>\n",
          MARGIN_L + PLOT_W / 2, MARGIN_T + PLOT_H + 25, p->num_layers - 1);
  fprintf(f, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">arena offset "
             "(bytes)</text>\n", MARGIN_T + PLOT_H / 2, MARGIN_T + PLOT_H / 2);
  fprintf(f, "</svg>\n");
  return ferror(f) ? -1 : 0;
}
