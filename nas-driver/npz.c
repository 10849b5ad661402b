/* npz.c: NumPy .npz reader: ZIP central directory + local headers (stored entries only) + .npy v1/v2/v3 headers.
 * Algorithm: find the end-of-central-directory record (scanning back over at most a 64 KiB comment), walk the central
 * directory (the authoritative sizes: np.savez's local headers carry a ZIP64 extra field, and streaming writers leave
 * 0xFFFFFFFF or 0 sizes there), check each entry's local header against it, its CRC-32, then parse the .npy header
 * (a Python dict literal) and check that the data size is exactly product(shape) * itemsize. Why our own: the input
 * is untrusted and small, and a general ZIP library would bring inflate code we refuse anyway. Weakness: no ZIP64
 * end records (archives above 4 GiB or with 65535+ entries), no compression, no multi-disk archives. */
#include "npz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* CRC-32 (ZIP's polynomial 0xEDB88320) with a table built per call (256 entries: nothing next to reading the file;
 * no shared state between threads). */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* [off, off + len) lies inside [0, size) without overflow. */
static int in_bounds(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

/* ---- the .npy header: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ---- */

typedef struct {
  const char *p, *end;
} cursor_t;

static void skip_ws(cursor_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) ++c->p;
}

/* A quoted string (' or ", no escapes: npy headers have none) into out[cap]; -1 on error. */
static int parse_str(cursor_t *c, char *out, size_t cap) {
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= cap) return -1;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end) return -1;
  ++c->p;
  out[n] = 0;
  return 0;
}

static int parse_word(cursor_t *c, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n)) return -1;
  c->p += n;
  return 0;
}

/* A tuple of non-negative integers "(a, b,)" (each below 2^62). */
static int parse_shape(cursor_t *c, nas_npy_t *a) {
  if (c->p >= c->end || *c->p != '(') return -1;
  ++c->p;
  a->rank = 0;
  for (;;) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ')') {
      ++c->p;
      return 0;
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9' || a->rank == NAS_NPY_MAX_RANK) return -1;
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      if (v > ((int64_t)1 << 58)) return -1; /* v * 10 + 9 stays below 2^62 */
      v = v * 10 + (*c->p++ - '0');
    }
    a->shape[a->rank++] = v;
    skip_ws(c);
    if (c->p < c->end && *c->p == ',') ++c->p;
    else if (c->p >= c->end || *c->p != ')') return -1;
  }
}

/* The itemsize of a simple dtype string ("<f4", "|u1", "<i8"); 0 when the dtype is not a plain number type. */
static int descr_itemsize(const char *d) {
  if (strlen(d) < 3 || !strchr("<>|=", d[0]) || !strchr("fiub", d[1])) return 0; /* strchr also finds a NUL */
  int n = 0;
  for (const char *p = d + 2; *p; ++p) {
    if (*p < '0' || *p > '9' || n > 16) return 0;
    n = n * 10 + (*p - '0');
  }
  return n == 1 || n == 2 || n == 4 || n == 8 ? n : 0;
}

static mcu_status_t parse_npy(const char *key, const uint8_t *p, size_t n, nas_npy_t *a) {
  static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (n < 10 || memcmp(p, magic, 6)) return mcu_status_errorf("entry '%s.npy': not a .npy array (bad magic)", key);
  int major = p[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = rd16(p + 8), hstart = 10;
  } else if (major == 2 || major == 3) {
    if (n < 12) return mcu_status_errorf("entry '%s.npy': truncated .npy header", key);
    hlen = rd32(p + 8), hstart = 12;
  } else {
    return mcu_status_errorf("entry '%s.npy': .npy format version %d is not supported (1, 2, 3)", key, major);
  }
  if (!in_bounds(hstart, hlen, n)) return mcu_status_errorf("entry '%s.npy': truncated .npy header", key);
  cursor_t c = {(const char *)p + hstart, (const char *)p + hstart + hlen};
  int seen_descr = 0, seen_order = 0, seen_shape = 0;
  skip_ws(&c);
  if (c.p >= c.end || *c.p++ != '{') return mcu_status_errorf("entry '%s.npy': .npy header is not a dict", key);
  for (;;) {
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') break;
    char name[32];
    if (parse_str(&c, name, sizeof name)) return mcu_status_errorf("entry '%s.npy': malformed .npy header", key);
    skip_ws(&c);
    if (c.p >= c.end || *c.p++ != ':') return mcu_status_errorf("entry '%s.npy': malformed .npy header", key);
    skip_ws(&c);
    int bad;
    if (!strcmp(name, "descr")) {
      bad = parse_str(&c, a->descr, sizeof a->descr), seen_descr = 1;
      if (bad) return mcu_status_errorf("entry '%s.npy': unsupported dtype (not a simple type string)", key);
    } else if (!strcmp(name, "fortran_order")) {
      bad = parse_word(&c, "True") ? parse_word(&c, "False") : (a->fortran_order = 1, 0);
      seen_order = 1;
    } else if (!strcmp(name, "shape")) {
      bad = parse_shape(&c, a), seen_shape = 1;
    } else {
      return mcu_status_errorf("entry '%s.npy': unknown .npy header field '%s'", key, name);
    }
    if (bad) return mcu_status_errorf("entry '%s.npy': malformed '%s' in the .npy header", key, name);
    skip_ws(&c);
    if (c.p < c.end && *c.p == ',') ++c.p;
    else if (c.p >= c.end || *c.p != '}') return mcu_status_errorf("entry '%s.npy': malformed .npy header", key);
  }
  if (!seen_descr || !seen_order || !seen_shape)
    return mcu_status_errorf("entry '%s.npy': .npy header lacks descr, fortran_order or shape", key);
  int item = descr_itemsize(a->descr);
  if (!item) return mcu_status_errorf("entry '%s.npy': unsupported dtype '%s'", key, a->descr);
  uint64_t count = 1;
  for (int i = 0; i < a->rank; ++i) {
    uint64_t d = (uint64_t)a->shape[i];
    if (d && count > UINT64_MAX / 16 / d) return mcu_status_errorf("entry '%s.npy': shape too large", key);
    count *= d;
  }
  uint64_t nbytes = count * (uint64_t)item, avail = n - hstart - hlen;
  if (nbytes != avail)
    return mcu_status_errorf("entry '%s.npy': %llu data bytes, the header's shape and dtype need %llu", key,
                             (unsigned long long)avail, (unsigned long long)nbytes);
  a->count = (int64_t)count;
  a->data = p + hstart + hlen;
  a->nbytes = (size_t)nbytes;
  return NULL;
}

