/* search.c: the TinyNAS two-stage search driver. */
#include "search.h"

#include <stdio.h>

int nas_search_main(int argc, char **argv) {
  fprintf(stderr, "mcunet-nas search: not available yet\n");
  return 2;
}
