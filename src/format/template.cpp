#include "mydocker/format/template.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include "go_functions.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::tmpl {

using json = nlohmann::json;

struct Pipeline;

// One operand: .A.B, ., "text", 12, true, nil, a function's name, or (a pipeline).
struct Arg {
  enum Kind { kField, kDot, kString, kNumber, kBool, kNil, kFunc, kSub } kind = kNil;
  std::vector<std::string> path;  // kField; kSub: fields of its result ((pipeline).A.B)
  std::string text;               // kString, kFunc
  json value;                     // kNumber, kBool
  std::shared_ptr<Pipeline> sub;  // kSub
};

struct Command {
  std::vector<Arg> args;
};

struct Pipeline {
  std::vector<Command> cmds;
  std::string where;  // "1:14", for execution errors
};

struct Node {
  enum Kind { kText, kAction, kIf, kRange, kWith } kind = kText;
  std::string text;
  Pipeline pipe;
  std::vector<std::shared_ptr<Node>> body, otherwise;
};

namespace {

using Nodes = std::vector<std::shared_ptr<Node>>;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw Error("template: " + where + ": " + what);
}

// ---- segments: text and actions, with {{- and -}} trimming ----

struct Segment {
  bool action = false;
  std::string text;
  std::string where;  // line:column of the action's first character
};

std::string position(const std::string& all, size_t at) {
  const size_t line = 1 + static_cast<size_t>(std::count(all.begin(), all.begin() + at, '\n'));
  const size_t start = all.rfind('\n', at == 0 ? 0 : at - 1);
  const size_t col = at - (start == std::string::npos || at == 0 ? 0 : start + 1) + 1;
  return std::to_string(line) + ":" + std::to_string(col);
}

// Go's comment: "/*" right after "{{" or "{{- ", "*/" right before "}}" or " -}}". Returns where
// the text after it starts; `trim` tells whether it ends with " -}}".
size_t comment_end(const std::string& t, size_t open, size_t body, bool& trim) {
  const size_t close = t.find("*/", body + 2);
  if (close == std::string::npos) fail(position(t, open), "unclosed comment");
  size_t after = close + 2;
  trim = t.compare(after, 4, " -}}") == 0;
  if (trim) after += 2;
  if (t.compare(after, 2, "}}") != 0)
    fail(position(t, open), "comment ends before closing delimiter");
  return after + 2;
}

std::vector<Segment> segments(const std::string& t) {
  std::vector<Segment> out;
  bool trim_next = false;
  for (size_t at = 0; at < t.size();) {
    size_t open = t.find("{{", at);
    std::string text = t.substr(at, open == std::string::npos ? std::string::npos : open - at);
    if (trim_next)
      text.erase(0, text.find_first_not_of(" \t\r\n") == std::string::npos
                        ? text.size()
                        : text.find_first_not_of(" \t\r\n"));
    if (open == std::string::npos) {
      if (!text.empty()) out.push_back({false, text, ""});
      break;
    }
    size_t body = open + 2;
    if (t.compare(body, 2, "- ") == 0 || t.compare(body, 2, "-\n") == 0 ||
        t.compare(body, 2, "-\t") == 0) {
      text.erase(text.find_last_not_of(" \t\r\n") + 1);
      body += 2;
    }
    if (!text.empty()) out.push_back({false, text, ""});
    if (t.compare(body, 2, "/*") == 0) {  // {{/* a comment */}}, which may hold "}}"
      at = comment_end(t, open, body, trim_next);
      continue;
    }
    const size_t close = t.find("}}", body);
    if (close == std::string::npos) fail(position(t, open), "unclosed action");
    size_t end = close;
    trim_next = close >= 2 && t.compare(close - 2, 2, " -") == 0 && close - 2 >= body;
    if (trim_next) end = close - 2;
    out.push_back({true, t.substr(body, end - body), position(t, open)});
    at = close + 2;
  }
  return out;
}

// ---- tokens of an action ----

