/* boards.h: the microcontroller boards mcunetc knows (--board): core, SRAM and flash, as one data table. */
#ifndef MCUNET_COMPILER_BOARDS_H
#define MCUNET_COMPILER_BOARDS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mcu_board {
  const char *name;     /* "stm32f746" */
  const char *core;     /* "cortex-m7" / "cortex-m4": compared with the target's name */
  uint64_t sram_bytes;  /* the largest contiguous RAM region an arena can take (docs/memory.md) */
  uint64_t flash_bytes; /* on-chip flash for weights and code */
} mcu_board_t;

/* The board called `name` (exact, lower case), or NULL. */
const mcu_board_t *mcu_board_find(const char *name);
/* The number of known boards and board i (0 <= i < count), for listings. */
int mcu_board_count(void);
const mcu_board_t *mcu_board_at(int i);
/* "stm32f746, stm32h743, ..." into buf (for error messages); buf is always terminated. */
void mcu_board_names(char *buf, size_t cap);

/* What a compiled model needs of a board: arena bytes against SRAM, weights + tables + code against flash. */
typedef struct mcu_board_need {
  uint64_t arena_bytes;
  uint64_t weights_bytes; /* the weights blob and the kernels' constant tables (all .rodata) */
  uint64_t code_bytes;
  int peak_layer;          /* the layer where live bytes are the most, or -1 */
  const char *peak_name;   /* its name ("" allowed) */
} mcu_board_need_t;

/* NULL when the model fits; otherwise one line: "model needs N bytes of SRAM, board B has M: K bytes short; the
 * peak is at layer 'NAME' (index I)" (or the same for flash). */
mcu_status_t mcu_board_check_fit(const mcu_board_t *b, const mcu_board_need_t *need);

#ifdef __cplusplus
}
#endif
#endif
