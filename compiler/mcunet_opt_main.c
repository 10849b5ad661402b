/* mcunet_opt_main.c: mcunet-opt, runs named passes (ours and upstream MLIR's) over a textual IR file. */
#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <mlir-c/Transforms.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "passes.h"

static void usage(FILE *f) {
  fprintf(f, "usage: mcunet-opt FILE.mlir [--PASS]... [--UPSTREAM-PASS]... [-o OUT.mlir]\n"
             "Parses FILE (the mcu dialect, func, arith, quant), runs the named passes in order and prints the\n"
             "result. Upstream MLIR passes are accepted by their names (--canonicalize, --cse, ...).\n\n"
             "mcunet passes:\n");
  for (const mcu_pass_info_t *p = mcu_passes; p->argument; ++p) fprintf(f, "  --%-20s %s\n", p->argument, p->description);
}

static void print_error(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stderr);
}

int main(int argc, char **argv) {
  const char *input = NULL, *output = NULL;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(argv[i], "-o") && i + 1 < argc) {
      output = argv[++i];
    } else if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
      if (input) {
        fprintf(stderr, "mcunet-opt: more than one input file ('%s' and '%s')\n", input, argv[i]);
        return 1;
      }
      input = argv[i];
    }
  }
  if (!input) {
    usage(stderr);
    return 1;
  }
  MlirContext ctx;
  mcu_status_t s = mcu_context_create(&ctx);
  if (s) {
    fprintf(stderr, "mcunet-opt: %s\n", mcu_status_message(s));
    return 1;
  }
  mlirRegisterTransformsPasses();
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  int rc = 1;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "-o")) {
      ++i;
      continue;
    }
    if (strncmp(argv[i], "--", 2)) continue;
    const char *name = argv[i] + 2;
    const mcu_pass_info_t *info = mcu_pass_lookup(name);
    if (info) {
      mlirPassManagerAddOwnedPass(pm, mcu_pass_create(info));
    } else if (mlirLogicalResultIsFailure(
                   mlirOpPassManagerAddPipeline(opm, mlirStringRefCreateFromCString(name), print_error, NULL))) {
      fprintf(stderr, "\nmcunet-opt: unknown pass '--%s' (see --help)\n", name);
      goto done;
    }
  }
  MlirModule module;
  s = mcu_module_parse_file(ctx, input, &module);
  if (s) {
    fprintf(stderr, "mcunet-opt: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    goto done;
  }
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    fprintf(stderr, "mcunet-opt: %s: a pass failed\n", input);
  } else {
    FILE *f = output ? fopen(output, "w") : stdout;
    if (!f) {
      fprintf(stderr, "mcunet-opt: %s: cannot write\n", output);
    } else {
      mlirOperationPrint(mlirModuleGetOperation(module), mcu_print_to_file, f);
      fputc('\n', f);
      rc = (output && fclose(f)) ? 1 : 0;
    }
  }
  mlirModuleDestroy(module);
done:
  mlirPassManagerDestroy(pm);
  mlirContextDestroy(ctx);
  return rc;
}
