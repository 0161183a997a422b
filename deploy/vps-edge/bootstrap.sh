#!/bin/sh
# bond VPS edge installer: the binary, a config with a fresh keypair, a hardened systemd unit,
# IP forwarding, a minimal host firewall that keeps SSH reachable, and the values to paste into
# the router. Idempotent: a re-run converges to the same files and keeps the keys.
# POSIX sh (tested with dash). `sh bootstrap.sh --help` lists every option.
set -eu
# Everything written here defaults to private; files meant to be world-readable are chmod'ed.
umask 077

BIN_PATH=/usr/local/bin/bond
ETC_DIR=/etc/bond
CONFIG_PATH=/etc/bond/bond.yaml
UNIT_DIR=/etc/systemd/system
UNIT_NAME=bond.service
FW_UNIT_NAME=bond-host-firewall.service
FW_RULES_PATH=/etc/bond/host-firewall.nft
FW_FAMILY=inet
FW_TABLE=bond-host
# bond's link responder (bond speedtest LINK on the router): TCP, public, serves grant holders only.
LINK_SPEEDTEST_PORT=65002
SYSCTL_PATH=/etc/sysctl.d/90-bond.conf
# The starter config's stand-in for the other side's key (src/config/placeholder.ts).
PEER_KEY_PLACEHOLDER=PASTE_THE_OTHER_SIDES_PUBLIC_KEY_HERE
# The peer entry of the VPS starter config that stands for the bonding router.
ROUTER_PEER_NAME=router
DEFAULT_LISTEN_PORT=65535
DEFAULT_SSH_PORT=22