struct Token {
  enum Kind { kWord, kField, kDot, kString, kNumber, kPipe, kOpen, kClose } kind;
  std::string text;
  bool chained = false;  // a field right after ')': Go's (pipeline).Field
};

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string quoted(const std::string& s, size_t& i, const std::string& where) {
  std::string out;
  const char q = s[i++];
  for (; i < s.size() && s[i] != q; ++i) {
    if (q == '"' && s[i] == '\\' && i + 1 < s.size()) {
      const char e = s[++i];
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
    } else {
      out += s[i];
    }
  }
  if (i >= s.size()) fail(where, "unterminated quoted string");
  ++i;
  return out;
}

// ".A.B" -> {"A", "B"}.
std::vector<std::string> field_path(const std::string& text, const std::string& where) {
  std::vector<std::string> path;
  for (size_t s = 1, e; s <= text.size(); s = e + 1) {
    e = std::min(text.find('.', s), text.size());
    if (e == s) fail(where, "bad field " + text);
    path.push_back(text.substr(s, e - s));
  }
  return path;
}

std::vector<Token> tokens(const std::string& s, const std::string& where) {
  std::vector<Token> out;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '"' || c == '`') {
      out.push_back({Token::kString, quoted(s, i, where)});
    } else if (c == '|' || c == '(' || c == ')') {
      out.push_back({c == '|' ? Token::kPipe : c == '(' ? Token::kOpen : Token::kClose, ""});
      ++i;
    } else if (c == '.') {
      size_t j = i + 1;
      while (j < s.size() && (word_char(s[j]) || s[j] == '.')) ++j;
      const bool chained = i > 0 && s[i - 1] == ')';
      out.push_back({j == i + 1 ? Token::kDot : Token::kField, s.substr(i, j - i), chained});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      out.push_back({Token::kNumber, s.substr(i, j - i)});
      i = j;
    } else if (word_char(c)) {
      size_t j = i;
      while (j < s.size() && word_char(s[j])) ++j;
      out.push_back({Token::kWord, s.substr(i, j - i)});
      i = j;
    } else if (c == '$') {
      fail(where, "variables ($) are not supported");
    } else {
      fail(where, std::string("unexpected \"") + c + "\" in operand");
    }
  }
  return out;
}

// ---- functions ----

using Function = std::function<json(const std::vector<json>&, const std::string& where)>;
const std::map<std::string, Function>& functions();

using go::truthy;

// ---- parsing ----

class Parser {
 public:
  explicit Parser(const std::string& text) : segs_(segments(text)) {}

  Nodes document() {
    std::string stop;
    Nodes out = list(stop);
    if (!stop.empty()) fail(where_, "unexpected {{" + stop + "}}");
    return out;
  }

 private:
  // Nodes up to {{end}} or {{else...}} (named in `stop`), or the end of the template ("").
  Nodes list(std::string& stop) {
    Nodes out;
    while (at_ < segs_.size()) {
      const Segment& s = segs_[at_++];
      where_ = s.where;
      if (!s.action) {
        out.push_back(std::make_shared<Node>(Node{Node::kText, s.text, {}, {}, {}}));
        continue;
      }
      auto toks = tokens(s.text, s.where);
      if (toks.empty()) fail(s.where, "missing value for command");
      const std::string kw = toks[0].kind == Token::kWord ? toks[0].text : "";
      if (kw == "end" || kw == "else") {
        stop = kw;
        rest_ = std::vector<Token>(toks.begin() + 1, toks.end());
        return out;
      }
      if (kw == "if" || kw == "range" || kw == "with") {
        out.push_back(block(kw, std::vector<Token>(toks.begin() + 1, toks.end()), s.where));
        continue;
      }
      auto n = std::make_shared<Node>();
      n->kind = Node::kAction;
      n->pipe = pipeline(toks, s.where);
      out.push_back(n);
    }
    stop.clear();
    return out;
  }

