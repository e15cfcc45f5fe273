// ImageStore on a temp data root: import (layout, content ids, tags), references, list,
// resolve, rmi, commit, and the `images` table.

#include "mydocker/image/image.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mydocker/format/images.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/image/tar.hpp"
#include "mydocker/store/state.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/scope_guard.hpp"
#include "unit/store/store_helpers.hpp"

namespace mydocker {
namespace {

using test::entries_of;
using test::get_file;
using test::put_file;
using test::rfc3339_at;
using Strings = std::vector<std::string>;

la_ssize_t append(archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

// A tar of files (path -> content; a path ending in '/' is a directory, mode 0555).
std::string tar_of(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(a, &out, nullptr, append, nullptr);
  for (const auto& [path, content] : files) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_mtime(entry, 1700000000, 0);
    if (path.ends_with("/")) {
      archive_entry_set_filetype(entry, AE_IFDIR);
      archive_entry_set_perm(entry, 0555);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, 0644);
      archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    }
    archive_write_header(a, entry);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// An fd reading `bytes` from the start.
UniqueFd input(const std::string& bytes) {
  UniqueFd fd(::memfd_create("tar", MFD_CLOEXEC));
  if (!fd || !write_all(fd.get(), bytes.data(), bytes.size()) || ::lseek(fd.get(), 0, SEEK_SET))
    throw std::runtime_error("memfd");
  return fd;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

std::string link_target(const std::string& path) {
  std::error_code ec;
  return std::filesystem::read_symlink(path, ec).string();
}

// The message of the Error `f` throws, or "" when it does not.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string kBusybox =
    tar_of({{"bin/", ""}, {"bin/sh", "#!busybox\n"}, {"etc/hostname", "box\n"}});
const std::string kAlpine = tar_of({{"etc/alpine-release", "3.19.0\n"}});

const auto kNotUsed = [](const std::string&) { return false; };
const auto kUsed = [](const std::string&) { return true; };

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = test::make_temp_dir();
    store_ = std::make_unique<ImageStore>(root_ + "/data");
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->symlink_status().type() == std::filesystem::file_type::directory)
        ::chmod(it->path().c_str(), 0700);
    test::remove_tree(root_);
  }

  ImageStore& store() { return *store_; }
  std::string data(const std::string& rel) const { return root_ + "/data/" + rel; }
  ImageInfo import(const std::string& bytes, const std::string& reference) {
    return store().import_tar(input(bytes).get(), reference, "test.tar");
  }
  void import_fd(int fd) { store().import_tar(fd, "alpine", "-"); }
  // Entries of images/ and tags/ whose names are temporary.
  Strings leftovers() const {
    Strings out;
    for (const char* dir : {"images", "tags"})
      for (const auto& name : entries_of(data(dir)))
        if (name.starts_with(".")) out.push_back(std::string(dir) + "/" + name);
    return out;
  }
  // (repository:tag, short id) of every list() entry, in order.
  Strings listed() const {
    Strings out;
    for (const auto& i : store_->list())
      out.push_back(i.repository + ":" + i.tag + " " + short_id(i.id));
    return out;
  }

