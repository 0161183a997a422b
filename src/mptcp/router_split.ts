/**
 * The router's end of the TCP split. The firewall redirects LAN TCP bound for the tunnel to
 * SPLIT_PORT here (router_ruleset.ts); each connection is accepted, its original destination
 * read (SO_ORIGINAL_DST), and handed to the VPS's listener over one MPTCP connection inside the
 * tunnel: a split header naming the destination, then the LAN host's bytes both ways. The
 * kernel adds a subflow per announced VPS port, and the data path pins subflow j to path j
 * (subflow_ports.ts), so each path runs its own congestion control.
 *
 * A LAN host sees its connection accepted at once (by us); if the VPS cannot reach the
 * destination, the connection is reset, as a refusal would have been.
 */
import type net from "node:net";
import {
  closeFd,
  connectStream,
  localEndpoint,
  originalDestination,
  StreamListener,
} from "../../ffi/stream_socket.ts";
import { isErrno } from "../../ffi/errno.ts";
import type { Logger } from "../log.ts";
import type { Endpoint } from "../protocol/endpoint.ts";
import { readFirstByte, relay } from "./relay.ts";
import { encodeSplitHeader, SPLIT_CONNECTED } from "./split_header.ts";
import { SplitEnd, type SplitStats } from "./split_end.ts";
import { SPLIT_PORT } from "./subflow_ports.ts";

/** How long the MPTCP connect to the VPS may take. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long the VPS may take to say whether it reached the destination (its own connect). */
const STATUS_TIMEOUT_MS = 40_000;

export class RouterSplit {
  readonly stats: SplitStats;
  /** The VPS's listener, from its offers; connections wait for none (reset without). */
  target: Endpoint | undefined;
  /**
   * The VPS refused a connection to `target`: it no longer serves the split (restarted with
   * `scheduler.tcp: packet`, say). The owner takes the redirect away until the next offer.
   */
  onTargetRefused: ((target: Endpoint) => void) | undefined;
  readonly #end: SplitEnd;
  readonly #log: Logger;

  private constructor(listeners: StreamListener[], stats: SplitStats, log: Logger) {
    this.#log = log;
    this.#end = new SplitEnd(listeners, stats, log, (fd, from) => this.#take(fd, from));
    this.stats = this.#end.stats;
  }

  /**
   * Listens on SPLIT_PORT for IPv4 and, if this host has IPv6, for IPv6 (where REDIRECT sends
   * LAN connections), counting into `stats`. Throws when IPv4 cannot listen.
   */
  static open(stats: SplitStats, log: Logger): RouterSplit {
    const listeners = [
      StreamListener.open({ address: "0.0.0.0", port: SPLIT_PORT, protocol: "tcp" }),
    ];
    try {
      listeners.push(StreamListener.open({ address: "::", port: SPLIT_PORT, protocol: "tcp" }));
    } catch (err) {
      log.warn(
        `TCP split: no IPv6 listener (${
          (err as Error).message
        }); IPv6 TCP stays on the packet path`,
      );
    }
    return new RouterSplit(listeners, stats, log);
  }

  /** Stops listening and resets every open connection. */
  stop(): Promise<void> {
    return this.#end.stop();
  }

  async #take(fd: number, from: Endpoint): Promise<void> {
    const destination = originalDestination(fd, from.family);
    if (destination === null || destination.equals(localEndpoint(fd))) {
      // Someone connected to our port itself: there is nowhere to take them.
      closeFd(fd);
      return;
    }
    const lan = this.#end.fromFd(fd);
    const target = this.target;
    this.stats.accepted++;
    this.stats.active++;
    let vps: net.Socket | undefined;
    try {
      if (target === undefined) throw new Error("the VPS offers no split listener");
      const vpsFd = await connectStream({
        address: target.address(),
        port: target.port,
        protocol: "mptcp",
        timeoutMs: CONNECT_TIMEOUT_MS,
      });
      vps = this.#end.fromFd(vpsFd);
      if (lan.destroyed) throw new Error(`${from} went away while ${destination} was reached`);
      const header = encodeSplitHeader(destination);
      vps.write(header);
      // The LAN host's bytes go at once; the VPS's first byte says whether it got through.
      let connected = false;
      const status = readFirstByte(vps, STATUS_TIMEOUT_MS).then(({ byte, rest }) => {
        if (byte !== SPLIT_CONNECTED) throw new Error(`the VPS could not reach ${destination}`);
        connected = true;
        return rest;
      });
      const result = await relay(lan, vps, status);
      this.stats.bytesUp += Math.max(0, result.aToB - header.length);
      this.stats.bytesDown += result.bToA;
      if (result.error !== undefined) {
        if (connected) this.stats.reset++;
        else this.stats.failed++;
        const what = connected ? "reset" : "not carried";
        this.#log.debug(`TCP split connection ${what}`, {
          from: from.toString(),
          to: destination.toString(),
          reason: result.error.message,
        });
      }
    } catch (err) {
      this.stats.failed++;
      lan.resetAndDestroy();
      vps?.resetAndDestroy();
      if (isErrno(err, "ECONNREFUSED") && target !== undefined && this.target === target) {
        this.target = undefined;
        this.onTargetRefused?.(target);
      }
      this.#log.debug("TCP split connection not carried", {
        from: from.toString(),
        to: destination.toString(),
        reason: (err as Error).message,
      });
    } finally {
      this.stats.active--;
    }
  }
}