  std::shared_ptr<Node> block(const std::string& kw, const std::vector<Token>& toks,
                              const std::string& where) {
    auto n = std::make_shared<Node>();
    n->kind = kw == "if" ? Node::kIf : kw == "range" ? Node::kRange : Node::kWith;
    n->pipe = pipeline(toks, where);
    std::string stop;
    n->body = list(stop);
    if (stop.empty()) fail(where, "unexpected EOF: {{" + kw + "}} without {{end}}");
    if (stop == "else") {
      if (!rest_.empty() && rest_[0].kind == Token::kWord && rest_[0].text == "if" && kw == "if") {
        // {{else if P}}: an if inside the else, sharing this block's {{end}}.
        n->otherwise.push_back(
            block("if", std::vector<Token>(rest_.begin() + 1, rest_.end()), where_));
        return n;
      }
      n->otherwise = list(stop);
      if (stop != "end") fail(where, "{{" + kw + "}}: expected {{end}} after {{else}}");
    }
    return n;
  }

  Pipeline pipeline(const std::vector<Token>& toks, const std::string& where) {
    if (toks.empty()) fail(where, "missing value for command");
    Pipeline p;
    p.where = where;
    size_t i = 0;
    p.cmds.push_back(command(toks, i, where));
    while (i < toks.size() && toks[i].kind == Token::kPipe) {
      ++i;
      p.cmds.push_back(command(toks, i, where));
    }
    if (i < toks.size()) fail(where, "unexpected \"" + toks[i].text + "\" in command");
    return p;
  }

  Command command(const std::vector<Token>& toks, size_t& i, const std::string& where) {
    Command c;
    while (i < toks.size() && toks[i].kind != Token::kPipe && toks[i].kind != Token::kClose)
      c.args.push_back(arg(toks, i, where));
    if (c.args.empty()) fail(where, "missing value for command");
    return c;
  }

  Arg arg(const std::vector<Token>& toks, size_t& i, const std::string& where) {
    const Token& t = toks[i++];
    Arg a;
    switch (t.kind) {
      case Token::kDot:
        a.kind = Arg::kDot;
        return a;
      case Token::kField:
        a.kind = Arg::kField;
        a.path = field_path(t.text, where);
        return a;
      case Token::kString:
        a.kind = Arg::kString;
        a.text = t.text;
        return a;
      case Token::kNumber:
        a.kind = Arg::kNumber;
        a.value = t.text.find('.') == std::string::npos ? json(std::stoll(t.text))
                                                        : json(std::stod(t.text));
        return a;
      case Token::kOpen: {
        std::vector<Token> inner;
        int depth = 1;
        for (; i < toks.size(); ++i) {
          depth += toks[i].kind == Token::kOpen ? 1 : toks[i].kind == Token::kClose ? -1 : 0;
          if (depth == 0) break;
          inner.push_back(toks[i]);
        }
        if (i++ >= toks.size()) fail(where, "unclosed left paren");
        a.kind = Arg::kSub;
        a.sub = std::make_shared<Pipeline>(pipeline(inner, where));
        if (i < toks.size() && toks[i].kind == Token::kField && toks[i].chained)
          a.path = field_path(toks[i++].text, where);  // (index .Mounts 0).Source
        return a;
      }
      case Token::kWord:
        if (t.text == "true" || t.text == "false") {
          a.kind = Arg::kBool;
          a.value = t.text == "true";
        } else if (t.text == "nil") {
          a.kind = Arg::kNil;
        } else if (functions().count(t.text)) {
          a.kind = Arg::kFunc;
          a.text = t.text;
        } else {
          fail(where, "function \"" + t.text + "\" not defined");
        }
        return a;
      default:
        fail(where, "unexpected \"" + t.text + "\" in operand");
    }
  }

  std::vector<Segment> segs_;
  size_t at_ = 0;
  std::string where_ = "1:1";
  std::vector<Token> rest_;  // what followed the last {{else}}
};

// ---- execution ----

json evaluate(const Pipeline& p, const json& dot);

// v.A.B...: null where a step is missing.
json fields_of(const json& value, const std::vector<std::string>& path) {
  const json* v = &value;
  for (const auto& key : path) {
    if (!v->is_object() || !v->contains(key)) return nullptr;
    v = &(*v)[key];
  }
  return *v;
}

