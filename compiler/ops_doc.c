/* ops_doc.c: generates docs/ops.md from the ONNX and TFLite importers' operator tables (the dispatch tables). */
#include "ops_doc.h"

#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"
#include "tflite_import_internal.h"

/* Generating the document from the very tables the dispatchers search means it cannot list an operator the importer
 * does not dispatch, nor miss one it does; the element types and notes are the tables' words (kept next to each
 * builder, so a change to a builder's checks is reviewed beside them). Weakness: those two strings are prose, so their
 * truth still rests on review; docs/ops.md says so. */

#define MAX_ROWS 256

typedef struct row {
  const char *name, *domain, *dtypes, *note;
} row_t;

/* An error unless `s` is one non-empty line without '|' (it goes into a Markdown table cell). */
static mcu_status_t check_cell(const char *front, const char *op, const char *field, const char *s) {
  if (!s || !*s)
    return mcu_status_errorf("%s operator %s: the %s is empty", front, op, field);
  if (strpbrk(s, "|\n\r"))
    return mcu_status_errorf("%s operator %s: the %s holds '|' or a line break", front, op, field);
  return NULL;
}

static int row_cmp(const void *pa, const void *pb) {
  const row_t *a = pa, *b = pb;
  int c = strcmp(a->name, b->name);
  return c ? c : strcmp(a->domain, b->domain);
}

static void write_table(FILE *f, row_t *rows, size_t n, int show_domain) {
  qsort(rows, n, sizeof *rows, row_cmp);
  fputs("| operator | element types | notes |\n|---|---|---|\n", f);
  for (size_t i = 0; i < n; ++i) {
    if (show_domain && strcmp(rows[i].domain, "ai.onnx"))
      fprintf(f, "| `%s` (%s) | %s | %s |\n", rows[i].name, rows[i].domain, rows[i].dtypes, rows[i].note);
    else
      fprintf(f, "| `%s` | %s | %s |\n", rows[i].name, rows[i].dtypes, rows[i].note);
  }
}

/* The ONNX rows, each checked to be the entry onnx_op_lookup returns for its key. */
static mcu_status_t onnx_rows(row_t *rows, size_t *out_n) {
  size_t n = 0;
  mcu_status_t s;
  for (int t = 0; onnx_op_tables[t]; ++t)
    for (size_t i = 0; i < onnx_op_tables[t]->count; ++i) {
      const onnx_op_entry_t *e = &onnx_op_tables[t]->ops[i];
      if ((s = check_cell("ONNX", e->op_type, "op type", e->op_type)) ||
          (s = check_cell("ONNX", e->op_type, "domain", e->domain)) ||
          (s = check_cell("ONNX", e->op_type, "element types", e->dtypes)) ||
          (s = check_cell("ONNX", e->op_type, "note", e->note)))
        return s;
      if (strcmp(e->domain, "ai.onnx") && strcmp(e->domain, "com.microsoft"))
        return mcu_status_errorf("ONNX operator %s: unknown domain '%s'", e->op_type, e->domain);
      if (!e->fn)
        return mcu_status_errorf("ONNX operator %s: no builder", e->op_type);
      if (onnx_op_lookup(e->domain, e->op_type) != e)
        return mcu_status_errorf("ONNX operator %s (%s) is listed twice", e->op_type, e->domain);
      if (n == MAX_ROWS)
        return mcu_status_errorf("more than %d ONNX operators", MAX_ROWS);
      rows[n++] = (row_t){e->op_type, e->domain, e->dtypes, e->note};
    }
  *out_n = n;
  return NULL;
}

/* The TFLite rows, each checked to be the entry tfl_op_lookup returns for its builtin code. */
static mcu_status_t tflite_rows(row_t *rows, size_t *out_n) {
  size_t n = 0;
  mcu_status_t s;
  for (size_t i = 0; i < tfl_op_table_count; ++i) {
    const tfl_op_entry_t *e = &tfl_op_table[i];
    const char *name = tfl_builtin_name(e->code);
    if (!strcmp(name, "UNKNOWN") || e->code == TFL_OP_CUSTOM)
      return mcu_status_errorf("TFLite table entry %zu: builtin code %d has no name", i, (int)e->code);
    if ((s = check_cell("TFLite", name, "element types", e->dtypes)) ||
        (s = check_cell("TFLite", name, "note", e->note)))
      return s;
    if (!e->fn)
      return mcu_status_errorf("TFLite operator %s: no builder", name);
    if (tfl_op_lookup(e->code) != e)
      return mcu_status_errorf("TFLite operator %s is listed twice", name);
    if (n == MAX_ROWS)
      return mcu_status_errorf("more than %d TFLite operators", MAX_ROWS);
    rows[n++] = (row_t){name, "", e->dtypes, e->note};
  }
  *out_n = n;
  return NULL;
}

mcu_status_t mcu_ops_doc_write(FILE *f) {
  static row_t onnx[MAX_ROWS], tfl[MAX_ROWS];
  size_t n_onnx = 0, n_tfl = 0;
  mcu_status_t s;
  if ((s = onnx_rows(onnx, &n_onnx)) || (s = tflite_rows(tfl, &n_tfl)))
    return s;
  fputs("# Supported operators\n"
        "\n"
        "<!-- Generated file: do not edit. -->\n"
        "This file is generated from the importers' operator tables, the same tables their dispatchers search\n"
        "(`compiler/onnx_ops*.c`, `compiler/tflite_import_ops.c`), by `BUILD/bin/mcunet-ops-doc > docs/ops.md`.\n"
        "`test/mcunetc/ops-doc.test` fails when this file differs from the generated text.\n"
        "\n"
        "Element types are those the importer accepts (f32, i8, u8, i32, i64; `a -> b`: input to output), as each\n"
        "builder checks them; the notes list the supported attributes and forms. \"Folded\" operators are computed at\n"
        "import time on constants and emit no code. A model the importer accepts can still be refused, with a\n"
        "one-line error, by a later stage (lowering or the kernels) for a combination it does not implement.\n"
        "\n"
        "## ONNX\n"
        "\n"
        "Operators of the default domain (`ai.onnx`, or empty) unless a domain is given.\n"
        "\n",
        f);
  write_table(f, onnx, n_onnx, 1);
  fputs("\n"
        "Any other operator, or an operator of another domain, stops the import with one line naming the node and\n"
        "the operator: `MODEL: node 'NAME' (OP): unsupported operator (ONNX front end)` (`... (ONNX front end,\n"
        "domain 'D')` outside the default domain).\n"
        "\n"
        "## TFLite\n"
        "\n"
        "Builtin operators of subgraph 0 (fused activation: NONE, RELU, RELU_N1_TO_1 or RELU6; TANH and SIGN_BIT are\n"
        "refused).\n"
        "\n",
        f);
  write_table(f, tfl, n_tfl, 0);
  fputs("\n"
        "Any other builtin operator, and every CUSTOM operator, stops the import with one line naming the operator:\n"
        "`MODEL: operator N (NAME): unsupported operator (TFLite front end)`.\n",
        f);
  return ferror(f) ? mcu_status_errorf("write error") : NULL;
}
