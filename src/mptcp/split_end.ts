/**
 * What both ends of the TCP split share: their listeners' accept loops, the sockets open now
 * (reset at stop), and the figures status shows.
 */
import net from "node:net";
import type { StreamListener } from "../../ffi/stream_socket.ts";
import type { Logger } from "../log.ts";
import type { Endpoint } from "../protocol/endpoint.ts";

export interface SplitStats {
  /** Connections taken over, and of those still open. */
  accepted: number;
  active: number;
  /** Connections that could not be carried (the other end unreachable or refusing). */
  failed: number;
  /** Carried connections that ended with a reset (either side's, passed on to the other). */
  reset: number;
  /** Bytes relayed towards the VPS side and back, over finished connections. */
  bytesUp: number;
  bytesDown: number;
}

/** Takes one accepted connection (its fd, non-blocking) until it is done. */
export type TakeConnection = (fd: number, from: Endpoint) => Promise<void>;

/** The figures' names, in the order a shared buffer keeps them (see sharedSplitStats). */
export const SPLIT_STAT_NAMES = [
  "accepted",
  "active",
  "failed",
  "reset",
  "bytesUp",
  "bytesDown",
] as const satisfies readonly (keyof SplitStats)[];

/** Room for the figures in a SharedArrayBuffer. */
export const SPLIT_STATS_BYTES = SPLIT_STAT_NAMES.length * 8;

/**
 * SplitStats kept in `buffer`: the split's Worker counts into it and the main thread reads it
 * for status, each through its own view. Zeroed figures when `buffer` is new.
 */
export function sharedSplitStats(buffer: SharedArrayBuffer): SplitStats {
  const values = new Float64Array(buffer, 0, SPLIT_STAT_NAMES.length);
  const stats = {} as SplitStats;
  SPLIT_STAT_NAMES.forEach((name, i) =>
    Object.defineProperty(stats, name, {
      get: () => values[i],
      set: (v: number) => (values[i] = v),
      enumerable: true,
    })
  );
  return stats;
}

export class SplitEnd {
  readonly stats: SplitStats;
  readonly #listeners: readonly StreamListener[];
  readonly #sockets = new Set<net.Socket>();
  readonly #log: Logger;
  readonly #running: Promise<void>[];

  /** Accepts on every listener at once, each connection handed to `take`; counts into `stats`. */
  constructor(
    listeners: readonly StreamListener[],
    stats: SplitStats,
    log: Logger,
    take: TakeConnection,
  ) {
    this.stats = stats;
    this.#listeners = listeners;
    this.#log = log;
    this.#running = listeners.map((l) => this.#acceptLoop(l, take));
  }

  /** A connected fd as a node:net socket, kept until it closes. */
  fromFd(fd: number): net.Socket {
    return this.track(new net.Socket({ fd, allowHalfOpen: true, readable: true, writable: true }));
  }

  /** Keeps `socket` until it closes (stop resets it). */
  track(socket: net.Socket): net.Socket {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    // Until relay() takes over: a reset before that must not be an unhandled error.
    socket.on("error", () => {});
    return socket;
  }

  /** Stops listening and resets every open connection. */
  async stop(): Promise<void> {
    for (const l of this.#listeners) l.close();
    for (const s of this.#sockets) s.resetAndDestroy();
    await Promise.all(this.#running);
  }

  async #acceptLoop(listener: StreamListener, take: TakeConnection): Promise<void> {
    while (true) {
      let accepted;
      try {
        accepted = await listener.accept();
      } catch (err) {
        this.#log.error(`TCP split: listener ${listener.local} failed: ${(err as Error).message}`);
        return;
      }
      if (accepted === null) return;
      take(accepted.fd, accepted.remote).catch((err) => {
        this.#log.warn(`TCP split: ${(err as Error).message}`);
      });
    }
  }
}
