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
import { validateForwards } from "./validate_forwards.ts";
import { parseIpAddress } from "../net/ip_address.ts";
import { forwardTargetProblem } from "../edge/forward_target_problem.ts";
import { prefixContains } from "../edge/prefix_contains.ts";

const KEYS = [
  "name",
  "public_key",
  "preshared_key",
  "preshared_key_file",
  "endpoint",
  "allowed_ips",
  "persistent_keepalive",
  "forwards",
  "reach",
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
  checkReach(top, peers);
  checkForwardCollisions(top, peers);
  checkForwardTargets(top, peers);
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
  const endpoints = readEndpoints(r, role);
  const endpoint = endpoints?.[0];
  const alternateEndpoint = endpoints?.[1];

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
  const { forwards, reach } = readEdgeKeys(r, role);

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
    ...(alternateEndpoint ? { alternateEndpoint } : {}),
    allowedIps,
    persistentKeepalive: keepalive ?? 0,
    forwards,
    reach,
  };
}

/** `forwards` and `reach` describe what the VPS does for a peer: refused on the router. */
function readEdgeKeys(r: MappingReader, role: Role | undefined) {
  if (role === "router") {
    for (const key of ["forwards", "reach"]) {
      if (r.has(key)) r.fail(key, "only for role vps (the router's forwards are top-level)");
    }
    return { forwards: [], reach: [] };
  }
  const forwards = validateForwards(r);
  const reach: string[] = [];
  const items = r.list("reach") ?? [];
  items.forEach((item, i) => {
    if (typeof item === "string" && item !== "") reach.push(item);
    else r.problems.add(indexPath(r.pathOf("reach"), i), "want the name of another peer");
  });
  return { forwards, reach };
}

/** Every `reach` entry names another peer: a typo would silently keep the isolation. */
function checkReach(top: MappingReader, peers: (PeerConfig | undefined)[]): void {
  const names = new Set(peers.flatMap((p) => p ? [p.name] : []));
  peers.forEach((p, i) => {
    p?.reach.forEach((name, j) => {
      const path = `${indexPath(top.pathOf("peers"), i)}.reach[${j}]`;
      if (name === p.name) top.problems.add(path, `"${name}" is this peer itself`);
      else if (!names.has(name)) top.problems.add(path, `no peer is named "${name}"`);
    });
  });
}

/**
 * `endpoint`: one host:port (an IP literal or a name, whose A and AAAA records both count), or
 * a list of two IP literals of different families: the same VPS's IPv4 and IPv6 addresses, so
 * links of either family can reach it.
 */
function readEndpoints(r: MappingReader, role: Role | undefined): HostPort[] | undefined {
  if (role === "vps" && r.has("endpoint")) {
    return r.fail("endpoint", "only for role router (the VPS learns endpoints from handshakes)");
  }
  if (role === "router" && !r.has("endpoint")) {
    return r.fail("endpoint", "missing: the router must know where its VPS listens (host:port)");
  }
  if (!r.has("endpoint")) return undefined;
  if (!Array.isArray(r.raw("endpoint"))) {
    const text = r.string("endpoint");
    if (text === undefined) return undefined;
    try {
      return [parseHostPort(text)];
    } catch (e) {
      return r.fail("endpoint", (e as Error).message);
    }
  }
  const items = r.list("endpoint")!;
  if (items.length === 0 || items.length > 2) {
    return r.fail(
      "endpoint",
      `want host:port, or a list of the VPS's IPv4 and IPv6 endpoints (two), got ${items.length}`,
    );
  }
  const out: HostPort[] = [];
  items.forEach((item, i) => {
    const path = indexPath(r.pathOf("endpoint"), i);
    if (typeof item !== "string" || item === "") {
      r.problems.add(path, "want host:port");
      return;
    }
    try {
      const hp = parseHostPort(item);
      if (items.length > 1 && familyOfLiteral(hp.host) === undefined) {
        r.problems.add(
          path,
          `in a list, want an IP address (a name gives both families by itself)`,
        );
        return;
      }
      out.push(hp);
    } catch (e) {
      r.problems.add(path, (e as Error).message);
    }
  });
  if (out.length !== items.length) return undefined;
  if (out.length === 2 && familyOfLiteral(out[0].host) === familyOfLiteral(out[1].host)) {
    return r.fail(
      "endpoint",
      "the two endpoints are of the same family; want one IPv4 and one IPv6 address",
    );
  }
  return out;
}

function familyOfLiteral(host: string): 4 | 6 | undefined {
  if (host.includes(":")) return 6;
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) ? 4 : undefined;
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

/**
 * A public port (per protocol and target family) can lead to one peer only. The forward table
 * would refuse the later one at run time; `bond check` says so before.
 */
function checkForwardCollisions(top: MappingReader, peers: (PeerConfig | undefined)[]): void {
  const holders = new Map<string, number>();
  peers.forEach((p, i) => {
    p?.forwards.forEach((f, j) => {
      const id = `${f.proto}/${f.port}${f.to.host.includes(":") ? " (IPv6)" : ""}`;
      const first = holders.get(id);
      if (first === undefined) holders.set(id, i);
      else if (first !== i) {
        top.problems.add(
          `${indexPath(top.pathOf("peers"), i)}.forwards[${j}].port`,
          `${id} is already forwarded to peers[${first}] ("${peers[first]?.name}")`,
        );
      }
    });
  });
}

/** A forward's target must be routed to its peer and reachable through the tunnel at all. */
function checkForwardTargets(top: MappingReader, peers: (PeerConfig | undefined)[]): void {
  peers.forEach((p, i) => {
    p?.forwards.forEach((f, j) => {
      const path = `${indexPath(top.pathOf("peers"), i)}.forwards[${j}].to`;
      const ip = parseIpAddress(f.to.host); // an IP literal: validateForwards made sure
      const problem = forwardTargetProblem(ip);
      if (problem) top.problems.add(path, problem);
      else if (!p.allowedIps.some((c) => prefixContains(c, ip.family, ip.address))) {
        top.problems.add(path, `${ip.text} is not inside this peer's allowed_ips`);
      }
    });
  });
}
