#!/usr/bin/env bash
# The .deb on a throw-away Debian 12 root (README "Install"): an overlay over this host's root
# with a tmpfs on top, in a private mount and network namespace, entered with chroot. dpkg -i,
# then mydocker info, --help, a container and an image of its own, the man pages (man -w),
# bash completion of commands, flags and live names, zsh's script loaded; dpkg refuses to
# remove it while a container runs; after dpkg --purge, nothing of the package is left
# (everything the overlay's upper layer holds is dpkg's bookkeeping or the data root).
# Usage: run.sh BUILD_DIR   (DEB=path: that .deb instead of cpack's from BUILD_DIR)
# Root; exit 77 = skipped.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# ---- inside the private namespaces ----
inside() {
  local tmp=$1 deb=$2 root=$1/root
  mkdir -p "$tmp/layer" "$root"
  mount -t tmpfs tmpfs "$tmp/layer"
  mkdir "$tmp/layer/upper" "$tmp/layer/work"
  mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$tmp/layer/upper,workdir=$tmp/layer/work" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/run" # a fresh boot's /run: no /run/mydocker
  mount -t tmpfs tmpfs "$root/tmp"
  local data=$root/var/lib/mydocker
  [ -e "$data" ] && mount -t tmpfs tmpfs "$data" # the host's images are not this root's
  ip link set lo up 2>/dev/null || true

  in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
  in_root dpkg -s mydocker >/dev/null 2>&1 && fail "mydocker is already installed in the root"
  for f in usr/bin/mydocker usr/local/bin/mydocker run/mydocker; do
    [ -e "$root/$f" ] && fail "/$f exists before the install"
  done
  cp "$deb" "$root/tmp/mydocker.deb"

  echo "== dpkg -i"
  in_root dpkg -i /tmp/mydocker.deb
  check_installed
  check_completion
  check_running_blocks_removal

  echo "== dpkg --purge"
  in_root dpkg --purge mydocker
  in_root dpkg -s mydocker >/dev/null 2>&1 && fail "still installed after purge"
  check_nothing_left "$tmp/layer/upper"
  echo "PASS"
}

check_installed() {
  echo "== installed files, info, --help, man"
  [ -x "$root/usr/bin/mydocker" ] || fail "/usr/bin/mydocker missing"
  [ "$(readlink "$root/usr/bin/mydocker-runc")" = mydocker ] || fail "mydocker-runc symlink"
  [ -f "$root/usr/share/bash-completion/completions/mydocker" ] || fail "bash completion missing"
  [ -f "$root/usr/share/zsh/vendor-completions/_mydocker" ] || fail "zsh completion missing"
  in_root mydocker info >"$tmp/info" || fail "mydocker info failed"
  grep -qi cgroup "$tmp/info" || fail "mydocker info says nothing about cgroups: $(cat "$tmp/info")"
  # (Through a file: `| grep -q` stops reading at the first match, and pipefail would then see
  # the writer's EPIPE as a failure.)
  in_root mydocker --help >"$tmp/help" || fail "mydocker --help failed"
  grep -qw run "$tmp/help" || fail "mydocker --help lists no run"
  in_root mydocker-runc --version >/dev/null || fail "mydocker-runc --version"
  for page in mydocker mydocker-run mydocker-network-create; do
    local path
    path=$(in_root man -w "$page") || fail "man -w $page: no page"
    [[ $path == /usr/share/man/man1/$page.1* ]] || fail "man -w $page: $path"
  done
  in_root sh -c 'MANWIDTH=200 man mydocker-run 2>/dev/null' >"$tmp/man" || true
  grep -q -- '--memory' "$tmp/man" || fail "man mydocker-run does not document --memory"
}

