/**
 * Stock WireGuard peers (wireguard-go, configured with `wg`) inside lab hosts: the reference
 * tunnel our throughput is compared with, and the far end of interop tests (one side bond, the
 * other wireguard-go).
 *
 * wireguard-go keeps its control socket at /var/run/wireguard/<ifname>.sock, a path shared by
 * every namespace: interface names must therefore be unique machine-wide, not only per host.
 * `startWireguardGo` refuses a name whose socket is in use; `referenceIfname` derives names from
 * the lab id, which is unique while the lab lives.
 */
import type { Lab } from "../tests/netns/harness/netns.ts";
import { checkIfname } from "../tests/netns/harness/netns.ts";
import {
  describeFailure,
  runCommand,
  type SpawnedProcess,
} from "../tests/netns/harness/command.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";
import type { Topology } from "./topology.ts";

const UAPI_DIR = "/var/run/wireguard";

export interface WireguardPeer {
  publicKey: string;
  presharedKey?: string;
  /** `host:port` or `[v6]:port`. */
  endpoint?: string;
  allowedIps: string[];
  /** Seconds. */
  persistentKeepalive?: number;
}

export interface WireguardGoOptions {
  ifname: string;
  /** Base64, as `wg genkey` prints it. */
  privateKey: string;
  listenPort?: number;
  /** CIDRs put on the interface. */
  address: string[];
  mtu: number;
  peers: WireguardPeer[];
  /**
   * How long to wait for the interface and control socket to appear.
   * @default 5000
   */
  startTimeoutMs?: number;
}

/** A running wireguard-go. */
export interface WireguardGo {
  host: string;
  ifname: string;
  publicKey: string;
  process: SpawnedProcess;
  /** Stops the daemon (SIGTERM, SIGKILL after 1 s); it removes its interface on the way out. */
  stop(): Promise<void>;
}

/** A fresh private key from `wg genkey`. */
export async function wgGenKey(): Promise<string> {
  return await wgTool(["wg", "genkey"]);
}

/** The public key of `privateKey`, from `wg pubkey`. */
export async function wgPubKey(privateKey: string): Promise<string> {
  return await wgTool(["wg", "pubkey"], privateKey);
}

async function wgTool(argv: string[], stdin?: string): Promise<string> {
  const result = await runCommand(argv, { stdin, timeoutMs: 5000 });
  if (result.code !== 0) throw new Error(describeFailure(argv, result));
  return result.stdout.trim();
}

