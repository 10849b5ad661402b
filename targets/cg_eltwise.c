/* cg_eltwise.c: emits the element-wise layers: quantize, dequantize (per tensor or per axis) and clamp. */
#include <stdlib.h>

#include "cg_internal.h"

static int same_shape(const mcu_tensor_t *a, const mcu_tensor_t *b) {
  if (a->rank != b->rank) return 0;
  for (int i = 0; i < a->rank; ++i)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

/* The element loops of a (de)quantization with quantization tensor q: per tensor one flat loop over all elements;
 * per axis a nest [outer, A, inner] around the axis so the slice index is the middle induction variable. The
 * caller's `body` emits one element given its flat index and slice index. */
typedef void (*elem_fn)(cg_t *cg, const cg_view_t *in, const cg_view_t *out, LLVMValueRef e, LLVMValueRef slice,
                        const float *scales, const int32_t *zps, int n);

static mcu_status_t emit_slices(cg_t *cg, const mcu_tensor_t *q, const cg_view_t *in, const cg_view_t *out,
                                elem_fn body) {
  int64_t total = mcu_tensor_elements(out->t);
  if (total == 0) return NULL;
  int n = q->num_scales;
  float *scales = malloc((size_t)n * sizeof *scales);
  int32_t *zps = malloc((size_t)n * sizeof *zps);
  if (!scales || !zps) {
    free(scales);
    free(zps);
    return mcu_status_errorf("out of memory");
  }
  for (int i = 0; i < n; ++i) {
    scales[i] = (float)q->scales[i];
    zps[i] = q->zero_points[i];
  }
  if (n == 1) {
    cg_loop_t le;
    LLVMValueRef e = cg_loop_begin(cg, &le, (int32_t)total, "e");
    body(cg, in, out, e, cg_i32(cg, 0), scales, zps, n);
    cg_loop_end(cg, &le);
  } else {
    int64_t outer = 1, inner = 1, A = q->shape[q->quant_axis];
    for (int d = 0; d < q->quant_axis; ++d) outer *= q->shape[d];
    for (int d = q->quant_axis + 1; d < q->rank; ++d) inner *= q->shape[d];
    cg_loop_t lo, la, li;
    LLVMValueRef o = cg_loop_begin(cg, &lo, (int32_t)outer, "outer");
    LLVMValueRef s = cg_loop_begin(cg, &la, (int32_t)A, "axis");
    LLVMValueRef base = cg_mulk(cg, cg_mad(cg, o, A, s), inner);
    LLVMValueRef i = cg_loop_begin(cg, &li, (int32_t)inner, "inner");
    body(cg, in, out, cg_add(cg, base, i), s, scales, zps, n);
    cg_loop_end(cg, &li);
    cg_loop_end(cg, &la);
    cg_loop_end(cg, &lo);
  }
  free(scales);
  free(zps);
  return NULL;
}

/* One quantized element: v = x / s (float32 division, as ONNX: no reciprocal), then clamp to the type range minus
 * zp (NaN -> lower bound), round half to even, add zp. The slice's s and zp come from tables when per axis. */
static void quantize_elem(cg_t *cg, const cg_view_t *in, const cg_view_t *out, LLVMValueRef e, LLVMValueRef slice,
                          const float *scales, const int32_t *zps, int n) {
  int32_t qmin = out->t->dtype == MCU_DT_I8 ? -128 : 0, qmax = out->t->dtype == MCU_DT_I8 ? 127 : 255;
  LLVMValueRef v = LLVMBuildFDiv(cg->b, cg_load(cg, in, e), cg_table_f32(cg, "scale", scales, n, slice), "");
  if (n == 1) {
    cg_store(cg, out, e, cg_clamp_round(cg, v, qmin - zps[0], qmax - zps[0], zps[0]));
    return;
  }
  /* Per axis the bounds depend on zp: clamp against [qmin - zp, qmax - zp] computed in float (exact: small
   * integers), then round and add zp. */
  LLVMValueRef zp = cg_table_i32(cg, "zp", zps, n, slice);
  LLVMValueRef lo = LLVMBuildSIToFP(cg->b, LLVMBuildSub(cg->b, cg_i32(cg, qmin), zp, ""), cg->t_f32, "");
  LLVMValueRef hi = LLVMBuildSIToFP(cg->b, LLVMBuildSub(cg->b, cg_i32(cg, qmax), zp, ""), cg->t_f32, "");
  v = cg_maxnum(cg, v, lo);
  v = cg_minnum(cg, v, hi);
  LLVMValueRef t = LLVMBuildFAdd(cg->b, v, cg_f32(cg, 12582912.0f), "");
  LLVMValueRef r = LLVMBuildSub(cg->b, LLVMBuildBitCast(cg->b, t, cg->t_i32, ""), cg_i32(cg, 0x4B400000), "");
  cg_store(cg, out, e, LLVMBuildAdd(cg->b, r, zp, ""));
}

/* Quantize: one flat loop (per tensor) or an [outer, axis, inner] nest (per axis of y), each element as
 * quantize_elem. Why: the slice index falls out of the nest with no division. Known weakness: scalar, one
 * VDIV.F32 per element (14 cycles on M7); a reciprocal multiply would not be bit-exact with ONNX. */
mcu_status_t cg_gen_quantize(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs != 1) return mcu_status_errorf("expects 1 input, got %d", l->num_inputs);
  const mcu_tensor_t *x = in[0].t, *y = out->t;
  if (x->dtype != MCU_DT_F32 || (y->dtype != MCU_DT_I8 && y->dtype != MCU_DT_U8) || y->num_scales < 1)
    return mcu_status_errorf("expects f32 -> quantized i8/u8 (got %s -> %s)", mcu_dtype_name(x->dtype),
                             mcu_dtype_name(y->dtype));
  if (!same_shape(x, y)) return mcu_status_errorf("input and output shapes differ");
  return emit_slices(cg, y, &in[0], out, quantize_elem);
}

