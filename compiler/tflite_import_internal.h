/* tflite_import_internal.h: what the TFLite importer's files (values, ops, graph walk) share. */
#ifndef MCUNET_COMPILER_TFLITE_IMPORT_INTERNAL_H
#define MCUNET_COMPILER_TFLITE_IMPORT_INTERNAL_H

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/IR.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"
#include "status.h"
#include "tflite_reader.h"

/* Not part of the public API: compiler/tflite_import.h is. The file split: tflite_reader decodes the FlatBuffer,
 * tflite_import_values holds the importer's memory, errors, tensor types, constants and activation ranges,
 * tflite_import_ops builds each operator and tflite_import walks subgraph 0 and makes the function. */

/* Largest element count (and dimension) of any tensor. */
#define TFL_MAX_ELEMENTS ((int64_t)INT32_MAX)
/* Largest stride, dilation, window or pad accepted (keeps every shape computation far from overflow). */
#define TFL_MAX_WINDOW ((int64_t)1 << 20)

typedef struct timp {
  MlirContext ctx;
  const char *path;
  const tfl_model_t *model;
  const tfl_subgraph_t *g;
  MlirBlock block;
  MlirValue *values; /* per tensor of subgraph 0: the defining value once computed or materialised */
  /* the operator being imported (op_index -1 outside operators), for messages, locations and names */
  int op_index;
  const tfl_operator_t *op;
  const char *op_name;
  MlirLocation loc;
  void **allocs;
  size_t num_allocs, cap_allocs;
} timp_t;

/* A tensor's static description. */
typedef struct tshape {
  int rank;
  int64_t dims[MCU_MAX_RANK];
  int64_t count;
} tshape_t;

static inline MlirStringRef tfl_sref(const char *s) { return mlirStringRefCreateFromCString(s); }

/* ---- tflite_import_values.c ---- */

