/* onnx_node.c: the ONNX importer's view of the current node: inputs, outputs, attributes, quantization parameters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

/* ---- nodes: inputs, outputs, attributes ---- */

/* Input k of the current node: NULL (and no error) when absent or empty and !required. */
mcu_status_t onnx_node_input(importer_t *imp, int k, int required, value_t **out) {
  *out = NULL;
  const Onnx__NodeProto *n = imp->node;
  const char *name = (size_t)k < n->n_input ? onnx_str(n->input[k]) : "";
  if (!*name)
    return required ? onnx_fail(imp, "input %d is missing", k) : NULL;
  int i = onnx_name_lookup(imp, name);
  if (i < 0)
    return onnx_fail(imp, "input '%s' is not defined before this node", name);
  *out = imp->values[i];
  return NULL;
}

mcu_status_t onnx_node_output(importer_t *imp, const value_t *proto, value_t **out) {
  const Onnx__NodeProto *n = imp->node;
  if (n->n_output < 1 || !n->output[0] || !*n->output[0])
    return onnx_fail(imp, "the node has no output");
  return onnx_value_add(imp, n->output[0], proto, out);
}

mcu_status_t onnx_node_output_k(importer_t *imp, int k, const value_t *proto, value_t **out) {
  const Onnx__NodeProto *n = imp->node;
  if (k < 0 || (size_t)k >= n->n_output || !n->output[k] || !*n->output[k])
    return onnx_fail(imp, "the node has no output %d", k);
  return onnx_value_add(imp, n->output[k], proto, out);
}

int onnx_use_count(const importer_t *imp, const char *name) {
  int c = 0;
  const Onnx__GraphProto *g = imp->graph;
  if (!g)
    return 0;
  for (size_t i = 0; i < g->n_node; ++i)
    for (size_t j = 0; g->node[i] && j < g->node[i]->n_input; ++j)
      c += g->node[i]->input[j] && !strcmp(g->node[i]->input[j], name);
  for (size_t i = 0; i < g->n_output; ++i)
    c += g->output[i] && g->output[i]->name && !strcmp(g->output[i]->name, name);
  return c;
}

const Onnx__AttributeProto *onnx_find_attr(importer_t *imp, const char *name) {
  for (size_t i = 0; i < imp->node->n_attribute; ++i) {
    const Onnx__AttributeProto *a = imp->node->attribute[i];
    if (a && a->name && !strcmp(a->name, name))
      return a;
  }
  return NULL;
}

mcu_status_t onnx_attr_check(importer_t *imp, const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType t,
                             const char *kind) {
  if (!a->has_type || a->type != t)
    return onnx_fail(imp, "attribute '%s' must be %s", a->name, kind);
  return NULL;
}

/* Attribute `name` of the current node, checked to have type `t`; *out NULL (and no error) when absent. */
static mcu_status_t typed_attr(importer_t *imp, const char *name, Onnx__AttributeProto__AttributeType t,
                               const char *kind, const Onnx__AttributeProto **out) {
  *out = onnx_find_attr(imp, name);
  return *out ? onnx_attr_check(imp, *out, t, kind) : NULL;
}

mcu_status_t onnx_attr_int(importer_t *imp, const char *name, int64_t fallback, int64_t *out) {
  const Onnx__AttributeProto *a;
  mcu_status_t s = typed_attr(imp, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, "an int", &a);
  *out = !s && a ? a->i : fallback;
  return s;
}

mcu_status_t onnx_attr_str(importer_t *imp, const char *name, const char *fallback, char *buf, size_t cap) {
  const Onnx__AttributeProto *a;
  mcu_status_t s = typed_attr(imp, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, "a string", &a);
  if (s)
    return s;
  if (!a) {
    snprintf(buf, cap, "%s", fallback);
    return NULL;
  }
  if (a->s.len >= cap || (a->s.len && memchr(a->s.data, 0, a->s.len)))
    return onnx_fail(imp, "attribute '%s' has an unsupported value", name);
  if (a->s.len)
    memcpy(buf, a->s.data, a->s.len);
  buf[a->s.len] = 0;
  return NULL;
}

