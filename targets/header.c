/* header.c: mcu_header_write: the C header of a generated object (prototypes, SYM_* macros, quantize helpers). */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "codegen.h"

static const char *c_type(mcu_dtype_t dt) {
  switch (dt) {
  case MCU_DT_I8:
    return "int8_t";
  case MCU_DT_U8:
    return "uint8_t";
  case MCU_DT_I32:
    return "int32_t";
  case MCU_DT_F32:
    return "float";
  }
  return "void";
}

/* A tensor name inside a C comment: printable ASCII only, and no comment terminator. */
static void put_comment_text(FILE *f, const char *s) {
  char prev = 0;
  for (; s && *s; ++s) {
    char c = isprint((unsigned char)*s) ? *s : '?';
    if (prev == '*' && c == '/') c = '|';
    fputc(c, f);
    prev = c;
  }
}

/* A float literal that round-trips to the same float32 (%.9g) and is valid C ("1" becomes "1.0f"). */
static void put_float(FILE *f, float v) {
  char buf[48];
  snprintf(buf, sizeof buf, "%.9g", (double)v);
  if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
  fprintf(f, "%sf", buf);
}

/* Elements of a tensor (1 for a scalar). */
static long long tensor_elements(const mcu_tensor_t *t) {
  long long n = 1;
  for (int d = 0; d < t->rank; ++d) n *= t->shape[d];
  return n;
}

/* The macros of one model input or output: KIND is "INPUT" or "OUTPUT". */
static void put_tensor_macros(FILE *f, const char *sym, const char *kind, int i, const mcu_tensor_t *t) {
  fprintf(f, "/* %s %d: '", kind[0] == 'I' ? "input" : "output", i);
  put_comment_text(f, t->name);
  fprintf(f, "', %s", mcu_dtype_name(t->dtype));
  if (t->num_scales > 1) fprintf(f, ", quantized per axis %d (%d scales)", t->quant_axis, t->num_scales);
  fprintf(f, " */\n");
  fprintf(f, "#define %s_%s%d_BYTES %lld\n", sym, kind, i, (long long)mcu_tensor_bytes(t));
  fprintf(f, "#define %s_%s%d_ELEMENTS %lld\n", sym, kind, i, tensor_elements(t));
  fprintf(f, "#define %s_%s%d_RANK %d\n", sym, kind, i, t->rank);
  fprintf(f, "#define %s_%s%d_SHAPE {", sym, kind, i);
  if (t->rank == 0) fprintf(f, "1"); /* a scalar: one element */
  for (int d = 0; d < t->rank; ++d) fprintf(f, "%s%d", d ? ", " : "", t->shape[d]);
  fprintf(f, "}\n");
  if (t->num_scales == 1 && isfinite(t->scales[0])) {
    fprintf(f, "#define %s_%s%d_SCALE ", sym, kind, i);
    put_float(f, (float)t->scales[0]);
    fprintf(f, "\n#define %s_%s%d_ZERO_POINT %s%d%s\n", sym, kind, i, t->zero_points[0] < 0 ? "(" : "",
            t->zero_points[0], t->zero_points[0] < 0 ? ")" : "");
  }
}

/* Whether a tensor gets quantize/dequantize helpers: int8/uint8, one finite nonzero scale. */
static int has_helpers(const mcu_tensor_t *t) {
  return (t->dtype == MCU_DT_I8 || t->dtype == MCU_DT_U8) && t->num_scales == 1 && isfinite(t->scales[0]) &&
         t->scales[0] > 0;
}

/* SYM_quantize_inputI(const float *x, T *q): q = clamp(round(x / scale) + zero_point) over the type's range, in
 * float32 as the source format computes it. `tflite`: TF Lite's AffineQuantize (roundf: half away from zero; a NaN
 * converts to 0, so it gives the zero point); otherwise ONNX QuantizeLinear as the compiler's own quantize (round
 * half to even; a NaN gives the type's minimum). The rounding is done without libm: |v| is first clamped to 1024
 * (any value beyond saturates anyway), so the truncated integer part and the remainder v - r are exact. */