/* One dequantized element: (float)(q - zp) * s, float32; q - zp is exact in int32 here (see below). */
static void dequantize_elem(cg_t *cg, const cg_view_t *in, const cg_view_t *out, LLVMValueRef e, LLVMValueRef slice,
                            const float *scales, const int32_t *zps, int n) {
  LLVMValueRef d = LLVMBuildSub(cg->b, cg_load(cg, in, e), cg_table_i32(cg, "zp", zps, n, slice), "");
  LLVMValueRef f = LLVMBuildSIToFP(cg->b, d, cg->t_f32, "");
  cg_store(cg, out, e, LLVMBuildFMul(cg->b, f, cg_table_f32(cg, "scale", scales, n, slice), ""));
}

/* Dequantize: same nest as quantize. Known weakness: an i32 input with a nonzero zero point would need the exact
 * 64-bit difference converted to float32, which on Cortex-M is a libcall: it is rejected (ONNX uses zero point 0
 * for i32). */
mcu_status_t cg_gen_dequantize(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs != 1) return mcu_status_errorf("expects 1 input, got %d", l->num_inputs);
  const mcu_tensor_t *x = in[0].t, *y = out->t;
  if (y->dtype != MCU_DT_F32 || x->dtype == MCU_DT_F32 || x->num_scales < 1)
    return mcu_status_errorf("expects quantized i8/u8/i32 -> f32 (got %s -> %s)", mcu_dtype_name(x->dtype),
                             mcu_dtype_name(y->dtype));
  if (!same_shape(x, y)) return mcu_status_errorf("input and output shapes differ");
  if (x->dtype == MCU_DT_I32)
    for (int i = 0; i < x->num_scales; ++i)
      if (x->zero_points[i] != 0) return mcu_status_errorf("i32 input with a nonzero zero point is not supported");
  return emit_slices(cg, x, &in[0], out, dequantize_elem);
}

/* Clamp of stored values, one flat loop. Integers: [act_min, act_max] intersected with the type range, with
 * compare-and-select (smax/smin). f32: `v < lo ? lo : v` then `v > hi ? hi : v` with ordered compares, exactly as
 * the reference: a NaN passes through and -0.0 is not raised to +0.0 (an IEEE maxNum/VMAXNM would differ).
 * Known weakness: scalar; in-place clamps still read and write every element. */
mcu_status_t cg_gen_clamp(cg_t *cg, const mcu_layer_t *l, const cg_view_t *in, const cg_view_t *out) {
  if (l->num_inputs != 1) return mcu_status_errorf("expects 1 input, got %d", l->num_inputs);
  const mcu_tensor_t *x = in[0].t, *y = out->t;
  if (x->dtype != y->dtype || !same_shape(x, y)) return mcu_status_errorf("input and output types differ");
  int is_f = x->dtype == MCU_DT_F32;
  int32_t lo = 0, hi = 0;
  if (is_f) {
    if (!(l->fact_min <= l->fact_max))
      return mcu_status_errorf("bad float range [%g, %g]", (double)l->fact_min, (double)l->fact_max);
  } else if (cg_act_range(x->dtype, l->act_min, l->act_max, &lo, &hi)) {
    return mcu_status_errorf("empty range [%d, %d]", l->act_min, l->act_max);
  }
  int64_t total = mcu_tensor_elements(x);
  if (total == 0) return NULL;
  cg_loop_t le;
  LLVMValueRef e = cg_loop_begin(cg, &le, (int32_t)total, "e");
  LLVMValueRef v = cg_load(cg, &in[0], e);
  if (is_f) {
    LLVMValueRef flo = cg_f32(cg, l->fact_min), fhi = cg_f32(cg, l->fact_max);
    v = LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOLT, v, flo, ""), flo, v, "");
    v = LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOGT, v, fhi, ""), fhi, v, "");
  } else {
    LLVMValueRef ilo = cg_i32(cg, lo), ihi = cg_i32(cg, hi);
    v = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, v, ilo, ""), ilo, v, "");
    v = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, v, ihi, ""), ihi, v, "");
  }
  cg_store(cg, out, e, v);
  cg_loop_end(cg, &le);
  return NULL;
}