json operand(const Arg& a, const json& dot) {
  switch (a.kind) {
    case Arg::kDot:
      return dot;
    case Arg::kField:
      return fields_of(dot, a.path);
    case Arg::kString:
      return a.text;
    case Arg::kSub:
      return a.path.empty() ? evaluate(*a.sub, dot) : fields_of(evaluate(*a.sub, dot), a.path);
    default:
      return a.value;
  }
}

// docker's `.Label "KEY"` method (ps, images, networks, volumes): the value of that label, ""
// when it has none; Labels is an object or docker's "k=v,k2=v2" text.
json label_of(const json& dot, const json& key) {
  if (!dot.is_object() || !key.is_string()) return "";
  const std::string k = key.get<std::string>();
  const auto it = dot.find("Labels");
  if (it == dot.end()) return "";
  if (it->is_object()) return it->contains(k) && (*it)[k].is_string() ? (*it)[k] : json("");
  if (!it->is_string()) return "";
  for (const auto& item : split(it->get<std::string>(), ",")) {
    const size_t eq = item.find('=');
    if (item.substr(0, eq) == k) return eq == std::string::npos ? "" : item.substr(eq + 1);
  }
  return "";
}

// and, or: Go's, which evaluate their arguments (the piped value last) only until one decides:
// {{if and .Mounts (index .Mounts 0).RW}} does not index an empty list.
json and_or(const Command& c, const json& dot, const json* piped, const std::string& where) {
  const bool is_and = c.args.front().text == "and";
  const size_t n = c.args.size() - 1 + (piped ? 1 : 0);
  if (n == 0) return is_and ? go::and_({}, where) : go::or_({}, where);  // the count's error
  json v;
  for (size_t i = 1; i <= n; ++i) {
    v = i < c.args.size() ? operand(c.args[i], dot) : *piped;
    if (truthy(v) != is_and) return v;
  }
  return v;
}

json run_command(const Command& c, const json& dot, const json* piped, const std::string& where) {
  const Arg& first = c.args.front();
  if (first.kind == Arg::kFunc && (first.text == "and" || first.text == "or"))
    return and_or(c, dot, piped, where);
  if (first.kind == Arg::kField && first.path == std::vector<std::string>{"Label"} &&
      c.args.size() == 2 && !piped)
    return label_of(dot, operand(c.args[1], dot));
  if (first.kind == Arg::kFunc) {
    std::vector<json> args;
    for (size_t i = 1; i < c.args.size(); ++i) args.push_back(operand(c.args[i], dot));
    if (piped) args.push_back(*piped);
    return functions().at(first.text)(args, where);
  }
  if (c.args.size() > 1 || piped) fail(where, "can't give argument to non-function");
  return operand(first, dot);
}

json evaluate(const Pipeline& p, const json& dot) {
  json v = run_command(p.cmds.front(), dot, nullptr, p.where);
  for (size_t i = 1; i < p.cmds.size(); ++i) v = run_command(p.cmds[i], dot, &v, p.where);
  return v;
}

void execute(const Nodes& nodes, const json& dot, std::string& out);

void execute_node(const Node& n, const json& dot, std::string& out) {
  switch (n.kind) {
    case Node::kText:
      out += n.text;
      return;
    case Node::kAction:
      out += to_text(evaluate(n.pipe, dot));
      return;
    case Node::kIf:
      return execute(truthy(evaluate(n.pipe, dot)) ? n.body : n.otherwise, dot, out);
    case Node::kWith: {
      const json v = evaluate(n.pipe, dot);
      return truthy(v) ? execute(n.body, v, out) : execute(n.otherwise, dot, out);
    }
    case Node::kRange: {
      const json v = evaluate(n.pipe, dot);
      if (!v.is_null() && !v.is_array() && !v.is_object())
        fail(n.pipe.where, "range can't iterate over " + to_text(v));
      if (!truthy(v)) return execute(n.otherwise, dot, out);
      for (const auto& e : v) execute(n.body, e, out);
      return;
    }
  }
}

void execute(const Nodes& nodes, const json& dot, std::string& out) {
  for (const auto& n : nodes) execute_node(*n, dot, out);
}

