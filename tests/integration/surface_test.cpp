// Docker's everyday surface (issue 14) on containers of the host's files: ps --filter/-n/-l/
// --no-trunc, run --label/--label-file/--stop-signal/--cidfile/--platform, rename, version,
// the management groups (container ls, image ls, system prune) and the prune prompt.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "integration/harness.hpp"

namespace itest {
namespace {

using Json = nlohmann::json;

class SurfaceTest : public IntegrationTest {
 protected:
  std::string start(std::vector<std::string> flags, std::vector<std::string> command = {}) {
    std::vector<std::string> a{"run", "-d"};
    a.insert(a.end(), flags.begin(), flags.end());
    if (command.empty()) command = {"sleep", "30"};
    a.insert(a.end(), command.begin(), command.end());
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  Json inspect(const std::string& ref) {
    auto r = md({"inspect", ref});
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = Json::parse(r.out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : Json::object();
  }
  std::string names(std::vector<std::string> ps_args) {
    ps_args.insert(ps_args.begin(), "ps");
    ps_args.insert(ps_args.end(), {"--format", "{{.Names}}"});
    auto r = md(ps_args);
    EXPECT_EQ(r.status, 0) << r.err;
    std::string out = r.out;
    for (auto& c : out)
      if (c == '\n') c = ' ';
    return out;
  }
  void TearDown() override {
    md({"rm", "-f", "a", "b", "c", "renamed"});
    IntegrationTest::TearDown();
  }
};

TEST_F(SurfaceTest, PsFiltersLastAndNoTrunc) {
  start({"--name", "a", "--label", "tier=front", "-l", "solo"});
  ASSERT_EQ(md({"run", "--name", "b", "--label", "tier=back", "sh", "-c", "exit 3"}).status, 3);
  start({"--name", "c"});
  EXPECT_EQ(names({}), "c a ") << "only running ones without -a";
  EXPECT_EQ(names({"-a"}), "c b a ");
  EXPECT_EQ(names({"--filter", "status=exited"}), "b ") << "a status filter shows stopped ones";
  EXPECT_EQ(names({"-f", "exited=3"}), "b ");
  EXPECT_EQ(names({"-a", "--filter", "label=tier"}), "b a ");
  EXPECT_EQ(names({"-a", "--filter", "label=tier=front"}), "a ");
  EXPECT_EQ(names({"-a", "--filter", "label=solo"}), "a ") << "a label without a value";
  EXPECT_EQ(names({"-a", "--filter", "name=a", "--filter", "name=b"}), "b a ");
  EXPECT_EQ(names({"-a", "--filter", "before=c"}), "b a ");
  EXPECT_EQ(names({"-a", "--filter", "since=a"}), "c b ");
  EXPECT_EQ(names({"-n", "2"}), "c b ") << "-n: the newest, whatever their state";
  EXPECT_EQ(names({"-l"}), "c ");
  auto full = md({"ps", "-q", "--no-trunc", "-l"});
  EXPECT_TRUE(std::regex_match(full.out, std::regex("[0-9a-f]{64}\n"))) << full.out;
  auto bad = md({"ps", "--filter", "colour=red"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("'colour=red' for --filter"), std::string::npos) << bad.err;
  auto table = md({"ps", "-a"});
  EXPECT_TRUE(table.out.rfind("CONTAINER ID   IMAGE", 0) == 0) << table.out;
  // NAMES last, as in docker (scripts take the last field).
  const std::string header = table.out.substr(0, table.out.find('\n'));
  EXPECT_EQ(header.substr(header.size() - 5), "NAMES") << header;
}

TEST_F(SurfaceTest, LabelsFromFlagsAndFilesShowInInspect) {
  const std::string file = root() + "/labels";
  std::ofstream(file) << "# a comment\n\ntier=db\nowner=ops\n";
  start({"--name", "a", "--label-file", file, "--label", "tier=cache"});
  const auto labels = inspect("a")["Config"]["Labels"];
  EXPECT_EQ(labels, (Json{{"tier", "cache"}, {"owner", "ops"}})) << "--label over the file";
  auto r = md({"inspect", "-f", "{{index .Config.Labels \"owner\"}}", "a"});
  EXPECT_EQ(r.out, "ops\n") << r.err;
  auto missing = md({"run", "--label-file", root() + "/none", "true"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("--label-file"), std::string::npos) << missing.err;
  EXPECT_EQ(md({"run", "--label", "=x", "true"}).status, 125);
}

TEST_F(SurfaceTest, StopSignalIsWhatStopSends) {
  // The shell traps USR1 and exits 42: stop's first signal is the one asked for.
  start({"--name", "a", "--stop-signal", "SIGUSR1"},
        {"sh", "-c", "trap 'exit 42' USR1; echo up; while :; do sleep 0.1; done"});
  for (int i = 0; i < 50 && md({"logs", "a"}).out.empty(); ++i) ::usleep(100000);
  EXPECT_EQ(inspect("a")["Config"]["StopSignal"], "SIGUSR1");
  ASSERT_EQ(md({"stop", "-t", "20", "a"}).status, 0);
  EXPECT_EQ(inspect("a")["State"]["ExitCode"], 42) << "USR1 reached it, not TERM then KILL";
  auto bad = md({"run", "--stop-signal", "SIGNOPE", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("'SIGNOPE' for --stop-signal"), std::string::npos) << bad.err;
}

TEST_F(SurfaceTest, CidfileHoldsTheIdAndIsNeverReplaced) {
  const std::string cid = root() + "/cid";
  const std::string id = start({"--name", "a", "--cidfile", cid});
  EXPECT_EQ(read_file(cid), id);
  auto again = md({"run", "--cidfile", cid, "true"});
  EXPECT_EQ(again.status, 125);
  EXPECT_NE(again.err.find("for --cidfile"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(cid), id) << "the existing file is kept";
  // A run that fails before its container exists leaves no file.
  const std::string cid2 = root() + "/cid2";
  EXPECT_EQ(md({"run", "--cidfile", cid2, "-m", "lots", "true"}).status, 125);
  EXPECT_FALSE(exists(cid2));
}

// docker's real-time signal names: kill -s RTMIN+3, --stop-signal SIGRTMIN+3 (systemd's).
TEST_F(SurfaceTest, RealTimeSignalNames) {
  const std::vector<std::string> trap = {
      "sh", "-c", "trap 'exit 7' 37; echo up; while :; do sleep 0.1; done"};  // 37: RTMIN+3
  start({"--name", "a"}, trap);
  for (int i = 0; i < 50 && md({"logs", "a"}).out.empty(); ++i) ::usleep(100000);
  auto killed = md({"kill", "-s", "RTMIN+3", "a"});
  ASSERT_EQ(killed.status, 0) << killed.err;
  EXPECT_EQ(md({"wait", "a"}).out, "7\n");
  start({"--name", "b", "--stop-signal", "SIGRTMIN+3"}, trap);
  for (int i = 0; i < 50 && md({"logs", "b"}).out.empty(); ++i) ::usleep(100000);
  EXPECT_EQ(inspect("b")["Config"]["StopSignal"], "SIGRTMIN+3");
  ASSERT_EQ(md({"stop", "-t", "20", "b"}).status, 0);
  EXPECT_EQ(inspect("b")["State"]["ExitCode"], 7) << "RTMIN+3 reached it, not TERM then KILL";
  auto bad = md({"kill", "-s", "RTMIN+16", "b"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("invalid signal: RTMIN+16"), std::string::npos) << bad.err;
}

TEST_F(SurfaceTest, PlatformOtherThanTheHostsIsRefused) {
  auto r = md({"run", "--rm", "--platform", "linux/s390x", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("'linux/s390x' for --platform"), std::string::npos) << r.err;
  const std::string arch = run({"uname", "-m"}).out == "x86_64\n" ? "amd64" : "arm64";
  EXPECT_EQ(md({"run", "--rm", "--platform", "linux/" + arch, "true"}).status, 0);
}

// Go's predefined functions and comments in every --format/-f, as the trial's scripts use them.
TEST_F(SurfaceTest, GoTemplateFunctionsInEveryFormat) {
  start({"--name", "a"});
  ASSERT_EQ(md({"create", "--name", "b", "true"}).status, 0);
  auto f = [&](std::vector<std::string> a) {
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(f({"inspect", "-f", "{{if eq .State.Status \"running\"}}up{{end}}", "a"}), "up\n");
  EXPECT_EQ(f({"inspect", "-f", "{{if and .State.Running (not .State.Paused)}}ok{{end}}", "a"}),
            "ok\n");
  EXPECT_EQ(f({"inspect", "-f", "{{if gt .State.Pid 1}}x{{end}}", "a"}), "x\n");
  EXPECT_EQ(f({"inspect", "-f", "{{.State.Running | not}}", "a", "b"}), "false\ntrue\n");
  const std::string id = inspect("a")["Id"];
  EXPECT_EQ(f({"inspect", "-f", "{{slice .Id 0 3}}", "a"}), id.substr(0, 3) + "\n");
  EXPECT_EQ(f({"inspect", "-f", "{{/* c */}}x {{- /* d */ -}} y", "a"}), "xy\n");
  EXPECT_EQ(f({"ps", "-a", "--format", "{{if eq .State \"running\"}}{{.Names}}{{end}}"}), "\na\n");
  EXPECT_EQ(f({"ps", "-a", "--format", "{{if ne .State \"running\"}}{{.Names}}{{end}}"}), "b\n\n");
  ASSERT_EQ(md({"volume", "create", "vt"}).status, 0);
  EXPECT_EQ(f({"volume", "ls", "--format", "{{if eq .Driver \"local\" \"x\"}}{{.Name}}{{end}}"}),
            "vt\n");
  EXPECT_EQ(md({"volume", "rm", "vt"}).status, 0);
  auto bad = md({"inspect", "-f", "{{eq .State.Pid \"1\"}}", "a"});
  EXPECT_EQ(bad.status, 1) << "an execution error, as inspect's others";
  EXPECT_NE(bad.err.find("error calling eq: incompatible types for comparison"), std::string::npos)
      << bad.err;
}

TEST_F(SurfaceTest, RenameMovesTheNameAndFreesTheOldOne) {
  const std::string id = start({"--name", "a"});
  start({"--name", "b"});
  auto taken = md({"rename", "a", "b"});
  EXPECT_NE(taken.status, 0);
  EXPECT_NE(taken.err.find("already in use"), std::string::npos) << taken.err;
  EXPECT_EQ(md({"rename", "a", "bad/name"}).status, 125);
  ASSERT_EQ(md({"rename", "a", "renamed"}).status, 0);
  EXPECT_EQ(inspect("renamed")["Id"], id);
  EXPECT_EQ(inspect("renamed")["Name"], "/renamed");
  EXPECT_FALSE(exists(root() + "/names/a")) << "the old name is gone";
  if (auto old = md({"inspect", "a"}); old.status == 0) {  // "a" may still be an id's prefix
    EXPECT_EQ(nlohmann::json::parse(old.out)[0]["Id"].get<std::string>().substr(0, 1), "a");
  }
  EXPECT_NE(names({}).find("renamed"), std::string::npos);
  start({"--name", "a"});  // free again
  EXPECT_EQ(md({"rm", "-f", "renamed"}).status, 0);
  EXPECT_FALSE(exists(root() + "/names/renamed")) << "rm lets go of the new name";
}

// volume inspect -f/--format: docker's template, once per volume ({{json .}} too).
TEST_F(SurfaceTest, VolumeInspectFormat) {
  ASSERT_EQ(md({"volume", "create", "--label", "k=v", "vf"}).status, 0);
  EXPECT_EQ(md({"volume", "inspect", "-f", "{{.Mountpoint}}", "vf"}).out,
            root() + "/data/volumes/vf/_data\n");
  EXPECT_EQ(md({"volume", "inspect", "--format", "{{.Name}} {{.Labels.k}}", "vf", "vf"}).out,
            "vf v\nvf v\n");
  auto j = Json::parse(md({"volume", "inspect", "-f", "{{json .}}", "vf"}).out, nullptr, false);
  EXPECT_EQ(j.value("Name", ""), "vf");
  EXPECT_EQ(j.value("Driver", ""), "local");
  auto plain = Json::parse(md({"volume", "inspect", "vf"}).out, nullptr, false);
  EXPECT_EQ(plain.size(), 1u) << "without -f: the JSON array";
  EXPECT_EQ(md({"volume", "inspect", "-f", "{{.Name", "vf"}).status, 125);
  EXPECT_EQ(md({"volume", "rm", "vf"}).status, 0);
}

TEST_F(SurfaceTest, VersionHasDockersSections) {
  auto r = md({"version"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Client:"), std::string::npos);
  EXPECT_NE(r.out.find("Kernel Version:"), std::string::npos);
  auto v = md({"version", "--format", "{{.Client.Version}} {{.Server.KernelVersion}}"});
  std::string version = md({"--version"}).out;  // "0.3.0\n"
  version.pop_back();
  EXPECT_EQ(v.out, version + " " + run({"uname", "-r"}).out) << v.out;
  auto j = Json::parse(md({"version", "--format", "json"}).out, nullptr, false);
  EXPECT_EQ(j["Server"]["Version"], version) << j;
  EXPECT_EQ(md({"version", "--format", "{{.Nope"}).status, 125);
}

TEST_F(SurfaceTest, ManagementGroupsAreAliases) {
  start({"--name", "a"});
  EXPECT_EQ(md({"container", "ls", "--format", "{{.Names}}"}).out, "a\n");
  EXPECT_EQ(md({"container", "inspect", "-f", "{{.Name}}", "a"}).out, "/a\n");
  auto images = md({"image", "ls"});
  EXPECT_EQ(images.status, 0) << images.err;
  EXPECT_TRUE(images.out.rfind("REPOSITORY", 0) == 0) << images.out;
  auto bad = md({"container", "fly"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("unknown command 'container fly'"), std::string::npos) << bad.err;
  EXPECT_EQ(md({"container", "rm", "-f", "a"}).status, 0);
  EXPECT_EQ(records().size(), 0u);
}

TEST_F(SurfaceTest, ContainerPruneAsksAndRemovesNothingWithoutAYes) {
  ASSERT_EQ(md({"run", "--name", "a", "true"}).status, 0);
  auto no = md({"container", "prune"});  // stdin: EOF, as docker without an answer
  EXPECT_EQ(no.status, 0);
  EXPECT_NE(no.out.find("Are you sure you want to continue? [y/N]"), std::string::npos) << no.out;
  EXPECT_EQ(records().size(), 1u) << "nothing removed without a yes";
  Options answer;
  answer.input = "n\n";
  auto n = md({"container", "prune"}, answer);
  EXPECT_EQ(records().size(), 1u);
  answer.input = "y\n";
  auto yes = md({"container", "prune"}, answer);
  EXPECT_EQ(yes.status, 0) << yes.err;
  EXPECT_EQ(records().size(), 0u) << yes.out;
  ASSERT_EQ(md({"run", "--name", "b", "true"}).status, 0);
  EXPECT_EQ(md({"system", "prune", "-f"}).status, 0);
  EXPECT_EQ(records().size(), 0u) << "-f: no question";
}

// --init: PID 1 is mydocker's stub, which reaps the orphans a command leaves and passes stop's
// SIGTERM on to a command that, as PID 1, would ignore it. Without it: a zombie, and a KILL.
TEST_F(SurfaceTest, InitReapsZombiesAndForwardsSignals) {
  for (const bool init : {true, false}) {
    SCOPED_TRACE(init ? "--init" : "without --init");
    std::vector<std::string> flags{"--name", "a", "--stop-timeout", "2"};
    if (init) flags.push_back("--init");
    start(flags, {"sh", "-c", "sh -c 'sleep 0.1 &'; exec sleep 30"});
    ::usleep(600000);
    auto zombies =
        md({"exec", "a", "sh", "-c", "grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l"});
    EXPECT_EQ(zombies.out, init ? "0\n" : "1\n") << zombies.err;
    // ps shows docker's way: "mydocker-init -- CMD...", its name mydocker-init (not a memfd's).
    auto pid1 = md({"exec", "a", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"});
    EXPECT_EQ(pid1.out.rfind(init ? "mydocker-init -- sh -c sh -c 'sleep 0.1 &'; exec sleep 30 "
                                  : "sleep 30 ",
                             0),
              0u)
        << pid1.out;
    EXPECT_EQ(md({"exec", "a", "cat", "/proc/1/comm"}).out, init ? "mydocker-init\n" : "sleep\n");
    ASSERT_EQ(md({"stop", "a"}).status, 0);
    EXPECT_EQ(inspect("a")["State"]["ExitCode"], init ? 143 : 137)
        << "sleep ended by the forwarded TERM, or killed";
    EXPECT_EQ(inspect("a")["HostConfig"]["Init"], init);
    ASSERT_EQ(md({"rm", "a"}).status, 0);
  }
  EXPECT_EQ(md({"run", "--rm", "--init", "sh", "-c", "exit 7"}).status, 7);
  EXPECT_EQ(md({"run", "--rm", "--init", "-m", "6m", "true"}).status, 0) << "a tight limit";
  auto missing = md({"run", "--rm", "--init", "/nonexistent"});
  EXPECT_EQ(missing.status, 127);
  EXPECT_NE(missing.err.find("/nonexistent"), std::string::npos) << missing.err;
}

// --uts/--pid/--ipc host and container:, --shm-size, --sysctl, --group-add: each by its effect.
// A run's network namespace is made by a helper while the run is planned and entered by the
// init (net/netns.hpp): each container still has one of its own (not the host's, not another
// container's), holding only a loopback that is up, foreground and detached alike; --trace
// (which makes it in the clone) and a restart get one too.
TEST_F(SurfaceTest, EveryRunHasANetworkNamespaceOfItsOwn) {
  const std::string host = std::filesystem::read_symlink("/proc/self/ns/net").string();
  auto fg = md({"run", "--rm", "sh", "-c", "readlink /proc/self/ns/net; grep : /proc/net/dev"});
  ASSERT_EQ(fg.status, 0) << fg.err;
  const auto words = lines(fg.out);
  ASSERT_EQ(words.size(), 2u) << "its namespace, then only lo: " << fg.out;
  EXPECT_NE(words[0], host);
  EXPECT_EQ(words[1].substr(0, words[1].find(':')).find_first_not_of(' '), words[1].find("lo"))
      << fg.out;
  auto up = md({"run", "--rm", "cat", "/sys/class/net/lo/flags"});
  EXPECT_EQ(std::stoul(up.out, nullptr, 16) & 1, 1u) << "lo is not up: " << up.out << up.err;
  auto traced = md({"run", "--rm", "--trace", "readlink", "/proc/self/ns/net"});
  EXPECT_NE(traced.out, host + "\n");
  EXPECT_NE(traced.err.find("--net"), std::string::npos) << traced.err;
  std::set<std::string> seen{host};
  for (const char* name : {"n1", "n2"}) {
    const std::string id = start({"--name", name});
    // Its supervisor cloned it from inside that namespace and came back out.
    const int supervisor =
        Json::parse(read_file(root() + "/" + id + "/state.json")).value("supervisor_pid", 0);
    ASSERT_GT(supervisor, 1);
    EXPECT_EQ(
        std::filesystem::read_symlink("/proc/" + std::to_string(supervisor) + "/ns/net").string(),
        host);
    const int pid = inspect(name)["State"]["Pid"].get<int>();
    const std::string ns =
        std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/net").string();
    EXPECT_TRUE(seen.insert(ns).second) << name << " shares " << ns;
  }
  const std::string log = root() + "/restarts";
  auto restarted = md({"run", "--name", "r3", "--restart", "on-failure:2", "-v", root() + ":/mnt",
                       "sh", "-c", "grep -c lo: /proc/net/dev >> /mnt/restarts; exit 3"});
  EXPECT_EQ(restarted.status, 3) << restarted.err;
  for (int i = 0; i < 100 && read_file(log) != "1\n1\n1\n"; ++i) ::usleep(50000);
  EXPECT_EQ(read_file(log), "1\n1\n1\n") << "each start had its own loopback";
  for (int i = 0; i < 100 && md({"inspect", "-f", "{{.State.Status}}", "r3"}).out != "exited\n";
       ++i)
    ::usleep(50000);
  md({"rm", "-f", "r3"});
  md({"rm", "-f", "n1", "n2"});
}

// Started with stdin (or all of 0-2) closed, mydocker holds them on /dev/null: the files it
// opens next (a container's lock, its network namespace) keep their own numbers, so a detached
// container's supervisor keeps its lock (it was "Dead" at once) and -i reads an empty stdin.
TEST_F(SurfaceTest, ClosedStandardDescriptorsAreHeldOnDevNull) {
  Options opt;
  opt.env = env();
  auto id = run({"sh", "-c", "exec <&-; " + mydocker() + " run -d --name closed sleep 30"}, opt);
  ASSERT_EQ(id.status, 0) << id.err;
  ::usleep(200000);
  EXPECT_EQ(md({"inspect", "-f", "{{.State.Status}}", "closed"}).out, "running\n");
  EXPECT_EQ(md({"exec", "closed", "true"}).status, 0);
  md({"rm", "-f", "closed"});
  // cat's status is mydocker's: 0 for an empty stdin, 1 for a read error on a closed one.
  auto all = run({"sh", "-c", "exec <&- >&- 2>&-; " + mydocker() + " run --rm -i cat"}, opt);
  EXPECT_EQ(all.status, 0);
}

TEST_F(SurfaceTest, NamespaceFlagsShareWhatTheyName) {
  auto host_name = md({"run", "--rm", "--uts", "host", "hostname"});
  EXPECT_EQ(host_name.out, run({"hostname"}).out) << host_name.err;
  EXPECT_NE(md({"run", "--rm", "hostname"}).out, run({"hostname"}).out);
  EXPECT_EQ(md({"run", "--rm", "--uts", "host", "--hostname", "x", "true"}).status, 125);
  const std::string mine = std::to_string(::getpid());
  EXPECT_EQ(md({"run", "--rm", "--pid", "host", "test", "-d", "/proc/" + mine}).status, 0)
      << "--pid host sees the host's processes";
  EXPECT_NE(md({"run", "--rm", "test", "-d", "/proc/" + mine}).status, 0);
  EXPECT_EQ(md({"run", "--rm", "--pid", "nope", "true"}).status, 125);

  start({"--name", "a", "--ipc", "shareable", "--shm-size", "10m"},
        {"sh", "-c", "ipcmk -M 4096; echo shared > /dev/shm/note; sleep 30"});
  start({"--name", "b"});
  ::usleep(300000);
  auto pids = md({"run", "--rm", "--pid", "container:a", "sh", "-c", "cat /proc/1/cmdline"});
  EXPECT_NE(pids.out.find("ipcmk"), std::string::npos) << "a's PID 1: " << pids.out << pids.err;
  auto shm = md({"run", "--rm", "--ipc", "container:a", "sh", "-c", "grep -c . /proc/sysvipc/shm"});
  EXPECT_EQ(shm.out, "2\n") << "a's segment, after the header line: " << shm.err;
  EXPECT_EQ(md({"run", "--rm", "sh", "-c", "grep -c . /proc/sysvipc/shm"}).out, "1\n");
  // And its /dev/shm (POSIX shared memory), both ways: a tmpfs on the host bound into both.
  auto note = md({"run", "--rm", "--ipc", "container:a", "sh", "-c",
                  "cat /dev/shm/note; echo back > /dev/shm/reply; df -k /dev/shm | tail -1"});
  EXPECT_EQ(note.out.substr(0, 7), "shared\n") << note.err;
  EXPECT_NE(note.out.find(" 10240 "), std::string::npos) << "a's --shm-size: " << note.out;
  EXPECT_EQ(md({"exec", "a", "cat", "/dev/shm/reply"}).out, "back\n");
  EXPECT_NE(md({"run", "--rm", "cat", "/dev/shm/note"}).status, 0) << "not a private one's";
  const std::string a_id = md({"inspect", "-f", "{{.Id}}", "a"}).out.substr(0, 64);
  auto shm_mounts = [&] {
    auto all = lines(read_file("/proc/self/mountinfo"));
    return std::count_if(all.begin(), all.end(), [&](const std::string& l) {
      return l.find(a_id + "/shm") != std::string::npos;
    });
  };
  EXPECT_EQ(shm_mounts(), 1);
  auto priv = md({"run", "--rm", "--ipc", "container:b", "true"});
  EXPECT_EQ(priv.status, 125);
  EXPECT_NE(priv.err.find("--ipc shareable"), std::string::npos) << priv.err;
  ASSERT_EQ(md({"stop", "-t", "0", "a"}).status, 0);
  EXPECT_EQ(shm_mounts(), 0) << "its /dev/shm goes when it stops";

  auto size = md({"run", "--rm", "--shm-size", "10m", "sh", "-c", "df -k /dev/shm | tail -1"});
  EXPECT_NE(size.out.find(" 10240 "), std::string::npos) << size.out << size.err;
  // 0 is docker's "unset": the default 64 MiB (it was refused).
  auto unset = md({"run", "--rm", "--shm-size", "0", "sh", "-c", "df -k /dev/shm | tail -1"});
  EXPECT_NE(unset.out.find(" 65536 "), std::string::npos) << unset.out << unset.err;
  EXPECT_EQ(md({"run", "--rm", "--shm-size", "-1", "true"}).status, 125);

  auto sysctl =
      md({"run", "--rm", "--sysctl", "kernel.shmmax=1234567", "--sysctl", "net.ipv4.ip_forward=1",
          "sh", "-c", "cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward"});
  EXPECT_EQ(sysctl.out, "1234567\n1\n") << sysctl.err;
  EXPECT_NE(read_file("/proc/sys/kernel/shmmax"), "1234567\n") << "the host's is untouched";
  auto host_wide = md({"run", "--rm", "--sysctl", "vm.swappiness=1", "true"});
  EXPECT_EQ(host_wide.status, 125);
  EXPECT_NE(host_wide.err.find("not a namespaced"), std::string::npos) << host_wide.err;
  EXPECT_EQ(
      md({"run", "--rm", "--net", "host", "--sysctl", "net.ipv4.ip_forward=1", "true"}).status,
      125);
  // What the kernel refuses is named by the flag too.
  auto missing = md({"run", "--rm", "--sysctl", "net.ipv4.no_such_knob=1", "true"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("--sysctl net.ipv4.no_such_knob=1: no such sysctl"), std::string::npos)
      << missing.err;
  auto refused = md({"run", "--rm", "--sysctl", "net.ipv4.ip_forward=abc", "true"});
  EXPECT_EQ(refused.status, 125);
  EXPECT_NE(refused.err.find("--sysctl net.ipv4.ip_forward=abc: the kernel refused it: Invalid"),
            std::string::npos)
      << refused.err;

  auto groups = md({"run", "--rm", "--group-add", "1234", "sh", "-c", "id -G"});
  EXPECT_NE(groups.out.find("1234"), std::string::npos) << groups.out << groups.err;
  EXPECT_EQ(md({"run", "--rm", "--group-add", "no-such-group", "true"}).status, 125);
}

// stats' NET I/O: the container's own interfaces (a veth pair it makes and pings through: ARP
// both ways), never
// the host's counters (--net host: "--").
TEST_F(SurfaceTest, StatsShowNetIo) {
  start({"--name", "a", "--cap-add", "NET_ADMIN"},
        {"sh", "-c",
         "ip link add v0 type veth peer name v1 && ip addr add 10.9.9.1/24 dev v0 && "
         "ip link set v1 up && ip link set v0 up && busybox ping -c 2 -W 1 10.9.9.2; "
         "echo done; sleep 30"});
  start({"--name", "b", "--net", "host"});
  for (int i = 0; i < 50 && md({"logs", "a"}).out.find("done") == std::string::npos; ++i)
    ::usleep(100000);
  auto r = md({"stats", "--no-stream", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::map<std::string, std::string> net;
  for (const auto& l : lines(r.out)) {
    auto j = Json::parse(l, nullptr, false);
    net[j.value("Name", "")] = j.value("NetIO", "");
  }
  EXPECT_TRUE(std::regex_match(net["a"], std::regex("[1-9][0-9.]*k?B / [1-9][0-9.]*k?B")))
      << net["a"];
  EXPECT_EQ(net["b"], "--") << "the host's counters are not b's";
  auto table = md({"stats", "--no-stream"});
  EXPECT_NE(table.out.find("   NET I/O "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("   BLOCK I/O "), std::string::npos) << table.out;
}

// --log-opt max-size/max-file: docker's rotation; logs (and logs -f, while it rotates) reads
// across the files; --log-driver none keeps nothing.
TEST_F(SurfaceTest, AnIdleSupervisorStillRelaysTheOutputAndTheExit) {
  // After 1 s of quiet a detached supervisor gives back memory and sleeps in the relay's place
  // (util/memory.hpp): what wakes it (output, the exit) is handled as before.
  const std::string id = start({}, {"/bin/sh", "-c", "sleep 1.6; echo after the quiet; exit 3"});
  ASSERT_FALSE(id.empty());
  auto w = md({"wait", id});
  EXPECT_EQ(w.out, "3\n") << w.err;
  auto logs = md({"logs", id});
  EXPECT_EQ(logs.out, "after the quiet\n") << logs.err;
  EXPECT_EQ(md({"rm", id}).status, 0);
}

TEST_F(SurfaceTest, LogsRotateAndAreReadAcrossFiles) {
  const std::string id =
      start({"--name", "a", "--log-opt", "max-size=1k", "--log-opt", "max-file=3"},
            {"sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done"});
  ASSERT_EQ(md({"wait", "a"}).out, "0\n");
  const std::string log = root() + "/" + id + "/container.log";
  EXPECT_TRUE(exists(log + ".1") && exists(log + ".2")) << "three files";
  EXPECT_FALSE(exists(log + ".3")) << "max-file=3: the oldest goes";
  for (const char* f : {"", ".1", ".2"}) EXPECT_LE(read_file(log + f).size(), 1024u) << f;
  auto all = lines(md({"logs", "a"}).out);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), "line 199");
  EXPECT_LT(all.size(), 200u) << "the oldest lines went with the oldest file";
  const int first = std::stoi(all.front().substr(5));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], "line " + std::to_string(first + i));

  // logs -f from the start of a slow writer: every line, in order, across rotations.
  start({"--name", "b", "--log-opt", "max-size=1k", "--log-opt", "max-file=2"},
        {"sh", "-c", "i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); sleep 0.02; done"});
  auto followed = lines(md({"logs", "-f", "b"}).out);
  ASSERT_EQ(followed.size(), 100u);
  for (size_t i = 0; i < followed.size(); ++i) EXPECT_EQ(followed[i], "line " + std::to_string(i));

  start({"--name", "c", "--log-driver", "none"}, {"echo", "hi"});
  ASSERT_EQ(md({"wait", "c"}).status, 0);
  auto none = md({"logs", "c"});
  EXPECT_EQ(none.status, 125);
  EXPECT_NE(none.err.find("--log-driver none"), std::string::npos) << none.err;
  EXPECT_FALSE(exists(root() + "/" + inspect("c")["Id"].get<std::string>() + "/container.log"));
  EXPECT_EQ(md({"run", "--log-opt", "max-file=2", "true"}).status, 125);
  EXPECT_EQ(md({"run", "--log-driver", "syslog", "true"}).status, 125);
}

// --health-*: starting, unhealthy after `retries` failures, healthy once the probe passes; ps,
// ps --filter health= and inspect show it; a probe past its timeout fails.
TEST_F(SurfaceTest, HealthChecksShowInPsAndInspect) {
  start({"--name", "a", "--health-cmd", "test -e /tmp/ok", "--health-interval", "200ms",
         "--health-retries", "2"});
  EXPECT_NE(names({}).find("a"), std::string::npos);
  auto status = [&] { return md({"inspect", "-f", "{{.State.Health.Status}}", "a"}).out; };
  EXPECT_EQ(status(), "starting\n");
  auto until = [&](const std::string& want) {
    for (int i = 0; i < 50 && status() != want + "\n"; ++i) ::usleep(100000);
    return status();
  };
  EXPECT_EQ(until("unhealthy"), "unhealthy\n");
  EXPECT_NE(md({"ps"}).out.find("(unhealthy)"), std::string::npos);
  ASSERT_EQ(md({"exec", "a", "touch", "/tmp/ok"}).status, 0);
  EXPECT_EQ(until("healthy"), "healthy\n");
  EXPECT_NE(md({"ps"}).out.find("(healthy)"), std::string::npos);
  EXPECT_EQ(names({"--filter", "health=healthy"}), "a ");
  EXPECT_EQ(names({"--filter", "health=unhealthy"}), "");
  auto j = inspect("a");
  EXPECT_EQ(j["State"]["Health"]["FailingStreak"], 0);
  EXPECT_LE(j["State"]["Health"]["Log"].size(), 5u);
  EXPECT_EQ(j["Config"]["Healthcheck"]["Test"], (Json{"CMD-SHELL", "test -e /tmp/ok"}));
  EXPECT_EQ(j["Config"]["Healthcheck"]["Interval"], 200000000);

  start({"--name", "b", "--health-cmd", "sleep 5", "--health-interval", "100ms", "--health-timeout",
         "200ms", "--health-retries", "1"});
  for (int i = 0; i < 50 && inspect("b")["State"]["Health"]["Status"] != "unhealthy"; ++i)
    ::usleep(100000);
  auto b = inspect("b")["State"]["Health"];
  EXPECT_EQ(b["Status"], "unhealthy") << b;
  EXPECT_EQ(b["Log"][0]["ExitCode"], -1) << b;
  EXPECT_NE(b["Log"][0]["Output"].get<std::string>().find("exceeded timeout"), std::string::npos);
  EXPECT_EQ(md({"run", "--health-interval", "often", "--health-cmd", "true", "true"}).status, 125);
  EXPECT_EQ(md({"run", "--no-healthcheck", "--health-cmd", "true", "true"}).status, 125);
}

TEST_F(SurfaceTest, CreateStartRestart) {
  auto created = md({"create", "--name", "a", "--label", "k=v", "sh", "-c",
                     "echo run $(cat /proc/self/cgroup | wc -l); sleep 30"});
  ASSERT_EQ(created.status, 0) << created.err;
  const std::string id = created.out.substr(0, 64);
  EXPECT_EQ(inspect("a")["State"]["Status"], "created");
  EXPECT_EQ(names({"--filter", "status=created"}), "a ");
  EXPECT_EQ(container_cgroups().size(), 0u) << "create makes no cgroup";
  const std::string when = inspect("a")["Created"];
  auto tty = md({"create", "-it", "--name", "t", "sh"});  // our stdin is no terminal: no matter
  EXPECT_EQ(tty.err.find("not a terminal"), std::string::npos) << tty.err;
  EXPECT_EQ(md({"logs", "a", "t"}).status, 125) << "one container only";
  auto no_logs = md({"logs", "a"});
  EXPECT_EQ(no_logs.status, 0) << "never started: nothing yet (docker's) " << no_logs.err;
  EXPECT_EQ(no_logs.out, "");
  EXPECT_EQ(inspect("a")["LogPath"], "") << "no log before its first start (docker's)";

  auto started = md({"start", "a"});
  ASSERT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(started.out, "a\n");
  auto j = inspect("a");
  EXPECT_EQ(j["Id"], id) << "the same container";
  EXPECT_EQ(j["State"]["Status"], "running");
  EXPECT_EQ(j["Created"], when);
  EXPECT_EQ(j["Config"]["Labels"]["k"], "v");
  const int pid = j["State"]["Pid"];
  EXPECT_GT(container_cgroups().size(), 0u);
  EXPECT_EQ(md({"start", "a"}).status, 0) << "starting a running one does nothing";
  EXPECT_EQ(inspect("a")["State"]["Pid"], pid);

  auto restarted = md({"restart", "-t", "1", "a"});
  ASSERT_EQ(restarted.status, 0) << restarted.err;
  j = inspect("a");
  EXPECT_EQ(j["State"]["Status"], "running");
  EXPECT_NE(j["State"]["Pid"], pid) << "a new process";
  EXPECT_EQ(j["Id"], id);
  // docker's: running again, it shows when it last ended (the restart's stop), until it ends.
  const std::string finished = j["State"]["FinishedAt"];
  EXPECT_NE(finished, "0001-01-01T00:00:00Z");
  EXPECT_LE(finished, j["State"]["StartedAt"].get<std::string>());
  EXPECT_GE(finished, when);
  EXPECT_EQ(md({"stop", "-t", "1", "a"}).status, 0);
  EXPECT_EQ(inspect("a")["State"]["Status"], "exited");
  // `start` of an exited one likewise shows when it last ended.
  const std::string ended = inspect("a")["State"]["FinishedAt"];
  ASSERT_EQ(md({"start", "a"}).status, 0);
  EXPECT_EQ(inspect("a")["State"]["FinishedAt"], ended);
  EXPECT_EQ(md({"stop", "-t", "1", "a"}).status, 0);

  // start -a: attached, its exit status is ours; a stopped container keeps its files.
  ASSERT_EQ(md({"create", "--name", "b", "sh", "-c", "echo out; exit 5"}).status, 0);
  auto attached = md({"start", "-a", "b"});
  EXPECT_EQ(attached.status, 5) << attached.err;
  EXPECT_EQ(attached.out, "out\n");
  EXPECT_EQ(md({"start", "-a", "b"}).out, "out\n") << "again, from the same record";
  // start -a attaches output only (docker's): a container made with -i reads no stdin of ours
  // unless -i is given again.
  ASSERT_EQ(md({"create", "--name", "ci", "-i", "sh", "-c", "cat; echo end"}).status, 0);
  Options typed;
  typed.input = "typed\n";
  EXPECT_EQ(md({"start", "-a", "ci"}, typed).out, "end\n");
  EXPECT_EQ(md({"start", "-a", "-i", "ci"}, typed).out, "typed\nend\n");
  EXPECT_EQ(md({"start", "nosuch"}).status, 125);
}

}  // namespace
}  // namespace itest
