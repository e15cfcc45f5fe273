// Man pages and completion scripts generated from the command table (docs.hpp).

#include "mydocker/cli/docs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "mydocker/cli/commands.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::cli {
namespace {

using Strings = std::vector<std::string>;

const CommandDoc* find(const std::vector<CommandDoc>& docs, const std::string& name) {
  for (const auto& d : docs)
    if (d.name() == name) return &d;
  return nullptr;
}

const FlagDoc* flag(const CommandDoc& c, const std::string& name) {
  for (const auto& f : c.flags)
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) return &f;
  return nullptr;
}

const ManPage* page(const std::vector<ManPage>& pages, const std::string& file) {
  for (const auto& p : pages)
    if (p.file == file) return &p;
  return nullptr;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- roff ----

TEST(RoffEscape, EscapesHyphensBackslashesAndLeadingControlCharacters) {
  EXPECT_EQ(roff_escape("--memory-swap"), "\\-\\-memory\\-swap");
  EXPECT_EQ(roff_escape("a\\tb"), "a\\etb");
  EXPECT_EQ(roff_escape(".SH not a macro"), "\\&.SH not a macro");
  EXPECT_EQ(roff_escape("'quoted"), "\\&'quoted");
  EXPECT_EQ(roff_escape("one\n.two"), "one\n\\&.two");
  EXPECT_EQ(roff_escape("a.b 'c'"), "a.b 'c'");  // only at the start of a line
}

// ---- describe: a small app of our own, so that the rules are checked apart from the table ----

TEST(Describe, ReadsFlagsArgumentsAndTheWordsACommandPositionalLists) {
  CLI::App app{"test app", "mydocker"};
  std::vector<std::string> words;
  std::string subnet;
  bool quiet = false;
  CLI::App* net = app.add_subcommand("network", "Manage networks: create, ls");
  net->add_option("command", words, "create NAME | ls")->required();
  net->add_option("--subnet", subnet, "create: the network's subnet");
  net->add_flag("-q,--quiet", quiet, "ls: names only");

  const auto docs = describe(app);

  ASSERT_EQ(docs.size(), 4u);  // mydocker, network, network create, network ls
  EXPECT_EQ(docs[0].words, (Strings{"network"}));
  const CommandDoc* network = find(docs, "network");
  ASSERT_NE(network, nullptr);
  EXPECT_EQ(network->words, (Strings{"create", "ls"}));
  const CommandDoc* create = find(docs, "network create");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->page(), "mydocker-network-create");
  EXPECT_EQ(create->synopsis, "[OPTIONS] NAME");
  ASSERT_NE(flag(*create, "--subnet"), nullptr);
  EXPECT_EQ(flag(*create, "--subnet")->help, "The network's subnet");
  EXPECT_TRUE(flag(*create, "--subnet")->takes_value);
  EXPECT_EQ(flag(*create, "--quiet"), nullptr);  // ls's
  EXPECT_NE(flag(*create, "--help"), nullptr);   // no word's: everyone's
  const CommandDoc* ls = find(docs, "network ls");
  ASSERT_NE(ls, nullptr);
  ASSERT_NE(flag(*ls, "-q"), nullptr);
  EXPECT_FALSE(flag(*ls, "-q")->takes_value);
  EXPECT_EQ(flag(*ls, "-q")->names, (Strings{"-q", "--quiet"}));
}

TEST(Describe, TheTableHasRunsFlagsAndHidesManButNotCompletion) {
  const auto docs = describe(*full_app());

  const CommandDoc* run = find(docs, "run");
  ASSERT_NE(run, nullptr);
  const FlagDoc* memory = flag(*run, "--memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->names, (Strings{"-m", "--mem", "--memory"}));
  EXPECT_TRUE(memory->takes_value);
  ASSERT_NE(flag(*run, "--rm"), nullptr);
  EXPECT_FALSE(flag(*run, "--rm")->takes_value);
  EXPECT_TRUE(flag(*run, "-e")->repeatable);
  EXPECT_TRUE(run->splits_command);
  ASSERT_NE(find(docs, "__man"), nullptr);
  EXPECT_TRUE(find(docs, "__man")->hidden);
  const CommandDoc* completion = find(docs, "completion");
  ASSERT_NE(completion, nullptr);
  EXPECT_FALSE(completion->hidden);
  ASSERT_FALSE(completion->args.empty());
  EXPECT_EQ(completion->args.front().choices, (Strings{"bash", "zsh"}));
  const FlagDoc* root = flag(docs[0], "--root");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->env, "MYDOCKER_ROOT");
}

// ---- man pages ----