// The fields the template uses ({{.Names}}, {{.State.Status}}), for a table header.
void field_paths(const Nodes& nodes, std::vector<std::vector<std::string>>& out) {
  for (const auto& n : nodes) {
    for (const auto& c : n->pipe.cmds)
      for (const auto& a : c.args)
        if (a.kind == Arg::kField && std::find(out.begin(), out.end(), a.path) == out.end())
          out.push_back(a.path);
    field_paths(n->body, out);
    field_paths(n->otherwise, out);
  }
}

// docker's list contexts (ps, images, network ls, volume ls, stats) are Go structs: a field
// they do not have is an error, where a map (inspect's data) gives "<no value>". The fields
// evaluated on the item itself (not inside a range or with, whose dot is another value) are
// checked against `item`'s keys before anything prints.
void check_pipeline(const Pipeline& p, const json& item) {
  for (const auto& c : p.cmds)
    for (const auto& a : c.args) {
      if (a.kind == Arg::kSub) check_pipeline(*a.sub, item);  // {{if (eq .X "y")}}
      if (a.kind != Arg::kField || item.contains(a.path.front())) continue;
      if (a.path == std::vector<std::string>{"Label"}) continue;  // the .Label "KEY" method
      std::string known;
      for (const auto& [key, _] : item.items()) known += (known.empty() ? "" : ", ") + key;
      fail(p.where, "executing \"\" at <." + a.path.front() + ">: can't evaluate field " +
                        a.path.front() + " (the fields: " + known + ")");
    }
}
void check_fields(const Nodes& nodes, const json& item) {
  for (const auto& n : nodes) {
    check_pipeline(n->pipe, item);
    if (n->kind != Node::kRange && n->kind != Node::kWith) check_fields(n->body, item);
    check_fields(n->otherwise, item);
  }
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_keep_empty(const std::string& line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = line.find(sep, start)) != std::string::npos; start = at + 1)
    out.push_back(line.substr(start, at - start));
  out.push_back(line.substr(start));
  return out;
}

void arity(const std::vector<json>& a, size_t lo, size_t hi, const char* name,
           const std::string& where) {
  if (a.size() < lo || a.size() > hi)
    fail(where,
         std::string("wrong number of args for ") + name + ": got " + std::to_string(a.size()));
}

std::string text_arg(const json& v) { return to_text(v); }

// One of printf's directives, Go's way: flags (- + space 0 #), a width and a precision, then
// the verb: v and s (the value as text), q (quoted), d (an integer), f, e, g (a number), x and X
// (hex of an integer, or of a text's bytes), t (a boolean), c (a character). Anything else is
// Go's %!verb(value).
std::string format_one(const std::string& flags, const std::string& width,
                       const std::string& precision, char verb, const json& v) {
  const std::string spec = "%" + flags + width + (precision.empty() ? "" : "." + precision);
  char buf[1200];  // a width or precision is at most 999
  auto number = [&](const char* conv) {
    const double d = v.is_number() ? v.get<double>() : std::strtod(text_arg(v).c_str(), nullptr);
    std::snprintf(buf, sizeof buf, (spec + conv).c_str(), d);
    return std::string(buf);
  };
  auto integer = [&](const char* conv) {
    const long long n =
        v.is_number() ? v.get<long long>() : std::strtoll(text_arg(v).c_str(), nullptr, 10);
    std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(), n);
    return std::string(buf);
  };
  auto text = [&](std::string t) {  // width and precision count bytes here (Go: runes)
    if (!precision.empty()) t = t.substr(0, std::stoul(precision));
    const size_t w = width.empty() ? 0 : std::stoul(width);
    if (t.size() >= w) return t;
    const bool zero = flags.find('0') != std::string::npos && flags.find('-') == std::string::npos;
    const std::string pad(w - t.size(), zero ? '0' : ' ');
    return flags.find('-') != std::string::npos ? t + pad : pad + t;
  };
  switch (verb) {
    case 'v':
    case 's':
      return text(text_arg(v));
    case 'q':
      return text(json(text_arg(v)).dump());
    case 'd':
      return integer("d");
    case 'f':
    case 'F':
    case 'e':
    case 'g':
      return number(std::string(1, verb).c_str());
    case 'x':
    case 'X':
      if (v.is_number_integer()) return integer(verb == 'x' ? "x" : "X");
      {
        std::string hex;
        for (unsigned char c : text_arg(v)) {
          std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", c);
          hex += buf;
        }
        return text(hex);
      }
    case 't':
      return text(v.is_boolean() ? (v.get<bool>() ? "true" : "false") : text_arg(v));
    case 'c':
      return text(std::string(1, static_cast<char>(v.is_number() ? v.get<int>() : 0)));
    default:
      return std::string("%!") + verb + "(" + text_arg(v) + ")";
  }
}

