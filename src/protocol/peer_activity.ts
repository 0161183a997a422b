/**
 * What the packet paths did for one peer, in memory that every part of the data path can see:
 * the sender (TX), the receiver (RX) and the control plane may run on three threads, and the
 * protocol timers on the control plane depend on what the other two did. Instead of a message
 * per packet, each part records its events here and the control plane reads them when it ticks.
 *
 * Three of the timers of the whitepaper (section 6) live here because packets arm and disarm
 * them:
 * - passive keepalive: armed by data received (at that time), disarmed by anything sent;
 * - new handshake: armed by data sent, disarmed by anything authenticated received;
 * - persistent keepalive: restarted by any authenticated packet either way (the latest time).
 * Arming and disarming use flags (Atomics), so the order of events decides as it would in one
 * thread; arm times and counters are plain Float64 stores by their single writer. Every field
 * has one writer, except the flags, whose transitions are each a single atomic store.
 *
 * Backed by a SharedArrayBuffer when the parts run on different threads, by an ArrayBuffer
 * when they share one (tests, the in-process Core).
 */

// Float64 fields of one peer.
const KEEPALIVE_ARMED_AT = 0;
const NEW_HANDSHAKE_ARMED_AT = 1;
const TX_LAST = 2;
const RX_LAST = 3;
const CONTROL_LAST = 4;
const TX_BYTES = 5;
const TX_PACKETS = 6;
const RX_BYTES = 7;
const RX_PACKETS = 8;
const CONTROL_TX_BYTES = 9;
const CONTROL_TX_PACKETS = 10;
const CONTROL_RX_BYTES = 11;
const CONTROL_RX_PACKETS = 12;
const FLOATS = 16;

// Int32 flags of one peer.
const KEEPALIVE_ARMED = 0;
const ANOTHER_KEEPALIVE = 1;
const NEW_HANDSHAKE_ARMED = 2;
const INTS = 4;

const BYTES_PER_PEER = FLOATS * 8 + INTS * 4;

export class PeerActivity {
  readonly #f: Float64Array;
  readonly #i: Int32Array;
  /** Offset of this peer's floats and flags. */
  readonly #fo: number;
  readonly #io: number;

