// Classic BPF for seccomp: interpreter and compactor (see bpf.hpp).
//
// How compact() stays exact. The "prefix" of a program is what runs before it first looks at
// an argument or the instruction pointer: loads of the architecture (offset 4) and the number
// (offset 0), comparisons of those with constants, returns of constants. A forward pass tags
// what A holds at each instruction; a prefix that compares the architecture other than by
// equality, tests bits of the number, computes on either or touches X or the scratch memory is
// not modelled. Within the prefix the result can only change where a comparison's constant
// draws a line, so evaluating one number per range between those lines, for each architecture
// the program names and one it does not, gives every outcome: a return value, or "continues at
// instruction P" (P loads an argument: A is overwritten there, X and the scratch memory are
// still zero as at the start). The new program dispatches on the architecture, searches the
// merged ranges of each, and continues in a verbatim copy of every instruction reachable from
// such a P, in their original order (so each copied jump only gets shorter).

#include "mydocker/seccomp/bpf.hpp"

#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>

namespace mydocker::bpf {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "seccomp_data words assume little-endian");

constexpr uint32_t kDataSize = sizeof(seccomp_data);
constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOffset = offsetof(seccomp_data, arch);

uint32_t load_word(const SyscallData& d, uint32_t off) {
  if (off == kNrOffset) return d.nr;
  if (off == kArchOffset) return d.arch;
  const uint64_t v = off < 16 ? d.instruction_pointer : d.args[(off - 16) / 8];
  return off % 8 == 0 ? static_cast<uint32_t>(v) : static_cast<uint32_t>(v >> 32);
}

std::optional<uint32_t> alu(uint16_t op, uint32_t a, uint32_t b) {
  switch (op) {
    case BPF_ADD:
      return a + b;
    case BPF_SUB:
      return a - b;
    case BPF_MUL:
      return a * b;
    case BPF_DIV:
      return b ? a / b : 0;  // the kernel: X == 0 ends the program with 0
    case BPF_MOD:
      return b ? a % b : 0;
    case BPF_OR:
      return a | b;
    case BPF_AND:
      return a & b;
    case BPF_XOR:
      return a ^ b;
    case BPF_LSH:
      return b < 32 ? a << b : 0;
    case BPF_RSH:
      return b < 32 ? a >> b : 0;
    case BPF_NEG:
      return -a;
    default:
      return std::nullopt;
  }
}

bool condition(uint16_t op, uint32_t a, uint32_t b) {
  switch (op) {
    case BPF_JEQ:
      return a == b;
    case BPF_JGT:
      return a > b;
    case BPF_JGE:
      return a >= b;
    default:
      return (a & b) != 0;  // BPF_JSET
  }
}

// ---- compact() ----

enum class Holds { kNothing, kNr, kArch, kOther, kMixed };

Holds merge(Holds a, Holds b) {
  if (a == Holds::kNothing) return b;
  if (b == Holds::kNothing || a == b) return a;
  return Holds::kMixed;
}

bool is_jump(uint16_t code) { return BPF_CLASS(code) == BPF_JMP; }
// ret K, ja, and a load of a word of seccomp_data (which replaces A).
bool ignores_a(const sock_filter& f) {
  return f.code == (BPF_RET | BPF_K) || f.code == (BPF_JMP | BPF_JA) ||
         f.code == (BPF_LD | BPF_W | BPF_ABS);
}
bool loads_argument(const sock_filter& f) {
  return f.code == (BPF_LD | BPF_W | BPF_ABS) && f.k >= 8 && f.k < kDataSize && f.k % 4 == 0;
}

// What A holds before each instruction, along the paths from the start that stay in the
// prefix; kOther past an argument load. nullopt for a prefix this does not model.
struct Shape {
  std::vector<Holds> holds;
  std::set<uint32_t> arch_constants;  // compared with jeq to the architecture
  std::set<uint32_t> nr_lines;        // the first number of each range the prefix tells apart
};

