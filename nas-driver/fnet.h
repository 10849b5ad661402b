/* fnet.h: a float MCUNet network (batch norm folded) for calibration, its forward pass, and int8 quantization. */
#ifndef MCUNET_NAS_FNET_H
#define MCUNET_NAS_FNET_H

#include <stdint.h>

#include "json.h"
#include "netdesc.h"
#include "npz.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Conv slots: every conv of a nas_net_t has a fixed slot (the classifier is a 1x1 conv on the pooled features). */
#define NAS_SLOT_FIRST 0
#define NAS_SLOT_MIX (1 + 3 * NAS_MAX_BLOCKS)
#define NAS_SLOT_CLS (2 + 3 * NAS_MAX_BLOCKS)
#define NAS_SLOTS (3 + 3 * NAS_MAX_BLOCKS)
static inline int nas_slot_expand(int block) { return 1 + 3 * block; }
static inline int nas_slot_dw(int block) { return 2 + 3 * block; }
static inline int nas_slot_proj(int block) { return 3 + 3 * block; }

/* Activation tensors: the input, the pooled features, each conv's output, each residual add's output. */
#define NAS_T_INPUT 0
#define NAS_T_POOL 1
#define NAS_TENSORS (2 + NAS_SLOTS + NAS_MAX_BLOCKS)
static inline int nas_t_conv(int slot) { return 2 + slot; }
static inline int nas_t_add(int block) { return 2 + NAS_SLOTS + block; }
/* The tensor a block reads (the previous block's output or the first conv's), and the features before the
 * feature-mix conv (or before pooling when there is none). */
int nas_t_block_input(const nas_net_t *n, int block);
int nas_t_features(const nas_net_t *n);
/* The tensor the conv in `slot` reads; -1 for an unused slot. */
int nas_t_slot_input(const nas_net_t *n, int slot);
/* 1 when `slot`'s output goes through ReLU6. */
int nas_slot_relu6(const nas_net_t *n, int slot);

/* One float conv: w [cout][cin/group][k][k] (PyTorch's OIHW), bias [cout]; cout 0 marks an unused slot. "Same"
 * padding k/2, output size ceil(in / stride). */
typedef struct nas_fconv {
  int cin, cout, k, stride, group;
  float *w;
  float *b;
} nas_fconv_t;

typedef struct nas_fnet {
  nas_net_t net;
  nas_fconv_t conv[NAS_SLOTS];
} nas_fnet_t;

/* The geometry of every conv of `n`, weights allocated (zeroed). */
mcu_status_t nas_fnet_alloc(const nas_net_t *n, nas_fnet_t *out);
void nas_fnet_free(nas_fnet_t *f);

/* Loads a PyTorch state dict of MCUNet's ProxylessNASNets (docs/nas.md: key scheme) from a parsed .npz, folding
 * each batch norm (eps from the config's "bn" entry, 1e-5 when cfg is NULL or has none) into its conv. `cfg` also
 * gives the state-dict index of each block (a skipped ZeroLayer block keeps its index); NULL: consecutive. Refuses
 * missing keys, unknown keys (num_batches_tracked excepted), wrong shapes/dtypes, non-finite values, negative
 * variances. */
mcu_status_t nas_fnet_load(const nas_net_t *n, const nas_json_t *cfg, const nas_npz_t *z, nas_fnet_t *out);
/* Reads `npz_path` and calls nas_fnet_load; errors are prefixed with the path. */
mcu_status_t nas_fnet_load_file(const nas_net_t *n, const nas_json_t *cfg, const char *npz_path, nas_fnet_t *out);

/* Per-tensor observed ranges (min/max over every calibration image). */
typedef struct nas_ranges {
  float lo[NAS_TENSORS], hi[NAS_TENSORS];
} nas_ranges_t;
void nas_ranges_init(nas_ranges_t *r);

/* The float forward pass of one image: `image` [R][R][C] (NHWC, float32), `out_logits` [classes]. Conv, depthwise
 * conv, ReLU6, residual add, global average pool, linear. `ranges` (may be NULL) is widened by every tensor's
 * values. */
mcu_status_t nas_forward(const nas_fnet_t *f, const float *image, float *out_logits, nas_ranges_t *ranges);

/* Deterministic calibration images from `seed` (count x R x R x C floats, NHWC): a few random low-frequency cosine
 * waves per channel plus a little noise, within [-2.1, 2.6] (ImageNet-normalized pixels). */
void nas_seeded_images(const nas_net_t *n, uint64_t seed, int count, float *out);

/* An int8 network: per-tensor asymmetric activation quantization (real = scale * (q - zero_point)), per-output-
 * channel symmetric int8 weights (zero point 0), int32 biases with scale input_scale * w_scale[c]. */
typedef struct nas_qparam {
  float scale;
  int zero_point; /* -128..127 */
} nas_qparam_t;
typedef struct nas_qconv {
  int8_t *w;     /* same layout as nas_fconv_t.w */
  float *w_scale; /* [cout] */
  int32_t *bias;  /* [cout] */
} nas_qconv_t;
typedef struct nas_qnet {
  nas_qparam_t t[NAS_TENSORS];
  nas_qconv_t conv[NAS_SLOTS];
} nas_qnet_t;

/* Quantizes `f` with the observed `r`: each tensor's range (widened to include 0; ReLU6 outputs [0, max]) mapped
 * onto -128..127; weights scaled by max|w| / 127 per output channel; biases rounded to int32 (a channel whose bias
 * would overflow int32 gets a larger weight scale). */
mcu_status_t nas_quantize(const nas_fnet_t *f, const nas_ranges_t *r, nas_qnet_t *out);
void nas_qnet_free(nas_qnet_t *q);

#ifdef __cplusplus
}
#endif
#endif