async function uapiSocketInUse(ifname: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path: `${UAPI_DIR}/${ifname}.sock` });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** The text `wg setconf` reads. */
export function wgConfigText(opts: WireguardGoOptions): string {
  const lines = ["[Interface]", `PrivateKey = ${opts.privateKey}`];
  if (opts.listenPort !== undefined) lines.push(`ListenPort = ${opts.listenPort}`);
  for (const peer of opts.peers) {
    lines.push("", "[Peer]", `PublicKey = ${peer.publicKey}`);
    if (peer.presharedKey) lines.push(`PresharedKey = ${peer.presharedKey}`);
    if (peer.endpoint) lines.push(`Endpoint = ${peer.endpoint}`);
    lines.push(`AllowedIPs = ${peer.allowedIps.join(", ")}`);
    if (peer.persistentKeepalive) lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Starts wireguard-go in the foreground inside `host`, configures keys and peers with
 * `wg setconf`, puts the addresses on the interface and brings it up.
 */
export async function startWireguardGo(
  lab: Lab,
  host: string,
  opts: WireguardGoOptions,
): Promise<WireguardGo> {
  checkIfname(opts.ifname);
  if (await uapiSocketInUse(opts.ifname)) {
    throw new Error(
      `startWireguardGo: ${UAPI_DIR}/${opts.ifname}.sock is in use by another wireguard-go; ` +
        `ifname must be unique machine-wide`,
    );
  }
  const publicKey = await wgPubKey(opts.privateKey);
  const proc = lab.spawn(host, ["wireguard-go", "-f", opts.ifname], {
    env: { WG_PROCESS_FOREGROUND: "1", LOG_LEVEL: "error" },
  });
  const instance: WireguardGo = {
    host,
    ifname: opts.ifname,
    publicKey,
    process: proc,
    stop: async () => {
      await proc.stop();
    },
  };
  try {
    await waitFor(async () => {
      if (proc.exited) return "exited";
      const sock = await uapiSocketInUse(opts.ifname);
      const link = await lab.exec(host, ["ip", "link", "show", "dev", opts.ifname]);
      return sock && link.code === 0 && "ready";
    }, { timeoutMs: opts.startTimeoutMs ?? 5000, what: `wireguard-go ${opts.ifname} on ${host}` });
    if (proc.exited) {
      throw new Error(
        `wireguard-go ${opts.ifname} on ${host} exited with code ${proc.exited.code}: ` +
          proc.stderr().trim().slice(-2000),
      );
    }
    await lab.run(host, ["wg", "setconf", opts.ifname, "/dev/stdin"], {
      stdin: wgConfigText(opts),
    });
    for (const cidr of opts.address) await lab.addAddress(host, opts.ifname, cidr);
    await lab.ip(host, ["link", "set", "dev", opts.ifname, "mtu", String(opts.mtu), "up"]);
    return instance;
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** Stops a wireguard-go started by `startWireguardGo`. */
export async function stopWireguardGo(wg: WireguardGo): Promise<void> {
  await wg.stop();
}

/**
 * The newest handshake of `ifname` (or of the one peer `peerPublicKey`), in Unix seconds; 0 when
 * there has been none.
 */
export async function latestHandshake(
  lab: Lab,
  host: string,
  ifname: string,
  peerPublicKey?: string,
): Promise<number> {
  const out = await lab.run(host, ["wg", "show", ifname, "latest-handshakes"]);
  let newest = 0;
  for (const line of out.split("\n")) {
    const [key, seconds] = line.trim().split(/\s+/);
    if (!key || seconds === undefined) continue;
    if (peerPublicKey && key !== peerPublicKey) continue;
    newest = Math.max(newest, Number(seconds));
  }
  return newest;
}

/** Addresses and port of the reference tunnel between router (client) and vps (server). */
export const REFERENCE_TUNNEL = {
  listenPort: 51820,
  mtu: 1420,
  subnet: { v4: "10.66.0.0/24", v6: "fd66::/64" },
  vps: { v4: "10.66.0.1", v6: "fd66::1" },
  router: { v4: "10.66.0.2", v6: "fd66::2" },
} as const;

/** A wireguard-go interface name for `side` in this lab, unique machine-wide while it lives. */
export function referenceIfname(lab: Lab, side: "router" | "vps"): string {
  // lab.id is "bt<tag><4 hex>", at most 14 characters; "w" + tag + hex + side fits in 15.
  return `w${lab.id.slice(2)}${side === "router" ? "r" : "v"}`;
}

export interface ReferenceTunnel {
  router: WireguardGo;
  vps: WireguardGo;
  stop(): Promise<void>;
}

export interface ReferenceTunnelOptions {
  /** Which of the VPS's public addresses the router dials. @default "v4" */
  endpointFamily?: "v4" | "v6";
  /** @default REFERENCE_TUNNEL.mtu */
  mtu?: number;
}

/**
 * wireguard-go on the topology's vps (listening on 51820) and router (its client), with fresh
 * keys from `wg genkey` and the addresses of REFERENCE_TUNNEL. Only the tunnel subnets are routed
 * through it; the router's default route stays on the underlay.
 */
export async function startReferenceTunnel(
  lab: Lab,
  topo: Topology,
  opts: ReferenceTunnelOptions = {},
): Promise<ReferenceTunnel> {
  const t = REFERENCE_TUNNEL;
  const mtu = opts.mtu ?? t.mtu;
  const [routerKey, vpsKey] = [await wgGenKey(), await wgGenKey()];
  const [routerPub, vpsPub] = [await wgPubKey(routerKey), await wgPubKey(vpsKey)];
  const vpsAddress = topo.vps.eth0[opts.endpointFamily ?? "v4"];
  const endpoint = vpsAddress.includes(":") ? `[${vpsAddress}]` : vpsAddress;
  const vps = await startWireguardGo(lab, topo.hosts.vps, {
    ifname: referenceIfname(lab, "vps"),
    privateKey: vpsKey,
    listenPort: t.listenPort,
    address: [`${t.vps.v4}/24`, `${t.vps.v6}/64`],
    mtu,
    peers: [{ publicKey: routerPub, allowedIps: [`${t.router.v4}/32`, `${t.router.v6}/128`] }],
  });
  try {
    const router = await startWireguardGo(lab, topo.hosts.router, {
      ifname: referenceIfname(lab, "router"),
      privateKey: routerKey,
      address: [`${t.router.v4}/24`, `${t.router.v6}/64`],
      mtu,
      peers: [{
        publicKey: vpsPub,
        endpoint: `${endpoint}:${t.listenPort}`,
        allowedIps: [t.subnet.v4, t.subnet.v6],
        persistentKeepalive: 25,
      }],
    });
    return {
      router,
      vps,
      stop: async () => {
        await Promise.all([router.stop(), vps.stop()]);
      },
    };
  } catch (err) {
    await vps.stop();
    throw err;
  }
}
