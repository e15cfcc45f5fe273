// What the parent sends the container's init (config, failure) and the OOM message.

#include "mydocker/init/protocol.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/runtime/run.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

InitConfig sample_config() {
  InitConfig c;
  c.argv = {"sh", "-c", "echo 'hello world' && exit 3", "", "last arg"};
  c.env = {"PATH=/usr/bin:/bin", "EMPTY=", "WITH_NEWLINE=a\nb", "HOME=/root"};
  c.hostname = "3f2a9c8e1b7d";
  c.join_files = {"/sys/fs/cgroup/memory/mydocker/x/tasks", "/sys/fs/cgroup/cpu,cpuacct/x/tasks"};
  c.interactive = true;
  c.tty = false;
  c.trace = true;
  c.rootfs = "/data/containers/x/merged";
  c.lower = "/data/images/y/rootfs";
  c.upper = "/data/containers/x/upper";
  c.work = "/data/containers/x/work";
  c.volatile_upper = true;
  c.layer_owner = "/run/mydocker";
  c.readonly_rootfs = true;
  c.mounts = {{"/srv", "/v", "", "", true, false},
              {"tmpfs", "/t", "tmpfs", "size=1m", false, false}};
  c.new_net = false;
  c.uid = 1000;
  c.gid = 50;
  c.groups = {7, 8};
  c.capabilities = {"CAP_CHOWN", "CAP_KILL"};
  c.no_new_privs = false;
  c.seccomp_bpf = std::string("\x00\x01\xff\x20", 4);
  c.rlimits = {{7, 100, 200}};
  c.userns = true;
  c.uid_base = 1000000000;
  c.uid_count = 65536;
  c.gid_base = 2000000000;
  c.gid_count = 1000;
  c.idmapped = {{"/data/containers/x", "/data/containers/x", "", "", false, false}};
  c.cgroup_view = true;
  c.cgroup_binds = {{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/mydocker-x"}};
  c.cgroup2_dir = "/sys/fs/cgroup/a/mydocker/x";
  c.new_cgroupns = true;
  c.cgroup_ns_fd = 12;
  return c;
}

void expect_same(const InitConfig& a, const InitConfig& b) {
  EXPECT_EQ(a.argv, b.argv);
  EXPECT_EQ(a.env, b.env);
  EXPECT_EQ(a.hostname, b.hostname);
  EXPECT_EQ(a.join_files, b.join_files);
  EXPECT_EQ(a.interactive, b.interactive);
  EXPECT_EQ(a.tty, b.tty);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.rootfs, b.rootfs);
  EXPECT_EQ(a.lower, b.lower);
  EXPECT_EQ(a.upper, b.upper);
  EXPECT_EQ(a.work, b.work);
  EXPECT_EQ(a.volatile_upper, b.volatile_upper);
  EXPECT_EQ(a.layer_owner, b.layer_owner);
  EXPECT_EQ(a.readonly_rootfs, b.readonly_rootfs);
  ASSERT_EQ(a.mounts.size(), b.mounts.size());
  for (size_t i = 0; i < a.mounts.size(); ++i) {
    EXPECT_EQ(a.mounts[i].source, b.mounts[i].source);
    EXPECT_EQ(a.mounts[i].target, b.mounts[i].target);
    EXPECT_EQ(a.mounts[i].fstype, b.mounts[i].fstype);
    EXPECT_EQ(a.mounts[i].data, b.mounts[i].data);
    EXPECT_EQ(a.mounts[i].readonly, b.mounts[i].readonly);
  }
  EXPECT_EQ(a.new_net, b.new_net);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.gid, b.gid);
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_EQ(a.capabilities, b.capabilities);
  EXPECT_EQ(a.no_new_privs, b.no_new_privs);
  EXPECT_EQ(a.seccomp_bpf, b.seccomp_bpf);
  EXPECT_EQ(a.rlimits, b.rlimits);
  EXPECT_EQ(a.userns, b.userns);
  EXPECT_EQ(a.uid_base, b.uid_base);
  EXPECT_EQ(a.uid_count, b.uid_count);
  EXPECT_EQ(a.gid_base, b.gid_base);
  EXPECT_EQ(a.gid_count, b.gid_count);
  EXPECT_EQ(a.idmapped.size(), b.idmapped.size());
  EXPECT_EQ(a.cgroup_view, b.cgroup_view);
  EXPECT_EQ(a.cgroup_binds, b.cgroup_binds);
  EXPECT_EQ(a.cgroup2_dir, b.cgroup2_dir);
  EXPECT_EQ(a.new_cgroupns, b.new_cgroupns);
  EXPECT_EQ(a.cgroup_ns_fd, b.cgroup_ns_fd);
}

