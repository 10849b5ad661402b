/* status.h: the error result every fallible mcunet function returns (NULL means success). */
#ifndef MCUNET_COMPILER_STATUS_H
#define MCUNET_COMPILER_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* An owned error: a one-line message. NULL is success, so `if (s) return s;` propagates. */
typedef struct mcu_status_s *mcu_status_t;

/* Makes an error from a printf format. Never returns NULL (falls back to a static out-of-memory status). */
mcu_status_t mcu_status_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefixes `s`'s message with a printf-formatted context ("file.onnx: " + message). Returns s. */
mcu_status_t mcu_status_annotatef(mcu_status_t s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message; "ok" for NULL. Valid until the status is freed. */
const char *mcu_status_message(mcu_status_t s);
/* Frees an error. NULL is allowed. */
void mcu_status_free(mcu_status_t s);

#ifdef __cplusplus
}
#endif
#endif
