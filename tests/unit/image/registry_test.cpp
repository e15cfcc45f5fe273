// The registry client's pieces that need no network: docker's reference grammar, URLs and
// Location headers, WWW-Authenticate challenges, the chunked decoder, base64, platform
// selection from an index, and config.json edits that keep what they do not own. (The client
// against real registries: tests/registry_dev/run.sh.)

#include "mydocker/image/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/image/http.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

using registry::parse_reference;
using registry::Reference;

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;

struct RefCase {
  std::string text, registry, repository, tag, digest, familiar;
};

TEST(RegistryReference, NormalisesAsDocker) {
  const std::vector<RefCase> cases = {
      {"busybox", "registry-1.docker.io", "library/busybox", "latest", "", "busybox:latest"},
      {"busybox:1.36", "registry-1.docker.io", "library/busybox", "1.36", "", "busybox:1.36"},
      {"library/busybox", "registry-1.docker.io", "library/busybox", "latest", "",
       "busybox:latest"},
      {"docker.io/busybox", "registry-1.docker.io", "library/busybox", "latest", "",
       "busybox:latest"},
      {"index.docker.io/library/busybox:1", "registry-1.docker.io", "library/busybox", "1", "",
       "busybox:1"},
      {"user/app:v2", "registry-1.docker.io", "user/app", "v2", "", "user/app:v2"},
      {"quay.io/x/y:1", "quay.io", "x/y", "1", "", "quay.io/x/y:1"},
      {"localhost:5000/a/b@" + kDigest, "localhost:5000", "a/b", "", kDigest,
       "localhost:5000/a/b@" + kDigest},
      {"localhost/x", "localhost", "x", "latest", "", "localhost/x:latest"},
      {"localhost:5000", "registry-1.docker.io", "library/localhost", "5000", "", "localhost:5000"},
      {"[::1]:5000/x:1", "[::1]:5000", "x", "1", "", "[::1]:5000/x:1"},
      {"Registry.Example/x", "Registry.Example", "x", "latest", "", "Registry.Example/x:latest"},
      {"a__b/c-d/e--f.g_h:T_1.x-y", "registry-1.docker.io", "a__b/c-d/e--f.g_h", "T_1.x-y", "",
       "a__b/c-d/e--f.g_h:T_1.x-y"},
      {"busybox:1@" + kDigest, "registry-1.docker.io", "library/busybox", "1", kDigest,
       "busybox:1@" + kDigest},
  };
  for (const RefCase& c : cases) {
    SCOPED_TRACE(c.text);
    Reference r = parse_reference(c.text);
    EXPECT_EQ(r.registry, c.registry);
    EXPECT_EQ(r.repository, c.repository);
    EXPECT_EQ(r.tag, c.tag);
    EXPECT_EQ(r.digest, c.digest);
    EXPECT_EQ(r.familiar(), c.familiar);
  }
}

TEST(RegistryReference, FullNamesAsContainerd) {
  EXPECT_EQ(parse_reference("busybox").full(), "docker.io/library/busybox:latest");
  EXPECT_EQ(parse_reference("busybox").name(), "docker.io/library/busybox");
  EXPECT_EQ(parse_reference("localhost:5000/x@" + kDigest).full(), "localhost:5000/x@" + kDigest);
}

TEST(RegistryReference, RefusesWhatDockerRefuses) {
  const std::vector<std::string> bad = {
      "",
      "Busybox",
      "library/BusyBox",
      "a b",
      "busybox:",
      "busybox:-tag",
      "busybox:" + std::string(129, 't'),
      "busybox@sha256:abc",
      "busybox@sha256:" + std::string(64, 'A'),
      "busybox@sha512:" + std::string(128, 'a'),
      "busybox@",
      "a___b",
      "-a",
      "a-",
      "a/",
      "/a",
      "a//b",
      "quay.io/../x",
      "bad_host.io:5000x/a",
      "-bad.io/a",
      "x/" + std::string(254, 'a'),
      kHex,
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_reference(text), Error);
  }
}

TEST(RegistryReference, ErrorNamesTheTextAndExits125) {
  try {
    parse_reference("Busybox");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"Busybox\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("must be lowercase"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), 125);
  }
}

