/* import_harness.h: the importer tests' shared set-up: one context, the last error, import results printed to text. */
#ifndef MCUNET_TEST_UNIT_IMPORT_HARNESS_H
#define MCUNET_TEST_UNIT_IMPORT_HARNESS_H

/* Static definitions: each test is a single .c file (see mcu_test.h). A test creates `ctx` with
 * mcu_context_create, imports a model and passes the status and module to import_result, which gives the printed
 * module (caller frees) or NULL with the one-line message in `err`. count() counts ops or attributes in the text.
 * Known weakness: `err` holds only the last message, truncated to 2047 bytes. */

#include <mlir-c/IR.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static MlirContext ctx;
static char err[2048];

typedef struct sbuf {
  char *s;
  size_t n, cap;
} sbuf_t;

/* Print callback appending to an sbuf_t (always NUL-terminated). */
static void sbuf_cb(MlirStringRef s, void *user) {
  sbuf_t *b = user;
  if (b->n + s.length + 1 > b->cap) {
    size_t cap = (b->n + s.length + 1) * 2;
    char *g = realloc(b->s, cap);
    if (!g)
      abort();
    b->s = g;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s.data, s.length);
  b->n += s.length;
  b->s[b->n] = 0;
}

/* The outcome of an import: on error (s != NULL) copies its message to `err`, frees s and returns NULL; otherwise
 * clears `err`, prints module m (generic form with large constants elided when `generic`, else the custom form) and returns the
 * text. m is kept in *out_module when given, destroyed otherwise. */
static char *import_result(mcu_status_t s, MlirModule m, int generic, MlirModule *out_module) {
  if (s) {
    snprintf(err, sizeof err, "%s", mcu_status_message(s));
    mcu_status_free(s);
    return NULL;
  }
  err[0] = 0;
  sbuf_t buf = {0};
  if (generic) {
    MlirOpPrintingFlags f = mlirOpPrintingFlagsCreate();
    mlirOpPrintingFlagsElideLargeElementsAttrs(f, 16);
    mlirOpPrintingFlagsPrintGenericOpForm(f);
    mlirOperationPrintWithFlags(mlirModuleGetOperation(m), f, sbuf_cb, &buf);
    mlirOpPrintingFlagsDestroy(f);
  } else {
    mlirOperationPrint(mlirModuleGetOperation(m), sbuf_cb, &buf);
  }
  if (out_module)
    *out_module = m;
  else
    mlirModuleDestroy(m);
  return buf.s;
}

/* Non-overlapping occurrences of `needle` in `hay`. */
static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
    ++n;
  return n;
}

#endif
