/* patch_plan.h: the geometry of patch-based execution (MCUNetV2), IR-free: regions, halos, buffer bytes, MACs. */
#ifndef MCUNET_COMPILER_PATCH_PLAN_H
#define MCUNET_COMPILER_PATCH_PLAN_H

#include <stdint.h>

#include "program.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A patch stage is a chain of layers L0 -> L1 -> ... -> Ln-1 over NHWC tensors (batch 1), each reading only the
 * previous one's output (L0 reads the stage input). The stage output (Ln-1's) is cut into a grid of rows x cols
 * tiles; for each tile, walking back through the chain, every layer's output region and the input region it
 * needs (its receptive field, clipped to the tensor) are computed, and the layers run on those regions alone: the
 * full intermediate tensors never exist, only one patch of each (the overlap between neighbouring patches, the
 * halo, is recomputed). Positions of a window outside the tensor are the layer's own padding: a patch call gets
 * the part of the padding its region touches (pad_top/pad_left), so kernels that skip or zero-fill padding give
 * the same bytes on a patch as on the whole tensor. */

typedef enum mcu_patch_kind {
  MCU_PATCH_ELEMENTWISE = 0, /* output (y, x) reads input (y, x) only: quantize, requantize, clamp */
  MCU_PATCH_WINDOW = 1,      /* convolution / pooling: a kh x kw window with stride, padding, dilation */
} mcu_patch_kind_t;

/* One layer of a stage. Tensors are [1, h, w, c]; for a WINDOW layer
 * oh == (h + pad_top + pad_bottom - ((kh - 1) * dh + 1)) / sh + 1 (and likewise for w). */
typedef struct mcu_patch_layer {
  mcu_patch_kind_t kind;
  int32_t in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t kh, kw, sh, sw, dh, dw; /* WINDOW; >= 1 */
  int32_t pad_top, pad_left;      /* WINDOW; >= 0 */
  uint32_t in_elem, out_elem;     /* bytes per element of the input and output */
  uint64_t macs_per_out;          /* MACs per output element (kh * kw * in_c / groups for a conv; 0 otherwise) */
} mcu_patch_layer_t;

/* Rows [y0, y1) x columns [x0, x1) of a tensor. */
typedef struct mcu_region {
  int32_t y0, y1, x0, x1;
} mcu_region_t;

/* One layer's part of one patch: the output region it computes, the input region it reads (clipped to the input
 * tensor) and the padding the call sees on the top and left (>= 0); the call's padding on the bottom and right
 * is what makes its output size come out: ((out - 1) * stride + span) - in - pad_top (>= 0). */
typedef struct mcu_patch_call {
  mcu_region_t out, in;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
} mcu_patch_call_t;

#define MCU_PATCH_MAX_LAYERS 32
#define MCU_PATCH_MAX_GRID 16

/* The geometry of a lowered layer (conv2d, stream block, pooling, quantize / requantize / clamp), read as
 * patch-stages reads the IR op it came from. */
mcu_status_t mcu_patch_layer_of_layer(const mcu_program_t *p, const mcu_layer_t *l, mcu_patch_layer_t *out);

/* Checks the chain: shapes meet (layer k's output is layer k+1's input), windows are consistent. */
mcu_status_t mcu_patch_check(const mcu_patch_layer_t *layers, int num_layers);

/* The tile (pi, pj) of a rows x cols grid over an out_h x out_w output: rows [pi * out_h / rows, (pi + 1) *
 * out_h / rows), columns likewise (every tile non-empty: rows <= out_h, cols <= out_w). */
mcu_region_t mcu_patch_tile(int32_t out_h, int32_t out_w, int rows, int cols, int pi, int pj);

/* The calls of patch (pi, pj): out_calls[k] for layer k (num_layers entries). */
mcu_status_t mcu_patch_calls(const mcu_patch_layer_t *layers, int num_layers, int rows, int cols, int pi, int pj,
                             mcu_patch_call_t *out_calls);

/* What a grid costs, over all its patches:
 *   buf_bytes[k]  the most bytes layer k's output region takes in any patch (k < num_layers - 1: the buffer the
 *                 intermediate tensor needs; for the last layer: the region a column-split grid stages before
 *                 copying it into the full output);
 *   in_bytes      the most bytes of layer 0's input region in any patch (the gather buffer of a column split);
 *   macs          the MACs of every call of every patch (patched work), and base_macs those of the unsplit chain.
 */
typedef struct mcu_patch_cost {
  uint64_t buf_bytes[MCU_PATCH_MAX_LAYERS];
  uint64_t in_bytes;
  uint64_t macs, base_macs;
} mcu_patch_cost_t;

mcu_status_t mcu_patch_cost(const mcu_patch_layer_t *layers, int num_layers, int rows, int cols,
                            mcu_patch_cost_t *out_cost);

/* Whether a grid runs with copies. Bands (cols == 1) whose every layer reads whole rows of its input (no column
 * left unread) run in place: a band of rows of an NHWC tensor is contiguous, so each call reads from the full
 * stage input and writes into the full stage output directly. Otherwise every patch gathers layer 0's input
 * region into a buffer (or, when layer 0 is elementwise, runs it row segment by row segment from the full input)
 * and stages the last layer's output region before copying it into the full output. */
int mcu_patch_copies(const mcu_patch_layer_t *layers, int num_layers, int rows, int cols);
static inline int mcu_patch_gathers(const mcu_patch_layer_t *layers, int num_layers, int rows, int cols) {
  return mcu_patch_copies(layers, num_layers, rows, cols) && layers[0].kind != MCU_PATCH_ELEMENTWISE;
}
static inline int mcu_patch_scatters(const mcu_patch_layer_t *layers, int num_layers, int rows, int cols) {
  return mcu_patch_copies(layers, num_layers, rows, cols);
}

#ifdef __cplusplus
}
#endif
#endif
