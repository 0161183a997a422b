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
      throw new RangeError(`not an IP endpoint (want 192.0.2.1:51820 or [2001:db8::1]:51820): ${text}`);
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
    return this.family === 4 ? `${this.address()}:${this.port}` : `[${this.address()}]:${this.port}`;
  }
}

function parsePort(text: string, whole: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port out of range 1-65535 in ${whole}`);
  }
  return port;
}

export function parseIPv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${text}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) throw new RangeError(`not an IPv4 address: ${text}`);
    const v = Number(parts[i]);
    if (v > 255) throw new RangeError(`not an IPv4 address: ${text}`);
    out[i] = v;
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let head = text;
  let tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) throw new RangeError(`not an IPv6 address: ${text}`);
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] => {
    if (s === "") return [];
    const words: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        words.push(parseInt(p, 16));
      } else {
        throw new RangeError(`not an IPv6 address: ${text}`);
      }
    }
    return words;
  };
  const h = groups(head);
  const t = groups(tail);
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) {
    throw new RangeError(`not an IPv6 address: ${text}`);
  }
  const words = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form: lowercase, longest run of two or more zero groups as `::`. */
export function formatIPv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i] << 8) | b[2 * i + 1]);
  let bestAt = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}