static void put_quantize_helper(FILE *f, const char *sym, int i, const mcu_tensor_t *t, int tflite) {
  const char *ty = c_type(t->dtype);
  const int lo = t->dtype == MCU_DT_I8 ? -128 : 0, hi = t->dtype == MCU_DT_I8 ? 127 : 255;
  fprintf(f, "/* Quantizes %s_INPUT%d_ELEMENTS floats x into input %d: q = clamp(round(x / %s_INPUT%d_SCALE) +\n"
             " * %s_INPUT%d_ZERO_POINT, %d, %d), float32 division,\n * %s. */\n",
          sym, i, i, sym, i, sym, i, lo, hi,
          tflite ? "rounding half away from zero (TF Lite's AffineQuantize; NaN gives the zero point)"
                 : "rounding half to even (ONNX QuantizeLinear; NaN gives the minimum)");
  fprintf(f, "static inline void %s_quantize_input%d(const float *x, %s *q) {\n", sym, i, ty);
  fprintf(f, "  for (int32_t i = 0; i < %s_INPUT%d_ELEMENTS; ++i) {\n", sym, i);
  fprintf(f, "    float v = x[i] / %s_INPUT%d_SCALE;\n", sym, i);
  fprintf(f, "    int32_t r;\n");
  fprintf(f, "    if (v != v) {\n      r = %s;\n    } else {\n", tflite ? "0" : "-1024");
  fprintf(f, "      v = v > 1024.0f ? 1024.0f : v < -1024.0f ? -1024.0f : v;\n");
  fprintf(f, "      r = (int32_t)v;\n      const float frac = v - (float)r;\n");
  if (tflite)
    fprintf(f, "      r += frac >= 0.5f ? 1 : frac <= -0.5f ? -1 : 0;\n");
  else
    fprintf(f, "      const int odd = r %% 2 != 0;\n"
               "      r += (frac > 0.5f || (frac == 0.5f && odd)) ? 1 : (frac < -0.5f || (frac == -0.5f && odd)) ? -1 : 0;\n");
  fprintf(f, "    }\n    r += %s_INPUT%d_ZERO_POINT;\n", sym, i);
  fprintf(f, "    q[i] = (%s)(r < %d ? %d : r > %d ? %d : r);\n  }\n}\n", ty, lo, lo, hi, hi);
}

/* SYM_dequantize_outputJ(const T *q, float *y): y = (float)(q - zero_point) * scale, one float32 rounding (the
 * product of an exact float and a float scale), which is what both TF Lite (in double, rounded once) and ONNX
 * DequantizeLinear give. */
static void put_dequantize_helper(FILE *f, const char *sym, int j, const mcu_tensor_t *t) {
  fprintf(f, "/* Dequantizes output %d into %s_OUTPUT%d_ELEMENTS floats: y = (float)(q - %s_OUTPUT%d_ZERO_POINT) *\n"
             " * %s_OUTPUT%d_SCALE (one float32 rounding). */\n",
          j, sym, j, sym, j, sym, j);
  fprintf(f, "static inline void %s_dequantize_output%d(const %s *q, float *y) {\n", sym, j, c_type(t->dtype));
  fprintf(f, "  for (int32_t i = 0; i < %s_OUTPUT%d_ELEMENTS; ++i)\n", sym, j);
  fprintf(f, "    y[i] = (float)((int32_t)q[i] - %s_OUTPUT%d_ZERO_POINT) * %s_OUTPUT%d_SCALE;\n}\n", sym, j, sym, j);
}

/* The parameter list after the arena arguments: const T *input0, ..., T *output0, ... */
static void put_io_params(FILE *f, const mcu_program_t *p, int first) {
  for (int i = 0; i < p->num_inputs; ++i)
    fprintf(f, "%sconst %s *input%d", (first && !i) ? "" : ", ", c_type(p->tensors[p->inputs[i]].dtype), i);
  for (int i = 0; i < p->num_outputs; ++i)
    fprintf(f, "%s%s *output%d", (first && !p->num_inputs && !i) ? "" : ", ",
            c_type(p->tensors[p->outputs[i]].dtype), i);
}

