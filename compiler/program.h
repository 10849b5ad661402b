/* program.h: the lowered, IR-free form of a compiled network that code generation and the reference run. */
#ifndef MCUNET_COMPILER_PROGRAM_H
#define MCUNET_COMPILER_PROGRAM_H

/* A program is what is left of the graph IR after every pass has run: a straight list of layers in execution
 * order over tensors whose shapes, quantization and storage are all fixed. It is built from the MLIR module by
 * compiler/lower.c and consumed by targets/codegen.c (which emits code for it) and by runtime/ref/ (which runs it
 * with the reference kernels, the semantics the generated code must match bit for bit). It owns its memory. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCU_MAX_RANK 6
#define MCU_MAX_LAYER_INPUTS 7

typedef enum mcu_dtype {
  MCU_DT_I8 = 0,
  MCU_DT_U8 = 1,
  MCU_DT_I32 = 2,
  MCU_DT_F32 = 3,
} mcu_dtype_t;

/* Where a tensor's bytes live while the program runs. */
typedef enum mcu_storage {
  MCU_STORAGE_ARENA = 0,  /* at `offset` in the static arena (.bss.SYM_arena) */
  MCU_STORAGE_INPUT = 1,  /* the caller's input pointer number `index` */
  MCU_STORAGE_OUTPUT = 2, /* the caller's output pointer number `index` */
  MCU_STORAGE_CONST = 3,  /* at `offset` in the weights blob (.rodata.SYM); bytes in `data` */
} mcu_storage_t;

typedef struct mcu_tensor {
  char *name; /* owned; the source model's name, or "" */
  mcu_dtype_t dtype;
  int rank;
  int32_t shape[MCU_MAX_RANK]; /* row-major, last dimension fastest */
  /* Quantization: num_scales == 0 means not quantized (plain i32/f32). Otherwise real = scale * (q - zero_point),
   * per tensor (num_scales == 1, quant_axis == -1) or per slice along quant_axis (num_scales == shape[quant_axis]). */
  int quant_axis;
  int num_scales;
  double *scales;       /* owned, num_scales entries, exactly as the model states them */
  int32_t *zero_points; /* owned, num_scales entries */
  mcu_storage_t storage;
  int index;       /* input or output number for MCU_STORAGE_INPUT/OUTPUT */
  uint32_t offset; /* byte offset in the arena (ARENA) or in the weights blob (CONST) */
  uint8_t *data;   /* owned; CONST only: the little-endian raw bytes, mcu_tensor_bytes() of them */
  /* CONST only: no layer reads it at run time (each consumer's kernel keeps it in its own compile-time tables,
   * mcu_kernel_reads_input): it has no bytes in the weights blob (offset 0); `data` stays for those tables. */
  int folded;
  /* A copy-free reshape: the same bytes as tensor alias_of (an earlier tensor, same byte size, never CONST);
   * storage, index and offset are copied from it. No layer writes an alias. */
  int is_alias;
  int alias_of;
  /* ARENA tensors: the first and last layer index that use its bytes (plan-memory's `mcu.live`); -1 otherwise. */
  int32_t live_first, live_last;
  /* ARENA tensors: the memory pool (mcu_program_t.pools) that holds them; `offset` is inside that pool. 0 = the
   * first or only pool. */
  int pool;
  /* A patch stage's intermediate (mcu_patch_stage_t): only one patch region of it ever exists, in patch_bytes
   * bytes at `offset` (the generated code); 0: the whole tensor is stored. The reference runs it whole. */
  uint32_t patch_bytes;
  /* CONST only: 1 when every element equals the first (lower.c sets it for a splat constant); 0: not known. Lets
   * compile-time checks that scan a constant (prepare_onnx_conv.c's bound check) read one element instead. */
  int splat;
} mcu_tensor_t;

