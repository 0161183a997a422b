#!/usr/bin/env bash
# Installs everything bond's development, lab and tests need on a fresh Debian machine
# (root, Node/npm present): Deno from npm (pinned in tools/deno/package-lock.json) and the
# Debian packages the lab and the interop tests use. Idempotent; prints the deno path last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

need_pkgs=()
want() { command -v "$1" >/dev/null 2>&1 || need_pkgs+=("$2"); }
want ip iproute2
want ping iputils-ping
want nft nftables
want wireguard-go wireguard-go
want wg wireguard-tools
want iperf3 iperf3
want ethtool ethtool
want socat socat
want tcpdump tcpdump
want shellcheck shellcheck
want dash dash
want python3 python3
want script bsdutils
want curl curl
[ -e /usr/lib/x86_64-linux-gnu/libcrypto.so.3 ] || [ -e /usr/lib/aarch64-linux-gnu/libcrypto.so.3 ] \
  || need_pkgs+=(libssl3)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need_pkgs[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${need_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi

deno_bin() {
  for c in "$here/deno/node_modules/.bin/deno" "$here"/deno/node_modules/@deno/linux-*/deno; do
    if [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  return 1
}
if ! deno_bin >/dev/null; then
  echo "setup: installing Deno from npm (tools/deno/package-lock.json)" >&2
  # `npm install`, not `npm ci`: npm records only this platform's optional @deno/* binary in the
  # lock, and `npm ci` then refuses the lock as out of sync. The versions are pinned exactly
  # either way (package.json names deno 2.9.6, which pins its platform packages).
  (cd "$here/deno" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
deno_bin || { echo "setup: Deno could not be installed from npm" >&2; exit 1; }