/* The comment block at the top: sections, sizes, alignment, the two entry points, return codes, re-entrancy. */
static void put_contract(FILE *f, const mcu_program_t *p) {
  const char *sym = p->name;
  fprintf(f, "/* Generated by mcunet; do not edit. See docs/integration.md.\n *\n * Sections of %s.o:\n", sym);
  fprintf(f, " *   .text.%s         code of %s_run_with_arena and the layers (flash or ITCM)\n", sym, sym);
  fprintf(f, " *   .text.%s_run     %s_run, which alone references the static arena (--gc-sections drops both\n"
             " *                    when only %s_run_with_arena is called)\n",
          sym, sym, sym);
  fprintf(f, " *   .rodata.%s       weights %s_weights (%u bytes, constant, align 16) and constant tables (flash)\n",
          sym, sym, p->weights_size);
  if (p->num_pools) {
    fprintf(f, " *   arena: %u bytes, zero-initialised, in %d pools, fastest first:\n", p->arena_size, p->num_pools);
    for (int k = 0; k < p->num_pools; ++k)
      fprintf(f, " *   .bss.%s_%s  %s_%s (%u bytes of %u, align %u)%s\n", sym, p->pools[k].name, sym,
              p->pools[k].name, p->pools[k].size, p->pools[k].capacity, p->pools[k].align,
              p->pools[k].size ? "" : ", empty: not emitted");
  } else if (p->arena_size) {
    fprintf(f, " *   .bss.%s_arena    %s_arena (%u bytes, zero-initialised, align 16): the static arena (RAM)\n", sym,
            sym, p->arena_size);
  } else {
    fprintf(f, " *   no arena (every intermediate tensor lives in the caller's buffers)\n");
  }
  fprintf(f, " *\n * %s_run(inputs..., outputs...) runs the network on the static arena. It is not re-entrant: at most\n"
             " * one call may be active at a time (no concurrent calls from threads or interrupts).\n",
          sym);
  if (p->num_pools)
    fprintf(f, " * %s_run_with_arena(pool pointers..., inputs..., outputs...) runs it on caller memory, one pointer\n"
               " * per pool in the order above, each of its pool's size and aligned to its pool's alignment (an\n"
               " * empty pool's pointer is ignored and may be NULL). Calls on disjoint memory may run concurrently.\n",
            sym);
  else
    fprintf(f, " * %s_run_with_arena(arena, inputs..., outputs...) runs it on a caller's arena of %s_ARENA_SIZE bytes\n"
               " * aligned to %s_ARENA_ALIGN (16), e.g. one buffer shared by several models run one after another;\n"
               " * calls on distinct arenas may run concurrently.%s\n",
            sym, sym, sym, p->arena_size ? "" : " This model needs no arena: the pointer is ignored.");
  fprintf(f, " * The arena holds nothing between calls: it need not be preserved or initialised. Inputs are read\n"
             " * only; outputs must not overlap each other, the inputs or the arena (the code assumes it). Buffers\n"
             " * are little-endian C arrays of the stated element type and size, aligned to their element type.\n"
             " * Return: %s_STATUS_OK (0), or %s_STATUS_BAD_ARENA (-1) when an arena pointer is NULL or misaligned\n"
             " * (nothing is run, the outputs are untouched).\n"
             " * Cortex-M7 objects use the hard-float ABI (-mfloat-abi=hard). */\n",
          sym, sym);
}

