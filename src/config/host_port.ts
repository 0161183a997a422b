/**
 * `host:port` as written in the config: `203.0.113.10:65535`, `[2001:db8::1]:65535` or
 * `vps.example.net:65535`. Names stay names: resolving them is the daemon's job (DNS may not be
 * up when the config is checked).
 */
import { parseIpAddress } from "../net/ip_address.ts";
import type { HostPort } from "./types.ts";

export interface HostPortRules {
  /** Reject DNS names (for LAN targets that go straight into nftables). */
  ipOnly?: boolean;
}

/** An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*\\.?$`);

/** Throws RangeError saying what is wrong and showing the text. */
export function parseHostPort(text: string, rules: HostPortRules = {}): HostPort {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
    if (!host.includes(":")) throw new RangeError(`brackets are only for IPv6 addresses: ${text}`);
    parseIpAddress(host);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw new RangeError(`missing :port in ${text} (want host:port)`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      throw new RangeError(`put an IPv6 address in brackets: [${host}]:${portText}`);
    }
    if (/^[\d.]+$/.test(host)) {
      parseIpAddress(host);
    } else if (rules.ipOnly) {
      throw new RangeError(`want an IP address, not a host name: ${text}`);
    } else if (!HOST_NAME.test(host)) {
      throw new RangeError(`not a host name or IP address: "${host}" in ${text}`);
    }
  }
  return { host: host.toLowerCase(), port: parsePort(portText, text) };
}

function parsePort(portText: string, whole: string): number {
  if (!/^\d{1,5}$/.test(portText)) throw new RangeError(`bad port "${portText}" in ${whole}`);
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw new RangeError(`port ${port} out of range 1-65535 in ${whole}`);
  }
  return port;
}

/** `host:port`, with brackets around an IPv6 host: the form parseHostPort reads. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
