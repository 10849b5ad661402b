/* run.c: runs a lowered program with the reference kernels, one buffer per tensor, layer by layer. */
#include <stdlib.h>

#include "kernel_call.h"
#include "ref.h"
#include "ref_util.h"

/* Number of inputs each op takes: [min, max]. */
static int op_arity(mcu_op_t op, int *out_min, int *out_max) {
  switch (op) {
  case MCU_OP_CONV2D:
    *out_min = 2; /* input, filter, optional bias */
    *out_max = 3;
    return 0;
  case MCU_OP_MATMUL:
    *out_min = *out_max = 2;
    return 0;
  case MCU_OP_QUANTIZE:
  case MCU_OP_DEQUANTIZE:
  case MCU_OP_CLAMP:
  case MCU_OP_TRANSPOSE:
  case MCU_OP_COPY:
    *out_min = *out_max = 1;
    return 0;
  default:
    return -1;
  }
}

/* mcu_ref_run_layer: checks the layer's arity and tensor indices, then calls the kernel for its op with the
 * descriptors of p->tensors (their storage is ignored: `in` and `out` give the bytes). */
/* A layer of the kernel library runs the host build of its function with the prepared parameters. */
static int run_library_kernel(const mcu_program_t *p, const mcu_layer_t *l, const void *const *in, void *out) {
  /* the function sees the first three inputs; a prepare that accepts more folded them into params or aux tables */
  if (l->num_inputs < 0 || l->num_inputs > MCU_MAX_LAYER_INPUTS || l->output < 0 || l->output >= p->num_tensors)
    return -1;
  mcu_kernel_call_t call;
  mcu_status_t s = mcu_kernel_prepare(p, l, &call);
  if (s) {
    mcu_status_free(s);
    return -1;
  }
  mcu_kernel_fn fn = mcu_kernel_lookup(call.function);
  const void *x[3] = {NULL, NULL, NULL};
  for (int i = 0; i < l->num_inputs && i < 3; ++i) x[i] = in[i];
  /* The scratch the generated code takes from the arena is a heap buffer here. An in-place layer runs the same
   * function with its output in a buffer of its own: every library function supports that, with the same bytes. */
  void *scratch = call.scratch_bytes ? malloc(call.scratch_bytes) : NULL;
  const int ok = fn && (!call.scratch_bytes || scratch);
  if (ok) fn(call.params, call.aux[0], call.aux[1], x[0], x[1], x[2], out, scratch);
  free(scratch);
  mcu_kernel_call_release(&call);
  return ok ? 0 : -1;
}

int mcu_ref_run_layer(const mcu_program_t *p, const mcu_layer_t *l, const void *const *in, void *out) {
  int lo, hi;
  if (!p || !l || !in || !out) return -1;
  if (mcu_kernel_handles(p, l)) return run_library_kernel(p, l, in, out);
  if (op_arity(l->op, &lo, &hi)) return -1;
  if (l->num_inputs < lo || l->num_inputs > hi) return -1;
  if (l->output < 0 || l->output >= p->num_tensors) return -1;
  const mcu_tensor_t *t[MCU_MAX_LAYER_INPUTS];
  for (int i = 0; i < l->num_inputs; ++i) {
    if (l->inputs[i] < 0 || l->inputs[i] >= p->num_tensors || !in[i]) return -1;
    t[i] = &p->tensors[l->inputs[i]];
  }
  const mcu_tensor_t *y = &p->tensors[l->output];
  switch (l->op) {
  case MCU_OP_CONV2D:
    return mcu_ref_conv2d(l, t[0], in[0], t[1], in[1], l->num_inputs > 2 ? t[2] : NULL,
                          l->num_inputs > 2 ? in[2] : NULL, y, out);
  case MCU_OP_MATMUL:
    return mcu_ref_matmul(l, t[0], in[0], t[1], in[1], y, out);
  case MCU_OP_QUANTIZE:
    return mcu_ref_quantize(t[0], in[0], y, out);
  case MCU_OP_DEQUANTIZE:
    return mcu_ref_dequantize(t[0], in[0], y, out);
  case MCU_OP_CLAMP:
    return mcu_ref_clamp(l, t[0], in[0], y, out);
  case MCU_OP_TRANSPOSE:
    return mcu_ref_transpose(l->perm, t[0], in[0], y, out);
  case MCU_OP_COPY:
    return mcu_ref_copy(t[0], in[0], y, out);
  default:
    return -1;
  }
}

