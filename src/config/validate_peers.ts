/**
 * The `peers:` list. The router has exactly one peer, its VPS, with an endpoint; the VPS has one
 * entry per router or plain WireGuard client and learns their endpoints from handshakes.
 */
import { encodeKey } from "../protocol/keys.ts";
import { parseHostPort } from "./host_port.ts";
import { parseCidr } from "../net/cidr.ts";
import { MappingReader } from "./mapping_reader.ts";
import { indexPath } from "./problems.ts";
import { readSecretKey } from "./secret_key.ts";
import type { Cidr, HostPort, PeerConfig, Role } from "./types.ts";
import { readCidrList } from "./validate_interface.ts";

const KEYS = [
  "name",
  "public_key",
  "preshared_key",
  "preshared_key_file",
  "endpoint",
  "allowed_ips",
  "persistent_keepalive",
] as const;

/** The router sends everything through its one peer unless told otherwise. */
const ROUTER_DEFAULT_ALLOWED_IPS = ["0.0.0.0/0", "::/0"];

export function validatePeers(
  top: MappingReader,
  role: Role | undefined,
  baseDir: string,
): PeerConfig[] | undefined {
  if (!top.require("peers")) return undefined;
  const items = top.list("peers");
  if (!items) return undefined;
  if (role === "router" && items.length !== 1) {
    top.fail("peers", `the router has exactly one peer (its VPS), got ${items.length}`);
  }
  if (role === "vps" && items.length === 0) {
    top.fail("peers", "the VPS needs at least one peer");
  }

  const peers: (PeerConfig | undefined)[] = items.map((item, i) =>
    validatePeer(item, indexPath(top.pathOf("peers"), i), top, role, baseDir, i)
  );
  checkUnique(top, peers);
  return peers.every((p) => p !== undefined) ? peers as PeerConfig[] : undefined;
}

function validatePeer(
  item: unknown,
  path: string,
  top: MappingReader,
  role: Role | undefined,
  baseDir: string,
  index: number,
): PeerConfig | undefined {
  const r = MappingReader.open(item, path, top.problems, KEYS);
  if (!r) return undefined;
  const name = r.string("name") ?? `peer${index}`;
  const publicKey = readSecretKey(r, "public_key", { fileAllowed: false, required: true, baseDir });
  const presharedKey = readSecretKey(r, "preshared_key", {
    fileAllowed: true,
    required: false,
    baseDir,
  });
  const endpoint = readEndpoint(r, role);

  let allowedIps: Cidr[] | undefined;
  if (r.has("allowed_ips")) {
    allowedIps = readCidrList(r, "allowed_ips");
  } else if (role === "router") {
    allowedIps = ROUTER_DEFAULT_ALLOWED_IPS.map(parseCidr);
  } else {
    r.require("allowed_ips");
  }
  const keepalive = r.integer("persistent_keepalive", 0, 65535);
  const keepaliveOk = !r.has("persistent_keepalive") || keepalive !== undefined;

  if (!publicKey || !allowedIps || !keepaliveOk) return undefined;
  if (r.has("preshared_key") || r.has("preshared_key_file")) {
    if (!presharedKey) return undefined;
  }
  if (r.has("endpoint") && !endpoint) return undefined;
  return {
    name,
    publicKey,
    ...(presharedKey ? { presharedKey } : {}),
    ...(endpoint ? { endpoint } : {}),
    allowedIps,
    persistentKeepalive: keepalive ?? 0,
  };
}

function readEndpoint(r: MappingReader, role: Role | undefined): HostPort | undefined {
  if (role === "vps" && r.has("endpoint")) {
    return r.fail("endpoint", "only for role router (the VPS learns endpoints from handshakes)");
  }
  if (role === "router" && !r.has("endpoint")) {
    return r.fail("endpoint", "missing: the router must know where its VPS listens (host:port)");
  }
  const text = r.string("endpoint");
  if (text === undefined) return undefined;
  try {
    return parseHostPort(text);
  } catch (e) {
    return r.fail("endpoint", (e as Error).message);
  }
}

/** Names label status lines and keys identify peers on the wire: both must be unique. */
function checkUnique(top: MappingReader, peers: (PeerConfig | undefined)[]): void {
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  peers.forEach((p, i) => {
    if (!p) return;
    const path = indexPath(top.pathOf("peers"), i);
    const sameName = names.get(p.name);
    if (sameName !== undefined) {
      top.problems.add(`${path}.name`, `"${p.name}" already used by peers[${sameName}]`);
    } else names.set(p.name, i);
    const key = encodeKey(p.publicKey);
    const sameKey = keys.get(key);
    if (sameKey !== undefined) {
      top.problems.add(`${path}.public_key`, `same public key as peers[${sameKey}]`);
    } else keys.set(key, i);
  });
}
