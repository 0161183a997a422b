/**
 * Turns a peer's configured endpoints (IP literals or a DNS name) into Endpoints: the one the
 * tunnel dials, and the VPS's address of the other family when there is one (a second literal
 * in the file, or a name with both A and AAAA records), which links of that family use.
 */
import { Endpoint } from "../protocol/endpoint.ts";
import { parseIPv4, parseIPv6 } from "../net/ip_address.ts";
import type { HostPort, PeerConfig } from "../config/types.ts";

export interface PeerEndpoints {
  endpoint: Endpoint;
  alternate?: Endpoint;
}

export async function resolvePeerEndpoints(
  p: Pick<PeerConfig, "endpoint" | "alternateEndpoint">,
): Promise<PeerEndpoints | undefined> {
  if (p.endpoint === undefined) return undefined;
  const found = await resolveEndpoints(p.endpoint);
  const endpoint = found[0];
  let alternate = found.find((e) => e.family !== endpoint.family);
  if (p.alternateEndpoint !== undefined) {
    alternate = (await resolveEndpoints(p.alternateEndpoint)).find((e) =>
      e.family !== endpoint.family
    );
  }
  return alternate ? { endpoint, alternate } : { endpoint };
}

/** An IP literal as is; a name as its first A and first AAAA record (IPv4 first). */
export async function resolveEndpoints(hp: HostPort): Promise<Endpoint[]> {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hp.host)) return [endpointOf(4, parseIPv4(hp.host), hp.port)];
  if (hp.host.includes(":")) return [endpointOf(6, parseIPv6(hp.host), hp.port)];
  const out: Endpoint[] = [];
  for (const type of ["A", "AAAA"] as const) {
    try {
      const answers = await Deno.resolveDns(hp.host, type);
      if (answers.length === 0) continue;
      out.push(
        type === "A"
          ? endpointOf(4, parseIPv4(answers[0]), hp.port)
          : endpointOf(6, parseIPv6(answers[0]), hp.port),
      );
    } catch {
      // try the other record type
    }
  }
  if (out.length === 0) {
    throw new Error(`peer endpoint ${hp.host}: the name does not resolve (no A or AAAA record)`);
  }
  return out;
}

function endpointOf(family: 4 | 6, ip: Uint8Array, port: number): Endpoint {
  const ep = new Endpoint();
  ep.family = family;
  ep.ip.set(ip);
  ep.port = port;
  return ep;
}
