/* mcu_test.h: the unit tests' check macro and pass/fail count (one definition for every *_test.c). */
#ifndef MCUNET_TEST_UNIT_MCU_TEST_H
#define MCUNET_TEST_UNIT_MCU_TEST_H

#include <stdarg.h>
#include <stdio.h>

/* CHECK(cond, fmt, ...) counts one check; a failed one prints "FAIL FILE:LINE: message (cond)" to stdout, the message
 * being printf(fmt, ...). Each test program ends with `return mcu_test_finish();`, which prints "N passed, M failed"
 * and gives the exit status (nonzero when any check failed). Known weakness: the counters are per translation unit,
 * so a test must be a single .c file (all of them are). */

static int mcu_test_passed, mcu_test_failed;

static inline void mcu_test_check(int ok, const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static inline void mcu_test_check(int ok, const char *file, int line, const char *cond, const char *fmt, ...) {
  if (ok) {
    ++mcu_test_passed;
    return;
  }
  ++mcu_test_failed;
  printf("FAIL %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf(" (%s)\n", cond);
  fflush(stdout);
}

#define CHECK(cond, ...) mcu_test_check((cond) ? 1 : 0, __FILE__, __LINE__, #cond, __VA_ARGS__)

/* Prints the totals; the test's exit status. */
static inline int mcu_test_finish(void) {
  printf("%d passed, %d failed\n", mcu_test_passed, mcu_test_failed);
  return mcu_test_failed != 0;
}

#endif
