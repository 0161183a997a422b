/**
 * The VPS's end of the TCP split: an MPTCP listener on its tunnel address (bound to the TUN
 * device, so only tunnel peers reach it) at SPLIT_PORT. Each connection opens with a split
 * header; the VPS connects to the destination it names, as any host behind its NAT would, and
 * relays. The kernel's path manager announces SPLIT_PORT + 1 .. + n - 1 on the same address
 * (n: the most paths any router has, src/roles/tcp_split.ts), so each connection of a router
 * with n links joins n - 1 more subflows, one per path (subflow_ports.ts).
 *
 * Loopback, unspecified, multicast and IPv4-mapped destinations are refused: the split must
 * reach nothing a packet through the tunnel could not.
 */
import net from "node:net";
import { StreamListener } from "../../ffi/stream_socket.ts";
import type { Logger } from "../log.ts";
import type { Endpoint } from "../protocol/endpoint.ts";
import { relay } from "./relay.ts";
import {
  decodeSplitHeader,
  SPLIT_CONNECTED,
  SPLIT_HEADER_MAX,
  SPLIT_UNREACHABLE,
} from "./split_header.ts";
import { SplitEnd, type SplitStats } from "./split_end.ts";
import { SPLIT_PORT } from "./subflow_ports.ts";

/** A connection that has not sent its whole header by then is dropped. */
const HEADER_TIMEOUT_MS = 10_000;
/** How long connecting to the destination may take (a SYN to a silent host). */
const CONNECT_TIMEOUT_MS = 30_000;
/** How long a router told "unreachable" has to close its end before this one goes. */
const UNREACHABLE_LINGER_MS = 5_000;

/** Why `to` may not be reached through the split, or undefined when it may. */
export function forbiddenDestination(to: Endpoint): string | undefined {
  const ip = to.ip;
  if (to.family === 4) {
    if (ip[0] === 127) return "loopback";
    if (ip[0] === 0) return "unspecified";
    if (ip[0] >= 224) return "multicast or reserved";
    return undefined;
  }
  const zeroTo = (n: number) => ip.subarray(0, n).every((b) => b === 0);
  if (zeroTo(15) && (ip[15] === 0 || ip[15] === 1)) return ip[15] ? "loopback" : "unspecified";
  if (ip[0] === 0xff) return "multicast";
  if (zeroTo(10) && ip[10] === 0xff && ip[11] === 0xff) return "IPv4-mapped";
  return undefined;
}

export class VpsSplit {
  readonly stats: SplitStats;
  readonly #end: SplitEnd;
  readonly #log: Logger;

  private constructor(listener: StreamListener, stats: SplitStats, log: Logger) {
    this.#log = log;
    this.#end = new SplitEnd([listener], stats, log, (fd, from) => this.#take(fd, from));
    this.stats = this.#end.stats;
  }

  /**
   * Listens on `address`:SPLIT_PORT through `device` (MPTCP), counting into `stats`. Throws
   * SyscallError.
   */
  static open(address: string, device: string, stats: SplitStats, log: Logger): VpsSplit {
    const listener = StreamListener.open({
      address,
      port: SPLIT_PORT,
      protocol: "mptcp",
      device,
    });
    return new VpsSplit(listener, stats, log);
  }

  /** Stops listening and resets every open connection. */
  stop(): Promise<void> {
    return this.#end.stop();
  }

  async #take(fd: number, from: Endpoint): Promise<void> {
    const router = this.#end.fromFd(fd);
    this.stats.accepted++;
    this.stats.active++;
    let out: net.Socket | undefined;
    let to: Endpoint | undefined;
    try {
      const { destination, rest } = await readHeader(router);
      to = destination;
      const forbidden = forbiddenDestination(destination);
      if (forbidden !== undefined) throw new Error(`destination is ${forbidden}`);
      out = await connectTo(destination);
      this.#end.track(out);
      router.write(Uint8Array.of(SPLIT_CONNECTED));
      if (rest.length > 0) out.write(rest);
      const result = await relay(router, out);
      this.stats.bytesUp += result.aToB;
      this.stats.bytesDown += result.bToA;
      if (result.error !== undefined) this.stats.reset++;
    } catch (err) {
      this.stats.failed++;
      if (to !== undefined && out === undefined) {
        // Told, not reset (a reset could overtake the status): the router resets the LAN
        // host's connection, and with it this one.
        router.end(Uint8Array.of(SPLIT_UNREACHABLE));
        setTimeout(() => router.destroy(), UNREACHABLE_LINGER_MS);
      } else {
        router.resetAndDestroy();
        out?.resetAndDestroy();
      }
      this.#log.debug("TCP split connection not carried", {
        from: from.toString(),
        to: to?.toString(),
        reason: (err as Error).message,
      });
    } finally {
      this.stats.active--;
    }
  }
}

/** The split header off the front of `socket`, and whatever data came behind it. */
function readHeader(socket: net.Socket): Promise<{ destination: Endpoint; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let got = new Uint8Array(0);
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
      socket.pause();
      if (err) reject(err);
    };
    const timer = setTimeout(() => done(new Error("no split header in time")), HEADER_TIMEOUT_MS);
    const onEnd = () => done(new Error("closed before its split header"));
    const onData = (chunk: Uint8Array) => {
      const joined = new Uint8Array(got.length + chunk.length);
      joined.set(got);
      joined.set(chunk, got.length);
      got = joined;
      const h = decodeSplitHeader(got);
      if (h.state === "bad") return done(new Error(h.reason));
      if (h.state === "partial") {
        if (got.length >= SPLIT_HEADER_MAX) done(new Error("split header too long"));
        return;
      }
      done();
      resolve({ destination: h.destination, rest: got.subarray(h.length) });
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onEnd);
  });
}

function connectTo(to: Endpoint): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: to.address(), port: to.port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${to}: no answer in ${CONNECT_TIMEOUT_MS / 1000} s`));
    }, CONNECT_TIMEOUT_MS);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`connect to ${to}: ${err.message}`));
    });
  });
}
