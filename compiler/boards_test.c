/* boards_test.c: the board table's lookups and the fit check's messages. */
#include "boards.h"

#include <stdio.h>
#include <string.h>

#include "mcu_test.h"

static void test_lookup(void) {
  const mcu_board_t *b = mcu_board_find("stm32f746");
  CHECK(b && !strcmp(b->core, "cortex-m7") && b->sram_bytes == 327680 && b->flash_bytes == 1048576, "stm32f746");
  b = mcu_board_find("stm32h743");
  CHECK(b && !strcmp(b->core, "cortex-m7") && b->sram_bytes == 524288 && b->flash_bytes == 2097152, "stm32h743");
  b = mcu_board_find("stm32f412");
  CHECK(b && !strcmp(b->core, "cortex-m4") && b->sram_bytes == 262144 && b->flash_bytes == 1048576, "stm32f412");
  CHECK(!mcu_board_find("STM32F746") && !mcu_board_find("stm32") && !mcu_board_find("") && !mcu_board_find(NULL),
        "only exact names match");
  CHECK(mcu_board_count() >= 3 && mcu_board_at(0) && !mcu_board_at(mcu_board_count()) && !mcu_board_at(-1),
        "indexing");
  for (int i = 0; i < mcu_board_count(); ++i) {
    const mcu_board_t *x = mcu_board_at(i);
    CHECK(mcu_board_find(x->name) == x, "board %s is found by name", x->name);
    CHECK(x->sram_bytes > 0 && x->flash_bytes > 0, "board %s has memory", x->name);
  }
  char names[256], tiny[12];
  mcu_board_names(names, sizeof names);
  CHECK(!strcmp(names, "stm32f746, stm32h743, stm32f412"), "names: %s", names);
  mcu_board_names(tiny, sizeof tiny);
  CHECK(strlen(tiny) < sizeof tiny, "truncated names stay terminated");
}

static void test_fit(void) {
  const mcu_board_t *b = mcu_board_find("stm32f746");
  mcu_board_need_t need = {327680, 1000, 2000, 3, "conv3"};
  mcu_status_t s = mcu_board_check_fit(b, &need);
  CHECK(!s, "an arena of exactly the SRAM size fits");
  mcu_status_free(s);
  need.arena_bytes = 409600;
  s = mcu_board_check_fit(b, &need);
  CHECK(s && !strcmp(mcu_status_message(s), "model needs 409600 bytes of SRAM, board stm32f746 has 327680: 81920 "
                                            "bytes short; the peak is at layer 'conv3' (index 3)"),
        "SRAM message: %s", s ? mcu_status_message(s) : "(fits)");
  mcu_status_free(s);
  need = (mcu_board_need_t){1000, 1048000, 600, -1, NULL};
  s = mcu_board_check_fit(b, &need);
  CHECK(s && !strcmp(mcu_status_message(s), "model needs 1048600 bytes of flash (weights and tables 1048000 + code "
                                            "600), board stm32f746 has 1048576: 24 bytes short"),
        "flash message: %s", s ? mcu_status_message(s) : "(fits)");
  mcu_status_free(s);
  s = mcu_board_check_fit(mcu_board_find("stm32h743"), &need);
  CHECK(!s, "the same model fits the stm32h743's 2 MB of flash");
  mcu_status_free(s);
}

int main(void) {
  test_lookup();
  test_fit();
  return mcu_test_finish();
}
