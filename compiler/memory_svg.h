/* memory_svg.h: --memory-svg, a drawing of the arena over time (layers along x, offsets along y). */
#ifndef MCUNET_COMPILER_MEMORY_SVG_H
#define MCUNET_COMPILER_MEMORY_SVG_H

#include <stdio.h>

#include "program.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes an SVG image: one rectangle per arena tensor spanning its live layers and its bytes (name, bytes, offset
 * and lifetime in a <title> tooltip), the arena size as a dashed line, the layer with the most live bytes shaded.
 * Returns 0, or -1 on a write error (or out of memory). */
int mcu_memory_svg_write(const mcu_program_t *p, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
