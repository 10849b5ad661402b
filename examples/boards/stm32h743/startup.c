/* startup.c: STM32H743 reset and vector table (150 device interrupts, RM0433 table 145) for mcunet's example firmware. */
#define MCUNET_NUM_IRQS 150
#include "../cortex_m7_startup.c"
