#pragma once
// Go text/template's predefined functions that docker users write besides docker's own:
// comparisons (eq ne lt le gt ge), logic (and or not), slice, html, urlquery; with Go's rules
// over JSON values. Internal to the template (template.cpp registers them).
//
// Kinds as Go's basicKind sees docker's structs: bool, number, string. Comparing two kinds is
// Go's "incompatible types for comparison"; integers and floats compare as numbers (our JSON does
// not keep Go's int/float distinction that docker's structs have). Arrays and objects are not
// comparable. Errors are Error (exit 125): "template: WHERE: error calling eq: ...".

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mydocker::tmpl::go {

using json = nlohmann::json;
using Args = std::vector<json>;

// Go's truth: false, 0, "", nil and empty arrays or objects are false.
bool truthy(const json& v);

json eq(const Args& a, const std::string& where);  // eq A B C...: A == B || A == C ...
json ne(const Args& a, const std::string& where);
json lt(const Args& a, const std::string& where);
json le(const Args& a, const std::string& where);
json gt(const Args& a, const std::string& where);
json ge(const Args& a, const std::string& where);
// and/or as values: the first falsy (and) or truthy (or) argument, else the last. The template
// evaluates their arguments one at a time and stops there, as Go does; these see them all.
json and_(const Args& a, const std::string& where);
json or_(const Args& a, const std::string& where);
json not_(const Args& a, const std::string& where);
// slice X [I [J]]: X[I:J] of a string (bytes) or an array; slice X I J K (an array's capacity)
// is accepted for an array and ignored.
json slice(const Args& a, const std::string& where);
// The arguments printed as Go's fmt.Sprint, then escaped for HTML (html) or a URL query.
json html(const Args& a, const std::string& where);
json urlquery(const Args& a, const std::string& where);
// fmt.Sprint: the values as text, a space between two that are not strings (print).
std::string sprint(const Args& a);

}  // namespace mydocker::tmpl::go
