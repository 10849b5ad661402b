/* lower.c: reads the planned @main function into an mcu_program_t (tensors with storage, layers in order). */
#include "lower.h"

#include <math.h>
#include <stddef.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Dialect/Quant.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "kernel_call.h"
#include "kernel_select.h"
#include "op_memo.h"
#include "prepare_onnx.h"
#include "prepare_tflite.h"
#include "zero_bytes.h"

typedef struct {
  mcu_program_t *p;
  MlirValue *values; /* values[i] is the IR value of tensor i (null for tensors made here) */
  int cap_tensors, cap_layers;
  int alone; /* mcu_lower_op_kernel: one op without a plan (no offsets expected) */
  int inplace_as; /* mcu_lower_op_kernel_inplace: 1 + the mcu.inplace operand assumed; 0: the op's attribute */
  uint32_t borrowed; /* lowering alone: bit i set when tensor i's data belongs to the memo (not to the program) */
} lowering_t;

static char *dup_ref(MlirStringRef s) {
  char *d = malloc(s.length + 1);
  if (d) {
    memcpy(d, s.data, s.length);
    d[s.length] = 0;
  }
  return d;
}

static char *dup_c(const char *s) { return dup_ref(mlirStringRefCreateFromCString(s)); }

static char *op_name(MlirOperation op) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.name"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAString(a)) return dup_ref(mlirStringAttrGetValue(a));
  return dup_ref(mlirIdentifierStr(mlirOperationGetName(op)));
}

/* Fills dtype, shape and quantization of `t` from a ranked tensor type. */
static mcu_status_t tensor_from_type(MlirType type, mcu_tensor_t *t) {
  if (!mlirTypeIsARankedTensor(type) || !mlirShapedTypeHasStaticShape(type))
    return mcu_status_errorf("tensor without a static shape");
  intptr_t rank = mlirShapedTypeGetRank(type);
  if (rank > MCU_MAX_RANK) return mcu_status_errorf("rank %d above the supported %d", (int)rank, MCU_MAX_RANK);
  t->rank = (int)rank;
  MlirType el = mlirShapedTypeGetElementType(type);
  int64_t bytes = mcu_element_bytes(el); /* mcu_type_bytes from what is read here (fewer type queries) */
  for (intptr_t i = 0; i < rank; ++i) {
    int64_t d = mlirShapedTypeGetDimSize(type, i);
    if (d < 0 || d > INT32_MAX) return mcu_status_errorf("dimension %d of size %lld", (int)i, (long long)d);
    t->shape[i] = (int32_t)d;
    if (bytes >= 0) bytes = d > 0 && bytes > INT64_MAX / d ? -1 : bytes * d;
  }
  if (bytes < 0 || bytes > (int64_t)UINT32_MAX)
    return mcu_status_errorf("tensor of unsupported element type or too large");
  t->quant_axis = -1;
  if (mlirTypeIsAQuantizedType(el)) {
    if (mlirQuantizedTypeGetStorageTypeIntegralWidth(el) != 8)
      return mcu_status_errorf("quantized storage of %u bits (only 8 is supported)",
                               mlirQuantizedTypeGetStorageTypeIntegralWidth(el));
    t->dtype = mlirQuantizedTypeIsSigned(el) ? MCU_DT_I8 : MCU_DT_U8;
    if (mlirTypeIsAUniformQuantizedType(el)) {
      t->num_scales = 1;
    } else if (mlirTypeIsAUniformQuantizedPerAxisType(el)) {
      t->num_scales = (int)mlirUniformQuantizedPerAxisTypeGetNumDims(el);
      t->quant_axis = mlirUniformQuantizedPerAxisTypeGetQuantizedDimension(el);
      if (t->quant_axis < 0 || t->quant_axis >= t->rank || t->num_scales != t->shape[t->quant_axis])
        return mcu_status_errorf("per-axis quantization on axis %d with %d scales does not fit the shape",
                                 t->quant_axis, t->num_scales);
    } else {
      return mcu_status_errorf("quantized type other than uniform");
    }
    t->scales = malloc(sizeof *t->scales * (size_t)t->num_scales);
    t->zero_points = malloc(sizeof *t->zero_points * (size_t)t->num_scales);
    if (!t->scales || !t->zero_points) return mcu_status_errorf("out of memory");
    for (int i = 0; i < t->num_scales; ++i) {
      double s = t->quant_axis < 0 ? mlirUniformQuantizedTypeGetScale(el) : mlirUniformQuantizedPerAxisTypeGetScale(el, i);
      int64_t z = t->quant_axis < 0 ? mlirUniformQuantizedTypeGetZeroPoint(el)
                                    : mlirUniformQuantizedPerAxisTypeGetZeroPoint(el, i);
      if (!(s > 0) || !isfinite(s)) return mcu_status_errorf("quantization scale %g is not positive and finite", s);
      if (z < mlirQuantizedTypeGetStorageTypeMin(el) || z > mlirQuantizedTypeGetStorageTypeMax(el))
        return mcu_status_errorf("zero point %lld outside the storage range", (long long)z);
      t->scales[i] = s;
      t->zero_points[i] = (int32_t)z;
    }
  } else if (mlirTypeIsAInteger(el) && mlirIntegerTypeGetWidth(el) == 8) {
    t->dtype = mlirIntegerTypeIsUnsigned(el) ? MCU_DT_U8 : MCU_DT_I8;
  } else if (mlirTypeIsAInteger(el) && mlirIntegerTypeGetWidth(el) == 32) {
    t->dtype = MCU_DT_I32;
  } else if (mlirTypeIsAF32(el)) {
    t->dtype = MCU_DT_F32;
  } else {
    return mcu_status_errorf("unsupported element type");
  }
  return NULL;
}

static mcu_status_t add_tensor(lowering_t *L, MlirType type, MlirValue v, char *name, int *out_index) {
  mcu_program_t *p = L->p;
  if (p->num_tensors == L->cap_tensors) {
    int cap = L->cap_tensors ? 2 * L->cap_tensors : 16;
    mcu_tensor_t *t = realloc(p->tensors, sizeof *t * (size_t)cap);
    MlirValue *vals = t ? realloc(L->values, sizeof *vals * (size_t)cap) : NULL;
    if (t) p->tensors = t;
    if (!t || !vals) {
      free(name);
      return mcu_status_errorf("out of memory");
    }
    L->values = vals;
    L->cap_tensors = cap;
  }
  mcu_tensor_t *t = &p->tensors[p->num_tensors];
  memset(t, 0, sizeof *t);
  t->live_first = t->live_last = -1;
  t->name = name ? name : dup_ref(mlirStringRefCreateFromCString(""));
  L->values[p->num_tensors] = v;
  *out_index = p->num_tensors++;
  return tensor_from_type(type, t);
}

/* The pool (mcu_program_t.pools) that attribute `attr` (plan-memory's "mcu.pool" / "mcu.scratch_pool") names on
 * op: 0 when absent, -1 when it names no pool of the program. */
static int pool_index(const mcu_program_t *p, MlirOperation op, const char *attr) {
  if (p->num_pools == 0) return 0; /* no pools (or lowered alone): the arena, whatever op says */
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(attr));
  if (mlirAttributeIsNull(a)) return 0;
  if (!mlirAttributeIsAString(a)) return -1;
  MlirStringRef r = mlirStringAttrGetValue(a);
  for (int k = 0; k < p->num_pools; ++k)
    if (strlen(p->pools[k].name) == r.length && !strncmp(p->pools[k].name, r.data, r.length)) return k;
  return -1;
}

/* The tensor of IR value v, -1 when none. Each value has at most one tensor (add_tensor is called once per value),
 * so the search runs from the newest tensor back: an op's operands are mostly the latest results. */
static int find_tensor(const lowering_t *L, MlirValue v) {
  for (int i = L->p->num_tensors - 1; i >= 0; --i)
    if (L->values[i].ptr && L->values[i].ptr == v.ptr) return i; /* mlirValueEqual compares the pointers */
  return -1;
}

