/* npz_writer.h: a minimal .npy / .zip writer for the unit tests (the layout np.savez writes), static functions. */
#ifndef MCUNET_TEST_UNIT_NPZ_WRITER_H
#define MCUNET_TEST_UNIT_NPZ_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint8_t data[1 << 17];
  size_t n;
} buf_t;

static void put(buf_t *b, const void *p, size_t n) {
  if (n > sizeof b->data - b->n) abort(); /* a test archive larger than the buffer */
  memcpy(b->data + b->n, p, n);
  b->n += n;
}
static void put16(buf_t *b, uint32_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put(b, x, 2);
}
static void put32(buf_t *b, uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

static uint32_t crc32_ref(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

/* A version 1.0 .npy: the dict padded with spaces to a multiple of 64 bytes (header included), then the data. */
static void npy(buf_t *b, const char *descr, const char *order, const char *shape, const void *data, size_t n) {
  char dict[256];
  int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, shape);
  size_t total = 10 + (size_t)len + 1, pad = (64 - total % 64) % 64;
  const uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  put(b, magic, 8);
  put16(b, (uint32_t)((size_t)len + pad + 1));
  put(b, dict, (size_t)len);
  for (size_t i = 0; i < pad; ++i) put(b, " ", 1);
  put(b, "\n", 1);
  put(b, data, n);
}

typedef struct {
  const char *name;
  buf_t *body;
  int method;    /* 0 stored, 8 "deflated" (the bytes are not really compressed: the reader must refuse first) */
  int bad_crc;
} entry_t;

/* A ZIP as np.savez writes it, each local header with a ZIP64 extra field (force_zip64), here with 0xFFFFFFFF
 * sizes as a streaming writer leaves them (the harder case for the reader), the central directory with the real
 * 32-bit sizes. */
static void zip(buf_t *z, const entry_t *e, int n) {
  uint32_t offs[64];
  z->n = 0;
  for (int i = 0; i < n; ++i) {
    offs[i] = (uint32_t)z->n;
    put32(z, 0x04034b50u), put16(z, 45), put16(z, 0), put16(z, (uint32_t)e[i].method), put16(z, 0), put16(z, 0x21);
    put32(z, crc32_ref(e[i].body->data, e[i].body->n)), put32(z, 0xFFFFFFFFu), put32(z, 0xFFFFFFFFu);
    put16(z, (uint32_t)strlen(e[i].name)), put16(z, 20);
    put(z, e[i].name, strlen(e[i].name));
    put16(z, 1), put16(z, 16), put32(z, (uint32_t)e[i].body->n), put32(z, 0), put32(z, (uint32_t)e[i].body->n),
        put32(z, 0);
    put(z, e[i].body->data, e[i].body->n);
  }
  uint32_t cd = (uint32_t)z->n;
  for (int i = 0; i < n; ++i) {
    put32(z, 0x02014b50u), put16(z, 45), put16(z, 45), put16(z, 0), put16(z, (uint32_t)e[i].method), put16(z, 0),
        put16(z, 0x21);
    put32(z, crc32_ref(e[i].body->data, e[i].body->n) ^ (e[i].bad_crc ? 1u : 0u));
    put32(z, (uint32_t)e[i].body->n), put32(z, (uint32_t)e[i].body->n);
    put16(z, (uint32_t)strlen(e[i].name)), put16(z, 0), put16(z, 0), put16(z, 0), put16(z, 0), put32(z, 0);
    put32(z, offs[i]);
    put(z, e[i].name, strlen(e[i].name));
  }
  uint32_t cd_size = (uint32_t)z->n - cd;
  put32(z, 0x06054b50u), put16(z, 0), put16(z, 0), put16(z, (uint32_t)n), put16(z, (uint32_t)n);
  put32(z, cd_size), put32(z, cd), put16(z, 0);
}

#endif
