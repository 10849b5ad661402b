/* k_binary_f32.c: TF Lite Micro-exact float32 ADD, SUB and MUL with broadcasting. */
#include <stdint.h>

#include "k_bcast.h"
#include "k_fixedpoint.h"
#include "k_mem.h"
#include "k_tflite.h"

/* Reproduces reference_ops::Add / Sub / Mul (and their broadcast forms) for float: y = op(a, b) in float32 (one
 * rounding), then ActivationFunctionWithMinMax(y, fmin, fmax) (a NaN passes through). ADD and SUB use
 * mcu_k_addsub_params_t, MUL mcu_k_mul_params_t; only `bc`, fact_min and fact_max are read. in0, in1: float32
 * inputs, out: float32 of the broadcast shape. */
static void binary_f32(const mcu_k_bcast_t *bc, float lo, float hi, const void *a, const void *b, void *y, int op) {
  mcu_kb_it_t it;
  mcu_kb_start(&it);
  const int32_t n = mcu_kb_count(bc);
  for (int32_t i = 0; i < n; ++i, mcu_kb_next(bc, &it)) {
    const float av = mcu_km_f32(a, it.a), bv = mcu_km_f32(b, it.b);
    const float v = op == 0 ? av + bv : op == 1 ? av - bv : av * bv;
    mcu_km_set_f32(y, i, mcu_fx_fclamp(v, lo, hi));
  }
}

void mcu_k_add_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                   const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_addsub_params_t *p = (const mcu_k_addsub_params_t *)params;
  binary_f32(&p->bc, p->fact_min, p->fact_max, in0, in1, out, 0);
  (void)aux0;
  (void)aux1;
  (void)in2;
}

void mcu_k_sub_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                   const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_addsub_params_t *p = (const mcu_k_addsub_params_t *)params;
  binary_f32(&p->bc, p->fact_min, p->fact_max, in0, in1, out, 1);
  (void)aux0;
  (void)aux1;
  (void)in2;
}

void mcu_k_mul_f32(const void *params, const void *aux0, const void *aux1, const void *in0, const void *in1,
                   const void *in2, void *out, void *scratch) {
  (void)scratch;
  const mcu_k_mul_params_t *p = (const mcu_k_mul_params_t *)params;
  binary_f32(&p->bc, p->fact_min, p->fact_max, in0, in1, out, 2);
  (void)aux0;
  (void)aux1;
  (void)in2;
}
