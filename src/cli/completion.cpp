// bash and zsh completion scripts: the command table's commands, flags and fixed values,
// generated, and the names of containers, images and networks asked of mydocker when completing.

#include <algorithm>
#include <string>

#include "mydocker/cli/docs.hpp"

namespace mydocker::cli {
namespace {

// A single-quoted shell word.
std::string sq(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

// The live state, shared by both shells: $1 the kind, then the global flags typed
// (--root DIR, --data-root DIR) so that another state or data root is asked.
constexpr const char* kNames = R"SH(_mydocker_names() {
  local kind=$1
  shift
  case $kind in
    container) command mydocker "$@" ps -a --format '{{.Names}}' ;;
    image) command mydocker "$@" images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>' ;;
    network) command mydocker "$@" network ls --format '{{.Name}}' ;;
  esac 2>/dev/null
}
)SH";

// _mydocker_values PATH FLAG GLOBALS...: the values a flag takes (its choices, or names).
std::string values_function(const std::vector<CommandDoc>& docs) {
  std::string out = "_mydocker_values() {\n  case \"$1|$2\" in\n";
  for (const auto& c : docs) {
    if (c.hidden) continue;
    for (const auto& f : c.flags) {
      const std::string kind = f.names.empty() ? "" : flag_names(f.names.back());
      if (f.choices.empty() && kind.empty()) continue;
      std::string keys;
      for (const auto& n : f.names) keys += (keys.empty() ? "" : "|") + sq(c.name() + "|" + n);
      out += "    " + keys + ") ";
      out +=
          kind.empty() ? "echo " + sq(join(f.choices)) : "_mydocker_names " + kind + " \"${@:3}\"";
      out += " ;;\n";
    }
  }
  return out + "  esac\n}\n";
}

struct SpecText {
  std::string flags, valued, subs, kind, first, split, args;
};

SpecText spec_text(const CommandDoc& c) {
  SpecText t;
  std::vector<std::string> flags, valued;
  for (const auto& f : c.flags)
    for (const auto& n : f.names) {
      flags.push_back(n);
      if (f.takes_value) valued.push_back(n);
    }
  t.flags = join(flags);
  t.valued = join(valued);
  t.subs = join(c.words);
  const NameKind k = arg_names(c);
  t.kind = k.kind;
  t.first = k.first_only ? "1" : "";
  t.split = c.splits_command ? "1" : "";
  if (!c.args.empty()) t.args = join(c.args.front().choices);
  return t;
}