  /** A view of peer `slot` in a buffer made by `createActivityBuffer` (possibly by another thread). */
  constructor(buffer: ArrayBufferLike, slot: number, peers: number) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= peers) {
      throw new RangeError(`activity slot ${slot} outside 0-${peers - 1}`);
    }
    if (buffer.byteLength < activityBufferSize(peers)) {
      throw new RangeError(
        `activity buffer of ${buffer.byteLength} bytes is too small for ${peers} peers`,
      );
    }
    this.#f = new Float64Array(buffer, 0, peers * FLOATS);
    this.#i = new Int32Array(buffer, peers * FLOATS * 8, peers * INTS);
    this.#fo = slot * FLOATS;
    this.#io = slot * INTS;
  }

  // ------------------------------------------------------------ writers, one per field group

  /** TX: a transport packet (data, or a keepalive when `isData` is false) was sealed and sent. */
  transportSent(now: number, bytes: number, isData: boolean): void {
    const f = this.#f, o = this.#fo, i = this.#i, io = this.#io;
    f[o + TX_LAST] = now;
    f[o + TX_BYTES] += bytes;
    f[o + TX_PACKETS]++;
    // Reading first keeps the common case (nothing to change) free of atomic stores.
    if (Atomics.load(i, io + KEEPALIVE_ARMED) !== 0) Atomics.store(i, io + KEEPALIVE_ARMED, 0);
    if (isData && Atomics.load(i, io + NEW_HANDSHAKE_ARMED) === 0) {
      f[o + NEW_HANDSHAKE_ARMED_AT] = now;
      Atomics.store(i, io + NEW_HANDSHAKE_ARMED, 1);
    }
  }

  /** RX: an authenticated transport packet arrived (`isData`: not a keepalive). */
  transportReceived(now: number, bytes: number, isData: boolean): void {
    const f = this.#f, o = this.#fo, i = this.#i, io = this.#io;
    f[o + RX_LAST] = now;
    f[o + RX_BYTES] += bytes;
    f[o + RX_PACKETS]++;
    if (Atomics.load(i, io + NEW_HANDSHAKE_ARMED) !== 0) {
      Atomics.store(i, io + NEW_HANDSHAKE_ARMED, 0);
    }
    if (!isData) return;
    if (Atomics.load(i, io + KEEPALIVE_ARMED) === 0) {
      f[o + KEEPALIVE_ARMED_AT] = now;
      Atomics.store(i, io + KEEPALIVE_ARMED, 1);
    } else if (Atomics.load(i, io + ANOTHER_KEEPALIVE) === 0) {
      // Data kept arriving while a keepalive was pending: one more after it (wireguard-go does).
      Atomics.store(i, io + ANOTHER_KEEPALIVE, 1);
    }
  }

  /** Control: a handshake message was sent to the peer. */
  handshakeSent(now: number, bytes: number): void {
    const f = this.#f, o = this.#fo;
    f[o + CONTROL_LAST] = now;
    f[o + CONTROL_TX_BYTES] += bytes;
    f[o + CONTROL_TX_PACKETS]++;
    Atomics.store(this.#i, this.#io + KEEPALIVE_ARMED, 0);
  }

  /** Control: an authenticated handshake message arrived from the peer. */
  handshakeReceived(now: number, bytes: number): void {
    const f = this.#f, o = this.#fo;
    f[o + CONTROL_LAST] = now;
    f[o + CONTROL_RX_BYTES] += bytes;
    f[o + CONTROL_RX_PACKETS]++;
    Atomics.store(this.#i, this.#io + NEW_HANDSHAKE_ARMED, 0);
  }

  // ------------------------------------------------------------ timer state (control plane)

  /** When data received armed the passive keepalive, or Infinity when it is not armed. */
  get keepaliveArmedAt(): number {
    return Atomics.load(this.#i, this.#io + KEEPALIVE_ARMED) !== 0
      ? this.#f[this.#fo + KEEPALIVE_ARMED_AT]
      : Infinity;
  }

  /** Arms the passive keepalive as if data had arrived at `now`. */
  armKeepalive(now: number): void {
    this.#f[this.#fo + KEEPALIVE_ARMED_AT] = now;
    Atomics.store(this.#i, this.#io + KEEPALIVE_ARMED, 1);
  }

  disarmKeepalive(): void {
    Atomics.store(this.#i, this.#io + KEEPALIVE_ARMED, 0);
  }

  /** Whether data arrived while a keepalive was pending; clears the mark. */
  takeAnotherKeepalive(): boolean {
    return Atomics.exchange(this.#i, this.#io + ANOTHER_KEEPALIVE, 0) !== 0;
  }

  /** When sent data armed the new-handshake timer, or Infinity when it is not armed. */
  get newHandshakeArmedAt(): number {
    return Atomics.load(this.#i, this.#io + NEW_HANDSHAKE_ARMED) !== 0
      ? this.#f[this.#fo + NEW_HANDSHAKE_ARMED_AT]
      : Infinity;
  }

  disarmNewHandshake(): void {
    Atomics.store(this.#i, this.#io + NEW_HANDSHAKE_ARMED, 0);
  }

  /** The latest authenticated packet either way (handshakes included), -Infinity if none. */
  get lastTraversal(): number {
    const f = this.#f, o = this.#fo;
    return Math.max(f[o + TX_LAST], f[o + RX_LAST], f[o + CONTROL_LAST]);
  }

  // ------------------------------------------------------------ statistics

  /** Bytes and datagrams sent to / received from the peer, handshakes included. */
  get txBytes(): number {
    return this.#f[this.#fo + TX_BYTES] + this.#f[this.#fo + CONTROL_TX_BYTES];
  }
  get txPackets(): number {
    return this.#f[this.#fo + TX_PACKETS] + this.#f[this.#fo + CONTROL_TX_PACKETS];
  }
  get rxBytes(): number {
    return this.#f[this.#fo + RX_BYTES] + this.#f[this.#fo + CONTROL_RX_BYTES];
  }
  get rxPackets(): number {
    return this.#f[this.#fo + RX_PACKETS] + this.#f[this.#fo + CONTROL_RX_PACKETS];
  }
}

/** Bytes of activity memory for `peers` peers. */
export function activityBufferSize(peers: number): number {
  return Math.max(1, peers) * BYTES_PER_PEER;
}

/**
 * Activity memory for `peers` peers, every "last packet" time at -Infinity (never) and every
 * timer disarmed. `shared`: a SharedArrayBuffer, to hand to Workers.
 */
export function createActivityBuffer(peers: number, shared: boolean): ArrayBufferLike {
  const size = activityBufferSize(peers);
  const buffer = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
  const f = new Float64Array(buffer, 0, Math.max(1, peers) * FLOATS);
  for (let p = 0; p < peers; p++) {
    f[p * FLOATS + TX_LAST] = -Infinity;
    f[p * FLOATS + RX_LAST] = -Infinity;
    f[p * FLOATS + CONTROL_LAST] = -Infinity;
  }
  return buffer;
}

/** One PeerActivity per peer over `buffer`. */
export function activityViews(buffer: ArrayBufferLike, peers: number): PeerActivity[] {
  return Array.from({ length: peers }, (_, slot) => new PeerActivity(buffer, slot, peers));
}