  std::string root_;
  std::unique_ptr<ImageStore> store_;
};

// ---- import ----

// ---- what run's first word can be ----

TEST(ReferenceKind, OnlyAnImageHasATagADigestOrARegistry) {
  for (const char* w :
       {"busybox:1.36", "nosuchimage:1", "busybox:latest", "quay.io/foo/bar", "localhost:5000/x",
        "localhost/x", "registry.example.com:443/a/b:v2",
        "busybox@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    EXPECT_EQ(reference_kind(w), ReferenceKind::kImageOnly) << w;
}

TEST(ReferenceKind, ABareNameMayBeEither) {
  for (const char* w : {"busybox", "stress", "true", "library/busybox", "build/examples/burn",
                        "my-tool", "a_b", "x.y"})
    EXPECT_EQ(reference_kind(w), ReferenceKind::kName) << w;
}

TEST(ReferenceKind, PathsAndOtherWordsAreCommandsOnly) {
  for (const char* w : {"/bin/sh", "./run.sh", "../x", ".", "Make", "sh -c", "a//b", "a/", "-x",
                        "x:", "x@sha256:zz", "UPPER:1", "x:/y"})
    EXPECT_EQ(reference_kind(w), ReferenceKind::kNotAReference) << w;
}

TEST_F(ImageTest, ImportLaysOutTheImage) {
  const ImageInfo info = store().import_tar(input(kBusybox).get(), "busybox", "busybox.tar");

  // docker's id: the digest of the image's config, which names the layer by its diff id.
  const std::string config = get_file(data("blobs/sha256/" + info.id));
  EXPECT_EQ(sha256_hex(config), info.id);
  EXPECT_EQ(nlohmann::json::parse(config)["rootfs"]["diff_ids"],
            nlohmann::json::array({"sha256:" + sha256_hex(kBusybox)}));
  EXPECT_EQ(info.layers, Strings{"sha256:" + sha256_hex(kBusybox)});
  EXPECT_EQ(get_file(data("blobs/sha256/" + sha256_hex(kBusybox))), kBusybox);  // the blob
  EXPECT_EQ(info.repository, "busybox");
  EXPECT_EQ(info.tag, "latest");
  EXPECT_EQ(info.source, "busybox.tar");
  EXPECT_EQ(info.size, 14);  // "#!busybox\n" and "box\n"
  EXPECT_NEAR(parse_rfc3339(info.created), static_cast<double>(std::time(nullptr)), 5);
  const std::string layer = data("layers/" + sha256_hex(kBusybox) + "/diff");
  const std::string init = data("images/" + info.id + "/init");
  // The layer through its short link (l/<20 hex>), which points at the layer's directory.
  const std::string link = data("l/" + sha256_hex(kBusybox).substr(0, 20));
  EXPECT_EQ(store().lowerdirs(info), (Strings{init, link}));
  EXPECT_EQ(mydocker::read_link(link), "../layers/" + sha256_hex(kBusybox) + "/diff");
  EXPECT_EQ(get_file(layer + "/bin/sh"), "#!busybox\n");
  EXPECT_EQ(get_file(layer + "/etc/hostname"), "box\n");
  // The mount points the layer lacks, in the image's init directory (its hostname is its own).
  Strings made = entries_of(init), made_etc = entries_of(init + "/etc");
  std::sort(made.begin(), made.end());
  std::sort(made_etc.begin(), made_etc.end());
  EXPECT_EQ(made, (Strings{"dev", "etc", "proc", "sys"}));
  EXPECT_EQ(made_etc, (Strings{"hosts", "resolv.conf"}));
  const auto j = nlohmann::json::parse(get_file(data("images/" + info.id + "/image.json")));
  EXPECT_EQ(j, (nlohmann::json{{"id", info.id},
                               {"created", info.created},
                               {"size", 14},
                               {"source", "busybox.tar"},
                               {"layers", info.layers},
                               {"manifest", info.manifest},
                               {"repo_digests", nlohmann::json::array()}}));
  const auto manifest =
      nlohmann::json::parse(get_file(data("blobs/sha256/" + info.manifest.substr(7))));
  EXPECT_EQ(manifest["config"]["digest"], "sha256:" + info.id);
  EXPECT_EQ(manifest["layers"][0]["digest"], info.layers[0]);
  EXPECT_EQ(link_target(data("tags/busybox:latest")), info.id);
  EXPECT_EQ(leftovers(), Strings{});
}

TEST_F(ImageTest, SizeCountsFilesAndSymlinksAndHardLinksOnce) {
  const std::string dir = root_ + "/tree";
  std::filesystem::create_directories(dir + "/sub");
  put_file(dir + "/a", "12345");
  ::link((dir + "/a").c_str(), (dir + "/sub/a-again").c_str());
  ::symlink("a", (dir + "/sym").c_str());  // 1 byte: the target's length

  EXPECT_EQ(mydocker::tree_size(dir), 6);
}

TEST_F(ImageTest, SameContentTwiceIsOneImage) {
  const ImageInfo first = import(kBusybox, "a:1");

  const ImageInfo second = import(kBusybox, "b:2");

  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.created, first.created);  // the image of the first import
  EXPECT_EQ(second.repository, "b");
  EXPECT_EQ(second.tag, "2");
  EXPECT_EQ(entries_of(data("images")), Strings{first.id});
  EXPECT_EQ(listed(), (Strings{"a:1 " + short_id(first.id), "b:2 " + short_id(first.id)}));
  EXPECT_EQ(leftovers(), Strings{});
}

TEST_F(ImageTest, CompressedImportHasTheDiffIdOfItsTar) {
  std::string gz;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &gz, nullptr, append, nullptr);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_size(entry, static_cast<la_int64_t>(kBusybox.size()));
  archive_write_header(a, entry);
  archive_write_data(a, kBusybox.data(), kBusybox.size());
  archive_entry_free(entry);
  archive_write_free(a);

  const ImageInfo info = import(gz, "busybox:gz");

  EXPECT_EQ(info.layers, Strings{"sha256:" + sha256_hex(kBusybox)});  // the tar's digest
  EXPECT_EQ(get_file(data("blobs/sha256/" + sha256_hex(gz))), gz);    // kept as it came
  EXPECT_EQ(get_file(store().lowerdirs(info)[1] + "/etc/hostname"), "box\n");
}

TEST_F(ImageTest, LaterImportTakesTheTagAndTheOldImageStaysUntagged) {
  const ImageInfo old_image = import(kBusybox, "base");

  const ImageInfo new_image = import(kAlpine, "base");

  EXPECT_EQ(link_target(data("tags/base:latest")), new_image.id);
  EXPECT_EQ(store().resolve("base").id, new_image.id);
  const Strings rows = listed();
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_NE(std::find(rows.begin(), rows.end(), "<none>:<none> " + short_id(old_image.id)),
            rows.end());
  EXPECT_EQ(store().resolve(old_image.id).repository, "<none>");
}

TEST_F(ImageTest, RepositoriesWithSlashes) {
  const ImageInfo info = import(kBusybox, "library/busybox:1.36");

  EXPECT_EQ(link_target(data("tags/library/busybox:1.36")), info.id);
  EXPECT_EQ(store().resolve("library/busybox:1.36").id, info.id);
  EXPECT_EQ(listed(), Strings{"library/busybox:1.36 " + short_id(info.id)});
}

// A registry's host:port names a directory of the tag store, and a one-component repository
// with a tag its link: "localhost:5000/app:1" and "localhost:5000" (localhost, tag 5000) both
// stand, in either order; a data root of before (a link at "tags/reg:5000/x:1") still resolves.
TEST_F(ImageTest, ARegistryPortAndATagOfTheSameTextBothStand) {
  const ImageInfo info = import(kBusybox, "localhost:5000/app:1");
  store().tag("localhost:5000/app:1", "localhost:5000");
  store().tag("localhost:5000/app:1", "myreg:5000");
  store().tag("localhost:5000/app:1", "myreg:5000/x:1");
  for (const char* name :
       {"localhost:5000/app:1", "localhost:5000", "myreg:5000", "myreg:5000/x:1"})
    EXPECT_EQ(store().resolve(name).id, info.id) << name;
  EXPECT_EQ(listed().size(), 4u);
  ASSERT_EQ(::mkdir(data("tags/old:5000").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(info.id.c_str(), data("tags/old:5000/y:2").c_str()), 0);
  EXPECT_EQ(store().resolve("old:5000/y:2").id, info.id);
  store().tag("localhost:5000/app:1", "old:5000/y:2");  // set again: at its new place only
  EXPECT_FALSE(exists(data("tags/old:5000/y:2")));
  EXPECT_EQ(store().resolve("old:5000/y:2").id, info.id);
}

TEST_F(ImageTest, FailedImportLeavesNothing) {
  const std::string evil = tar_of({{"ok", "fine"}, {"../evil", "x"}});

  const std::string error = error_of([&] { import(evil, "evil"); });

  EXPECT_EQ(error, "import: entry ../evil: path leaves the image");
  EXPECT_EQ(entries_of(data("images")), Strings{});
  EXPECT_EQ(entries_of(data("layers")), Strings{});
  EXPECT_EQ(entries_of(data("blobs/sha256")), Strings{});
  EXPECT_FALSE(exists(data("tags/evil:latest")));
  EXPECT_FALSE(exists(data("evil")));
}

// ---- what a killed import or rmi leaves: prune's part ----

TEST_F(ImageTest, AbandonedListsUnlockedTempDirectoriesAndOldTempTags) {
  import(kBusybox, "busybox");
  ASSERT_EQ(::mkdir(data("images/.tmp-dead").c_str(), 0700), 0);  // its importer was killed
  put_file(data("images/.tmp-dead/rootfs-part"), "x");
  ASSERT_EQ(::mkdir(data("images/.tmp-busy").c_str(), 0700), 0);  // an import still running
  UniqueFd busy(::open(data("images/.tmp-busy").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(::flock(busy.get(), LOCK_EX), 0);
  ASSERT_EQ(::symlink("0123", data("tags/.tmp-old").c_str()), 0);
  ASSERT_EQ(::symlink("0123", data("tags/.tmp-new").c_str()), 0);
  const timespec two_minutes_ago[2] = {{::time(nullptr) - 120, 0}, {::time(nullptr) - 120, 0}};
  ASSERT_EQ(
      ::utimensat(AT_FDCWD, data("tags/.tmp-old").c_str(), two_minutes_ago, AT_SYMLINK_NOFOLLOW),
      0);

  Strings found = store().abandoned();
  std::sort(found.begin(), found.end());

  EXPECT_EQ(found, (Strings{data("images/.tmp-dead"), data("tags/.tmp-old")}));
  for (const auto& path : found) mydocker::remove_tree(path);
  Strings left = leftovers();
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (Strings{"images/.tmp-busy", "tags/.tmp-new"}));
  EXPECT_EQ(listed().size(), 1u);
}

TEST_F(ImageTest, AnImportInProgressHasNoName) {
  // A tar stream still arriving (here: a pipe we have not closed yet).
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd read_end(p[0]), write_end(p[1]);
  std::string error;
  std::thread importer([&] { error = error_of([&] { import_fd(read_end.get()); }); });
  ScopeGuard finish([&] {  // an assertion below must not leave the thread running
    write_end.reset();
    if (importer.joinable()) importer.join();
  });
  // The stream goes to an unnamed file (O_TMPFILE) until it is all there: nothing to see, and
  // nothing a kill could leave behind.
  for (int i = 0; i < 500 && !exists(data("blobs/sha256")); ++i) ::usleep(2000);
  ASSERT_TRUE(exists(data("blobs/sha256")));
  EXPECT_EQ(entries_of(data("blobs/sha256")), Strings{});
  EXPECT_EQ(store().abandoned(), Strings{});

  ASSERT_TRUE(write_all(write_end.get(), kAlpine.data(), kAlpine.size()));
  write_end.reset();
  importer.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(leftovers(), Strings{});
  EXPECT_EQ(listed().size(), 1u);
  EXPECT_EQ(store().resolve("alpine").layers, Strings{"sha256:" + sha256_hex(kAlpine)});
}

// ---- references ----

TEST_F(ImageTest, BadReferencesAreNamedAndNothingIsRead) {
  for (const std::string& ref :
       Strings{"UPPER", "a:b:c", "", "name:", "-lead", "a//b", "a..b", "name:-tag", "name:.tag",
               "a/", "name:" + std::string(129, 't'), std::string(64, 'a'),
               // hosts that are paths: the tag's link would land outside tags/
               "../volumes/x:y", "../evil:x", ".../x", "a..b.io/x", "-a.io/x", "a-.io/x", ".io/x",
               "io./x", "..:5000/x"}) {
    UniqueFd fd = input(kBusybox);

    const std::string error = error_of([&] { store().import_tar(fd.get(), ref, "-"); });

    EXPECT_TRUE(error.starts_with("invalid reference format \"" + ref + "\": ")) << error;
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 0) << ref;
  }
  EXPECT_EQ(error_of([] { parse_image_reference("UPPER"); }),
            "invalid reference format \"UPPER\": repository name must be lowercase");
  EXPECT_EQ(error_of([] { parse_image_reference("name:"); }),
            "invalid reference format \"name:\": the tag after ':' is empty");
  EXPECT_FALSE(exists(data("images")));
}

TEST_F(ImageTest, GoodReferences) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"busybox", "busybox:latest"},
      {"busybox:1.36", "busybox:1.36"},
      {"library/busybox", "library/busybox:latest"},
      {"my-org/my_app.v2:V1_x.y-z", "my-org/my_app.v2:V1_x.y-z"},
      {"a__b/c---d:_", "a__b/c---d:_"},
      {"registry-1.docker.io/library/x", "registry-1.docker.io/library/x:latest"},
      {"my-reg.local:5000/a/b:1", "my-reg.local:5000/a/b:1"},
  };
  for (const auto& [ref, text] : cases) EXPECT_EQ(parse_image_reference(ref).text(), text) << ref;
}

