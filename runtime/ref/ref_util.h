/* ref_util.h: private helpers of the reference kernels: element access, type ranges, operand checks. */
#ifndef MCUNET_RUNTIME_REF_UTIL_H
#define MCUNET_RUNTIME_REF_UTIL_H

#include <stdint.h>
#include <string.h>

#include "program.h"

/* Elements are little-endian bytes whatever the host is, so every access goes through these byte-wise helpers.
 * Conversions are written so that no implementation-defined signed conversion is involved. */

static inline uint32_t mcu_ref_util_load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void mcu_ref_util_store_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Two's complement reinterpretation of a 32-bit pattern. */
static inline int32_t mcu_ref_util_u32_to_i32(uint32_t u) {
  return u >= 0x80000000u ? (int32_t)(u - 0x80000000u) - INT32_MAX - 1 : (int32_t)u;
}

/* Element i of an i8, u8 or i32 buffer as int32 (other dtypes read as 0; callers check dtypes first). */
static inline int32_t mcu_ref_util_load_int(mcu_dtype_t dt, const void *base, int64_t i) {
  const uint8_t *b = (const uint8_t *)base;
  switch (dt) {
  case MCU_DT_I8:
    return (int32_t)b[i] - ((b[i] & 0x80u) ? 256 : 0);
  case MCU_DT_U8:
    return (int32_t)b[i];
  case MCU_DT_I32:
    return mcu_ref_util_u32_to_i32(mcu_ref_util_load_u32(b + 4 * i));
  case MCU_DT_F32:
    break;
  }
  return 0;
}

/* Stores v (already in the dtype's range) as element i of an i8, u8 or i32 buffer. */
static inline void mcu_ref_util_store_int(mcu_dtype_t dt, void *base, int64_t i, int32_t v) {
  uint8_t *b = (uint8_t *)base;
  switch (dt) {
  case MCU_DT_I8:
  case MCU_DT_U8:
    b[i] = (uint8_t)(uint32_t)v;
    break;
  case MCU_DT_I32:
    mcu_ref_util_store_u32(b + 4 * i, (uint32_t)v);
    break;
  case MCU_DT_F32:
    break;
  }
}

static inline float mcu_ref_util_load_f32(const void *base, int64_t i) {
  uint32_t u = mcu_ref_util_load_u32((const uint8_t *)base + 4 * i);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline void mcu_ref_util_store_f32(void *base, int64_t i, float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  mcu_ref_util_store_u32((uint8_t *)base + 4 * i, u);
}

/* 1 for the 8-bit quantized storage types i8 and u8. */
static inline int mcu_ref_util_is_q8(mcu_dtype_t dt) { return dt == MCU_DT_I8 || dt == MCU_DT_U8; }

/* Full range of an integer dtype (i8, u8, i32). Returns -1 for f32 or an unknown dtype. */
int mcu_ref_util_int_range(mcu_dtype_t dt, int32_t *out_min, int32_t *out_max);

/* [act_min, act_max] intersected with the full range of integer dtype `dt`. Returns -1 if the dtype is not an
 * integer type or the intersection is empty. */
int mcu_ref_util_act_range(mcu_dtype_t dt, int32_t act_min, int32_t act_max, int32_t *out_lo, int32_t *out_hi);

/* Checks a descriptor: rank in [0, MCU_MAX_RANK], every dimension >= 0, byte size representable in int64 and
 * size_t, known dtype, and consistent quantization (num_scales 0; 1 = per tensor; or shape[quant_axis] entries
 * with 0 <= quant_axis < rank; scales and zero points present; integer zero points inside the storage range).
 * Returns 0 if valid, -1 otherwise. */
int mcu_ref_util_check_tensor(const mcu_tensor_t *t);

/* Scale (as float32) and zero point of slice `i` along the quantization axis; per tensor ignores i. */
void mcu_ref_util_qparams(const mcu_tensor_t *t, int64_t i, float *out_scale, int32_t *out_zero_point);

/* 1 if both descriptors have the same rank and dimensions. */
int mcu_ref_util_same_shape(const mcu_tensor_t *a, const mcu_tensor_t *b);

#endif
