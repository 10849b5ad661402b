/* json_test.c: the JSON reader: values, escapes, nesting, integer members and the errors. */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include "mcu_test.h"

static void test_values(void) {
  nas_json_t *v = NULL;
  mcu_status_t s =
      nas_json_parse(" {\"a\": [1, -2.5e1, true, false, null], \"b\": \"x\\\"\\n\\u0041\\u00e9\", \"c\": {}}", &v);
  CHECK(!s && v && v->kind == NAS_JSON_OBJECT && v->count == 3, "object parsed: %s", mcu_status_message(s));
  const nas_json_t *a = nas_json_get(v, "a");
  CHECK(a && a->kind == NAS_JSON_ARRAY && a->count == 5, "array of 5");
  CHECK(a && a->items[0]->number == 1 && a->items[1]->number == -25, "numbers");
  CHECK(a && a->items[2]->kind == NAS_JSON_BOOL && a->items[2]->number == 1 && a->items[3]->number == 0, "bools");
  CHECK(a && a->items[4]->kind == NAS_JSON_NULL, "null");
  const nas_json_t *b = nas_json_get(v, "b");
  CHECK(b && !strcmp(b->string, "x\"\nA?"), "escapes: %s", b ? b->string : "");
  CHECK(nas_json_get(v, "c")->kind == NAS_JSON_OBJECT && !nas_json_get(v, "d"), "empty object, missing key");
  long x;
  CHECK(!nas_json_int(a ? v : v, "missing", "t", 0, 9, 1, 7, &x) && x == 7, "default for a missing member");
  mcu_status_t e = nas_json_int(v, "b", "t", 0, 9, 0, 0, &x);
  CHECK(e && strstr(mcu_status_message(e), "'b' must be an integer"), "a string is not an integer");
  mcu_status_free(e);
  nas_json_free(v);
}

static void test_errors(void) {
  const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "[1] x", "{\"a\":1,}", "01x", "\"\\q\"", "nan"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    nas_json_t *v = NULL;
    mcu_status_t s = nas_json_parse(bad[i], &v);
    CHECK(s && !v && strstr(mcu_status_message(s), "JSON: "), "'%s' is refused", bad[i]);
    mcu_status_free(s);
  }
  char deep[200];
  memset(deep, '[', 100);
  deep[100] = 0;
  nas_json_t *v = NULL;
  mcu_status_t s = nas_json_parse(deep, &v);
  CHECK(s && strstr(mcu_status_message(s), "nested too deeply"), "depth limit");
  mcu_status_free(s);
}

int main(void) {
  test_values();
  test_errors();
  return mcu_test_finish();
}
