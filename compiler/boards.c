/* boards.c: the table of known boards and the check that a compiled model fits one. */
#include "boards.h"

#include <stdio.h>
#include <string.h>

/* Figures from ST's datasheets (docs/memory.md gives the reasoning for each SRAM figure):
 *  - STM32F746: 320 KB of RAM at 0x20000000, one contiguous map (64 KB DTCM + 240 KB SRAM1 + 16 KB SRAM2);
 *    1 MB flash.
 *  - STM32H743: 1 MB of RAM in several domains; the largest contiguous region is the 512 KB AXI SRAM
 *    (0x24000000), and the arena is one block, so 512 KB; 2 MB flash.
 *  - STM32F412: 256 KB SRAM, 1 MB flash; a Cortex-M4F core.
 * Adding a board is one line here. */
static const mcu_board_t boards[] = {
    {"stm32f746", "cortex-m7", 320u * 1024u, 1024u * 1024u},
    {"stm32h743", "cortex-m7", 512u * 1024u, 2048u * 1024u},
    {"stm32f412", "cortex-m4", 256u * 1024u, 1024u * 1024u},
};

int mcu_board_count(void) { return (int)(sizeof boards / sizeof boards[0]); }

const mcu_board_t *mcu_board_at(int i) { return i >= 0 && i < mcu_board_count() ? &boards[i] : NULL; }

const mcu_board_t *mcu_board_find(const char *name) {
  for (int i = 0; name && i < mcu_board_count(); ++i)
    if (!strcmp(boards[i].name, name)) return &boards[i];
  return NULL;
}

void mcu_board_names(char *buf, size_t cap) {
  if (!cap) return;
  buf[0] = 0;
  size_t used = 0;
  for (int i = 0; i < mcu_board_count(); ++i) {
    int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", boards[i].name);
    if (w < 0 || (size_t)w >= cap - used) return; /* truncated, still terminated */
    used += (size_t)w;
  }
}

mcu_status_t mcu_board_check_fit(const mcu_board_t *b, const mcu_board_need_t *need) {
  if (need->arena_bytes > b->sram_bytes) {
    if (need->peak_layer >= 0)
      return mcu_status_errorf("model needs %llu bytes of SRAM, board %s has %llu: %llu bytes short; the peak is at "
                               "layer '%s' (index %d)",
                               (unsigned long long)need->arena_bytes, b->name, (unsigned long long)b->sram_bytes,
                               (unsigned long long)(need->arena_bytes - b->sram_bytes),
                               need->peak_name ? need->peak_name : "", need->peak_layer);
    return mcu_status_errorf("model needs %llu bytes of SRAM, board %s has %llu: %llu bytes short",
                             (unsigned long long)need->arena_bytes, b->name, (unsigned long long)b->sram_bytes,
                             (unsigned long long)(need->arena_bytes - b->sram_bytes));
  }
  uint64_t flash = need->weights_bytes + need->code_bytes;
  if (flash > b->flash_bytes)
    return mcu_status_errorf("model needs %llu bytes of flash (weights and tables %llu + code %llu), board %s has "
                             "%llu: %llu "
                             "bytes short",
                             (unsigned long long)flash, (unsigned long long)need->weights_bytes,
                             (unsigned long long)need->code_bytes, b->name, (unsigned long long)b->flash_bytes,
                             (unsigned long long)(flash - b->flash_bytes));
  return NULL;
}