typedef enum mcu_op {
  MCU_OP_CONV2D = 0,     /* in: input, filter, bias */
  MCU_OP_MATMUL = 1,     /* in: a, b */
  MCU_OP_QUANTIZE = 2,   /* in: input (f32) */
  MCU_OP_DEQUANTIZE = 3, /* in: input (i8/u8) */
  MCU_OP_CLAMP = 4,      /* in: input */
  MCU_OP_TRANSPOSE = 5,  /* in: input */
  MCU_OP_COPY = 6,       /* in: input; reshape and moves between storages: a byte copy */
  MCU_OP_FULLY_CONNECTED = 7, /* in: input [..., K], weight [O, K], bias i32 [O] -> [..., O] */
  MCU_OP_ADD = 8,             /* in: a, b (numpy broadcasting) */
  MCU_OP_SUB = 9,             /* in: a, b */
  MCU_OP_MUL = 10,            /* in: a, b */
  MCU_OP_AVG_POOL = 11,       /* in: input NHWC; kernel, stride, pad */
  MCU_OP_MAX_POOL = 12,       /* in: input NHWC; kernel, stride, pad */
  MCU_OP_MEAN = 13,           /* in: input; axes_mask */
  MCU_OP_PAD = 14,            /* in: input; pad_before, pad_after, pad_value */
  MCU_OP_SOFTMAX = 15,        /* in: input; over the last dimension, beta */
  MCU_OP_LOG_SOFTMAX = 16,    /* in: input; over the last dimension */
  MCU_OP_CONCAT = 17,         /* in: a, b; axis */
  MCU_OP_RESIZE_NEAREST = 18, /* in: input NHWC; align_corners, half_pixel_centers */
  MCU_OP_LOGISTIC = 19,       /* in: input */
  MCU_OP_HARD_SWISH = 20,     /* in: input */
  MCU_OP_REQUANTIZE = 21,     /* in: input (integer) -> the output's quantization, clamped to [act_min, act_max] */
  MCU_OP_BATCH_NORM = 22,     /* in: input [..., C], scale, bias, mean, var (f32 [C]); epsilon */
  MCU_OP_LEAKY_RELU = 23,     /* in: input; alpha */
  MCU_OP_HARD_SIGMOID = 24,   /* in: input; alpha, beta */
  MCU_OP_STREAM_BLOCK = 25,   /* in: input, expand filter, bias, depthwise filter, bias, project filter, bias */
} mcu_op_t;

/* Whose integer arithmetic a layer reproduces (docs/ir.md): ONNX's (float multiplier, round half to even) or
 * TF Lite Micro's reference kernels' (fixed-point multiplier and shift, its rounding). */
typedef enum mcu_numerics {
  MCU_NUMERICS_ONNX = 0,
  MCU_NUMERICS_TFLITE = 1,
} mcu_numerics_t;

typedef struct mcu_layer {
  char *name; /* owned; the source node's name, or "" */
  mcu_op_t op;
  mcu_numerics_t numerics;
  int num_inputs;
  int inputs[MCU_MAX_LAYER_INPUTS]; /* tensor indices */
  int output;                       /* tensor index */

  /* MCU_OP_CONV2D: input [N,H,W,C] NHWC, filter [O,KH,KW,C/groups], bias i32 [O] (scale = s_in * s_w[o], zero
   * point 0), output [N,OH,OW,O]. O % groups == 0, C % groups == 0. */
  int32_t stride[2];   /* h, w; >= 1 */
  int32_t pad[4];      /* top, left, bottom, right; >= 0; padded input positions hold the input zero point */
  int32_t dilation[2]; /* h, w; >= 1 */
  int32_t groups;      /* >= 1 */

  /* MCU_OP_TRANSPOSE: output dimension i is input dimension perm[i]. */
  int32_t perm[MCU_MAX_RANK];

  /* MCU_OP_AVG_POOL / MCU_OP_MAX_POOL: window h, w (stride and pad above). */
  int32_t kernel[2];
  /* MCU_OP_CONCAT: the joined dimension of the output (0 <= axis < rank). */
  int32_t axis;
  /* MCU_OP_MEAN: bit i set when input dimension i is reduced. */
  uint32_t axes_mask;
  /* MCU_OP_PAD: elements added before and after each input dimension; the stored padding value. */
  int32_t pad_before[MCU_MAX_RANK], pad_after[MCU_MAX_RANK];
  int32_t pad_value;   /* integer tensors */
  float fpad_value;    /* f32 tensors */
  /* MCU_OP_SOFTMAX: input scaling beta. MCU_OP_HARD_SIGMOID: alpha * x + beta. MCU_OP_LEAKY_RELU: alpha. */
  float alpha, beta;
  /* MCU_OP_BATCH_NORM. */
  float epsilon;
  /* MCU_OP_RESIZE_NEAREST: TFLite's flags (0 or 1). */
  int32_t align_corners, half_pixel_centers;

  /* MCU_OP_STREAM_BLOCK (stream-blocks): expand 1x1 conv -> depthwise conv -> project 1x1 conv run row band by
   * row band (runtime/kernels/k_stream_block.c). stride/pad/dilation above are the depthwise's, act_min/act_max
   * the projection's; the expanded and the depthwise output tensors exist only inside the kernel: their
   * per-tensor int8 quantization (scale, zero point) and the clamp range of the expand and depthwise convs. */
  double mid_scale[2];
  int32_t mid_zero_point[2];
  int32_t mid_act[2][2];

  /* Fused activation (CONV2D, MATMUL) and MCU_OP_CLAMP: the stored output values are clamped to
   * [act_min, act_max] (raw integers for integer outputs; for f32 outputs fact_min/fact_max). Always set:
   * without an activation it is the full range of the output type. */
  int32_t act_min, act_max;
  float fact_min, fact_max;

  /* In-place execution (mark-inplace, plan-memory): when `inplace` is 1 the output tensor has the same arena
   * offset as input `inplace_input` (whose last reader is this layer) and the generated code calls a kernel that
   * is correct with out == that input (kernel_call.h's inplace_mask). The reference may run it with separate
   * buffers: the semantics are the same. */
  int inplace;
  int inplace_input;
  /* The kernel's scratch buffer (kernel_call.h): scratch_bytes at scratch_offset in the arena, live only during
   * this layer (0 bytes: none). Planned by plan-memory from mcu_kernel_prepare's scratch_bytes. */
  uint32_t scratch_bytes, scratch_offset;
  int scratch_pool; /* the pool holding the scratch (0 = the first or only pool) */
  /* A patch stage's first / last layer: the last patch_buf_bytes of its scratch are the gather buffer of its
   * input region / the staging buffer of its output region (mcu_patch_gathers / mcu_patch_scatters); 0: none. */
  uint32_t patch_buf_bytes;

  /* CONV2D / FULLY_CONNECTED: the kernel select-kernels chose (attributes mcu.kernel, mcu.tile; docs/ir.md):
   * kernel_family is an mcu_kfamily_t of runtime/kernels/kernel_select.h (0 = none recorded: the prepare function
   * asks the cost model), kernel_tile the register tile (output channels x pixels; 0 x 0 when the family has none). */
  int32_t kernel_family;
  int32_t kernel_tile[2];
} mcu_layer_t;

