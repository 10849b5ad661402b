/* mcunet_ops_doc_main.c: the mcunet-ops-doc tool: prints docs/ops.md, generated from the importers' operator tables. */
#include <stdio.h>
#include <string.h>

#include "ops_doc.h"

int main(int argc, char **argv) {
  if (argc > 1) {
    FILE *out = strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? stderr : stdout;
    fputs("usage: mcunet-ops-doc > docs/ops.md\n"
          "Prints the supported operators and element types of each front end (Markdown), generated from the\n"
          "importers' operator tables.\n",
          out);
    return out == stdout ? 0 : 2;
  }
  mcu_status_t s = mcu_ops_doc_write(stdout);
  if (!s && fflush(stdout))
    s = mcu_status_errorf("cannot write the output");
  if (s) {
    fprintf(stderr, "mcunet-ops-doc: error: %s\n", mcu_status_message(s));
    mcu_status_free(s);
    return 1;
  }
  return 0;
}
