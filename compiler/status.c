/* status.c: heap-allocated error messages with a static fallback when allocation fails. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mcu_status_s {
  int is_static;
  char *message;
};

static struct mcu_status_s oom_status = {1, "out of memory"};

static char *vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return NULL;
  char *buf = malloc((size_t)n + 1);
  if (buf) vsnprintf(buf, (size_t)n + 1, fmt, ap);
  return buf;
}

mcu_status_t mcu_status_errorf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = vformat(fmt, ap);
  va_end(ap);
  mcu_status_t s = msg ? malloc(sizeof *s) : NULL;
  if (!s) {
    free(msg);
    return &oom_status;
  }
  s->is_static = 0;
  s->message = msg;
  return s;
}

mcu_status_t mcu_status_annotatef(mcu_status_t s, const char *fmt, ...) {
  if (!s || s->is_static) return s;
  va_list ap;
  va_start(ap, fmt);
  char *prefix = vformat(fmt, ap);
  va_end(ap);
  if (!prefix) return s;
  size_t a = strlen(prefix), b = strlen(s->message);
  char *joined = malloc(a + b + 1);
  if (joined) {
    memcpy(joined, prefix, a);
    memcpy(joined + a, s->message, b + 1);
    free(s->message);
    s->message = joined;
  }
  free(prefix);
  return s;
}

const char *mcu_status_message(mcu_status_t s) { return s ? s->message : "ok"; }

void mcu_status_free(mcu_status_t s) {
  if (!s || s->is_static) return;
  free(s->message);
  free(s);
}
