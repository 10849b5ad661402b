/* mlir_emit.c: nas_net_t -> mcu-dialect text, the cost queries' IR (no ONNX round trip, no weight data).
 * Why text: mcu_compile_program reads .mlir files through the same entry as .onnx ones, so the query runs the
 * unchanged pipeline (every pass, lowering) on it; the text is small because every constant is a splat.
 * The form mirrors the ONNX front end's import of onnx_export.c's model (NCHW input transposed to NHWC, conv2d with
 * OHWI int8 filters and i32 biases, add, mean, reshapes, the same activation quantization and names). Two things
 * differ, both cheaper to parse and neither changing the plan or the blob sizes: constants are zero splats, and
 * filters are quantized per tensor (the export's are per channel; per-channel scales are thousands of decimal
 * floats to parse). test/e2e/nas_zoo.sh and cost_test.c check that both paths give the same figures. Weakness: a
 * change in the front end's import form must be mirrored here (those tests fail when it is not). */
#include "mlir_emit.h"

#include <string.h>

/* Type aliases, defined once at the top of the module: each quantized type's scale (a decimal float, slow to parse)
 * is parsed once, not at every use. */
#define RELU "!relu6"
#define LIN "!linear"
#define INQ "!input"
#define WQ "!filter"
static const char aliases[] = "!relu6 = !quant.uniform<i8:f32, 0.023529412224888802:-128>\n"
                              "!linear = !quant.uniform<i8:f32, 6.250000e-02>\n"
                              "!input = !quant.uniform<i8:f32, 1.562500e-02>\n"
                              "!filter = !quant.uniform<i8:f32, 4.000000e-03>\n";

typedef struct {
  FILE *f;
  int next; /* next SSA number */
} emitter_t;

/* The filter's type: int8 quantized per tensor (see the top). */
static void filter_type(emitter_t *e, int o, int k, int ci) {
  fprintf(e->f, "tensor<%dx%dx%dx%dx" WQ ">", o, k, k, ci);
}

/* One conv2d: x (value number, [1,h,w,ci] of quant type xq) -> returns the output value number. */
static int conv(emitter_t *e, const char *name, int x, int h, int ci, const char *xq, int co, int k, int stride,
                int groups, const char *yq, int *out_h) {
  int cig = ci / groups, oh = (h + stride - 1) / stride, w = e->next, b = e->next + 1, y = e->next + 2;
  e->next += 3;
  fprintf(
      e->f,
      "    %%%d = \"mcu.constant\"() {mcu.name = \"%s.weight\", value = dense<0> : tensor<%dx%dx%dx%dxi8>} : () -> ", w,
      name, co, k, k, cig);
  filter_type(e, co, k, cig);
  fprintf(e->f,
          "\n    %%%d = \"mcu.constant\"() {mcu.name = \"%s.bias\", value = dense<0> : tensor<%dxi32>} : () -> "
          "tensor<%dxi32>\n",
          b, name, co, co);
  fprintf(e->f,
          "    %%%d = \"mcu.conv2d\"(%%%d, %%%d, %%%d) {dilations = array<i64: 1, 1>, groups = %d : i64, mcu.name = "
          "\"%s\", pads = array<i64: %d, %d, %d, %d>, strides = array<i64: %d, %d>} : (tensor<1x%dx%dx%dx%s>, ",
          y, x, w, b, groups, name, k / 2, k / 2, k / 2, k / 2, stride, stride, h, h, ci, xq);
  filter_type(e, co, k, cig);
  fprintf(e->f, ", tensor<%dxi32>) -> tensor<1x%dx%dx%dx%s>\n", co, oh, oh, co, yq);
  *out_h = oh;
  return y;
}

