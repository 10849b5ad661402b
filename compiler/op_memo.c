/* op_memo.c: a memo of mcu_lower_op_kernel's answers, keyed by word sequences. */
#include "op_memo.h"

#include <stdlib.h>
#include <string.h>

/* Algorithm: open addressing (linear probing) over a power-of-two slot array; each slot holds a 64-bit hash and
 * offsets into two growing arrays, one of key words and one of answer bytes. A lookup hashes the key, probes
 * slots with the same hash and compares the stored key word for word, so a hash collision can never return
 * another key's answer. Why: the passes ask about each op five or more times per compile and lowering an op
 * alone (its constants copied, its kernel prepared) costs far more than hashing twenty words. The same table
 * (a nested memo whose answers are pointers) keeps byte buffers, the constants' expanded data, which the memo owns
 * until the clear. Weakness: memory only grows until mcu_op_memo_clear (the compiler clears it at a budget); a
 * compile of a large network holds one entry per distinct question and one copy of every constant some question
 * read (the weights, once more). */

typedef struct {
  uint64_t hash;
  size_t key_off, key_len, val_off; /* key words at keys[key_off..+key_len), answer at vals[val_off..] */
  int used;
} slot_t;

struct mcu_op_memo {
  size_t value_size;
  slot_t *slots;
  size_t cap, count; /* cap is 0 or a power of two; count <= cap / 2 */
  uintptr_t *keys;
  size_t keys_len, keys_cap;
  unsigned char *vals;
  size_t vals_len, vals_cap;
  uint64_t hits, misses;
  uint64_t generation; /* process-unique, renewed by every clear (mcu_op_memo_generation) */
  mcu_op_memo_t *bytes; /* key -> uint8_t * (mcu_op_memo_get_bytes), made on first use */
  uint8_t **owned;      /* the buffers stored there, freed by clear */
  size_t owned_len, owned_cap;
  size_t owned_bytes; /* their sizes, summed */
  mcu_op_memo_t *objects; /* key -> void * (mcu_op_memo_get_object), made on first use */
  struct owned_object {
    void *object;
    void (*destroy)(void *);
  } *owned_objects; /* the objects stored there, destroyed by clear */
  size_t objects_len, objects_cap;
};

static _Thread_local mcu_op_memo_t *current;
static _Atomic uint64_t generations; /* the last generation handed out */

mcu_op_memo_t *mcu_op_memo_install(mcu_op_memo_t *memo) {
  mcu_op_memo_t *old = current;
  current = memo;
  return old;
}

mcu_op_memo_t *mcu_op_memo_current(void) { return current; }

mcu_op_memo_t *mcu_op_memo_create(size_t value_size) {
  if (value_size == 0 || value_size > 256) return NULL;
  mcu_op_memo_t *m = calloc(1, sizeof *m);
  if (m) m->value_size = value_size, m->generation = ++generations;
  return m;
}

/* Frees the byte buffers stored with the answers. */
static void free_owned(mcu_op_memo_t *m) {
  for (size_t i = 0; i < m->objects_len; ++i) m->owned_objects[i].destroy(m->owned_objects[i].object);
  m->objects_len = 0;
  if (m->objects) mcu_op_memo_clear(m->objects);
  for (size_t i = 0; i < m->owned_len; ++i) free(m->owned[i]);
  m->owned_len = 0;
  m->owned_bytes = 0;
  if (m->bytes) mcu_op_memo_clear(m->bytes);
}

void mcu_op_memo_destroy(mcu_op_memo_t *owned_memo) {
  if (!owned_memo) return;
  if (current == owned_memo) current = NULL;
  free_owned(owned_memo);
  free(owned_memo->owned);
  mcu_op_memo_destroy(owned_memo->bytes);
  free(owned_memo->owned_objects);
  mcu_op_memo_destroy(owned_memo->objects);
  free(owned_memo->slots);
  free(owned_memo->keys);
  free(owned_memo->vals);
  free(owned_memo);
}

void mcu_op_memo_clear(mcu_op_memo_t *memo) {
  free_owned(memo);
  if (memo->slots) memset(memo->slots, 0, sizeof *memo->slots * memo->cap);
  memo->count = memo->keys_len = memo->vals_len = 0;
  memo->hits = memo->misses = 0;
  memo->generation = ++generations;
}

void mcu_op_memo_stats(const mcu_op_memo_t *memo, uint64_t *out_hits, uint64_t *out_misses) {
  *out_hits = memo->hits;
  *out_misses = memo->misses;
}

/* splitmix64's finaliser. */
static inline uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* 64-bit hash of the words: four independent lanes (word i goes to lane i % 4: xor, one multiply, a rotation),
 * then splitmix64's finaliser over the lanes and the length. Four lanes and one multiply per word because a serial
 * chain of two multiplies per word made the hash a few percent of a cost query (keys are 50 to 150 words and every
 * question hashes one or two); the keys are compared in full, so the hash only has to spread them. */
static uint64_t hash_key(const uintptr_t *key, size_t n) {
  uint64_t h[4] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0x27d4eb2f165667c5ull};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) {
      const uint64_t x = (h[l] ^ (uint64_t)key[i + l]) * 0x9fb21c651e98df25ull;
      h[l] = (x << 29) | (x >> 35);
    }
  for (int l = 0; i < n; ++i, ++l) {
    const uint64_t x = (h[l] ^ (uint64_t)key[i]) * 0x9fb21c651e98df25ull;
    h[l] = (x << 29) | (x >> 35);
  }
  return mix64(h[0] ^ mix64(h[1] ^ mix64(h[2] ^ mix64(h[3] ^ (uint64_t)n))));
}

