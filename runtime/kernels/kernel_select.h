/* kernel_select.h: the kernel families of conv / fully connected layers and the cost model that picks one. */
#ifndef MCUNET_RUNTIME_KERNELS_KERNEL_SELECT_H
#define MCUNET_RUNTIME_KERNELS_KERNEL_SELECT_H

/* IR-free (plain integers in, plain integers out) so that the select-kernels pass, the prepare functions (a layer
 * without a recorded choice) and the unit test share one definition. */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mcu_kfamily {
  MCU_KF_AUTO = 0,      /* no choice recorded: the cost model decides */
  MCU_KF_SCALAR = 1,    /* mcu_k_conv_s8 / mcu_k_fc_s8: the plain C reference loops */
  MCU_KF_POINTWISE = 2, /* mcu_k_conv_pw_s8: 1x1, no padding, any stride; no im2col */
  MCU_KF_IM2COL = 3,    /* mcu_k_conv_im2col_s8: any kh x kw (groups 1), partial im2col of tile_n columns */
  MCU_KF_FIRST = 4,     /* mcu_k_conv_im2col_s8 with the value-by-value column build: few input channels */
  MCU_KF_FC = 5,        /* mcu_k_fc_gemm_s8: fully connected on the GEMM core */
  MCU_KF_DEPTHWISE = 6, /* depthwise conv (groups == c == o): its own kernels, no GEMM tile */
  MCU_KF_COUNT = 7
} mcu_kfamily_t;

/* The layer as the cost model sees it (conv: NHWC input [n, h, w, c], output [n, oh, ow, o], filter kh x kw; FC:
 * is_fc = 1, n = 1, h = oh = 1, w = ow = batches, c = depth, o = units, kh = kw = 1). */
typedef struct mcu_ksel_shape {
  int32_t is_fc;
  int32_t n, h, w, c, oh, ow, o, kh, kw, groups;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t padded;          /* any padding */
  int32_t fast_numerics;   /* 1 when the GEMM core applies: int8 TF Lite numerics, constant filter, zero filter
                              zero point (else only SCALAR / DEPTHWISE) */
  int32_t lean_scratch;    /* 1: the schedule asks for the least memory (--patches=min): no tile whose scratch
                              exceeds the others' (the 4x16 form) unless forced */
} mcu_ksel_shape_t;

typedef struct mcu_ksel_choice {
  mcu_kfamily_t family;
  int32_t tile_m, tile_n; /* register tile (output channels x pixels); 0 x 0 for SCALAR and DEPTHWISE */
  int32_t unroll;         /* input values consumed per inner-loop iteration (4: one SMLAD pair per column) */
  int64_t cost;           /* estimated executed instructions */
} mcu_ksel_choice_t;

/* "scalar", "pointwise", "im2col", "first", "fc", "depthwise" ("auto" for MCU_KF_AUTO). */
const char *mcu_kfamily_name(mcu_kfamily_t f);
/* The family named `name`, or -1. */
int mcu_kfamily_parse(const char *name);
/* The im2col strategy a family implies: "none" (pointwise, fc, scalar, depthwise) or "partial" (im2col, first:
 * tile_n columns at a time into the scratch). */
const char *mcu_kfamily_im2col(mcu_kfamily_t f);

/* Whether tm x tn is a GEMM tile the kernels have: 1x4, 2x2, 1x1; for pointwise layers 4x1 (the int16 filter
 * stream) and 4x16 (the same tile over chunks of up to MCU_W16_CHUNK pixels, the filter kept as int8 and widened
 * once per chunk); for two output channels (pointwise or fully connected) 2x1 (k_gemm_w16.h). */
int mcu_ksel_tile_known(int32_t tm, int32_t tn);
#define MCU_W16_CHUNK 16
/* Whether family f with tile tm x tn can run the layer (the GEMM families' tiles above: 4x1 and 4x16 for pointwise
 * layers whose channel counts are multiples of 4, 2x1 for o == 2 and c % 16 == 0; 0x0 else; a tile of tn pixels
 * other than 4x16 needs at least tn output pixels). */
int mcu_ksel_applies(const mcu_ksel_shape_t *s, mcu_kfamily_t f, int32_t tm, int32_t tn);
/* Estimated executed instructions of family f with tile tm x tn on the layer (-1 when it does not apply). The
 * per-step figures are counted from the Cortex-M7 code LLVM emits for each loop (docs/ir.md, select-kernels). */
int64_t mcu_ksel_cost(const mcu_ksel_shape_t *s, mcu_kfamily_t f, int32_t tm, int32_t tn);
/* Largest filter (k * o values) for which the cost model picks the 4x1 tile on its own (its int16 stream takes two
 * bytes of flash per filter value where the int8 filter took one; wider filters get its 4x16 form, which keeps them
 * as int8); --kernel=pointwise:4x1 forces it on any layer it applies to. */
#define MCU_KSEL_W16_MAX_WEIGHTS 12288
/* The cheapest applicable (family, tile). A forced family (not MCU_KF_AUTO) that applies wins, with the forced
 * tile if tm > 0 and it applies, else the family's cheapest tile; a forced family that does not apply is ignored
 * (the layer gets the cost model's choice). */
mcu_ksel_choice_t mcu_ksel_choose(const mcu_ksel_shape_t *s, mcu_kfamily_t force, int32_t force_tm, int32_t force_tn);
/* Parses a --kernel value "FAMILY" or "FAMILY:MxN" (e.g. "im2col:2x2"); 0 on success, -1 on a malformed value. */
int mcu_ksel_parse_force(const char *spec, mcu_kfamily_t *out_family, int32_t *out_tm, int32_t *out_tn);

#ifdef __cplusplus
}
#endif
#endif