# Candidates of the bash completion for the words given (the last: the one being completed).
complete_bash() {
  in_root bash -c '
    source /usr/share/bash-completion/completions/mydocker
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _mydocker
    printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

expect_candidate() { # WORD WORDS...: WORD among the candidates for WORDS
  local want=$1 got
  shift
  got=$(complete_bash "$@")
  grep -qx -- "$want" <<<"$got" || fail "completing '$*': no '$want' in: $(echo $got)"
}

check_completion() {
  echo "== completion"
  expect_candidate run mydocker ''
  expect_candidate network mydocker ''
  expect_candidate --memory mydocker run --mem
  expect_candidate --subnet mydocker network create --
  expect_candidate zsh mydocker completion ''
  # Names from the live state: a container, an image, a network of this root's.
  in_root mydocker network create pkgnet >/dev/null
  in_root mydocker run --net none --name pkgprobe true || fail "mydocker run failed"
  mkdir -p "$root/tmp/img/bin"
  cp /bin/busybox "$root/tmp/img/bin/busybox"
  tar -C "$root/tmp/img" -cf "$root/tmp/img.tar" .
  in_root mydocker import /tmp/img.tar pkgimage:v1 >/dev/null
  expect_candidate pkgprobe mydocker rm ''
  expect_candidate pkgimage:v1 mydocker run --rm ''
  expect_candidate pkgnet mydocker network rm ''
  expect_candidate pkgnet mydocker run --network ''
  in_root mydocker rm pkgprobe >/dev/null
  in_root mydocker rmi pkgimage:v1 >/dev/null
  in_root mydocker network rm pkgnet >/dev/null
  if command -v zsh >/dev/null; then
    in_root zsh -n /usr/share/zsh/vendor-completions/_mydocker || fail "zsh: syntax"
    in_root zsh -fc 'fpath=(/usr/share/zsh/vendor-completions $fpath); autoload -Uz compinit
      compinit -u -d /tmp/zcompdump; [[ $_comps[mydocker] == _mydocker ]]' ||
      fail "zsh: compinit does not bind _mydocker to mydocker"
  fi
}

check_running_blocks_removal() {
  echo "== no removal while a container runs"
  in_root mydocker run -d --net none --name pkgsleeper sleep 60 >/dev/null
  in_root dpkg -r mydocker >"$tmp/refused" 2>&1 && fail "dpkg -r removed it while a container ran"
  grep -q "containers are running" "$tmp/refused" || fail "prerm said: $(cat "$tmp/refused")"
  [ -x "$root/usr/bin/mydocker" ] || fail "the refused removal removed the binary"
  in_root mydocker rm -f pkgsleeper >/dev/null
}

# What the upper layer holds after the purge: dpkg's records, its log, the data root, and
# directories the host has too (copied up). Anything else is a leftover of the package.
check_nothing_left() {
  local upper=$1 left
  left=$(cd "$upper" && find . -mindepth 1 \
    \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./var/cache -o -path ./var/lib/mydocker \
    -o -path ./tmp -o -path ./root \) -prune -o -print | while read -r p; do
      p=${p#./}
      if [ -d "$upper/$p" ] && [ ! -L "$upper/$p" ] && [ -d "/$p" ]; then continue; fi
      echo "/$p"
    done)
  [ -z "$left" ] || fail "left after purge: $(echo $left)"
  [ ! -e "$root/run/mydocker" ] || fail "/run/mydocker left after purge"
}

if [ "${1:-}" = --inside ]; then
  inside "$2" "$3"
  exit 0
fi

# ---- outside: the .deb, the namespaces, the clean-up ----
[ "$(id -u)" = 0 ] || {
  echo "SKIP: needs root"
  exit 77
}
for tool in dpkg unshare chroot cpack man; do
  command -v "$tool" >/dev/null || {
    echo "SKIP: no $tool"
    exit 77
  }
done
build=${1:?usage: run.sh BUILD_DIR}
tmp=$(mktemp -d /tmp/mydocker-package.XXXXXX)
# The mounts live in the test's mount namespace and go with it; the files go here.
trap 'rm -rf "$tmp"' EXIT
deb=${DEB:-}
if [ -z "$deb" ]; then
  cmake --build "$build" --target mydocker docs >/dev/null
  cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >/dev/null
  deb=$(ls "$tmp"/pkg/mydocker_*.deb)
fi
echo "package: $deb"
timeout -k 10 300 unshare --mount --net --propagation private "$0" --inside "$tmp" "$deb"
