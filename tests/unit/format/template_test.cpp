// --format templates (Go's text/template, the part docker users write) over JSON.

#include "mydocker/format/template.hpp"

#include <gtest/gtest.h>

#include "mydocker/util/error.hpp"

namespace mydocker::tmpl {
namespace {

using json = nlohmann::json;

std::string run(const std::string& t, const json& data) { return Template::parse(t).execute(data); }

std::string parse_error(const std::string& t) {
  try {
    Template::parse(t);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 125);
    return e.what();
  }
  return "";
}

const json kContainer = {{"ID", "0123456789ab"},
                         {"Names", "web"},
                         {"State", {{"Status", "running"}, {"Pid", 42}, {"Running", true}}},
                         {"Config", {{"Env", {"A=1", "B=2"}}, {"Labels", {{"k", "v"}}}}},
                         {"Ports", json::array()},
                         {"Size", 1.5}};

TEST(Template, FieldsAndPaths) {
  EXPECT_EQ(run("{{.Names}}", kContainer), "web");
  EXPECT_EQ(run("{{.State.Status}} pid {{.State.Pid}}", kContainer), "running pid 42");
  EXPECT_EQ(run("{{.Nope}}|{{.State.Nope.Deeper}}", kContainer), "<no value>|<no value>");
  EXPECT_EQ(run("{{.Config.Env}}", kContainer), "[A=1 B=2]");
  EXPECT_EQ(run("{{.Config.Labels}}", kContainer), "map[k:v]");
  EXPECT_EQ(run("{{.Size}} {{.State.Running}}", kContainer), "1.5 true");
  EXPECT_EQ(run("plain text", kContainer), "plain text");
}

// docker's everyday idiom: {{(index .NetworkSettings.Ports "80/tcp" 0).HostPort}}.
TEST(Template, FieldsOfAParenthesizedPipeline) {
  const json c = {{"Mounts", {{{"Name", "data"}, {"Source", "/v"}}}},
                  {"Ports", {{"80/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "8080"}}}}}}};
  EXPECT_EQ(run("{{(index .Mounts 0).Name}} {{(index .Mounts 0).Source}}", c), "data /v");
  EXPECT_EQ(run(R"({{(index (index .Ports "80/tcp") 0).HostPort}})", c), "8080");
  EXPECT_EQ(run("{{(index .Mounts 0).Nope}}", c), "<no value>");
  EXPECT_EQ(run("{{(.Mounts)}}", c), "[map[Name:data Source:/v]]");
  EXPECT_THROW(run("{{(index .Mounts 0) .Name}}", c), Error) << "a space: an argument, as in Go";
}

TEST(Template, Functions) {
  EXPECT_EQ(run("{{json .State}}", kContainer), R"({"Pid":42,"Running":true,"Status":"running"})");
  EXPECT_EQ(run("{{json .}}", json{{"a", 1}}), R"({"a":1})");
  EXPECT_EQ(run("{{index .Config.Labels \"k\"}}", kContainer), "v");
  EXPECT_EQ(run("{{index .Config.Env 1}}", kContainer), "B=2");
  EXPECT_EQ(run("{{join .Config.Env \",\"}}", kContainer), "A=1,B=2");
  EXPECT_EQ(run("{{upper .Names}} {{lower \"ABC\"}} {{title \"hello world\"}}", kContainer),
            "WEB abc Hello World");
  EXPECT_EQ(run("{{println .Names .State.Pid}}", kContainer), "web 42\n");
  EXPECT_EQ(run("{{len .Config.Env}} {{truncate .ID 4}}", kContainer), "2 0123");
  EXPECT_EQ(run("{{printf \"%s:%d%%\" .Names .State.Pid}}", kContainer), "web:42%");
  // Go's flags, width, precision and verbs.
  EXPECT_EQ(run("{{printf \"[%-6s][%6s][%.2s][%05d][%x][%5.2f][%q][%t][%v]\" .Names .Names "
                ".Names .State.Pid .State.Pid 3.14159 .Names true .State.Pid}}",
                kContainer),
            "[web   ][   web][we][00042][2a][ 3.14][\"web\"][true][42]");
  EXPECT_EQ(run("{{printf \"%x %d\" \"hi\"}}", kContainer), "6869 %!d(MISSING)");
  EXPECT_EQ(run("{{printf \"%y\" 1}}", kContainer), "%!y(1)");
  EXPECT_EQ(run("{{.Names | upper}}", kContainer), "WEB");
  EXPECT_EQ(run("{{(index .Config.Env 0) | lower}}", kContainer), "a=1");
  EXPECT_EQ(run("{{join (split \"a:b\" \":\") \"-\"}}", kContainer), "a-b");
}

TEST(Template, DockersLabelMethod) {
  // ps gives Labels as docker's text, network and volume inspect as an object.
  const json text = {{"Labels", "a=1,b=two,flag"}};
  EXPECT_EQ(run("{{.Label \"b\"}}", text), "two");
  EXPECT_EQ(run("{{.Label \"flag\"}}", text), "");
  EXPECT_EQ(run("{{.Label \"none\"}}", text), "");
  EXPECT_EQ(run("{{.Label \"k\"}}", json{{"Labels", {{"k", "v"}}}}), "v");
  EXPECT_EQ(run("{{if (.Label \"a\")}}yes{{end}}{{if (.Label \"c\")}}no{{end}}", text), "yes");
}

TEST(Template, IfRangeWithAndTrimming) {
  EXPECT_EQ(run("{{if .State.Running}}up{{else}}down{{end}}", kContainer), "up");
  EXPECT_EQ(run("{{if .Ports}}p{{else if .Names}}n{{else}}x{{end}}", kContainer), "n");
  EXPECT_EQ(run("{{range .Config.Env}}[{{.}}]{{end}}", kContainer), "[A=1][B=2]");
  EXPECT_EQ(run("{{range .Ports}}p{{else}}none{{end}}", kContainer), "none");
  EXPECT_EQ(run("{{with .State}}{{.Status}}{{end}}", kContainer), "running");
  EXPECT_EQ(run("a  {{- \" b \" -}}  c", kContainer), "a b c");
  EXPECT_EQ(run("{{range .Config.Env -}}\n  {{.}}\n{{- end}}", kContainer), "A=1B=2");
}

TEST(Template, ErrorsNameWhere) {
  EXPECT_EQ(parse_error("{{.Names"), "template: 1:1: unclosed action");
  EXPECT_EQ(parse_error("ok\n  {{nosuch .Names}}"),
            "template: 2:3: function \"nosuch\" not defined");
  EXPECT_EQ(parse_error("{{if .A}}x"), "template: 1:1: unexpected EOF: {{if}} without {{end}}");
  EXPECT_EQ(parse_error("{{end}}"), "template: 1:1: unexpected {{end}}");
  EXPECT_EQ(parse_error("{{ }"), "template: 1:1: unclosed action");
  EXPECT_EQ(parse_error("{{.A | }}"), "template: 1:1: missing value for command");
  EXPECT_EQ(parse_error("{{$x := 1}}"), "template: 1:1: variables ($) are not supported");
  EXPECT_THROW(run("{{range .Names}}{{end}}", kContainer), Error);
  EXPECT_THROW(run("{{index .Config.Env 5}}", kContainer), Error);
}

std::string run_error(const std::string& t, const json& data) {
  try {
    run(t, data);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 125);
    return e.what();
  }
  return "";
}

// Go's predefined functions: eq with several arguments, ne, lt, le, gt, ge over numbers and
// strings; comparing two kinds is an error, a missing value equals only nil.
TEST(Template, GoComparisons) {
  EXPECT_EQ(run("{{if eq .State.Status \"running\"}}up{{end}}", kContainer), "up");
  EXPECT_EQ(run("{{eq .Names \"db\" \"web\"}} {{eq .Names \"db\" \"x\"}}", kContainer),
            "true false");
  EXPECT_EQ(run("{{ne .Names \"web\"}} {{ne .State.Pid 41}}", kContainer), "false true");
  EXPECT_EQ(
      run("{{lt .State.Pid 43}} {{le .State.Pid 42}} {{gt .State.Pid 42}} {{ge .State.Pid 42}}",
          kContainer),
      "true true false true");
  EXPECT_EQ(run("{{if gt .State.Pid 1}}x{{end}}", kContainer), "x");
  EXPECT_EQ(run("{{lt \"abc\" \"abd\"}} {{gt \"b\" \"abc\"}}", kContainer), "true true");
  EXPECT_EQ(run("{{eq .Size 1.5}} {{lt -1 0}} {{eq .State.Running true}}", kContainer),
            "true true true");
  EXPECT_EQ(run("{{eq .Nope \"x\"}} {{eq .Nope .Other}}", kContainer), "false true");
  EXPECT_EQ(run("{{eq (json .State.Pid) \"42\"}}", kContainer), "true");
  EXPECT_EQ(run("{{eq 2 1 3 2}}", kContainer), "true");
  EXPECT_EQ(run_error("{{eq .State.Pid \"42\"}}", kContainer),
            "template: 1:1: error calling eq: incompatible types for comparison");
  EXPECT_EQ(run_error("{{lt .State.Running true}}", kContainer),
            "template: 1:1: error calling lt: invalid type for comparison");
  EXPECT_EQ(run_error("{{gt .Names 1}}", kContainer),
            "template: 1:1: error calling gt: incompatible types for comparison");
  EXPECT_NE(run_error("{{eq .Config.Env .Config.Env}}", kContainer).find("non-comparable type"),
            std::string::npos);
  EXPECT_EQ(run_error("{{eq .Names}}", kContainer),
            "template: 1:1: error calling eq: missing argument for comparison");
  EXPECT_EQ(run_error("{{ne 1}}", kContainer),
            "template: 1:1: wrong number of args for ne: want 2 got 1");
  EXPECT_EQ(run_error("{{lt .Nope 1}}", kContainer),
            "template: 1:1: error calling lt: invalid type for comparison");
}

// and, or: Go's values (the first falsy / truthy argument, else the last), evaluated only as far
// as needed; not; all three in pipelines and parenthesized sub-expressions.
TEST(Template, GoLogic) {
  const json paused = {{"State", {{"Running", true}, {"Paused", true}}}};
  EXPECT_EQ(run("{{if and .State.Running (not .State.Paused)}}ok{{end}}", kContainer), "ok");
  EXPECT_EQ(run("{{if and .State.Running (not .State.Paused)}}ok{{end}}", paused), "");
  EXPECT_EQ(run("{{.State.Running | not}} {{not .Ports}} {{not 0}}", kContainer),
            "false true true");
  EXPECT_EQ(run("{{and 1 \"x\" .Names}} {{and 1 0 \"x\"}} {{and .Ports 1}}", kContainer),
            "web 0 []");
  EXPECT_EQ(run("{{or \"\" 0 .Names}} {{or 0 \"\"}} {{or .Ports .ID}}", kContainer),
            "web  0123456789ab");
  EXPECT_EQ(run("{{.Names | or .Nope}} {{.Names | and 1}}", kContainer), "web web");
  // Short-circuit: what follows the deciding argument is not evaluated (index would fail).
  EXPECT_EQ(run("{{and .Ports (index .Ports 0)}}|{{or .Names (index .Ports 0)}}", kContainer),
            "[]|web");
  EXPECT_EQ(run("{{if or (eq .Names \"db\") (gt .State.Pid 40)}}y{{end}}", kContainer), "y");
  EXPECT_EQ(run_error("{{not}}", kContainer),
            "template: 1:1: wrong number of args for not: want 1 got 0");
  EXPECT_EQ(run_error("{{and}}", kContainer),
            "template: 1:1: wrong number of args for and: want at least 1 got 0");
}

TEST(Template, GoSliceHtmlUrlquery) {
  EXPECT_EQ(run("{{slice .ID 0 3}} {{slice .ID 9}} {{slice .ID}} {{slice .ID 2 2}}|", kContainer),
            "012 9ab 0123456789ab |");
  EXPECT_EQ(
      run("{{slice .Config.Env 1}} {{slice .Config.Env 0 1}} {{len (slice .Config.Env 0 1 2)}}",
          kContainer),
      "[B=2] [A=1] 1");
  EXPECT_EQ(run("{{.ID | slice}}", kContainer), "0123456789ab");
  EXPECT_EQ(run_error("{{slice .ID 0 13}}", kContainer),
            "template: 1:1: error calling slice: index out of range: 13");
  EXPECT_EQ(run_error("{{slice .ID 3 1}}", kContainer),
            "template: 1:1: error calling slice: invalid slice index: 3 > 1");
  EXPECT_EQ(run_error("{{slice .ID 0 1 2}}", kContainer),
            "template: 1:1: error calling slice: cannot 3-index slice a string");
  EXPECT_EQ(run_error("{{slice .State.Pid 0}}", kContainer),
            "template: 1:1: error calling slice: can't slice item of type number");
  EXPECT_EQ(run("{{html \"<a href='x'>&\\\"</a>\"}}", kContainer),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;");
  EXPECT_EQ(run("{{urlquery \"a b&c=d/é~\"}} {{.Names | urlquery}}", kContainer),
            "a+b%26c%3Dd%2F%C3%A9~ web");
}

// Comments: {{/* ... */}} print nothing (and may hold "}}"); {{- /* */ -}} trims both sides.
TEST(Template, GoComments) {
  EXPECT_EQ(run("a{{/* a comment */}}b", kContainer), "ab");
  EXPECT_EQ(run("a{{/* x }} y */}}b{{/*\nmulti\nline */}}", kContainer), "ab");
  EXPECT_EQ(run("a  {{- /* c */ -}}  b", kContainer), "ab");
  EXPECT_EQ(run("a  {{- /* c */}}  b", kContainer), "a  b");
  EXPECT_EQ(run("{{if .Names}}{{/* inside */}}y{{end}}", kContainer), "y");
  EXPECT_EQ(parse_error("{{/* open"), "template: 1:1: unclosed comment");
  EXPECT_EQ(parse_error("{{/* c */ }}"), "template: 1:1: comment ends before closing delimiter");
}

TEST(Template, TableHasHeadersAndAlignedColumns) {
  const auto t = Template::parse("table {{.ID}}\t{{.Names}}\t{{.State.Status}}");
  EXPECT_TRUE(t.is_table());
  const std::vector<json> rows = {
      kContainer,
      {{"ID", "fedcba987654"}, {"Names", "a-long-name"}, {"State", {{"Status", "exited"}}}}};
  EXPECT_EQ(t.render(rows, {{"ID", "CONTAINER ID"}}),
            "CONTAINER ID   NAMES         STATUS\n"
            "0123456789ab   web           running\n"
            "fedcba987654   a-long-name   exited\n");
  // A typed \t (two characters, as a shell passes it) is a tab, as docker reads it.
  EXPECT_EQ(
      Template::parse("table {{.ID}}\\t{{.Names}}").render({kContainer}, {{"ID", "CONTAINER ID"}}),
      "CONTAINER ID   NAMES\n0123456789ab   web\n");
  // Without "table": one line per item, no header.
  EXPECT_EQ(Template::parse("{{.Names}}").render(rows), "web\na-long-name\n");
}

// A list's items are docker's structs: a field they lack is an error naming the fields, before
// anything prints; inside range/with the dot is another value and is not checked; no items, no
// error (nothing executes). inspect's maps (execute) keep "<no value>".
TEST(Template, RenderRefusesAFieldTheItemsLack) {
  const std::vector<json> rows = {{{"ID", "0123456789ab"}, {"Names", "web"}}};
  try {
    (void)Template::parse("{{.ID}} {{if .Names}}{{.Nope}}{{end}}").render(rows);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "template: 1:22: executing \"\" at <.Nope>: can't evaluate field Nope (the "
              "fields: ID, Names)");
  }
  EXPECT_THROW((void)Template::parse("table {{.Nope}}").render(rows), Error);
  EXPECT_THROW((void)Template::parse("{{if (eq .Nope \"x\")}}y{{end}}").render(rows), Error);
  EXPECT_EQ(Template::parse("{{.Nope}}").render({}), "");
  EXPECT_EQ(Template::parse("{{with .Names}}{{.}}{{end}} {{.Label \"x\"}}").render(rows), "web \n");
  EXPECT_EQ(Template::parse("{{.Nope}}").execute(rows.front()), "<no value>");
}

}  // namespace
}  // namespace mydocker::tmpl