bool prefix_step(const sock_filter& f, Holds in, Holds& out, Shape& s) {
  const uint16_t cls = BPF_CLASS(f.code);
  if (cls == BPF_RET) return BPF_RVAL(f.code) == BPF_K;
  if (f.code == (BPF_LD | BPF_W | BPF_ABS)) {
    if (f.k == kNrOffset)
      out = Holds::kNr;
    else if (f.k == kArchOffset)
      out = Holds::kArch;
    else
      return loads_argument(f) && ((out = Holds::kOther), true);
    return true;
  }
  if (cls != BPF_JMP || BPF_SRC(f.code) != BPF_K) return false;
  const uint16_t op = BPF_OP(f.code);
  if (op == BPF_JA) return true;
  if (in == Holds::kArch) {
    if (op != BPF_JEQ) return false;
    s.arch_constants.insert(f.k);
  } else if (in == Holds::kNr) {
    if (op == BPF_JSET) return false;
    // jeq k: {k} is a range of its own; jgt k: k+1 starts one; jge k: k starts one.
    if (op == BPF_JEQ || op == BPF_JGE) s.nr_lines.insert(f.k);
    if ((op == BPF_JEQ || op == BPF_JGT) && f.k != UINT32_MAX) s.nr_lines.insert(f.k + 1);
  } else {
    return false;
  }
  return true;
}

std::optional<Shape> shape_of(const Program& p) {
  Shape s;
  s.holds.assign(p.size(), Holds::kNothing);
  std::vector<bool> reached(p.size(), false);
  if (p.empty()) return std::nullopt;
  reached[0] = true;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!reached[i]) continue;
    const Holds in = s.holds[i];
    if (in == Holds::kOther) continue;  // past an argument load: copied, not modelled
    // Reached with A holding different things (a shared "ret", a reload): only what does not
    // read A is modelled there.
    if (in == Holds::kMixed && !ignores_a(p[i])) return std::nullopt;
    Holds out = in;
    if (!prefix_step(p[i], in, out, s)) return std::nullopt;
    auto flow = [&](size_t to) {
      if (to >= p.size()) return false;
      reached[to] = true;
      s.holds[to] = merge(s.holds[to], out);
      return true;
    };
    const sock_filter& f = p[i];
    if (BPF_CLASS(f.code) == BPF_RET) continue;
    if (!is_jump(f.code)) {
      if (!flow(i + 1)) return std::nullopt;
    } else if (BPF_OP(f.code) == BPF_JA) {
      if (!flow(i + 1 + f.k)) return std::nullopt;
    } else if (!flow(i + 1 + f.jt) || !flow(i + 1 + f.jf)) {
      return std::nullopt;
    }
  }
  return s;
}

// Where the prefix ends for one architecture and number: a return value or the argument load
// it continues at.
struct Outcome {
  bool returns = true;
  uint32_t value = 0;  // the return value, or the instruction index
  bool operator==(const Outcome& o) const { return returns == o.returns && value == o.value; }
};

Outcome prefix_outcome(const Program& p, uint32_t arch, uint32_t nr) {
  uint32_t a = 0;
  for (size_t pc = 0;;) {
    const sock_filter& f = p[pc];
    if (BPF_CLASS(f.code) == BPF_RET) return {true, f.k};
    if (loads_argument(f)) return {false, static_cast<uint32_t>(pc)};
    if (BPF_CLASS(f.code) == BPF_LD) {
      a = f.k == kNrOffset ? nr : arch;
      ++pc;
    } else if (BPF_OP(f.code) == BPF_JA) {
      pc += 1 + f.k;
    } else {
      pc += 1 + (condition(BPF_OP(f.code), a, f.k) ? f.jt : f.jf);
    }
  }
}

struct Range {
  uint32_t first = 0;
  Outcome outcome;
};

// The architecture's ranges of numbers with one outcome each, adjacent equal ones merged.
std::vector<Range> ranges_for(const Program& p, const Shape& s, uint32_t arch) {
  std::vector<Range> out;
  std::vector<uint32_t> starts{0};
  for (uint32_t line : s.nr_lines)
    if (line != 0) starts.push_back(line);
  for (uint32_t first : starts) {
    const Outcome o = prefix_outcome(p, arch, first);
    if (out.empty() || !(out.back().outcome == o)) out.push_back({first, o});
  }
  return out;
}

