# Writes the bytes of IN as a C++ array definition to OUT: NAME (unsigned char[]), NAME_size.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}.tmp" "// Generated from ${IN}: do not edit.\n#include <cstddef>\nnamespace mydocker {\nextern const unsigned char ${NAME}[] = {${body}};\nextern const std::size_t ${NAME}_size = ${bytes};\n}  // namespace mydocker\n")
file(RENAME "${OUT}.tmp" "${OUT}")