/* mcu_ref_run: every ARENA tensor gets its own zeroed heap buffer (offsets and the arena plan are ignored, so a
 * wrong memory plan cannot change the reference result); CONST tensors read their `data`, INPUT tensors
 * inputs[index], OUTPUT tensors outputs[index] (also readable by later layers). Layers run in order. Returns -1
 * for an invalid tensor or layer, a layer writing a CONST or INPUT tensor or one of its own inputs, an
 * unsupported op or dtype, or an allocation failure; outputs may then be partially written.
 * Weakness: memory use is the sum of all tensors, not the planned arena. */
int mcu_ref_run(const mcu_program_t *p, const void *const *inputs, void *const *outputs) {
  if (!p || p->num_tensors < 0 || (p->num_tensors > 0 && !p->tensors) || p->num_layers < 0 ||
      (p->num_layers > 0 && !p->layers))
    return -1;
  if (p->num_tensors == 0) return p->num_layers == 0 ? 0 : -1;
  void **buf = calloc((size_t)p->num_tensors, sizeof *buf);
  unsigned char *owned = calloc((size_t)p->num_tensors, 1);
  int rc = (buf && owned) ? 0 : -1;
  for (int i = 0; rc == 0 && i < p->num_tensors; ++i) {
    const mcu_tensor_t *t = &p->tensors[i];
    if (mcu_ref_util_check_tensor(t)) {
      rc = -1;
      break;
    }
    const int64_t bytes = mcu_tensor_bytes(t);
    if (t->is_alias) { /* the bytes of an earlier tensor */
      if (t->alias_of < 0 || t->alias_of >= i || mcu_tensor_bytes(&p->tensors[t->alias_of]) != bytes) rc = -1;
      else buf[i] = buf[t->alias_of];
      continue;
    }
    switch (t->storage) {
    case MCU_STORAGE_CONST:
      if (!t->data && bytes > 0) rc = -1;
      buf[i] = t->data;
      break;
    case MCU_STORAGE_INPUT:
      if (!inputs || t->index < 0 || t->index >= p->num_inputs || !inputs[t->index]) rc = -1;
      else buf[i] = (void *)(uintptr_t)inputs[t->index]; /* read only: no layer may write an INPUT tensor */
      break;
    case MCU_STORAGE_OUTPUT:
      if (!outputs || t->index < 0 || t->index >= p->num_outputs || !outputs[t->index]) rc = -1;
      else buf[i] = outputs[t->index];
      break;
    case MCU_STORAGE_ARENA:
      buf[i] = calloc(bytes > 0 ? (size_t)bytes : 1, 1);
      owned[i] = 1;
      if (!buf[i]) rc = -1;
      break;
    default:
      rc = -1;
    }
  }
  for (int li = 0; rc == 0 && li < p->num_layers; ++li) {
    const mcu_layer_t *l = &p->layers[li];
    if (l->output < 0 || l->output >= p->num_tensors || l->num_inputs < 0 ||
        l->num_inputs > MCU_MAX_LAYER_INPUTS) {
      rc = -1;
      break;
    }
    const mcu_storage_t st = p->tensors[l->output].storage;
    if (st == MCU_STORAGE_CONST || st == MCU_STORAGE_INPUT) {
      rc = -1;
      break;
    }
    const void *in[MCU_MAX_LAYER_INPUTS] = {NULL};
    for (int k = 0; k < l->num_inputs; ++k) {
      if (l->inputs[k] < 0 || l->inputs[k] >= p->num_tensors || l->inputs[k] == l->output) {
        rc = -1;
        break;
      }
      in[k] = buf[l->inputs[k]];
      if (!in[k]) in[k] = buf[l->output]; /* an empty CONST tensor: any non-NULL pointer, never read */
    }
    if (rc == 0) rc = mcu_ref_run_layer(p, l, in, buf[l->output]);
  }
  if (buf && owned)
    for (int i = 0; i < p->num_tensors; ++i)
      if (owned[i]) free(buf[i]);
  free(buf);
  free(owned);
  return rc;
}
