/**
 * The RX Worker's view of one bonded peer: which path each datagram came by (router: its
 * socket, one per link; VPS: the source endpoint the peer's hellos taught us), the per-path
 * receive counts the main thread turns into receive reports, and the reorder buffer that puts
 * the transport counter back in order before the TUN device sees the packets.
 *
 * Counters restart with each keypair: the first packet of a newer keypair flushes the buffer
 * and starts it over; packets still arriving under an older one bypass it. The main thread
 * sets the reorder timeout (from the paths' delay spread) and the mask of paths that can still
 * deliver (from their health) through `settings`, read here once per packet (two numbers).
 */
import { PathReceiveCounts } from "../bonding/path_receive_counts.ts";
import { type ReleaseFn, ReorderBuffer } from "../bonding/reorder_buffer.ts";
import { Endpoint } from "../protocol/endpoint.ts";
import { PATHS_PER_PEER } from "./bonded_sender.ts";

/** Packets the reorder buffer holds at most: 250 ms (its longest timeout) at ~16 000/s. */
export const REORDER_CAPACITY = 4096;
/** A path that delivered data this recently holds gaps open (see `prepare`). */
export const DATA_ACTIVE_MS = 1000;
const S_TIMEOUT = 0;
const S_ACTIVE = 1;

/** The shared memory of one bonded peer on the receive side, made by the main thread. */
export interface BondedReceiveMemory {
  counts: SharedArrayBuffer;
  /** Float64 [reorder timeout ms, active path mask]. */
  settings: SharedArrayBuffer;
}

export function createBondedReceiveMemory(): BondedReceiveMemory {
  const settings = new SharedArrayBuffer(16);
  const view = new Float64Array(settings);
  view[S_TIMEOUT] = 50;
  view[S_ACTIVE] = (1 << PATHS_PER_PEER) - 1;
  return {
    counts: new SharedArrayBuffer(PathReceiveCounts.bytesFor(PATHS_PER_PEER)),
    settings,
  };
}

/** The main thread's handle on the settings of a peer's reorder buffer. */
export function reorderSettings(memory: BondedReceiveMemory) {
  const view = new Float64Array(memory.settings);
  return {
    set(timeoutMs: number, activeMask: number): void {
      view[S_TIMEOUT] = timeoutMs;
      view[S_ACTIVE] = activeMask;
    },
  };
}

export class BondedReceiver {
  readonly counts: PathReceiveCounts;
  readonly reorder: ReorderBuffer;
  /** Socket index per path; -1 when the path does not exist. */
  readonly socket = new Int32Array(PATHS_PER_PEER).fill(-1);
  /** Source endpoint per path; null: any source on that socket (the router's side). */
  readonly endpoint: (Endpoint | null)[] = new Array(PATHS_PER_PEER).fill(null);
  readonly #settings: Float64Array;
  /** `created` of the keypair whose counters the buffer orders; -Infinity before any. */
  #keypair = -Infinity;
  /** Per path: when it last delivered a packet for the TUN device. */
  readonly #lastData = new Float64Array(PATHS_PER_PEER).fill(-Infinity);

  constructor(memory: BondedReceiveMemory, slotBytes: number, release: ReleaseFn) {
    this.counts = new PathReceiveCounts(PATHS_PER_PEER, memory.counts);
    this.#settings = new Float64Array(memory.settings);
    this.reorder = new ReorderBuffer(
      { capacity: REORDER_CAPACITY, slotBytes, paths: PATHS_PER_PEER },
      release,
    );
  }

  setPath(path: number, socket: number, endpoint: string | null): void {
    if ((path >>> 0) !== path || path >= PATHS_PER_PEER) return;
    this.socket[path] = socket;
    this.endpoint[path] = endpoint === null ? null : Endpoint.parse(endpoint);
  }

  /** The path a datagram on `socket` from `from` came by; -1 if none of the peer's. */
  pathOf(socket: number, from: Endpoint): number {
    for (let p = 0; p < PATHS_PER_PEER; p++) {
      if (this.socket[p] !== socket) continue;
      const ep = this.endpoint[p];
      if (ep === null || ep.equals(from)) return p;
    }
    return -1;
  }

  /**
   * An authenticated packet under the keypair made at `created`, with `counter`. True when it
   * goes through the reorder buffer; false when it belongs to an older keypair (bypass).
   */
  inOrder(created: number, counter: number): boolean {
    if (created < this.#keypair) return false;
    if (created > this.#keypair) {
      // The first keypair seen starts wherever its counters are by now; a newer one at 0.
      const first = this.#keypair === -Infinity;
      this.#keypair = created;
      this.reorder.reset(first ? counter : 0);
      this.counts.newKeypair();
    }
    return true;
  }

  /**
   * Before a packet is pushed: the reorder settings of the moment. A path holds gaps open only
   * while it carries data: probes and echoes on an otherwise idle slow path take counters that
   * no data waits for, and a gap they leave must not stall the fast path's stream for the
   * delay difference (they reach the control plane whether late or not).
   */
  prepare(now: number, path: number, isData: boolean): void {
    if (isData) this.#lastData[path] = now;
    let carrying = 0;
    for (let p = 0; p < PATHS_PER_PEER; p++) {
      if (now - this.#lastData[p] <= DATA_ACTIVE_MS) carrying |= 1 << p;
    }
    this.reorder.timeoutMs = this.#settings[S_TIMEOUT];
    this.reorder.activeMask = (this.#settings[S_ACTIVE] | 0) & carrying;
  }
}
