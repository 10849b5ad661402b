/* tflite_import.c: the TFLite front end's entry: reads the file, walks subgraph 0 and builds func.func @main. */
#include "tflite_import.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Func.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "tensor_file.h"
#include "tflite_import_internal.h"

/* A name for tensor idx: its own, or "tensor_IDX" when empty. */
static const char *tensor_name(timp_t *imp, int32_t idx) {
  const char *n = imp->g->tensors[idx].name;
  if (n[0])
    return n;
  char *buf = tfl_alloc(imp, 32);
  if (!buf)
    return "tensor";
  snprintf(buf, 32, "tensor_%d", (int)idx);
  return buf;
}

static mcu_status_t import_subgraph(timp_t *imp, MlirModule module) {
  const tfl_model_t *m = imp->model;
  const tfl_subgraph_t *g = imp->g;
  mcu_status_t s;
  MlirLocation graph_loc = mlirLocationFileLineColGet(imp->ctx, tfl_sref(imp->path), 0, 0);
  imp->loc = graph_loc;
  imp->values = tfl_alloc(imp, ((size_t)g->num_tensors + 1) * sizeof *imp->values);
  MlirType *arg_types = tfl_alloc(imp, ((size_t)g->num_inputs + 1) * sizeof *arg_types);
  MlirValue *results = tfl_alloc(imp, ((size_t)g->num_outputs + 1) * sizeof *results);
  MlirType *result_types = tfl_alloc(imp, ((size_t)g->num_outputs + 1) * sizeof *result_types);
  if (!imp->values || !arg_types || !results || !result_types)
    return tfl_fail(imp, "out of memory");
  /* inputs: the function's arguments */
  for (int i = 0; i < g->num_inputs; ++i) {
    const tfl_tensor_t *t;
    int32_t idx = g->inputs[i];
    if ((s = tfl_tensor_at(imp, idx, &t)))
      return s;
    if (t->is_variable)
      return tfl_fail(imp, "input '%s' is a variable tensor", t->name);
    if ((s = tfl_type(imp, t, &arg_types[i])))
      return s;
    MlirValue arg = mlirBlockAddArgument(imp->block, arg_types[i], graph_loc);
    if ((s = tfl_define(imp, idx, arg)))
      return s;
  }
  /* operators, in file order (TFLite stores them in execution order) */
  for (int i = 0; i < g->num_operators; ++i) {
    const tfl_operator_t *op = &g->operators[i];
    imp->op_index = i;
    imp->op = op;
    imp->op_name = "?";
    imp->loc = mlirLocationFileLineColGet(imp->ctx, tfl_sref(imp->path), (unsigned)i, 1);
    if (op->opcode_index >= (uint32_t)m->num_opcodes)
      return tfl_fail(imp, "opcode index %u is out of range (%d operator codes)", (unsigned)op->opcode_index,
                      m->num_opcodes);
    const tfl_opcode_t *code = &m->opcodes[op->opcode_index];
    imp->op_name = tfl_builtin_name(code->builtin);
    if (code->builtin == TFL_OP_CUSTOM) {
      char *name = tfl_alloc(imp, 160);
      if (!name)
        return tfl_fail(imp, "out of memory");
      snprintf(name, 160, "CUSTOM '%.128s'", code->custom_code ? code->custom_code : "");
      imp->op_name = name;
    }
    if ((s = tfl_import_operator(imp, code->builtin)))
      return s;
  }
  imp->op_index = -1;
  imp->op = NULL;
  imp->loc = graph_loc;
  /* outputs */
  if (!g->num_outputs)
    return tfl_fail(imp, "subgraph 0 has no outputs");
  for (int i = 0; i < g->num_outputs; ++i) {
    if ((s = tfl_value(imp, g->outputs[i], &results[i])))
      return s;
    result_types[i] = mlirValueGetType(results[i]);
  }
  MlirOperationState rs = mlirOperationStateGet(tfl_sref("func.return"), graph_loc);
  mlirOperationStateAddOperands(&rs, g->num_outputs, results);
  mlirBlockAppendOwnedOperation(imp->block, mlirOperationCreate(&rs));
  /* the function */
  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, imp->block);
  imp->block = (MlirBlock){NULL};
  MlirType ftype = mlirFunctionTypeGet(imp->ctx, g->num_inputs, arg_types, g->num_outputs, result_types);
  MlirNamedAttribute fattrs[2] = {
      mcu_named(imp->ctx, "sym_name", mlirStringAttrGet(imp->ctx, tfl_sref("main"))),
      mcu_named(imp->ctx, "function_type", mlirTypeAttrGet(ftype)),
  };
  MlirOperationState fs = mlirOperationStateGet(tfl_sref("func.func"), graph_loc);
  mlirOperationStateAddAttributes(&fs, 2, fattrs);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  MlirOperation func = mlirOperationCreate(&fs);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), func);
  for (int i = 0; i < g->num_inputs; ++i)
    mlirFuncSetArgAttr(func, i, tfl_sref("mcu.name"),
                       mlirStringAttrGet(imp->ctx, tfl_sref(tensor_name(imp, g->inputs[i]))));
  for (int i = 0; i < g->num_outputs; ++i)
    mlirFuncSetResultAttr(func, i, tfl_sref("mcu.name"),
                          mlirStringAttrGet(imp->ctx, tfl_sref(tensor_name(imp, g->outputs[i]))));
  return NULL;
}

mcu_status_t mcu_tflite_import(MlirContext ctx, const char *path, MlirModule *out_module) {
  uint8_t *buf;
  size_t len;
  mcu_status_t s = mcu_file_read_all(path, &buf, &len);
  if (s)
    return s;
  tfl_model_t model;
  if ((s = tfl_model_read(buf, len, &model))) {
    mcu_status_t e = mcu_status_errorf("%s: not a TFLite model (%s)", path, mcu_status_message(s));
    mcu_status_free(s);
    free(buf);
    return e;
  }
  if (model.num_subgraphs < 1) {
    tfl_model_free(&model);
    free(buf);
    return mcu_status_errorf("%s: not a TFLite model (no subgraph)", path);
  }
  timp_t imp = {.ctx = ctx, .path = path, .model = &model, .g = &model.subgraphs[0], .op_index = -1};
  imp.block = mlirBlockCreate(0, NULL, NULL);
  MlirModule module = mlirModuleCreateEmpty(mlirLocationFileLineColGet(ctx, tfl_sref(path), 0, 0));
  s = import_subgraph(&imp, module);
  if (!mlirBlockIsNull(imp.block))
    mlirBlockDestroy(imp.block);
  if (!s && !mlirOperationVerify(mlirModuleGetOperation(module)))
    s = mcu_status_errorf("%s: internal error: the imported module does not verify", path);
  tfl_importer_free(&imp);
  tfl_model_free(&model);
  free(buf);
  if (s) {
    mlirModuleDestroy(module);
    return s;
  }
  *out_module = module;
  return NULL;
}
