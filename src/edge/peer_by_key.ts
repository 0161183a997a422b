/**
 * Which configured peer a public key belongs to. The data path numbers peers by their position
 * in the file it started with; whatever the VPS keeps per peer for the whole run (pushed
 * forwards) is keyed by the peer's identity instead, so a peer list in another order (a reload,
 * a table built from another copy of the configuration) can never hand one router's forwards
 * to another.
 */
export interface KeyedPeer {
  name: string;
  publicKey: Uint8Array;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The name of the peer with `publicKey`, or undefined when no configured peer has it. */
export function peerNameByKey(
  peers: readonly KeyedPeer[],
  publicKey: Uint8Array,
): string | undefined {
  return peers.find((p) => sameKey(p.publicKey, publicKey))?.name;
}
