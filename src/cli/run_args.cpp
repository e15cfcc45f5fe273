#include "mydocker/cli/run_args.hpp"

#include "mydocker/util/error.hpp"

namespace mydocker::cli {

RunArgs split_run_args(const std::vector<std::string>& args, const FlagLookup& lookup) {
  RunArgs out;
  size_t i = 0;
  auto take_value = [&](const std::string& typed) {
    if (i + 1 >= args.size()) throw Error("flag " + typed + " needs a value");
    out.flags.push_back(args[++i]);
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // the command starts here
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const bool has_inline_value = eq != std::string::npos;
    if (a[1] == '-') {  // --long[=value]
      auto info = lookup(name);
      out.flags.push_back(a);
      if (!info) continue;  // CLI11 reports it
      out.typed[info->canonical] = name;
      if (info->takes_value && !has_inline_value) take_value(name);
      continue;
    }
    if (name.size() > 2) {  // Go style: -mem 100m, -cpu=20
      if (auto info = lookup("-" + name)) {
        out.flags.push_back("-" + a);
        out.typed[info->canonical] = name;
        if (info->takes_value && !has_inline_value) take_value(name);
        continue;
      }
    }
    // Short flags, possibly bundled: -i, -it, -m 100m, -m100m.
    out.flags.push_back(a);
    for (size_t k = 1; k < a.size(); ++k) {
      auto info = lookup(std::string("-") + a[k]);
      if (!info) break;  // CLI11 reports it
      out.typed[info->canonical] = std::string("-") + a[k];
      if (info->takes_value) {
        if (k + 1 == a.size()) take_value(std::string("-") + a[k]);
        break;
      }
    }
  }
  out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())),
                     args.end());
  return out;
}

}  // namespace mydocker::cli
