/* k_onnx_rq_test.c: mcu_onnx_rq against the reference's mcu_ref_requantize on random, tie and extreme values. */
#include <stdint.h>

#include "k_onnx_rq.h"
#include "mcu_test.h"
#include "ref.h"

static uint32_t g_rng = 2463534242u;
static uint32_t rnd32(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return g_rng;
}
static int32_t rnd(int32_t lo, int32_t hi) {
  return (int32_t)((int64_t)lo + (int64_t)(rnd32() % (uint64_t)((int64_t)hi - lo + 1)));
}

/* One comparison: the short form must equal the reference whenever short_ok admits (acc, m). */
static void check_one(int32_t acc, float m, int32_t zp, int32_t lo, int32_t hi) {
  const int32_t bound = acc < 0 ? -acc : acc;
  if (acc == INT32_MIN || !mcu_onnx_rq_short_ok(bound, m)) return;
  const int32_t want = mcu_ref_requantize(acc, m, zp, lo, hi), got = mcu_onnx_rq(acc, m, zp, lo, hi);
  CHECK(got == want, "acc %d m %.9g zp %d [%d, %d]: %d, reference %d", acc, (double)m, zp, lo, hi, got, want);
}

int main(void) {
  /* Random multipliers over the range int8 layers use (2^-20 .. 1) and accumulators up to the admitted bound. */
  for (int i = 0; i < 200000; ++i) {
    const float m = (float)((double)(rnd32() % 1000000 + 1) / 1000000.0) / (float)(1u << rnd(0, 20));
    const int32_t lim = (int32_t)(2000000.0 / (double)m > 2.0e9 ? 2.0e9 : 2000000.0 / (double)m);
    const int32_t acc = rnd(-lim, lim), zp = rnd(-128, 127);
    check_one(acc, m, zp, -128, 127);
    check_one(acc, m, zp, zp, 127); /* a fused ReLU: lower bound at the zero point */
  }
  /* Exact ties: m = 2^-k makes acc * m land on every half; rounding must go to the even neighbour. */
  int ties = 0;
  for (int k = 1; k <= 8; ++k)
    for (int32_t acc = -3000; acc <= 3000; ++acc) {
      const float m = 1.0f / (float)(1u << k);
      check_one(acc, m, rnd(-128, 127), -128, 127);
      if (acc % (1 << k) == (1 << (k - 1))) ++ties;
    }
  CHECK(ties > 100, "too few ties exercised: %d", ties);
  /* The admission test: just below 2^21 accepted, far beyond refused, non-finite refused. */
  CHECK(mcu_onnx_rq_short_ok(2000000, 1.0f), "2e6 with m = 1 must be admitted");
  CHECK(!mcu_onnx_rq_short_ok(5000000, 1.0f), "5e6 with m = 1 must be refused");
  CHECK(!mcu_onnx_rq_short_ok(1, 1.0f / 0.0f), "an infinite multiplier must be refused");
  CHECK(!mcu_onnx_rq_short_ok(-1, 0.5f), "a negative bound must be refused");
  /* Saturation on both sides and the value at the bounds. */
  check_one(2000000, 0.5f, 0, -128, 127);
  check_one(-2000000, 0.5f, 0, -128, 127);
  check_one(255, 0.5f, 0, -128, 127);
  check_one(-257, 0.5f, 0, -128, 127);
  return mcu_test_finish();
}
