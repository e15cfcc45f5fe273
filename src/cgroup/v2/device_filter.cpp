#include "mydocker/cgroup/v2/device_filter.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mydocker/util/fd.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::v2 {
namespace {

// Registers: r1 the context, r2..r6 its fields, r7 scratch, r0 the verdict.
constexpr uint8_t kCtx = 1, kRaw = 2, kType = 3, kAccess = 4, kMajor = 5, kMinor = 6, kScratch = 7,
                  kResult = 0;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(uint8_t dst, int16_t offset) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, offset, 0);
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn and_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm);
}
bpf_insn rsh_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {  // the offset is filled in later
  return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access)
    bits |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  return bits;
}

// One rule: tests that jump past the block when it does not apply, then the verdict.
std::vector<bpf_insn> rule_block(const DeviceRule& r) {
  std::vector<bpf_insn> b;
  if (r.type != 'a')
    b.push_back(jump_imm(BPF_JNE, kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  const int32_t all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  const int32_t bits = access_bits(r.access);
  if (r.allow && bits != all) {  // "rwm" grants anything asked: no test
    b.push_back(mov_reg(kScratch, kAccess));
    b.push_back(and_imm(kScratch, ~bits & all));
    b.push_back(jump_imm(BPF_JNE, kScratch, 0));
  } else if (!r.allow && bits != all) {  // "rwm" takes whatever is asked: no test
    b.push_back(mov_reg(kScratch, kAccess));
    b.push_back(and_imm(kScratch, bits));
    b.push_back(jump_imm(BPF_JEQ, kScratch, 0));
  }
  if (r.major >= 0) b.push_back(jump_imm(BPF_JNE, kMajor, static_cast<int32_t>(r.major)));
  if (r.minor >= 0) b.push_back(jump_imm(BPF_JNE, kMinor, static_cast<int32_t>(r.minor)));
  b.push_back(mov_imm(kResult, r.allow ? 1 : 0));
  b.push_back(exit_insn());
  // Every jump goes to the end of the block: pc += off + 1.
  for (size_t i = 0; i < b.size(); ++i)
    if (BPF_CLASS(b[i].code) == BPF_JMP && BPF_OP(b[i].code) != BPF_EXIT)
      b[i].off = static_cast<int16_t>(b.size() - 1 - i);
  return b;
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

UniqueFd load_program(const std::vector<bpf_insn>& prog) {
  static const char license[] = "Apache-2.0";  // no GPL-only helper is called
  static char log[16384];
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uint64_t>(license);
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  if (fd) return fd;
  const int err = errno;
  attr.log_buf = reinterpret_cast<uint64_t>(log);  // again, for the verifier's reason
  attr.log_size = sizeof log;
  attr.log_level = 1;
  log[0] = '\0';
  UniqueFd again(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  throw Error("bpf(BPF_PROG_LOAD) of the device filter (" + std::to_string(prog.size()) +
              " instructions): " + errno_text(err) + (log[0] ? std::string(": ") + log : ""));
}

uint32_t program_id(int fd) {
  bpf_prog_info info{};
  bpf_attr attr{};
  attr.info.bpf_fd = static_cast<uint32_t>(fd);
  attr.info.info_len = sizeof info;
  attr.info.info = reinterpret_cast<uint64_t>(&info);
  return bpf(BPF_OBJ_GET_INFO_BY_FD, attr) == 0 ? info.id : 0;
}

// The ids of the device programs attached to the cgroup itself (not inherited).
std::vector<uint32_t> attached_ids(int cgroup_fd) {
  uint32_t ids[64];
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  attr.query.prog_cnt = 64;
  if (bpf(BPF_PROG_QUERY, attr) != 0) return {};
  return std::vector<uint32_t>(ids, ids + std::min<uint32_t>(attr.query.prog_cnt, 64));
}

void detach(int cgroup_fd, uint32_t id) {
  bpf_attr get{};
  get.prog_id = id;
  UniqueFd prog(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, get)));
  if (!prog) return;  // gone meanwhile
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, attr) != 0 && errno != ENOENT)
    throw SysError(errno, "bpf(BPF_PROG_DETACH) of the old device filter " + std::to_string(id));
}

std::string describe(const std::vector<DeviceRule>& rules) {
  std::string out;
  for (const auto& r : rules)
    out += (out.empty() ? "" : ", ") + std::string(r.allow ? "allow " : "deny ") + r.text();
  return out;
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> p = {
      load_u32(kRaw, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov_reg(kType, kRaw),
      and_imm(kType, 0xffff),
      mov_reg(kAccess, kRaw),
      rsh_imm(kAccess, 16),
      load_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    auto block = rule_block(*it);
    p.insert(p.end(), block.begin(), block.end());
    // A rule without a test matches everything: what follows could never run, and the
    // verifier refuses unreachable instructions.
    if (block.size() == 2) return p;
  }
  p.push_back(mov_imm(kResult, 0));
  p.push_back(exit_insn());
  return p;
}

void attach_device_filter(const Fs& fs, const std::string& dir,
                          const std::vector<DeviceRule>& rules) {
  const auto prog = device_filter_program(rules);
  const std::string note = "   # BPF_PROG_TYPE_CGROUP_DEVICE, " + std::to_string(prog.size()) +
                           " instructions from " + std::to_string(rules.size()) +
                           " rules, the last match wins: " + describe(rules);
  if (fs.dry_run()) {
    trace::emit("bpftool cgroup attach " + trace::quote(dir) + " device id $PROG multi" + note);
    return;
  }
  UniqueFd cgroup(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) throw SysError(errno, "open " + dir);
  const auto before = attached_ids(cgroup.get());
  UniqueFd fd = load_program(prog);
  trace::emit("bpftool cgroup attach " + trace::quote(dir) + " device id " +
              std::to_string(program_id(fd.get())) + " multi" + note);
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup.get());
  attr.attach_bpf_fd = static_cast<uint32_t>(fd.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) != 0)
    throw SysError(errno, "bpf(BPF_PROG_ATTACH) of the device filter to " + dir);
  for (uint32_t id : before) {
    trace::emit("bpftool cgroup detach " + trace::quote(dir) + " device id " + std::to_string(id));
    detach(cgroup.get(), id);
  }
}

}  // namespace mydocker::v2