// ---- resolve ----

TEST_F(ImageTest, ResolveByNameTagIdAndPrefix) {
  const ImageInfo busybox = import(kBusybox, "busybox:1.36");
  const ImageInfo alpine = import(kAlpine, "alpine");

  EXPECT_EQ(store().resolve("alpine").id, alpine.id);
  EXPECT_EQ(store().resolve("alpine:latest").id, alpine.id);
  EXPECT_EQ(store().resolve("busybox:1.36").id, busybox.id);
  EXPECT_EQ(store().resolve(busybox.id).id, busybox.id);
  EXPECT_EQ(store().resolve(busybox.id.substr(0, 12)).id, busybox.id);
  EXPECT_EQ(store().resolve("sha256:" + busybox.id.substr(0, 12)).id, busybox.id);
  const ImageInfo by_id = store().resolve(busybox.id);
  EXPECT_EQ(by_id.repository + ":" + by_id.tag, "busybox:1.36");
  EXPECT_EQ(by_id.source, "test.tar");
}

TEST_F(ImageTest, ResolveMissing) {
  import(kBusybox, "busybox:1.36");

  EXPECT_EQ(error_of([&] { store().resolve("busybox"); }), "No such image: busybox");
  EXPECT_EQ(error_of([&] { store().resolve("nope:1"); }), "No such image: nope:1");
  EXPECT_EQ(error_of([&] { store().resolve("ffff"); }).starts_with("No such image"),
            !sha256_hex(kBusybox).starts_with("ffff"));
  EXPECT_EQ(error_of([&] { store().resolve(""); }), "No such image: (empty)");
}

