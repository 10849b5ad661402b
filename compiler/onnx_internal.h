/* onnx_internal.h: what the ONNX importer's files (onnx_values, onnx_emit, onnx_node, onnx_ops, onnx_import) share. */
#ifndef MCUNET_COMPILER_ONNX_INTERNAL_H
#define MCUNET_COMPILER_ONNX_INTERNAL_H

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/IR.h>
#include <stddef.h>
#include <stdint.h>

#include "mcunet.h"
#include "onnx.pb-c.h"
#include "onnx_tensor.h"
#include "program.h"
#include "status.h"

/* Not part of the public API: compiler/onnx_import.h is. The file split: onnx_tensor decodes TensorProtos,
 * onnx_values holds the importer's memory, errors, name/value table and the NCHW/NHWC twins, onnx_emit builds MLIR
 * types and ops, onnx_node reads a node's inputs, attributes and quantization parameters, onnx_ops builds each
 * operator and onnx_import walks the graph. */

/* Largest element count (and dimension) accepted anywhere: far above any microcontroller tensor. */
#define MAX_ELEMENTS MCU_ONNX_MAX_ELEMENTS
/* Largest stride, dilation or pad accepted (keeps every shape computation far from overflow). */
#define MAX_WINDOW ((int64_t)1 << 20)

typedef struct value {
  const char *name;
  int dtype;
  int rank;
  int64_t dims[MCU_MAX_RANK]; /* ONNX layout, even when only the NHWC twin exists */
  int64_t count;
  const uint8_t *data; /* constants: count little-endian elements of dtype; NULL otherwise */
  MlirValue nchw, nhwc;
  int pending;     /* element type not fixed yet (graph input or pass-through of one) */
  int pending_src; /* the pending value this one was computed from, or -1 for a graph input */
  int index;
} value_t;

typedef struct importer {
  MlirContext ctx;
  const char *path;
  MlirBlock block;
  value_t **values;
  int num_values, cap_values;
  /* name -> value index, open addressing; names are not owned */
  const char **slot_names;
  int *slot_values;
  size_t num_slots, used_slots;
  /* every allocation made during the import, freed at the end */
  void **allocs;
  size_t num_allocs, cap_allocs;
  /* the node being imported (NULL outside nodes), for messages, locations and `mcu.name` */
  const Onnx__NodeProto *node;
  const char *node_name;
  MlirLocation loc;
  const Onnx__GraphProto *graph; /* for use counts */
  int64_t opset;                 /* default-domain opset version (1 when the model states none) */
  int node_index;                /* index of imp->node in graph->node */
} importer_t;

static inline const char *onnx_str(const char *s) { return s ? s : ""; }
static inline int onnx_is_q8(int dt) { return dt == DT_UINT8 || dt == DT_INT8; }

/* ---- onnx_values.c: errors, memory, names, values, layout twins ---- */