mcu_status_t onnx_attr_float(importer_t *imp, const char *name, float fallback, float *out) {
  const Onnx__AttributeProto *a;
  mcu_status_t s = typed_attr(imp, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float", &a);
  *out = !s && a ? a->f : fallback;
  if (!s && !isfinite(*out))
    return onnx_fail(imp, "attribute '%s' is not finite", name);
  return s;
}

mcu_status_t onnx_input_ints(importer_t *imp, int k, int required, int max, int64_t *out, int *out_n) {
  value_t *v;
  *out_n = -1;
  mcu_status_t s = onnx_node_input(imp, k, required, &v);
  if (s || !v)
    return s;
  if (!v->data)
    return onnx_fail(imp, "input '%s' must be a constant (an initializer or a --bind input)", v->name);
  if ((v->dtype != DT_INT64 && v->dtype != DT_INT32) || v->rank > 1)
    return onnx_fail(imp, "input '%s' must be a scalar or 1-D INT64 tensor", v->name);
  if (v->count > max)
    return onnx_fail(imp, "input '%s' has %lld values, at most %d are supported", v->name, (long long)v->count, max);
  for (int64_t i = 0; i < v->count; ++i)
    out[i] = onnx_data_i64(v, i);
  *out_n = (int)v->count;
  return NULL;
}

/* Copies exactly `n` ints of attribute `name` into out; leaves out as is when absent. */
mcu_status_t onnx_attr_ints(importer_t *imp, const char *name, size_t n, int64_t *out) {
  const Onnx__AttributeProto *a;
  mcu_status_t s = typed_attr(imp, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, "a list of ints", &a);
  if (s || !a)
    return s;
  if (a->n_ints != n)
    return onnx_fail(imp, "attribute '%s' has %zu values, expected %zu", name, a->n_ints, n);
  memcpy(out, a->ints, n * sizeof *out);
  return NULL;
}

/* Normalises an axis in [-rank, rank + extra) to [0, rank + extra). */
mcu_status_t onnx_norm_axis(importer_t *imp, int64_t axis, int rank, int extra, int *out) {
  if (axis < -rank || axis >= rank + extra)
    return onnx_fail(imp, "axis %lld out of range for rank %d", (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return NULL;
}

/* ---- quantization parameters ---- */

static mcu_status_t need_const(importer_t *imp, const value_t *v, const char *role) {
  if (!v->data)
    return onnx_fail(imp, "%s '%s' must be a constant (an initializer or a --bind input)", role, v->name);
  if (v->rank > 1)
    return onnx_fail(imp, "%s '%s' must be a scalar or 1-D", role, v->name);
  if (v->count < 1)
    return onnx_fail(imp, "%s '%s' is empty", role, v->name);
  return NULL;
}

/* Reads the scale (input si, required) and zero point (input zi, optional: then `default_dtype` with zero point
 * 0) of a quantized operand. Sizes are 1 or one common n (a size-1 one is broadcast). */
mcu_status_t onnx_read_qparams(importer_t *imp, int si, int zi, int default_dtype, const char *role, qparams_t *out) {
  value_t *sv, *zv;
  mcu_status_t s = onnx_node_input(imp, si, 1, &sv);
  if (!s)
    s = onnx_node_input(imp, zi, 0, &zv);
  if (s)
    return s;
  char what[64];
  snprintf(what, sizeof what, "%s scale", role);
  if ((s = need_const(imp, sv, what)))
    return s;
  if (sv->dtype != DT_FLOAT)
    return onnx_fail(imp, "%s '%s' has dtype %s, expected FLOAT", what, sv->name, mcu_onnx_dtype_name(sv->dtype));
  int64_t n = sv->count;
  out->dtype = default_dtype;
  if (zv) {
    snprintf(what, sizeof what, "%s zero point", role);
    if ((s = need_const(imp, zv, what)))
      return s;
    if (!onnx_is_q8(zv->dtype))
      return onnx_fail(imp, "%s '%s' has dtype %s, only UINT8 and INT8 are supported", what, zv->name,
                       mcu_onnx_dtype_name(zv->dtype));
    if (zv->count != n && zv->count != 1 && n != 1)
      return onnx_fail(imp, "%s scale has %lld values but its zero point %lld", role, (long long)n,
                       (long long)zv->count);
    if (zv->count > n)
      n = zv->count;
    out->dtype = zv->dtype;
  }
  out->n = (int)n;
  out->scales = onnx_alloc(imp, (size_t)n * sizeof *out->scales);
  out->zps = onnx_alloc(imp, (size_t)n * sizeof *out->zps);
  if (!out->scales || !out->zps)
    return onnx_oom(imp);
  for (int64_t i = 0; i < n; ++i) {
    float f = onnx_data_f32(sv, sv->count == 1 ? 0 : i);
    if (!(f > 0.0f) || isinf(f))
      return onnx_fail(imp, "%s scale %g is not positive and finite", role, (double)f);
    out->scales[i] = (double)f;
    out->zps[i] = zv ? onnx_data_i64(zv, zv->count == 1 ? 0 : i) : 0;
  }
  return NULL;
}

MlirType onnx_qtype(importer_t *imp, const qparams_t *q, int axis) {
  return onnx_quant_type(imp, q->dtype, q->n, q->scales, q->zps, axis);
}

/* Reads per-tensor parameters. */
mcu_status_t onnx_read_qparams1(importer_t *imp, int si, int zi, int default_dtype, const char *role,
                                qparams_t *out) {
  mcu_status_t s = onnx_read_qparams(imp, si, zi, default_dtype, role, out);
  if (!s && out->n != 1)
    return onnx_fail(imp, "%s has %d scales; only per-tensor quantization is supported here", role, out->n);
  return s;
}

mcu_status_t onnx_need_q8(importer_t *imp, const value_t *v, const char *role) {
  if (!onnx_is_q8(v->dtype))
    return onnx_fail(imp, "%s '%s' has dtype %s, only UINT8 and INT8 are supported", role, v->name,
                     mcu_onnx_dtype_name(v->dtype));
  return NULL;
}
