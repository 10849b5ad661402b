/* context.h: an MLIR context with every dialect mcunet uses, the `mcu` IRDL dialect loaded. */
#ifndef MCUNET_COMPILER_CONTEXT_H
#define MCUNET_COMPILER_CONTEXT_H

#include <mlir-c/IR.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a context with func, arith, quant and irdl registered and loaded, and the `mcu` dialect loaded from
 * its embedded IRDL definition. Diagnostics print to stderr as `file:line:col: error: message`. On success
 * *out_ctx is owned by the caller (mlirContextDestroy). */
mcu_status_t mcu_context_create(MlirContext *out_ctx);

/* Parses a textual module from `path` (locations carry the file name) and verifies it. */
mcu_status_t mcu_module_parse_file(MlirContext ctx, const char *path, MlirModule *out_module);

/* Prints an operation through the callback to a stdio stream (FILE *). */
void mcu_print_to_file(MlirStringRef s, void *file);

/* Builder helpers shared by the importers and the passes. */
MlirAttribute mcu_attr_i64(MlirContext ctx, int64_t v);
MlirNamedAttribute mcu_named(MlirContext ctx, const char *name, MlirAttribute a);
MlirIdentifier mcu_ident(MlirContext ctx, const char *name);
/* Value of an integer attribute `name` on op, or `fallback` when absent. */
int64_t mcu_op_get_i64(MlirOperation op, const char *name, int64_t fallback);
/* Copies up to `cap` elements of a dense i64 array attribute `name`; returns the count (-1 when absent). */
int mcu_op_get_i64_array(MlirOperation op, const char *name, int64_t *out, int cap);
/* True when op's name is `name` ("mcu.conv2d"). */
int mcu_op_is(MlirOperation op, const char *name);

#ifdef __cplusplus
}
#endif
#endif
