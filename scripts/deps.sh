#!/usr/bin/env bash
# Installs the Debian packages mydocker needs to build, test, demo and benchmark. Idempotent:
# runs apt-get only for what is missing. Usage: scripts/deps.sh [extra packages...]
set -euo pipefail

packages=(g++ lld cmake ninja-build pkg-config libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libgtest-dev libarchive-dev nettle-dev libcap-dev libseccomp-dev
  libzstd-dev liblz4-dev libacl1-dev libxml2-dev libicu-dev libbz2-dev liblzma-dev zlib1g-dev
  busybox-static tmux stress hyperfine jq time util-linux crun containerd podman runc nftables iproute2
  skopeo umoci docker-registry openssl libssl-dev python3 apache2-utils zstd man-db zsh procps
  bsdutils xz-utils "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