TEST_F(ImageTest, ResolveAmbiguousPrefix) {
  std::map<char, std::string> by_first;
  std::string prefix;
  for (int i = 0; prefix.empty(); ++i) {
    const ImageInfo info = import(tar_of({{"n", std::to_string(i)}}), "n:" + std::to_string(i));
    if (!by_first.emplace(info.id[0], info.id).second) prefix = info.id.substr(0, 1);
  }

  EXPECT_EQ(error_of([&] { store().resolve(prefix); }),
            "multiple images match the prefix " + prefix + ": use more of the id");
  EXPECT_EQ(store().resolve(by_first[prefix[0]]).id, by_first[prefix[0]]);
}

// ---- remove ----

TEST_F(ImageTest, RemoveATagOfAnImageWithOthersKeepsTheImage) {
  const ImageInfo info = import(kBusybox, "a");
  import(kBusybox, "b");

  const Strings lines = store().remove("a", false, kUsed);

  EXPECT_EQ(lines, Strings{"Untagged: a:latest"});
  EXPECT_FALSE(exists(data("tags/a:latest")));
  EXPECT_EQ(store().resolve("b").id, info.id);
}

TEST_F(ImageTest, RemoveTheLastTagDeletesTheImage) {
  const ImageInfo info = import(kBusybox, "a");

  const Strings lines = store().remove("a", false, kNotUsed);

  EXPECT_EQ(lines, (Strings{"Untagged: a:latest", "Deleted: sha256:" + info.id,
                            "Deleted: " + info.layers[0]}));
  EXPECT_EQ(entries_of(data("images")), Strings{});
  EXPECT_FALSE(exists(data("tags/a:latest")));
  EXPECT_EQ(store().list().size(), 0u);
}

