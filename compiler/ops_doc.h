/* ops_doc.h: docs/ops.md (operators and element types per front end), generated from the importers' tables. */
#ifndef MCUNET_COMPILER_OPS_DOC_H
#define MCUNET_COMPILER_OPS_DOC_H

#include <stdio.h>

#include "status.h"

/* Writes the text of docs/ops.md to `f`: a title, how it is generated, then per front end a table | operator |
 * element types | notes | sorted by operator name and a line on what happens with every other operator. The tables
 * are checked first: an entry the dispatcher would not reach (a duplicate key), an unnamed builtin code, or an empty
 * or multi-line field, or one holding '|', is an error and nothing is written. */
mcu_status_t mcu_ops_doc_write(FILE *f);

#endif
