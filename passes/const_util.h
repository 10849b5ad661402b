/* const_util.h: mcu.constant helpers shared by the folding passes (read, create, erase when dead). */
#ifndef MCUNET_PASSES_CONST_UTIL_H
#define MCUNET_PASSES_CONST_UTIL_H

#include <mlir-c/IR.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The tensor type a constant's `value` attribute has for a result of `tensor_type`: same shape, the storage
 * element type (i8 / ui8 for 8-bit quantized types, i32 / f32 / plain integers as they are). Null type when the
 * element type has no such storage (other quantized widths are kept as their signless integer). */
MlirType mcu_const_storage_type(MlirType tensor_type);

/* Whether v is the result of an mcu.constant with a dense `value`. */
int mcu_const_is(MlirValue v);

/* Copies the bytes of constant v (splats expanded) into out_data, which holds `bytes` bytes; returns 1 when v is
 * a dense constant of exactly that many bytes, 0 otherwise. */
int mcu_const_read(MlirValue v, void *out_data, int64_t bytes);

/* A new mcu.constant of `result_type` holding `data` (raw little-endian storage, mcu_type_bytes(result_type)
 * bytes), inserted before `before`; `name` (a string attribute or null) becomes its mcu.name. */
MlirValue mcu_const_insert(MlirOperation before, MlirType result_type, const void *data, MlirAttribute name);

/* Erases the op that defines v when none of its results has a use left (block arguments are left alone). */
void mcu_erase_if_dead(MlirValue v);

#ifdef __cplusplus
}
#endif
#endif
