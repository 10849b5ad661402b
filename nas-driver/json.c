/* json.c: a recursive-descent JSON reader (RFC 8259 subset: no surrogate pairs), building a malloc'd tree.
 * Why: the NAS driver reads MCUNet configs, search spaces and evaluator replies, all small; no dependency needed.
 * Weakness: \u escapes beyond ASCII are replaced by '?', numbers are doubles (integers exact up to 2^53). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p;
  const char *start;
} parser_t;

static void skip_ws(parser_t *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ++ps->p;
}

static mcu_status_t fail(parser_t *ps, const char *what) {
  return mcu_status_errorf("JSON: %s at offset %ld", what, (long)(ps->p - ps->start));
}

void nas_json_free(nas_json_t *v) {
  if (!v) return;
  for (int i = 0; i < v->count; ++i) {
    if (v->keys) free(v->keys[i]);
    nas_json_free(v->items[i]);
  }
  free(v->keys);
  free(v->items);
  free(v->string);
  free(v);
}

static mcu_status_t parse_value(parser_t *ps, int depth, nas_json_t **out);

static mcu_status_t parse_string(parser_t *ps, char **out) {
  ++ps->p; /* the opening quote */
  size_t cap = 16, n = 0;
  char *s = malloc(cap);
  if (!s) return mcu_status_errorf("out of memory");
  for (;;) {
    char c = *ps->p++;
    if (c == 0 || (unsigned char)c < 0x20) {
      free(s);
      --ps->p;
      return fail(ps, "unterminated string");
    }
    if (c == '"') break;
    if (c == '\\') {
      char e = *ps->p++;
      switch (e) {
      case '"':
        c = '"';
        break;
      case '\\':
        c = '\\';
        break;
      case '/':
        c = '/';
        break;
      case 'b':
        c = '\b';
        break;
      case 'f':
        c = '\f';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      case 'u': {
        unsigned code = 0;
        for (int k = 0; k < 4; ++k) {
          char h = *ps->p++;
          unsigned d = h >= '0' && h <= '9'   ? (unsigned)(h - '0')
                       : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                       : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                              : 16u;
          if (d == 16) {
            free(s);
            return fail(ps, "bad \\u escape");
          }
          code = code * 16 + d;
        }
        c = code < 0x80 && code > 0 ? (char)code : '?';
        break;
      }
      default:
        free(s);
        return fail(ps, "bad escape");
      }
    }
    if (n + 2 > cap) {
      char *t = realloc(s, cap *= 2);
      if (!t) {
        free(s);
        return mcu_status_errorf("out of memory");
      }
      s = t;
    }
    s[n++] = c;
  }
  s[n] = 0;
  *out = s;
  return NULL;
}

static mcu_status_t push(nas_json_t *v, char *key, nas_json_t *item) {
  if (v->count == 1 << 24) return mcu_status_errorf("JSON: too many members");
  if ((v->count & (v->count - 1)) == 0) { /* grow at powers of two */
    int cap = v->count ? v->count * 2 : 1;
    nas_json_t **items = realloc(v->items, (size_t)cap * sizeof *items);
    if (!items) return mcu_status_errorf("out of memory");
    v->items = items;
    if (v->kind == NAS_JSON_OBJECT) {
      char **keys = realloc(v->keys, (size_t)cap * sizeof *keys);
      if (!keys) return mcu_status_errorf("out of memory");
      v->keys = keys;
    }
  }
  if (v->kind == NAS_JSON_OBJECT) v->keys[v->count] = key;
  v->items[v->count++] = item;
  return NULL;
}

static mcu_status_t parse_container(parser_t *ps, int depth, nas_json_t *v) {
  char close = v->kind == NAS_JSON_OBJECT ? '}' : ']';
  ++ps->p;
  skip_ws(ps);
  if (*ps->p == close) {
    ++ps->p;
    return NULL;
  }
  for (;;) {
    skip_ws(ps);
    char *key = NULL;
    mcu_status_t s;
    if (v->kind == NAS_JSON_OBJECT) {
      if (*ps->p != '"') return fail(ps, "expected a member name");
      if ((s = parse_string(ps, &key))) return s;
      skip_ws(ps);
      if (*ps->p != ':') {
        free(key);
        return fail(ps, "expected ':'");
      }
      ++ps->p;
    }
    nas_json_t *item = NULL;
    if ((s = parse_value(ps, depth + 1, &item)) || (s = push(v, key, item))) {
      free(key);
      nas_json_free(item);
      return s;
    }
    skip_ws(ps);
    if (*ps->p == ',') {
      ++ps->p;
      continue;
    }
    if (*ps->p == close) {
      ++ps->p;
      return NULL;
    }
    return fail(ps, "expected ',' or a closing bracket");
  }
}

