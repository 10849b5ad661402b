/* startup.c: STM32F746 reset and vector table (98 device interrupts, RM0385 table 40) for mcunet's example firmware. */
#define MCUNET_NUM_IRQS 98
#include "../cortex_m7_startup.c"