/* ---- the ZIP container ---- */

void nas_npz_free(nas_npz_t *z) {
  if (!z) return;
  for (int i = 0; i < z->count; ++i) free(z->arrays[i].key);
  free(z->arrays);
  free(z);
}

/* One central-directory entry at *pos: checks it and its local header, appends the parsed array. */
static mcu_status_t read_entry(const uint8_t *buf, size_t size, uint64_t cd_end, uint64_t *pos, nas_npz_t *z) {
  uint64_t at = *pos;
  if (!in_bounds(at, 46, cd_end) || rd32(buf + at) != 0x02014b50u)
    return mcu_status_errorf("truncated or corrupt central directory (entry %d)", z->count);
  const uint8_t *h = buf + at;
  uint32_t flags = rd16(h + 8), method = rd16(h + 10), crc = rd32(h + 16);
  uint64_t csize = rd32(h + 20), usize = rd32(h + 24), local = rd32(h + 42);
  uint32_t nlen = rd16(h + 28), xlen = rd16(h + 30), clen = rd16(h + 32);
  if (!in_bounds(at + 46, (uint64_t)nlen + xlen + clen, cd_end))
    return mcu_status_errorf("truncated or corrupt central directory (entry %d)", z->count);
  const char *name = (const char *)h + 46;
  if (nlen < 5 || memchr(name, 0, nlen) || memcmp(name + nlen - 4, ".npy", 4))
    return mcu_status_errorf("entry %d: name '%.*s' is not KEY.npy", z->count, (int)(nlen > 200 ? 200 : nlen), name);
  char key[512];
  if (nlen - 4 >= sizeof key) return mcu_status_errorf("entry %d: name longer than %zu bytes", z->count, sizeof key);
  memcpy(key, name, nlen - 4);
  key[nlen - 4] = 0;
  /* ZIP64 extra field: the 64-bit sizes/offset replace the 32-bit fields that read 0xFFFFFFFF, in this order. */
  for (uint64_t e = at + 46 + nlen, xend = e + xlen; e + 4 <= xend;) {
    uint32_t id = rd16(buf + e), len = rd16(buf + e + 2);
    if (e + 4 + len > xend) return mcu_status_errorf("entry '%s.npy': corrupt extra field", key);
    if (id == 1) {
      uint64_t q = e + 4, qend = q + len;
      uint64_t *fields[3] = {&usize, &csize, &local};
      for (int k = 0; k < 3; ++k) {
        if (*fields[k] != 0xFFFFFFFFu) continue;
        if (q + 8 > qend) return mcu_status_errorf("entry '%s.npy': corrupt ZIP64 extra field", key);
        *fields[k] = rd64(buf + q), q += 8;
      }
    }
    e += 4 + len;
  }
  if (flags & 1) return mcu_status_errorf("entry '%s.npy': encrypted entries are not supported", key);
  if (method == 8)
    return mcu_status_errorf("entry '%s.npy' is compressed (deflate): write the weights with np.savez, not "
                             "np.savez_compressed", key);
  if (method != 0) return mcu_status_errorf("entry '%s.npy': compression method %u is not supported", key, method);
  if (csize != usize) return mcu_status_errorf("entry '%s.npy': stored entry with different sizes", key);
  if (!in_bounds(local, 30, size) || rd32(buf + local) != 0x04034b50u)
    return mcu_status_errorf("entry '%s.npy': local header missing (truncated archive?)", key);
  const uint8_t *lh = buf + local;
  uint32_t lnlen = rd16(lh + 26), lxlen = rd16(lh + 28);
  if (rd16(lh + 8) != method || lnlen != nlen || !in_bounds(local + 30, lnlen, size) || memcmp(lh + 30, name, nlen))
    return mcu_status_errorf("entry '%s.npy': local header disagrees with the central directory", key);
  uint64_t data = local + 30 + (uint64_t)lnlen + lxlen;
  if (!in_bounds(data, csize, size)) return mcu_status_errorf("entry '%s.npy': truncated data", key);
  if (crc32_of(buf + data, (size_t)csize) != crc) return mcu_status_errorf("entry '%s.npy': CRC-32 mismatch", key);
  for (int i = 0; i < z->count; ++i)
    if (!strcmp(z->arrays[i].key, key)) return mcu_status_errorf("entry '%s.npy' appears twice", key);
  nas_npy_t a;
  memset(&a, 0, sizeof a);
  mcu_status_t s = parse_npy(key, buf + data, (size_t)csize, &a);
  if (s) return s;
  a.key = malloc(strlen(key) + 1);
  if (!a.key) return mcu_status_errorf("out of memory");
  strcpy(a.key, key);
  z->arrays[z->count++] = a;
  *pos = at + 46 + nlen + xlen + clen;
  return NULL;
}

