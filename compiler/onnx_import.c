/* onnx_import.c: reads an ONNX ModelProto (QOperator form) with protobuf-c and walks its graph into a `mcu` module. */
#include "onnx_import.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Func.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "onnx_internal.h"
#include "tensor_file.h"

/* ---- the graph ---- */

/* The declared dtype and static shape of a graph input or output. `need_shape` 0 accepts an absent shape
 * (*out_rank = -1); a dim that is symbolic or unknown is always an error. */
static mcu_status_t declared_type(importer_t *imp, const Onnx__ValueInfoProto *vi, const char *role, int need_shape,
                                  int *out_dtype, int *out_rank, int64_t *dims) {
  const char *name = onnx_str(vi->name);
  const Onnx__TypeProto *t = vi->type;
  if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
    return onnx_fail(imp, "%s '%s' is not a tensor", role, name);
  const Onnx__TypeProto__Tensor *tt = t->tensor_type;
  *out_dtype = tt->has_elem_type ? tt->elem_type : 0;
  *out_rank = -1;
  if (!tt->shape)
    return need_shape ? onnx_fail(imp, "%s '%s' has an unknown shape", role, name) : NULL;
  if (tt->shape->n_dim > MCU_MAX_RANK)
    return onnx_fail(imp, "%s '%s' has rank %zu, more than %d", role, name, tt->shape->n_dim, MCU_MAX_RANK);
  for (size_t i = 0; i < tt->shape->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (!d || d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
        return onnx_fail(imp, "%s '%s': dim %zu is symbolic ('%s'); static shapes only", role, name, i,
                         onnx_str(d->dim_param));
      return onnx_fail(imp, "%s '%s': dim %zu is unknown; static shapes only", role, name, i);
    }
    if (d->dim_value < 1 || d->dim_value > MAX_ELEMENTS)
      return onnx_fail(imp, "%s '%s': dim %zu has size %lld", role, name, i, (long long)d->dim_value);
    dims[i] = d->dim_value;
  }
  *out_rank = (int)tt->shape->n_dim;
  int64_t count;
  if (!mcu_onnx_shape_count(*out_rank, dims, &count))
    return onnx_fail(imp, "%s '%s' is too large", role, name);
  return NULL;
}

static mcu_status_t bind_tensor(importer_t *imp, const Onnx__GraphProto *g, const mcu_binding_t *b) {
  const char *name = onnx_str(b->input_name);
  const Onnx__ValueInfoProto *vi = NULL;
  for (size_t i = 0; i < g->n_input && !vi; ++i)
    if (g->input[i] && !strcmp(onnx_str(g->input[i]->name), name))
      vi = g->input[i];
  if (!vi)
    return onnx_fail(imp, "--bind %s: the model has no graph input named '%s'", name, name);
  uint8_t *buf;
  size_t len;
  mcu_status_t s = mcu_file_read_all(onnx_str(b->tensor_path), &buf, &len);
  if (s)
    return s;
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  if (!t)
    return mcu_status_errorf("%s: not an ONNX tensor (protobuf parse failed)", onnx_str(b->tensor_path));
  char what[512];
  snprintf(what, sizeof what, "--bind %s (%s)", name, onnx_str(b->tensor_path));
  value_t proto, *v;
  s = onnx_value_decode(imp, t, what, &proto);
  onnx__tensor_proto__free_unpacked(t, NULL);
  if (s)
    return s;
  /* The tensor must match what the graph declares (symbolic dims accept any size). */
  const Onnx__TypeProto *tp = vi->type;
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type) {
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type && tt->elem_type != proto.dtype)
      return onnx_fail(imp, "%s: dtype %s, the input is declared %s", what, mcu_onnx_dtype_name(proto.dtype),
                       mcu_onnx_dtype_name(tt->elem_type));
    if (tt->shape) {
      int ok = tt->shape->n_dim == (size_t)proto.rank;
      for (int i = 0; ok && i < proto.rank; ++i) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value != proto.dims[i])
          ok = 0;
      }
      if (!ok)
        return onnx_fail(imp, "%s: the tensor's shape differs from the input's declared shape", what);
    }
  }
  proto.pending_src = -1;
  return onnx_value_add(imp, name, &proto, &v);
}

