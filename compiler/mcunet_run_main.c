/* mcunet_run_main.c: the mcunet-run CLI: compiles a model, runs it once (QEMU Cortex-M7/M4, host or reference). */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "tensor_file.h"

static void usage(FILE *f) {
  fputs("usage: mcunet-run MODEL [--target=cortex-m7|cortex-m4|host|ref] [--input FILE]... [--output FILE]...\n"
        "                  [--count [--per-layer]] [--name SYM] [--bind NAME=FILE.pb]... [--keep DIR]\n"
        "                  [--timeout SECONDS] [--kernel=FAMILY[:MxN]] [-v]\n"
        "Compiles MODEL, runs one inference and prints each output as \"outputJ [shape]: values\".\n"
        "  --target=T       cortex-m7 (QEMU mps2-an500, default), cortex-m4 (QEMU mps2-an386), host (cc),\n"
        "                   ref (reference kernels)\n"
        "  --input FILE     one per model input, in order: raw bytes of the tensor, or an ONNX TensorProto .pb\n"
        "  --output FILE    one per model output, in order (optional): receives the output's raw bytes\n"
        "  --count          print \"instructions: N\", the exact instructions of one SYM_run call (cortex-m7/m4)\n"
        "  --per-layer      with --count (implied): before it, each layer's instructions, MACs and MACs per\n"
        "                   instruction, the glue (SYM_run's own instructions) and their total\n"
        "  --name SYM       symbol prefix of the compiled model (default model)\n"
        "  --bind NAME=FILE make graph input NAME the constant in the TensorProto FILE\n"
        "  --keep DIR       build and run in DIR and keep it (harness, firmware, logs)\n"
        "  --timeout S      kill the program after S seconds (default 600)\n"
        "  --no-inplace, --no-stream, --stream, --no-schedule, --patches=auto|min|off|RxC[@START[+LEN]],\n"
        "  --pool NAME:SIZE[:ALIGN], --board NAME\n"
        "                   compile with that memory schedule (as mcunetc does): the outputs must not change;\n"
        "                   --board also picks mcunetc's fastest schedule that fits the board and checks the fit\n"
        "  --kernel=K       force kernel family K[:MxN] on every int8 conv / fully connected layer it applies to\n"
        "                   (scalar, pointwise, im2col, first, fc, depthwise; tiles 1x4, 2x2, 1x1)\n"
                "  -v               print the commands run\n",
        f);
}