usage() {
  cat <<'EOF'
Usage: sh bootstrap.sh [--binary PATH] [--no-start] [--help]

Installs bond as the VPS edge, idempotently: /usr/local/bin/bond, /etc/bond/bond.yaml (fresh
keypair, mode 0600 in a 0700 directory), the hardened bond.service, IP forwarding
(/etc/sysctl.d/90-bond.conf) and a host firewall (nftables table inet bond-host, loaded by
bond-host-firewall.service), then prints what to paste into the router. A re-run keeps the keys.

Environment (all optional):
  BOND_BINARY=PATH       install this local file (same as --binary PATH)
  BOND_RELEASE_URL=URL   download the binary with curl or wget; https, or http only together
                         with BOND_SHA256; "{target}" in the URL becomes the build target
                         (x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu)
  BOND_SHA256=HEX        expected SHA-256 of the binary (checked for a download or a file)
  ROUTER_PUBLIC_KEY=KEY  the router's public key: completes the config so bond can start
  ROTATE_KEYS=1          a new VPS keypair; the router must then be re-paired
  PUBLIC_INTERFACE=IF    interface to masquerade out of (default: the default route's)
  PUBLIC_ADDRESS=IP      endpoint address for the router (default: IF's global address)
  LISTEN_PORT=N          UDP port of the tunnel (default 65535)
  FIREWALL=0             no host firewall; removes one a previous run installed (default 1)
  SSH_PORT=N             SSH port kept open (default 22); the ports sshd listens on and the
                         port of the current SSH session are kept open as well
  ROOT=DIR               write every file under DIR; nothing on the running system changes
Without BOND_BINARY or BOND_RELEASE_URL an already installed binary is kept.
--no-start enables everything for the next boot but changes nothing that runs now; systemctl
is only used when systemd is running.
EOF
}

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() {
  printf 'bootstrap: error: %s\n' "$*" >&2
  exit 1
}

# Temporary files live beside their destination so that `mv` replaces atomically; every one
# is removed on exit unless it was moved into place.
TMP_FILES=""
cleanup() {
  [ -n "$TMP_FILES" ] || return 0
  printf '%s\n' "$TMP_FILES" | while IFS= read -r tmp_file; do
    [ -z "$tmp_file" ] || rm -f -- "$tmp_file"
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# new_temp DIR: sets NEW_TEMP to a new empty file (mode 0600) in DIR.
new_temp() {
  NEW_TEMP=$(mktemp "$1/.bootstrap.XXXXXX") || die "cannot create a file in $1"
  TMP_FILES="$TMP_FILES
$NEW_TEMP"
}

# put_file TEMP DEST MODE: moves TEMP over DEST unless they are identical. CHANGED=1 if moved.
put_file() {
  chmod "$3" "$1"
  if [ -f "$2" ] && cmp -s "$1" "$2"; then
    rm -f -- "$1"
    chmod "$3" "$2"
    CHANGED=0
  else
    mv -f -- "$1" "$2"
    CHANGED=1
  fi
}

# make_dir DIR MODE: creates DIR (parents 0755, as a system's directories are) and sets MODE.
make_dir() {
  (umask 022 && mkdir -p -- "$1")
  chmod "$2" "$1"
}

is_port() {
  case $1 in
    '' | *[!0-9]* | 0*) return 1 ;;
  esac
  [ "$1" -le 65535 ]
}

# --- reading and editing the YAML config -----------------------------------------------------
# The config is the one `bond config --role vps` writes: top-level sections, two-space indents,
# flow lists ([a, b]) or block lists. One awk program reads (mode=get: the values of the first
# SECTION.KEY, one per line) or rewrites (mode=set: that line's value becomes $BOOTSTRAP_VALUE,
# passed in the environment so a private key never shows in a process's arguments). With PEER
# set, only the list item whose `name:` is PEER (given before KEY) counts. Exit 3: not found.
# shellcheck disable=SC2016 # an awk program: its $ fields are awk's, not the shell's
YAML_AWK='
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function unquote(s,   c) {
  s = trim(s); c = substr(s, 1, 1)
  if (length(s) >= 2 && (c == "\"" || c == q) && substr(s, length(s), 1) == c)
    s = substr(s, 2, length(s) - 2)
  return s
}
function emit(v,   n, i, parts) {
  v = trim(v)
  if (substr(v, 1, 1) == "[") {
    v = substr(v, 2); sub(/\].*$/, "", v)
    n = split(v, parts, ",")
    for (i = 1; i <= n; i++) if (trim(parts[i]) != "") print unquote(parts[i])
  } else if (v != "") print unquote(v)
}
function hit(body, ind, raw,   v) {
  found = 1
  if (mode == "set") { print substr(raw, 1, index(raw, key ":") - 1) key ": " ENVIRON["BOOTSTRAP_VALUE"]; return }
  v = substr(body, length(key) + 2)
  if (trim(v) == "") { collecting = 1; keyind = ind } else emit(v)
}
BEGIN { q = sprintf("%c", 39) }
{
  raw = $0
  if (raw ~ /^[ \t]*(#.*)?$/) { if (mode == "set") print raw; next }
  line = raw; sub(/[ \t]+#.*$/, "", line)
  match(line, /^[ \t]*/); ind = RLENGTH; body = substr(line, ind + 1)
  if (collecting) {
    if (ind > keyind && substr(body, 1, 1) == "-") { emit(substr(body, 2)); next }
    collecting = 0
  }
  matched = 0
  if (ind == 0) {
    cur = body; sub(/:.*$/, "", cur); inpeer = 0
    if (section == "" && !found && index(body, key ":") == 1) { hit(body, 0, raw); matched = 1 }
  } else if (section != "" && cur == section) {
    if (body ~ /^-[ \t]/) { body = trim(substr(body, 2)); ind += 2; inpeer = 0 }
    if (peer != "" && index(body, "name:") == 1) inpeer = (unquote(substr(body, 6)) == peer)
    if ((peer == "" || inpeer) && !found && index(body, key ":") == 1) { hit(body, ind, raw); matched = 1 }
  }
  if (mode == "set" && !matched) print raw
}
END { exit found ? 0 : 3 }
'

# yaml_get FILE SECTION KEY [PEER]: the values, one per line ("" SECTION: a top-level key).
yaml_get() {
  awk -v mode=get -v section="$2" -v key="$3" -v peer="${4:-}" "$YAML_AWK" "$1"
}

# yaml_set FILE SECTION KEY VALUE [PEER]: rewrites FILE (mode 0600) with that scalar replaced.
yaml_set() {
  new_temp "$(dirname -- "$1")"
  BOOTSTRAP_VALUE=$4 awk -v mode=set -v section="$2" -v key="$3" -v peer="${5:-}" \
    "$YAML_AWK" "$1" >"$NEW_TEMP" ||
    die "cannot find ${2:+$2.}$3${5:+ (peer $5)} in $1 to set it"
  put_file "$NEW_TEMP" "$1" 0600
}

# --- settings -------------------------------------------------------------------------------

NO_START=0
ARG_BINARY=""
while [ $# -gt 0 ]; do
  case $1 in
    --binary)
      [ $# -ge 2 ] || die "--binary needs a path"
      ARG_BINARY=$2
      shift 2
      ;;
    --binary=*)
      ARG_BINARY=${1#--binary=}
      shift
      ;;
    --no-start)
      NO_START=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
done

BOND_BINARY=${ARG_BINARY:-${BOND_BINARY:-}}
BOND_RELEASE_URL=${BOND_RELEASE_URL:-}
BOND_SHA256=${BOND_SHA256:-}
ROUTER_PUBLIC_KEY=${ROUTER_PUBLIC_KEY:-}
ROTATE_KEYS=${ROTATE_KEYS:-0}
PUBLIC_INTERFACE=${PUBLIC_INTERFACE:-}
PUBLIC_ADDRESS=${PUBLIC_ADDRESS:-}
LISTEN_PORT=${LISTEN_PORT:-}
FIREWALL=${FIREWALL:-1}
SSH_PORT=${SSH_PORT:-$DEFAULT_SSH_PORT}
ROOT=${ROOT:-}
# A trailing slash would double up in every path; "/" is the running system itself.
while [ "${ROOT%/}" != "$ROOT" ]; do ROOT=${ROOT%/}; done

case $ROTATE_KEYS in 0 | 1) ;; *) die "ROTATE_KEYS must be 0 or 1, got \"$ROTATE_KEYS\"" ;; esac
case $FIREWALL in 0 | 1) ;; *) die "FIREWALL must be 0 or 1, got \"$FIREWALL\"" ;; esac
is_port "$SSH_PORT" || die "SSH_PORT must be a port number 1-65535, got \"$SSH_PORT\""
if [ -n "$LISTEN_PORT" ]; then
  is_port "$LISTEN_PORT" || die "LISTEN_PORT must be a port number 1-65535, got \"$LISTEN_PORT\""
