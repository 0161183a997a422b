/**
 * Allowed IPs: a longest-prefix-match table from IPv4/IPv6 prefixes to peers. It routes packets
 * read from the tunnel to a peer (by destination) and checks that a decrypted packet's source
 * belongs to the peer that sent it (cryptokey routing, whitepaper section 2).
 *
 * A binary trie per family: one node per prefix bit, so a lookup walks at most 32 or 128 nodes
 * and allocates nothing, which suits the per-packet path.
 */
import { networkOf, parseCidr } from "../net/cidr.ts";

class TrieNode<V> {
  zero: TrieNode<V> | undefined;
  one: TrieNode<V> | undefined;
  value: V | undefined;
}

export interface Prefix {
  family: 4 | 6;
  /** 4 or 16 bytes, host bits cleared. */
  address: Uint8Array;
  bits: number;
}

/** Parses "10.0.0.0/24", "fd00::/8" or a bare address (a host route); clears host bits. */
export function parsePrefix(cidr: string): Prefix {
  let c;
  try {
    c = networkOf(parseCidr(cidr));
  } catch (err) {
    throw new RangeError(
      `not an allowed IP ${cidr}: ${(err as Error).message} (want e.g. 10.0.0.0/24 or fd00::/64)`,
    );
  }
  return { family: c.family, address: c.address, bits: c.prefix };
}

export class AllowedIps<V> {
  readonly #v4 = new TrieNode<V>();
  readonly #v6 = new TrieNode<V>();

  /** Maps `cidr` to `value`, replacing what was there for that exact prefix. */
  insert(cidr: string, value: V): void {
    const p = parsePrefix(cidr);
    let node = p.family === 4 ? this.#v4 : this.#v6;
    for (let i = 0; i < p.bits; i++) {
      const bit = (p.address[i >> 3] >> (7 - (i & 7))) & 1;
      if (bit) node = node.one ??= new TrieNode<V>();
      else node = node.zero ??= new TrieNode<V>();
    }
    node.value = value;
  }

  /** Removes every prefix mapped to `value` (a peer going away). */
  removeValue(value: V): void {
    prune(this.#v4, value);
    prune(this.#v6, value);
  }

  /**
   * Longest-prefix match of the address at `buf[offset..]` (4 bytes for family 4, 16 for 6).
   * Reads the caller's buffer directly so packet headers need no copying.
   */
  lookup(family: 4 | 6, buf: Uint8Array, offset: number): V | undefined {
    let node: TrieNode<V> | undefined = family === 4 ? this.#v4 : this.#v6;
    const bits = family === 4 ? 32 : 128;
    let best = node.value;
    for (let i = 0; i < bits; i++) {
      const bit = (buf[offset + (i >> 3)] >> (7 - (i & 7))) & 1;
      node = bit ? node.one : node.zero;
      if (!node) break;
      if (node.value !== undefined) best = node.value;
    }
    return best;
  }

  /** Every prefix and its value, as text (for status and tests). */
  entries(): [string, V][] {
    const out: [string, V][] = [];
    const walk = (node: TrieNode<V> | undefined, family: 4 | 6, path: number[]) => {
      if (!node) return;
      if (node.value !== undefined) out.push([formatPrefix(family, path), node.value]);
      walk(node.zero, family, [...path, 0]);
      walk(node.one, family, [...path, 1]);
    };
    walk(this.#v4, 4, []);
    walk(this.#v6, 6, []);
    return out;
  }
}

/** Clears `value` below `node` and drops emptied branches; true if `node` itself is now empty. */
function prune<V>(node: TrieNode<V>, value: V): boolean {
  if (node.value === value) node.value = undefined;
  if (node.zero && prune(node.zero, value)) node.zero = undefined;
  if (node.one && prune(node.one, value)) node.one = undefined;
  return node.value === undefined && !node.zero && !node.one;
}

function formatPrefix(family: 4 | 6, path: number[]): string {
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  path.forEach((bit, i) => {
    if (bit) bytes[i >> 3] |= 0x80 >> (i & 7);
  });
  if (family === 4) return `${bytes.join(".")}/${path.length}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return `${words.join(":")}/${path.length}`;
}
