/* startup.c: Cortex-M7/M4 reset and fault handling for mcunet-run firmware on QEMU mps2-an500/an386 (semihosting). */

/* Reset_Handler enables the FPU before any VFP instruction can run, copies .data from its load address, zeroes
 * .bss (the model's arena included), opens newlib's semihosting file handles, runs main and passes its status to
 * exit(), which flushes stdio and ends QEMU through semihosting with that status. Every fault prints the faulting
 * pc and the fault status registers through semihosting and exits with status 1. Known weakness: the handlers use
 * the faulting stack, so a fault caused by stack overflow may not be reported. */

#include <stdint.h>
#include <stdlib.h>

extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

extern uint32_t __stack_top;
extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __bss_start__, __bss_end__;

void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);

/* newlib calls these from __libc_init_array / exit; the firmware has no crti/crtn (-nostartfiles). */
void _init(void) {}
void _fini(void) {}

#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

/* ARM semihosting operations used without newlib (safe inside a fault handler). */
#define SEMIHOST_SYS_WRITE0 0x04
#define SEMIHOST_SYS_EXIT 0x18
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

static uint32_t semihost_call(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Vector table: initial stack pointer, then the handlers. Placed first in CODE by mps2_an500.ld. */
__attribute__((section(".vectors"), used)) static void (*const vector_table[16 + 32])(void) = {
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
    [16 ... 47] = Default_Handler,
};

__attribute__((noreturn, naked)) void Reset_Handler(void) {
  /* Enable CP10/CP11 (full access) before any C code that the compiler may give VFP instructions. */
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n"
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "ldr r0, =__stack_top\n"
      "mov sp, r0\n"
      "b mcunet_c_start\n");
}

__attribute__((noreturn, used)) void mcunet_c_start(void) {
  uint32_t *src = &__data_load__;
  for (uint32_t *dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;
  for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

/* Appends `text` and, unless it is NULL, then `v` as 0x%08x to the buffer at *pos. */
static void put_field(char **pos, const char *text, const uint32_t *v) {
  static const char digits[] = "0123456789abcdef";
  while (*text) *(*pos)++ = *text++;
  if (!v) return;
  *(*pos)++ = '0';
  *(*pos)++ = 'x';
  for (int i = 0; i < 8; i++) *(*pos)++ = digits[(*v >> (28 - 4 * i)) & 0xF];
}

/* Reports the fault from the exception frame `frame` (r0-r3, r12, lr, pc, xpsr) and stops QEMU with status 1. */
__attribute__((noreturn, used)) void mcunet_fault_report(const uint32_t *frame) {
  char msg[192];
  char *pos = msg;
  uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR, bfar = SCB_BFAR;
  put_field(&pos, "firmware fault: pc=", &frame[6]);
  put_field(&pos, " lr=", &frame[5]);
  put_field(&pos, " cfsr=", &cfsr);
  put_field(&pos, " hfsr=", &hfsr);
  put_field(&pos, " bfar=", &bfar);
  const uint32_t sp = (uint32_t)(uintptr_t)(frame + 8); /* the stack pointer before the frame was pushed */
  put_field(&pos, " r12=", &frame[4]);
  put_field(&pos, " sp=", &sp);
  put_field(&pos, "\n", NULL);
  *pos = 0;
  semihost_call(SEMIHOST_SYS_WRITE0, msg);
  semihost_call(SEMIHOST_SYS_EXIT, (const void *)ADP_STOPPED_RUNTIME_ERROR);
  for (;;) {
  }
}

/* Picks the stack the exception frame was pushed on (bit 2 of EXC_RETURN) and reports it. */
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