int nas_mlir_write(const nas_net_t *n, FILE *f) {
  emitter_t e = {f, 1};
  int r = n->resolution, c = n->in_channels;
  fputs(aliases, f);
  fprintf(f,
          "module {\n  func.func @main(%%arg0: tensor<1x%dx%dx%dx%s> {mcu.name = \"input\"}) -> "
          "(tensor<1x%dx%s> {mcu.name = \"logits\"}) {\n",
          c, r, r, INQ, n->classes, LIN);
  fprintf(f,
          "    %%0 = \"mcu.transpose\"(%%arg0) {mcu.name = \"input_nhwc\", perm = array<i64: 0, 2, 3, 1>} : "
          "(tensor<1x%dx%dx%dx%s>) -> tensor<1x%dx%dx%dx%s>\n",
          c, r, r, INQ, r, r, c, INQ);
  int h;
  int x = conv(&e, "first_conv", 0, r, c, INQ, n->first_channels, n->first_kernel, n->first_stride, 1, RELU, &h);
  const char *xq = RELU;
  c = n->first_channels;
  char name[64];
  for (int i = 0; i < n->num_blocks; ++i) {
    const nas_block_t *b = &n->blocks[i];
    int in = x, in_h = h;
    const char *in_q = xq;
    if (b->expand != 1) {
      snprintf(name, sizeof name, "blocks.%d.expand", i);
      x = conv(&e, name, x, h, c, xq, b->mid_channels, 1, 1, 1, RELU, &h);
      xq = RELU;
    }
    snprintf(name, sizeof name, "blocks.%d.depthwise", i);
    x = conv(&e, name, x, h, b->mid_channels, xq, b->mid_channels, b->kernel, b->stride, b->mid_channels, RELU, &h);
    snprintf(name, sizeof name, "blocks.%d.project", i);
    x = conv(&e, name, x, h, b->mid_channels, RELU, b->out_channels, 1, 1, 1, LIN, &h);
    xq = LIN;
    if (b->residual) {
      int y = e.next++;
      fprintf(f,
              "    %%%d = \"mcu.add\"(%%%d, %%%d) {mcu.name = \"blocks.%d.add\"} : (tensor<1x%dx%dx%dx%s>, "
              "tensor<1x%dx%dx%dx%s>) -> tensor<1x%dx%dx%dx%s>\n",
              y, x, in, i, h, h, b->out_channels, LIN, in_h, in_h, b->in_channels, in_q, h, h, b->out_channels, LIN);
      x = y;
    }
    c = b->out_channels;
  }
  if (n->mix_channels) {
    x = conv(&e, "feature_mix", x, h, c, xq, n->mix_channels, 1, 1, 1, RELU, &h);
    xq = RELU;
    c = n->mix_channels;
  }
  int m = e.next++;
  fprintf(f,
          "    %%%d = \"mcu.mean\"(%%%d) {axes = array<i64: 1, 2>, mcu.name = \"global_pool\"} : "
          "(tensor<1x%dx%dx%dx%s>) -> tensor<1x1x1x%dx%s>\n",
          m, x, h, h, c, xq, c, xq);
  int one;
  x = conv(&e, "classifier", m, 1, c, xq, n->classes, 1, 1, 1, LIN, &one);
  int r1 = e.next++, r2 = e.next++;
  fprintf(f,
          "    %%%d = \"mcu.reshape\"(%%%d) {mcu.name = \"classifier.out_nchw\"} : (tensor<1x1x1x%dx%s>) -> "
          "tensor<1x%dx1x1x%s>\n",
          r1, x, n->classes, LIN, n->classes, LIN);
  fprintf(f, "    %%%d = \"mcu.reshape\"(%%%d) {mcu.name = \"flatten\"} : (tensor<1x%dx1x1x%s>) -> tensor<1x%dx%s>\n",
          r2, r1, n->classes, LIN, n->classes, LIN);
  fprintf(f, "    return %%%d : tensor<1x%dx%s>\n  }\n}\n", r2, n->classes, LIN);
  return ferror(f) ? -1 : 0;
}