/* "PATH: operator N (NAME): reason" inside an operator, else "PATH: reason". */
mcu_status_t tfl_fail(timp_t *imp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Zeroed memory owned by the importer; NULL when out of memory. */
void *tfl_alloc(timp_t *imp, size_t size);
void tfl_importer_free(timp_t *imp);
/* The tensor at index `idx` of subgraph 0 (an error when out of range). */
mcu_status_t tfl_tensor_at(timp_t *imp, int32_t idx, const tfl_tensor_t **out);
/* Input k of the current operator: *out NULL (no error) when absent (index -1 or k past the list) and !required. */
mcu_status_t tfl_input(timp_t *imp, int k, int required, int32_t *out_idx, const tfl_tensor_t **out);
/* Output k of the current operator (required). */
mcu_status_t tfl_output(timp_t *imp, int k, int32_t *out_idx, const tfl_tensor_t **out);
/* The tensor's shape (`shape`; absent = scalar): rank <= MCU_MAX_RANK, every dim >= 1. */
mcu_status_t tfl_shape(timp_t *imp, const tfl_tensor_t *t, tshape_t *out);
/* The element type of a tensor: quant.uniform (per tensor, or per axis when it has several scales) for INT8/UINT8,
 * i32, f32. Any other dtype is an error naming the tensor and dtype. */
mcu_status_t tfl_elem(timp_t *imp, const tfl_tensor_t *t, MlirType *out);
/* tensor<dims x elem> of a tensor. */
mcu_status_t tfl_type(timp_t *imp, const tfl_tensor_t *t, MlirType *out);
MlirType tfl_ranked(int rank, const int64_t *dims, MlirType elem);
/* The tensor's constant data (NULL when it has none): exactly count * element size bytes, else an error. */
mcu_status_t tfl_const_data(timp_t *imp, const tfl_tensor_t *t, const uint8_t **out, size_t *out_size);
/* Integer elements of a constant INT32/INT64 tensor (at most cap); `role` names it in messages. */
mcu_status_t tfl_const_ints(timp_t *imp, const tfl_tensor_t *t, const char *role, int64_t *out, int cap, int *out_n);
/* The value of tensor idx: computed by an earlier operator, a graph input, or a constant (materialised once). */
mcu_status_t tfl_value(timp_t *imp, int32_t idx, MlirValue *out);
/* Records the value computed for tensor idx (a second definition or a constant tensor is an error). */
mcu_status_t tfl_define(timp_t *imp, int32_t idx, MlirValue v);
/* Creates op (one result) at the end of the body with `mcu.name` = name and, unless it is mcu.constant,
 * `numerics = "tflite"`. */
MlirValue tfl_emit(timp_t *imp, const char *op, int nops, const MlirValue *operands, MlirType result, int nattrs,
                   const MlirNamedAttribute *attrs, const char *name);
/* mcu.constant of the given storage bytes. `storage` is i8, ui8, i32 or f32; `result` the tensor type. */
mcu_status_t tfl_emit_const(timp_t *imp, int rank, const int64_t *dims, MlirType storage, const void *data,
                            size_t size, MlirType result, const char *name, MlirValue *out);
/* The storage type of a TFLite dtype (i8, ui8, i32, f32), null otherwise. */
MlirType tfl_storage_type(timp_t *imp, int dtype);
size_t tfl_dtype_size(int dtype);
/* The element type after a permutation of dimensions (output dim i = input dim perm[i]): moves a per-axis axis. */
MlirType tfl_permute_elem(timp_t *imp, MlirType elem, const int *perm, int rank);
MlirAttribute tfl_i64_array(timp_t *imp, int n, const int64_t *v);
MlirNamedAttribute tfl_named(timp_t *imp, const char *name, MlirAttribute a);
/* The fused activation as attributes on `attrs` (2 added; returns the new count): act_min/act_max (i64) for an
 * INT8/UINT8 output, computed as TF Lite's CalculateActivationRangeQuantized; act_fmin/act_fmax (f32) for FLOAT32
 * (CalculateActivationRange). TANH, SIGN_BIT and unknown values are errors. */
mcu_status_t tfl_act_attrs(timp_t *imp, int activation, const tfl_tensor_t *out, MlirNamedAttribute *attrs,
                           int *inout_n);
/* The quantized activation range alone (for tests and RELU ops): [qmin, qmax] of the output dtype narrowed by
 * `lo`/`hi` (real values; has_lo/has_hi 0 = unbounded) quantized as zp + TfLiteRound(x / scale). */
mcu_status_t tfl_quant_range(timp_t *imp, const tfl_tensor_t *out, int has_lo, float lo, int has_hi, float hi,
                             int64_t *out_min, int64_t *out_max);
/* "[d0,d1,...]" into buf. */
void tfl_shape_str(const tshape_t *s, char *buf, size_t cap);
/* 1 when both shapes are equal. */
int tfl_shape_eq(const tshape_t *a, const tshape_t *b);

/* ---- tflite_import_ops.c ---- */

/* The operator table: the dispatcher and docs/ops.md both read it. */
typedef struct tfl_op_entry tfl_op_entry_t;
/* Builds imp->op; reads its per-operator arguments (code, mop, arg) from the entry. */
typedef mcu_status_t (*tfl_op_fn)(timp_t *imp, const tfl_op_entry_t *e);
struct tfl_op_entry {
  int32_t code;       /* builtin code (TFL_OP_*); tfl_builtin_name gives its name */
  const char *dtypes; /* element types the builder accepts, for docs/ops.md */
  const char *note;   /* one line for docs/ops.md */
  tfl_op_fn fn;
  const char *mop; /* the mcu op the builder emits, when it takes it as an argument */
  int arg;         /* the builder's integer argument (options type or variant) */
};
extern const tfl_op_entry_t tfl_op_table[];
extern const size_t tfl_op_table_count;
/* The entry for builtin code `code`, or NULL. */
const tfl_op_entry_t *tfl_op_lookup(int32_t code);
/* Imports imp->op (builtin code `code`) by its table entry; unsupported operators give the "unsupported operator"
 * error. */
mcu_status_t tfl_import_operator(timp_t *imp, int32_t code);

#endif
