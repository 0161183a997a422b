import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../net/ip_address.ts";

/**
 * A UDP endpoint (IPv4 or IPv6 address and port) as the protocol core sees it.
 *
 * The I/O shell decodes each received sockaddr into one reused scratch Endpoint, so the hot
 * path allocates nothing; the core keeps its own copy (`clone`) only when a peer's endpoint
 * actually changes (roaming, NAT rebinding).
 */
export class Endpoint {
  /** 4 or 6. */
  family: 4 | 6 = 4;
  /** IPv4 in the first 4 bytes, IPv6 in all 16. */
  readonly ip = new Uint8Array(16);
  port = 0;

  static parse(text: string): Endpoint {
    const ep = new Endpoint();
    const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
    const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
    if (v6) {
      ep.family = 6;
      ep.ip.set(parseIPv6(v6[1]));
      ep.port = parsePort(v6[2], text);
    } else if (v4) {
      ep.family = 4;
      ep.ip.set(parseIPv4(v4[1]));
      ep.port = parsePort(v4[2], text);
    } else {
      throw new RangeError(
        `not an IP endpoint (want 192.0.2.1:51820 or [2001:db8::1]:51820): ${text}`,
      );
    }
    return ep;
  }

  equals(other: Endpoint): boolean {
    if (this.family !== other.family || this.port !== other.port) return false;
    const n = this.family === 4 ? 4 : 16;
    for (let i = 0; i < n; i++) if (this.ip[i] !== other.ip[i]) return false;
    return true;
  }

  copyFrom(other: Endpoint): this {
    this.family = other.family;
    this.ip.set(other.ip);
    this.port = other.port;
    return this;
  }

  clone(): Endpoint {
    return new Endpoint().copyFrom(this);
  }

  /** The address alone, as text (`192.0.2.1`, `2001:db8::1`). */
  address(): string {
    return this.family === 4 ? formatIPv4(this.ip.subarray(0, 4)) : formatIPv6(this.ip);
  }

  toString(): string {
    return this.family === 4
      ? `${this.address()}:${this.port}`
      : `[${this.address()}]:${this.port}`;
  }
}

function parsePort(text: string, whole: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port out of range 1-65535 in ${whole}`);
  }
  return port;
}