static mcu_status_t add_layer(lowering_t *L, mcu_op_t op, char *name, mcu_layer_t **out_layer) {
  mcu_program_t *p = L->p;
  if (p->num_layers == L->cap_layers) {
    int cap = L->cap_layers ? 2 * L->cap_layers : 16;
    mcu_layer_t *l = realloc(p->layers, sizeof *l * (size_t)cap);
    if (!l) {
      free(name);
      return mcu_status_errorf("out of memory");
    }
    p->layers = l;
    L->cap_layers = cap;
  }
  mcu_layer_t *l = &p->layers[p->num_layers++];
  memset(l, 0, sizeof *l);
  l->name = name;
  l->op = op;
  l->groups = 1;
  l->stride[0] = l->stride[1] = l->dilation[0] = l->dilation[1] = 1;
  l->fact_min = -INFINITY;
  l->fact_max = INFINITY;
  *out_layer = l;
  return NULL;
}

/* The constant's raw bytes: a splat is expanded; the attribute's element width must match the storage. Lowering
 * an op alone under a memo (the passes' questions), the bytes are kept in the memo, keyed by the uniqued value
 * attribute (equal pointers, equal contents), and later questions about ops reading the same constant borrow
 * them instead of copying them again (L->borrowed; the program must not free them). */
static mcu_status_t constant_data(lowering_t *L, MlirOperation op, mcu_tensor_t *t, int ti) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a)) return mcu_status_errorf("constant without dense value");
  int64_t bytes = mcu_tensor_bytes(t), esize = (int64_t)mcu_dtype_size(t->dtype);
  if (mcu_type_bytes(mlirAttributeGetType(a)) != bytes)
    return mcu_status_errorf("constant value does not match its result type");
  const int splat = mlirDenseElementsAttrIsSplat(a);
  const uint8_t *raw = mlirDenseElementsAttrGetRawData(a);
  int zero = splat; /* a zero splat (the cost queries' weights) */
  for (int64_t i = 0; zero && i < esize && i < bytes; ++i) zero = raw[i] == 0;
  const uint8_t *zeros = zero ? mcu_zero_bytes(bytes + 1) : NULL;
  if (zeros) { /* the shared read-only zeros, neither allocated nor cleared */
    t->data = (uint8_t *)zeros; /* never written (constants are read only); mcu_program_destroy keeps it */
    t->splat = 1;
    return NULL;
  }
  mcu_op_memo_t *memo = L->alone && ti < 32 ? mcu_op_memo_current() : NULL;
  const uintptr_t key[2] = {(uintptr_t)a.ptr, (uintptr_t)bytes};
  const uint8_t *kept = memo ? mcu_op_memo_get_bytes(memo, key, 2) : NULL;
  if (kept) {
    t->data = (uint8_t *)kept;
    t->splat = splat;
    L->borrowed |= 1u << ti;
    return NULL;
  }
  /* a zero splat the shared block cannot hold: calloc, which fresh pages need not even write */
  t->data = zero ? calloc((size_t)bytes + 1, 1) : malloc((size_t)bytes + 1);
  if (!t->data) return mcu_status_errorf("out of memory");
  t->splat = splat;
  if (zero) {
    /* already the value */
  } else if (splat) {
    /* one element, then doubling copies (one memcpy per element is slow on large splat filters) */
    if (bytes > 0) memcpy(t->data, raw, (size_t)(esize < bytes ? esize : bytes));
    for (int64_t have = esize; have < bytes; have *= 2)
      memcpy(t->data + have, t->data, (size_t)(have < bytes - have ? have : bytes - have));
  } else {
    memcpy(t->data, raw, (size_t)bytes);
  }
  if (memo && !mcu_op_memo_put_bytes(memo, key, 2, t->data, (size_t)bytes + 1)) L->borrowed |= 1u << ti;
  return NULL;
}

/* Attributes every op may carry: `numerics` ("tflite" or "onnx"), and the fused activation range `act_min` /
 * `act_max` (integer outputs) or `act_fmin` / `act_fmax` (f32 outputs); defaults: the whole range. (The kernel
 * choice is read by lower_choice_attrs.) */
static mcu_status_t lower_common_attrs(MlirOperation op, mcu_layer_t *l, int is_int, int64_t lo, int64_t hi) {
  MlirAttribute n = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("numerics"));
  if (!mlirAttributeIsNull(n)) {
    MlirStringRef v = mlirAttributeIsAString(n) ? mlirStringAttrGetValue(n) : mlirStringRefCreateFromCString("");
    if (v.length == 6 && !memcmp(v.data, "tflite", 6))
      l->numerics = MCU_NUMERICS_TFLITE;
    else if (v.length == 4 && !memcmp(v.data, "onnx", 4))
      l->numerics = MCU_NUMERICS_ONNX;
    else
      return mcu_status_errorf("numerics must be \"onnx\" or \"tflite\"");
  }
  if (is_int) {
    int64_t mn = mcu_op_get_i64(op, "act_min", lo), mx = mcu_op_get_i64(op, "act_max", hi);
    if (mn < lo) mn = lo;
    if (mx > hi) mx = hi;
    if (mn > mx) mn = mx; /* an empty range gives max everywhere, as Clip(min > max) does */
    l->act_min = (int32_t)mn;
    l->act_max = (int32_t)mx;
  } else {
    MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("act_fmin"));
    MlirAttribute b = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("act_fmax"));
    if (!mlirAttributeIsNull(a) && mlirAttributeIsAFloat(a)) l->fact_min = (float)mlirFloatAttrGetValueDouble(a);
    if (!mlirAttributeIsNull(b) && mlirAttributeIsAFloat(b)) l->fact_max = (float)mlirFloatAttrGetValueDouble(b);
  }
  return NULL;
}

/* Pooling: kernel, strides (h, w >= 1) and pads (top, left, bottom, right >= 0). */
static mcu_status_t lower_pool_attrs(MlirOperation op, mcu_layer_t *l) {
  int64_t v[4];
  if (mcu_op_get_i64_array(op, "kernel", v, 2) != 2 || v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096)
    return mcu_status_errorf("kernel must be two values in [1, 4096]");
  l->kernel[0] = (int32_t)v[0], l->kernel[1] = (int32_t)v[1];
  if (mcu_op_get_i64_array(op, "strides", v, 2) != 2 || v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096)
    return mcu_status_errorf("strides must be two values in [1, 4096]");
  l->stride[0] = (int32_t)v[0], l->stride[1] = (int32_t)v[1];
  if (mcu_op_get_i64_array(op, "pads", v, 4) != 4) return mcu_status_errorf("pads must be four values");
  for (int i = 0; i < 4; ++i) {
    if (v[i] < 0 || v[i] > 4096) return mcu_status_errorf("pad %lld out of range", (long long)v[i]);
    l->pad[i] = (int32_t)v[i];
  }
  return NULL;
}

/* Pad: `pads` = before-amounts of every input dimension then after-amounts; `value` the stored padding value. */
static mcu_status_t lower_pad_attrs(MlirOperation op, mcu_layer_t *l, const mcu_tensor_t *in, int is_int,
                                    int64_t lo, int64_t hi) {
  int64_t v[2 * MCU_MAX_RANK];
  if (mcu_op_get_i64_array(op, "pads", v, 2 * MCU_MAX_RANK) != 2 * in->rank)
    return mcu_status_errorf("pads must hold %d values (before and after each dimension)", 2 * in->rank);
  for (int i = 0; i < in->rank; ++i) {
    if (v[i] < 0 || v[in->rank + i] < 0 || v[i] > 65536 || v[in->rank + i] > 65536)
      return mcu_status_errorf("pad amounts must be in [0, 65536]");
    l->pad_before[i] = (int32_t)v[i];
    l->pad_after[i] = (int32_t)v[in->rank + i];
  }
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
  if (is_int) {
    if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a)) return mcu_status_errorf("integer pad needs an integer value");
    int64_t pv = mlirIntegerAttrGetValueInt(a);
    if (pv < lo || pv > hi) return mcu_status_errorf("pad value %lld outside the element range", (long long)pv);
    l->pad_value = (int32_t)pv;
  } else {
    if (mlirAttributeIsNull(a) || !mlirAttributeIsAFloat(a)) return mcu_status_errorf("float pad needs a float value");
    l->fpad_value = (float)mlirFloatAttrGetValueDouble(a);
  }
  return NULL;
}