mcu_status_t nas_npz_parse(const uint8_t *buf, size_t size, nas_npz_t **out) {
  *out = NULL;
  if (size < 22) return mcu_status_errorf("not a ZIP archive (%zu bytes)", size);
  /* The end record: 22 bytes + a comment of up to 65535 bytes that must reach the end of the file exactly. */
  uint64_t eocd = UINT64_MAX;
  for (uint64_t back = 0; back <= 65535 && back + 22 <= size; ++back) {
    uint64_t at = size - 22 - back;
    if (rd32(buf + at) == 0x06054b50u && rd16(buf + at + 20) == back) {
      eocd = at;
      break;
    }
  }
  if (eocd == UINT64_MAX)
    return mcu_status_errorf("not a ZIP archive or truncated (no end-of-central-directory record)");
  const uint8_t *e = buf + eocd;
  uint32_t disk = rd16(e + 4), cd_disk = rd16(e + 6), n_here = rd16(e + 8), n = rd16(e + 10);
  uint64_t cd_size = rd32(e + 12), cd_off = rd32(e + 16);
  if (n == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu)
    return mcu_status_errorf("ZIP64 archives (over 4 GiB or 65535 entries) are not supported");
  if (disk || cd_disk || n_here != n) return mcu_status_errorf("multi-disk ZIP archives are not supported");
  if (!in_bounds(cd_off, cd_size, eocd)) return mcu_status_errorf("truncated archive (central directory out of range)");
  nas_npz_t *z = calloc(1, sizeof *z);
  if (!z || !(z->arrays = calloc(n ? n : 1, sizeof *z->arrays))) {
    free(z);
    return mcu_status_errorf("out of memory");
  }
  uint64_t pos = cd_off, cd_end = cd_off + cd_size;
  for (uint32_t i = 0; i < n; ++i) {
    mcu_status_t s = read_entry(buf, size, cd_end, &pos, z);
    if (s) {
      nas_npz_free(z);
      return s;
    }
  }
  *out = z;
  return NULL;
}

nas_npy_t *nas_npz_find(const nas_npz_t *z, const char *key) {
  for (int i = 0; i < z->count; ++i)
    if (!strcmp(z->arrays[i].key, key)) return &z->arrays[i];
  return NULL;
}

static void shape_text(char *out, size_t cap, int rank, const int64_t *shape) {
  size_t n = (size_t)snprintf(out, cap, "(");
  for (int i = 0; i < rank && n < cap; ++i)
    n += (size_t)snprintf(out + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (n < cap) snprintf(out + n, cap - n, "%s)", rank == 1 ? "," : "");
}

mcu_status_t nas_npz_get_f32(const nas_npz_t *z, const char *key, int rank, const int64_t *shape, float *out) {
  nas_npy_t *a = nas_npz_find(z, key);
  if (!a) return mcu_status_errorf("missing key '%s'", key);
  a->used = 1;
  if (strcmp(a->descr, "<f4"))
    return mcu_status_errorf("key '%s': dtype '%s', expected '<f4' (save float32: .float().numpy())", key, a->descr);
  if (a->fortran_order) return mcu_status_errorf("key '%s': Fortran order, expected C order", key);
  int same = a->rank == rank;
  for (int i = 0; same && i < rank; ++i) same = a->shape[i] == shape[i];
  if (!same) {
    char got[160], want[160];
    shape_text(got, sizeof got, a->rank, a->shape);
    shape_text(want, sizeof want, rank, shape);
    return mcu_status_errorf("key '%s': shape %s, the architecture needs %s", key, got, want);
  }
  memcpy(out, a->data, a->nbytes);
  for (int64_t i = 0; i < a->count; ++i)
    if (!isfinite(out[i])) return mcu_status_errorf("key '%s': element %lld is not finite", key, (long long)i);
  return NULL;
}
