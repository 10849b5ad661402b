/* json.h: a small JSON reader (DOM) for the NAS driver's configs, search spaces and evaluator replies. */
#ifndef MCUNET_NAS_JSON_H
#define MCUNET_NAS_JSON_H

#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nas_json_kind {
  NAS_JSON_NULL = 0,
  NAS_JSON_BOOL,
  NAS_JSON_NUMBER,
  NAS_JSON_STRING,
  NAS_JSON_ARRAY,
  NAS_JSON_OBJECT,
} nas_json_kind_t;

/* One value. Arrays and objects hold `count` children in `items` (objects also `keys`, in file order). */
typedef struct nas_json {
  nas_json_kind_t kind;
  double number; /* NUMBER; BOOL: 0 or 1 */
  char *string;  /* STRING (UTF-8, escapes decoded; \u escapes above 0x7f become '?') */
  int count;
  char **keys;
  struct nas_json **items;
} nas_json_t;

/* Parses the NUL-terminated text. *out_value is owned by the caller (nas_json_free). Depth is limited to 64. */
mcu_status_t nas_json_parse(const char *text, nas_json_t **out_value);
/* Reads and parses a file. */
mcu_status_t nas_json_parse_file(const char *path, nas_json_t **out_value);
void nas_json_free(nas_json_t *v);

/* The member `key` of an object, or NULL (also when v is not an object). */
const nas_json_t *nas_json_get(const nas_json_t *v, const char *key);
/* Member `key` as an integer: 0 when it is an integral number within [lo, hi] (stored in *out), else an error
 * naming `what` and the key. A missing or null member gives `def` when allow_missing, else an error. */
mcu_status_t nas_json_int(const nas_json_t *v, const char *key, const char *what, long lo, long hi, int allow_missing,
                          long def, long *out);

#ifdef __cplusplus
}
#endif
#endif
