/* k_mem.h: device-side element loads and stores for the kernel library (unaligned-safe, little-endian hosts). */
#ifndef MCUNET_RUNTIME_KERNELS_K_MEM_H
#define MCUNET_RUNTIME_KERNELS_K_MEM_H

/* Buffers hold little-endian elements (kernel_call.h); both the host build and the Cortex-M are little-endian, so
 * a memcpy of the element is its value. memcpy keeps unaligned int32/float accesses defined; compilers turn it into
 * a plain load. */

#include <stdint.h>
#include <string.h>

static inline int32_t mcu_km_i32(const void *base, int32_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, 4);
  return v;
}

static inline float mcu_km_f32(const void *base, int32_t i) {
  float v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, 4);
  return v;
}

static inline void mcu_km_set_f32(void *base, int32_t i, float v) { memcpy((uint8_t *)base + 4 * (size_t)i, &v, 4); }

/* An 8-bit element of type MCU_K_I8 (0) or MCU_K_U8 (1) as int32. */
static inline int32_t mcu_km_q8(const void *base, int32_t i, int32_t type) {
  const uint8_t b = ((const uint8_t *)base)[i];
  return type == 1 ? (int32_t)b : (int32_t)b - ((b & 0x80u) ? 256 : 0);
}

/* Stores v (inside the type's range) as an 8-bit element. */
static inline void mcu_km_set_q8(void *base, int32_t i, int32_t v) { ((uint8_t *)base)[i] = (uint8_t)(uint32_t)v; }

#endif
