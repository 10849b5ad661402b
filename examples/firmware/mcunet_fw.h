/* mcunet_fw.h: the board interface of mcunet's example firmware (examples/firmware/fw_main.c, examples/boards/). */
#ifndef MCUNET_FW_H
#define MCUNET_FW_H

#include <stdint.h>

/* Each board (examples/boards/NAME/board.c) defines these three; nothing else differs between the boards and the
 * emulator except the startup file and the linker script. */
void mcunet_board_init(void);          /* clocks and caches; called first by main */
uint32_t mcunet_board_clock_hz(void);  /* the core clock after mcunet_board_init (DWT cycles per second) */
const char *mcunet_board_name(void);

/* The DWT cycle counter of the Cortex-M7 (ARMv7-M Architecture Reference Manual, C1.8). It counts core clock
 * cycles and wraps after 2^32 (20 s at 216 MHz). QEMU does not model it: it reads 0 on the emulator. */
#define MCUNET_DEMCR (*(volatile uint32_t *)0xE000EDFCu)     /* Debug Exception and Monitor Control */
#define MCUNET_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define MCUNET_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define MCUNET_DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)   /* lock access (Cortex-M7 CoreSight) */

/* Enables and zeroes the cycle counter: TRCENA, unlock, CYCCNT = 0, CYCCNTENA. */
static inline void mcunet_dwt_start(void) {
  MCUNET_DEMCR |= 1u << 24;
  MCUNET_DWT_LAR = 0xC5ACCE55u;
  MCUNET_DWT_CYCCNT = 0;
  MCUNET_DWT_CTRL |= 1u;
}

static inline uint32_t mcunet_dwt_cycles(void) { return MCUNET_DWT_CYCCNT; }

#endif