TEST(InitConfigCodec, RoundTripsEveryField) {
  const InitConfig c = sample_config();
  auto decoded = decode_init_config(encode_init_config(c));
  ASSERT_TRUE(decoded.has_value());
  expect_same(*decoded, c);
}

// oci create's init re-executes itself (CVE-2019-5736) and reads the bundle's fields back.
TEST(InitConfigCodec, RoundTripsTheOciFields) {
  InitConfig c = sample_config();
  c.oci = true;
  c.oci_mounts = {{"proc", "/proc", "proc", "", 6, 0, 0, 0, false},
                  {"/etc/x", "/x", "bind", "", 4096 | 1, 1 << 19, 1, 2, true}};
  c.masked_paths = {"/proc/kcore"};
  c.readonly_paths = {"/proc/sys"};
  c.cgroup_binds = {{"memory", "/sys/fs/cgroup/memory/a/b"}};
  c.cgroup2_dir = "/sys/fs/cgroup/unified/a";
  c.rootfs_propagation = (1 << 19) | 16384;
  c.no_pivot = true;
  c.new_uts = false;
  c.new_ipc = false;
  c.domainname = "example.org";
  c.sysctls = {{"net.ipv4.ip_forward", "1"}};
  c.personality = 8;
  c.oom_score_adj = -500;
  c.umask = 027;
  c.cap_effective = {"CAP_KILL"};
  c.cap_ambient = {"CAP_NET_RAW"};
  c.create_container_hooks = {{"/bin/hook", {"hook", "a"}, {"K=v"}, 5}};
  c.start_container_hooks = {{"/bin/start", {}, {}, 0}};
  c.make_console = true;
  c.join_namespaces = {{7, 0x10000000}, {9, 0x40000000}};
  c.exec_fifo_fd = 11;
  c.preserve_fds = 2;
  c.seccomp_flags = 1;
  auto d = decode_init_config(encode_init_config(c));
  ASSERT_TRUE(d.has_value());
  expect_same(*d, c);
  EXPECT_TRUE(d->oci);
  EXPECT_EQ(d->oci_mounts, c.oci_mounts);
  EXPECT_EQ(d->masked_paths, c.masked_paths);
  EXPECT_EQ(d->readonly_paths, c.readonly_paths);
  EXPECT_EQ(d->cgroup_binds, c.cgroup_binds);
  EXPECT_EQ(d->cgroup2_dir, c.cgroup2_dir);
  EXPECT_EQ(d->rootfs_propagation, c.rootfs_propagation);
  EXPECT_TRUE(d->no_pivot);
  EXPECT_FALSE(d->new_uts);
  EXPECT_FALSE(d->new_ipc);
  EXPECT_EQ(d->domainname, c.domainname);
  EXPECT_EQ(d->sysctls, c.sysctls);
  EXPECT_EQ(d->personality, 8);
  EXPECT_EQ(d->oom_score_adj, -500);
  EXPECT_EQ(d->umask, 027u);
  EXPECT_EQ(d->cap_effective, c.cap_effective);
  EXPECT_EQ(d->cap_ambient, c.cap_ambient);
  EXPECT_EQ(d->create_container_hooks, c.create_container_hooks);
  EXPECT_EQ(d->start_container_hooks, c.start_container_hooks);
  EXPECT_TRUE(d->make_console);
  EXPECT_EQ(d->join_namespaces, c.join_namespaces);
  EXPECT_EQ(d->exec_fifo_fd, 11);
  EXPECT_EQ(d->preserve_fds, 2);
  EXPECT_EQ(d->seccomp_flags, 1u);
  EXPECT_EQ(d->exec_stub_fd, -1) << "the re-executed init execs the command itself";
  c.oom_score_adj.reset();
  EXPECT_FALSE(decode_init_config(encode_init_config(c))->oom_score_adj.has_value());
}

