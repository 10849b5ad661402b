/* board.c: QEMU mps2-an500 (Cortex-M7) for mcunet's example firmware: the emulator, nothing to configure. */

/* Startup and linker script are the harness's (runtime/harness/startup.c, mps2_an500.ld), which mcunet-run uses
 * too. The AN500 FPGA image clocks the core at 25 MHz; QEMU does not model the DWT cycle counter (it reads 0). */
#include <stdint.h>

#include "mcunet_fw.h"

void mcunet_board_init(void) {}

uint32_t mcunet_board_clock_hz(void) { return 25000000u; }

const char *mcunet_board_name(void) { return "mps2-an500 (QEMU)"; }