TEST_F(ImageTest, RemoveOfAnImageInUseNeedsForce) {
  const ImageInfo info = import(kBusybox, "a");
  std::string asked;

  const std::string error = error_of([&] {
    store().remove("a", false, [&](const std::string& id) {
      asked = id;
      return true;
    });
  });

  EXPECT_EQ(asked, info.id);
  EXPECT_EQ(error, "conflict: unable to remove repository reference \"a\" (must force) - image " +
                       short_id(info.id) + " is used by a container (see `mydocker ps -a`)");
  EXPECT_EQ(store().resolve("a").id, info.id);
  EXPECT_TRUE(contains(error_of([&] { store().remove(info.id, false, kUsed); }),
                       "conflict: unable to delete " + short_id(info.id) + " (must be forced)"));

  // Forced while a container uses it: the name goes, the image and its layers stay (the
  // container's overlay stands on them) until an rmi of its id finds it unused.
  EXPECT_EQ(store().remove("a", true, kUsed), Strings{"Untagged: a:latest"});
  EXPECT_EQ(entries_of(data("images")), Strings{info.id});
  EXPECT_EQ(store().resolve(info.id).repository, "<none>");
  EXPECT_EQ(store().remove(info.id, false, kNotUsed).front(), "Deleted: sha256:" + info.id);
  EXPECT_EQ(entries_of(data("images")), Strings{});
}