fi
if [ -n "$PUBLIC_INTERFACE" ]; then
  case $PUBLIC_INTERFACE in
    *[!A-Za-z0-9_.-]*) die "PUBLIC_INTERFACE \"$PUBLIC_INTERFACE\" is not an interface name" ;;
  esac
fi
case $PUBLIC_ADDRESS in
  *[!0-9A-Fa-f.:]*) die "PUBLIC_ADDRESS must be an IPv4 or IPv6 address, got \"$PUBLIC_ADDRESS\"" ;;
esac
if [ -n "$ROUTER_PUBLIC_KEY" ] &&
  ! printf '%s\n' "$ROUTER_PUBLIC_KEY" | grep -Eq '^[A-Za-z0-9+/]{43}=$'; then
  die "ROUTER_PUBLIC_KEY must be a base64 public key of 44 characters (as \`bond pubkey\` prints)"
fi
if [ -n "$BOND_SHA256" ] && ! printf '%s\n' "$BOND_SHA256" | grep -Eq '^[0-9A-Fa-f]{64}$'; then
  die "BOND_SHA256 must be 64 hex digits, got \"$BOND_SHA256\""
fi

LIVE=1
[ -z "$ROOT" ] || LIVE=0
if [ "$LIVE" = 1 ] && [ "$(id -u)" != 0 ]; then
  die "run as root (or with ROOT=DIR to write the files under DIR only)"
fi
SYSTEMD=0
[ ! -d /run/systemd/system ] || SYSTEMD=1
command -v ip >/dev/null 2>&1 || die "the ip command is missing: install iproute2"
# bond itself needs nft for its masquerade table; the host firewall is checked with it here.
command -v nft >/dev/null 2>&1 || die "the nft command is missing: install nftables"
NFT=$(command -v nft)

BOND="$ROOT$BIN_PATH"
CONFIG="$ROOT$CONFIG_PATH"
BOND_CHANGED=0

# --- the binary -------------------------------------------------------------------------------

build_target() {
  case $(uname -m) in
    x86_64 | amd64) echo x86_64-unknown-linux-gnu ;;
    aarch64 | arm64) echo aarch64-unknown-linux-gnu ;;
    *) die "no bond build for machine type $(uname -m)" ;;
  esac
}

