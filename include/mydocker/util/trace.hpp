#pragma once
// --trace: every action that touches the kernel, printed as a shell line a reader could type,
// prefixed "+ " (like `sh -x`). Written with one write(2) per line, so lines from the parent and
// the container's init never interleave inside a line.

#include <string>
#include <string_view>
#include <vector>

namespace mydocker::trace {

void set_enabled(bool on);
bool enabled();
// Where lines go (default: 2). Tests point it at a pipe or file.
void set_fd(int fd);
int fd();

// Prints "+ <line>\n" when tracing is on.
void emit(std::string_view line);
// Prints "+ <line>\n" for each line with one write(2): a block (a here-document) that lines of
// another thread or of the init never split.
void emit_block(const std::vector<std::string>& lines);

// Quotes a word for a POSIX shell when it needs it: `a b` -> `'a b'`.
std::string quote(std::string_view word);
// Quoted words joined by spaces.
std::string join(const std::vector<std::string>& words);

}  // namespace mydocker::trace