// The program being written, with the jumps to places not yet written kept aside.
class Writer {
 public:
  Program code;
  struct Fixup {
    size_t at;
    uint32_t target;  // an instruction of the original program (its copy)
  };
  std::vector<Fixup> to_copies;  // `ja` to the copy of an argument load
  bool ok = true;

  void emit(uint16_t code_, uint8_t jt, uint8_t jf, uint32_t k) {
    code.push_back(sock_filter{code_, jt, jf, k});
  }
  void leaf(const Outcome& o) {
    if (o.returns) return emit(BPF_RET | BPF_K, 0, 0, o.value);
    to_copies.push_back({code.size(), o.value});
    emit(BPF_JMP | BPF_JA, 0, 0, 0);
  }
  // ranges[l..r]: a binary search on the number in A, each outcome a leaf of its own.
  void search(const std::vector<Range>& ranges, size_t l, size_t r) {
    if (l == r) return leaf(ranges[l].outcome);
    const size_t m = (l + r + 1) / 2;
    const size_t at = code.size();
    emit(BPF_JMP | BPF_JGE | BPF_K, 0, 0, ranges[m].first);
    search(ranges, l, m - 1);
    const size_t skip = code.size() - at - 1;
    if (skip > 255) ok = false;  // a conditional jump reaches 255 instructions at most
    code[at].jt = static_cast<uint8_t>(skip);
    search(ranges, m, r);
  }

  // The same search with the leaves shared: every comparison jumps straight to one copy of
  // each outcome, written after the comparisons (a `ret` per range would double the program,
  // and the kernel's load time grows with its length). False, with nothing written, when an
  // outcome lies beyond a conditional jump's 255 instructions.
  bool search_shared(const std::vector<Range>& ranges) {
    const size_t base = code.size();
    struct Node {
      size_t at;
      size_t targets[2];  // jf, jt: a node's index, or kOutcome + the outcome's index
    };
    constexpr size_t kOutcome = std::numeric_limits<size_t>::max() / 2;
    std::vector<Outcome> outcomes;
    std::vector<Node> nodes;
    auto outcome_of = [&](const Outcome& o) {
      for (size_t i = 0; i < outcomes.size(); ++i)
        if (outcomes[i] == o) return kOutcome + i;
      outcomes.push_back(o);
      return kOutcome + outcomes.size() - 1;
    };
    // Pre-order: a node, its lower half, its upper half.
    std::function<size_t(size_t, size_t)> node = [&](size_t l, size_t r) -> size_t {
      if (l == r) return outcome_of(ranges[l].outcome);
      const size_t m = (l + r + 1) / 2;
      const size_t index = nodes.size();
      nodes.push_back({base + index, {0, 0}});
      emit(BPF_JMP | BPF_JGE | BPF_K, 0, 0, ranges[m].first);
      const size_t lower = node(l, m - 1);
      const size_t upper = node(m, r);
      nodes[index].targets[0] = lower;
      nodes[index].targets[1] = upper;
      return index;
    };
    (void)node(0, ranges.size() - 1);
    const size_t pool = code.size();
    auto where = [&](size_t target) {
      return target >= kOutcome ? pool + (target - kOutcome) : nodes[target].at;
    };
    for (const Node& n : nodes)
      for (size_t target : n.targets)
        if (where(target) - n.at - 1 > 255) {
          code.resize(base);
          return false;
        }
    for (const Node& n : nodes) {
      code[n.at].jf = static_cast<uint8_t>(where(n.targets[0]) - n.at - 1);
      code[n.at].jt = static_cast<uint8_t>(where(n.targets[1]) - n.at - 1);
    }
    for (const Outcome& o : outcomes) leaf(o);
    return true;
  }
};

