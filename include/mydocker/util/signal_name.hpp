#pragma once
// Signals by the names docker takes: "TERM", "SIGTERM", "term" or "15"; the aliases IOT, CLD and
// POLL; and docker's real-time names RTMIN, RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1, RTMAX (34..64,
// as glibc's SIGRTMIN and SIGRTMAX are: the kernel's 32 and 33 belong to glibc's threads).
// The one parser of signal names: kill -s, --stop-signal, an image's StopSignal, OCI kill.

#include <string>

namespace mydocker {

// Throws Error("invalid signal: TEXT").
int parse_signal(const std::string& text);
// The name parse_signal reads back, without "SIG": "TERM", "RTMIN+3"; the number otherwise.
std::string signal_name(int sig);

}  // namespace mydocker