# download URL FILE
download() {
  case $1 in
    https://*) ;;
    http://*)
      [ -n "$BOND_SHA256" ] || die "refusing to download over plain http without BOND_SHA256"
      ;;
    *) die "BOND_RELEASE_URL must start with https:// (or http:// with BOND_SHA256): $1" ;;
  esac
  say "downloading $1"
  if command -v curl >/dev/null 2>&1; then
    case $1 in
      https://*) curl -fsSL --proto =https --proto-redir =https --retry 3 --connect-timeout 15 \
        -o "$2" -- "$1" || die "download failed: $1" ;;
      *) curl -fsSL --retry 3 --connect-timeout 15 -o "$2" -- "$1" || die "download failed: $1" ;;
    esac
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 15 -t 3 -O "$2" -- "$1" || die "download failed: $1"
  else
    die "neither curl nor wget is installed to download $1"
  fi
}

install_binary() {
  bin_dir=$(dirname -- "$BOND")
  make_dir "$bin_dir" 0755
  if [ -z "$BOND_BINARY" ] && [ -z "$BOND_RELEASE_URL" ]; then
    [ -x "$BOND" ] ||
      die "no bond binary: give BOND_BINARY=PATH (or --binary PATH) or BOND_RELEASE_URL=URL"
    say "keeping the installed $BIN_PATH"
    return 0
  fi
  new_temp "$bin_dir"
  bin_tmp=$NEW_TEMP
  if [ -n "$BOND_BINARY" ]; then
    [ -f "$BOND_BINARY" ] || die "BOND_BINARY: no such file: $BOND_BINARY"
    cp -- "$BOND_BINARY" "$bin_tmp"
  else
    url=$BOND_RELEASE_URL
    case $url in
      *"{target}"*)
        target=$(build_target) || exit 1
        url="${url%%\{target\}*}$target${url#*\{target\}}"
        ;;
    esac
    download "$url" "$bin_tmp"
  fi
  if [ -n "$BOND_SHA256" ]; then
    sum=$(sha256sum "$bin_tmp" | cut -d ' ' -f 1)
    want=$(printf '%s' "$BOND_SHA256" | tr 'A-F' 'a-f')
    [ "$sum" = "$want" ] || die "binary SHA-256 is $sum, expected $want: not installed"
  fi
  chmod 0755 "$bin_tmp"
  # An HTML error page or a binary for another machine fails here, before it replaces anything.
  "$bin_tmp" version >/dev/null 2>&1 || die "the new binary does not run (\`bond version\` failed)"
  put_file "$bin_tmp" "$BOND" 0755
  if [ "$CHANGED" = 1 ]; then
    say "installed $BIN_PATH"
    BOND_CHANGED=1
  else
    say "$BIN_PATH is already this binary"
  fi
}

# --- the config and its keys ----------------------------------------------------------------

