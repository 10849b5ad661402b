/* zero_bytes.h: one read-only block of zero bytes that every all-zero constant of a program can point into. */
#ifndef MCUNET_COMPILER_ZERO_BYTES_H
#define MCUNET_COMPILER_ZERO_BYTES_H

#include <stdint.h>

/* Bytes 0 .. n-1 (n >= 0) of a process-wide block of zeros, read-only (a write faults), never freed; NULL when n is
 * above the block's size (MCU_ZERO_BYTES_MAX) or the block cannot be mapped: then the caller allocates its own.
 * Thread-safe. A program's tensor may point into it (mcu_program_destroy does not free such a pointer). */
const uint8_t *mcu_zero_bytes(int64_t n);

/* 1 when p points into the block (then it is not the caller's to free). */
int mcu_zero_bytes_holds(const void *p);

enum { MCU_ZERO_BYTES_MAX = 64 << 20 };

#endif