/* "PATH: node 'NAME' (OPTYPE): reason" inside a node, else "PATH: reason"; control characters become '?'. */
mcu_status_t onnx_fail(importer_t *imp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
mcu_status_t onnx_oom(importer_t *imp);
/* Zeroed memory owned by the importer (freed when the import ends, on every path). NULL when out of memory. */
void *onnx_alloc(importer_t *imp, size_t size);
/* Frees everything the importer owns (not the MLIR objects). */
void onnx_importer_free(importer_t *imp);
/* The index of the value named `name`, or -1. */
int onnx_name_lookup(const importer_t *imp, const char *name);
/* Binds `name` to value `v`; an existing binding is an error (ONNX values are defined once). */
mcu_status_t onnx_name_bind(importer_t *imp, const char *name, int v);
/* Adds a value named `name` (a copy of *proto) and binds the name. */
mcu_status_t onnx_value_add(importer_t *imp, const char *name, const value_t *proto, value_t **out);
/* Decodes a TensorProto into a constant value (its data owned by the importer). `what` names it in messages. */
mcu_status_t onnx_value_decode(importer_t *imp, const Onnx__TensorProto *t, const char *what, value_t *out);
/* "[d0,d1,...]" into buf (truncated to cap). */
void onnx_shape_str(int rank, const int64_t *dims, char *buf, size_t cap);
/* Element i of a constant, as an integer (UINT8/INT8/INT32/INT64) or a float (FLOAT). */
int64_t onnx_data_i64(const value_t *v, int64_t i);
float onnx_data_f32(const value_t *v, int64_t i);
/* Dimension permutations (output dim i = input dim perm[i]) between ONNX's NCHW and mcu.conv2d's NHWC. */
extern const int ONNX_TO_NHWC[4], ONNX_TO_NCHW[4];
/* The element type the value has in ONNX layout, or null when it is a constant not yet materialised. */
mcu_status_t onnx_elem(importer_t *imp, const value_t *v, MlirType *out);
/* The value in ONNX layout with element type `want` (null: whatever it has; constants then get their dtype's
 * default type). */
mcu_status_t onnx_get_nchw(importer_t *imp, value_t *v, MlirType want, MlirValue *out);
/* The value in NHWC layout (4-D only) with element type `want` (in ONNX layout terms). Constants are transposed at
 * import time. */
mcu_status_t onnx_get_nhwc(importer_t *imp, value_t *v, MlirType want, MlirValue *out);

/* ---- onnx_emit.c: MLIR types and ops ---- */

static inline MlirStringRef onnx_sref(const char *s) { return mlirStringRefCreateFromCString(s); }
static inline MlirType onnx_tensor_type(int rank, const int64_t *dims, MlirType elem) {
  return mlirRankedTensorTypeGet(rank, dims, elem, mlirAttributeGetNull());
}
MlirType onnx_elem_of(MlirValue v);
MlirAttribute onnx_i64_array(importer_t *imp, int n, const int64_t *v);
/* Textual form of a type, for messages (truncated to 255 characters). */
const char *onnx_type_str(importer_t *imp, MlirType t);
/* The quantized element type for uint8/int8 storage: real = scale * (q - zero_point); per tensor when n == 1,
 * else per slice along `axis`. Scales must already be checked positive and finite. */
MlirType onnx_quant_type(importer_t *imp, int dtype, int n, const double *scales, const int64_t *zps, int axis);
/* Element type of a non-quantized or not-yet-quantized dtype. Null for unsupported dtypes. */
MlirType onnx_default_elem(importer_t *imp, int dtype);
/* The element type after permuting dimensions (output dim i = input dim perm[i]): moves a per-axis axis. */
mcu_status_t onnx_permute_elem(importer_t *imp, MlirType elem, const int *perm, int rank, MlirType *out);
/* Creates `op` (one result) at the end of the function body, with `mcu.name` = name. */
MlirValue onnx_emit(importer_t *imp, const char *op, int nops, const MlirValue *operands, MlirType result, int nattrs,
                    const MlirNamedAttribute *attrs, const char *name);
/* A constant of `rank`/`dims` holding `data` (dtype storage, little-endian), typed `elem`. */
mcu_status_t onnx_emit_const(importer_t *imp, int rank, const int64_t *dims, int dtype, const uint8_t *data,
                             int64_t count, MlirType elem, const char *name, MlirValue *out);
/* mcu.transpose of `in` by `perm`. */
mcu_status_t onnx_emit_transpose(importer_t *imp, MlirValue in, const int *perm, const char *name, MlirValue *out);

/* ---- onnx_node.c: the current node's inputs, outputs, attributes and quantization parameters ---- */

typedef struct qparams {
  int dtype; /* UINT8 or INT8 */
  int n;     /* 1: per tensor */
  double *scales;
  int64_t *zps;
} qparams_t;

/* Input k of the current node: NULL (and no error) when absent or empty and !required. */
mcu_status_t onnx_node_input(importer_t *imp, int k, int required, value_t **out);
/* Adds the node's first output as a copy of *proto. */
mcu_status_t onnx_node_output(importer_t *imp, const value_t *proto, value_t **out);
const Onnx__AttributeProto *onnx_find_attr(importer_t *imp, const char *name);
/* An error unless attribute `a` has type `t` (`kind` names it: "an int", ...). */
mcu_status_t onnx_attr_check(importer_t *imp, const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType t,
                             const char *kind);
mcu_status_t onnx_attr_int(importer_t *imp, const char *name, int64_t fallback, int64_t *out);
/* Copies exactly `n` ints of attribute `name` into out; leaves out as is when absent. */
mcu_status_t onnx_attr_ints(importer_t *imp, const char *name, size_t n, int64_t *out);
/* Normalises an axis in [-rank, rank + extra) to [0, rank + extra). */
mcu_status_t onnx_norm_axis(importer_t *imp, int64_t axis, int rank, int extra, int *out);
/* Reads the scale (input si, required) and zero point (input zi, optional: then `default_dtype` with zero point
 * 0) of a quantized operand. Sizes are 1 or one common n (a size-1 one is broadcast). */
mcu_status_t onnx_read_qparams(importer_t *imp, int si, int zi, int default_dtype, const char *role, qparams_t *out);
/* The same, per-tensor only. */
mcu_status_t onnx_read_qparams1(importer_t *imp, int si, int zi, int default_dtype, const char *role, qparams_t *out);
MlirType onnx_qtype(importer_t *imp, const qparams_t *q, int axis);
/* An error unless v is UINT8 or INT8. */
mcu_status_t onnx_need_q8(importer_t *imp, const value_t *v, const char *role);

/* Adds the node's output k (which must be named) as a copy of *proto. */
mcu_status_t onnx_node_output_k(importer_t *imp, int k, const value_t *proto, value_t **out);
/* String attribute `name` into buf (NUL-terminated; an error when longer than cap - 1); fallback when absent. */
mcu_status_t onnx_attr_str(importer_t *imp, const char *name, const char *fallback, char *buf, size_t cap);
mcu_status_t onnx_attr_float(importer_t *imp, const char *name, float fallback, float *out);
/* A constant integer list (INT64 or INT32, scalar or 1-D, at most `max` values) from input k: *out_n = -1 when
 * the input is absent and !required. */
mcu_status_t onnx_input_ints(importer_t *imp, int k, int required, int max, int64_t *out, int *out_n);
/* Number of node inputs, over the whole graph, that read value `name` (graph outputs count too). */
int onnx_use_count(const importer_t *imp, const char *name);

/* ---- onnx_ops.c ---- */

/* Imports imp->node. */
mcu_status_t onnx_import_node(importer_t *imp);
/* The result of a shape- and type-preserving op on `x` (elementwise: may run on x's NHWC twin). */
mcu_status_t onnx_passthrough(importer_t *imp, value_t *x, int rank, const int64_t *dims, const char *op,
                              int nattrs, const MlirNamedAttribute *attrs, int elementwise);
/* x reshaped to rank/dims as the node's output (folded on constants; mcu.reshape otherwise). */
mcu_status_t onnx_reshape_output(importer_t *imp, value_t *x, int rank, const int64_t *dims);

/* ---- onnx_geom.c: convolution and pooling windows ---- */

typedef struct window {
  int64_t kernel[2], strides[2], dil[2], pads[4]; /* pads: top, left, bottom, right */
  int64_t out[2];
} window_t;
/* Reads strides, dilations, pads, auto_pad (and ceil_mode when `pool`) for a 2-D window of size `kernel` over an
 * input of `in` (H, W); fills *w. ceil_mode is expressed as extra bottom/right padding. */
mcu_status_t onnx_window(importer_t *imp, const int64_t in[2], const int64_t kernel[2], int pool, window_t *w);
/* Builds a pooling op (mcu.avg_pool2d / mcu.max_pool2d) on x's NHWC form read as `in_elem`, result `out_elem`;
 * handles the attributes of AveragePool/MaxPool/QLinearAveragePool (kernel_shape, count_include_pad, ...).
 * channels_last: x is already NHWC in ONNX layout. */
mcu_status_t onnx_pool(importer_t *imp, value_t *x, int max, MlirType in_elem, MlirType out_elem, int out_dtype,
                       int channels_last);
/* Global average pool as mcu.mean over H, W (kept). */
mcu_status_t onnx_global_pool(importer_t *imp, value_t *x, MlirType in_elem, MlirType out_elem, int out_dtype,
                              int channels_last);

/* ---- onnx_eltwise.c: element-wise ops with broadcasting and layout choice ---- */

/* Emits `op` on x (read as in_elem, ONNX-layout terms; null: as it is) producing out_elem (null: the input's
 * element type) and dtype out_dtype, in x's NHWC twin when it has one. */
mcu_status_t onnx_unary(importer_t *imp, value_t *x, MlirType in_elem, MlirType out_elem, int out_dtype, const char *op,
                        int nattrs, const MlirNamedAttribute *attrs);
/* Binary `op` with numpy broadcasting, in NHWC when the 4-D operands allow it. */
mcu_status_t onnx_binary(importer_t *imp, value_t *a, value_t *b, MlirType a_elem, MlirType b_elem, MlirType out_elem,
                         int out_dtype, const char *op);
/* Concatenation of n values along axis (chain of binary mcu.concat), in NHWC for the channel axis of 4-D values. */
mcu_status_t onnx_concat(importer_t *imp, int n, value_t **xs, MlirType *elems, int axis, MlirType out_elem,
                         int out_dtype);
/* A new constant value as the node's output k (data: count elements of dtype, copied). */
mcu_status_t onnx_const_output(importer_t *imp, int k, int dtype, int rank, const int64_t *dims, const void *data);

/* ---- the operator tables (one per onnx_ops*.c file): the dispatcher and docs/ops.md both read them ---- */

typedef struct onnx_op_entry onnx_op_entry_t;
/* Builds imp->node; reads its per-operator argument (arg, mop) from the entry. */
typedef mcu_status_t (*onnx_op_fn)(importer_t *imp, const onnx_op_entry_t *e);
struct onnx_op_entry {
  const char *domain;  /* "ai.onnx" (also matches the empty domain) or "com.microsoft" */
  const char *op_type; /* the node's op_type */
  const char *dtypes;  /* element types the builder accepts, for docs/ops.md (e.g. "f32", "u8, i8 (QOperator)") */
  const char *note;    /* one line for docs/ops.md: what is supported and how it is mapped */
  onnx_op_fn fn;
  int arg;         /* the builder's integer argument (variant selector) */
  const char *mop; /* the builder's mcu op name argument, when it takes one */
};
typedef struct onnx_op_table {
  const onnx_op_entry_t *ops;
  size_t count;
} onnx_op_table_t;

extern const onnx_op_table_t onnx_core_op_table;  /* onnx_ops.c */
extern const onnx_op_table_t onnx_float_op_table; /* onnx_ops_float.c */
extern const onnx_op_table_t onnx_shape_op_table; /* onnx_ops_shape.c */
extern const onnx_op_table_t onnx_ms_op_table;    /* onnx_ops_ms.c */
/* Every table, NULL-terminated (onnx_ops.c). */
extern const onnx_op_table_t *const onnx_op_tables[];
/* The entry for (domain, op_type) (the empty domain is ai.onnx), or NULL. */
const onnx_op_entry_t *onnx_op_lookup(const char *domain, const char *op_type);

#endif
