// Where a container's cgroup goes: the default parent, relative and absolute --cgroup-parent.

#include "mydocker/cgroup/placement.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

TEST(ResolveCgroupParent, DefaultIsTheCallersOwnCgroup) {
  // v1 names the container mydocker-<id> there (v2 has a default_placement of its own).
  EXPECT_EQ(resolve_cgroup_parent("/process_api/abc", ""), "/process_api/abc");
  EXPECT_EQ(resolve_cgroup_parent("/user.slice/session-1.scope", ""),
            "/user.slice/session-1.scope");
  EXPECT_EQ(resolve_cgroup_parent("/", ""), "/");
}

TEST(DefaultCgroupName, IsMydockerDashIdAndTellsItsContainer) {
  const std::string id(64, 'a');
  EXPECT_EQ(default_cgroup_name(id), "mydocker-" + id);
  EXPECT_EQ(container_of_cgroup("mydocker-" + id, true), id);
  EXPECT_EQ(container_of_cgroup(id, true), "");   // beside v1's: another runtime's, not ours
  EXPECT_EQ(container_of_cgroup(id, false), id);  // v2's /mydocker/<id>
  EXPECT_EQ(container_of_cgroup("mydocker-" + id, false), "");
  EXPECT_EQ(container_of_cgroup("mydocker-" + id.substr(1), true), "");
  EXPECT_EQ(container_of_cgroup("mydocker", true), "");
  EXPECT_EQ(container_of_cgroup("user.slice", true), "");
  EXPECT_EQ(container_of_cgroup("docker-" + id, true), "");
}

TEST(ResolveCgroupParent, RelativeParentIsBelowTheCallersCgroup) {
  EXPECT_EQ(resolve_cgroup_parent("/own", "a/b"), "/own/a/b");
  EXPECT_EQ(resolve_cgroup_parent("/", "ci/job"), "/ci/job");
  EXPECT_EQ(resolve_cgroup_parent("/own", "mydocker"), "/own/mydocker");
}

TEST(ResolveCgroupParent, AbsoluteParentIsFromTheHierarchyRoot) {
  EXPECT_EQ(resolve_cgroup_parent("/own", "/x/y"), "/x/y");
  EXPECT_EQ(resolve_cgroup_parent("/", "/x"), "/x");
  EXPECT_EQ(resolve_cgroup_parent("/own", "/"), "/");
}

TEST(ResolveCgroupParent, NormalisesDuplicateAndTrailingSlashes) {
  EXPECT_EQ(resolve_cgroup_parent("/own", "a//b/"), "/own/a/b");
  EXPECT_EQ(resolve_cgroup_parent("/own", "//x///y//"), "/x/y");
  EXPECT_EQ(resolve_cgroup_parent("/own", "a/"), "/own/a");
}

TEST(ResolveCgroupParent, RejectsDotAndDotDot) {
  for (const std::string parent : {"..", "../x", "a/../b", "./a", "/a/..", "a/./b", "/.."}) {
    try {
      (void)resolve_cgroup_parent("/own", parent);
      ADD_FAILURE() << "'" << parent << "' was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--cgroup-parent"), std::string::npos) << what;
      EXPECT_NE(what.find("'" + parent + "'"), std::string::npos) << what;
      EXPECT_EQ(e.exit_code(), kExitSetupError);
    }
  }
}

TEST(ResolveCgroupParent, AcceptsNamesThatOnlyContainDots) {
  EXPECT_EQ(resolve_cgroup_parent("/own", "a.b/..c/d.."), "/own/a.b/..c/d..");
  EXPECT_EQ(resolve_cgroup_parent("/own", "..."), "/own/...");
}

TEST(ValidateCgroupParent, RejectsControlCharactersAndEmpty) {
  EXPECT_THROW(validate_cgroup_parent("a\nb"), Error);
  EXPECT_THROW(validate_cgroup_parent(std::string("a\0b", 3)), Error);
  EXPECT_THROW(validate_cgroup_parent("a\tb"), Error);
  EXPECT_THROW(validate_cgroup_parent(""), Error);
}

TEST(ValidateCgroupParent, AcceptsOrdinaryPaths) {
  EXPECT_NO_THROW(validate_cgroup_parent("ci/job"));
  EXPECT_NO_THROW(validate_cgroup_parent("/abs/path"));
  EXPECT_NO_THROW(validate_cgroup_parent("system.slice/docker-1.scope"));
}

}  // namespace
}  // namespace mydocker

namespace mydocker {
namespace {

// The OCI runtime's cgroupsPath "/NAME" on v1: NAME directly below the caller's own cgroup.
TEST(ResolveCgroupParent, DotIsTheCallersOwnCgroupForTheOciRuntime) {
  EXPECT_EQ(resolve_cgroup_parent("/user/1000", "."), "/user/1000");
  EXPECT_THROW(validate_cgroup_parent("."), Error) << "never as a --cgroup-parent";
}

}  // namespace
}  // namespace mydocker
