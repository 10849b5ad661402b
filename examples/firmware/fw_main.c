/* fw_main.c: the example firmware's main, the same on every board and on the emulator: one timed inference. */

/* Runs the compiled model MCUNET_FW_MODEL (its symbol prefix; header MCUNET_FW_HEADER) once on the input embedded
 * in flash (fw_input.S), times the call with the DWT cycle counter and prints, over semihosting, the board, every
 * output as hex bytes, the cycles and where the arena lives. The exit status is the model's return code (0), or 2
 * when the embedded input has the wrong size. Known weakness: one model input and at most four outputs (the
 * header's macros are per index, and the preprocessor cannot loop). */
#include <stdint.h>
#include <stdio.h>

#include "mcunet_fw.h"

#ifndef MCUNET_FW_MODEL
#error "define MCUNET_FW_MODEL as the model's symbol prefix (mcunetc --name)"
#endif
#ifndef MCUNET_FW_HEADER
#error "define MCUNET_FW_HEADER as the quoted name of the model's header"
#endif
#include MCUNET_FW_HEADER

#define FW_CAT2(a, b) a##b
#define FW_CAT(a, b) FW_CAT2(a, b)
#define FW(x) FW_CAT(MCUNET_FW_MODEL, x) /* FW(_run) is SYM_run */
#define FW_STR2(x) #x
#define FW_STR(x) FW_STR2(x)

#if FW(_NUM_INPUTS) != 1 || FW(_NUM_OUTPUTS) < 1 || FW(_NUM_OUTPUTS) > 4
#error "the example firmware runs models with one input and one to four outputs"
#endif

extern const uint8_t mcunet_fw_input[], mcunet_fw_input_end[];
/* Set by the linker scripts of examples/boards around the arena's output section (absent: not printed). */
extern const uint8_t __mcunet_arena_start__[] __attribute__((weak));
extern const uint8_t __mcunet_arena_end__[] __attribute__((weak));

static uint8_t out0[FW(_OUTPUT0_BYTES)] __attribute__((aligned(16)));
#if FW(_NUM_OUTPUTS) > 1
static uint8_t out1[FW(_OUTPUT1_BYTES)] __attribute__((aligned(16)));
#endif
#if FW(_NUM_OUTPUTS) > 2
static uint8_t out2[FW(_OUTPUT2_BYTES)] __attribute__((aligned(16)));
#endif
#if FW(_NUM_OUTPUTS) > 3
static uint8_t out3[FW(_OUTPUT3_BYTES)] __attribute__((aligned(16)));
#endif

/* "outputJ (N bytes): xx xx ...", one line per output. */
static void print_bytes(int j, const uint8_t *p, unsigned n) {
  printf("output%d (%u bytes):", j, n);
  for (unsigned i = 0; i < n; ++i) printf(" %02x", p[i]);
  printf("\n");
}

int main(void) {
  mcunet_board_init();
  const uint32_t hz = mcunet_board_clock_hz();
  printf("mcunet firmware: model %s on %s, core clock %lu Hz\n", FW_STR(MCUNET_FW_MODEL), mcunet_board_name(),
         (unsigned long)hz);
  const unsigned in_bytes = (unsigned)(mcunet_fw_input_end - mcunet_fw_input);
  if (in_bytes != FW(_INPUT0_BYTES)) {
    printf("error: the embedded input has %u bytes, the model takes %u\n", in_bytes, (unsigned)FW(_INPUT0_BYTES));
    return 2;
  }
  mcunet_dwt_start();
  const uint32_t c0 = mcunet_dwt_cycles();
  const int rc = FW(_run)((const void *)mcunet_fw_input, (void *)out0
#if FW(_NUM_OUTPUTS) > 1
                          , (void *)out1
#endif
#if FW(_NUM_OUTPUTS) > 2
                          , (void *)out2
#endif
#if FW(_NUM_OUTPUTS) > 3
                          , (void *)out3
#endif
  );
  const uint32_t cycles = mcunet_dwt_cycles() - c0;
  printf("status: %d\n", rc);
  print_bytes(0, out0, sizeof out0);
#if FW(_NUM_OUTPUTS) > 1
  print_bytes(1, out1, sizeof out1);
#endif
#if FW(_NUM_OUTPUTS) > 2
  print_bytes(2, out2, sizeof out2);
#endif
#if FW(_NUM_OUTPUTS) > 3
  print_bytes(3, out3, sizeof out3);
#endif
  if (cycles)
    printf("cycles: %lu (%lu us at %lu MHz)\n", (unsigned long)cycles,
           (unsigned long)((uint64_t)cycles * 1000000u / (hz ? hz : 1)), (unsigned long)(hz / 1000000u));
  else
    printf("cycles: not counted (no DWT cycle counter: emulator)\n");
  printf("arena: %u bytes", (unsigned)FW(_ARENA_SIZE));
  const uintptr_t arena_start = (uintptr_t)__mcunet_arena_start__, arena_end = (uintptr_t)__mcunet_arena_end__;
  if (arena_start && arena_end > arena_start) printf(" at 0x%08lx", (unsigned long)arena_start);
  printf(", weights: %u bytes\n", (unsigned)FW(_WEIGHTS_SIZE));
  return rc;
}