TEST(RegistryDigest, OnlySha256LowerHex) {
  EXPECT_TRUE(registry::is_digest(kDigest));
  EXPECT_FALSE(registry::is_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(registry::is_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(registry::is_digest("sha256:" + std::string(63, 'a') + "/"));
  EXPECT_FALSE(registry::is_digest("sha256:../../../../../../../../../../../../etc/passwd....."));
  EXPECT_FALSE(registry::is_digest("sha512:" + std::string(64, 'a')));
}

// ---- http pieces ----

TEST(HttpUrl, ParsesAndPrints) {
  http::Url u = http::parse_url("https://[::1]:5000/v2/x?y=1#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 5000);
  EXPECT_EQ(u.target, "/v2/x?y=1");
  EXPECT_EQ(u.authority(), "[::1]:5000");
  EXPECT_EQ(http::parse_url("http://h").target, "/");
  EXPECT_EQ(http::parse_url("http://h:80/a").authority(), "h");
  EXPECT_EQ(http::parse_url("HTTPS://h:443?q").str(), "https://h/?q");
  for (const char* bad : {"ftp://h/", "h/x", "http://", "http://h:0/", "http://h:99999/",
                          "http://u@h/", "http://h/a b", "http://[::1/"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(http::parse_url(bad), Error);
  }
}

TEST(HttpUrl, ResolvesLocations) {
  http::Url base = http::parse_url("https://reg:5000/v2/x/blobs/uploads/?a=b");
  EXPECT_EQ(http::resolve(base, "/v2/x/blobs/uploads/u1?_state=s").str(),
            "https://reg:5000/v2/x/blobs/uploads/u1?_state=s");
  EXPECT_EQ(http::resolve(base, "u2").str(), "https://reg:5000/v2/x/blobs/uploads/u2");
  EXPECT_EQ(http::resolve(base, "http://s3.example/b?sig=1").str(), "http://s3.example/b?sig=1");
  EXPECT_EQ(http::resolve(base, "//cdn.example/b").str(), "https://cdn.example/b");
  EXPECT_THROW(http::resolve(base, "/a\r\nX-Injected: 1"), Error);
  EXPECT_THROW(http::resolve(base, "file:///etc/passwd"), Error);
  EXPECT_THROW(http::resolve(base, ""), Error);
}

TEST(HttpHeaders, NamesAreCaseInsensitive) {
  http::Headers h;
  h.add("WWW-Authenticate", "Basic realm=a");
  h.add("www-authenticate", "Bearer realm=b");
  h.add("Content-Length", "3");
  EXPECT_EQ(h.get("content-LENGTH").value(), "3");
  EXPECT_EQ(h.all("Www-Authenticate").size(), 2u);
  h.set("CONTENT-length", "4");
  EXPECT_EQ(h.all("content-length"), std::vector<std::string>{"4"});
  EXPECT_FALSE(h.get("Location").has_value());
}

TEST(HttpQuery, EscapesReservedCharacters) {
  EXPECT_EQ(http::query_escape("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
  EXPECT_EQ(http::query_escape("a-b_c.d~e"), "a-b_c.d~e");
}

TEST(HttpAuthenticate, ParsesBearerWithQuotedCommas) {
  auto cs = http::parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
      R"(scope="repository:library/busybox:pull,push")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].params["service"], "registry.docker.io");
  EXPECT_EQ(cs[0].params["scope"], "repository:library/busybox:pull,push");
}

TEST(HttpAuthenticate, SeveralChallengesTokensAndEscapes) {
  auto cs = http::parse_www_authenticate(
      R"(Basic realm="Registry \"x\"", BEARER Realm=https://a/t , Service = svc, Negotiate)");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params["realm"], "Registry \"x\"");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].params["realm"], "https://a/t");
  EXPECT_EQ(cs[1].params["service"], "svc");
  EXPECT_EQ(cs[2].scheme, "negotiate");
  EXPECT_TRUE(cs[2].params.empty());
  EXPECT_TRUE(http::parse_www_authenticate("").empty());
  EXPECT_NO_THROW(http::parse_www_authenticate(R"(Bearer realm="unterminated, =,,="")"));
}

std::string decode_all(const std::string& wire, size_t step, size_t* used = nullptr) {
  http::ChunkedDecoder dec;
  std::string out;
  size_t total = 0;
  for (size_t i = 0; i < wire.size() && !dec.done(); i += step) {
    size_t n = std::min(step, wire.size() - i);
    size_t u = dec.feed(wire.data() + i, n, [&](const char* p, size_t k) { out.append(p, k); });
    total += u;
    if (u < n) break;
  }
  if (used) *used = total;
  EXPECT_TRUE(dec.done());
  return out;
}

TEST(HttpChunked, DecodesInAnyPieces) {
  const std::string wire =
      "5;ext=\"1\"\r\nhello\r\n7\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT";
  for (size_t step : {1u, 2u, 3u, 7u, 1000u}) {
    SCOPED_TRACE(step);
    size_t used = 0;
    EXPECT_EQ(decode_all(wire, step, &used), "hello, world0123456789");
    EXPECT_EQ(used, wire.size() - 4);  // "NEXT" is not part of the body
  }
  EXPECT_EQ(decode_all("0\r\n\r\n", 1), "");
  EXPECT_EQ(decode_all("3\nabc\n0\n\n", 2), "abc");  // bare LF as lenient servers send
}

TEST(HttpChunked, RefusesMalformedStreams) {
  auto feed = [](const std::string& wire) {
    http::ChunkedDecoder dec;
    dec.feed(wire.data(), wire.size(), {});
  };
  EXPECT_THROW(feed("zz\r\n"), Error);
  EXPECT_THROW(feed("\r\n"), Error);
  EXPECT_THROW(feed("3\r\nabcX\r\n"), Error);
  EXPECT_THROW(feed("ffffffffffffffffff\r\n"), Error);
  EXPECT_THROW(feed(std::string(20000, '1')), Error);
}

TEST(HttpBase64, RoundTrips) {
  for (std::string s : {"", "u", "us", "use", "user:pass", "\xff\x00\x10 binary"}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(http::base64_decode(http::base64_encode(s)).value(), s);
  }
  EXPECT_EQ(http::base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(http::base64_decode("dXNlcjpwYXNz").value(), "user:pass");
  EXPECT_FALSE(http::base64_decode("dX*l").has_value());
}

// ---- platform selection ----

std::string index_json(const std::vector<std::vector<std::string>>& platforms) {
  nlohmann::json j = {{"schemaVersion", 2},
                      {"mediaType", "application/vnd.docker.distribution.manifest.list.v2+json"},
                      {"manifests", nlohmann::json::array()}};
  int n = 0;
  for (const auto& p : platforms) {
    nlohmann::json m = {{"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
                        {"digest", "sha256:" + std::string(63, 'a') + std::to_string(n++)},
                        {"size", 100 + n}};
    if (!p.empty()) m["platform"] = {{"os", p[0]}, {"architecture", p[1]}};
    if (p.size() > 2) m["platform"]["variant"] = p[2];
    j["manifests"].push_back(m);
  }
  return j.dump();
}

std::string picked(const std::string& index, const std::string& arch,
                   const std::string& variant = "") {
  return registry::select_platform(index, "linux", arch, variant).digest.substr(70);
}

TEST(RegistryPlatform, PicksOsArchitectureAndVariant) {
  const std::string index = index_json({{},  // an entry without a platform: skipped
                                        {"windows", "amd64"},
                                        {"linux", "arm", "v6"},
                                        {"linux", "arm", "v7"},
                                        {"linux", "arm64", "v8"},
                                        {"linux", "amd64"},
                                        {"unknown", "unknown"}});
  EXPECT_EQ(picked(index, "amd64"), "5");
  EXPECT_EQ(picked(index, "x86_64"), "5");
  EXPECT_EQ(picked(index, "arm64"), "4");
  EXPECT_EQ(picked(index, "aarch64"), "4");
  EXPECT_EQ(picked(index, "arm"), "3");
  EXPECT_EQ(picked(index, "arm", "v6"), "2");
  EXPECT_EQ(picked(index, "arm", "v8"), "3");  // the newest older variant it can run
  registry::Descriptor d = registry::select_platform(index, "linux", "amd64", "");
  EXPECT_EQ(d.media_type, "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(d.size, 106);
}

TEST(RegistryPlatform, ArmVariantFallbacksAndMisses) {
  EXPECT_EQ(picked(index_json({{"linux", "arm64"}}), "arm64"), "0");  // no variant = v8
  EXPECT_EQ(picked(index_json({{"linux", "arm", "v5"}, {"linux", "arm", "v6"}}), "arm", "v7"), "1");
  try {
    registry::select_platform(index_json({{"linux", "arm", "v7"}}), "linux", "arm", "v6");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "no matching manifest for linux/arm/v6 in the manifest list entries");
  }
  EXPECT_THROW(picked(index_json({{"linux", "amd64"}}), "s390x"), Error);
  EXPECT_THROW(registry::select_platform("{\"manifests\": 3}", "linux", "amd64", ""), Error);
  EXPECT_THROW(registry::select_platform("not json", "linux", "amd64", ""), Error);
}

TEST(RegistryPlatform, RefusesBadDescriptors) {
  nlohmann::json j = nlohmann::json::parse(index_json({{"linux", "amd64"}}));
  j["manifests"][0]["digest"] = "sha256:../../etc/passwd";
  EXPECT_THROW(registry::select_platform(j.dump(), "linux", "amd64", ""), Error);
  j = nlohmann::json::parse(index_json({{"linux", "amd64"}}));
  j["manifests"][0]["size"] = -1;
  EXPECT_THROW(registry::select_platform(j.dump(), "linux", "amd64", ""), Error);
  j["manifests"][0]["size"] = int64_t{1} << 40;  // a manifest of a TiB
  EXPECT_THROW(registry::select_platform(j.dump(), "linux", "amd64", ""), Error);
}

// ---- config.json ----

TEST(RegistryConfig, KeysAsDocker) {
  EXPECT_EQ(registry::registry_host("https://index.docker.io/v1/"), "registry-1.docker.io");
  EXPECT_EQ(registry::registry_host("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(registry::registry_host("http://localhost:5000/v2/"), "localhost:5000");
  EXPECT_EQ(registry::config_key("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(registry::config_key("registry-1.docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(registry::config_key("quay.io"), "quay.io");
}

TEST(RegistryConfig, AddingAuthKeepsEverythingElse) {
  const std::string before = R"({"auths": {"other.io": {"auth": "eDp5"},
    "quay.io": {"auth": "b2xkOm9sZA==", "email": "x"}}, "psFormat": "table {{.ID}}",
    "credHelpers": {"gcr.io": "gcloud"}})";
  nlohmann::json after =
      nlohmann::json::parse(registry::config_with_auth(before, "quay.io", "user", "p:ss"));
  EXPECT_EQ(after["auths"]["other.io"]["auth"], "eDp5");
  EXPECT_EQ(after["auths"]["quay.io"]["auth"], http::base64_encode("user:p:ss"));
  EXPECT_EQ(after["psFormat"], "table {{.ID}}");
  EXPECT_EQ(after["credHelpers"]["gcr.io"], "gcloud");
  auto creds = registry::config_credentials(after.dump(), "quay.io");
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->first, "user");
  EXPECT_EQ(creds->second, "p:ss");  // split at the first colon
  nlohmann::json fresh = nlohmann::json::parse(registry::config_with_auth("", "h:5000", "u", "p"));
  EXPECT_EQ(fresh["auths"]["h:5000"]["auth"], "dTpw");
}

TEST(RegistryConfig, FindsDockerSpellingsAndRemoves) {
  const std::string text = R"({"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"},
    "https://localhost:5000": {"auth": "bG9jYWw6cHc="}, "keep.io": {"auth": "eDp5"}},
    "detachKeys": "ctrl-e"})";
  EXPECT_EQ(registry::config_credentials(text, "registry-1.docker.io")->first, "hub");
  EXPECT_EQ(registry::config_credentials(text, "localhost:5000")->first, "local");
  EXPECT_FALSE(registry::config_credentials(text, "quay.io").has_value());
  nlohmann::json after =
      nlohmann::json::parse(registry::config_without_auth(text, "localhost:5000"));
  EXPECT_FALSE(after["auths"].contains("https://localhost:5000"));
  EXPECT_TRUE(after["auths"].contains("keep.io"));
  EXPECT_TRUE(after["auths"].contains("https://index.docker.io/v1/"));
  EXPECT_EQ(after["detachKeys"], "ctrl-e");
}

TEST(RegistryConfig, RefusesFilesThatAreNotObjects) {
  EXPECT_THROW(registry::config_with_auth("[1]", "h", "u", "p"), Error);
  EXPECT_THROW(registry::config_with_auth("{\"auths\": 3}", "h", "u", "p"), Error);
  EXPECT_THROW(registry::config_credentials("{not json", "h"), Error);
  EXPECT_FALSE(registry::config_credentials("{}", "h").has_value());
  EXPECT_FALSE(
      registry::config_credentials(R"({"auths": {"h": {"auth": "!!"}}})", "h").has_value());
}

}  // namespace
}  // namespace mydocker
