/* kernels_misc.c: the kernel-library entries of this group (see kernel_registry.h). */
#include "kernel_registry.h"

const mcu_kernel_entry_t mcu_kernels_misc[] = {
    {NULL, NULL, NULL, NULL},
};
