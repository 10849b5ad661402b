/* board.c: STM32F746G-DISCO for mcunet's example firmware: core clock 216 MHz from the internal oscillator. */

/* mcunet_board_init raises the core clock from the 16 MHz HSI to 216 MHz (RM0385 section 5.3): HSI / M=8 = 2 MHz
 * PLL input, x N=216 = 432 MHz VCO, / P=2 = 216 MHz SYSCLK (Q=9: 48 MHz); voltage scale 1 with over-drive (needed
 * above 180 MHz), 7 flash wait states with the ART accelerator and prefetch (RM0385 table 5, 2.7-3.6 V), APB1 / 4
 * (54 MHz) and APB2 / 2 (108 MHz). Known weakness: HSI (1% accuracy) rather than the board's 25 MHz crystal; no
 * timeout on the ready flags (a failing oscillator hangs here). */
#include <stdint.h>

#include "mcunet_fw.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_CR REG(0x40023800u)
#define RCC_PLLCFGR REG(0x40023804u)
#define RCC_CFGR REG(0x40023808u)
#define RCC_APB1ENR REG(0x40023840u)
#define PWR_CR1 REG(0x40007000u)
#define PWR_CSR1 REG(0x40007004u)
#define FLASH_ACR REG(0x40023C00u)

#define CORE_HZ 216000000u

static uint32_t core_hz = 16000000u; /* HSI after reset */

void mcunet_board_init(void) {
  RCC_APB1ENR |= 1u << 28;                      /* PWREN */
  (void)RCC_APB1ENR;                            /* the write takes effect before PWR is touched */
  PWR_CR1 = (PWR_CR1 & ~(3u << 14)) | (3u << 14); /* VOS = scale 1 */
  RCC_PLLCFGR = 8u | (216u << 6) | (0u << 16) | (0u << 22) | (9u << 24); /* M, N, P=2, src HSI, Q */
  RCC_CR |= 1u << 24;                           /* PLLON */
  while (!(RCC_CR & (1u << 25))) {              /* PLLRDY */
  }
  PWR_CR1 |= 1u << 16; /* ODEN */
  while (!(PWR_CSR1 & (1u << 16))) {            /* ODRDY */
  }
  PWR_CR1 |= 1u << 17; /* ODSWEN */
  while (!(PWR_CSR1 & (1u << 17))) {            /* ODSWRDY */
  }
  FLASH_ACR = 7u | (1u << 8) | (1u << 9); /* LATENCY 7, PRFTEN, ARTEN */
  while ((FLASH_ACR & 0xFu) != 7u) {
  }
  RCC_CFGR = (RCC_CFGR & ~((7u << 10) | (7u << 13) | (0xFu << 4))) | (5u << 10) | (4u << 13); /* APB1/4, APB2/2 */
  RCC_CFGR = (RCC_CFGR & ~3u) | 2u; /* SW = PLL */
  while (((RCC_CFGR >> 2) & 3u) != 2u) { /* SWS */
  }
  core_hz = CORE_HZ;
}

uint32_t mcunet_board_clock_hz(void) { return core_hz; }

const char *mcunet_board_name(void) { return "STM32F746G-DISCO"; }
