/* npz.h: a reader of NumPy .npz archives (np.savez: a ZIP of stored .npy entries), for untrusted input. */
#ifndef MCUNET_NAS_NPZ_H
#define MCUNET_NAS_NPZ_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NAS_NPY_MAX_RANK 8

/* One array of the archive. `key` is the entry name without ".npy" (np.savez's keyword). `descr` is the header's
 * dtype string ("<f4" for little-endian float32), `data` points into the archive's buffer (not aligned; read it with
 * memcpy or nas_npz_get_f32), `nbytes` = product(shape) * itemsize, checked against the entry's size. */
typedef struct nas_npy {
  char *key;
  char descr[16];
  int fortran_order;
  int rank;                         /* 0..NAS_NPY_MAX_RANK (0: a scalar) */
  int64_t shape[NAS_NPY_MAX_RANK];  /* each >= 0 */
  int64_t count;                    /* product of shape */
  const uint8_t *data;
  size_t nbytes;
  int used;                         /* set by the caller (nas_npz_get_f32 sets it) */
} nas_npy_t;

typedef struct nas_npz {
  nas_npy_t *arrays;
  int count;
} nas_npz_t;

/* Parses an archive held in memory: the end-of-central-directory record, every central-directory entry, its local
 * header, CRC-32 and .npy header. Only stored (method 0) entries are accepted; a deflated entry (np.savez_compressed)
 * is refused naming the entry. Every offset and size is bounds- and overflow-checked; the buffer must outlive the
 * result. Errors are one line naming the entry and the reason. *out is freed with nas_npz_free. */
mcu_status_t nas_npz_parse(const uint8_t *buf, size_t size, nas_npz_t **out);
void nas_npz_free(nas_npz_t *z);
/* The array named `key`, or NULL. */
nas_npy_t *nas_npz_find(const nas_npz_t *z, const char *key);
/* The float32 array `key` with exactly the shape `shape[rank]` copied into `out` (count floats); marks it used.
 * Errors: missing key, dtype other than '<f4', Fortran order, wrong shape, a non-finite value. */
mcu_status_t nas_npz_get_f32(const nas_npz_t *z, const char *key, int rank, const int64_t *shape, float *out);

#ifdef __cplusplus
}
#endif
#endif
