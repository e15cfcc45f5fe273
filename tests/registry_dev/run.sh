#!/usr/bin/env bash
# The registry client against real registries on 127.0.0.1 (see README.md here). Builds
# regtool into $BUILD (default /tmp/regbuild/dev), starts Debian's docker-registry (plain, TLS,
# htpasswd) and fake_registry.py on free ports with temp storage, and checks pull, push, mounts,
# TLS, login and the failure modes. Stops only the servers it started (by pid). Exit 0 = all
# passed. Needs: g++ nettle-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
# docker-registry skopeo umoci busybox-static openssl python3 (its crypt module, for bcrypt).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-/tmp/regbuild/dev}
WORK=$(mktemp -d /tmp/registry-test.XXXXXX)
PIDS=()
PASS=0
FAILED=0

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
check() {  # check "what" command...
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

build() {
  # Under ctest the regtool target of the main build is used (REGTOOL); by hand it is built here.
  if [ -n "${REGTOOL:-}" ]; then
    mkdir -p "$BUILD" && ln -sf "$REGTOOL" "$BUILD/regtool"
    return
  fi
  mkdir -p "$BUILD"
  local flags=(-std=c++20 -O1 -Wall -Wextra -Werror -Wno-restrict -ffunction-sections
    -fdata-sections -DFMT_HEADER_ONLY -DSPDLOG_FMT_EXTERNAL -I"$REPO/include")
  local objs=()
  for src in src/image/http.cpp src/image/registry.cpp src/util/error.cpp src/util/fd.cpp \
    src/util/files.cpp tests/registry_dev/regtool.cpp; do
    local obj="$BUILD/$(basename "$src" .cpp).o"
    if [ ! -e "$obj" ] || [ "$REPO/$src" -nt "$obj" ] ||
      [ "$REPO/include/mydocker/image/registry.hpp" -nt "$obj" ] ||
      [ "$REPO/include/mydocker/image/http.hpp" -nt "$obj" ]; then
      g++ "${flags[@]}" -c "$REPO/$src" -o "$obj" || exit 1
    fi
    objs+=("$obj")
  done
  g++ -static -Wl,--gc-sections -o "$BUILD/regtool" "${objs[@]}" \
    /usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libcrypto.a \
    /usr/lib/x86_64-linux-gnu/libnettle.a -lpthread 2>&1 |
    grep -v 'statically linked\|in function' >&2
  [ -x "$BUILD/regtool" ] || exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # wait_port PORT: until something listens
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2
  return 1
}

# start_registry NAME PORT [EXTRA-YAML]: docker-registry with its own storage; log NAME.log.
start_registry() {
  local name=$1 port=$2 extra=${3:-}
  cat >"$WORK/$name.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $WORK/$name-storage
http:
  addr: 127.0.0.1:$port
$extra
EOF
  docker-registry serve "$WORK/$name.yml" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}

reg() { "$BUILD/regtool" "$@"; }
manifest_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$1/index.json"; }
layer_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$1/blobs/sha256/${2#sha256:}"; }
config_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$1/blobs/sha256/${2#sha256:}"; }
# Every blob file is named by the sha256 of its bytes; nothing else is in blobs/.
blobs_verified() {
  [ -z "$(find "$1/blobs" -mindepth 1 -maxdepth 1 ! -name sha256)" ] || return 1
  for f in "$1"/blobs/sha256/*; do
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || return 1
  done
}
contains() { grep -qF -- "$2" <<<"$1"; }

make_image() {  # an OCI layout with busybox, made by umoci
  local layout=$WORK/src-image
  umoci init --layout "$layout" &&
    umoci new --image "$layout:t" &&
    umoci unpack --rootless --image "$layout:t" "$WORK/bundle" >/dev/null &&
    mkdir -p "$WORK/bundle/rootfs/bin" &&
    cp /bin/busybox "$WORK/bundle/rootfs/bin/busybox" &&
    umoci repack --image "$layout:t" "$WORK/bundle" &&
    umoci config --image "$layout:t" --config.cmd /bin/busybox --config.cmd sh
}

# ---- the plain registry: pull, have(), push, mounts, errors ----
plain_tests() {
  local port=$1 host=127.0.0.1:$1 out
  skopeo copy -q --dest-tls-verify=false "oci:$WORK/src-image:t" "docker://$host/test/busybox:1" ||
    { bad "skopeo put the reference image in"; return; }
  local want
  want=$(skopeo inspect --raw --tls-verify=false "docker://$host/test/busybox:1" | sha256sum | cut -d' ' -f1)

  out=$(reg pull "$host/test/busybox:1" "$WORK/p1" 2>"$WORK/p1.err")
  check "pull by tag returns the registry's digest" [ "$out" = "sha256:$want" ]
  check "pull by tag: index.json names that manifest" [ "$(manifest_of "$WORK/p1")" = "sha256:$want" ]
  check "pull by tag: every blob verified by its name" blobs_verified "$WORK/p1"
  check "pull by tag: oci-layout written" grep -q '"imageLayoutVersion":"1.0.0"' "$WORK/p1/oci-layout"
  check "pull by tag: ref.name and containerd name annotations" python3 -c '
import json,sys; m=json.load(open(sys.argv[1]))["manifests"]; a=m[0]["annotations"]
assert len(m)==1 and a["org.opencontainers.image.ref.name"]=="1" and a["io.containerd.image.name"]==sys.argv[2]
' "$WORK/p1/index.json" "$host/test/busybox:1"
  check "skopeo reads the pulled layout" skopeo inspect "oci:$WORK/p1:1" >/dev/null

  out=$(reg pull "$host/test/busybox@sha256:$want" "$WORK/p2" 2>/dev/null)
  check "pull by digest" [ "$out" = "sha256:$want" ]
  check "pull by digest: no ref.name, containerd name with the digest" python3 -c '
import json,sys; a=json.load(open(sys.argv[1]))["manifests"][0]["annotations"]
assert "org.opencontainers.image.ref.name" not in a and a["io.containerd.image.name"].endswith("@sha256:"+sys.argv[2])
' "$WORK/p2/index.json" "$want"

  local layer gets_before gets_after
  layer=$(layer_of "$WORK/p1" "sha256:$want")
  gets_before=$(grep -c "\"GET /v2/test/busybox/blobs/$layer" "$WORK/plain.log")
  reg pull --have "$layer" "$host/test/busybox:1" "$WORK/p3" >/dev/null 2>"$WORK/p3.err"
  gets_after=$(grep -c "\"GET /v2/test/busybox/blobs/$layer" "$WORK/plain.log")
  check "have(layer): no GET of the layer (registry log $gets_before -> $gets_after)" [ "$gets_before" = "$gets_after" ]
  check "have(layer): the layer is not in the layout" [ ! -e "$WORK/p3/blobs/sha256/${layer#sha256:}" ]
  check "have(layer): progress says it exists" grep -q "${layer:7:12}: already exists" "$WORK/p3.err"

  out=$(reg push "$WORK/p1" "sha256:$want" "$host/pushed/bb:2" 2>/dev/null)
  check "push returns our digest" [ "$out" = "sha256:$want" ]
  local back
  back=$(skopeo inspect --raw --tls-verify=false "docker://$host/pushed/bb:2" | sha256sum | cut -d' ' -f1)
  check "push: skopeo inspect sees the same manifest" [ "$back" = "$want" ]
  skopeo copy -q --src-tls-verify=false "docker://$host/pushed/bb:2" "oci:$WORK/back:2" &&
    check "push: skopeo copy back is byte-identical (every blob)" diff -r "$WORK/p1/blobs" "$WORK/back/blobs"

  : >"$WORK/mount.err"
  out=$(reg push --mount-from test/busybox "$WORK/p1" "sha256:$want" "$host/second/bb:3" 2>"$WORK/mount.err")
  check "push to a second repository" [ "$out" = "sha256:$want" ]
  check "second push: the layer mounted (201 on POST ?mount=)" grep -q "\"POST /v2/second/bb/blobs/uploads/?mount=sha256%3A${layer#sha256:}&from=test%2Fbusybox HTTP/1.1\" 201" "$WORK/plain.log"
  check "second push: no blob upload at all" bash -c "! grep -q '\"PUT /v2/second/bb/blobs/uploads/' '$WORK/plain.log'"
  out=$(reg push "$WORK/p1" "sha256:$want" "$host/second/bb:4" 2>&1 >/dev/null)
  check "third push: HEAD finds the blobs (already exists)" contains "$out" "${layer:7:12}: already exists"

  insecure_tests "$port"
  large_layer_tests "$port"

  out=$(reg pull "$host/test/busybox:nosuchtag" "$WORK/p4" 2>&1)
  check "unknown tag: '$out'" contains "$out" "pull $host/test/busybox:nosuchtag: manifest unknown (404)"
  out=$(reg pull "$host/nosuch/repo:1" "$WORK/p5" 2>&1)
  check "unknown repository: '$out'" contains "$out" "(404)"
}

# A host that is not localhost/127.x but resolves to 127.0.0.1 (this machine's name, when
# /etc/hosts says so): plain HTTP only with --insecure.
insecure_tests() {
  local port=$1 name out
  name=$(hostname)
  if ! getent hosts "$name" | grep -q '^127\.' || ! grep -qE '^[a-z0-9-]+$' <<<"$name"; then
    echo "skip insecure-registry tests: $name does not resolve to 127.x"
    return
  fi
  out=$(reg pull "$name:$port/test/busybox:1" "$WORK/i1" 2>&1)
  check "plain HTTP refused for $name:$port: '$out'" contains "$out" "--insecure-registry $name:$port"
  out=$(reg --insecure "$name:$port" pull "$name:$port/test/busybox:1" "$WORK/i2" 2>&1)
  check "plain HTTP with --insecure $name:$port" blobs_verified "$WORK/i2"
}

# A 256 MiB layer (random bytes: the registry does not look inside) pushed and pulled with a
# small resident set: bodies are streamed, never held.
large_layer_tests() {
  local port=$1 host=127.0.0.1:$1 digest rss
  python3 - "$WORK/big" <<'PY' || { bad "make the large image"; return; }
import hashlib, json, os, sys
d = sys.argv[1]
os.makedirs(d + "/blobs/sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(d + "/blobs/sha256/" + h, "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
h, size = hashlib.sha256(), 0
with open(d + "/layer", "wb") as f:
    for _ in range(256):
        chunk = os.urandom(1 << 20)
        h.update(chunk); f.write(chunk); size += len(chunk)
os.rename(d + "/layer", d + "/blobs/sha256/" + h.hexdigest())
layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + h.hexdigest(), "size": size}
config = dict(put(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode()), mediaType="application/vnd.oci.image.config.v1+json")
m = dict(put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": [layer]}).encode()), mediaType="application/vnd.oci.image.manifest.v1+json")
open(d + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [m]}, open(d + "/index.json", "w"))
PY
  digest=$(manifest_of "$WORK/big")
  /usr/bin/time -o "$WORK/rss" -f '%M' "$BUILD/regtool" push "$WORK/big" "$digest" "$host/big/img:1" >/dev/null 2>&1
  rss=$(tail -1 "$WORK/rss")
  check "256 MiB layer pushed with ${rss} KiB resident" [ "${rss:-999999}" -lt 40000 ]
  /usr/bin/time -o "$WORK/rss" -f '%M' "$BUILD/regtool" pull "$host/big/img:1" "$WORK/big2" >/dev/null 2>&1
  rss=$(tail -1 "$WORK/rss")
  check "256 MiB layer pulled with ${rss} KiB resident" [ "${rss:-999999}" -lt 40000 ]
  check "256 MiB layer: identical after the round trip" diff -r "$WORK/big/blobs" "$WORK/big2/blobs"
  rm -rf "$WORK/big" "$WORK/big2"
}

# ---- TLS: a CA and a server certificate for 127.0.0.1, made here ----
make_certs() {
  local d=$WORK/pki
  mkdir -p "$d"
  (cd "$d" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.crt &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wrong-ca -keyout wrong.key -out wrong.crt &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr &&
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext -out server.crt) >/dev/null 2>&1
}

tls_tests() {
  local port=$1 host=127.0.0.1:$1 out
  skopeo copy -q --dest-tls-verify=false "oci:$WORK/src-image:t" "docker://$host/tls/bb:1" ||
    { bad "skopeo put the image in the TLS registry"; return; }
  mkdir -p "$WORK/good/certs.d/$host" "$WORK/wrong/certs.d/$host" "$WORK/none"
  cp "$WORK/pki/ca.crt" "$WORK/good/certs.d/$host/ca.crt"
  cp "$WORK/pki/wrong.crt" "$WORK/wrong/certs.d/$host/ca.crt"
  out=$(reg --config "$WORK/good" pull "$host/tls/bb:1" "$WORK/t1" 2>&1)
  check "TLS pull with the CA in certs.d" blobs_verified "$WORK/t1"
  out=$(reg --config "$WORK/good" push "$WORK/t1" "$(manifest_of "$WORK/t1")" "$host/tls/pushed:1" 2>&1)
  check "TLS push with the CA in certs.d" [ $? -eq 0 ]
  out=$(reg --config "$WORK/wrong" pull "$host/tls/bb:1" "$WORK/t2" 2>&1)
  check "TLS with a wrong CA fails: '$out'" contains "$out" "certificate verify failed"
  check "TLS with a wrong CA: nothing stored" [ ! -e "$WORK/t2/index.json" ]
  out=$(reg --config "$WORK/none" pull "$host/tls/bb:1" "$WORK/t3" 2>&1)
  check "TLS without the CA fails, saying where a CA goes" contains "$out" "certs.d/$host/ca.crt"
  mkdir -p "$WORK/good/certs.d/localhost:$port"
  cp "$WORK/pki/ca.crt" "$WORK/good/certs.d/localhost:$port/ca.crt"
  out=$(reg --config "$WORK/good" pull "localhost:$port/tls/bb:1" "$WORK/t4" 2>&1)
  check "TLS: a name not in the certificate fails: '$out'" contains "$out" "certificate verify failed: hostname mismatch"
}

# ---- basic auth: an htpasswd file with a bcrypt hash ----
auth_tests() {
  local port=$1 host=127.0.0.1:$1 out
  local cfg=$WORK/authcfg
  mkdir -p "$cfg/certs.d/$host"
  cp "$WORK/pki/ca.crt" "$cfg/certs.d/$host/ca.crt"
  printf '{"auths":{"other.example":{"auth":"eDp5"}},"psFormat":"table"}' >"$cfg/config.json"
  out=$(reg --config "$cfg" pull "$host/a/bb:1" "$WORK/a0" 2>&1)
  check "auth: anonymous pull refused: '$out'" contains "$out" "(401)"
  out=$(reg --config "$cfg" login "$host" alice wrong 2>&1)
  check "auth: bad password: '$out'" contains "$out" "login to $host failed: 401"
  check "auth: nothing stored after a failed login" bash -c "! grep -q '$host' '$cfg/config.json'"
  out=$(reg --config "$cfg" login "$host" alice s3cret 2>&1)
  check "auth: login" [ "$out" = "Login Succeeded" ]
  check "auth: config.json is 0600" [ "$(stat -c %a "$cfg/config.json")" = 600 ]
  check "auth: other entries kept" python3 -c '
import json,sys,base64; j=json.load(open(sys.argv[1]))
assert j["psFormat"]=="table" and j["auths"]["other.example"]["auth"]=="eDp5"
assert base64.b64decode(j["auths"][sys.argv[2]]["auth"])==b"alice:s3cret"' "$cfg/config.json" "$host"
  out=$(reg --config "$cfg" push "$WORK/p1" "$(manifest_of "$WORK/p1")" "$host/a/bb:1" 2>&1)
  check "auth: push with the stored credentials" [ $? -eq 0 ]
  out=$(reg --config "$cfg" pull "$host/a/bb:1" "$WORK/a1" 2>&1)
  check "auth: pull with the stored credentials" blobs_verified "$WORK/a1"
  out=$(reg --config "$cfg" logout "$host" 2>&1)
  check "auth: logout" [ "$out" = "Removed credentials" ]
  check "auth: logout kept the other entry" grep -q other.example "$cfg/config.json"
  out=$(reg --config "$cfg" pull "$host/a/bb:1" "$WORK/a2" 2>&1)
  check "auth: pull refused again after logout" contains "$out" "(401)"
}

# ---- fake_registry.py: what a real registry does not do ----
start_fake() {  # start_fake NAME ARGS...
  local name=$1
  shift
  python3 "$HERE/fake_registry.py" "$WORK/$name.port" "$WORK/$name.log" "$@" &
  PIDS+=($!)
  for _ in $(seq 50); do [ -s "$WORK/$name.port" ] && break; sleep 0.1; done
  wait_port "$(cat "$WORK/$name.port")"
}

fake_tests() {
  local out port
  start_fake bad --bad-blob
  port=$(cat "$WORK/bad.port")
  out=$(reg pull "127.0.0.1:$port/fake/img:1" "$WORK/f1" 2>&1)
  check "digest mismatch: '${out##*$'\n'}'" contains "$out" "digest mismatch"
  check "digest mismatch: the error names the blob" grep -qE "blob sha256:[0-9a-f]{64}: digest mismatch" <<<"$out"
  check "digest mismatch: no blob file, no temp file left" \
    bash -c "[ -z \"\$(find '$WORK/f1/blobs' -type f)\" ] && [ ! -e '$WORK/f1/index.json' ]"

  start_fake flaky --truncate-once --bearer bob:pw --redirect
  port=$(cat "$WORK/flaky.port")
  mkdir -p "$WORK/fcfg"
  out=$(reg --config "$WORK/fcfg" login "127.0.0.1:$port" bob nope 2>&1)
  check "bearer: bad password refused by the token server: '$out'" contains "$out" "login to 127.0.0.1:$port failed: 401"
  reg --config "$WORK/fcfg" login "127.0.0.1:$port" bob pw >/dev/null 2>&1
  out=$(reg --config "$WORK/fcfg" pull "127.0.0.1:$port/fake/img:multi" "$WORK/f2" 2>&1)
  check "bearer + redirect + truncated once: pulled" blobs_verified "$WORK/f2"
  check "truncated once: retried" contains "$out" "retrying (connection closed after 8192 of 16384"
  check "bearer: token fetched with basic credentials and the pull scope" \
    grep -q "GET /token?service=fake&scope=repository%3Afake%2Fimg%3Apull&account=bob auth=Basic Ym9iOnB3" "$WORK/flaky.log"
  check "redirect: storage host got no Authorization" bash -c "! grep '/storage/' '$WORK/flaky.log' | grep -qv 'auth=-'"
  check "redirect: storage reached under the other host name" grep -q "GET /storage/.* host=localhost:$port" "$WORK/flaky.log"
  check "redirect: manifests followed too" grep -q "GET /storage/manifests/multi .*host=localhost:$port" "$WORK/flaky.log"
  check "index (chunked): the linux/amd64 manifest stored" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))["manifests"][0]["digest"]
m=json.load(open(sys.argv[2]+"/blobs/sha256/"+d[7:])); c=json.load(open(sys.argv[2]+"/blobs/sha256/"+m["config"]["digest"][7:]))
assert c["architecture"]=="amd64"' "$WORK/f2/index.json" "$WORK/f2"
  check "index: the index itself is not stored" [ "$(find "$WORK/f2/blobs/sha256" -type f | wc -l)" = 3 ]
  out=$(reg --config "$WORK/fcfg" --platform linux/arm64 pull "127.0.0.1:$port/fake/img:multi" "$WORK/f3" 2>&1)
  check "index: --platform linux/arm64 picks arm64" contains "$out" "manifest for linux/arm64"
  out=$(reg --config "$WORK/fcfg" --platform linux/s390x pull "127.0.0.1:$port/fake/img:multi" "$WORK/f4" 2>&1)
  check "index: no such platform: '$out'" contains "$out" "pull 127.0.0.1:$port/fake/img:multi: no matching manifest for linux/s390x"
}

main() {
  build
  make_image >/dev/null || { echo "cannot make the busybox image" >&2; exit 1; }
  local plain tls auth
  plain=$(free_port)
  start_registry plain "$plain" || exit 1
  plain_tests "$plain"

  make_certs || { echo "openssl failed" >&2; exit 1; }
  tls=$(free_port)
  start_registry tls "$tls" "  tls:
    certificate: $WORK/pki/server.crt
    key: $WORK/pki/server.key" || exit 1
  tls_tests "$tls"

  # docker-registry takes bcrypt hashes only: apache2-utils' htpasswd -B when installed, else
  # python3's crypt module (glibc's bcrypt; the module is gone from Python 3.13).
  if command -v htpasswd >/dev/null; then
    htpasswd -nbB alice s3cret | head -1 >"$WORK/htpasswd"
  else
    python3 -W ignore -c 'import crypt; print("alice:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' >"$WORK/htpasswd"
  fi
  auth=$(free_port)
  start_registry auth "$auth" "  tls:
    certificate: $WORK/pki/server.crt
    key: $WORK/pki/server.key
auth:
  htpasswd:
    realm: test
    path: $WORK/htpasswd" || exit 1
  auth_tests "$auth"

  fake_tests
  echo "registry tests: $PASS passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

main "$@"
