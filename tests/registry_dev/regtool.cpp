// A command-line driver of the registry client, for tests/registry_dev/run.sh (and by hand):
//   regtool [--config DIR] [--insecure HOST] [--system-ca FILE] [--platform OS/ARCH[/VARIANT]]
//           pull REF LAYOUT [--have DIGEST]...        prints the manifest digest
//           push LAYOUT DIGEST REF [--mount-from REPO]...
//           login SERVER USER PASSWORD | logout SERVER | parse REF
// Progress lines go to stderr; errors print "regtool: MESSAGE" and exit with their code.

#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "mydocker/image/registry.hpp"
#include "mydocker/util/error.hpp"

namespace reg = mydocker::registry;

namespace {

struct Args {
  reg::Options o;
  std::vector<std::string> words;
  std::set<std::string> have;
  std::vector<std::string> mount_from;
};

Args parse_args(int argc, char** argv) {
  Args a;
  a.o.progress = [](const std::string& line) { std::cerr << line << "\n"; };
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw mydocker::Error(w + " needs a value");
      return argv[++i];
    };
    if (w == "--config") {
      a.o.config_dir = next();
    } else if (w == "--insecure") {
      a.o.insecure_registries.push_back(next());
    } else if (w == "--system-ca") {
      a.o.system_ca_file = next();
    } else if (w == "--have") {
      a.have.insert(next());
    } else if (w == "--mount-from") {
      a.mount_from.push_back(next());
    } else if (w == "--platform") {
      std::string p = next();
      size_t s1 = p.find('/'), s2 = p.find('/', s1 + 1);
      a.o.os = p.substr(0, s1);
      a.o.architecture = p.substr(s1 + 1, s2 == std::string::npos ? s2 : s2 - s1 - 1);
      a.o.variant = s2 == std::string::npos ? "" : p.substr(s2 + 1);
    } else {
      a.words.push_back(w);
    }
  }
  return a;
}

int run(const Args& a) {
  const auto& w = a.words;
  auto need = [&](size_t n) {
    if (w.size() != n) throw mydocker::Error("usage: see the comment at the top of regtool.cpp");
  };
  if (w.empty()) need(1);
  if (w[0] == "parse") {
    need(2);
    reg::Reference r = reg::parse_reference(w[1]);
    std::cout << r.registry << " " << r.repository << " " << (r.tag.empty() ? "-" : r.tag) << " "
              << (r.digest.empty() ? "-" : r.digest) << " " << r.familiar() << "\n";
  } else if (w[0] == "pull") {
    need(3);
    auto have = [&](const std::string& d) { return a.have.count(d) > 0; };
    std::cout << reg::pull(reg::parse_reference(w[1]), w[2], a.o, have) << "\n";
  } else if (w[0] == "push") {
    need(4);
    auto mount = [&](const std::string&) { return a.mount_from; };
    std::cout << reg::push(w[1], w[2], reg::parse_reference(w[3]), a.o, mount) << "\n";
  } else if (w[0] == "login") {
    need(4);
    reg::login(w[1], w[2], w[3], a.o);
    std::cout << "Login Succeeded\n";
  } else if (w[0] == "logout") {
    need(2);
    std::cout << (reg::logout(w[1], a.o) ? "Removed credentials" : "Not logged in") << "\n";
  } else {
    need(0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const mydocker::Error& e) {
    std::cerr << "regtool: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "regtool: " << e.what() << "\n";
    return 125;
  }
}