// Every instruction reachable from the argument loads the outcomes continue at; nullopt when
// one of them jumps or runs off the end (the kernel would refuse the program).
std::optional<std::vector<bool>> copied_part(const Program& p,
                                             const std::vector<uint32_t>& starts) {
  std::vector<bool> keep(p.size(), false);
  auto mark = [&](uint64_t at) {
    if (at >= p.size()) return false;
    keep[at] = true;
    return true;
  };
  for (uint32_t s : starts)
    if (!mark(s)) return std::nullopt;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!keep[i]) continue;
    const sock_filter& f = p[i];
    if (BPF_CLASS(f.code) == BPF_RET) continue;
    bool ok = true;
    if (!is_jump(f.code))
      ok = mark(i + 1);
    else if (BPF_OP(f.code) == BPF_JA)
      ok = mark(i + 1 + uint64_t{f.k});
    else
      ok = mark(i + 1 + f.jt) && mark(i + 1 + f.jf);
    if (!ok) return std::nullopt;
  }
  return keep;
}

// Appends the copied part and resolves the jumps into it. False if a jump cannot be encoded.
bool append_copies(Writer& w, const Program& p) {
  std::vector<uint32_t> starts;
  for (const auto& f : w.to_copies) starts.push_back(f.target);
  const auto copied = copied_part(p, starts);
  if (!copied) return false;
  const std::vector<bool>& keep = *copied;
  std::vector<size_t> where(p.size(), 0);
  const size_t base = w.code.size();
  size_t n = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (keep[i]) where[i] = base + n++;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!keep[i]) continue;
    sock_filter f = p[i];
    const size_t at = where[i];
    if (is_jump(f.code) && BPF_OP(f.code) == BPF_JA) {
      f.k = static_cast<uint32_t>(where[i + 1 + f.k] - at - 1);
    } else if (is_jump(f.code)) {
      f.jt = static_cast<uint8_t>(where[i + 1 + p[i].jt] - at - 1);
      f.jf = static_cast<uint8_t>(where[i + 1 + p[i].jf] - at - 1);
    }
    w.code.push_back(f);
  }
  for (const auto& fix : w.to_copies)
    w.code[fix.at].k = static_cast<uint32_t>(where[fix.target] - fix.at - 1);
  return true;
}

uint32_t unnamed_arch(const Shape& s) {
  uint32_t v = 0;
  while (s.arch_constants.count(v)) ++v;
  return v;
}

}  // namespace

Program program_of(std::string_view bytes) {
  Program prog(bytes.size() / sizeof(sock_filter));
  std::memcpy(prog.data(), bytes.data(), prog.size() * sizeof(sock_filter));
  return prog;
}

std::optional<uint32_t> run(const Program& prog, const SyscallData& d) {
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    const uint16_t cls = BPF_CLASS(f.code);
    const uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
    switch (cls) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v = 0;
        const uint16_t mode = BPF_MODE(f.code);
        if (mode == BPF_ABS && BPF_SIZE(f.code) == BPF_W && f.k < kDataSize && f.k % 4 == 0)
          v = load_word(d, f.k);
        else if (mode == BPF_IMM)
          v = f.k;
        else if (mode == BPF_MEM && f.k < BPF_MEMWORDS)
          v = mem[f.k];
        else if (mode == BPF_LEN)
          v = kDataSize;
        else
          return std::nullopt;
        (cls == BPF_LD ? a : x) = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (f.k >= BPF_MEMWORDS) return std::nullopt;
        mem[f.k] = cls == BPF_ST ? a : x;
        break;
      case BPF_ALU: {
        if ((BPF_OP(f.code) == BPF_DIV || BPF_OP(f.code) == BPF_MOD) && src == 0) return 0u;
        auto v = alu(BPF_OP(f.code), a, src);
        if (!v) return std::nullopt;
        a = *v;
        break;
      }
      case BPF_JMP:
        if (BPF_OP(f.code) == BPF_JA)
          pc += f.k;
        else
          pc += condition(BPF_OP(f.code), a, src) ? f.jt : f.jf;
        break;
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : f.k;
      default:  // BPF_MISC
        if (BPF_MISCOP(f.code) == BPF_TAX)
          x = a;
        else
          a = x;
    }
  }
  return std::nullopt;  // ran off the end
}

