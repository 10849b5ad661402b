/* context.h: an MLIR context with every dialect mcunet uses, the `mcu` IRDL dialect loaded. */
#ifndef MCUNET_COMPILER_CONTEXT_H
#define MCUNET_COMPILER_CONTEXT_H

#include <mlir-c/IR.h>
#include <string.h>

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

/* Parses a textual module held in memory (`name` only names it in messages; locations carry no file) and
 * verifies it. */
mcu_status_t mcu_module_parse_string(MlirContext ctx, const char *text, const char *name, MlirModule *out_module);

/* Prints an operation through the callback to a stdio stream (FILE *). */
void mcu_print_to_file(MlirStringRef s, void *file);

/* Builder helpers shared by the importers and the passes. */
MlirAttribute mcu_attr_i64(MlirContext ctx, int64_t v);
MlirNamedAttribute mcu_named(MlirContext ctx, const char *name, MlirAttribute a);
MlirIdentifier mcu_ident(MlirContext ctx, const char *name);
/* Creates op `name` with `nops` operands, one result of type `result` and the named attributes attrs[0..nattrs)
 * then extra[0..nextra) (an importer's own, e.g. mcu.name), appends it to `block` and returns its result. */
MlirValue mcu_build_op(MlirBlock block, MlirLocation loc, const char *name, int nops, const MlirValue *operands,
                       MlirType result, int nattrs, const MlirNamedAttribute *attrs, int nextra,
                       const MlirNamedAttribute *extra);
/* Value of an integer attribute `name` on op, or `fallback` when absent. */
int64_t mcu_op_get_i64(MlirOperation op, const char *name, int64_t fallback);
/* Copies up to `cap` elements of a dense i64 array attribute `name`; returns the count (-1 when absent). */
int mcu_op_get_i64_array(MlirOperation op, const char *name, int64_t *out, int cap);
/* True when op's name is `name` ("mcu.conv2d"). Inline: the passes ask it of every op, and with a literal name
 * the compiler folds strlen. */
static inline int mcu_op_is(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && !memcmp(s.data, name, s.length);
}
/* The body block of `func.func @main` in `module` (a builtin.module operation); null block when absent. */
MlirBlock mcu_main_block(MlirOperation module);
/* Calls fn(op, user) for every op named `name` (NULL: every op) of every func.func in `module`, in order. fn may
 * erase `op` or ops before it: the next op is taken before the call. */
void mcu_for_each_op(MlirOperation module, const char *name, void (*fn)(MlirOperation op, void *user), void *user);
/* Number of uses of a value. */
int mcu_value_num_uses(MlirValue v);
/* Whether a func.return uses v (v is a model output). */
int mcu_value_is_returned(MlirValue v);
/* Whether op carries an attribute `name` (inherent or discardable). */
int mcu_op_has_attr(MlirOperation op, const char *name);
/* Removes attribute `name` from op when it carries it (MLIR's remove copies the attribute list even when the name
 * is absent, which the passes' "clear the old marks" loops paid on every op). */
void mcu_op_remove_attr(MlirOperation op, const char *name);
/* Sets the n attributes attrs[0..n) on *op (replacing those of the same names) with one build of its attribute
 * dictionary: *op is re-created with its name, location, operands, result types and attributes plus these, takes
 * its place in the block and the uses of its results, and the old op is erased (*op is the new one; nothing may
 * hold the old op). An op with regions or successors, or more than 16 operands or results or 64 attributes, gets
 * them one mlirOperationSetDiscardableAttributeByName at a time, in place. The names in attrs must differ. */
void mcu_op_set_attrs(MlirOperation *op, int n, const MlirNamedAttribute *attrs);
/* A reshape that mark-aliases made copy-free (`mcu.alias`): it names its input's bytes and runs no layer. */
int mcu_op_is_alias(MlirOperation op);
/* Bytes of a static tensor type's data (storage element size times elements); -1 for dynamic or unknown types. */
int64_t mcu_type_bytes(MlirType tensor_type);
/* Bytes of one stored element of element type `el` (quantized: its storage width), as mcu_type_bytes counts them;
 * -1 for element types without a storage size. */
int64_t mcu_element_bytes(MlirType el);
/* Storage range of a tensor type's element type: quantized storage min/max, or the integer type's range.
 * Returns 0 for float element types. */
int mcu_type_storage_range(MlirType tensor_type, int64_t *out_min, int64_t *out_max);

#ifdef __cplusplus
}
#endif
#endif