/* mcu.stream_block (stream-blocks): the inner tensors' per-tensor int8 quantization from mid_types, the expand and
 * depthwise clamp ranges from mid_act. */
static mcu_status_t lower_stream_attrs(MlirOperation op, mcu_layer_t *l) {
  MlirAttribute types = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mid_types"));
  int64_t act[4];
  if (mlirAttributeIsNull(types) || !mlirAttributeIsAArray(types) || mlirArrayAttrGetNumElements(types) != 2 ||
      mcu_op_get_i64_array(op, "mid_act", act, 4) != 4)
    return mcu_status_errorf("stream_block needs mid_types (two types) and mid_act (four values)");
  for (int k = 0; k < 2; ++k) {
    MlirAttribute a = mlirArrayAttrGetElement(types, k);
    if (!mlirAttributeIsAType(a)) return mcu_status_errorf("stream_block mid_types holds a non-type");
    mcu_tensor_t t;
    memset(&t, 0, sizeof t);
    mcu_status_t s = tensor_from_type(mlirTypeAttrGetValue(a), &t);
    if (!s && (t.dtype != MCU_DT_I8 || t.num_scales != 1 || t.quant_axis != -1))
      s = mcu_status_errorf("stream_block inner tensors must be per-tensor int8");
    if (!s) l->mid_scale[k] = t.scales[0], l->mid_zero_point[k] = t.zero_points[0];
    free(t.scales);
    free(t.zero_points);
    if (s) return s;
    if (act[2 * k] < -128 || act[2 * k] > act[2 * k + 1] || act[2 * k + 1] > 127)
      return mcu_status_errorf("stream_block mid_act range [%lld, %lld] outside int8", (long long)act[2 * k],
                               (long long)act[2 * k + 1]);
    l->mid_act[k][0] = (int32_t)act[2 * k], l->mid_act[k][1] = (int32_t)act[2 * k + 1];
  }
  return NULL;
}

/* The weights blob without the constants no layer reads at run time (mcu_kernel_reads_input: their kernels keep
 * them in compile-time tables, e.g. the 4x1 pointwise tile's int16 filter stream): those are marked `folded` and
 * the others are laid out again in index order (16-byte aligned), the order lower_op gave them. Returns the blob's
 * new size. A constant no layer uses at all keeps its place (model outputs, never the case for weights). */
static uint32_t fold_constants_away(mcu_program_t *p) {
  /* per tensor: 1 when some use reads it at run time, 2 when it is used only by calls that do not read it */
  uint8_t *st = calloc((size_t)p->num_tensors + 1, 1);
  for (int li = 0; st && li < p->num_layers; ++li) {
    const mcu_layer_t *l = &p->layers[li];
    for (int k = 0; k < l->num_inputs; ++k) {
      const int i = l->inputs[k];
      if (i < 0 || i >= p->num_tensors || p->tensors[i].storage != MCU_STORAGE_CONST || st[i] == 1) continue;
      st[i] = mcu_kernel_reads_input(p, l, k) ? 1 : 2;
    }
  }
  for (int k = 0; st && k < p->num_outputs; ++k)
    if (p->outputs[k] >= 0 && p->outputs[k] < p->num_tensors) st[p->outputs[k]] = 1;
  uint32_t size = 0;
  for (int i = 0; i < p->num_tensors; ++i) {
    mcu_tensor_t *t = &p->tensors[i];
    if (t->storage != MCU_STORAGE_CONST) continue;
    t->folded = st && st[i] == 2;
    if (t->folded) {
      t->offset = 0;
      continue;
    }
    t->offset = (size + 15u) & ~15u;
    size = t->offset + (uint32_t)mcu_tensor_bytes(t);
  }
  free(st);
  return size;
}

/* The layer fields that the passes' choices set, from the attributes that hold them, after resetting them to
 * add_layer's defaults: select-kernels' `mcu.kernel` (family) and `mcu.tile`, mark-inplace's `mcu.inplace` (the
 * input the output overwrites; L->inplace_as overrides it), plan-memory's `mcu.scratch` = [offset, bytes] (in pool
 * scratch_pool). The only attributes lower_op reads that the passes change between their questions about one op:
 * the single-op lowering kept in the memo (lower_op_kernel_view) is brought up to date by calling this again. */
static mcu_status_t lower_choice_attrs(const lowering_t *L, MlirOperation op, mcu_layer_t *l, int scratch_pool) {
  l->kernel_family = MCU_KF_AUTO;
  l->kernel_tile[0] = l->kernel_tile[1] = 0;
  l->inplace = 0;
  l->inplace_input = 0;
  l->scratch_offset = l->scratch_bytes = 0;
  l->scratch_pool = 0;
  MlirAttribute kf = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.kernel"));
  if (!mlirAttributeIsNull(kf)) {
    char name[32] = "";
    MlirStringRef v = mlirAttributeIsAString(kf) ? mlirStringAttrGetValue(kf) : mlirStringRefCreateFromCString("");
    if (v.length < sizeof name) memcpy(name, v.data, v.length), name[v.length] = 0;
    const int f = mcu_kfamily_parse(name);
    if (f <= MCU_KF_AUTO) return mcu_status_errorf("mcu.kernel \"%s\" names no kernel family", name);
    int64_t t[2] = {0, 0};
    const int nt = mcu_op_get_i64_array(op, "mcu.tile", t, 2); /* -1: absent (no tile) or not an array */
    if (nt < 0 ? mcu_op_has_attr(op, "mcu.tile") : (nt != 2 || t[0] < 0 || t[1] < 0 || t[0] > 64 || t[1] > 64))
      return mcu_status_errorf("mcu.tile must be two values in [0, 64]");
    l->kernel_family = f;
    l->kernel_tile[0] = (int32_t)t[0], l->kernel_tile[1] = (int32_t)t[1];
  }
  const int64_t ip = L->inplace_as > 0 ? L->inplace_as - 1 : mcu_op_get_i64(op, "mcu.inplace", -1);
  if (ip >= 0) {
    if (ip >= l->num_inputs) return mcu_status_errorf("mcu.inplace operand %lld out of range", (long long)ip);
    l->inplace = 1;
    l->inplace_input = (int)ip;
  }
  int64_t scratch[2];
  if (mcu_op_get_i64_array(op, "mcu.scratch", scratch, 2) == 2) {
    if (scratch[0] < 0 || scratch[1] < 0 || scratch[0] > UINT32_MAX || scratch[1] > UINT32_MAX)
      return mcu_status_errorf("mcu.scratch out of range");
    l->scratch_offset = (uint32_t)scratch[0];
    l->scratch_bytes = (uint32_t)scratch[1];
    l->scratch_pool = scratch_pool;
  }
  return NULL;
}

static mcu_status_t lower_patch_attrs(lowering_t *L, MlirOperation op, int li);

