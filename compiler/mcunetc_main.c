/* mcunetc_main.c: mcunetc, the compiler driver's command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "mcunet.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: mcunetc MODEL -o OUT.o [options]\n"
          "Compiles MODEL (.onnx, .tflite, or .mlir in the mcu dialect) into OUT.o and its header OUT.h.\n\n"
          "  -o FILE                 output (object, or what --emit says)\n"
          "  --target=cortex-m7|cortex-m4|host\n"
          "                          code for the Cortex-M7 (default; with --board, the board's core), the\n"
          "                          Cortex-M4 (DSP, single-precision FPU) or this machine\n"
          "  --name=SYM              symbol prefix of the generated API (default: model)\n"
          "  --emit=obj|asm|llvm|mlir object (default), assembly, LLVM IR, or the graph IR after the passes\n"
          "  --report=FILE.json      write the memory/compute report\n"
          "  --bind NAME=FILE.pb     turn graph input NAME into a constant (an ONNX TensorProto file)\n"
          "  --shape NAME=1x3x96x96  pin the dimensions of graph input NAME (symbolic dimensions)\n"
          "  --dump-after=PASS|all   print the IR after a pass to stderr\n"
          "  --board=NAME            fail unless the model fits the board (stm32f746, stm32h743, stm32f412)\n"
          "  --memory-svg=FILE.svg   draw the arena over time (layers along x, offsets along y)\n"
          "  --verbose               print the per-layer memory table to stderr\n"
          "  --no-inplace            never let a layer overwrite its input (skips the mark-inplace pass)\n"
          "  --no-stream             never fuse expand/depthwise/project convs into row-streamed blocks\n"
          "  --stream                fuse every such block (least memory; the default without --board; with\n"
          "                          --board the default streams only the blocks the model needs to fit)\n"
          "  --pool NAME:SIZE[:ALIGN] split the arena into pools, fastest first (repeatable): each is SYM_NAME in\n"
          "                          .bss.SYM_NAME, the most used buffers in the first (docs/memory.md)\n"
          "  --no-schedule           run the layers in the file's order (skips the schedule pass)\n"
          "  --patches=auto|min|off|RxC[@START[+LEN]]\n"
          "                          patch-based execution of the first layers (less SRAM, more instructions): only\n"
          "                          when the model would not fit the --board otherwise (auto, default), whenever it\n"
          "                          lowers the peak (min), never (off), or forced to R x C patches, optionally on\n"
          "                          the stage starting at layer START and LEN layers long (docs/memory.md)\n"
          "  --kernel=FAMILY[:MxN]   force a kernel family (scalar, pointwise, im2col, first, fc, depthwise) and tile\n"
          "                          (1x4, 2x2, 1x1; 4x1, 4x16 for pointwise; 2x1 for two outputs) on every int8 conv / fully connected layer it\n"
          "                          applies to\n"
          "  --help                  this text\n");
}

/* Matches "--opt=value" or "--opt value"; returns the value or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *opt) {
  size_t n = strlen(opt);
  if (strncmp(argv[*i], opt, n)) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] == 0 && *i + 1 < argc) return argv[++*i];
  return NULL;
}

int main(int argc, char **argv) {
  mcu_compile_options_t o;
  mcu_compile_options_init(&o);
  mcu_binding_t *binds = calloc((size_t)argc, sizeof *binds);
  mcu_shape_override_t *shapes = calloc((size_t)argc, sizeof *shapes);
  mcu_pool_spec_t *pools = calloc((size_t)argc, sizeof *pools);
  if (!binds || !shapes || !pools) return 1;
  o.pools = pools;
  const char *v;
  int target_given = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      free(binds), free(shapes);
      return 0;
    } else if ((v = option_value(argc, argv, &i, "-o"))) {
      o.output_path = v;
    } else if ((v = option_value(argc, argv, &i, "--target"))) {
      target_given = 1;
      if (mcu_target_parse(v, &o.target)) {
        fprintf(stderr, "mcunetc: unknown target '%s' (cortex-m7, cortex-m4, host)\n", v);
        free(binds), free(shapes);
        return 1;
      }
    } else if ((v = option_value(argc, argv, &i, "--name"))) {
      o.name = v;
    } else if ((v = option_value(argc, argv, &i, "--emit"))) {
      if (!strcmp(v, "obj")) o.emit = MCU_EMIT_OBJ;
      else if (!strcmp(v, "asm")) o.emit = MCU_EMIT_ASM;
      else if (!strcmp(v, "llvm")) o.emit = MCU_EMIT_LLVM;
      else if (!strcmp(v, "mlir")) o.emit = MCU_EMIT_MLIR;
      else {
        fprintf(stderr, "mcunetc: unknown --emit=%s (obj, asm, llvm, mlir)\n", v);
        free(binds), free(shapes);
        return 1;
      }
    } else if ((v = option_value(argc, argv, &i, "--report"))) {
      o.report_path = v;
    } else if ((v = option_value(argc, argv, &i, "--dump-after"))) {
      o.dump_after = v;
    } else if ((v = option_value(argc, argv, &i, "--board"))) {
      o.board = v;
    } else if ((v = option_value(argc, argv, &i, "--memory-svg"))) {
      o.memory_svg_path = v;
    } else if ((v = option_value(argc, argv, &i, "--pool"))) {
      if (mcu_pool_spec_parse((char *)v, &pools[o.num_pools])) {
        fprintf(stderr, "mcunetc: --pool expects NAME:SIZE[:ALIGN] (ALIGN a power of two in [16, 4096]), got '%s'\n",
                v);
        free(binds), free(shapes), free(pools);
        return 1;
      }
      ++o.num_pools;
    } else if ((v = option_value(argc, argv, &i, "--kernel"))) {
      o.kernel = v;
    } else if (!strcmp(a, "--no-inplace")) {
      o.no_inplace = 1;
    } else if (!strcmp(a, "--no-stream")) {
      o.no_stream = 1;
    } else if (!strcmp(a, "--stream")) {
      o.stream = 1;
    } else if (!strcmp(a, "--no-schedule")) {
      o.no_schedule = 1;
    } else if ((v = option_value(argc, argv, &i, "--patches"))) {
      if (mcu_patches_parse(v, &o.patches)) {
        fprintf(stderr, "mcunetc: --patches expects auto, min, off or RxC[@START[+LEN]] (2 to 256 patches, R and C "
                        "at most 16, LEN 2 to 12), got '%s'\n", v);
        free(binds), free(shapes), free(pools);
        return 1;
      }
    } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
      o.verbose = 1;
    } else if ((v = option_value(argc, argv, &i, "--shape"))) {
      if (mcu_shape_override_parse((char *)v, &shapes[o.num_shapes])) {
        fprintf(stderr, "mcunetc: --shape expects NAME=D1xD2x... (dimensions >= 1, at most %d), got '%s'\n",
                MCU_MAX_RANK, v);
        free(binds), free(shapes);
        return 1;
      }
      ++o.num_shapes;
    } else if ((v = option_value(argc, argv, &i, "--bind"))) {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || !eq[1]) {
        fprintf(stderr, "mcunetc: --bind expects NAME=FILE.pb, got '%s'\n", v);
        free(binds), free(shapes);
        return 1;
      }
      /* Split in place: argv strings are ours to modify. */
      *(char *)eq = 0;
      binds[o.num_bindings++] = (mcu_binding_t){v, eq + 1};
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "mcunetc: unknown option '%s' (see --help)\n", a);
      free(binds), free(shapes);
      return 1;
    } else if (o.model_path) {
      fprintf(stderr, "mcunetc: more than one model ('%s' and '%s')\n", o.model_path, a);
      free(binds), free(shapes);
      return 1;
    } else {
      o.model_path = a;
    }
  }
  if (!o.model_path || !o.output_path) {
    usage(stderr);
    free(binds), free(shapes);
    return 1;
  }
  /* --board without --target: the board's core (an unknown board is reported by mcu_compile). */
  const mcu_board_t *board = o.board && !target_given ? mcu_board_find(o.board) : NULL;
  if (board && mcu_target_parse(board->core, &o.target)) {
    fprintf(stderr, "mcunetc: board %s has core '%s', which is not a target\n", board->name, board->core);
    free(binds), free(shapes), free(pools);
    return 1;
  }
  o.bindings = binds;
  o.shapes = shapes;
  mcu_status_t s = mcu_compile(&o);
  free(binds), free(shapes), free(pools);
  if (s) {
    fprintf(stderr, "mcunetc: error: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    return 1;
  }
  return 0;
}
