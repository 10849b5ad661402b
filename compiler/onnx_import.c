/* onnx_import.c: reads an ONNX ModelProto (QOperator, QDQ or float) with protobuf-c and walks its graph into a `mcu` module. */
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
                                  const mcu_shape_override_t *pin, int *out_dtype, int *out_rank, int64_t *dims) {
  const char *name = onnx_str(vi->name);
  const Onnx__TypeProto *t = vi->type;
  if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
    return onnx_fail(imp, "%s '%s' is not a tensor", role, name);
  const Onnx__TypeProto__Tensor *tt = t->tensor_type;
  *out_dtype = tt->has_elem_type ? tt->elem_type : 0;
  *out_rank = -1;
  if (!tt->shape && pin) {
    memcpy(dims, pin->dims, sizeof(int64_t) * (size_t)pin->rank);
    *out_rank = pin->rank;
    return NULL;
  }
  if (!tt->shape)
    return need_shape ? onnx_fail(imp, "%s '%s' has an unknown shape%s", role, name,
                                  need_shape ? ": pin it with --shape NAME=DxDx..." : "")
                      : NULL;
  if (tt->shape->n_dim > MCU_MAX_RANK)
    return onnx_fail(imp, "%s '%s' has rank %zu, more than %d", role, name, tt->shape->n_dim, MCU_MAX_RANK);
  if (pin && (size_t)pin->rank != tt->shape->n_dim)
    return onnx_fail(imp, "--shape %s: rank %d, the input has rank %zu", name, pin->rank, tt->shape->n_dim);
  for (size_t i = 0; i < tt->shape->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    int is_value = d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (pin) {
      if (is_value && d->dim_value != pin->dims[i])
        return onnx_fail(imp, "--shape %s: dimension %zu is %lld, the model says %lld", name, i,
                         (long long)pin->dims[i], (long long)d->dim_value);
      if (pin->dims[i] < 1 || pin->dims[i] > MAX_ELEMENTS)
        return onnx_fail(imp, "--shape %s: dimension %zu has size %lld", name, i, (long long)pin->dims[i]);
      dims[i] = pin->dims[i];
      continue;
    }
    if (!is_value) {
      char shape[160] = "";
      for (size_t j = 0; j < tt->shape->n_dim && strlen(shape) < 120; ++j) {
        const Onnx__TensorShapeProto__Dimension *e = tt->shape->dim[j];
        int known = e && e->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && e->dim_value > 0;
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", j ? "x" : "",
                 known ? (long long)e->dim_value : 1LL);
      }
      if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
        return onnx_fail(imp, "%s '%s' dimension %zu is symbolic ('%.64s'): pin it with --shape %s=%s", role, name, i,
                         onnx_str(d->dim_param), name, shape);
      return onnx_fail(imp, "%s '%s' dimension %zu is unknown: pin it with --shape %s=%s", role, name, i, name, shape);
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

/* The declared dtype and shape of a graph output: symbolic or unknown dimensions are left to the computed shape
 * (dims[i] = -1), and an absent shape gives *out_rank = -1. */
static mcu_status_t declared_type_output(importer_t *imp, const Onnx__ValueInfoProto *vi, int *out_dtype,
                                         int *out_rank, int64_t *dims) {
  const char *name = onnx_str(vi->name);
  const Onnx__TypeProto *t = vi->type;
  *out_rank = -1;
  *out_dtype = 0;
  if (!t)
    return NULL; /* no declared type: the computed one */
  if (t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
    return onnx_fail(imp, "output '%s' is not a tensor", name);
  const Onnx__TypeProto__Tensor *tt = t->tensor_type;
  *out_dtype = tt->has_elem_type ? tt->elem_type : 0;
  if (!tt->shape)
    return NULL;
  if (tt->shape->n_dim > MCU_MAX_RANK)
    return onnx_fail(imp, "output '%s' has rank %zu, more than %d", name, tt->shape->n_dim, MCU_MAX_RANK);
  for (size_t i = 0; i < tt->shape->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    dims[i] = d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d->dim_value : -1;
  }
  *out_rank = (int)tt->shape->n_dim;
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
                                 int num_bindings, const mcu_shape_override_t *shapes, int num_shapes,
                                 MlirModule module) {
  mcu_status_t s;
  imp->graph = g;
  /* every --shape must name a graph input that is neither an initializer nor bound */
  for (int i = 0; i < num_shapes; ++i) {
    const char *name = onnx_str(shapes[i].input_name);
    int found = 0;
    for (size_t j = 0; j < g->n_input && !found; ++j)
      found = g->input[j] && !strcmp(onnx_str(g->input[j]->name), name);
    if (!found)
      return onnx_fail(imp, "--shape %s: the model has no graph input named '%s'", name, name);
    if (shapes[i].rank < 0 || shapes[i].rank > MCU_MAX_RANK)
      return onnx_fail(imp, "--shape %s: bad rank %d", name, shapes[i].rank);
  }
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
    const mcu_shape_override_t *pin = NULL;
    for (int k = 0; k < num_shapes; ++k)
      if (!strcmp(onnx_str(shapes[k].input_name), vi->name))
        pin = &shapes[k];
    if ((s = declared_type(imp, vi, "input", 1, pin, &proto.dtype, &proto.rank, proto.dims)))
      return s;
    mcu_onnx_shape_count(proto.rank, proto.dims, &proto.count);
    MlirType elem = onnx_default_elem(imp, proto.dtype);
    if (proto.dtype == DT_INT64) /* shapes, axes, sizes, indices: read at import time */
      return onnx_fail(imp, "input '%s' has dtype INT64: it must be a constant (an initializer or a --bind input)",
                       vi->name);
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
    imp->node_index = (int)i;
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
    if ((s = declared_type_output(imp, vi, &dtype, &rank, dims)))
      return s;
    int k = onnx_name_lookup(imp, vi->name);
    if (k < 0)
      return onnx_fail(imp, "output '%s' is not computed by any node", vi->name);
    value_t *v = imp->values[k];
    if (dtype && dtype != v->dtype)
      return onnx_fail(imp, "output '%s' is declared %s but computed as %s", vi->name, mcu_onnx_dtype_name(dtype),
                       mcu_onnx_dtype_name(v->dtype));
    int same = rank == v->rank;
    for (int d = 0; same && d < rank; ++d)
      same = dims[d] < 0 || dims[d] == v->dims[d];
    if (rank >= 0 && !same) {
      char a[128], b[128];
      for (int d = 0; d < rank; ++d)
        dims[d] = dims[d] < 0 ? 0 : dims[d];
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
  return mcu_onnx_import_shaped(ctx, path, bindings, num_bindings, NULL, 0, out_module);
}

/* The default-domain opset the model imports (1 when it states none, as the ONNX spec says). */
static int64_t default_opset(const Onnx__ModelProto *m) {
  for (size_t i = 0; i < m->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    if (o && (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx")) && o->has_version)
      return o->version;
  }
  return 1;
}

mcu_status_t mcu_onnx_import_shaped(MlirContext ctx, const char *path, const mcu_binding_t *bindings,
                                    int num_bindings, const mcu_shape_override_t *shapes, int num_shapes,
                                    MlirModule *out_module) {
  if (num_bindings < 0 || (num_bindings && !bindings))
    return mcu_status_errorf("%s: bad bindings", path);
  if (num_shapes < 0 || (num_shapes && !shapes))
    return mcu_status_errorf("%s: bad shape overrides", path);
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
  importer_t imp = {.ctx = ctx, .path = path, .opset = default_opset(model)};
  imp.block = mlirBlockCreate(0, NULL, NULL);
  MlirModule module = mlirModuleCreateEmpty(mlirLocationFileLineColGet(ctx, onnx_sref(path), 0, 0));
  s = import_graph(&imp, model->graph, bindings, num_bindings, shapes, num_shapes, module);
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

