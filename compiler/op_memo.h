/* op_memo.h: a memo of mcu_lower_op_kernel's answers (the passes ask about the same op repeatedly). */
#ifndef MCUNET_COMPILER_OP_MEMO_H
#define MCUNET_COMPILER_OP_MEMO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A table from a key (a sequence of machine words, see compiler/lower.c's op_key: the op's name, attributes,
 * operand and result types and constant operands, all MLIR-uniqued pointers, so equal words mean equal
 * content) to a fixed-size answer of `value_size` bytes. Keys are compared word for word, never by hash
 * alone. */
typedef struct mcu_op_memo mcu_op_memo_t;

/* Creates an empty memo for answers of value_size bytes (1..256); NULL when out of memory. */
mcu_op_memo_t *mcu_op_memo_create(size_t value_size);
void mcu_op_memo_destroy(mcu_op_memo_t *owned_memo);
/* Forgets every entry (keeps the allocations for the next compile). */
void mcu_op_memo_clear(mcu_op_memo_t *memo);
/* Copies the answer stored for key[0..n) into out_value and returns 1, or returns 0 when absent. */
int mcu_op_memo_get(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, void *out_value);
/* Stores value for key[0..n) (replacing an equal key's answer); returns 0 on success, -1 when out of memory (the
 * memo is unchanged and still usable). */
int mcu_op_memo_put(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, const void *value);
/* Byte buffers kept with the answers until the next clear (compiler/lower.c: a constant operand's expanded data,
 * keyed by its uniqued value attribute, which each single-op lowering of an op reading it would copy again).
 * get: the buffer stored for key[0..n), or NULL. put: stores owned_bytes (from malloc/calloc) for key[0..n), which
 * must be absent; 0 when the memo now owns it, -1 when out of memory (the caller still owns it). */
const uint8_t *mcu_op_memo_get_bytes(mcu_op_memo_t *memo, const uintptr_t *key, size_t n);
int mcu_op_memo_put_bytes(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, uint8_t *owned_bytes, size_t size);
/* Objects kept with the answers until the next clear, which calls destroy(owned_object) (compiler/lower.c: an
 * op's single-op lowering, reused by the questions that differ only in the attributes it re-reads). get: the
 * object stored for key[0..n), or NULL (the memo still owns it). put: key[0..n) must be absent; 0 when the memo
 * now owns the object, -1 when out of memory (the caller still owns it). */
void *mcu_op_memo_get_object(mcu_op_memo_t *memo, const uintptr_t *key, size_t n);
int mcu_op_memo_put_object(mcu_op_memo_t *memo, const uintptr_t *key, size_t n, void *owned_object,
                           void (*destroy)(void *));
/* A number no other memo and no other period between two clears of this one has had (from a process-wide counter):
 * caches of facts valid as long as the memo's entries (compiler/lower.c: the MLIR identifiers of attribute names,
 * valid while the context lives) key on it. */
uint64_t mcu_op_memo_generation(const mcu_op_memo_t *memo);
/* What the memo holds: out_entries the answers, byte buffers and objects; out_bytes the byte buffers' sizes (the
 * compiler clears a memo kept across compiles when either outgrows its budget, compiler/mcunet.c). */
void mcu_op_memo_size(const mcu_op_memo_t *memo, size_t *out_entries, size_t *out_bytes);
/* Lookups and misses since the last clear (tests and profiling). */
void mcu_op_memo_stats(const mcu_op_memo_t *memo, uint64_t *out_hits, uint64_t *out_misses);
/* The same for the objects (mcu_op_memo_get_object). */
void mcu_op_memo_object_stats(const mcu_op_memo_t *memo, uint64_t *out_hits, uint64_t *out_misses);

/* The memo mcu_lower_op_kernel uses on this thread (NULL: none, every question is answered afresh). The
 * compiler installs its context's memo around the pass pipeline and keeps it for the next compile in that context
 * (compiler/mcunet.c, run_pipeline);
 * returns the previously installed memo so calls nest. */
mcu_op_memo_t *mcu_op_memo_install(mcu_op_memo_t *memo);
mcu_op_memo_t *mcu_op_memo_current(void);

#ifdef __cplusplus
}
#endif
#endif