/* Patch-based execution (passes/patch_stages.c, compiler/patch_plan.h): layers first..last (consecutive, a chain
 * each reading the previous one's output) run once per patch of a rows x cols grid over the last layer's output,
 * each on the region that patch needs; the intermediates hold one patch (mcu_tensor_t.patch_bytes). The stage
 * input and output are whole tensors. The semantics are those of running the layers whole, in order. */
typedef struct mcu_patch_stage {
  int first_layer, last_layer;
  int rows, cols;
} mcu_patch_stage_t;
#define MCU_MAX_PATCH_STAGES 1

/* A memory pool (--pool NAME:SIZE[:ALIGN]): one zero-initialised global SYM_NAME in section .bss.SYM_NAME. */
#define MCU_MAX_POOLS 8
#define MCU_POOL_NAME_MAX 32
typedef struct mcu_pool {
  char name[MCU_POOL_NAME_MAX]; /* a C identifier */
  uint32_t size;                /* bytes planned (the global's size) */
  uint32_t capacity;            /* bytes the user gave (size <= capacity) */
  uint32_t align;               /* the global's alignment, a power of two >= 16 */
} mcu_pool_t;

typedef struct mcu_program {
  char *name; /* owned; the symbol prefix SYM */
  int num_tensors;
  mcu_tensor_t *tensors; /* owned */
  int num_layers;
  mcu_layer_t *layers; /* owned, in execution order */
  int num_inputs;
  int *inputs; /* owned; tensor index of each model input, in model order */
  int num_outputs;
  int *outputs; /* owned; tensor index of each model output, in model order */
  uint32_t arena_size;   /* bytes; every ARENA tensor fits in [0, arena_size) */
  uint32_t weights_size; /* bytes of the weights blob; every CONST tensor fits in [0, weights_size) */
  uint64_t tables_size;  /* bytes of the kernel library's constant tables (flash), as plan-memory summed its layers'
                            answers (mcu.tables_bytes); 0 when the module was not planned */
  /* Explicit pools (--pool), fastest first; arena_size is then the sum of their sizes. num_pools == 0: one
   * implicit pool, the arena (SYM_arena in .bss.SYM_arena, arena_size bytes, align 16). */
  int num_pools;
  mcu_pool_t pools[MCU_MAX_POOLS];
  int num_patch_stages;
  mcu_patch_stage_t patch_stages[MCU_MAX_PATCH_STAGES];
  /* Set on the one-op programs of single-op queries (mcu_lower_op_kernel_view), which read only a kernel call's
   * scratch_bytes and inplace_mask: a prepare function may then leave the contents of its aux tables unset (their
   * sizes must stay right). Never set for a program that is compiled. */
  int sizes_only;
} mcu_program_t;

/* Bytes of one element of `dt`. */
size_t mcu_dtype_size(mcu_dtype_t dt);
/* Name used in the IR and in messages: "i8", "u8", "i32", "f32". */
const char *mcu_dtype_name(mcu_dtype_t dt);
/* Number of elements (product of the shape; 1 for rank 0). */
int64_t mcu_tensor_elements(const mcu_tensor_t *t);
/* Bytes of the tensor's data. */
int64_t mcu_tensor_bytes(const mcu_tensor_t *t);
/* Bytes the tensor takes where it is stored: patch_bytes for a patch stage's intermediate, else its data's. */
int64_t mcu_tensor_stored_bytes(const mcu_tensor_t *t);
/* Name of an op as the report prints it: "conv2d", "matmul", ... */
const char *mcu_op_name(mcu_op_t op);
/* Multiply-accumulates the layer performs (0 for data movement). */
int64_t mcu_layer_macs(const mcu_program_t *p, const mcu_layer_t *l);

/* Frees everything the program owns, then the program itself. NULL is allowed. */
void mcu_program_destroy(mcu_program_t *p);

#ifdef __cplusplus
}
#endif
#endif