default_route_interface() {
  for family in 4 6; do
    dev=$(ip "-$family" route show default 2>/dev/null |
      awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
    if [ -n "$dev" ]; then
      echo "$dev"
      return 0
    fi
  done
  return 1
}

# private_key_file_path: the file named by private_key_file, when the config uses one.
private_key_file_path() {
  key_file=$(yaml_get "$CONFIG" "" private_key_file) || return 1
  case $key_file in
    /*) echo "$ROOT$key_file" ;;
    *) echo "$ROOT$ETC_DIR/$key_file" ;;
  esac
}

read_private_key() {
  if priv=$(yaml_get "$CONFIG" "" private_key) && [ -n "$priv" ]; then
    printf '%s\n' "$priv"
  elif key_path=$(private_key_file_path); then
    head -n 1 -- "$key_path" || die "cannot read the private key file $key_path"
  else
    die "$CONFIG_PATH has neither private_key nor private_key_file"
  fi
}

create_config() {
  new_temp "$ROOT$ETC_DIR"
  config_tmp=$NEW_TEMP
  out=$("$BOND" config --output "$config_tmp" --role vps --force 2>&1) ||
    die "bond config failed: $out"
  if [ -z "$PUBLIC_INTERFACE" ]; then
    PUBLIC_INTERFACE=$(default_route_interface) ||
      die "no default route to find the public interface: set PUBLIC_INTERFACE=IF"
    say "public interface (default route): $PUBLIC_INTERFACE"
  fi
  yaml_set "$config_tmp" nat public_interface "$PUBLIC_INTERFACE"
  yaml_set "$config_tmp" interface listen_port "${LISTEN_PORT:-$DEFAULT_LISTEN_PORT}"
  put_file "$config_tmp" "$CONFIG" 0600
  say "created $CONFIG_PATH with a fresh keypair"
  BOND_CHANGED=1
}

rotate_keys() {
  new_key=$("$BOND" genkey) || die "bond genkey failed"
  if yaml_get "$CONFIG" "" private_key >/dev/null; then
    yaml_set "$CONFIG" "" private_key "$new_key"
  else
    key_path=$(private_key_file_path) || die "$CONFIG_PATH has no private key to rotate"
    new_temp "$(dirname -- "$key_path")"
    printf '%s\n' "$new_key" >"$NEW_TEMP"
    put_file "$NEW_TEMP" "$key_path" 0600
  fi
  say "rotated the VPS keypair"
  BOND_CHANGED=1
}

# set_config SECTION KEY VALUE [PEER]: sets a value of the existing config, noting a change.
set_config() {
  yaml_set "$CONFIG" "$@"
  [ "$CHANGED" = 0 ] || BOND_CHANGED=1
}

ROTATED=0
prepare_config() {
  make_dir "$ROOT$ETC_DIR" 0700
  if [ -f "$CONFIG" ]; then
    say "keeping $CONFIG_PATH and its keys"
    chmod 0600 "$CONFIG"
    [ -z "$PUBLIC_INTERFACE" ] || set_config nat public_interface "$PUBLIC_INTERFACE"
    [ -z "$LISTEN_PORT" ] || set_config interface listen_port "$LISTEN_PORT"
    if [ "$ROTATE_KEYS" = 1 ]; then
      rotate_keys
      ROTATED=1
    fi
  else
    [ "$ROTATE_KEYS" = 0 ] || say "ROTATE_KEYS=1: nothing to rotate, the keys are new anyway"
    create_config
  fi
  if [ -n "$ROUTER_PUBLIC_KEY" ]; then
    set_config peers public_key "$ROUTER_PUBLIC_KEY" "$ROUTER_PEER_NAME"
  fi
}

# bond check on the config. While the router's key is still the placeholder, everything else
# is checked on a copy that holds a throwaway key there; ROUTER_PENDING=1 then.
ROUTER_PENDING=0
check_config() {
  router_key=$(yaml_get "$CONFIG" peers public_key "$ROUTER_PEER_NAME") || router_key=""
  if [ "$router_key" != "$PEER_KEY_PLACEHOLDER" ]; then
    out=$("$BOND" check -config "$CONFIG" 2>&1) || die "bond check failed:
$out"
    say "$out"
    return 0
  fi
  ROUTER_PENDING=1
  probe_key=$("$BOND" genkey | "$BOND" pubkey) || die "bond genkey/pubkey failed"
  new_temp "$ROOT$ETC_DIR"
  check_copy=$NEW_TEMP
  cp -- "$CONFIG" "$check_copy"
  yaml_set "$check_copy" peers public_key "$probe_key" "$ROUTER_PEER_NAME"
  out=$("$BOND" check -config "$check_copy" 2>&1) || die "bond check failed:
$out"
  rm -f -- "$check_copy"
  say "config valid apart from the router's public key (peers: $ROUTER_PEER_NAME)"
}

# --- systemd units, sysctl, firewall --------------------------------------------------------

write_bond_unit() {
  new_temp "$ROOT$UNIT_DIR"
  cat >"$NEW_TEMP" <<EOF
# Written by bond's deploy/vps-edge/bootstrap.sh; a re-run rewrites it.
[Unit]
Description=bond multi-WAN tunnel (VPS edge)
Wants=network-online.target
After=network-online.target nss-lookup.target $FW_UNIT_NAME

[Service]
Type=simple
ExecStartPre=$BIN_PATH check -config $CONFIG_PATH
ExecStart=$BIN_PATH -config $CONFIG_PATH
Restart=on-failure
RestartSec=2
# SIGTERM makes bond remove its TUN device, routes and nftables table.
KillSignal=SIGTERM
TimeoutStopSec=10
# Root, but only with the two capabilities a tunnel needs.
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW
AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
RuntimeDirectory=bond
RuntimeDirectoryMode=0700

[Install]
WantedBy=multi-user.target
EOF
  put_file "$NEW_TEMP" "$ROOT$UNIT_DIR/$UNIT_NAME" 0644
  [ "$CHANGED" = 0 ] || BOND_CHANGED=1
}

write_sysctl() {
  make_dir "$ROOT$(dirname -- "$SYSCTL_PATH")" 0755
  new_temp "$ROOT$(dirname -- "$SYSCTL_PATH")"
  # The slash form keeps an interface name with a dot (eth0.100) in one piece.
  cat >"$NEW_TEMP" <<EOF
# Written by bond's deploy/vps-edge/bootstrap.sh: the VPS routes its routers' traffic.
net.ipv4.ip_forward = 1
net.ipv6.conf.all.forwarding = 1
# With forwarding on, Linux ignores router advertisements unless accept_ra is 2; this keeps
# an IPv6 default route learnt from the provider's advertisements on the public interface.
net/ipv6/conf/$PUBLIC_IF/accept_ra = 2
EOF
  put_file "$NEW_TEMP" "$ROOT$SYSCTL_PATH" 0644
}

# The TCP ports kept open for SSH: SSH_PORT, the ports sshd listens on, and the server port of
# the SSH session running this script, so that nobody locks themselves out.
ssh_ports() {
  {
    echo "$SSH_PORT"
    if command -v ss >/dev/null 2>&1; then
      ss -Hltnp 2>/dev/null | awk '/users:\(\("sshd"/ { n = split($4, p, ":"); print p[n] }'
    fi
    if [ -n "${SSH_CONNECTION:-}" ]; then
      echo "${SSH_CONNECTION##* }"
    fi
  } | while IFS= read -r port; do
    if is_port "$port"; then echo "$port"; fi
  done | sort -n -u | paste -s -d ',' - | sed 's/,/, /g'
}

write_firewall() {
  ports=$(ssh_ports)
  new_temp "$ROOT$ETC_DIR"
  # Defining, deleting and redefining the table in one file replaces it atomically: nft -f
  # applies a file as one transaction, so there is never a moment without the firewall.
  cat >"$NEW_TEMP" <<EOF
# Written by bond's deploy/vps-edge/bootstrap.sh; a re-run rewrites it. Only this table is
# ours: the host's other tables are never touched. Forwarded tunnel traffic is not filtered
# here (bond's own table inet bond handles it); this guards the VPS itself.
table $FW_FAMILY $FW_TABLE {}
delete table $FW_FAMILY $FW_TABLE
table $FW_FAMILY $FW_TABLE {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iif lo accept
    # Authenticated peers inside the tunnel reach the VPS's own tunnel services (the ports
    # 65000-65535 of its tunnel address); a device that does not exist yet matches by name.
    iifname "$TUNNEL_IF" accept
    # Neighbour discovery, router advertisements, path MTU discovery, ping.
    meta l4proto { icmp, ipv6-icmp } accept
    # DHCP replies, for a VPS that gets its addresses that way.
    udp sport 67 udp dport 68 accept
    ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept
    # SSH.
    tcp dport { $ports } accept
    # The tunnel.
    udp dport $TUNNEL_PORT accept
    # bond speedtest LINK measures each router link past the tunnel against this port; bond
    # serves there only a single-use grant it handed out through the tunnel moments before.
    tcp dport $LINK_SPEEDTEST_PORT accept
  }
}
EOF
  out=$("$NFT" -c -f "$NEW_TEMP" 2>&1) || die "the firewall ruleset does not pass nft -c:
$out"
  put_file "$NEW_TEMP" "$ROOT$FW_RULES_PATH" 0600

  new_temp "$ROOT$UNIT_DIR"
  cat >"$NEW_TEMP" <<EOF
# Written by bond's deploy/vps-edge/bootstrap.sh: the host firewall (table $FW_FAMILY $FW_TABLE),
# loaded before the network comes up and removed when stopped.
[Unit]
Description=bond host firewall (nftables table $FW_FAMILY $FW_TABLE)
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$NFT -f $FW_RULES_PATH
ExecReload=$NFT -f $FW_RULES_PATH
ExecStop=-$NFT delete table $FW_FAMILY $FW_TABLE
CapabilityBoundingSet=CAP_NET_ADMIN
NoNewPrivileges=yes

[Install]
WantedBy=sysinit.target
EOF
  put_file "$NEW_TEMP" "$ROOT$UNIT_DIR/$FW_UNIT_NAME" 0644
  say "host firewall: table $FW_FAMILY $FW_TABLE keeps tcp $ports (SSH), tcp $LINK_SPEEDTEST_PORT (link speed tests), udp $TUNNEL_PORT and $TUNNEL_IF open"
}

remove_firewall() {
  fw_unit="$ROOT$UNIT_DIR/$FW_UNIT_NAME"
  [ -e "$fw_unit" ] || [ -e "$ROOT$FW_RULES_PATH" ] || return 0
  if [ "$LIVE" = 1 ] && [ "$NO_START" = 0 ]; then
    if [ "$SYSTEMD" = 1 ]; then
      systemctl disable --now "$FW_UNIT_NAME" || say "could not stop $FW_UNIT_NAME"
    elif "$NFT" list table "$FW_FAMILY" "$FW_TABLE" >/dev/null 2>&1; then
      "$NFT" delete table "$FW_FAMILY" "$FW_TABLE"
    fi
  elif [ "$LIVE" = 1 ] && [ "$SYSTEMD" = 1 ]; then
    systemctl disable "$FW_UNIT_NAME" || say "could not disable $FW_UNIT_NAME"
  fi
  rm -f -- "$fw_unit" "$ROOT$FW_RULES_PATH"
  say "FIREWALL=0: removed the host firewall (table $FW_FAMILY $FW_TABLE)"
}

# --- applying to the running system ---------------------------------------------------------

apply_live() {
  if [ "$LIVE" = 0 ]; then
    say "ROOT=$ROOT: files written; nothing on the running system was changed"
    return 0
  fi
  if [ "$SYSTEMD" = 1 ]; then
    systemctl daemon-reload
    [ "$FIREWALL" = 0 ] || systemctl enable "$FW_UNIT_NAME"
    [ "$ROUTER_PENDING" = 1 ] || systemctl enable "$UNIT_NAME"
  fi
  if [ "$NO_START" = 1 ]; then
    say "--no-start: files written (and units enabled, with systemd); nothing running was changed"
    return 0
  fi
  sysctl -q -p "$SYSCTL_PATH"
  if [ "$FIREWALL" = 1 ]; then
    if [ "$SYSTEMD" = 1 ]; then
      # reload replaces the table atomically when it is loaded; otherwise this starts it.
      systemctl reload-or-restart "$FW_UNIT_NAME"
    else
      "$NFT" -f "$FW_RULES_PATH"
    fi
  fi
  if [ "$ROUTER_PENDING" = 1 ]; then
    say "bond is not started yet: it needs the router's public key (see below)"
  elif [ "$SYSTEMD" = 0 ]; then
    say "systemd is not running: start bond yourself: $BIN_PATH -config $CONFIG_PATH"
  elif [ "$BOND_CHANGED" = 1 ]; then
    systemctl restart "$UNIT_NAME"
    say "bond (re)started"
  else
    systemctl start "$UNIT_NAME"
  fi
}

# --- what the router needs ------------------------------------------------------------------

first_global_address() {
  ip "-$1" -o addr show dev "$2" scope global 2>/dev/null |
    awk '!/ (temporary|deprecated|tentative)/ { sub(/\/.*/, "", $4); print $4; exit }'
}