/* The slot holding key, or the empty slot where it would go. */
static slot_t *find_slot(const mcu_op_memo_t *m, const uintptr_t *key, size_t n, uint64_t h) {
  for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    slot_t *s = &m->slots[i];
    if (!s->used) return s;
    if (s->hash == h && s->key_len == n && !memcmp(m->keys + s->key_off, key, n * sizeof *key)) return s;
  }
}

int mcu_op_memo_get(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, void *out_value) {
  if (memo->cap) {
    const slot_t *s = find_slot(memo, key, n, hash_key(key, n));
    if (s->used) {
      memcpy(out_value, memo->vals + s->val_off, memo->value_size);
      memo->hits++;
      return 1;
    }
  }
  memo->misses++;
  return 0;
}

/* Doubles the slot array (or makes the first one) and reinserts every entry. */
static int grow_slots(mcu_op_memo_t *m) {
  size_t cap = m->cap ? 2 * m->cap : 64;
  if (cap > SIZE_MAX / sizeof(slot_t)) return -1;
  slot_t *slots = calloc(cap, sizeof *slots);
  if (!slots) return -1;
  for (size_t i = 0; i < m->cap; ++i) {
    if (!m->slots[i].used) continue;
    size_t j = (size_t)m->slots[i].hash & (cap - 1);
    while (slots[j].used) j = (j + 1) & (cap - 1);
    slots[j] = m->slots[i];
  }
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return 0;
}

/* Makes room for `more` elements of `elem` bytes in a growing array; -1 on overflow or out of memory. */
static int reserve(void **data, size_t *cap, size_t len, size_t more, size_t elem) {
  if (more > SIZE_MAX / elem - len) return -1;
  if (len + more <= *cap) return 0;
  size_t c = *cap ? *cap : 256;
  while (c < len + more) {
    if (c > SIZE_MAX / 2 / elem) return -1;
    c *= 2;
  }
  void *d = realloc(*data, c * elem);
  if (!d) return -1;
  *data = d;
  *cap = c;
  return 0;
}

int mcu_op_memo_put(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, const void *value) {
  if ((memo->count + 1) * 2 > memo->cap && grow_slots(memo)) return -1;
  const uint64_t h = hash_key(key, n);
  slot_t *s = find_slot(memo, key, n, h);
  if (s->used) {
    memcpy(memo->vals + s->val_off, value, memo->value_size);
    return 0;
  }
  if (reserve((void **)&memo->keys, &memo->keys_cap, memo->keys_len, n, sizeof *memo->keys) ||
      reserve((void **)&memo->vals, &memo->vals_cap, memo->vals_len, memo->value_size, 1))
    return -1;
  if (n) memcpy(memo->keys + memo->keys_len, key, n * sizeof *key);
  memcpy(memo->vals + memo->vals_len, value, memo->value_size);
  *s = (slot_t){h, memo->keys_len, n, memo->vals_len, 1};
  memo->keys_len += n;
  memo->vals_len += memo->value_size;
  memo->count++;
  return 0;
}

const uint8_t *mcu_op_memo_get_bytes(mcu_op_memo_t *memo, const uintptr_t *key, size_t n) {
  uint8_t *b = NULL;
  if (memo->bytes && mcu_op_memo_get(memo->bytes, key, n, &b)) return b;
  return NULL;
}

int mcu_op_memo_put_bytes(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, uint8_t *owned_bytes, size_t size) {
  if (!memo->bytes && !(memo->bytes = mcu_op_memo_create(sizeof owned_bytes))) return -1;
  if (reserve((void **)&memo->owned, &memo->owned_cap, memo->owned_len, 1, sizeof *memo->owned) ||
      mcu_op_memo_put(memo->bytes, key, n, &owned_bytes))
    return -1;
  memo->owned[memo->owned_len++] = owned_bytes;
  memo->owned_bytes += size;
  return 0;
}

void *mcu_op_memo_get_object(mcu_op_memo_t *memo, const uintptr_t *key, size_t n) {
  void *o = NULL;
  if (memo->objects && mcu_op_memo_get(memo->objects, key, n, &o)) return o;
  return NULL;
}

int mcu_op_memo_put_object(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, void *owned_object,
                           void (*destroy)(void *)) {
  if (!memo->objects && !(memo->objects = mcu_op_memo_create(sizeof owned_object))) return -1;
  if (reserve((void **)&memo->owned_objects, &memo->objects_cap, memo->objects_len, 1, sizeof *memo->owned_objects) ||
      mcu_op_memo_put(memo->objects, key, n, &owned_object))
    return -1;
  memo->owned_objects[memo->objects_len++] = (struct owned_object){owned_object, destroy};
  return 0;
}

void mcu_op_memo_size(const mcu_op_memo_t *memo, size_t *out_entries, size_t *out_bytes) {
  *out_entries = memo->count + memo->owned_len + memo->objects_len;
  *out_bytes = memo->owned_bytes;
}

void mcu_op_memo_object_stats(const mcu_op_memo_t *memo, uint64_t *out_hits, uint64_t *out_misses) {
  *out_hits = memo->objects ? memo->objects->hits : 0;
  *out_misses = memo->objects ? memo->objects->misses : 0;
}

uint64_t mcu_op_memo_generation(const mcu_op_memo_t *memo) { return memo->generation; }
