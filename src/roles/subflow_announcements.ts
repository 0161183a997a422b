/**
 * VPS: the subflow ports the kernel announces on the split's address. For routers with up to n
 * paths there are n - 1 slots, one per path beyond the first, each announcing one port (first
 * SPLIT_PORT + k for slot k); once a first path came back after dying, slot 0 (its spare) too.
 * A path that comes back moves its slot to another port riding it (src/mptcp/subflow_failover.ts).
 */
import { isErrno } from "../../ffi/errno.ts";
import type { Logger } from "../log.ts";
import { ENDPOINT_SIGNAL, type MptcpPathManager } from "../mptcp/path_manager.ts";
import { slotCandidates } from "../mptcp/subflow_failover.ts";
import { SPLIT_PORT, SPLIT_SUBFLOWS } from "../mptcp/subflow_ports.ts";
import { parseIpAddress } from "../net/ip_address.ts";
import { destroyClosingTcpSockets } from "../system/netlink/sock_diag.ts";

/** What the announcements need of the kernel's path manager. */
export type AnnouncingPathManager = Pick<
  MptcpPathManager,
  "endpoints" | "addEndpoint" | "deleteEndpoint"
>;

/** Destroys the closing TCP sockets bound to `address` and `port`; returns how many. */
export type ClosingSocketsClearer = (address: string, port: number) => number;

const clearClosingSockets: ClosingSocketsClearer = (address, port) =>
  destroyClosingTcpSockets(parseIpAddress(address).address, port);

export class SubflowAnnouncements {
  readonly #pm: AnnouncingPathManager;
  readonly #address: string;
  readonly #log: Logger;
  readonly #clearClosing: ClosingSocketsClearer;
  /** The path count the slots are for; -1 before the first sync. */
  #paths = -1;
  /** Subflow index announced in each slot (0: the spare), undefined where none is. */
  #slots: (number | undefined)[] = [];

  constructor(
    pm: AnnouncingPathManager,
    address: string,
    log: Logger,
    clearClosing = clearClosingSockets,
  ) {
    this.#pm = pm;
    this.#address = address;
    this.#log = log;
    this.#clearClosing = clearClosing;
  }

  /** The path count the ports are announced for. */
  get paths(): number {
    return Math.max(0, this.#paths);
  }

  /** The subflow index announced in each slot (0: the spare). */
  get slots(): readonly (number | undefined)[] {
    return this.#slots;
  }

  /**
   * Announces one port per path beyond the first, for routers with up to `paths` paths, and
   * puts back what is missing: a failed announcement, or one withdrawn by someone else.
   */
  sync(paths: number): void {
    const n = Math.min(paths, SPLIT_SUBFLOWS);
    if (n !== this.#paths) this.#reslot(n);
    const have = this.#ports();
    for (let k = 0; k < n; k++) {
      const j = this.#slots[k];
      // The spare is announced only once wanted.
      if (k === 0 && j === undefined) continue;
      if (j !== undefined && have.has(SPLIT_PORT + j)) continue;
      this.#slots[k] = this.#place(k, j, false);
      if (j !== undefined) {
        this.#log.info("TCP split: a subflow port announced again", {
          port: SPLIT_PORT + this.#slots[k]!,
        });
      }
    }
  }

  /**
   * Moves each of `slots` to the next of its ports that can be announced (the kernel announces
   * a port once, when it is added, to every connection: those that lost the path's subflow get
   * one again), then withdraws the port it had (its subflows stay). Returns the ports now
   * announced; a slot with no other port free keeps its own.
   */
  reannounce(slots: readonly number[]): number[] {
    const ports: number[] = [];
    for (const k of slots) {
      const old = this.#slots[k];
      const j = this.#place(k, old, true);
      this.#slots[k] = j;
      if (old !== undefined && old !== j) {
        const id = this.#ports().get(SPLIT_PORT + old);
        if (id !== undefined) this.#pm.deleteEndpoint(id);
      }
      ports.push(SPLIT_PORT + j);
    }
    return ports;
  }

  /**
   * Another path count maps ports to other paths: each slot keeps a port it announces that
   * still rides its path (live connections keep their subflows, and nobody joins anew); the
   * others are withdrawn, the spare too (it is the first path's at the new count only once that
   * path dies and comes back).
   */
  #reslot(n: number): void {
    const have = this.#ports();
    const slots: (number | undefined)[] = [];
    const keep = new Set<number>();
    for (let k = 1; k < n; k++) {
      const j = slotCandidates(k, n).find((c) => have.has(SPLIT_PORT + c));
      if (j === undefined) continue;
      slots[k] = j;
      keep.add(SPLIT_PORT + j);
    }
    for (const [port, id] of have) {
      if (!keep.has(port) && port < SPLIT_PORT + SPLIT_SUBFLOWS) this.#pm.deleteEndpoint(id);
    }
    this.#slots = slots;
    this.#paths = n;
  }

  /** Our announced ports (beyond the listener's) and their endpoint ids. */
  #ports(): Map<number, number> {
    const have = new Map<number, number>();
    for (const e of this.#pm.endpoints()) {
      if (e.address === this.#address && e.port > SPLIT_PORT) have.set(e.port, e.id);
    }
    return have;
  }

  /**
   * Announces a port of slot k and returns its subflow index: `from` first (or, with `after`,
   * the candidates after it, round, and `from` itself never), then the next candidates.
   */
  #place(k: number, from: number | undefined, after: boolean): number {
    const candidates = slotCandidates(k, this.#paths);
    const at = from === undefined ? -1 : candidates.indexOf(from);
    const order = at < 0
      ? candidates
      : after
      ? [...candidates.slice(at + 1), ...candidates.slice(0, at)]
      : [...candidates.slice(at), ...candidates.slice(0, at)];
    if (order.length === 0) {
      if (from !== undefined) return from;
      throw new Error(`no port left for subflow slot ${k} with ${this.#paths} paths`);
    }
    let last: unknown;
    for (const j of order) {
      try {
        this.#announce(SPLIT_PORT + j);
        return j;
      } catch (err) {
        // Subflows of live connections hold it: the next one may be free.
        if (!isErrno(err, "EADDRINUSE")) throw err;
        last = err;
      }
    }
    if (after && from !== undefined) return from;
    throw last;
  }

  /**
   * The kernel listens on an announced port without SO_REUSEADDR: a subflow still closing on it
   * (FIN_WAIT, CLOSING, TIME_WAIT, for up to minutes once the tunnel it waited on is gone, as
   * after a restart of the VPS right after a transfer) makes the announcement fail with
   * EADDRINUSE. Those belong to connections that are gone: cleared, and the port announced.
   * Established subflows on it (live connections) are left: EADDRINUSE then.
   */
  #announce(port: number): void {
    const endpoint = { address: this.#address, port, flags: ENDPOINT_SIGNAL };
    try {
      this.#pm.addEndpoint(endpoint);
      return;
    } catch (err) {
      if (!isErrno(err, "EADDRINUSE")) throw err;
      let cleared;
      try {
        cleared = this.#clearClosing(this.#address, port);
      } catch (clearing) {
        throw new Error(
          `${(err as Error).message}; its closing sockets not cleared: ${
            (clearing as Error).message
          }`,
        );
      }
      if (cleared === 0) throw err;
      this.#log.info("TCP split: cleared closing sockets off a subflow port", {
        port,
        sockets: cleared,
      });
    }
    this.#pm.addEndpoint(endpoint);
  }
}