# The router's tunnel addresses: its host entries in allowed_ips (/32, /128) with the prefix
# length of the VPS's own tunnel address of the same family.
router_tunnel_addresses() {
  vps_addrs=$(yaml_get "$CONFIG" interface address) || die "no interface.address in $CONFIG_PATH"
  peer_ips=$(yaml_get "$CONFIG" peers allowed_ips "$ROUTER_PEER_NAME") ||
    die "no allowed_ips for peer $ROUTER_PEER_NAME in $CONFIG_PATH"
  v4_len="" v6_len="" list=""
  for addr in $vps_addrs; do
    case $addr in
      *:*/*) v6_len=${addr##*/} ;;
      */*) v4_len=${addr##*/} ;;
    esac
  done
  for addr in $peer_ips; do
    case $addr in
      *:*/128) [ -z "$v6_len" ] || list="$list${list:+, }${addr%/*}/$v6_len" ;;
      */32) [ -z "$v4_len" ] || list="$list${list:+, }${addr%/*}/$v4_len" ;;
    esac
  done
  [ -n "$list" ] || die "peer $ROUTER_PEER_NAME has no host address (/32 or /128) in allowed_ips"
  echo "$list"
}

endpoint_of() {
  case $1 in
    *:*) echo "\"[$1]:$TUNNEL_PORT\"" ;;
    *) echo "$1:$TUNNEL_PORT" ;;
  esac
}

