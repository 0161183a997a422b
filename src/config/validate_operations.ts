/**
 * The operations sections: `control.socket` (where the control socket lives) and
 * `metrics.listen` (the Prometheus listener).
 *
 * Metrics listen on loopback only. The page names every peer with its public key and its
 * current public endpoint and has no authentication, so it is not put on an address other
 * hosts can reach; scraping from elsewhere goes through an SSH tunnel or a local proxy.
 */
import { parseIpAddress } from "../net/ip_address.ts";
import { parseHostPort } from "./host_port.ts";
import type { MappingReader } from "./mapping_reader.ts";
import type { BondConfig, HostPort } from "./types.ts";

/** Where the control socket of interface `name` lives unless `control.socket` says otherwise. */
export const CONTROL_SOCKET_DIR = "/run/bond";

export function defaultControlSocket(interfaceName: string): string {
  return `${CONTROL_SOCKET_DIR}/${interfaceName}.sock`;
}

/** sun_path is 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export function validateControl(
  top: MappingReader,
  interfaceName: string | undefined,
): BondConfig["control"] {
  const r = top.mapping("control", ["socket"]);
  const socket = r?.string("socket");
  if (r && socket !== undefined) {
    const problem = socketPathProblem(socket);
    if (problem) r.fail("socket", problem);
    return { socket };
  }
  return { socket: defaultControlSocket(interfaceName ?? "bnd0") };
}

function socketPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return `want an absolute path, got "${path}"`;
  if (path.endsWith("/")) return `want a file path, got the directory "${path}"`;
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return `${bytes} bytes long, a Unix socket path has at most ${MAX_SOCKET_PATH_BYTES}`;
  }
  return undefined;
}

export function validateMetrics(top: MappingReader): BondConfig["metrics"] {
  const r = top.mapping("metrics", ["listen"]);
  const text = r?.string("listen");
  if (!r || text === undefined) return {};
  let listen: HostPort;
  try {
    listen = parseHostPort(text, { ipOnly: true });
  } catch (e) {
    r.fail("listen", `${(e as Error).message} (want e.g. 127.0.0.1:9586 or "[::1]:9586")`);
    return {};
  }
  if (!isLoopback(listen.host)) {
    r.fail(
      "listen",
      `${listen.host} is not a loopback address: metrics name peers, keys and endpoints and ` +
        `have no authentication, so they listen on 127.0.0.1 or ::1 only`,
    );
    return {};
  }
  return { listen };
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  const ip = parseIpAddress(host);
  if (ip.family === 4) return ip.address[0] === 127;
  return ip.address.every((b, i) => b === (i === 15 ? 1 : 0));
}
