/* gemm_w16_m7.c: firmware of gemm_w16.sh: the Cortex-M7 assembly of the 4x1 pointwise tile against the C epilogue. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "k_gemm_w16.h"

/* Random layers (k, o, requantization mode, clamp, alignment) run through mcu_w16_pixel, whose assembly (widening,
 * LDM/SMLAD groups, the fused epilogues with one or per-channel right shifts) only the device build reaches; each
 * output must equal mcu_gemm_requant of the plain int32 accumulator bias' + sum_k w x (k_gemm_s8.h's epilogue, which
 * the host unit test kernels_gemm_test.c proves against the reference convolution). The stream is built here the
 * way prepare_gemm_w16.c builds it. */

static uint32_t seed = 2463534242u;
static uint32_t next(void) { return seed = seed * 1664525u + 1013904223u; }
static int32_t rnd(int32_t lo, int32_t hi) { return lo + (int32_t)((next() >> 8) % (uint32_t)(hi - lo + 1)); }

static uint32_t pair16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | (((uint32_t)hi & 0xffffu) << 16); }

enum { KMAX = 160, OMAX = 48 };

int main(void) {
  static const int32_t ks[] = {4, 8, 12, 16, 20, 24, 32, 48, 64, 68, 72, 80, 96, 132, 160};
  static int8_t xbuf[KMAX + 4] __attribute__((aligned(4)));
  static int8_t w[OMAX * KMAX];
  static int32_t bias[OMAX], rec[4 * OMAX], tab[2 * OMAX], stream[OMAX / 4 * (4 + 2 * KMAX + 12)];
  static int64_t amax[OMAX];
  static uint32_t xs[KMAX / 2] __attribute__((aligned(8)));
  static int8_t y[OMAX], want[OMAX], yc[16 * OMAX];
  static uint32_t chunk[16 * KMAX / 2] __attribute__((aligned(8)));
  static int32_t gs[4 + 2 * KMAX + 12] __attribute__((aligned(8)));
  int chunks = 0;
  int bad = 0, runs = 0, forms[5] = {0}; /* C, SIGN uniform, SIGN per channel, RELU uniform, RELU per channel */
  for (int it = 0; it < 800; ++it) {
    const int32_t k = ks[rnd(0, (int32_t)(sizeof ks / sizeof ks[0]) - 1)], o = 4 * rnd(1, OMAX / 4);
    const int kind = rnd(0, 3); /* 0 uniform R, 1 per-channel R, 2 per-channel R with a clamp, 3 EXACT mode */
    const int aligned = rnd(0, 1);
    const int8_t *x = xbuf + (aligned ? 0 : rnd(1, 3));
    for (int i = 0; i < KMAX + 4; ++i)
      xbuf[i] = (int8_t)rnd(-128, 127);
    for (int i = 0; i < o * k; ++i)
      w[i] = (int8_t)rnd(-128, 127);
    mcu_k_conv_params_t q;
    memset(&q, 0, sizeof q);
    q.output_offset = rnd(0, 1) ? -128 : rnd(-128, 127); /* -128: the RELU forms */
    q.act_min = -128, q.act_max = 127;
    if (kind == 2)
      q.act_min = rnd(-128, 0), q.act_max = rnd(q.act_min, 127);
    const int32_t r0 = rnd(1, 14), spread = rnd(0, 3) ? 6 : 13; /* per channel: 1 + R - e <= 8 fits the RELU form */
    int32_t mode = kind == 0 ? MCU_GEMM_RQ_MMLA_R0 + r0 : kind == 3 ? MCU_GEMM_RQ_EXACT : MCU_GEMM_RQ_MMLA;
    for (int32_t c = 0; c < o; ++c) {
      bias[c] = rnd(-200000, 200000);
      const int32_t r = kind == 0 ? r0 : rnd(1, 1 + spread), m = (int32_t)(0x40000000u + (next() & 0x3fffffffu));
      rec[4 * c] = bias[c], rec[4 * c + 1] = m, rec[4 * c + 2] = mcu_gemm_mmla_nudge(r, q.output_offset);
      rec[4 * c + 3] = r;
      tab[c] = m, tab[o + c] = kind == 3 ? rnd(-10, 2) : -r;
      amax[c] = bias[c] < 0 ? -(int64_t)bias[c] : bias[c];
      for (int i = 0; i < k; ++i)
        amax[c] += 128 * (int64_t)(w[c * k + i] < 0 ? -w[c * k + i] : w[c * k + i]);
      if (kind != 3 && !mcu_gemm_mmla_ok(amax[c], m, -r, q.output_offset))
        mode = MCU_GEMM_RQ_EXACT;
    }
    int32_t shift;
    const int32_t epi = mcu_w16_epi_form(mode, &q, rec, amax, o, &shift);
    const int uniform = mode >= MCU_GEMM_RQ_MMLA_R0;
    int32_t *s = stream;
    for (int32_t t = 0; t < o / 4; ++t) {
      int32_t f[4];
      for (int j = 0; j < 4; ++j)
        f[j] = 1 << mcu_w16_scale_log2(mode, epi, shift, rec[4 * (4 * t + j) + 3]);
      for (int j = 0; j < 4; ++j)
        *s++ = bias[4 * t + j] * f[j];
      for (int32_t g = 0; g < k / 4; ++g)
        for (int j = 0; j < 4; ++j) {
          const int8_t *r = w + (4 * t + j) * k + 4 * g;
          *s++ = (int32_t)pair16(f[j] * r[0], f[j] * r[2]), *s++ = (int32_t)pair16(f[j] * r[1], f[j] * r[3]);
        }
      if (epi != MCU_W16_EPI_C && uniform) {
        for (int j = 0; j < 4; ++j)
          *s++ = rec[4 * (4 * t + j) + 1];
        *s++ = rec[2];
      } else if (epi == MCU_W16_EPI_RELU) {
        for (int j = 0; j < 4; ++j)
          *s++ = rec[4 * (4 * t + j) + 1], *s++ = (int32_t)mcu_w16_relu_nudge(shift, rec[4 * (4 * t + j) + 3], -128);
      } else if (epi == MCU_W16_EPI_SIGN) {
        for (int j = 0; j < 4; ++j)
          for (int e = 1; e <= 3; ++e)
            *s++ = rec[4 * (4 * t + j) + e];
      }
    }
    memset(y, 0x5a, sizeof y);
    mcu_w16_pixel(x, xs, stream, y, k, o, mode, epi, shift,
                  epi != MCU_W16_EPI_C ? NULL : (mode >= MCU_GEMM_RQ_MMLA ? rec : tab), &q, aligned);
    for (int32_t c = 0; c < o; ++c) {
      int32_t a = bias[c];
      for (int i = 0; i < k; ++i)
        a += (int32_t)w[c * k + i] * x[i];
      const mcu_gemm_rq_t r = mcu_gemm_rq(mode >= MCU_GEMM_RQ_MMLA ? rec : tab, o, c, mode, &q);
      want[c] = mcu_gemm_requant(a, &r, mode, &q);
      if (y[c] != want[c] && bad++ < 5)
        printf("mismatch: case %d k %d o %d mode %d form %d channel %d: %d, want %d\n", it, (int)k, (int)o, (int)mode,
               (int)epi, (int)c, y[c], want[c]);
    }
    runs += o;
    ++forms[epi == MCU_W16_EPI_C ? 0 : (epi == MCU_W16_EPI_RELU ? 3 : 1) + !uniform];
    /* The 4x16 form on the same layer (not the per-channel RELU form, which it does not offer): the compact stream
     * (int8 groups) widened per tile into gs, nq copies of the pixel (doubled in the MMLA modes) run together. */
    if (epi == MCU_W16_EPI_RELU && !uniform)
      continue;
    s = stream;
    for (int32_t t = 0; t < o / 4; ++t) {
      for (int j = 0; j < 4; ++j)
        *s++ = bias[4 * t + j] * (mode >= MCU_GEMM_RQ_MMLA ? 2 : 1);
      for (int32_t g = 0; g < k / 4; ++g)
        for (int j = 0; j < 4; ++j)
          memcpy(s++, w + (4 * t + j) * k + 4 * g, 4);
      if (epi != MCU_W16_EPI_C && uniform) {
        for (int j = 0; j < 4; ++j)
          *s++ = rec[4 * (4 * t + j) + 1];
        *s++ = rec[2];
      } else if (epi == MCU_W16_EPI_SIGN) {
        for (int j = 0; j < 4; ++j)
          for (int e = 1; e <= 3; ++e)
            *s++ = rec[4 * (4 * t + j) + e];
      }
    }
    const int32_t nq = rnd(1, 16);
    for (int32_t j = 0; j < nq; ++j) {
      mcu_w16_widen(x, chunk + j * (k / 2), k, aligned);
      if (mode >= MCU_GEMM_RQ_MMLA)
        for (int32_t i = 0; i < k / 2; ++i)
          chunk[j * (k / 2) + i] = mcu_dsp_sadd16(chunk[j * (k / 2) + i], chunk[j * (k / 2) + i]);
    }
    memset(yc, 0x5a, sizeof yc);
    mcu_w16_chunk(chunk, nq, stream, gs, yc, k, o, mode, epi,
                  epi != MCU_W16_EPI_C ? NULL : (mode >= MCU_GEMM_RQ_MMLA ? rec : tab), &q);
    for (int32_t j = 0; j < nq; ++j)
      for (int32_t c = 0; c < o; ++c)
        if (yc[j * o + c] != want[c] && bad++ < 5)
          printf("4x16 mismatch: case %d k %d o %d mode %d form %d pixel %d channel %d: %d, want %d\n", it, (int)k,
                 (int)o, (int)mode, (int)epi, (int)j, (int)c, yc[j * o + c], want[c]);
    chunks += nq * o;
  }
  /* The 2x1 tile's accumulation (mcu_w16_pair): k = 16 .. 384 (unrolled up to 256, then the loop), a stream of two
   * channels, doubled or not; its accumulators must equal bias'' + sum w'' x. */
  static int8_t xp[384] __attribute__((aligned(4)));
  static int32_t ps[2 + 384];
  int pairs = 0;
  for (int it = 0; it < 300; ++it) {
    const int32_t k = 16 * rnd(1, 24), f = rnd(1, 2);
    for (int i = 0; i < k; ++i)
      xp[i] = (int8_t)rnd(-128, 127);
    for (int i = 0; i < 2 * k; ++i)
      w[i] = (int8_t)rnd(-128, 127);
    int32_t want2[2];
    for (int j = 0; j < 2; ++j) {
      ps[j] = f * rnd(-200000, 200000);
      want2[j] = ps[j];
      for (int i = 0; i < k; ++i)
        want2[j] += f * w[j * k + i] * xp[i];
    }
    int32_t *s = ps + 2;
    for (int32_t g = 0; g < k / 4; ++g)
      for (int j = 0; j < 2; ++j) {
        const int8_t *r = w + j * k + 4 * g;
        *s++ = (int32_t)pair16(f * r[0], f * r[2]), *s++ = (int32_t)pair16(f * r[1], f * r[3]);
      }
    int32_t got[2];
    mcu_w16_pair(xp, ps, k, 1, got);
    for (int j = 0; j < 2; ++j)
      if (got[j] != want2[j] && bad++ < 5)
        printf("2x1 mismatch: case %d k %d channel %d: %ld, want %ld\n", it, (int)k, j, (long)got[j], (long)want2[j]);
    pairs += 2;
  }
  printf("%d accumulators of the 2x1 tile checked\n", pairs);
  for (int i = 0; i < 5; ++i)
    if (forms[i] < 40) {
      printf("too few cases per epilogue form: %d C, %d SIGN uniform, %d SIGN per channel, %d RELU uniform, %d RELU per "
             "channel\n", forms[0], forms[1], forms[2], forms[3], forms[4]);
      return 1;
    }
  printf("%d outputs of 800 layers equal (%d C epilogue, %d SIGN uniform, %d SIGN per channel, %d RELU uniform, %d "
         "RELU per channel), %d of the 4x16 form\n", runs, forms[0], forms[1], forms[2], forms[3], forms[4], chunks);
  return bad != 0;
}