constexpr const char* kBashMain = R"SH(
_mydocker() {
  local -a w
  if [[ -n ${COMP_LINE-} ]]; then
    # The line itself: COMP_WORDS splits image:tag at the colon.
    read -ra w <<<"${COMP_LINE:0:COMP_POINT}"
    [[ ${#w[@]} -eq 0 || ${COMP_LINE:COMP_POINT-1:1} == [[:space:]] ]] && w+=("")
  else
    w=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  local cword=$((${#w[@]} - 1))
  local cur=${w[cword]} prev=${w[cword - 1]} cmdpath='' nargs=0 i=1 word
  local flags valued subs kind first split args
  local -a globals=()
  _mydocker_spec ''
  while ((i < cword)); do
    word=${w[i]}
    if [[ $word == -* && ! ($split && $nargs -gt 0) ]]; then
      if [[ $word != *=* && " $valued " == *" $word "* ]]; then
        [[ -z $cmdpath && ($word == --root || $word == --data-root) ]] && globals+=("$word" "${w[i + 1]}")
        ((i++))
        [[ $i -eq $cword ]] && prev=$word
      fi
    elif ((nargs == 0)) && [[ -n $subs && " $subs " == *" $word "* ]]; then
      cmdpath=${cmdpath:+$cmdpath }$word
      _mydocker_spec "$cmdpath"
    else
      ((nargs++))
    fi
    ((i++))
  done
  COMPREPLY=()
  if [[ $split && $nargs -gt 0 ]]; then
    return 0 # the container's command: file names (complete -o default)
  elif [[ $prev == -* && " $valued " == *" $prev "* ]]; then
    COMPREPLY=($(compgen -W "$(_mydocker_values "$cmdpath" "$prev" "${globals[@]}")" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ -n $subs && $nargs -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif [[ -n $args && $nargs -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$args" -- "$cur"))
  elif [[ -n $kind && (-z $first || $nargs -eq 0) ]]; then
    COMPREPLY=($(compgen -W "$(_mydocker_names "$kind" "${globals[@]}")" -- "$cur"))
  fi
  # bash replaces only what follows the last colon of image:tag.
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
    local colon=${cur%"${cur##*:}"}
    COMPREPLY=("${COMPREPLY[@]#"$colon"}")
  fi
  return 0
}

complete -o default -F _mydocker mydocker
)SH";

constexpr const char* kZshMain = R"SH(
_mydocker() {
  local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmdpath='' kind first split word
  local -i nargs=0 i=2
  local -a flags valued subs args globals subnames found
  _mydocker_spec ''
  while (( i < CURRENT )); do
    word=${words[i]}
    subnames=(${subs%%:*})
    if [[ $word == -* ]] && ! [[ -n $split && nargs -gt 0 ]]; then
      if [[ $word != *=* ]] && (( ${valued[(Ie)$word]} )); then
        [[ -z $cmdpath && ( $word == --root || $word == --data-root ) ]] && globals+=($word ${words[i+1]})
        (( i++ ))
        (( i == CURRENT )) && prev=$word
      fi
    elif (( nargs == 0 && ${subnames[(Ie)$word]} )); then
      cmdpath=${cmdpath:+$cmdpath }$word
      _mydocker_spec $cmdpath
    else
      (( nargs++ ))
    fi
    (( i++ ))
  done
  if [[ -n $split ]] && (( nargs > 0 )); then
    _files # the container's command
  elif [[ $prev == -* ]] && (( ${valued[(Ie)$prev]} )); then
    found=(${=$(_mydocker_values "$cmdpath" "$prev" "${globals[@]}")})
    if (( $#found )); then compadd -a found; else _files; fi
  elif [[ $cur == -* ]]; then
    _describe -t options 'option' flags
  elif (( nargs == 0 && $#subs )); then
    _describe -t commands 'command' subs
  elif (( nargs == 0 && $#args )); then
    compadd -a args
  elif [[ -n $kind ]] && { [[ -z $first ]] || (( nargs == 0 )); }; then
    found=(${(f)"$(_mydocker_names $kind "${globals[@]}")"})
    compadd -a found
  else
    _files
  fi
}

if [[ ${funcstack[1]} == _mydocker ]]; then
  _mydocker "$@"
else
  compdef _mydocker mydocker
fi
)SH";

// "name:description" for _describe (a colon in the name escaped, the text on one line).
std::string described(const std::string& name, const std::string& help) {
  std::string out;
  for (const char c : name) out += c == ':' ? std::string("\\:") : std::string(1, c);
  out += ":";
  for (const char c : help) out += c == '\n' ? ' ' : c;
  return sq(out);
}

std::string zsh_spec(const CommandDoc& c, const std::vector<CommandDoc>& docs) {
  std::string flags, valued, subs, args;
  for (const auto& f : c.flags)
    for (const auto& n : f.names) {
      flags += " " + described(n, f.help);
      if (f.takes_value) valued += " " + n;
    }
  for (const auto& d : docs)
    if (!d.hidden && d.path.size() == c.path.size() + 1 &&
        std::equal(c.path.begin(), c.path.end(), d.path.begin()))
      subs += " " + described(d.path.back(), d.summary());
  if (!c.args.empty()) args = join(c.args.front().choices);
  const NameKind k = arg_names(c);
  return "    " + sq(c.name()) + ")\n      flags=(" + flags + ")\n      valued=(" + valued +
         ")\n      subs=(" + subs + ")\n      args=(" + args + ") kind=" + sq(k.kind) +
         " first=" + sq(k.first_only ? "1" : "") + " split=" + sq(c.splits_command ? "1" : "") +
         "\n      ;;\n";
}

}  // namespace

std::string bash_completion(const std::vector<CommandDoc>& docs) {
  std::string out =
      "# bash completion for mydocker: generated by `mydocker completion bash` from its command\n"
      "# table. Install as /usr/share/bash-completion/completions/mydocker, or source it.\n\n";
  out += "# _mydocker_spec PATH: what the command PATH (\"network create\") takes.\n";
  out += "_mydocker_spec() {\n  flags='' valued='' subs='' kind='' first='' split='' args=''\n";
  out += "  case $1 in\n";
  for (const auto& c : docs) {
    if (c.hidden) continue;
    const SpecText t = spec_text(c);
    out += "    " + sq(c.name()) + ")\n      flags=" + sq(t.flags) +
           "\n      valued=" + sq(t.valued) + "\n      subs=" + sq(t.subs) + " kind=" + sq(t.kind) +
           " first=" + sq(t.first) + " split=" + sq(t.split) + " args=" + sq(t.args) +
           "\n      ;;\n";
  }
  out += "  esac\n}\n\n";
  out += kNames;
  out += "\n" + values_function(docs) + kBashMain;
  return out;
}

std::string zsh_completion(const std::vector<CommandDoc>& docs) {
  std::string out =
      "#compdef mydocker\n# zsh completion for mydocker: generated by `mydocker completion zsh` "
      "from "
      "its command\n# table. Install as _mydocker in a directory of $fpath.\n\n";
  out += "_mydocker_spec() {\n  flags=() valued=() subs=() args=() kind='' first='' split=''\n";
  out += "  case $1 in\n";
  for (const auto& c : docs)
    if (!c.hidden) out += zsh_spec(c, docs);
  out += "  esac\n}\n\n";
  out += kNames;
  out += "\n" + values_function(docs) + kZshMain;
  return out;
}

}  // namespace mydocker::cli