static mcu_status_t import_graph(importer_t *imp, const Onnx__GraphProto *g, const mcu_binding_t *bindings,
                                 int num_bindings, MlirModule module) {
  mcu_status_t s;
  MlirLocation graph_loc = mlirLocationFileLineColGet(imp->ctx, onnx_sref(imp->path), 0, 0);
  imp->loc = graph_loc;
  if (g->n_sparse_initializer)
    return onnx_fail(imp, "sparse initializers are not supported");
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    if (!t || !t->name || !*t->name)
      return onnx_fail(imp, "initializer %zu has no name", i);
    char what[256];
    snprintf(what, sizeof what, "initializer '%.200s'", t->name);
    value_t proto, *v;
    if ((s = onnx_value_decode(imp, t, what, &proto)))
      return s;
    proto.pending_src = -1;
    if ((s = onnx_value_add(imp, t->name, &proto, &v)))
      return s;
  }
  for (int i = 0; i < num_bindings; ++i)
    if ((s = bind_tensor(imp, g, &bindings[i])))
      return s;
  /* graph inputs that are neither initializers nor bound: the function's arguments */
  int num_args = 0;
  MlirType *arg_types = onnx_alloc(imp, (g->n_input + 1) * sizeof *arg_types);
  const char **arg_names = onnx_alloc(imp, (g->n_input + 1) * sizeof *arg_names);
  if (!arg_types || !arg_names)
    return onnx_oom(imp);
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (!vi || !vi->name || !*vi->name)
      return onnx_fail(imp, "graph input %zu has no name", i);
    if (onnx_name_lookup(imp, vi->name) >= 0)
      continue; /* an initializer or bound */
    value_t proto = {.pending_src = -1}, *v;
    if ((s = declared_type(imp, vi, "input", 1, &proto.dtype, &proto.rank, proto.dims)))
      return s;
    mcu_onnx_shape_count(proto.rank, proto.dims, &proto.count);
    MlirType elem = onnx_default_elem(imp, proto.dtype);
    if (mlirTypeIsNull(elem))
      return onnx_fail(imp, "input '%s' has dtype %s, only FLOAT, UINT8, INT8 and INT32 are supported", vi->name,
                       mcu_onnx_dtype_name(proto.dtype));
    proto.pending = onnx_is_q8(proto.dtype);
    if ((s = onnx_value_add(imp, vi->name, &proto, &v)))
      return s;
    v->nchw = mlirBlockAddArgument(imp->block, onnx_tensor_type(v->rank, v->dims, elem), graph_loc);
    arg_names[num_args++] = vi->name;
  }
  /* nodes */
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    if (!n)
      return onnx_fail(imp, "node %zu is empty", i);
    imp->node = n;
    if (n->name && *n->name) {
      imp->node_name = n->name;
    } else {
      size_t len = strlen(onnx_str(n->op_type)) + 24;
      char *name = onnx_alloc(imp, len);
      if (!name)
        return onnx_oom(imp);
      snprintf(name, len, "%s_%zu", onnx_str(n->op_type), i);
      imp->node_name = name;
    }
    imp->loc = mlirLocationFileLineColGet(imp->ctx, onnx_sref(imp->path), (unsigned)(i + 1), 1);
    if ((s = onnx_import_node(imp)))
      return s;
  }
  imp->node = NULL;
  imp->loc = graph_loc;
  /* outputs */
  if (!g->n_output)
    return onnx_fail(imp, "the graph has no outputs");
  MlirValue *results = onnx_alloc(imp, g->n_output * sizeof *results);
  MlirType *result_types = onnx_alloc(imp, g->n_output * sizeof *result_types);
  if (!results || !result_types)
    return onnx_oom(imp);
  for (size_t i = 0; i < g->n_output; ++i) {
    const Onnx__ValueInfoProto *vi = g->output[i];
    if (!vi || !vi->name || !*vi->name)
      return onnx_fail(imp, "graph output %zu has no name", i);
    int dtype, rank;
    int64_t dims[MCU_MAX_RANK];
    if ((s = declared_type(imp, vi, "output", 0, &dtype, &rank, dims)))
      return s;
    int k = onnx_name_lookup(imp, vi->name);
    if (k < 0)
      return onnx_fail(imp, "output '%s' is not computed by any node", vi->name);
    value_t *v = imp->values[k];
    if (dtype && dtype != v->dtype)
      return onnx_fail(imp, "output '%s' is declared %s but computed as %s", vi->name, mcu_onnx_dtype_name(dtype),
                       mcu_onnx_dtype_name(v->dtype));
    if (rank >= 0 && (rank != v->rank || memcmp(dims, v->dims, sizeof(int64_t) * (size_t)rank))) {
      char a[128], b[128];
      onnx_shape_str(rank, dims, a, sizeof a);
      onnx_shape_str(v->rank, v->dims, b, sizeof b);
      return onnx_fail(imp, "output '%s' is declared %s but computed as %s", vi->name, a, b);
    }
    if ((s = onnx_get_nchw(imp, v, (MlirType){NULL}, &results[i])))
      return s;
  }
  for (size_t i = 0; i < g->n_output; ++i)
    result_types[i] = mlirValueGetType(results[i]);
  for (int i = 0; i < num_args; ++i)
    arg_types[i] = mlirValueGetType(mlirBlockGetArgument(imp->block, i));
  MlirOperationState rs = mlirOperationStateGet(onnx_sref("func.return"), graph_loc);
  mlirOperationStateAddOperands(&rs, (intptr_t)g->n_output, results);
  mlirBlockAppendOwnedOperation(imp->block, mlirOperationCreate(&rs));
  /* the function */
  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, imp->block);
  imp->block = (MlirBlock){NULL};
  MlirType ftype = mlirFunctionTypeGet(imp->ctx, num_args, arg_types, (intptr_t)g->n_output, result_types);
  MlirNamedAttribute fattrs[2] = {
      mcu_named(imp->ctx, "sym_name", mlirStringAttrGet(imp->ctx, onnx_sref("main"))),
      mcu_named(imp->ctx, "function_type", mlirTypeAttrGet(ftype)),
  };
  MlirOperationState fs = mlirOperationStateGet(onnx_sref("func.func"), graph_loc);
  mlirOperationStateAddAttributes(&fs, 2, fattrs);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  MlirOperation func = mlirOperationCreate(&fs);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), func);
  for (int i = 0; i < num_args; ++i)
    mlirFuncSetArgAttr(func, i, onnx_sref("mcu.name"), mlirStringAttrGet(imp->ctx, onnx_sref(arg_names[i])));
  for (size_t i = 0; i < g->n_output; ++i)
    mlirFuncSetResultAttr(func, (intptr_t)i, onnx_sref("mcu.name"),
                          mlirStringAttrGet(imp->ctx, onnx_sref(g->output[i]->name)));
  return NULL;
}