mcu_status_t mcu_header_write(const mcu_program_t *p, FILE *f) {
  if (!p || !f || !p->name || !p->name[0]) return mcu_status_errorf("header: no program, name or file");
  const char *sym = p->name;
  for (const char *c = sym; *c; ++c)
    if (!(isalnum((unsigned char)*c) || *c == '_') || isdigit((unsigned char)sym[0]))
      return mcu_status_errorf("header: symbol prefix '%s' is not a C identifier", sym);
  for (int i = 0; i < p->num_inputs; ++i)
    if (p->inputs[i] < 0 || p->inputs[i] >= p->num_tensors) return mcu_status_errorf("header: bad input %d", i);
  for (int i = 0; i < p->num_outputs; ++i)
    if (p->outputs[i] < 0 || p->outputs[i] >= p->num_tensors) return mcu_status_errorf("header: bad output %d", i);
  char guard[160];
  size_t n = 0;
  for (const char *c = "MCUNET_"; *c; ++c) guard[n++] = *c;
  for (const char *c = sym; *c && n < sizeof guard - 3; ++c) guard[n++] = (char)toupper((unsigned char)*c);
  memcpy(guard + n, "_H", 3);

  fprintf(f, "/* %s.h: API of the mcunet-generated object for model '%s'. */\n", sym, sym);
  put_contract(f, p);
  fprintf(f, "#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n", guard, guard);
  fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", sym, p->num_inputs, sym, p->num_outputs);
  fprintf(f, "#define %s_ARENA_SIZE %u\n#define %s_WEIGHTS_SIZE %u\n", sym, p->arena_size, sym, p->weights_size);
  uint32_t align = 16;
  for (int k = 0; k < p->num_pools; ++k)
    if (p->pools[k].align > align) align = p->pools[k].align;
  fprintf(f, "#define %s_ARENA_ALIGN %u\n", sym, align);
  fprintf(f, "#define %s_NUM_POOLS %d\n", sym, p->num_pools ? p->num_pools : 1);
  for (int k = 0; k < p->num_pools; ++k) {
    char upper[MCU_POOL_NAME_MAX + 1];
    size_t m = 0;
    for (const char *c = p->pools[k].name; *c && m < MCU_POOL_NAME_MAX; ++c) upper[m++] = (char)toupper((unsigned char)*c);
    upper[m] = 0;
    fprintf(f, "#define %s_POOL_%s_SIZE %u\n#define %s_POOL_%s_ALIGN %u\n", sym, upper, p->pools[k].size, sym, upper,
            p->pools[k].align);
  }
  fprintf(f, "#define %s_STATUS_OK 0\n#define %s_STATUS_BAD_ARENA (%d)\n", sym, sym, MCU_RUN_BAD_ARENA);
  fputc('\n', f);
  for (int i = 0; i < p->num_inputs; ++i) put_tensor_macros(f, sym, "INPUT", i, &p->tensors[p->inputs[i]]);
  for (int i = 0; i < p->num_outputs; ++i) put_tensor_macros(f, sym, "OUTPUT", i, &p->tensors[p->outputs[i]]);

  fprintf(f, "\nint %s_run(", sym);
  if (p->num_inputs + p->num_outputs == 0) fprintf(f, "void");
  put_io_params(f, p, 1);
  fprintf(f, ");\nint %s_run_with_arena(", sym);
  if (p->num_pools)
    for (int k = 0; k < p->num_pools; ++k) fprintf(f, "%svoid *%s", k ? ", " : "", p->pools[k].name);
  else
    fprintf(f, "void *arena");
  put_io_params(f, p, 0);
  fprintf(f, ");\n");

  int tflite = 0;
  for (int li = 0; li < p->num_layers; ++li) tflite |= p->layers[li].numerics == MCU_NUMERICS_TFLITE;
  for (int i = 0; i < p->num_inputs; ++i)
    if (has_helpers(&p->tensors[p->inputs[i]])) {
      fputc('\n', f);
      put_quantize_helper(f, sym, i, &p->tensors[p->inputs[i]], tflite);
    }
  for (int j = 0; j < p->num_outputs; ++j)
    if (has_helpers(&p->tensors[p->outputs[j]])) {
      fputc('\n', f);
      put_dequantize_helper(f, sym, j, &p->tensors[p->outputs[j]]);
    }
  fprintf(f, "\n#ifdef __cplusplus\n}\n#endif\n#endif\n");
  if (ferror(f)) return mcu_status_errorf("header: write error");
  return NULL;
}
