/* quantize.c: the reference QuantizeLinear (f32 -> i8/u8) and DequantizeLinear (i8/u8/i32 -> f32) kernels. */
#include "ref.h"
#include "ref_util.h"

/* Number of elements after dimension `axis` (the stride of that dimension, in elements). */
static int64_t inner_elements(const mcu_tensor_t *t, int axis) {
  int64_t n = 1;
  for (int i = axis + 1; i < t->rank; ++i) n *= t->shape[i];
  return n;
}

/* Index of the quantization slice that element e (row-major) of t belongs to; 0 when per tensor. */
static int64_t slice_of(const mcu_tensor_t *t, int64_t inner, int64_t e) {
  if (t->num_scales <= 1) return 0;
  return (e / inner) % t->shape[t->quant_axis];
}

/* mcu_ref_quantize: y = mcu_ref_quantize_value(x, s, z, type min, type max) element by element: v = x / s in
 * float32, clamp (NaN -> type minimum - z), round half to even, add z.
 *   x  f32, any rank <= 6, not quantized.
 *   y  i8 or u8, same shape; per tensor, or per axis along y->quant_axis (slice index = that coordinate).
 * The range is the storage type's full range: quantize carries no fused activation.
 * Weakness: none known; the division is the rounding-sensitive step and matches ONNX (no reciprocal). */
int mcu_ref_quantize(const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y, void *y_data) {
  if (mcu_ref_util_check_tensor(x) || mcu_ref_util_check_tensor(y)) return -1;
  if (x->dtype != MCU_DT_F32 || !mcu_ref_util_is_q8(y->dtype) || y->num_scales < 1) return -1;
  if (!mcu_ref_util_same_shape(x, y)) return -1;
  int32_t qmin, qmax;
  mcu_ref_util_int_range(y->dtype, &qmin, &qmax);
  const int64_t n = mcu_tensor_elements(y);
  const int64_t inner = y->num_scales > 1 ? inner_elements(y, y->quant_axis) : 1;
  for (int64_t e = 0; e < n; ++e) {
    float s;
    int32_t z;
    mcu_ref_util_qparams(y, slice_of(y, inner, e), &s, &z);
    const int32_t q = mcu_ref_quantize_value(mcu_ref_util_load_f32(x_data, e), s, z, qmin, qmax);
    mcu_ref_util_store_int(y->dtype, y_data, e, q);
  }
  return 0;
}

/* mcu_ref_dequantize: y = (float)(q - z) * s element by element (float32, exact difference).
 *   x  i8, u8 or i32, any rank <= 6, quantized per tensor or per axis along x->quant_axis.
 *   y  f32, same shape, not quantized.
 * Weakness: an i32 difference beyond 2^24 rounds when converted to float32 (as in ONNX). */
int mcu_ref_dequantize(const mcu_tensor_t *x, const void *x_data, const mcu_tensor_t *y, void *y_data) {
  if (mcu_ref_util_check_tensor(x) || mcu_ref_util_check_tensor(y)) return -1;
  if (y->dtype != MCU_DT_F32 || x->dtype == MCU_DT_F32 || x->num_scales < 1) return -1;
  if (!mcu_ref_util_same_shape(x, y)) return -1;
  const int64_t n = mcu_tensor_elements(x);
  const int64_t inner = x->num_scales > 1 ? inner_elements(x, x->quant_axis) : 1;
  for (int64_t e = 0; e < n; ++e) {
    float s;
    int32_t z;
    mcu_ref_util_qparams(x, slice_of(x, inner, e), &s, &z);
    mcu_ref_util_store_f32(y_data, e, mcu_ref_dequantize_value(mcu_ref_util_load_int(x->dtype, x_data, e), s, z));
  }
  return 0;
}