std::optional<Program> compact(const Program& prog) {
  const auto shape = shape_of(prog);
  if (!shape) return std::nullopt;
  Writer w;
  w.emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, kArchOffset);
  // jeq ARCH, 0, 1; ja SECTION (the sections are too far for a conditional jump); then the
  // section of every other architecture, where the last jeq falls through.
  std::vector<std::pair<uint32_t, size_t>> named;  // architecture, its `ja`
  for (uint32_t arch : shape->arch_constants) {
    w.emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, arch);
    named.emplace_back(arch, w.code.size());
    w.emit(BPF_JMP | BPF_JA, 0, 0, 0);
  }
  auto section = [&](uint32_t arch) {
    const std::vector<Range> ranges = ranges_for(prog, *shape, arch);
    if (ranges.size() > 1) w.emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, kNrOffset);
    if (ranges.size() == 1 || !w.search_shared(ranges)) w.search(ranges, 0, ranges.size() - 1);
  };
  section(unnamed_arch(*shape));
  for (const auto& [arch, ja] : named) {
    w.code[ja].k = static_cast<uint32_t>(w.code.size() - ja - 1);
    section(arch);
  }
  if (!w.ok || !append_copies(w, prog)) return std::nullopt;
  if (w.code.size() > BPF_MAXINSNS || w.code.size() >= prog.size()) return std::nullopt;
  return w.code;
}

bool same_results(const Program& a, const Program& b) {
  // Numbers: every constant either program compares with, and its neighbours. Arguments: the
  // constants of the instructions past the argument loads (all of them if `a` is not modelled).
  const auto shape = shape_of(a), other = shape_of(b);
  if (!shape || !other) return false;
  std::set<uint32_t> numbers{0, 1, UINT32_MAX, 0x3fffffff, 0x40000000};
  std::set<uint32_t> words{0, 1, UINT32_MAX};
  for (const Program* p : {&a, &b})
    for (size_t i = 0; i < p->size(); ++i) {
      const sock_filter& f = (*p)[i];
      if (BPF_SRC(f.code) != BPF_K || (!is_jump(f.code) && BPF_CLASS(f.code) != BPF_ALU)) continue;
      // An argument's constants: those of every instruction outside the prefix (the copied
      // part compares several of them, not only the first after the load).
      const auto& holds = (p == &a ? shape : other)->holds;
      const bool prefix = holds[i] == Holds::kNr || holds[i] == Holds::kArch;
      for (uint32_t v : {f.k - 1, f.k, f.k + 1}) {
        numbers.insert(v);
        if (!prefix) words.insert(v);
      }
    }
  std::set<uint32_t> arches(shape->arch_constants.begin(), shape->arch_constants.end());
  arches.insert({0, UINT32_MAX, unnamed_arch(*shape)});
  std::mt19937_64 rng(42);
  auto differ = [&](const SyscallData& d) { return run(a, d) != run(b, d); };
  for (uint32_t arch : arches)
    for (uint32_t nr : numbers) {
      SyscallData d{nr, arch, 0, {}};
      if (differ(d)) return false;
      const bool by_arguments = !prefix_outcome(a, arch, nr).returns;
      for (int k = 0; k < (by_arguments ? 32 : 2); ++k) {
        d.instruction_pointer = rng();
        for (auto& arg : d.args) arg = rng();
        if (differ(d)) return false;
      }
      if (!by_arguments) continue;
      for (auto& arg : d.args) arg = 0;
      d.instruction_pointer = 0;
      for (auto& arg : d.args)
        for (uint32_t v : words)
          for (uint64_t w : {uint64_t{v}, uint64_t{v} << 32, (uint64_t{v} << 32) | v}) {
            arg = w;
            if (differ(d)) return false;
            arg = 0;
          }
    }
  return true;
}

}  // namespace mydocker::bpf
