/* cortex_m7_startup.c: reset and fault handling shared by the STM32 Cortex-M7 boards (included by their startup.c). */

/* The including file defines MCUNET_NUM_IRQS (the device's interrupt count) before including this file. Reset_Handler
 * enables the FPU before any VFP instruction can run, points VTOR at the vector table, copies .data and the ITCM code
 * from flash, zeroes every range of the linker script's zero table (.bss, the arena, the pools), enables the
 * instruction and data caches, opens newlib's semihosting handles and passes main's status to exit() (semihosting
 * SYS_EXIT). Faults print the faulting pc and fault status over semihosting and stop. Known weakness: semihosting
 * needs a debugger attached (without one the first printf's bkpt faults), and the handlers use the faulting
 * stack, so a fault caused by stack overflow may not be reported. */
#include <stdint.h>
#include <stdlib.h>

#ifndef MCUNET_NUM_IRQS
#error "define MCUNET_NUM_IRQS before including cortex_m7_startup.c"
#endif

extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

/* From the board's linker script. */
extern uint32_t __stack_top;
extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __itcm_start__, __itcm_end__, __itcm_load__;
extern const uint32_t __zero_table_start__[], __zero_table_end__[]; /* pairs (start, end), 4-aligned */

void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);

void _init(void) {}
void _fini(void) {}

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define SCB_CCSIDR (*(volatile uint32_t *)0xE000ED80u)
#define SCB_CSSELR (*(volatile uint32_t *)0xE000ED84u)
#define SCB_ICIALLU (*(volatile uint32_t *)0xE000EF50u)
#define SCB_DCISW (*(volatile uint32_t *)0xE000EF60u)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)

#define SEMIHOST_SYS_WRITE0 0x04
#define SEMIHOST_SYS_EXIT 0x18
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

static uint32_t semihost_call(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Initial stack pointer, the 15 system exceptions, then the device's interrupts (all unexpected here). */
__attribute__((section(".vectors"), used)) static void (*const vector_table[16 + MCUNET_NUM_IRQS])(void) = {
    (void (*)(void))(&__stack_top),
    Reset_Handler,
    Default_Handler, /* NMI */
    Fault_Handler,   /* HardFault */
    Fault_Handler,   /* MemManage */
    Fault_Handler,   /* BusFault */
    Fault_Handler,   /* UsageFault */
    0, 0, 0, 0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
    [16 ... 16 + MCUNET_NUM_IRQS - 1] = Default_Handler,
};

__attribute__((noreturn, naked)) void Reset_Handler(void) {
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n" /* CPACR: CP10/CP11 full access */
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "ldr r0, =__stack_top\n"
      "mov sp, r0\n"
      "b mcunet_c_start\n");
}

/* The Cortex-M7 cache enable sequence (ARMv7-M ARM B2.2.7, Cortex-M7 TRM 4.2): invalidate the whole instruction
 * cache, and the data cache by set/way from CCSIDR's geometry, then turn both on. */
static void enable_caches(void) {
  __asm__ volatile("dsb\nisb" ::: "memory");
  SCB_ICIALLU = 0;
  __asm__ volatile("dsb\nisb" ::: "memory");
  SCB_CCR |= SCB_CCR_IC;
  SCB_CSSELR = 0; /* level 1 data cache */
  __asm__ volatile("dsb" ::: "memory");
  const uint32_t ccsidr = SCB_CCSIDR;
  const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1, ways = ((ccsidr >> 3) & 0x3FFu) + 1;
  for (uint32_t s = 0; s < sets; ++s)
    for (uint32_t w = 0; w < ways; ++w) SCB_DCISW = (s << 5) | (w << 30); /* 32-byte lines, 4 ways */
  __asm__ volatile("dsb" ::: "memory");
  SCB_CCR |= SCB_CCR_DC;
  __asm__ volatile("dsb\nisb" ::: "memory");
}

__attribute__((noreturn, used)) void mcunet_c_start(void) {
  SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
  uint32_t *src = &__data_load__;
  for (uint32_t *dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;
  src = &__itcm_load__;
  for (uint32_t *dst = &__itcm_start__; dst < &__itcm_end__;) *dst++ = *src++;
  for (const uint32_t *z = __zero_table_start__; z + 1 < __zero_table_end__; z += 2)
    for (uint32_t *dst = (uint32_t *)(uintptr_t)z[0]; dst < (uint32_t *)(uintptr_t)z[1];) *dst++ = 0;
  __asm__ volatile("dsb\nisb" ::: "memory");
  enable_caches();
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

static void put_field(char **pos, const char *text, const uint32_t *v) {
  static const char digits[] = "0123456789abcdef";
  while (*text) *(*pos)++ = *text++;
  if (!v) return;
  *(*pos)++ = '0';
  *(*pos)++ = 'x';
  for (int i = 0; i < 8; i++) *(*pos)++ = digits[(*v >> (28 - 4 * i)) & 0xF];
}

/* Reports the fault from the exception frame (r0-r3, r12, lr, pc, xpsr) and stops with a runtime-error exit. */
__attribute__((noreturn, used)) void mcunet_fault_report(const uint32_t *frame) {
  char msg[128];
  char *pos = msg;
  uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR, bfar = SCB_BFAR;
  put_field(&pos, "firmware fault: pc=", &frame[6]);
  put_field(&pos, " lr=", &frame[5]);
  put_field(&pos, " cfsr=", &cfsr);
  put_field(&pos, " hfsr=", &hfsr);
  put_field(&pos, " bfar=", &bfar);
  put_field(&pos, "\n", NULL);
  *pos = 0;
  semihost_call(SEMIHOST_SYS_WRITE0, msg);
  semihost_call(SEMIHOST_SYS_EXIT, (const void *)ADP_STOPPED_RUNTIME_ERROR);
  for (;;) {
  }
}

__attribute__((naked)) void Fault_Handler(void) {
  __asm__ volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "b mcunet_fault_report\n");
}

__attribute__((noreturn)) void Default_Handler(void) {
  semihost_call(SEMIHOST_SYS_WRITE0, "firmware fault: unexpected interrupt\n");
  semihost_call(SEMIHOST_SYS_EXIT, (const void *)ADP_STOPPED_RUNTIME_ERROR);
  for (;;) {
  }
}
