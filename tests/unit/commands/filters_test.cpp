// ps --filter / -n and images --filter: docker's keys and rules, on views made here.

#include "mydocker/commands/filters.hpp"

#include <gtest/gtest.h>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

using Strings = std::vector<std::string>;

ContainerView view(const std::string& id, const std::string& name, const std::string& status,
                   int exit_code = 0) {
  ContainerView v;
  v.id = id + std::string(64 - id.size(), '0');
  v.state.name = name;
  v.state.status = status;
  v.state.exit_code = exit_code;
  v.supervisor_alive = status == "running" || status == "paused";
  return v;
}

// Newest first, as list_containers gives them.
std::vector<ContainerView> sample() {
  auto web = view("aaa1", "web", "running");
  web.state.labels = {{"tier", "front"}, {"team", "a"}};
  web.state.image = "busybox";
  web.state.image_id = "f00d" + std::string(60, '1');
  web.state.network = "bridge";
  auto job = view("bbb2", "job", "exited", 3);
  job.state.labels = {{"tier", "back"}};
  job.state.image = "registry.local:5000/tools:1.0";
  auto db = view("ccc3", "db", "paused");
  auto old = view("ddd4", "old-web", "exited", 0);
  return {web, job, db, old};
}

Strings names(const std::vector<ContainerView>& list) {
  Strings out;
  for (const auto& c : list) out.push_back(c.state.name);
  return out;
}

Strings ps(const Strings& filters, bool all = false, int last = -1) {
  return names(filter_containers(sample(), Filters::parse(filters, kPsFilterKeys), all, last));
}

TEST(PsFilter, WithoutFiltersOnlyRunningUnlessAll) {
  EXPECT_EQ(ps({}), (Strings{"web", "db"}));
  EXPECT_EQ(ps({}, true), (Strings{"web", "job", "db", "old-web"}));
}

TEST(PsFilter, LastAndLatestIncludeStoppedOnes) {
  EXPECT_EQ(ps({}, false, 2), (Strings{"web", "job"}));
  EXPECT_EQ(ps({}, false, 1), (Strings{"web"}));
  EXPECT_EQ(ps({"status=exited"}, false, 1), (Strings{"job"})) << "-n counts after filters";
}

TEST(PsFilter, NameIsASubstringIdAPrefix) {
  EXPECT_EQ(ps({"name=web"}, true), (Strings{"web", "old-web"}));
  // docker's: a regular expression, searched with and without the name's slash.
  EXPECT_EQ(ps({"name=^web$"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"name=^/web$"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"name=^(job|db)$"}, true), (Strings{"job", "db"}));
  EXPECT_EQ(ps({"name=-web$"}, true), (Strings{"old-web"}));
  EXPECT_THROW((void)ps({"name=(unclosed"}, true), Error);
  EXPECT_EQ(ps({"name=(?i)^WEB$"}, true), (Strings{"web"})) << "RE2's case-insensitive prefix";
  EXPECT_EQ(ps({"id=bbb"}, true), (Strings{"job"}));
  EXPECT_EQ(ps({"id=b2"}, true), (Strings{})) << "a prefix, not a substring";
}

TEST(PsFilter, StatusAndExitedImplyAll) {
  EXPECT_EQ(ps({"status=exited"}), (Strings{"job", "old-web"}));
  EXPECT_EQ(ps({"status=exited", "status=paused"}), (Strings{"job", "db", "old-web"}))
      << "one key twice: either";
  EXPECT_EQ(ps({"exited=3"}), (Strings{"job"}));
  EXPECT_EQ(ps({"exited=0"}), (Strings{"old-web"}));
}

TEST(PsFilter, DifferentKeysMustAllMatch) {
  EXPECT_EQ(ps({"status=exited", "name=web"}), (Strings{"old-web"}));
  EXPECT_EQ(ps({"label=tier", "status=running"}), (Strings{"web"}));
}

TEST(PsFilter, Labels) {
  EXPECT_EQ(ps({"label=tier"}, true), (Strings{"web", "job"}));
  EXPECT_EQ(ps({"label=tier=back"}, true), (Strings{"job"}));
  EXPECT_EQ(ps({"label=team=b"}, true), (Strings{}));
  // docker's rule: every label given must be there (it matched any one of them).
  EXPECT_EQ(ps({"label=tier", "label=team"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"label=tier=back", "label=team=a"}, true), (Strings{}));
}

