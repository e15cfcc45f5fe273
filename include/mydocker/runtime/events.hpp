#pragma once
// The events a container's supervisor records at each start and at each end of a run (docker's
// order: network connect, start; oom, die, network disconnect). See store/events.hpp.

#include <string>

#include "mydocker/net/endpoint.hpp"
#include "mydocker/runtime/supervisor.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/store/store.hpp"

namespace mydocker {

// `st`: the state the start recorded (its name, image, labels). `e`: its bridge, if any.
void record_start(const RunOptions& o, const std::string& id, const ContainerState& st,
                  const net::Endpoint* e) noexcept;
// oom, as the kernel reports it while the container runs (docker's: one per notification).
void record_oom(const RunOptions& o, const ContainerDir& dir) noexcept;
// die with exitCode (the command's status, or the failure's) and execDuration (seconds), after
// an oom when the run had OOM kills but no oom was recorded while it ran.
void record_end(const RunOptions& o, const ContainerDir& dir, const Outcome& out,
                const net::Endpoint* e) noexcept;

}  // namespace mydocker