json printf_(const std::vector<json>& a, const std::string& where) {
  arity(a, 1, 64, "printf", where);
  const std::string f = text_arg(a[0]);
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%' || i + 1 >= f.size()) {
      out += f[i];
      continue;
    }
    if (f[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    std::string flags, width, precision;
    while (j < f.size() && std::string("-+ 0#").find(f[j]) != std::string::npos) flags += f[j++];
    while (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j])) && width.size() < 3)
      width += f[j++];
    if (j < f.size() && f[j] == '.') {
      ++j;
      precision = "0";
      if (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j]))) precision.clear();
      while (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j])) && precision.size() < 3)
        precision += f[j++];
    }
    if (j >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    const char verb = f[j];
    i = j;
    if (next >= a.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    out += format_one(flags, width, precision, verb, a[next++]);
  }
  return out;
}

json index_(const std::vector<json>& a, const std::string& where) {
  arity(a, 1, 16, "index", where);
  json v = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    if (v.is_array() && a[i].is_number_integer()) {
      const auto k = a[i].get<long long>();
      if (k < 0 || static_cast<size_t>(k) >= v.size())
        fail(where, "index out of range: " + std::to_string(k));
      v = json(v[static_cast<size_t>(k)]);
    } else if (v.is_object() && a[i].is_string()) {
      v = v.contains(a[i].get<std::string>()) ? json(v[a[i].get<std::string>()]) : json();
    } else {
      fail(where, "can't index item of type " + std::string(v.type_name()));
    }
  }
  return v;
}

json title_(const std::string& s) {
  std::string out = s;
  bool start = true;
  for (auto& c : out) {
    if (start && std::isalpha(static_cast<unsigned char>(c)))
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = std::isspace(static_cast<unsigned char>(c));
  }
  return out;
}

const std::map<std::string, Function>& functions() {
  static const std::map<std::string, Function> table = {
      {"json",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 1, 1, "json", w);
         return json(a[0].dump());
       }},
      {"index", index_},
      {"printf", printf_},
      {"join",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 2, 2, "join", w);
         std::string out;
         if (a[0].is_array())
           for (size_t i = 0; i < a[0].size(); ++i)
             out += (i ? text_arg(a[1]) : "") + text_arg(a[0][i]);
         else
           out = text_arg(a[0]);
         return json(out);
       }},
      {"split",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 2, 2, "split", w);
         json out = json::array();
         for (const auto& p :
              split_keep_empty(text_arg(a[0]), text_arg(a[1]).empty() ? ',' : text_arg(a[1])[0]))
           out.push_back(p);
         return out;
       }},
      {"upper",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 1, 1, "upper", w);
         return json(upper(text_arg(a[0])));
       }},
      {"lower",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 1, 1, "lower", w);
         std::string s = text_arg(a[0]);
         for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
         return json(s);
       }},
      {"title",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 1, 1, "title", w);
         return title_(text_arg(a[0]));
       }},
      {"len",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 1, 1, "len", w);
         if (a[0].is_string()) return json(a[0].get<std::string>().size());
         if (a[0].is_array() || a[0].is_object()) return json(a[0].size());
         fail(w, "len of " + std::string(a[0].type_name()));
       }},
      {"println",
       [](const std::vector<json>& a, const std::string&) {
         std::string out;
         for (size_t i = 0; i < a.size(); ++i) out += (i ? " " : "") + text_arg(a[i]);
         return json(out + "\n");
       }},
      {"print", [](const std::vector<json>& a, const std::string&) { return json(go::sprint(a)); }},
      {"truncate",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 2, 2, "truncate", w);
         const std::string s = text_arg(a[0]);
         const long long n = a[1].is_number() ? a[1].get<long long>() : 0;
         return json(
             n >= 0 && static_cast<size_t>(n) < s.size() ? s.substr(0, static_cast<size_t>(n)) : s);
       }},
      // Go's own: comparisons, logic, slice, escaping (go_functions.hpp).
      {"eq", go::eq},
      {"ne", go::ne},
      {"lt", go::lt},
      {"le", go::le},
      {"gt", go::gt},
      {"ge", go::ge},
      {"and", go::and_},
      {"or", go::or_},
      {"not", go::not_},
      {"slice", go::slice},
      {"html", go::html},
      {"urlquery", go::urlquery},
      {"pad",
       [](const std::vector<json>& a, const std::string& w) {
         arity(a, 3, 3, "pad", w);
         const auto n = [](const json& v) { return v.is_number() ? v.get<long long>() : 0; };
         return json(std::string(static_cast<size_t>(std::max(0LL, n(a[1]))), ' ') +
                     text_arg(a[0]) +
                     std::string(static_cast<size_t>(std::max(0LL, n(a[2]))), ' '));
       }},
  };
  return table;
}

}  // namespace