static mcu_status_t parse_value(parser_t *ps, int depth, nas_json_t **out) {
  *out = NULL;
  if (depth > 64) return fail(ps, "nested too deeply");
  skip_ws(ps);
  nas_json_t *v = calloc(1, sizeof *v);
  if (!v) return mcu_status_errorf("out of memory");
  mcu_status_t s = NULL;
  char c = *ps->p;
  if (c == '{' || c == '[') {
    v->kind = c == '{' ? NAS_JSON_OBJECT : NAS_JSON_ARRAY;
    s = parse_container(ps, depth, v);
  } else if (c == '"') {
    v->kind = NAS_JSON_STRING;
    s = parse_string(ps, &v->string);
  } else if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
    v->kind = NAS_JSON_BOOL;
    v->number = c == 't';
    ps->p += c == 't' ? 4 : 5;
  } else if (!strncmp(ps->p, "null", 4)) {
    ps->p += 4;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char *end;
    errno = 0;
    v->kind = NAS_JSON_NUMBER;
    v->number = strtod(ps->p, &end);
    if (end == ps->p || !isfinite(v->number)) s = fail(ps, "bad number");
    ps->p = end;
  } else {
    s = fail(ps, "unexpected character");
  }
  if (s) {
    nas_json_free(v);
    return s;
  }
  *out = v;
  return NULL;
}

mcu_status_t nas_json_parse(const char *text, nas_json_t **out_value) {
  parser_t ps = {text, text};
  nas_json_t *v;
  mcu_status_t s = parse_value(&ps, 0, &v);
  if (s) return s;
  skip_ws(&ps);
  if (*ps.p) {
    nas_json_free(v);
    return fail(&ps, "trailing characters");
  }
  *out_value = v;
  return NULL;
}

mcu_status_t nas_json_parse_file(const char *path, nas_json_t **out_value) {
  FILE *f = fopen(path, "rb");
  if (!f) return mcu_status_errorf("%s: cannot open", path);
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fclose(f);
      return mcu_status_errorf("out of memory");
    }
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    if (cap > (64u << 20)) {
      free(buf);
      fclose(f);
      return mcu_status_errorf("%s: larger than 64 MB", path);
    }
    char *t = realloc(buf, cap *= 2);
    if (!t) free(buf);
    buf = t;
  }
  int err = ferror(f);
  fclose(f);
  buf[n] = 0;
  mcu_status_t s = err ? mcu_status_errorf("%s: read error", path) : nas_json_parse(buf, out_value);
  free(buf);
  return s ? mcu_status_annotatef(s, "%s: ", path) : NULL;
}

const nas_json_t *nas_json_get(const nas_json_t *v, const char *key) {
  if (!v || v->kind != NAS_JSON_OBJECT) return NULL;
  for (int i = 0; i < v->count; ++i)
    if (!strcmp(v->keys[i], key)) return v->items[i];
  return NULL;
}

mcu_status_t nas_json_int(const nas_json_t *v, const char *key, const char *what, long lo, long hi, int allow_missing,
                          long def, long *out) {
  const nas_json_t *m = nas_json_get(v, key);
  if (!m || m->kind == NAS_JSON_NULL) {
    if (allow_missing) {
      *out = def;
      return NULL;
    }
    return mcu_status_errorf("%s: missing '%s'", what, key);
  }
  if (m->kind != NAS_JSON_NUMBER || m->number != floor(m->number) || m->number < (double)lo || m->number > (double)hi)
    return mcu_status_errorf("%s: '%s' must be an integer in [%ld, %ld]", what, key, lo, hi);
  *out = (long)m->number;
  return NULL;
}