TEST(PsFilter, AncestorByNameTagOrId) {
  EXPECT_EQ(ps({"ancestor=busybox"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"ancestor=busybox:latest"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"ancestor=busybox:1"}, true), (Strings{}));
  EXPECT_EQ(ps({"ancestor=f00d1111"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"ancestor=sha256:f00d1111"}, true), (Strings{"web"}));
  EXPECT_EQ(ps({"ancestor=registry.local:5000/tools:1.0"}, true), (Strings{"job"}));
  EXPECT_EQ(ps({"ancestor=registry.local:5000/tools"}, true), (Strings{})) << "tag latest";
}

TEST(PsFilter, BeforeAndSinceExcludeTheNamedOne) {
  EXPECT_EQ(ps({"before=job"}, true), (Strings{"db", "old-web"}));
  EXPECT_EQ(ps({"since=db"}, true), (Strings{"web", "job"}));
  EXPECT_EQ(ps({"since=old-web", "before=web"}, true), (Strings{"job", "db"}));
  EXPECT_EQ(ps({"before=ccc3"}, true), (Strings{"old-web"})) << "an id prefix";
  // A name wins over an id prefix: "ccc" named the oldest, while db's id starts with it.
  auto list = sample();
  list[3].state.name = "ccc";
  EXPECT_EQ(names(filter_containers(list, Filters::parse({"since=ccc"}, kPsFilterKeys), true, -1)),
            (Strings{"web", "job", "db"}));
  list[1].id = "ccc9" + std::string(60, '0');
  EXPECT_THROW(filter_containers(list, Filters::parse({"since=cc"}, kPsFilterKeys), true, -1),
               Error)
      << "a prefix of two ids";
}

TEST(PsFilter, HealthAndNetwork) {
  EXPECT_EQ(ps({"health=none"}, true).size(), 4u) << "no health checks: every one is none";
  EXPECT_EQ(ps({"health=healthy"}, true), (Strings{}));
  EXPECT_EQ(ps({"network=bridge"}, true), (Strings{"web"}));
}

std::string error_of(const Strings& filters) {
  try {
    (void)ps(filters, true);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 125);
    return e.what();
  }
  return "";
}

TEST(PsFilter, BadFiltersNameFlagAndValue) {
  EXPECT_NE(error_of({"colour=red"})
                .find("invalid value 'colour=red' for --filter: invalid filter "
                      "'colour'"),
            std::string::npos)
      << error_of({"colour=red"});
  EXPECT_NE(error_of({"status"}).find("expected KEY=VALUE"), std::string::npos);
  EXPECT_NE(error_of({"status=sleeping"}).find("'status=sleeping'"), std::string::npos);
  EXPECT_NE(error_of({"exited=x"}).find("'exited=x'"), std::string::npos);
  EXPECT_NE(error_of({"before=nobody"}).find("no such container"), std::string::npos);
  EXPECT_NE(error_of({"health=great"}).find("'health=great'"), std::string::npos);
}

// ---- images ----

ImageInfo image(const std::string& repo, const std::string& tag, const std::string& id,
                const std::string& created) {
  ImageInfo i;
  i.repository = repo;
  i.tag = tag;
  i.id = id + std::string(64 - id.size(), '0');
  i.created = created;
  return i;
}

Strings images(const Strings& filters) {
  std::vector<ImageInfo> rows = {
      image("busybox", "latest", "a1", "2026-01-03T00:00:00Z"),
      image("registry.local:5000/team/app", "1.0", "b2", "2026-01-02T00:00:00Z"),
      image("<none>", "<none>", "c3", "2026-01-01T00:00:00Z"),
  };
  Strings out;
  for (const auto& i :
       filter_images(rows, Filters::parse(filters, kImageFilterKeys), [](const ImageInfo& i) {
         if (i.id[0] == 'a') return std::map<std::string, std::string>{{"v", "1"}, {"w", "x"}};
         if (i.id[0] == 'b') return std::map<std::string, std::string>{{"v", "1"}};
         return std::map<std::string, std::string>{};
       }))
    out.push_back(i.repository);
  return out;
}

TEST(ImagesFilter, Dangling) {
  EXPECT_EQ(images({"dangling=true"}), (Strings{"<none>"}));
  EXPECT_EQ(images({"dangling=false"}), (Strings{"busybox", "registry.local:5000/team/app"}));
}

TEST(ImagesFilter, ReferenceIsAGlob) {
  EXPECT_EQ(images({"reference=busy*"}), (Strings{"busybox"}));
  EXPECT_EQ(images({"reference=registry.local:5000/team/*:1.*"}),
            (Strings{"registry.local:5000/team/app"}));
  EXPECT_EQ(images({"reference=*"}), (Strings{"busybox"})) << "* stops at a slash";
  EXPECT_EQ(images({"reference=busybox:latest"}), (Strings{"busybox"}));
}

