#!/usr/bin/env bash
# Installs what Cairn needs on Debian 12, as root; idempotent and quick when everything is there.
# System packages come from Debian; Node 24 and every npm package come from `npm ci` (node_modules/.bin/node).
# `setup.sh bench` also installs what `npm run bench` compares Cairn with and measures it by.
set -euo pipefail
cd "$(dirname "$0")/.."

# g++, make and python3 build the zstd addon (zstd-napi) when npm ci installs it. qemu-utils (qemu-img,
# qemu-nbd, qemu-io) and qemu-system-common (qemu-storage-daemon) serve volumes to the NBD tests; libvirt
# (the sysv flavour, so apt pulls in no systemd) and qemu-system-x86 run the test domains (TCG, no OS).
packages=(nodejs npm git ca-certificates qemu-utils qemu-system-common qemu-system-x86 seabios ipxe-qemu
  libvirt-daemon-system libvirt-daemon-system-sysv libvirt-clients libvirt-daemon-driver-qemu attr e2fsprogs g++ make python3)
# The console's browser test (test/web) drives Debian's Chromium with playwright-core.
[ "${1:-}" = test ] && packages+=(chromium)
[ "${1:-}" = bench ] && packages+=(restic borgbackup time virtnbdbackup)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# Node may come from elsewhere (nvm, NodeSource): only install Debian's when there is none.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.cairn-lock-stamp
if [ ! -x node_modules/.bin/node ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# The web console is built, not committed: a fresh clone builds it here, and again when its sources change.
bash scripts/build-console.sh
