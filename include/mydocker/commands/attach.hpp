#pragma once
// `mydocker attach`: the client side of runtime/attach.hpp.

#include <string>

namespace mydocker {

struct AttachOptions {
  std::string state_root;
  std::string container;
  std::string detach_keys;  // as typed; "" the default (ctrl-p,ctrl-q)
  bool no_stdin = false;
  bool sig_proxy = true;
};

// Attaches until the container exits (its status) or the detach keys are typed (1, as
// docker, after "read escape sequence"). Throws Error when it cannot attach.
int attach_container(const AttachOptions& o);

}  // namespace mydocker
