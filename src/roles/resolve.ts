/** Turns a configured endpoint (IP literal or DNS name) into an Endpoint. */
import { Endpoint } from "../protocol/endpoint.ts";
import { parseIPv4, parseIPv6 } from "../net/ip_address.ts";
import type { HostPort } from "../config/types.ts";

export async function resolveEndpoint(hp: HostPort): Promise<Endpoint> {
  const ep = new Endpoint();
  ep.port = hp.port;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hp.host)) {
    ep.family = 4;
    ep.ip.set(parseIPv4(hp.host));
    return ep;
  }
  if (hp.host.includes(":")) {
    ep.family = 6;
    ep.ip.set(parseIPv6(hp.host));
    return ep;
  }
  // A name: IPv4 first (more underlays have it), then IPv6.
  for (const type of ["A", "AAAA"] as const) {
    try {
      const answers = await Deno.resolveDns(hp.host, type);
      if (answers.length > 0) {
        ep.family = type === "A" ? 4 : 6;
        ep.ip.set(type === "A" ? parseIPv4(answers[0]) : parseIPv6(answers[0]));
        return ep;
      }
    } catch {
      // try the other record type
    }
  }
  throw new Error(`peer endpoint ${hp.host}: the name does not resolve (no A or AAAA record)`);
}