print_router_values() {
  vps_public_key=$(read_private_key | "$BOND" pubkey) || die "bond pubkey failed"
  v4=$(first_global_address 4 "$PUBLIC_IF")
  v6=$(first_global_address 6 "$PUBLIC_IF")
  if [ -n "$PUBLIC_ADDRESS" ]; then
    endpoint=$(endpoint_of "$PUBLIC_ADDRESS")
  elif [ -n "$v4" ]; then
    endpoint=$(endpoint_of "$v4")
  elif [ -n "$v6" ]; then
    endpoint=$(endpoint_of "$v6")
  else
    die "$PUBLIC_IF has no global address: set PUBLIC_ADDRESS=IP (the VPS's public address)"
  fi
  alternative=""
  if [ -z "$PUBLIC_ADDRESS" ] && [ -n "$v4" ] && [ -n "$v6" ]; then
    alternative=$(endpoint_of "$v6")
  fi
  router_addresses=$(router_tunnel_addresses)
  case ${PUBLIC_ADDRESS:-$v4} in
    10.* | 192.168.* | 172.1[6-9].* | 172.2[0-9].* | 172.3[01].* | 100.6[4-9].* | 100.[7-9][0-9].* | 100.1[01][0-9].* | 100.12[0-7].*)
      say "warning: $endpoint is a private address; behind the provider's NAT set PUBLIC_ADDRESS=IP"
      ;;
  esac
  cat <<EOF

