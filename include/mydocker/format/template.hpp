#pragma once
// --format: Go's text/template, the part docker users write, over JSON data (no C++ library
// implements Go's templates). Actions: {{.Field.Sub}}, {{.}}, {{"text"}}, numbers, pipelines
// ({{.Names | upper}}), {{if P}}..{{else if P}}..{{else}}..{{end}}, {{range P}}..{{else}}..{{end}}
// (`.` is the element inside), {{with P}}..{{end}}, {{- and -}} trimming, comments {{/* */}},
// Go's functions eq ne lt le gt ge and or not slice html urlquery len index print printf println,
// and docker's: json, join, split, upper, lower, title, truncate, pad. A "table " prefix
// (docker's) gives a header row and aligned columns.
//
// Errors name where: parse errors "template: 1:14: unexpected "}" in operand", execution
// errors the action; both are Error (exit 125) from parse() / execute().

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mydocker::tmpl {

struct Node;

class Template {
 public:
  // Throws Error naming the position of what it cannot parse.
  static Template parse(const std::string& text);
  // The template applied to `data`. Throws Error for a bad call (an unknown function is a parse
  // error; a missing field prints "<no value>" as Go does).
  std::string execute(const nlohmann::json& data) const;
  // "table ..." templates: the rows of `items` below a header made from the fields' names
  // (headers maps a field to docker's column title, "ID" -> "CONTAINER ID"; others upper-cased),
  // columns aligned on the tabs as docker's tabwriter does. Other templates: one execution per
  // item, each ending its line. The items are docker's structs: a field the first one lacks is
  // an Error (listing the fields), not "<no value>".
  std::string render(const std::vector<nlohmann::json>& items,
                     const std::map<std::string, std::string>& headers = {}) const;
  bool is_table() const { return table_; }

 private:
  std::shared_ptr<const Node> root_;
  bool table_ = false;
};

// How a value prints: strings as they are, integers without a fraction, arrays as Go's [a b],
// objects as map[k:v], null as <no value>.
std::string to_text(const nlohmann::json& v);

}  // namespace mydocker::tmpl