static mcu_status_t lower_op(lowering_t *L, MlirOperation op, uint32_t *weights_size) {
  mcu_program_t *p = L->p;
  mcu_status_t s;
  if (mcu_op_is(op, "mcu.constant")) {
    MlirValue v = mlirOperationGetResult(op, 0);
    if (mcu_value_num_uses(v) == 0) return NULL;
    int ti;
    if ((s = add_tensor(L, mlirValueGetType(v), v, op_name(op), &ti))) return s;
    mcu_tensor_t *t = &p->tensors[ti];
    t->storage = MCU_STORAGE_CONST;
    uint32_t off = (*weights_size + 15u) & ~15u;
    if ((s = constant_data(L, op, t, ti))) return s;
    if ((uint64_t)off + (uint64_t)mcu_tensor_bytes(t) > UINT32_MAX) return mcu_status_errorf("weights above 4 GiB");
    t->offset = off;
    *weights_size = off + (uint32_t)mcu_tensor_bytes(t);
    return NULL;
  }
  if (mcu_op_is(op, "mcu.reshape") &&
      !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("mcu.alias")))) {
    /* A copy-free reshape (plan-memory): another shape over its input's bytes, wherever they live. */
    int ti = find_tensor(L, mlirOperationGetOperand(op, 0)), to;
    if (ti < 0) return mcu_status_errorf("operand 0 is not defined before use");
    MlirValue out = mlirOperationGetResult(op, 0);
    if ((s = add_tensor(L, mlirValueGetType(out), out, op_name(op), &to))) return s;
    mcu_tensor_t *src = &p->tensors[ti], *dst = &p->tensors[to];
    if (src->storage == MCU_STORAGE_CONST || mcu_tensor_bytes(src) != mcu_tensor_bytes(dst))
      return mcu_status_errorf("an aliasing reshape must keep the byte size of a non-constant tensor");
    dst->storage = src->storage;
    dst->index = src->index;
    dst->offset = src->offset;
    dst->pool = src->pool;
    dst->is_alias = 1;
    dst->alias_of = src->is_alias ? src->alias_of : ti;
    dst->live_first = src->live_first, dst->live_last = src->live_last;
    return NULL;
  }
  static const struct {
    const char *name;
    mcu_op_t op;
    int num_inputs;
  } table[] = {
      {"mcu.conv2d", MCU_OP_CONV2D, 3},       {"mcu.matmul", MCU_OP_MATMUL, 2},
      {"mcu.quantize", MCU_OP_QUANTIZE, 1},   {"mcu.dequantize", MCU_OP_DEQUANTIZE, 1},
      {"mcu.clamp", MCU_OP_CLAMP, 1},         {"mcu.transpose", MCU_OP_TRANSPOSE, 1},
      {"mcu.reshape", MCU_OP_COPY, 1},
      {"mcu.fully_connected", MCU_OP_FULLY_CONNECTED, 3},
      {"mcu.add", MCU_OP_ADD, 2},             {"mcu.sub", MCU_OP_SUB, 2},
      {"mcu.mul", MCU_OP_MUL, 2},             {"mcu.avg_pool2d", MCU_OP_AVG_POOL, 1},
      {"mcu.max_pool2d", MCU_OP_MAX_POOL, 1}, {"mcu.mean", MCU_OP_MEAN, 1},
      {"mcu.pad", MCU_OP_PAD, 1},             {"mcu.softmax", MCU_OP_SOFTMAX, 1},
      {"mcu.log_softmax", MCU_OP_LOG_SOFTMAX, 1},
      {"mcu.concat", MCU_OP_CONCAT, 2},       {"mcu.resize_nearest", MCU_OP_RESIZE_NEAREST, 1},
      {"mcu.logistic", MCU_OP_LOGISTIC, 1},   {"mcu.hard_swish", MCU_OP_HARD_SWISH, 1},
      {"mcu.requantize", MCU_OP_REQUANTIZE, 1},
      {"mcu.batch_norm", MCU_OP_BATCH_NORM, 5}, {"mcu.leaky_relu", MCU_OP_LEAKY_RELU, 1},
      {"mcu.hard_sigmoid", MCU_OP_HARD_SIGMOID, 1},
      {"mcu.stream_block", MCU_OP_STREAM_BLOCK, 7},
  };
  int k = -1;
  MlirStringRef opname = mlirIdentifierStr(mlirOperationGetName(op)); /* read once: the table has 29 names */
  for (size_t i = 0; i < sizeof table / sizeof table[0] && k < 0; ++i)
    if (opname.length > 4 && table[i].name[4] == opname.data[4] && strlen(table[i].name) == opname.length &&
        !memcmp(table[i].name, opname.data, opname.length))
      k = (int)i;
  if (k < 0) return mcu_status_errorf("unsupported operation");
  if (mlirOperationGetNumOperands(op) != table[k].num_inputs || mlirOperationGetNumResults(op) != 1)
    return mcu_status_errorf("expected %d operands and one result", table[k].num_inputs);
  mcu_layer_t *l;
  if ((s = add_layer(L, table[k].op, op_name(op), &l))) return s;
  int li = p->num_layers - 1;
  l->num_inputs = table[k].num_inputs;
  for (int i = 0; i < l->num_inputs; ++i) {
    int ti = find_tensor(L, mlirOperationGetOperand(op, i));
    if (ti < 0) return mcu_status_errorf("operand %d is not defined before use", i);
    p->layers[li].inputs[i] = ti;
  }
  MlirValue out = mlirOperationGetResult(op, 0);
  int to;
  if ((s = add_tensor(L, mlirValueGetType(out), out, op_name(op), &to))) return s;
  l = &p->layers[li]; /* add_tensor does not move layers, but keep the pointer fresh for clarity */
  l->output = to;
  mcu_tensor_t *t = &p->tensors[to];
  t->storage = MCU_STORAGE_ARENA;
  int64_t off = L->alone ? -1 : mcu_op_get_i64(op, "mcu.offset", -1); /* alone: no plan, never read */
  const int pool = pool_index(p, op, "mcu.pool"), scratch_pool = pool_index(p, op, "mcu.scratch_pool");
  if (pool < 0 || scratch_pool < 0) return mcu_status_errorf("mcu.pool or mcu.scratch_pool names no pool");
  int64_t lo = 0, hi = 0;
  int is_int = mcu_type_storage_range(mlirValueGetType(out), &lo, &hi);
  l->act_min = (int32_t)lo;
  l->act_max = (int32_t)hi;
  if ((s = lower_common_attrs(op, l, is_int, lo, hi))) return s;
  if (l->op == MCU_OP_CONV2D || l->op == MCU_OP_STREAM_BLOCK) {
    int64_t v[4];
    if (mcu_op_get_i64_array(op, "strides", v, 2) != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1024 || v[1] > 1024)
      return mcu_status_errorf("strides must be two values in [1, 1024]");
    l->stride[0] = (int32_t)v[0], l->stride[1] = (int32_t)v[1];
    if (mcu_op_get_i64_array(op, "dilations", v, 2) != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1024 || v[1] > 1024)
      return mcu_status_errorf("dilations must be two values in [1, 1024]");
    l->dilation[0] = (int32_t)v[0], l->dilation[1] = (int32_t)v[1];
    if (mcu_op_get_i64_array(op, "pads", v, 4) != 4) return mcu_status_errorf("pads must be four values");
    for (int i = 0; i < 4; ++i) {
      if (v[i] < 0 || v[i] > 4096) return mcu_status_errorf("pad %lld out of range", (long long)v[i]);
      l->pad[i] = (int32_t)v[i];
    }
    int64_t g = mcu_op_get_i64(op, "groups", l->op == MCU_OP_STREAM_BLOCK ? 1 : 0);
    if (g < 1 || g > INT32_MAX) return mcu_status_errorf("groups must be positive");
    l->groups = (int32_t)g;
    if (l->op == MCU_OP_STREAM_BLOCK && (s = lower_stream_attrs(op, l))) return s;
  } else if (l->op == MCU_OP_AVG_POOL || l->op == MCU_OP_MAX_POOL) {
    if ((s = lower_pool_attrs(op, l))) return s;
  } else if (l->op == MCU_OP_MEAN) {
    int64_t v[MCU_MAX_RANK];
    int n = mcu_op_get_i64_array(op, "axes", v, MCU_MAX_RANK);
    int in_rank = p->tensors[l->inputs[0]].rank;
    if (n < 1 || n > in_rank) return mcu_status_errorf("axes must list 1 to %d dimensions", in_rank);
    for (int i = 0; i < n; ++i) {
      if (v[i] < 0 || v[i] >= in_rank) return mcu_status_errorf("axis %lld out of range", (long long)v[i]);
      l->axes_mask |= 1u << v[i];
    }
  } else if (l->op == MCU_OP_PAD) {
    if ((s = lower_pad_attrs(op, l, &p->tensors[l->inputs[0]], is_int, lo, hi))) return s;
  } else if (l->op == MCU_OP_SOFTMAX) {
    MlirAttribute b = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("beta"));
    if (mlirAttributeIsNull(b) || !mlirAttributeIsAFloat(b)) return mcu_status_errorf("softmax needs a float beta");
    l->beta = (float)mlirFloatAttrGetValueDouble(b);
    if (!(l->beta > 0) || !isfinite(l->beta)) return mcu_status_errorf("softmax beta %g is not positive", l->beta);
  } else if (l->op == MCU_OP_BATCH_NORM || l->op == MCU_OP_LEAKY_RELU || l->op == MCU_OP_HARD_SIGMOID) {
    static const struct {
      mcu_op_t op;
      const char *attr;
      size_t field;
    } floats[] = {
        {MCU_OP_BATCH_NORM, "epsilon", offsetof(mcu_layer_t, epsilon)},
        {MCU_OP_LEAKY_RELU, "alpha", offsetof(mcu_layer_t, alpha)},
        {MCU_OP_HARD_SIGMOID, "alpha", offsetof(mcu_layer_t, alpha)},
        {MCU_OP_HARD_SIGMOID, "beta", offsetof(mcu_layer_t, beta)},
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; ++i) {
      if (floats[i].op != l->op) continue;
      MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(floats[i].attr));
      if (mlirAttributeIsNull(a) || !mlirAttributeIsAFloat(a))
        return mcu_status_errorf("%s must be a float attribute", floats[i].attr);
      float v = (float)mlirFloatAttrGetValueDouble(a);
      if (!isfinite(v)) return mcu_status_errorf("%s is not finite", floats[i].attr);
      memcpy((char *)l + floats[i].field, &v, sizeof v);
    }
  } else if (l->op == MCU_OP_CONCAT) {
    int64_t axis = mcu_op_get_i64(op, "axis", -1);
    if (axis < 0 || axis >= t->rank) return mcu_status_errorf("concat axis %lld out of range", (long long)axis);
    l->axis = (int32_t)axis;
  } else if (l->op == MCU_OP_RESIZE_NEAREST) {
    l->align_corners = mcu_op_get_i64(op, "align_corners", 0) != 0;
    l->half_pixel_centers = mcu_op_get_i64(op, "half_pixel_centers", 0) != 0;
  } else if (l->op == MCU_OP_CLAMP) {
    MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("min"));
    MlirAttribute b = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("max"));
    if (is_int && mlirAttributeIsAInteger(a) && mlirAttributeIsAInteger(b)) {
      int64_t mn = mlirIntegerAttrGetValueInt(a), mx = mlirIntegerAttrGetValueInt(b);
      l->act_min = (int32_t)(mn < lo ? lo : mn > hi ? hi : mn);
      l->act_max = (int32_t)(mx < lo ? lo : mx > hi ? hi : mx);
      if (l->act_min > l->act_max) l->act_min = l->act_max; /* min > max gives max everywhere */
    } else if (!is_int && mlirAttributeIsAFloat(a) && mlirAttributeIsAFloat(b)) {
      l->fact_min = (float)mlirFloatAttrGetValueDouble(a);
      l->fact_max = (float)mlirFloatAttrGetValueDouble(b);
    } else {
      return mcu_status_errorf("clamp bounds must be integers for integer tensors and floats for float tensors");
    }
  } else if (l->op == MCU_OP_TRANSPOSE) {
    int64_t v[MCU_MAX_RANK];
    int n = mcu_op_get_i64_array(op, "perm", v, MCU_MAX_RANK);
    if (n != t->rank) return mcu_status_errorf("perm has %d entries for a rank-%d result", n, t->rank);
    for (int i = 0; i < n; ++i) {
      if (v[i] < 0 || v[i] >= n) return mcu_status_errorf("perm entry %lld out of range", (long long)v[i]);
      l->perm[i] = (int32_t)v[i];
    }
  }
  if ((s = lower_choice_attrs(L, op, l, scratch_pool))) return s;
  if (l->inplace && !L->alone) { /* the output overwrites input `mcu.inplace`, at the offset plan-memory gave it */
    const mcu_tensor_t *src = &p->tensors[l->inputs[l->inplace_input]];
    if (src->storage != MCU_STORAGE_ARENA || src->offset != off || src->pool != pool)
      return mcu_status_errorf("in-place result not at its input's arena offset (run plan-memory first)");
  }
  if (!L->alone && (s = lower_patch_attrs(L, op, li))) return s;
  /* Results the function returns live in the caller's output buffers; func.return assigns them. */
  if (L->alone) {
    /* no plan yet: the result is an arena tensor at 0 */
  } else if (off < 0) {
    int returned = 0;
    for (MlirOpOperand u = mlirValueGetFirstUse(out); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
      returned |= mcu_op_is(mlirOpOperandGetOwner(u), "func.return");
    if (!returned) return mcu_status_errorf("result has no arena offset (run plan-memory first)");
  } else {
    t->offset = (uint32_t)off;
    t->pool = pool;
    int64_t live[2];
    if (mcu_op_get_i64_array(op, "mcu.live", live, 2) == 2 && live[0] >= 0 && live[0] <= live[1] && live[1] <= INT32_MAX)
      t->live_first = (int32_t)live[0], t->live_last = (int32_t)live[1];
  }
  return NULL;
}

