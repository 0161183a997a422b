/**
 * Strict validation of a parsed config file: unknown keys, wrong types, missing keys, bad keys,
 * CIDRs, ports and role rules are all reported, each as `path.to.key: reason`, in one pass.
 */
import { encodeKey, publicKey } from "../protocol/keys.ts";
import { MappingReader } from "./mapping_reader.ts";
import { Problems } from "./problems.ts";
import { readSecretKey } from "./secret_key.ts";
import type {
  BondConfig,
  Cidr,
  CryptoBackendPreference,
  LogLevel,
  PeerConfig,
  Role,
  SchedulerMode,
  TcpMode,
} from "./types.ts";
import { interfaceNameProblem } from "./interface_name.ts";
import { validateForwards } from "./validate_forwards.ts";
import { validateLan } from "./validate_lan.ts";
import { validateInterface } from "./validate_interface.ts";
import { validateLinks } from "./validate_links.ts";
import { validatePeers } from "./validate_peers.ts";
import { validateControl, validateMetrics } from "./validate_operations.ts";
import { parseRoutedPrefix, routedPrefixOf } from "./routed_prefix.ts";
import { sameNetwork } from "../net/cidr.ts";

const TOP_KEYS = [
  "role",
  "private_key",
  "private_key_file",
  "interface",
  "peers",
  "links",
  "scheduler",
  "routing",
  "nat",
  "forwards",
  "lan",
  "crypto",
  "log",
  "control",
  "metrics",
] as const;

const ROLES: readonly Role[] = ["router", "vps"];
const MODES: readonly SchedulerMode[] = ["aggregate", "pinned", "redundant", "failover"];
const TCP_MODES: readonly TcpMode[] = ["mptcp", "packet"];
const BACKENDS: readonly CryptoBackendPreference[] = ["auto", "openssl", "libsodium", "noble"];
const LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

/** Sections that belong to one role only, and why, for the error message. */
const ROUTER_ONLY = ["links", "routing", "forwards", "lan"] as const;
const VPS_ONLY = ["nat"] as const;

export interface ValidateOptions {
  /** Directory of the config file: relative `*_file` names are read from here. */
  baseDir: string;
}

export type ValidationResult =
  | { ok: true; config: BondConfig }
  | { ok: false; problems: string[] };

export function validateConfig(value: unknown, options: ValidateOptions): ValidationResult {
  const problems = new Problems();
  const top = MappingReader.open(value, "", problems, TOP_KEYS);
  if (!top) return { ok: false, problems: problems.list };

  const role = top.require("role") ? top.oneOf("role", ROLES) : undefined;
  const privateKey = readSecretKey(top, "private_key", {
    fileAllowed: true,
    required: true,
    baseDir: options.baseDir,
  });
  const iface = validateInterface(top, role);
  const peers = validatePeers(top, role, options.baseDir);
  if (privateKey && peers) checkNotSelf(top, privateKey, peers);

  checkRoleSections(top, role);
  const links = role === "router" ? validateLinks(top) : [];
  const forwards = role === "router" ? validateForwards(top) : [];
  const lan = role === "router" ? validateLan(top, iface?.name) : undefined;
  const scheduler = top.mapping("scheduler", ["mode", "tcp"]);
  const mode = scheduler?.oneOf("mode", MODES) ?? "aggregate";
  const tcp = scheduler?.oneOf("tcp", TCP_MODES) ?? "mptcp";
  const routing = role === "router" ? top.mapping("routing", ["default_route"]) : undefined;
  const defaultRoute = routing?.boolean("default_route") ?? true;
  const nat = role === "vps" ? readNat(top, peers?.length ?? 0) : undefined;
  if (nat?.ipv6Prefix && peers) assignRoutedPrefixes(nat.ipv6Prefix, peers);
  const backend = top.mapping("crypto", ["backend"])?.oneOf("backend", BACKENDS);
  const level = top.mapping("log", ["level"])?.oneOf("level", LEVELS) ?? "info";
  const control = validateControl(top, iface?.name);
  const metrics = validateMetrics(top);

  if (!problems.empty || !role || !privateKey || !iface || !peers) {
    return { ok: false, problems: problems.list };
  }
  return {
    ok: true,
    config: {
      role,
      privateKey,
      interface: iface,
      peers,
      links,
      scheduler: { mode, tcp },
      routing: { defaultRoute },
      ...(nat ? { nat } : {}),
      forwards,
      ...(lan ? { lan } : {}),
      crypto: { backend: backend ?? "auto" },
      log: { level },
      control,
      metrics,
    },
  };
}

function checkRoleSections(top: MappingReader, role: Role | undefined): void {
  if (role === "vps") {
    for (const key of ROUTER_ONLY) if (top.has(key)) top.fail(key, "only for role router");
  }
  if (role === "router") {
    for (const key of VPS_ONLY) if (top.has(key)) top.fail(key, "only for role vps");
  }
}

function readNat(top: MappingReader, peerCount: number): BondConfig["nat"] {
  const r = top.mapping("nat", ["public_interface", "ipv6_prefix"]);
  if (!r || !r.require("public_interface")) return undefined;
  const name = r.string("public_interface");
  if (name === undefined) return undefined;
  const problem = interfaceNameProblem(name);
  if (problem) r.fail("public_interface", problem);
  const prefixText = r.has("ipv6_prefix") ? r.string("ipv6_prefix") : undefined;
  if (prefixText === undefined) return { publicInterface: name };
  try {
    return { publicInterface: name, ipv6Prefix: parseRoutedPrefix(prefixText, peerCount) };
  } catch (err) {
    r.fail("ipv6_prefix", (err as Error).message);
    return { publicInterface: name };
  }
}

/** Each peer's /64 of nat.ipv6_prefix, also routed to it as an allowed IP. */
function assignRoutedPrefixes(prefix: Cidr, peers: PeerConfig[]): void {
  peers.forEach((p, i) => {
    const mine = routedPrefixOf(prefix, i);
    p.routedPrefix = mine;
    if (!p.allowedIps.some((c) => sameNetwork(c, mine))) p.allowedIps.push(mine);
  });
}

/** A peer carrying our own public key is a copy-paste slip that would never handshake. */
function checkNotSelf(top: MappingReader, privateKey: Uint8Array, peers: PeerConfig[]): void {
  const own = encodeKey(publicKey(privateKey));
  peers.forEach((p, i) => {
    if (encodeKey(p.publicKey) === own) {
      top.problems.add(
        `peers[${i}].public_key`,
        "this is this side's own public key; paste the other side's instead",
      );
    }
  });
}
