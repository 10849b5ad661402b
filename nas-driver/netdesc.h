/* netdesc.h: an MCUNet network as plain data (no IR): first conv, inverted-residual blocks, head. */
#ifndef MCUNET_NAS_NETDESC_H
#define MCUNET_NAS_NETDESC_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NAS_MAX_BLOCKS 64

/* One MobileNetV2 inverted-residual block: [1x1 expand conv + ReLU6] (absent when expand_ratio is 1), kxk depthwise
 * conv (stride s) + ReLU6, 1x1 linear projection; `residual` adds the block's input (same shape, stride 1). */
typedef struct nas_block {
  int in_channels, out_channels;
  int kernel; /* 1..11, odd */
  int stride; /* 1 or 2 */
  int expand; /* expand ratio: 1 means no expansion conv (mid == in) */
  int mid_channels;
  int residual;
} nas_block_t;

/* The whole network: input [1, 3, resolution, resolution]; first conv 3x3 stride 2 + ReLU6; the blocks; an optional
 * 1x1 feature-mix conv + ReLU6 (mix_channels 0: none); global average pool; linear classifier with bias. Every conv
 * carries one bias per output channel (batch norm folded, as in the int8 model). */
typedef struct nas_net {
  int resolution;
  int in_channels; /* 3 */
  int first_channels;
  int first_kernel, first_stride;
  int num_blocks;
  nas_block_t blocks[NAS_MAX_BLOCKS];
  int mix_channels;
  int classes;
} nas_net_t;

/* Reads an MCUNet/ProxylessNAS/OFA config ("ProxylessNASNets" JSON, ../shared/models/SOURCES.md). Blocks whose conv
 * is a ZeroLayer with an identity shortcut (skipped blocks) are dropped. Checks that channels chain. */
mcu_status_t nas_net_from_json(const nas_json_t *config, nas_net_t *out_net);
mcu_status_t nas_net_load(const char *path, nas_net_t *out_net);
/* Checks the description's internal consistency (channels chain, ranges, residual shapes). */
mcu_status_t nas_net_check(const nas_net_t *n);
/* Writes the description as an MCUNet config (readable by nas_net_from_json and by MCUNet's own tools). */
int nas_net_write_json(const nas_net_t *n, FILE *f);

/* Analytic figures, the MCUNet convention: MACs of the convolutions and the classifier (adds and pooling not
 * counted); params = conv weights + one bias per conv output channel + classifier weights and biases. */
int64_t nas_net_macs(const nas_net_t *n);
int64_t nas_net_params(const nas_net_t *n);
/* The spatial size after a stride-s "same" conv: ceil(h / s). */
static inline int nas_out_size(int h, int s) { return (h + s - 1) / s; }

#ifdef __cplusplus
}
#endif
#endif