TEST_F(ImageTest, RemoveByIdOfAnImageInManyRepositoriesNeedsForce) {
  const ImageInfo info = import(kBusybox, "a:1");
  import(kBusybox, "b:1");

  EXPECT_EQ(error_of([&] { store().remove(info.id, false, kNotUsed); }),
            "conflict: unable to delete " + short_id(info.id) +
                " (must be forced) - image is referenced in multiple repositories");

  EXPECT_EQ(store().remove(info.id.substr(0, 12), true, kNotUsed),
            (Strings{"Untagged: a:1", "Untagged: b:1", "Deleted: sha256:" + info.id,
                     "Deleted: " + info.layers[0]}));
  EXPECT_EQ(listed(), Strings{});
  EXPECT_EQ(leftovers(), Strings{});
}

TEST_F(ImageTest, RemoveByIdOfAnImageWithTagsInOneRepository) {
  const ImageInfo info = import(kBusybox, "a:1");
  import(kBusybox, "a:2");

  EXPECT_EQ(store().remove(info.id, false, kNotUsed),
            (Strings{"Untagged: a:1", "Untagged: a:2", "Deleted: sha256:" + info.id,
                     "Deleted: " + info.layers[0]}));
}

TEST_F(ImageTest, RemoveAnUntaggedImageById) {
  const ImageInfo old_image = import(kBusybox, "base");
  import(kAlpine, "base");

  EXPECT_EQ(store().remove(old_image.id, false, kNotUsed),
            (Strings{"Deleted: sha256:" + old_image.id, "Deleted: " + old_image.layers[0]}));
  EXPECT_EQ(listed().size(), 1u);
}

TEST_F(ImageTest, RemoveAnImageWithReadOnlyDirectories) {
  const ImageInfo info = import(tar_of({{"ro/", ""}, {"ro/f", "x"}}), "ro");
  ASSERT_EQ(::access((store().lowerdirs(info)[1] + "/ro").c_str(), F_OK), 0);

  const Strings lines = store().remove("ro", false, kNotUsed);

  // The layer goes with its last image, and so do the blobs.
  EXPECT_EQ(lines.back(), "Deleted: " + info.layers[0]);
  EXPECT_EQ(entries_of(data("images")), Strings{});
  EXPECT_EQ(entries_of(data("layers")), Strings{});
  EXPECT_EQ(entries_of(data("blobs/sha256")), Strings{});
}

TEST_F(ImageTest, RemoveOfAMissingImage) {
  EXPECT_EQ(error_of([&] { store().remove("nope", false, kNotUsed); }), "No such image: nope");
}

// ---- commit ----

