#pragma once
// What the commands print, through stdio. mydocker does not use <iostream>: its static
// initialiser (the standard streams and their locale) costs about 0.8 MiB of resident memory
// and a few hundred microseconds at every start, for every command, run included.

#include <cstdio>
#include <string>
#include <string_view>

namespace mydocker::cli {

class Print {
 public:
  explicit Print(std::FILE* f) : f_(f) {}
  Print& operator<<(std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), f_);
    return *this;
  }
  Print& operator<<(const char* s) { return *this << std::string_view(s); }
  Print& operator<<(const std::string& s) { return *this << std::string_view(s); }
  Print& operator<<(char c) {
    std::fputc(c, f_);
    return *this;
  }
  Print& operator<<(long long n) { return *this << std::to_string(n); }
  Print& operator<<(int n) { return *this << std::to_string(n); }
  Print& operator<<(unsigned long n) { return *this << std::to_string(n); }
  // The line is out (a caller reading until a newline, a detached run's id).
  Print& flush() {
    std::fflush(f_);
    return *this;
  }

 private:
  std::FILE* f_;
};

inline Print out() { return Print(stdout); }

}  // namespace mydocker::cli
