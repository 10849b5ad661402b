/* kernel_call.c: finds the library function for a layer and prepares or runs its call. */
#include "kernel_call.h"

#include <stdlib.h>
#include <string.h>

#include "kernel_registry.h"
#include "kernel_select.h"
#include "prepare_onnx.h"
#include "prepare_tflite.h"

static const mcu_kernel_entry_t *const tables[] = {mcu_kernels_tflite, mcu_kernels_misc, mcu_kernels_onnx};

static const mcu_kernel_entry_t *find(const mcu_program_t *p, const mcu_layer_t *l) {
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; ++t)
    for (const mcu_kernel_entry_t *e = tables[t]; e->function; ++e)
      if (e->matches(p, l)) return e;
  return NULL;
}

int mcu_kernel_handles(const mcu_program_t *p, const mcu_layer_t *l) { return find(p, l) != NULL; }

/* Prepares the call through entry e (found for l). */
static mcu_status_t prepare_entry(const mcu_kernel_entry_t *e, const mcu_program_t *p, const mcu_layer_t *l,
                                  mcu_kernel_call_t *out_call) {
  out_call->function = e->function;
  mcu_status_t s = e->prepare(p, l, out_call);
  if (s) mcu_kernel_call_release(out_call);
  return s;
}

mcu_status_t mcu_kernel_prepare(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *out_call) {
  memset(out_call, 0, sizeof *out_call);
  const mcu_kernel_entry_t *e = find(p, l);
  if (!e) return mcu_status_errorf("layer '%s' (%s): no kernel for its types", l->name, mcu_op_name(l->op));
  return prepare_entry(e, p, l, out_call);
}

mcu_status_t mcu_kernel_prepare_if_handled(const mcu_program_t *p, const mcu_layer_t *l, mcu_kernel_call_t *out_call,
                                           int *out_handled) {
  memset(out_call, 0, sizeof *out_call);
  const mcu_kernel_entry_t *e = find(p, l);
  *out_handled = e != NULL;
  return e ? prepare_entry(e, p, l, out_call) : NULL;
}

int mcu_kernel_reads_input(const mcu_program_t *p, const mcu_layer_t *l, int i) {
  /* Only the filter of a conv recorded on the 4x1 / 4x16 / 2x1 tile can be folded (no table search for the rest; a
   * layer without a recorded tile keeps its filter in the blob even when its prepare picks such a tile: safe, it is
   * just not read). */
  const int32_t tm = l->kernel_tile[0], tn = l->kernel_tile[1];
  if (i != 1 || l->op != MCU_OP_CONV2D || !((tm == 4 && (tn == 1 || tn == 16)) || (tm == 2 && tn == 1))) return 1;
  const mcu_kernel_entry_t *e = find(p, l);
  if (!e) return 1;
  mcu_ksel_choice_t c;
  if (e->matches == mcu_tfl_match_conv_pw_s8) c = mcu_tfl_kernel_choice(p, l);
  else if (e->matches == mcu_onnx_match_conv_pw_s8) c = mcu_onnx_kernel_choice(p, l);
  else return 1;
  /* the 4x1 / 4x16 / 2x1 tiles read their stream (aux0), not the filter */
  return !(c.tile_m == 4 || (c.tile_m == 2 && c.tile_n == 1));
}

void mcu_kernel_call_release(mcu_kernel_call_t *c) {
  for (int i = 0; i < MCU_KERNEL_MAX_AUX; ++i) {
    free(c->aux[i]);
    c->aux[i] = NULL;
    c->aux_size[i] = 0;
  }
  c->num_aux = 0;
}

mcu_kernel_fn mcu_kernel_lookup(const char *function) {
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; ++t)
    for (const mcu_kernel_entry_t *e = tables[t]; e->function; ++e)
      if (!strcmp(e->function, function)) return e->fn;
  return NULL;
}