==== paste into the router's /etc/bond/bond.yaml ====
interface:
  address: [$router_addresses]
peers:
  - name: vps
    public_key: $vps_public_key
    endpoint: $endpoint
EOF
  [ -z "$alternative" ] || echo "    # or over IPv6: endpoint: $alternative"
  echo "==== end ===="
  if [ "$ROTATED" = 1 ]; then
    cat <<EOF
The VPS keys were rotated: the router must be re-paired. Put the public_key above into the
router's config (peers: vps) and restart bond there; until then the tunnel stays down.
EOF
  fi
  if [ "$ROUTER_PENDING" = 1 ]; then
    cat <<EOF
Next: on the router, \`bond config --output /etc/bond/bond.yaml --role router\` prints its
public key; paste the values above into that file, then run this again here with
ROUTER_PUBLIC_KEY=<the router's public key> to complete the pairing and start bond.
EOF
  fi
}

# --- main -----------------------------------------------------------------------------------

install_binary
prepare_config
check_config
PUBLIC_IF=$(yaml_get "$CONFIG" nat public_interface) || die "no nat.public_interface in $CONFIG_PATH"
case $PUBLIC_IF in
  '' | *[!A-Za-z0-9_.-]*) die "nat.public_interface \"$PUBLIC_IF\" is not an interface name" ;;
esac
TUNNEL_IF=$(yaml_get "$CONFIG" interface name) || die "no interface.name in $CONFIG_PATH"
case $TUNNEL_IF in
  '' | *[!A-Za-z0-9_.-]*) die "interface.name \"$TUNNEL_IF\" is not an interface name" ;;
esac
TUNNEL_PORT=$(yaml_get "$CONFIG" interface listen_port) || die "no interface.listen_port in $CONFIG_PATH"
is_port "$TUNNEL_PORT" || die "interface.listen_port \"$TUNNEL_PORT\" is not a port number"

make_dir "$ROOT$UNIT_DIR" 0755
write_bond_unit
write_sysctl
if [ "$FIREWALL" = 1 ]; then
  write_firewall
else
  remove_firewall
fi
apply_live
print_router_values
