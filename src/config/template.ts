/**
 * The commented starter config written by `bond config --output FILE [--role router|vps]`.
 * It carries a fresh private key; the other side's public key is a placeholder that
 * `bond check` rejects until the user pastes the real one. Addresses come from documentation
 * (203.0.113.0/24) and private (10.66.0.0/24, fd66::/64) ranges so nothing real is targeted.
 */
import { encodeKey, generatePrivateKey, publicKey } from "../protocol/keys.ts";
import { PEER_KEY_PLACEHOLDER } from "./placeholder.ts";
import type { Role } from "./types.ts";

export interface StarterConfig {
  /** The YAML text to write. */
  text: string;
  /** This side's public key (base64), for the user to paste into the other side's config. */
  publicKey: string;
}

/** A starter config for `role`; `privateKey` defaults to a fresh one. */
export function starterConfig(
  role: Role,
  privateKey: Uint8Array = generatePrivateKey(),
): StarterConfig {
  const priv = encodeKey(privateKey);
  const text = role === "router" ? routerTemplate(priv) : vpsTemplate(priv);
  return { text, publicKey: encodeKey(publicKey(privateKey)) };
}

function routerTemplate(privateKey: string): string {
  return `# bond: router side. Check with: bond check -config THIS_FILE
role: router

# This side's secret. Keep the file mode 0600. Instead of inline, you may write
# private_key_file: private.key  (relative to this file's directory).
private_key: ${privateKey}

interface:
  name: bnd0                       # the TUN device
  address: [10.66.0.2/24, fd66::2/64]
  mtu: auto                        # auto, or a number 1280-9000

peers:
  - name: vps
    # Paste the VPS's public key (its \`bond config\` printed it; or run
    # \`bond pubkey < private.key\` on the VPS).
    public_key: ${PEER_KEY_PLACEHOLDER}
    # preshared_key_file: psk.key  # optional extra symmetric key, same on both sides
    endpoint: 203.0.113.10:65535   # REPLACE: your VPS; or a name, or "[2001:db8::1]:65535"
    allowed_ips: [0.0.0.0/0, ::/0] # everything goes through the tunnel
    persistent_keepalive: 25       # seconds; keeps NAT mappings on the WANs open

# One entry per WAN. Without this section bond uses one link over the default route.
# links:
#   - name: dsl
#     device: eth1                 # bound with SO_BINDTODEVICE
#     source: 192.168.1.20         # optional source address
#     weight: 1                    # optional static weight
#     down_mbps: 150               # optional scheduler seeds; bond speedtest --set writes them
#     up_mbps: 30
#   - name: lte
#     device: wwan0

scheduler:
  mode: aggregate                  # aggregate | pinned | redundant | failover
  tcp: mptcp                       # mptcp: LAN TCP rides one MPTCP subflow per link | packet

routing:
  default_route: true              # all traffic through the tunnel, underlay kept reachable

# The routed IPv6 /64 the VPS hands this router (when the VPS has nat.ipv6_prefix): put on
# the LAN interface as <prefix>::1/64 and announced there, so LAN hosts get global addresses
# by SLAAC. Without this section the prefix is only shown in bond status.
# lan:
#   interface: br-lan              # the LAN bridge or port
#   router_advertisements: true    # false when odhcpd or radvd announces the prefix instead

# Inbound port forwards, opened on the VPS (ports below 65000).
# forwards:
#   - proto: tcp                   # tcp | udp
#     port: 9987
#     to: 192.168.1.50:9987        # LAN host behind this router

crypto:
  backend: auto                    # auto | openssl | libsodium | noble

log:
  level: info                      # error | warn | info | debug

# Prometheus metrics (loopback only: they name peers, keys and endpoints). Off when omitted.
# metrics:
#   listen: 127.0.0.1:9586

# Where bond status / bond reload find this daemon. Default /run/bond/<interface name>.sock.
# control:
#   socket: /run/bond/bnd0.sock
`;
}

function vpsTemplate(privateKey: string): string {
  return `# bond: VPS side. Check with: bond check -config THIS_FILE
role: vps

# This side's secret. Keep the file mode 0600. Instead of inline, you may write
# private_key_file: private.key  (relative to this file's directory).
private_key: ${privateKey}

interface:
  name: bnd0                       # the TUN device
  address: [10.66.0.1/24, fd66::1/64]
  mtu: auto                        # auto, or a number 1280-9000
  listen_port: 65535               # the UDP port every router link lands on (65000-65535 are ours)

# One entry per bonding router or plain WireGuard client (phone, laptop).
peers:
  - name: router
    # Paste the router's public key (its \`bond config\` printed it; or run
    # \`bond pubkey < private.key\` on the router).
    public_key: ${PEER_KEY_PLACEHOLDER}
    # preshared_key_file: psk.key  # optional extra symmetric key, same on both sides
    # The router's tunnel addresses, plus its LAN prefixes (e.g. 192.168.1.0/24): the router
    # does not NAT its LAN, the VPS routes those prefixes back through the tunnel.
    allowed_ips: [10.66.0.2/32, fd66::2/128]

scheduler:
  mode: aggregate                  # aggregate | pinned | redundant | failover
  tcp: mptcp                       # offer routers the TCP split (needs nat) | packet

nat:
  public_interface: eth0           # REPLACE with the VPS's internet-facing interface

crypto:
  backend: auto                    # auto | openssl | libsodium | noble

log:
  level: info                      # error | warn | info | debug

# Prometheus metrics (loopback only: they name peers, keys and endpoints). Off when omitted.
# metrics:
#   listen: 127.0.0.1:9586

# Where bond status / bond reload find this daemon. Default /run/bond/<interface name>.sock.
# control:
#   socket: /run/bond/bnd0.sock
`;
}
