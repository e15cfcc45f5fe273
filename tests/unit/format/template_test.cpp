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