// exec reads the process part back from config.json.
TEST(ProcessJson, RoundTripsWhatExecNeeds) {
  const InitConfig c = sample_config();
  InitConfig back;
  ASSERT_TRUE(read_process_json(nlohmann::json::parse(process_json(c).dump()), back));
  EXPECT_EQ(back.env, c.env);
  EXPECT_EQ(back.uid, c.uid);
  EXPECT_EQ(back.gid, c.gid);
  EXPECT_EQ(back.groups, c.groups);
  EXPECT_EQ(back.capabilities, c.capabilities);
  EXPECT_EQ(back.no_new_privs, c.no_new_privs);
  EXPECT_EQ(back.seccomp_bpf, c.seccomp_bpf);
  EXPECT_EQ(back.rlimits, c.rlimits);
  EXPECT_FALSE(read_process_json(nlohmann::json(), back));
  EXPECT_FALSE(read_process_json(nlohmann::json{{"env", 3}}, back));
  auto odd = process_json(c);
  odd["seccomp"] = "abc";  // not whole bytes
  EXPECT_FALSE(read_process_json(odd, back));
}

// In a user namespace the parent sends a tree per idmapped entry and per bind mount.
TEST(InitConfig, CountsTheTreesTheParentSends) {
  InitConfig c = sample_config();
  EXPECT_EQ(c.tree_count(), 2u);  // the container's directory, the /srv volume (not the tmpfs)
  c.userns = false;
  EXPECT_EQ(c.tree_count(), 0u);
}

TEST(InitConfigCodec, RoundTripsEachFlagCombination) {
  for (int bits = 0; bits < 8; ++bits) {
    InitConfig c;
    c.argv = {"true"};
    c.interactive = bits & 1;
    c.tty = bits & 2;
    c.trace = bits & 4;
    auto decoded = decode_init_config(encode_init_config(c));
    ASSERT_TRUE(decoded.has_value()) << bits;
    expect_same(*decoded, c);
  }
}

TEST(InitConfigCodec, RoundTripsEmptyListsAndBinaryBytes) {
  InitConfig c;
  c.argv = {std::string("a\0b", 3), std::string(70000, 'x')};
  c.hostname = "";
  auto decoded = decode_init_config(encode_init_config(c));
  ASSERT_TRUE(decoded.has_value());
  expect_same(*decoded, c);
  EXPECT_TRUE(decoded->env.empty());
  EXPECT_TRUE(decoded->join_files.empty());
}

TEST(InitConfigCodec, RejectsEveryTruncation) {
  const std::string data = encode_init_config(sample_config());
  for (size_t n = 0; n < data.size(); ++n)
    EXPECT_FALSE(decode_init_config(std::string_view(data).substr(0, n)).has_value())
        << "accepted the first " << n << " of " << data.size() << " bytes";
}

TEST(InitConfigCodec, RejectsTrailingBytes) {
  EXPECT_FALSE(decode_init_config(encode_init_config(sample_config()) + "x").has_value());
}

// The config travels as CBOR with a version: another version is refused.
TEST(InitConfigCodec, RejectsAnotherVersion) {
  auto j = nlohmann::json::from_cbor(encode_init_config(sample_config()));
  j["v"] = 1;
  auto bytes = nlohmann::json::to_cbor(j);
  EXPECT_FALSE(decode_init_config(std::string(bytes.begin(), bytes.end())).has_value());
}

TEST(InitConfigCodec, RejectsGarbage) {
  EXPECT_FALSE(decode_init_config("").has_value());
  EXPECT_FALSE(decode_init_config("hello world").has_value());
  EXPECT_FALSE(decode_init_config(std::string(64, '\xff')).has_value());
}

TEST(InitConfigCodec, RejectsATruncatedOrMistypedConfig) {
  const std::string data = encode_init_config(sample_config());
  EXPECT_FALSE(decode_init_config(data.substr(0, data.size() / 2)).has_value());
  auto j = nlohmann::json::from_cbor(data);
  j["argv"] = 5;  // a number where a list belongs
  auto bytes = nlohmann::json::to_cbor(j);
  EXPECT_FALSE(decode_init_config(std::string(bytes.begin(), bytes.end())).has_value());
}

TEST(InitConfigCodec, RejectsAnEmptyCommand) {
  InitConfig c;  // argv empty: nothing to exec
  EXPECT_FALSE(decode_init_config(encode_init_config(c)).has_value());
}