/* Matches "--opt=value" or "--opt value"; advances *i over a separate value. Returns the value, or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *opt, int *out_error) {
  size_t n = strlen(opt);
  const char *a = argv[*i];
  if (strncmp(a, opt, n) != 0) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n] != 0) return NULL;
  if (*i + 1 >= argc) {
    fprintf(stderr, "mcunet-run: %s needs a value\n", opt);
    *out_error = 1;
    return NULL;
  }
  return argv[++*i];
}

int main(int argc, char **argv) {
  mcu_run_options_t o;
  mcu_run_options_init(&o);
  const char **inputs = calloc((size_t)argc, sizeof *inputs);
  const char **outputs = calloc((size_t)argc, sizeof *outputs);
  mcu_binding_t *bindings = calloc((size_t)argc, sizeof *bindings);
  mcu_pool_spec_t *pools = calloc((size_t)argc, sizeof *pools);
  if (!inputs || !outputs || !bindings || !pools) {
    fputs("mcunet-run: out of memory\n", stderr);
    return 1;
  }
  int num_inputs = 0, num_outputs = 0, num_bindings = 0, error = 0;
  for (int i = 1; i < argc && !error; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if ((v = option_value(argc, argv, &i, "--target", &error))) {
      if (mcu_run_target_parse(v, &o.target) != 0) {
        fprintf(stderr, "mcunet-run: unknown target '%s' (cortex-m7, cortex-m4, host or ref)\n", v);
        error = 1;
      }
    } else if ((v = option_value(argc, argv, &i, "--input", &error))) {
      inputs[num_inputs++] = v;
    } else if ((v = option_value(argc, argv, &i, "--output", &error))) {
      outputs[num_outputs++] = v;
    } else if ((v = option_value(argc, argv, &i, "--name", &error))) {
      o.name = v;
    } else if ((v = option_value(argc, argv, &i, "--kernel", &error))) {
      o.kernel = v;
    } else if ((v = option_value(argc, argv, &i, "--keep", &error))) {
      o.keep_dir = v;
    } else if ((v = option_value(argc, argv, &i, "--timeout", &error))) {
      char *end = NULL;
      unsigned long t = strtoul(v, &end, 10);
      if (end == v || *end || t == 0 || t > 86400) {
        fprintf(stderr, "mcunet-run: bad --timeout '%s' (1 to 86400 seconds)\n", v);
        error = 1;
      }
      o.timeout_seconds = (unsigned)t;
    } else if ((v = option_value(argc, argv, &i, "--bind", &error))) {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || !eq[1]) {
        fprintf(stderr, "mcunet-run: --bind expects NAME=FILE.pb, got '%s'\n", v);
        error = 1;
      } else {
        char *name = strndup(v, (size_t)(eq - v));
        if (!name) {
          fputs("mcunet-run: out of memory\n", stderr);
          return 1;
        }
        bindings[num_bindings].input_name = name;
        bindings[num_bindings].tensor_path = eq + 1;
        num_bindings++;
      }
    } else if (error) {
      break;
    } else if (strcmp(a, "--count") == 0) {
      o.count = 1;
    } else if (strcmp(a, "--no-inplace") == 0) {
      o.no_inplace = 1;
    } else if (strcmp(a, "--no-stream") == 0) {
      o.no_stream = 1;
    } else if (strcmp(a, "--stream") == 0) {
      o.stream = 1;
    } else if ((v = option_value(argc, argv, &i, "--board", &error))) {
      o.board = v;
    } else if (strcmp(a, "--no-schedule") == 0) {
      o.no_schedule = 1;
    } else if ((v = option_value(argc, argv, &i, "--patches", &error))) {
      if (mcu_patches_parse(v, &o.patches)) {
        fprintf(stderr, "mcunet-run: --patches expects auto, min, off or RxC[@START[+LEN]], got '%s'\n", v);
        error = 1;
      }
    } else if ((v = option_value(argc, argv, &i, "--pool", &error))) {
      char *spec = strdup(v);
      if (!spec || mcu_pool_spec_parse(spec, &pools[o.num_pools])) {
        fprintf(stderr, "mcunet-run: --pool expects NAME:SIZE[:ALIGN], got '%s'\n", v);
        free(spec);
        error = 1;
      } else {
        ++o.num_pools;
      }
    } else if (strcmp(a, "--per-layer") == 0) {
      o.count = 1;
      o.per_layer = 1;
    } else if (strcmp(a, "-v") == 0) {
      o.verbose = 1;
    } else if (a[0] == '-' && a[1] != 0) {
      fprintf(stderr, "mcunet-run: unknown option '%s' (see --help)\n", a);
      error = 1;
    } else if (o.model_path) {
      fprintf(stderr, "mcunet-run: more than one model given ('%s' and '%s')\n", o.model_path, a);
      error = 1;
    } else {
      o.model_path = a;
    }
  }
  if (!error && !o.model_path) {
    usage(stderr);
    error = 1;
  }
  if (error) return 1;
  o.input_paths = inputs;
  o.num_input_paths = num_inputs;
  o.bindings = bindings;
  o.num_bindings = num_bindings;
  o.pools = pools;

  mcu_run_result_t *r = NULL;
  mcu_status_t s = mcu_run(&o, &r);
  if (!s && num_outputs > r->num_outputs)
    s = mcu_status_errorf("%s: %d --output files given but the model has %d output%s", o.model_path, num_outputs,
                          r->num_outputs, r->num_outputs == 1 ? "" : "s");
  for (int j = 0; !s && j < num_outputs; j++)
    s = mcu_file_write_all(outputs[j], r->outputs[j].data, r->outputs[j].bytes);
  if (s) {
    fprintf(stderr, "mcunet-run: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    mcu_run_result_destroy(r);
    return 1;
  }
  for (int j = 0; j < r->num_outputs; j++) mcu_run_print_output(stdout, j, &r->outputs[j]);
  mcu_run_print_layers(stdout, r);
  if (r->has_count) printf("instructions: %llu\n", (unsigned long long)r->instructions);
  mcu_run_result_destroy(r);
  for (int b = 0; b < num_bindings; b++) free((char *)bindings[b].input_name);
  free(bindings);
  for (int k = 0; k < o.num_pools; k++) free((char *)pools[k].name); /* strdup'd spec, name at its start */
  free(pools);
  free(inputs);
  free(outputs);
  return fflush(stdout) == 0 ? 0 : 1;
}