static char *io_name(MlirOperation func, const char *which, intptr_t i);

/* Patch-based execution (patch-stages, plan-memory): `mcu.patch = [stage, rows, cols]` puts layer li into the
 * program's stage (consecutive layers, one grid), `mcu.patch_bytes` is the bytes one patch of an intermediate
 * takes, `mcu.patch_buf` the gather/staging buffer at the end of the layer's scratch. */
static mcu_status_t lower_patch_attrs(lowering_t *L, MlirOperation op, int li) {
  mcu_program_t *p = L->p;
  mcu_layer_t *l = &p->layers[li];
  mcu_tensor_t *t = &p->tensors[l->output];
  int64_t v[3];
  const int64_t pb = mcu_op_get_i64(op, "mcu.patch_bytes", 0), buf = mcu_op_get_i64(op, "mcu.patch_buf", 0);
  if (mcu_op_get_i64_array(op, "mcu.patch", v, 3) < 0) {
    if (pb || buf) return mcu_status_errorf("mcu.patch_bytes or mcu.patch_buf outside a patch stage");
    return NULL;
  }
  if (mcu_op_get_i64_array(op, "mcu.patch", v, 3) != 3 || v[0] != 0 || v[1] < 1 || v[2] < 1 || v[1] > 16 ||
      v[2] > 16 || v[1] * v[2] < 2)
    return mcu_status_errorf("mcu.patch must be [0, rows, cols] with 2 to 256 patches");
  mcu_patch_stage_t *st = &p->patch_stages[0];
  if (p->num_patch_stages == 0) {
    p->num_patch_stages = 1;
    *st = (mcu_patch_stage_t){li, li, (int)v[1], (int)v[2]};
  } else if (st->last_layer != li - 1 || st->rows != v[1] || st->cols != v[2]) {
    return mcu_status_errorf("the layers of the patch stage are not consecutive with one grid");
  } else {
    st->last_layer = li;
  }
  if (pb < 0 || pb > mcu_tensor_bytes(t) || buf < 0 || buf > l->scratch_bytes)
    return mcu_status_errorf("mcu.patch_bytes %lld or mcu.patch_buf %lld out of range", (long long)pb,
                             (long long)buf);
  t->patch_bytes = (uint32_t)pb;
  l->patch_buf_bytes = (uint32_t)buf;
  return NULL;
}

static mcu_status_t lower_return(lowering_t *L, MlirOperation ret) {
  MlirOperation func = mlirBlockGetParentOperation(mlirOperationGetBlock(ret));
  mcu_program_t *p = L->p;
  intptr_t n = mlirOperationGetNumOperands(ret);
  p->num_outputs = (int)n;
  p->outputs = calloc((size_t)n + 1, sizeof *p->outputs);
  if (!p->outputs) return mcu_status_errorf("out of memory");
  for (intptr_t j = 0; j < n; ++j) {
    MlirValue v = mlirOperationGetOperand(ret, j);
    int ti = find_tensor(L, v);
    if (ti < 0) return mcu_status_errorf("returned value %d is not defined", (int)j);
    mcu_tensor_t *t = &p->tensors[ti];
    int produced_here = t->storage == MCU_STORAGE_ARENA && mcu_op_get_i64(mlirOpResultGetOwner(v), "mcu.offset", -1) < 0;
    char *model_name = io_name(func, "res_attrs", j);
    if (produced_here) {
      if (model_name) free(t->name), t->name = model_name;
      t->storage = MCU_STORAGE_OUTPUT;
      t->index = (int)j;
      p->outputs[j] = ti;
      continue;
    }
    /* An input, a constant, an already assigned output or an arena value: copy into output j. */
    mcu_status_t s;
    int to;
    char *name = model_name ? model_name : dup_c(t->name);
    if ((s = add_tensor(L, mlirValueGetType(v), (MlirValue){NULL}, name, &to))) return s;
    p->tensors[to].storage = MCU_STORAGE_OUTPUT;
    p->tensors[to].index = (int)j;
    p->outputs[j] = to;
    mcu_layer_t *l;
    if ((s = add_layer(L, MCU_OP_COPY, dup_c("output_copy"), &l))) return s;
    l->num_inputs = 1;
    l->inputs[0] = ti;
    l->output = to;
  }
  return NULL;
}