TEST(ImagesFilter, BeforeSinceAndLabel) {
  EXPECT_EQ(images({"before=busybox"}), (Strings{"registry.local:5000/team/app", "<none>"}));
  EXPECT_EQ(images({"since=registry.local:5000/team/app:1.0"}), (Strings{"busybox"}));
  EXPECT_EQ(images({"label=v=1"}), (Strings{"busybox", "registry.local:5000/team/app"}));
  EXPECT_EQ(images({"label=v=2"}), (Strings{}));
  // docker's rule: every label given must be there (it matched any one of them).
  EXPECT_EQ(images({"label=v=1", "label=w"}), (Strings{"busybox"}));
  EXPECT_EQ(images({"label=v=2", "label=w"}), (Strings{}));
  EXPECT_THROW((void)images({"dangling=maybe"}), Error);
  EXPECT_THROW((void)images({"before=nothing"}), Error);
  EXPECT_THROW((void)images({"ancestor=x"}), Error);
}

// ---- volume ls / volume prune ----

Volume volume(const std::string& name, std::map<std::string, std::string> labels = {}) {
  Volume v;
  v.name = name;
  v.labels = std::move(labels);
  return v;
}

Strings volumes(const Strings& filters, const std::vector<std::string>& keys = kVolumeFilterKeys) {
  const std::vector<Volume> all = {volume("lab1", {{"team", "a"}, {"tier", ""}}), volume("proddb"),
                                   volume("test1", {{"team", "b"}}), volume("test2")};
  Strings out;
  for (const auto& v : filter_volumes(all, Filters::parse(filters, keys), {"proddb", "test2"}))
    out.push_back(v.name);
  return out;
}

TEST(VolumesFilter, NameDanglingDriver) {
  EXPECT_EQ(volumes({}), (Strings{"lab1", "proddb", "test1", "test2"}));
  EXPECT_EQ(volumes({"name=test"}), (Strings{"test1", "test2"}));
  EXPECT_EQ(volumes({"name=test1", "name=lab"}), (Strings{"lab1", "test1"}));
  EXPECT_EQ(volumes({"dangling=true"}), (Strings{"lab1", "test1"}));
  EXPECT_EQ(volumes({"dangling=1", "name=test"}), (Strings{"test1"}));
  EXPECT_EQ(volumes({"dangling=false"}), (Strings{"proddb", "test2"}));
  EXPECT_EQ(volumes({"dangling=0"}), (Strings{"proddb", "test2"}));
  EXPECT_EQ(volumes({"driver=local", "name=prod"}), (Strings{"proddb"}));
  EXPECT_EQ(volumes({"driver=nfs"}), (Strings{}));
}

TEST(VolumesFilter, LabelsMustAllMatch) {
  EXPECT_EQ(volumes({"label=team"}), (Strings{"lab1", "test1"}));
  EXPECT_EQ(volumes({"label=team=a"}), (Strings{"lab1"}));
  EXPECT_EQ(volumes({"label=team", "label=tier"}), (Strings{"lab1"}));
  EXPECT_EQ(volumes({"label=team=a", "label=team=b"}), (Strings{}));
  EXPECT_EQ(volumes({"label=tier="}), (Strings{"lab1"}));
}

TEST(VolumesFilter, PruneTakesLabelAndNotLabel) {
  EXPECT_EQ(volumes({"label!=team"}, kVolumePruneFilterKeys), (Strings{"proddb", "test2"}));
  EXPECT_EQ(volumes({"label!=team=a"}, kVolumePruneFilterKeys),
            (Strings{"proddb", "test1", "test2"}));
  EXPECT_EQ(volumes({"label=team", "label!=tier"}, kVolumePruneFilterKeys), (Strings{"test1"}));
  EXPECT_THROW((void)volumes({"name=x"}, kVolumePruneFilterKeys), Error);
}

TEST(VolumesFilter, BadFiltersAreErrors) {
  try {
    (void)volumes({"bogus=1"});
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "invalid value 'bogus=1' for --filter: invalid filter 'bogus' (filters: dangling, "
              "driver, label, name)");
    EXPECT_EQ(e.exit_code(), 125);
  }
  EXPECT_THROW((void)volumes({"dangling=maybe"}), Error);
  EXPECT_THROW((void)volumes({"name"}), Error);
}

}  // namespace
}  // namespace mydocker