TEST(ManPages, RunsPageDocumentsEveryFlagWithItsSections) {
  const auto docs = describe(*full_app());
  const auto pages = man_pages(docs);

  const ManPage* run = page(pages, "mydocker-run.1");
  ASSERT_NE(run, nullptr);
  for (const char* part : {".TH MYDOCKER\\-RUN 1", ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION",
                           ".SH OPTIONS", ".SH EXIT STATUS", ".SH SEE ALSO", "\\-\\-memory",
                           "\\fB\\-m\\fR, \\fB\\-\\-mem\\fR, \\fB\\-\\-memory\\fR \\fIVALUE\\fR",
                           "125", "127", "\\fBmydocker\\fR(1)"})
    EXPECT_TRUE(contains(run->text, part)) << part;
  for (const auto& f : find(docs, "run")->flags)
    for (const auto& n : f.names) EXPECT_TRUE(contains(run->text, roff_escape(n))) << n;
}

TEST(ManPages, OnePagePerVisibleCommandAndTheMainPageListsThemAll) {
  const auto docs = describe(*full_app());
  const auto pages = man_pages(docs);

  const ManPage* main = page(pages, "mydocker.1");
  ASSERT_NE(main, nullptr);
  EXPECT_TRUE(contains(main->text, ".SH COMMANDS"));
  EXPECT_TRUE(contains(main->text, "MYDOCKER_DATA_ROOT"));
  for (const auto& def : commands()) {
    const bool hidden = std::string(def.name).rfind("__", 0) == 0;
    EXPECT_EQ(page(pages, std::string("mydocker-") + def.name + ".1") != nullptr, !hidden)
        << def.name;
    if (!hidden) {
      EXPECT_TRUE(contains(main->text, "\\fB" + roff_escape(def.name) + "\\fR")) << def.name;
    }
  }
  EXPECT_NE(page(pages, "mydocker-network-create.1"), nullptr);
  for (const auto& p : pages) {  // no text line that roff would take as a request
    size_t at = 0;
    while ((at = p.text.find('\n', at)) != std::string::npos) {
      ++at;
      if (at < p.text.size() && p.text[at] == '\'') ADD_FAILURE() << p.file;
    }
  }
}

TEST(ManPages, WritesThePagesIntoADirectory) {
  test::TempDir dir;
  const auto written = write_man_pages(describe(*full_app()), dir.path() + "/man1");
  ASSERT_FALSE(written.empty());
  EXPECT_TRUE(contains(test::get_file(dir.path() + "/man1/mydocker-run.1"), ".SH OPTIONS"));
}

// ---- completion ----

// What bash's completion offers for the words (the last: the one completed), the script sourced.
std::string complete_in_bash(const std::string& script, const Strings& words) {
  test::TempDir dir;
  test::put_file(dir.path() + "/c.bash", script);
  std::string cmd = "PATH=/nonexistent /bin/bash -c 'source " + dir.path() +
                    "/c.bash; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _mydocker; "
                    "echo \"${COMPREPLY[*]}\"' _";
  for (const auto& w : words) cmd += " '" + w + "'";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

TEST(Completion, BashScriptNamesEveryCommandAndCompletesCommandsFlagsAndValues) {
  const auto docs = describe(*full_app());
  const std::string script = bash_completion(docs);

  EXPECT_TRUE(contains(script, "complete -o default -F _mydocker mydocker"));
  EXPECT_TRUE(contains(script, "ps -a --format '{{.Names}}'"));
  EXPECT_FALSE(contains(script, "__man"));
  const std::string offered = " " + complete_in_bash(script, {"mydocker", ""});
  for (const auto& def : commands()) {
    const bool hidden = std::string(def.name).rfind("__", 0) == 0;
    EXPECT_EQ(contains(offered, std::string(" ") + def.name), !hidden)
        << def.name << " in" << offered;
  }
  EXPECT_TRUE(contains(complete_in_bash(script, {"mydocker", "run", "--mem"}), "--memory"));
  EXPECT_EQ(complete_in_bash(script, {"mydocker", "completion", ""}), "bash zsh\n");
  EXPECT_EQ(complete_in_bash(script, {"mydocker", "run", "--pull", ""}), "missing always never\n");
  EXPECT_EQ(complete_in_bash(script, {"mydocker", "run", "img", "--me"}), "\n");  // the command's
}

TEST(Completion, ZshScriptDescribesCommandsAndFlags) {
  const std::string script = zsh_completion(describe(*full_app()));

  EXPECT_EQ(script.rfind("#compdef mydocker\n", 0), 0u);
  EXPECT_TRUE(contains(script, "'run:Run a command in a new container'"));
  EXPECT_TRUE(contains(script, "'--memory:"));
  EXPECT_TRUE(contains(script, "images --format '{{.Repository}}:{{.Tag}}'"));
  EXPECT_TRUE(contains(script, "compdef _mydocker mydocker"));
  EXPECT_FALSE(contains(script, "__man"));
}

}  // namespace
}  // namespace mydocker::cli