mcu_status_t mcu_onnx_import(MlirContext ctx, const char *path, const mcu_binding_t *bindings, int num_bindings,
                             MlirModule *out_module) {
  if (num_bindings < 0 || (num_bindings && !bindings))
    return mcu_status_errorf("%s: bad bindings", path);
  uint8_t *buf;
  size_t len;
  mcu_status_t s = mcu_file_read_all(path, &buf, &len);
  if (s)
    return s;
  Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  if (!model)
    return mcu_status_errorf("%s: not an ONNX model (protobuf parse failed)", path);
  if (!model->has_ir_version || !model->graph) {
    onnx__model_proto__free_unpacked(model, NULL);
    return mcu_status_errorf("%s: not an ONNX model (no ir_version or no graph)", path);
  }
  importer_t imp = {.ctx = ctx, .path = path};
  imp.block = mlirBlockCreate(0, NULL, NULL);
  MlirModule module = mlirModuleCreateEmpty(mlirLocationFileLineColGet(ctx, onnx_sref(path), 0, 0));
  s = import_graph(&imp, model->graph, bindings, num_bindings, module);
  if (!mlirBlockIsNull(imp.block))
    mlirBlockDestroy(imp.block);
  if (!s && !mlirOperationVerify(mlirModuleGetOperation(module)))
    s = mcu_status_errorf("%s: internal error: the imported module does not verify", path);
  onnx_importer_free(&imp);
  onnx__model_proto__free_unpacked(model, NULL);
  if (s) {
    mlirModuleDestroy(module);
    return s;
  }
  *out_module = module;
  return NULL;
}