/* The `mcu.name` in the func's arg_attrs or res_attrs (`which`) entry i, or NULL. */
static char *io_name(MlirOperation func, const char *which, intptr_t i) {
  MlirAttribute attrs = mlirOperationGetAttributeByName(func, mlirStringRefCreateFromCString(which));
  if (!mlirAttributeIsNull(attrs) && mlirAttributeIsAArray(attrs) && i < mlirArrayAttrGetNumElements(attrs)) {
    MlirAttribute d = mlirArrayAttrGetElement(attrs, i);
    if (mlirAttributeIsADictionary(d)) {
      MlirAttribute n = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("mcu.name"));
      if (!mlirAttributeIsNull(n) && mlirAttributeIsAString(n)) return dup_ref(mlirStringAttrGetValue(n));
    }
  }
  return NULL;
}

/* plan-memory's pools (mcu.pool_names, mcu.pool_capacities, mcu.pool_aligns, mcu.pool_sizes): the program's pool
 * table, whose sizes must add up to mcu.arena_size. None: num_pools 0, the one implicit arena. */
static mcu_status_t lower_pools(MlirOperation mop, mcu_program_t *p) {
  MlirAttribute names = mlirOperationGetAttributeByName(mop, mlirStringRefCreateFromCString("mcu.pool_names"));
  if (mlirAttributeIsNull(names)) return NULL;
  int64_t caps[MCU_MAX_POOLS], aligns[MCU_MAX_POOLS], sizes[MCU_MAX_POOLS];
  intptr_t n = mlirAttributeIsAArray(names) ? mlirArrayAttrGetNumElements(names) : -1;
  if (n < 1 || n > MCU_MAX_POOLS || mcu_op_get_i64_array(mop, "mcu.pool_capacities", caps, MCU_MAX_POOLS) != n ||
      mcu_op_get_i64_array(mop, "mcu.pool_sizes", sizes, MCU_MAX_POOLS) != n)
    return mcu_status_errorf("mcu.pool_names, mcu.pool_capacities and mcu.pool_sizes (run plan-memory) disagree");
  int num_aligns = mcu_op_get_i64_array(mop, "mcu.pool_aligns", aligns, MCU_MAX_POOLS);
  uint64_t total = 0;
  for (intptr_t k = 0; k < n; ++k) {
    mcu_pool_t *q = &p->pools[k];
    MlirAttribute a = mlirArrayAttrGetElement(names, k);
    if (!mlirAttributeIsAString(a)) return mcu_status_errorf("mcu.pool_names holds a non-string");
    MlirStringRef r = mlirStringAttrGetValue(a);
    if (r.length == 0 || r.length >= MCU_POOL_NAME_MAX) return mcu_status_errorf("pool name of %zu characters", r.length);
    memcpy(q->name, r.data, r.length);
    q->name[r.length] = 0;
    int64_t al = num_aligns < 0 ? 16 : (num_aligns == n ? aligns[k] : -1);
    if (al < 16 || al > 4096 || (al & (al - 1))) return mcu_status_errorf("pool '%s': alignment %lld", q->name, (long long)al);
    if (sizes[k] < 0 || caps[k] < sizes[k] || caps[k] > UINT32_MAX)
      return mcu_status_errorf("pool '%s': %lld bytes planned, capacity %lld", q->name, (long long)sizes[k],
                               (long long)caps[k]);
    q->size = (uint32_t)sizes[k], q->capacity = (uint32_t)caps[k], q->align = (uint32_t)al;
    total += q->size;
  }
  p->num_pools = (int)n;
  if (total != p->arena_size)
    return mcu_status_errorf("pool sizes add up to %llu bytes, mcu.arena_size is %u", (unsigned long long)total,
                             p->arena_size);
  return NULL;
}

mcu_status_t mcu_lower_module(MlirModule module, const char *name, mcu_program_t **out_program) {
  MlirOperation mop = mlirModuleGetOperation(module);
  MlirBlock block = mcu_main_block(mop);
  if (mlirBlockIsNull(block)) return mcu_status_errorf("the module has no func.func @main");
  lowering_t L = {0};
  L.p = calloc(1, sizeof *L.p);
  if (!L.p) return mcu_status_errorf("out of memory");
  mcu_program_t *p = L.p;
  mcu_status_t s = NULL;
  p->name = dup_c(name);
  p->arena_size = (uint32_t)mcu_op_get_i64(mop, "mcu.arena_size", 0);
  p->tables_size = (uint64_t)mcu_op_get_i64(mop, "mcu.tables_bytes", 0);
  if ((s = lower_pools(mop, p))) goto fail;
  MlirOperation func = mlirBlockGetParentOperation(block);
  intptr_t nargs = mlirBlockGetNumArguments(block);
  p->num_inputs = (int)nargs;
  p->inputs = calloc((size_t)nargs + 1, sizeof *p->inputs);
  if (!p->name || !p->inputs) {
    s = mcu_status_errorf("out of memory");
    goto fail;
  }
  for (intptr_t i = 0; i < nargs; ++i) {
    MlirValue a = mlirBlockGetArgument(block, i);
    int ti;
    if ((s = add_tensor(&L, mlirValueGetType(a), a, io_name(func, "arg_attrs", i), &ti))) {
      s = mcu_status_annotatef(s, "input %d: ", (int)i);
      goto fail;
    }
    p->tensors[ti].storage = MCU_STORAGE_INPUT;
    p->tensors[ti].index = (int)i;
    p->inputs[i] = ti;
  }
  uint32_t weights_size = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (mcu_op_is(op, "func.return")) {
      s = lower_return(&L, op);
    } else {
      s = lower_op(&L, op, &weights_size);
    }
    if (s) {
      char *n = op_name(op);
      MlirStringRef opn = mlirIdentifierStr(mlirOperationGetName(op));
      s = mcu_status_annotatef(s, "node '%s' (%.*s): ", n ? n : "?", (int)opn.length, opn.data);
      free(n);
      goto fail;
    }
  }
  for (int i = 0; i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    const uint32_t room = p->num_pools ? p->pools[t->pool].size : p->arena_size;
    if (t->storage == MCU_STORAGE_ARENA && (uint64_t)t->offset + (uint64_t)mcu_tensor_stored_bytes(t) > room) {
      s = mcu_status_errorf("tensor '%s' lies outside the planned arena of %u bytes", t->name, room);
      goto fail;
    }
  }
  for (int i = 0; i < p->num_layers; ++i) {
    const mcu_layer_t *l = &p->layers[i];
    const uint32_t room = p->num_pools ? p->pools[l->scratch_pool].size : p->arena_size;
    if ((uint64_t)l->scratch_offset + l->scratch_bytes > room) {
      s = mcu_status_errorf("layer '%s': scratch lies outside the planned arena of %u bytes", l->name, room);
      goto fail;
    }
  }
  p->weights_size = fold_constants_away(p);
  free(L.values);
  *out_program = p;
  return NULL;
fail:
  free(L.values);
  mcu_program_destroy(p);
  return s;
}

mcu_status_t mcu_lower_op_kernel(MlirOperation op, mcu_op_kernel_t *out_info) {
  return mcu_lower_op_kernel_view(op, NULL, out_info);
}

/* Attributes that lowering an op alone never reads (lower_op with L->alone: no plan, no patch stage, names
 * only in messages), left out of the memo key so that plan-memory's and patch-stages' marks do not make an
 * unchanged question look new. An attribute lowering alone starts to read must leave this list. */
#define IGNORED(name)                                                                                                  \
  { name, sizeof name - 1 }
