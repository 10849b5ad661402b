/* npz_test.c: the .npz reader on archives built by a tiny writer here (the layout np.savez writes: stored entries,
 * ZIP64 extra fields in the local headers), and every malformed case with its exact message. */
#include "npz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_test.h"

#include "npz_writer.h"

static buf_t bodies[4], archive;

/* The parse error message of `archive` (empty string when it parses). */
static const char *parse_error(void) {
  static char msg[512];
  nas_npz_t *z = NULL;
  mcu_status_t s = nas_npz_parse(archive.data, archive.n, &z);
  snprintf(msg, sizeof msg, "%s", s ? mcu_status_message(s) : "");
  mcu_status_free(s);
  nas_npz_free(z);
  return msg;
}

static const float vals[6] = {1.5f, -2, 3, 0.25f, 5, -6};

static void test_good(void) {
  bodies[0].n = bodies[1].n = 0;
  npy(&bodies[0], "<f4", "False", "(2, 3)", vals, sizeof vals);
  int64_t one = 7;
  npy(&bodies[1], "<i8", "False", "()", &one, 8);
  entry_t e[2] = {{"a.npy", &bodies[0], 0, 0}, {"bn.num_batches_tracked.npy", &bodies[1], 0, 0}};
  zip(&archive, e, 2);
  nas_npz_t *z = NULL;
  mcu_status_t s = nas_npz_parse(archive.data, archive.n, &z);
  CHECK(!s && z && z->count == 2, "a valid archive parses: %s", mcu_status_message(s));
  if (!z) return;
  nas_npy_t *a = nas_npz_find(z, "a");
  CHECK(a && a->rank == 2 && a->shape[0] == 2 && a->shape[1] == 3 && !strcmp(a->descr, "<f4"), "a's header");
  nas_npy_t *t = nas_npz_find(z, "bn.num_batches_tracked");
  CHECK(t && t->rank == 0 && t->count == 1 && !strcmp(t->descr, "<i8"), "a scalar int64");
  float out[6];
  int64_t shape[2] = {2, 3};
  s = nas_npz_get_f32(z, "a", 2, shape, out);
  CHECK(!s && !memcmp(out, vals, sizeof vals), "values read back: %s", mcu_status_message(s));
  int64_t wrong[2] = {3, 2};
  s = nas_npz_get_f32(z, "a", 2, wrong, out);
  CHECK(s && !strcmp(mcu_status_message(s), "key 'a': shape (2, 3), the architecture needs (3, 2)"), "wrong shape: %s",
        mcu_status_message(s));
  mcu_status_free(s);
  int64_t flat[1] = {6};
  s = nas_npz_get_f32(z, "a", 1, flat, out);
  CHECK(s && !strcmp(mcu_status_message(s), "key 'a': shape (2, 3), the architecture needs (6,)"), "rank: %s",
        mcu_status_message(s));
  mcu_status_free(s);
  s = nas_npz_get_f32(z, "b", 2, shape, out);
  CHECK(s && !strcmp(mcu_status_message(s), "missing key 'b'"), "missing key: %s", mcu_status_message(s));
  mcu_status_free(s);
  s = nas_npz_get_f32(z, "bn.num_batches_tracked", 0, NULL, out);
  CHECK(s && !strcmp(mcu_status_message(s),
                     "key 'bn.num_batches_tracked': dtype '<i8', expected '<f4' (save float32: .float().numpy())"),
        "bad dtype: %s", mcu_status_message(s));
  mcu_status_free(s);
  nas_npz_free(z);

  /* every truncation of the valid archive is refused without reading outside it (ASan builds check the latter) */
  size_t full = archive.n;
  int all_refused = 1;
  for (size_t cut = 0; cut < full; ++cut) {
    archive.n = cut;
    if (!parse_error()[0]) all_refused = 0;
  }
  CHECK(all_refused, "every truncated archive is refused");
  archive.n = full - 1;
  CHECK(!strcmp(parse_error(), "not a ZIP archive or truncated (no end-of-central-directory record)"),
        "truncated by one byte: %s", parse_error());
  archive.n = full;
  /* single-byte corruptions anywhere: an error or a parse, never a crash */
  for (size_t i = 0; i < full; ++i) {
    uint8_t keep = archive.data[i];
    archive.data[i] ^= 0xA5;
    (void)parse_error();
    archive.data[i] = keep;
  }
  CHECK(!parse_error()[0], "the archive is intact after the corruption sweep");
}

