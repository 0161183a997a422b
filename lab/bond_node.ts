/**
 * Runs bond itself on a lab host: writes its configuration file into the lab's temp dir,
 * starts `deno run -A main.ts -config FILE` inside the host's namespace and waits until the
 * daemon logs that the tunnel is up.
 */
import { v8FlagsOption } from "../src/v8_flags.ts";
import type { Lab } from "../tests/netns/harness/netns.ts";
import type { SpawnedProcess } from "../tests/netns/harness/command.ts";
import { waitFor } from "../tests/netns/harness/wait_for.ts";
import { withOperations } from "./operations_config.ts";
import { encodeKey, generatePrivateKey, publicKey } from "../src/protocol/keys.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

export interface BondNode {
  host: string;
  configPath: string;
  process: SpawnedProcess;
  /** SIGTERM, wait for exit (SIGKILL after the grace period); returns the exit code. */
  stop(): Promise<number>;
  /** Everything the daemon has logged so far. */
  log(): string;
}

export interface StartBondOptions {
  /** Extra environment (e.g. the test-only protocol timer hook). */
  env?: Record<string, string>;
  /** @default 15000 */
  startTimeoutMs?: number;
  /** File name inside the lab's temp dir. @default `<host>.yaml` */
  fileName?: string;
  /** Pass --debug. @default false */
  debug?: boolean;
}

export async function startBond(
  lab: Lab,
  host: string,
  configText: string,
  opts: StartBondOptions = {},
): Promise<BondNode> {
  const configPath = `${lab.tmpDir}/${opts.fileName ?? `${host}.yaml`}`;
  // Both roles run on one machine here: each daemon gets its own control socket.
  const text = /^control:/m.test(configText)
    ? configText
    : withOperations(configText, { controlSocket: `${lab.tmpDir}/${host}.sock` });
  await Deno.writeTextFile(configPath, text, { mode: 0o600 });
  const argv = [Deno.execPath(), "run", "-A", v8FlagsOption(), MAIN, "-config", configPath];
  if (opts.debug) argv.push("--debug");
  const process = lab.spawn(host, argv, { env: opts.env });
  const node: BondNode = {
    host,
    configPath,
    process,
    log: () => process.stderr(),
    stop: async () => (await process.stop(3000)).code,
  };
  try {
    await waitFor(() => {
      if (process.exited) {
        throw new Error(`bond on ${host} exited with ${process.exited.code}:\n${process.stderr()}`);
      }
      return /tunnel up/.test(process.stderr());
    }, { timeoutMs: opts.startTimeoutMs ?? 15_000, intervalMs: 100, what: `bond up on ${host}` });
  } catch (err) {
    await process.stop();
    throw new Error(`${(err as Error).message}\n--- bond log (${host}) ---\n${process.stderr()}`);
  }
  return node;
}

export interface BondPeerYaml {
  name: string;
  publicKey: string;
  presharedKey?: string;
  /** One host:port, or the VPS's IPv4 and IPv6 endpoints. */
  endpoint?: string | string[];
  allowedIps: string[];
  persistentKeepalive?: number;
}

export interface BondConfigYaml {
  role: "router" | "vps";
  privateKey: string;
  interfaceName: string;
  addresses: string[];
  mtu?: number;
  listenPort?: number;
  peers: BondPeerYaml[];
  defaultRoute?: boolean;
  publicInterface?: string;
  crypto?: string;
  logLevel?: string;
}

/** The YAML a user would write for these settings. */
export function bondConfigText(c: BondConfigYaml): string {
  const lines = [
    `role: ${c.role}`,
    `private_key: ${c.privateKey}`,
    `interface:`,
    `  name: ${c.interfaceName}`,
    `  address: [${c.addresses.join(", ")}]`,
    `  mtu: ${c.mtu ?? "auto"}`,
  ];
  if (c.listenPort !== undefined) lines.push(`  listen_port: ${c.listenPort}`);
  lines.push(`peers:`);
  for (const p of c.peers) {
    lines.push(`  - name: ${p.name}`, `    public_key: ${p.publicKey}`);
    if (p.presharedKey) lines.push(`    preshared_key: ${p.presharedKey}`);
    if (typeof p.endpoint === "string") lines.push(`    endpoint: "${p.endpoint}"`);
    else if (p.endpoint) {
      lines.push(`    endpoint: [${p.endpoint.map((e) => `"${e}"`).join(", ")}]`);
    }
    lines.push(`    allowed_ips: [${p.allowedIps.join(", ")}]`);
    if (p.persistentKeepalive) lines.push(`    persistent_keepalive: ${p.persistentKeepalive}`);
  }
  if (c.role === "router") {
    lines.push(`routing:`, `  default_route: ${c.defaultRoute ?? true}`);
  }
  if (c.publicInterface) lines.push(`nat:`, `  public_interface: ${c.publicInterface}`);
  if (c.crypto) lines.push(`crypto:`, `  backend: ${c.crypto}`);
  if (c.logLevel) lines.push(`log:`, `  level: ${c.logLevel}`);
  return lines.join("\n") + "\n";
}

/** A fresh bond key pair as the configuration file writes it (base64). */
export function bondKeyPair(): { priv: string; pub: string } {
  const priv = generatePrivateKey();
  return { priv: encodeKey(priv), pub: encodeKey(publicKey(priv)) };
}