static const struct {
  const char *name;
  size_t length;
} alone_ignored[] = {IGNORED("mcu.offset"),       IGNORED("mcu.live"),  IGNORED("mcu.pool"),
                     IGNORED("mcu.scratch_pool"), IGNORED("mcu.patch"), IGNORED("mcu.patch_bytes"),
                     IGNORED("mcu.patch_buf"),    IGNORED("mcu.name"),  IGNORED("mcu.step")};
enum { OP_KEY_CAP = 512 };

/* The attributes lower_choice_attrs reads (re-read on every question, so left out of the key of the kept
 * single-op lowering) and those select-kernels sets for the IR's reader only (no lowering reads them). */
static const struct {
  const char *name;
  size_t length;
} choice_attrs[] = {IGNORED("mcu.kernel"), IGNORED("mcu.tile"),   IGNORED("mcu.inplace"),    IGNORED("mcu.scratch"),
                    IGNORED("mcu.im2col"), IGNORED("mcu.unroll"), IGNORED("mcu.kernel_cost")};
#undef IGNORED

/* The MLIR identifiers of alone_ignored's and choice_attrs' names in the context the memo serves, made once per
 * memo generation (mcu_op_memo_generation: renewed by every clear, so they never outlive the entries they were made
 * with) and context: a key then classifies each attribute by comparing uniqued pointers instead of
 * reading and comparing its name (a tenth of building a key). */
enum {
  NUM_IGNORED = sizeof alone_ignored / sizeof alone_ignored[0],
  NUM_CHOICE = sizeof choice_attrs / sizeof choice_attrs[0]
};
static _Thread_local struct {
  uint64_t generation; /* 0: none yet (generations start at 1) */
  void *ctx;
  const void *id[NUM_IGNORED + NUM_CHOICE];
} ignored_ids;

static void make_ignored_ids(const mcu_op_memo_t *memo, MlirContext ctx) {
  const uint64_t g = mcu_op_memo_generation(memo);
  if (ignored_ids.generation == g && ignored_ids.ctx == ctx.ptr) return;
  for (size_t k = 0; k < NUM_IGNORED + NUM_CHOICE; ++k) {
    const char *n = k < NUM_IGNORED ? alone_ignored[k].name : choice_attrs[k - NUM_IGNORED].name;
    ignored_ids.id[k] = mlirIdentifierGet(ctx, mlirStringRefCreateFromCString(n)).ptr;
  }
  ignored_ids.generation = g;
  ignored_ids.ctx = ctx.ptr;
}

/* 1 when attribute `name` is in alone_ignored, 2 when in choice_attrs, 0 otherwise (make_ignored_ids first). */
static int alone_ignores(MlirIdentifier name) {
  for (size_t k = 0; k < NUM_IGNORED + NUM_CHOICE; ++k)
    if (name.ptr == ignored_ids.id[k]) return k < NUM_IGNORED ? 1 : 2;
  return 0;
}

/* Two keys built in one walk: `w` the question's (the memo of answers), `lw` the kept lowering's (NULL: none), the
 * same words without the choice attributes; `n` / `ln` their lengths. */
typedef struct {
  uintptr_t *w, *lw;
  size_t n, ln;
} keys_t;

static void put2(keys_t *k, uintptr_t word) {
  k->w[k->n++] = word;
  if (k->lw) k->lw[k->ln++] = word;
}

/* Appends op's name and its attributes but the ignored ones, as uniqued pointers; 0 when the key is full. */
static int key_op(MlirOperation op, keys_t *k) {
  const intptr_t na = mlirOperationGetNumAttributes(op);
  if (k->n + 2 + 2 * (size_t)na > OP_KEY_CAP) return 0;
  put2(k, (uintptr_t)mlirOperationGetName(op).ptr);
  const size_t count_at = k->n, lcount_at = k->ln;
  put2(k, 0);
  size_t kept = 0, lkept = 0;
  for (intptr_t i = 0; i < na; ++i) {
    MlirNamedAttribute a = mlirOperationGetAttribute(op, i);
    const int c = alone_ignores(a.name);
    if (c == 1) continue;
    k->w[k->n++] = (uintptr_t)a.name.ptr;
    k->w[k->n++] = (uintptr_t)a.attribute.ptr;
    kept++;
    if (c == 2 || !k->lw) continue;
    k->lw[k->ln++] = (uintptr_t)a.name.ptr;
    k->lw[k->ln++] = (uintptr_t)a.attribute.ptr;
    lkept++;
  }
  k->w[count_at] = kept;
  if (k->lw) k->lw[lcount_at] = lkept;
  return 1;
}

/* Algorithm: the memo key of one mcu_lower_op_kernel_view question: everything the answer depends on, as
 * MLIR-uniqued pointers (names, attributes and types live as long as the context and are equal exactly when
 * their pointers are): the kind of question (whole op or view, shape only, an assumed mcu.inplace), the view, op's
 * name and attributes (mcu.kernel and mcu.inplace, which the passes change between their questions, included),
 * its result types, and per operand its type, the first operand that is the
 * same value (lowering shares one tensor) and, for a constant, the constant's own name and attributes (its data)
 * and whether it has uses. Why: the passes ask five times about each conv, and the answer costs a lowering and a
 * kernel prepare. With lkey (no view), also the key of the kept lowering (lower_op_kernel_view): the same without
 * the kind of question and the choice attributes. Weakness: it trusts that lower_op reads nothing else of the IR
 * (no users, no parents) when lowering alone; the lists of ignored attributes above must follow lower_op. Returns
 * the length, 0 when the key does not fit (then the question is answered without the memo); *out_ln the lowering
 * key's, 0 when none. */
static size_t op_key(MlirOperation op, const mcu_op_view_t *view, int inplace_as, int shape_only, uintptr_t *key,
                     uintptr_t *lkey, size_t *out_ln) {
  keys_t k = {key, view ? NULL : lkey, 0, 0};
  *out_ln = 0;
  key[k.n++] = (uintptr_t)((view != NULL) | (shape_only << 1)); /* a shape-only answer is another question */
  key[k.n++] = (uintptr_t)inplace_as; /* 0: the op's own mcu.inplace (in its attributes below) */
  if (k.lw) k.lw[k.ln++] = 4;         /* a lowering, not an answer */
  if (view) {
    const int32_t f[] = {view->in_h,   view->in_w,   view->out_h,  view->out_w,
                         view->pad[0], view->pad[1], view->pad[2], view->pad[3]};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; ++i) key[k.n++] = (uintptr_t)(uint32_t)f[i];
  }
  if (!key_op(op, &k)) return 0;
  const intptr_t nr = mlirOperationGetNumResults(op), no = mlirOperationGetNumOperands(op);
  if (k.n + 2 + (size_t)nr > OP_KEY_CAP) return 0;
  put2(&k, (uintptr_t)nr);
  for (intptr_t i = 0; i < nr; ++i) put2(&k, (uintptr_t)mlirValueGetType(mlirOperationGetResult(op, i)).ptr);
  put2(&k, (uintptr_t)no);
  for (intptr_t i = 0; i < no; ++i) {
    if (k.n + 3 > OP_KEY_CAP) return 0;
    MlirValue v = mlirOperationGetOperand(op, i);
    intptr_t same = i;
    for (intptr_t j = 0; j < i; ++j)
      if (mlirValueEqual(mlirOperationGetOperand(op, j), v)) {
        same = j;
        break;
      }
    put2(&k, (uintptr_t)mlirValueGetType(v).ptr);
    put2(&k, (uintptr_t)same);
    if (!mlirValueIsABlockArgument(v) && mcu_op_is(mlirOpResultGetOwner(v), "mcu.constant")) {
      put2(&k, mcu_value_num_uses(v) == 0 ? 2 : 1);
      if (!key_op(mlirOpResultGetOwner(v), &k)) return 0;
    } else {
      put2(&k, 0);
    }
  }
  *out_ln = k.ln; /* never longer than the question's key */
  return k.n;
}

static mcu_status_t lower_op_kernel_view(MlirOperation op, const mcu_op_view_t *view, int inplace_as, int shape_only,
                                        const uintptr_t *lkey, size_t ln, mcu_op_kernel_t *out_info);

