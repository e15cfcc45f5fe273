// Man pages (roff, man(7) macros) from the described commands: mydocker(1) lists every command,
// mydocker-<command>(1) documents one, mydocker-network-create(1) one of its own commands.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "mydocker/cli/docs.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/version.hpp"

namespace mydocker::cli {
namespace {

std::string bold(const std::string& s) { return "\\fB" + roff_escape(s) + "\\fR"; }
std::string italic(const std::string& s) { return "\\fI" + roff_escape(s) + "\\fR"; }
std::string page_ref(const std::string& page) { return bold(page) + "(1)"; }

std::string header(const CommandDoc& c) {
  std::string page = c.page();
  for (auto& ch : page) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return ".TH " + roff_escape(page) + " 1 \"\" \"mydocker " + kVersion +
         "\" \"mydocker manual\"\n.nh\n.ad l\n.SH NAME\n" + roff_escape(c.page()) + " \\- " +
         roff_escape(c.path.empty() ? "a small container runtime (namespaces + cgroups)"
                                    : c.summary()) +
         "\n.SH SYNOPSIS\n.B " + roff_escape("mydocker" + (c.path.empty() ? "" : " " + c.name())) +
         "\n" + roff_escape(c.synopsis) + "\n";
}

std::string flag_entry(const FlagDoc& f) {
  std::string head;
  for (const auto& n : f.names) head += (head.empty() ? "" : ", ") + bold(n);
  if (f.takes_value) head += " " + italic("VALUE");
  std::string text = f.help;
  if (!text.empty() && text.back() != '.') text += '.';
  auto add = [&](const std::string& s) { text += (text.empty() ? "" : " ") + s; };
  if (!f.choices.empty()) {
    std::string list;
    for (const auto& c : f.choices) list += (list.empty() ? "" : ", ") + c;
    add("One of: " + list + ".");
  }
  if (f.repeatable) add("May be given more than once.");
  if (!f.env.empty()) add("Also set by the environment variable " + f.env + ".");
  return ".TP\n" + head + "\n" + roff_escape(text) + "\n";
}

std::string options_section(const CommandDoc& c) {
  std::string out = ".SH OPTIONS\n";
  for (const auto& f : c.flags) out += flag_entry(f);
  if (!c.path.empty())
    out += ".PP\nThe global options of " + page_ref("mydocker") + " apply too.\n";
  return out;
}

std::string exit_section(const CommandDoc& c) {
  std::string out = ".SH EXIT STATUS\n";
  if (c.splits_command || c.path.empty())
    out += ".TP\n" + bold("the command's own") + "\nThe container's command exited with it (" +
           bold("run") + ", " + bold("exec") + ").\n.TP\n" + bold("128 + N") +
           "\nThe container's command died of signal N (137: SIGKILL, e.g. the OOM killer).\n";
  else
    out += ".TP\n" + bold("0") + "\nSuccess.\n";
  out += ".TP\n" + bold("125") +
         "\nmydocker itself failed: a bad flag or value, not root, a missing, ambiguous or "
         "stopped container, a set\\-up error.\n";
  if (c.splits_command || c.path.empty())
    out += ".TP\n" + bold("126") + "\nThe command cannot be executed (permission denied).\n" +
           ".TP\n" + bold("127") + "\nThe command was not found in the container.\n";
  return out;
}

std::string description(const CommandDoc& c, const std::vector<CommandDoc>& docs) {
  std::string out = ".SH DESCRIPTION\n" + roff_escape(c.help) + "\n";
  if (c.splits_command)
    out +=
        ".PP\nmydocker's options come before the first argument that is not one: that "
        "argument and everything after it belong to the container's command.\n";
  if (!c.args.empty() && c.words.empty()) {
    out += ".SS Arguments\n";
    for (const auto& a : c.args)
      out += ".TP\n" + italic(a.name + (a.many ? "..." : "")) + "\n" +
             roff_escape(a.help.empty() ? (a.required ? "Required." : "Optional.") : a.help) + "\n";
  }
  if (c.words.empty()) return out;
  out += c.path.empty() ? ".SH COMMANDS\n" : ".SS Commands\n";
  for (const auto& d : docs) {
    if (d.hidden || d.path.size() != c.path.size() + 1) continue;
    if (!std::equal(c.path.begin(), c.path.end(), d.path.begin())) continue;
    out += ".TP\n" + bold(d.path.back()) + "\n" + roff_escape(d.summary()) + "\n";
  }
  return out;
}

std::string see_also(const CommandDoc& c, const std::vector<CommandDoc>& docs) {
  std::vector<std::string> pages;
  if (!c.path.empty()) {
    CommandDoc parent;
    parent.path.assign(c.path.begin(), c.path.end() - 1);
    pages.push_back(parent.page());
  }
  for (const auto& d : docs)
    if (!d.hidden && d.path.size() == c.path.size() + 1 &&
        std::equal(c.path.begin(), c.path.end(), d.path.begin()))
      pages.push_back(d.page());
  std::string out = ".SH SEE ALSO\n";
  for (size_t i = 0; i < pages.size(); ++i) out += (i ? ",\n" : "") + page_ref(pages[i]);
  return out + "\n";
}

std::string root_extra() {
  return ".SH ENVIRONMENT\n.TP\n" + bold("MYDOCKER_ROOT") + "\nThe state directory (" +
         bold("--root") + ").\n.TP\n" + bold("MYDOCKER_DATA_ROOT") +
         "\nImages and containers' files (" + bold("--data-root") + ").\n" + ".SH FILES\n.TP\n" +
         italic("/run/mydocker") +
         "\nThe containers' records and locks (a tmpfs: gone at reboot).\n.TP\n" +
         italic("/var/lib/mydocker") +
         "\nImages, layers, containers' files and networks; kept when the package is "
         "removed.\n";
}

}  // namespace

std::vector<ManPage> man_pages(const std::vector<CommandDoc>& docs) {
  std::vector<ManPage> out;
  for (const auto& c : docs) {
    if (c.hidden) continue;
    std::string text = ".\\\" Generated by mydocker from its command table: do not edit.\n";
    text += header(c) + description(c, docs) + options_section(c) + exit_section(c);
    if (c.path.empty()) text += root_extra();
    text += see_also(c, docs);
    out.push_back({c.page() + ".1", std::move(text)});
  }
  return out;
}

std::vector<std::string> write_man_pages(const std::vector<CommandDoc>& docs,
                                         const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("create " + dir + ": " + ec.message());
  std::vector<std::string> written;
  for (const auto& page : man_pages(docs)) {
    const std::string path = dir + "/" + page.file;
    std::ofstream f(path, std::ios::trunc);
    f << page.text;
    f.close();
    if (!f) throw Error("write " + path + ": failed");
    written.push_back(path);
  }
  return written;
}

}  // namespace mydocker::cli