TEST_F(ImageTest, CommitAddsALayerWithWhiteoutsOnTheImage) {
  const ImageInfo base = import(
      tar_of(
          {{"etc/", ""}, {"etc/hostname", "box\n"}, {"gone", "x"}, {"dir/", ""}, {"dir/old", "o"}}),
      "base");
  // An overlay upper directory: a changed file, a deleted one (0:0 char device) and a directory
  // replaced (opaque).
  const std::string upper = root_ + "/upper";
  std::filesystem::create_directories(upper + "/etc");
  std::filesystem::create_directories(upper + "/dir");
  put_file(upper + "/etc/hostname", "committed\n");
  put_file(upper + "/dir/new", "n");
  ASSERT_EQ(::mknod((upper + "/gone").c_str(), S_IFCHR | 0600, 0), 0) << "needs root";
  ASSERT_EQ(::setxattr((upper + "/dir").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);

  const ImageInfo info =
      store().commit_layer(upper, base.id, "snap:1", "container 0123456789ab", "commit");

  EXPECT_EQ(info.repository + ":" + info.tag, "snap:1");
  EXPECT_EQ(info.source, "container 0123456789ab");
  ASSERT_EQ(info.layers.size(), 2u);
  EXPECT_EQ(info.layers[0], base.layers[0]);  // shared, not copied
  const std::string top = store().lowerdirs(info)[1];
  EXPECT_EQ(get_file(top + "/etc/hostname"), "committed\n");
  struct stat st {};
  ASSERT_EQ(::lstat((top + "/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == 0);
  char opaque = 0;
  EXPECT_EQ(::getxattr((top + "/dir").c_str(), "trusted.overlay.opaque", &opaque, 1), 1);
  // The layer's tar carries the OCI whiteouts, not overlayfs' forms.
  const auto manifest =
      nlohmann::json::parse(get_file(data("blobs/sha256/" + info.manifest.substr(7))));
  ASSERT_EQ(manifest["layers"].size(), 2u);
  const std::string blob = get_file(
      data("blobs/sha256/" + manifest["layers"][1]["digest"].get<std::string>().substr(7)));
  EXPECT_TRUE(contains(blob, ".wh.gone"));
  EXPECT_TRUE(contains(blob, "dir/.wh..wh..opq"));
  EXPECT_FALSE(contains(blob, "trusted.overlay"));
  EXPECT_EQ(leftovers(), Strings{});
}

TEST_F(ImageTest, CommitWithABadReferenceArchivesNothing) {
  const ImageInfo base = import(kBusybox, "base");
  EXPECT_TRUE(error_of([&] {
                store().commit_layer(root_ + "/missing", base.id, "BAD", "-", "-");
              }).starts_with("invalid reference format \"BAD\""));
}

// ---- images ----

TEST(ImageTable, PrintImagesAsDocker) {
  const std::string id1 = test::make_id("0123456789abcdef"),
                    id2 = test::make_id("fedcba9876543210");
  const time_t now = std::time(nullptr);
  const std::vector<ImageInfo> images = {
      {id1, "busybox", "latest", rfc3339_at(now - 300), 4261234, "busybox.tar", {}, "", {}},
      {id2, "<none>", "<none>", rfc3339_at(now - 7200), 999, "old.tar", {}, "", {}},
  };
  const std::string out = format_images(images, false, false, now_seconds());

  EXPECT_EQ(out,
            "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n"
            "busybox      latest    0123456789ab   5 minutes ago   4.26MB\n"
            "<none>       <none>    fedcba987654   2 hours ago     999B\n");
  // --no-trunc: whole ids; --format json: the fields templates see (docker's are the same).
  EXPECT_EQ(format_images(images, true, false, now_seconds(), true),
            "sha256:" + id1 + "\nsha256:" + id2 + "\n");
  const std::string first_line = format_images(images, false, true, now_seconds());
  const auto row = nlohmann::json::parse(first_line.substr(0, first_line.find('\n')));
  EXPECT_EQ(row["ID"], "0123456789ab");
  EXPECT_EQ(row["VirtualSize"], "4.26MB");
  EXPECT_EQ(row["Containers"], "N/A");
  EXPECT_EQ(row.size(), 11u);
}

TEST(ImageTable, HumanSizeAsGoUnits) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "0B"},           {999, "999B"},        {1000, "1kB"},       {1234, "1.23kB"},
      {4261234, "4.26MB"}, {72800000, "72.8MB"}, {1000000000, "1GB"}, {1234567890123, "1.23TB"},
      {999999, "1e+03kB"},  // go-units' %.3g, as docker prints it
  };
  for (const auto& [bytes, text] : cases) EXPECT_EQ(human_size(bytes), text) << bytes;
}

}  // namespace
}  // namespace mydocker