Template Template::parse(const std::string& text) {
  Template t;
  // docker's rule: a typed \t or \n (the shell keeps them as two characters) is a tab or a
  // newline, so 'table {{.ID}}\t{{.Names}}' aligns.
  std::string body;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      body += text[++i] == 't' ? '\t' : '\n';
      continue;
    }
    body += text[i];
  }
  if (body == "table" || body.rfind("table ", 0) == 0) {
    t.table_ = true;
    body = body.size() > 6 ? body.substr(6) : "";
  }
  auto root = std::make_shared<Node>();
  root->kind = Node::kIf;  // a block that is always taken
  root->pipe.cmds.push_back({{Arg{Arg::kBool, {}, "", true, nullptr}}});
  root->body = Parser(body).document();
  t.root_ = root;
  return t;
}

std::string Template::execute(const json& data) const {
  std::string out;
  execute_node(*root_, data, out);
  return out;
}

std::string Template::render(const std::vector<json>& items,
                             const std::map<std::string, std::string>& headers) const {
  if (!items.empty() && items.front().is_object()) check_fields(root_->body, items.front());
  if (!table_) {
    std::string out;
    for (const auto& i : items) out += execute(i) + "\n";
    return out;
  }
  // The header: the template run over an object whose fields hold their column titles.
  std::vector<std::vector<std::string>> fields;
  field_paths(root_->body, fields);
  json header = json::object();
  for (const auto& path : fields) {
    json* at = &header;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      if (!(*at)[path[i]].is_object()) (*at)[path[i]] = json::object();
      at = &(*at)[path[i]];
    }
    const auto it = headers.find(path.front());
    (*at)[path.back()] = it != headers.end() && path.size() == 1 ? it->second : upper(path.back());
  }
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& text) {
    size_t start = 0;
    for (size_t nl; start <= text.size(); start = nl + 1) {
      nl = std::min(text.find('\n', start), text.size());
      const std::string line = text.substr(start, nl - start);
      if (!line.empty() || nl < text.size()) rows.push_back(split_keep_empty(line, '\t'));
      if (nl == text.size()) break;
    }
  };
  add(execute(header));
  for (const auto& i : items) add(execute(i));
  return format_columns(rows, 3, 10);
}

std::string to_text(const json& v) {
  if (v.is_null()) return "<no value>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  std::string out = v.is_array() ? "[" : "map[";
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += first ? "" : " ";
    first = false;
    if (v.is_object()) out += it.key() + ":";
    out += to_text(*it);
  }
  return out + "]";
}

}  // namespace mydocker::tmpl
