# embed.cmake: writes the file IN into OUT as C data SYM (cmake -P): a NUL-terminated string, or bytes with -DBINARY=1.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
if(BINARY)
  # Bytes, then one extra 0 so an empty file still gives a valid array; SYM_size excludes it. One line per 32 bytes.
  string(LENGTH "${hex}" nhex)
  math(EXPR size "${nhex} / 2")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" body "${body}")
  file(WRITE ${OUT} "/* generated from ${IN} */\n#include <stddef.h>\n"
       "_Alignas(16) const unsigned char ${SYM}[] = {\n${body}0x00};\nconst size_t ${SYM}_size = ${size};\n")
else()
  file(WRITE ${OUT} "/* generated from ${IN} */\nconst char ${SYM}[] = {${body}0x00};\n")
endif()
