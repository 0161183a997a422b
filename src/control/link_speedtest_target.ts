/**
 * What `bond speedtest LINK` needs to know before measuring, from the daemon's configuration
 * file and status: the link's device and source, and the VPS's public address (the peer's
 * endpoint: where the link's tunnel datagrams already go, so the same path is measured).
 */
import { parseHostPort } from "../config/host_port.ts";
import type { BondConfig, LinkConfig } from "../config/types.ts";
import type { StatusDocument } from "./status_document.ts";

export interface LinkTarget {
  link: LinkConfig;
  /** The VPS's public address, an IP literal. */
  host: string;
  /** The link's source address of the endpoint's family, when it has one. */
  source?: string;
}

/** The link named `name`; an unknown name is an error listing the links there are. */
export function findLink(config: BondConfig, name: string, configFile: string): LinkConfig {
  const link = config.links.find((l) => l.name === name);
  if (link) return link;
  const names = config.links.map((l) => l.name);
  throw new Error(
    `no link "${name}" in ${configFile} (links: ${names.join(", ")}); ` +
      `run bond speedtest with one of them, or without LINK for the bonded tunnel`,
  );
}

/**
 * The VPS's public host: the endpoint the daemon uses now (status), else the configured one.
 * A name is resolved (IPv4 first, as the daemon's sockets prefer it).
 */
export async function vpsPublicHost(status: StatusDocument, config: BondConfig): Promise<string> {
  const current = status.peers[0]?.endpoint;
  const host = current ? parseHostPort(current).host : config.peers[0]?.endpoint?.host;
  if (host === undefined) {
    throw new Error("the daemon knows no endpoint for its VPS peer (peers[0].endpoint)");
  }
  if (isIpLiteral(host)) return host;
  for (const type of ["A", "AAAA"] as const) {
    try {
      const found = await Deno.resolveDns(host, type);
      if (found.length > 0) return found[0];
    } catch {
      // try the other family
    }
  }
  throw new Error(`cannot resolve the VPS's endpoint host "${host}"`);
}

/** The link's side of the connection: its source must be of the VPS address's family. */
export function linkTarget(link: LinkConfig, host: string): LinkTarget {
  const family = host.includes(":") ? 6 : 4;
  if (link.source === undefined) return { link, host };
  if (link.source.family === family) return { link, host, source: link.source.text };
  if (link.device !== undefined) return { link, host }; // the device alone names the path
  throw new Error(
    `link "${link.name}" has an IPv${link.source.family} source and no device, but the VPS's ` +
      `endpoint ${host} is IPv${family}: give the link a device, or an endpoint of its family`,
  );
}

function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^[\d.]+$/.test(host);
}