/* The answer through the memo (when one is installed). */
static mcu_status_t op_kernel(MlirOperation op, const mcu_op_view_t *view, int inplace_as, int shape_only,
                              mcu_op_kernel_t *out_info) {
  memset(out_info, 0, sizeof *out_info);
  /* A constant makes no layer (handled = 0); answering without copying its data matters because schedule asks
   * about every op, and expanding each splat filter only to drop it was a tenth of a cost query. A malformed
   * constant is still refused, by the module's lowering. */
  if (mcu_op_is(op, "mcu.constant")) return NULL;
  mcu_op_memo_t *memo = mcu_op_memo_current();
  if (!memo) return lower_op_kernel_view(op, view, inplace_as, shape_only, NULL, 0, out_info);
  uintptr_t key[OP_KEY_CAP], lkey[OP_KEY_CAP];
  size_t ln;
  make_ignored_ids(memo, mlirOperationGetContext(op));
  const size_t n = op_key(op, view, inplace_as, shape_only, key, lkey, &ln);
  if (n && mcu_op_memo_get(memo, key, n, out_info)) return NULL;
  mcu_status_t s = lower_op_kernel_view(op, view, inplace_as, shape_only, n ? lkey : NULL, n ? ln : 0, out_info);
  /* Errors are not kept: the pass that asked fails and the compile ends. A failed put only loses the memo. */
  if (!s && n) (void)mcu_op_memo_put(memo, key, n, out_info);
  return s;
}

mcu_status_t mcu_lower_op_kernel_view(MlirOperation op, const mcu_op_view_t *view, mcu_op_kernel_t *out_info) {
  return op_kernel(op, view, 0, 0, out_info);
}

mcu_status_t mcu_lower_op_kernel_inplace(MlirOperation op, int operand, mcu_op_kernel_t *out_info) {
  if (operand < 0 || operand >= MCU_MAX_LAYER_INPUTS) {
    memset(out_info, 0, sizeof *out_info);
    return mcu_status_errorf("mcu.inplace operand %d out of range", operand);
  }
  return op_kernel(op, NULL, operand + 1, 0, out_info);
}

mcu_status_t mcu_lower_op_kernel_shape(MlirOperation op, mcu_op_kernel_t *out_info) {
  return op_kernel(op, NULL, 0, 1, out_info);
}

/* A single-op lowering kept in the memo (lower_op_kernel_view): the program and which of its tensors' data
 * belong to the memo's byte store. */
typedef struct {
  mcu_program_t *p;
  uint32_t borrowed;
} kept_lowering_t;

static void kept_lowering_destroy(void *object) {
  kept_lowering_t *k = object;
  for (int i = 0; i < k->p->num_tensors && i < 32; ++i) /* the memo's bytes stay with the memo */
    if (k->borrowed & (1u << i)) k->p->tensors[i].data = NULL;
  mcu_program_destroy(k->p);
  free(k);
}

/* The answer from op lowered alone into p (one layer, or none for an op that makes no layer). */
static mcu_status_t answer_of(mcu_program_t *p, const mcu_op_view_t *view, int shape_only, mcu_op_kernel_t *out_info) {
  mcu_status_t s = NULL;
  if (view && p->num_layers == 1) { /* one patch's shapes and padding (cg_patch.c builds the same view) */
    mcu_layer_t *l = &p->layers[0];
    mcu_tensor_t *x = &p->tensors[l->inputs[0]], *y = &p->tensors[l->output];
    if (x->rank != 4 || y->rank != 4) {
      s = mcu_status_errorf("a patch view needs rank-4 tensors");
    } else {
      x->shape[1] = view->in_h, x->shape[2] = view->in_w, y->shape[1] = view->out_h, y->shape[2] = view->out_w;
      if (l->op == MCU_OP_CONV2D || l->op == MCU_OP_STREAM_BLOCK || l->op == MCU_OP_AVG_POOL ||
          l->op == MCU_OP_MAX_POOL)
        memcpy(l->pad, view->pad, sizeof l->pad);
    }
  }
  if (!s && p->num_layers == 1 && shape_only) /* select-kernels' question only (no other pass reads the shape) */
    out_info->kernel_shape_ok = mcu_tfl_ksel_shape(p, &p->layers[0], &out_info->kernel_shape) ||
                                mcu_onnx_ksel_shape(p, &p->layers[0], &out_info->kernel_shape);
  if (!s && p->num_layers == 1 && !shape_only) {
    mcu_kernel_call_t call;
    int handled = 0;
    p->sizes_only = 1;
    s = mcu_kernel_prepare_if_handled(p, &p->layers[0], &call, &handled);
    if (!s && handled) {
      out_info->handled = 1;
      out_info->scratch_bytes = call.scratch_bytes;
      out_info->inplace_mask = call.inplace_mask;
      for (int a = 0; a < call.num_aux; ++a) out_info->tables_bytes += call.aux_size[a];
      mcu_kernel_call_release(&call);
    }
  }
  return s;
}

/* Algorithm: the answer itself, without the memo of answers. Lowering the op alone (its constants included) is
 * most of a question's cost, and the passes ask about one op with different kernel choices (select-kernels'
 * shape before its `mcu.kernel`, schedule's after, mark-inplace's with an assumed `mcu.inplace`): with a memo
 * installed and no patch view, the lowering is kept in the memo under the op's key without the choice attributes
 * (choice_attrs) and later questions only re-read those into the kept layer (lower_choice_attrs, the same code the
 * lowering runs) before the kernel library's prepare. Weakness: it trusts that lower_op reads nothing else that
 * the key leaves out, as the memo of answers does; a patch view changes the program's shapes, so those questions
 * lower afresh. */
static mcu_status_t lower_op_kernel_view(MlirOperation op, const mcu_op_view_t *view, int inplace_as, int shape_only,
                                        const uintptr_t *key, size_t n, mcu_op_kernel_t *out_info) {
  mcu_op_memo_t *memo = view ? NULL : mcu_op_memo_current();
  if (!memo) n = 0; /* key: the kept lowering's (op_key), n = 0 when none */
  kept_lowering_t *kept = n ? mcu_op_memo_get_object(memo, key, n) : NULL;
  if (kept) {
    const lowering_t L = {.p = kept->p, .alone = 1, .inplace_as = inplace_as};
    mcu_status_t s = kept->p->num_layers == 1 ? lower_choice_attrs(&L, op, &kept->p->layers[0], 0) : NULL;
    return s ? s : answer_of(kept->p, NULL, shape_only, out_info);
  }
  lowering_t L = {0};
  L.alone = 1;
  L.inplace_as = inplace_as;
  L.p = calloc(1, sizeof *L.p);
  if (!L.p) return mcu_status_errorf("out of memory");
  mcu_program_t *p = L.p;
  p->name = dup_c("op");
  mcu_status_t s = p->name ? NULL : mcu_status_errorf("out of memory");
  uint32_t weights_size = 0;
  for (intptr_t i = 0; !s && i < mlirOperationGetNumOperands(op); ++i) {
    MlirValue v = mlirOperationGetOperand(op, i);
    if (find_tensor(&L, v) >= 0) continue;
    if (!mlirValueIsABlockArgument(v) && mcu_op_is(mlirOpResultGetOwner(v), "mcu.constant")) {
      s = lower_op(&L, mlirOpResultGetOwner(v), &weights_size);
    } else {
      int ti;
      s = add_tensor(&L, mlirValueGetType(v), v, NULL, &ti);
      if (!s) p->tensors[ti].storage = MCU_STORAGE_ARENA;
    }
  }
  if (!s) s = lower_op(&L, op, &weights_size);
  free(L.values);
  if (!s) s = answer_of(p, view, shape_only, out_info);
  kept_lowering_t *k = !s && n ? malloc(sizeof *k) : NULL;
  if (k) { /* errors are not kept, nor is a lowering the prepare failed on */
    *k = (kept_lowering_t){p, L.borrowed};
    if (!mcu_op_memo_put_object(memo, key, n, k, kept_lowering_destroy)) return NULL;
    free(k);
  }
  for (int i = 0; i < p->num_tensors && i < 32; ++i) /* the memo's bytes stay with the memo */
    if (L.borrowed & (1u << i)) p->tensors[i].data = NULL;
  mcu_program_destroy(p);
  return s;
}
