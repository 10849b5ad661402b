/* prepare_gemm_w16.c: builds the 4x1 pointwise tile's stream of int16 filter pairs, biases and multipliers. */
#include "prepare_gemm_w16.h"

#include <string.h>

#include "k_gemm_w16.h"
#include "prepare_util.h"

static void put32(uint8_t *at, uint32_t v) {
  at[0] = (uint8_t)v, at[1] = (uint8_t)(v >> 8), at[2] = (uint8_t)(v >> 16), at[3] = (uint8_t)(v >> 24);
}

/* The word of int16 halves (lo, hi). */
static uint32_t pair16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | (((uint32_t)hi & 0xffffu) << 16); }

mcu_status_t mcu_prep_w16_stream(const mcu_layer_t *l, mcu_kernel_call_t *call, const int8_t *w, const int32_t *bias,
                                 const int32_t *rec, const mcu_w16_spec_t *sp, int sizes_only) {
  const int32_t o = sp->o, k = sp->k, tw = sp->tw, mode = sp->mode, epi = sp->epi;
  if ((tw != 4 && tw != 2) || o % tw != 0 || k % 4 != 0 || o < tw || k < 4 || (tw == 2 && epi != MCU_W16_EPI_C))
    return mcu_status_errorf("layer '%s': no %dx1 tile for %d input and %d output channels", l->name, (int)tw, (int)k,
                             (int)o);
  if (sp->compact && (tw != 4 || (epi == MCU_W16_EPI_RELU && mode < MCU_GEMM_RQ_MMLA_R0)))
    return mcu_status_errorf("layer '%s': the 4x16 form has no per-channel filter scales", l->name);
  const int64_t tail = tw == 4 ? mcu_w16_tail_words(mode, epi) : 0;
  const int64_t words = (int64_t)(o / tw) * (tw + (int64_t)(k / 4) * tw * (sp->compact ? 1 : 2) + tail);
  if (words * 4 > UINT32_MAX / 2)
    return mcu_status_errorf("layer '%s': %dx1 filter stream too large", l->name, (int)tw);
  if (sizes_only) /* only the size: cost queries read no table bytes */
    return mcu_prep_size_aux(l, call, (uint32_t)(words * 4));
  uint8_t *s;
  mcu_status_t st = mcu_prep_new_aux(l, call, (uint32_t)(words * 4), (void **)&s);
  if (st)
    return st;
  const int mmla = mode >= MCU_GEMM_RQ_MMLA, uniform = mode >= MCU_GEMM_RQ_MMLA_R0;
  uint8_t *at = s;
  for (int32_t t = 0; t < o / tw; ++t) {
    const int32_t c0 = tw * t;
    int32_t f[4]; /* each channel's factor: 2^scale (the caller's checks keep 2^scale w in int16, 2^scale bias' in
                     int32) */
    for (int32_t j = 0; j < tw; ++j)
      f[j] = (int32_t)1 << mcu_w16_scale_log2(mode, epi, sp->shift, mmla ? rec[4 * (c0 + j) + 3] : 0);
    for (int32_t j = 0; j < tw; ++j, at += 4)
      put32(at, (uint32_t)bias[c0 + j] * (uint32_t)f[j]);
    for (int32_t g = 0; sp->compact && g < k / 4; ++g) /* int8: channel j's four values at 16g + 4j */
      for (int32_t j = 0; j < tw; ++j, at += 4)
        memcpy(at, w + (size_t)(c0 + j) * (size_t)k + 4 * (size_t)g, 4);
    for (int32_t g = 0; !sp->compact && g < k / 4; ++g)
      for (int32_t j = 0; j < tw; ++j) {
        const int8_t *r = w + (size_t)(c0 + j) * (size_t)k + 4 * (size_t)g;
        put32(at, pair16(f[j] * r[0], f[j] * r[2])), at += 4;
        put32(at, pair16(f[j] * r[1], f[j] * r[3])), at += 4;
      }
    if (tw != 4) /* the 2x1 tile: the epilogue in C from aux1 */
      continue;
    if (epi != MCU_W16_EPI_C && uniform) { /* m0..m3, C: one right shift and one output offset for the layer */
      for (int32_t j = 0; j < 4; ++j, at += 4)
        put32(at, (uint32_t)rec[4 * (c0 + j) + 1]);
      put32(at, (uint32_t)rec[2]), at += 4;
    } else if (epi == MCU_W16_EPI_RELU) { /* m, C_c per channel */
      for (int32_t j = 0; j < 4; ++j, at += 8) {
        const int32_t *rc = rec + 4 * (c0 + j);
        put32(at, (uint32_t)rc[1]);
        put32(at + 4, (uint32_t)mcu_w16_relu_nudge(sp->shift, rc[3], sp->z));
      }
    } else if (epi == MCU_W16_EPI_SIGN) { /* m, C, e per channel */
      for (int32_t j = 0; j < 4; ++j)
        for (int32_t e = 1; e <= 3; ++e, at += 4)
          put32(at, (uint32_t)rec[4 * (c0 + j) + e]);
    }
  }
  return NULL;
}
