/* board.c: NUCLEO-H743ZI for mcunet's example firmware: core clock 400 MHz from the internal oscillator. */

/* mcunet_board_init raises the core clock from the 64 MHz HSI to 400 MHz (RM0433 sections 6.4, 8.5): LDO supply
 * (NUCLEO-H743ZI: PWR_CR3 = LDOEN), voltage scale 1 (PWR_D3CR VOS = 3), PLL1 from HSI / M=32 = 2 MHz (input
 * range 2-4 MHz, PLL1RGE = 1), wide VCO x N=400 = 800 MHz, / P=2 = 400 MHz; AXI/AHB at 200 MHz
 * (HPRE / 2) and every APB / 2 (100 MHz); flash: 2 wait states with WRHIGHFREQ = 2 (RM0433 table 17, VOS1,
 * 185-210 MHz AXI). Known weakness: HSI rather than the ST-LINK's 8 MHz clock; no timeout on the ready flags. */
#include <stdint.h>

#include "mcunet_fw.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define PWR_CR3 REG(0x5802480Cu)
#define PWR_CSR1 REG(0x58024804u)
#define PWR_D3CR REG(0x58024818u)
#define RCC_CR REG(0x58024400u)
#define RCC_CFGR REG(0x58024410u)
#define RCC_D1CFGR REG(0x58024418u)
#define RCC_D2CFGR REG(0x5802441Cu)
#define RCC_D3CFGR REG(0x58024420u)
#define RCC_PLLCKSELR REG(0x58024428u)
#define RCC_PLLCFGR REG(0x5802442Cu)
#define RCC_PLL1DIVR REG(0x58024430u)
#define FLASH_ACR REG(0x52002000u)

#define CORE_HZ 400000000u

static uint32_t core_hz = 64000000u; /* HSI after reset */

void mcunet_board_init(void) {
  /* Supply: LDO on, bypass and SMPS off (bits 0-2 = LDOEN); then wait for ACTVOSRDY (PWR_CSR1 bit 13). */
  PWR_CR3 = (PWR_CR3 & ~7u) | 2u;
  while (!(PWR_CSR1 & (1u << 13))) {
  }
  PWR_D3CR = (PWR_D3CR & ~(3u << 14)) | (3u << 14); /* VOS1 */
  while (!(PWR_D3CR & (1u << 13))) {                 /* VOSRDY */
  }
  /* PLL1: source HSI (PLLSRC = 0), DIVM1 = 32; input 2 MHz (PLL1RGE = 1), wide VCO, DIVP1 enabled. */
  RCC_PLLCKSELR = (RCC_PLLCKSELR & ~(3u | (0x3Fu << 4))) | (32u << 4);
  RCC_PLLCFGR = (RCC_PLLCFGR & ~0xFu) | (1u << 2) | (1u << 16); /* PLL1RGE = 1 (2-4 MHz), VCOSEL wide, DIVP1EN */
  RCC_PLL1DIVR = (400u - 1u) | ((2u - 1u) << 9) | ((4u - 1u) << 16) | ((2u - 1u) << 24); /* N, P, Q, R */
  RCC_CR |= 1u << 24; /* PLL1ON */
  while (!(RCC_CR & (1u << 25))) { /* PLL1RDY */
  }
  FLASH_ACR = 2u | (2u << 4); /* LATENCY 2, WRHIGHFREQ 2 */
  while ((FLASH_ACR & 0x3Fu) != (2u | (2u << 4))) {
  }
  RCC_D1CFGR = (8u << 0) | (4u << 4);  /* HPRE / 2, D1PPRE / 2, D1CPRE / 1 */
  RCC_D2CFGR = (4u << 4) | (4u << 8);  /* D2PPRE1 / 2, D2PPRE2 / 2 */
  RCC_D3CFGR = 4u << 4;                /* D3PPRE / 2 */
  RCC_CFGR = (RCC_CFGR & ~7u) | 3u;    /* SW = PLL1 */
  while (((RCC_CFGR >> 3) & 7u) != 3u) { /* SWS */
  }
  core_hz = CORE_HZ;
}

uint32_t mcunet_board_clock_hz(void) { return core_hz; }

const char *mcunet_board_name(void) { return "NUCLEO-H743ZI"; }