static void test_malformed(void) {
  bodies[0].n = 0;
  npy(&bodies[0], "<f4", "False", "(2, 3)", vals, sizeof vals);
  entry_t e = {"w.npy", &bodies[0], 8, 0};
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(),
                "entry 'w.npy' is compressed (deflate): write the weights with np.savez, not np.savez_compressed"),
        "deflated: %s", parse_error());
  e.method = 0, e.bad_crc = 1;
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 'w.npy': CRC-32 mismatch"), "crc: %s", parse_error());
  e.bad_crc = 0, e.name = "w.txt";
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 0: name 'w.txt' is not KEY.npy"), "name: %s", parse_error());
  e.name = "w.npy";
  bodies[0].n = 0;
  npy(&bodies[0], "<f4", "False", "(2, 3)", vals, 20);
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 'w.npy': 20 data bytes, the header's shape and dtype need 24"), "size: %s",
        parse_error());
  bodies[0].n = 0;
  npy(&bodies[0], "|O", "False", "(1,)", vals, 8);
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 'w.npy': unsupported dtype '|O'"), "object dtype: %s", parse_error());
  bodies[0].n = 0;
  npy(&bodies[0], "<", "False", "(1,)", vals, 4);
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 'w.npy': unsupported dtype '<'"), "short dtype: %s", parse_error());
  bodies[0].n = 0;
  npy(&bodies[0], "<f4", "False", "(99999999999, 99999999999, 99999999999)", vals, 8);
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 'w.npy': shape too large"), "shape overflow: %s", parse_error());
  bodies[0].n = 0;
  npy(&bodies[0], "<f4", "Maybe", "(2, 3)", vals, sizeof vals);
  zip(&archive, &e, 1);
  CHECK(!strcmp(parse_error(), "entry 'w.npy': malformed 'fortran_order' in the .npy header"), "bool: %s",
        parse_error());
  bodies[0].n = 0;
  npy(&bodies[0], "<f4", "True", "(2, 3)", vals, sizeof vals);
  zip(&archive, &e, 1);
  nas_npz_t *z = NULL;
  mcu_status_t s = nas_npz_parse(archive.data, archive.n, &z);
  float out[6];
  int64_t shape[2] = {2, 3};
  if (!s) s = nas_npz_get_f32(z, "w", 2, shape, out);
  CHECK(s && !strcmp(mcu_status_message(s), "key 'w': Fortran order, expected C order"), "fortran: %s",
        mcu_status_message(s));
  mcu_status_free(s);
  nas_npz_free(z);
  bodies[0].n = 0;
  float inf[6] = {1, 2, 3, 1e30f * 1e30f, 5, 6};
  npy(&bodies[0], "<f4", "False", "(2, 3)", inf, sizeof inf);
  zip(&archive, &e, 1);
  s = nas_npz_parse(archive.data, archive.n, &z);
  if (!s) s = nas_npz_get_f32(z, "w", 2, shape, out);
  CHECK(s && !strcmp(mcu_status_message(s), "key 'w': element 3 is not finite"), "inf: %s", mcu_status_message(s));
  mcu_status_free(s);
  nas_npz_free(z);
  entry_t two[2] = {{"w.npy", &bodies[0], 0, 0}, {"w.npy", &bodies[0], 0, 0}};
  zip(&archive, two, 2);
  CHECK(!strcmp(parse_error(), "entry 'w.npy' appears twice"), "duplicate: %s", parse_error());
  memset(archive.data, 0, 100);
  archive.n = 100;
  CHECK(!strcmp(parse_error(), "not a ZIP archive or truncated (no end-of-central-directory record)"), "zeros: %s",
        parse_error());
}

int main(void) {
  test_good();
  test_malformed();
  return mcu_test_finish();
}
