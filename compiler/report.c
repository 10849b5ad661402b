/* report.c: writes the compile report as JSON (stable key order, so reports diff cleanly). */
#include "report.h"

#include <string.h>

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

int mcu_report_write(const mcu_program_t *p, const mcu_report_info_t *info, FILE *f) {
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
  fprintf(f, "  \"code_bytes\": %llu,\n  \"macs\": %lld,\n", (unsigned long long)info->code_bytes, (long long)macs);
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
      fprintf(f, "%u}", t->offset);
    else
      fprintf(f, "null}");
  }
  fprintf(f, "\n  ]\n}\n");
  return ferror(f) ? -1 : 0;
}