TEST(InitFailureCodec, RoundTrips) {
  const InitFailure f{127, "exec: \"nope\": executable file not found in $PATH"};
  auto decoded = decode_failure(encode_failure(f));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->exit_code, 127);
  EXPECT_EQ(decoded->message, f.message);
}

TEST(InitFailureCodec, KeepsNewlinesAndEmptyMessages) {
  auto decoded = decode_failure(encode_failure({125, "line 1\nline 2\n"}));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->exit_code, 125);
  EXPECT_EQ(decoded->message, "line 1\nline 2\n");

  decoded = decode_failure(encode_failure({126, ""}));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->message, "");
}

TEST(InitFailureCodec, EncodesAsCodeNewlineMessage) {
  EXPECT_EQ(encode_failure({126, "permission denied"}), "126\npermission denied");
}

// A message over the pipe's capacity blocked the init's write forever while its parent waited
// on the sync socket: cut to kMaxFailureSize (PIPE_BUF), its start and its reason kept.
TEST(InitFailureCodec, ALongMessageIsCutInTheMiddleToOnePipeBuf) {
  const std::string message = "hostname " + std::string(70000, 'h') + ": Invalid argument";
  const std::string text = encode_failure({125, message});
  EXPECT_EQ(text.size(), kMaxFailureSize);
  auto decoded = decode_failure(text);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->exit_code, 125);
  EXPECT_EQ(decoded->message.rfind("hostname hhh", 0), 0u);
  EXPECT_NE(decoded->message.find(std::to_string(message.size()) + " bytes in all, truncated"),
            std::string::npos);
  EXPECT_TRUE(decoded->message.ends_with("hh: Invalid argument")) << decoded->message;
  const std::string fits(kMaxFailureSize - 4, 'x');  // "125\n" and all of it
  EXPECT_EQ(encode_failure({125, fits}), "125\n" + fits);
}

TEST(InitFailureCodec, ACutNeverSplitsAUtf8Character) {
  std::string text;
  while (text.size() < 3 * kMaxFailureSize) text += "\xc3\xa9";  // é
  const std::string cut = encode_failure({125, text + "!"});
  EXPECT_LE(cut.size(), kMaxFailureSize);
  const std::string message = cut.substr(4);
  const size_t mark = message.find(" [...");
  ASSERT_NE(mark, std::string::npos);
  EXPECT_EQ(mark % 2, 0u) << "the head ends inside a character";
  const size_t tail = message.find("...] ") + 5;
  EXPECT_EQ((message.size() - 1 - tail) % 2, 0u) << "the tail starts inside a character";
}

TEST(InitFailureCodec, RejectsGarbage) {
  for (const std::string data :
       {"", "garbage", "abc\nmessage", "\nmessage", "0\nx", "256\nx", "-1\nx", "12 \nx", "125"}) {
    EXPECT_FALSE(decode_failure(data).has_value()) << "accepted '" << data << "'";
  }
}

// ---- oom_message ----

Stats oom_stats(uint64_t kills, std::optional<int64_t> limit, uint64_t peak) {
  Stats s;
  s.memory = MemoryStats{};
  s.memory->oom_kills = kills;
  s.memory->limit = limit;
  s.memory->peak = peak;
  return s;
}

TEST(OomMessage, OneProcess) {
  EXPECT_EQ(oom_message(oom_stats(1, 104857600, 104857600), test::kId),
            "1 process of container 3f2a9c8e1b7d was killed by the OOM killer (memory limit "
            "100MiB, peak 100MiB)");
}

TEST(OomMessage, SeveralProcesses) {
  EXPECT_EQ(oom_message(oom_stats(2, 104857600, 103809024), test::kId),
            "2 processes of container 3f2a9c8e1b7d were killed by the OOM killer (memory limit "
            "100MiB, peak 99MiB)");
}

TEST(OomMessage, WithoutALimit) {
  EXPECT_EQ(oom_message(oom_stats(1, std::nullopt, 1073741824), test::kId),
            "1 process of container 3f2a9c8e1b7d was killed by the OOM killer (no memory limit, "
            "peak 1GiB)");
}

TEST(OomMessage, EmptyWhenNothingWasKilled) {
  EXPECT_EQ(oom_message(oom_stats(0, 104857600, 104857600), test::kId), "");
  EXPECT_EQ(oom_message(Stats{}, test::kId), "");
}

}  // namespace
}  // namespace mydocker
