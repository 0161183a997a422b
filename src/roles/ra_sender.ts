/**
 * Router Advertisements on one LAN interface: the thin I/O around the sans-IO pieces in
 * src/lan/ (what to send, when). A raw ICMPv6 socket (ffi/icmpv6.ts) joined to ff02::2 hears
 * Router Solicitations; a timer drains it and asks the schedule whether an RA is due, which
 * goes to ff02::1 (all nodes). `stop` sends the goodbye RA and closes the socket.
 */
import { Icmpv6Socket } from "../../ffi/icmpv6.ts";
import { EAGAIN, strerror } from "../../ffi/errno.ts";
import type { Logger } from "../log.ts";
import { parseIPv6 } from "../net/ip_address.ts";
import {
  type AnnouncedPrefix,
  goodbyeAdvertisement,
  prefixAdvertisement,
} from "../lan/prefix_advertisement.ts";
import { RaSchedule } from "../lan/ra_schedule.ts";
import {
  buildRouterAdvertisement,
  ICMPV6_ROUTER_SOLICITATION,
  isRouterSolicitation,
} from "../lan/router_advertisement.ts";

const ALL_NODES = parseIPv6("ff02::1");
const ALL_ROUTERS = parseIPv6("ff02::2");
/** How often the socket is drained and the schedule asked: well inside the 500 ms RS delay. */
const TICK_MS = 100;

export class RaSender {
  readonly #socket: Icmpv6Socket;
  readonly #schedule: RaSchedule;
  readonly #ra: Uint8Array;
  readonly #goodbye: Uint8Array;
  readonly #device: string;
  readonly #log: Logger;
  readonly #buf = new Uint8Array(1500);
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The last send error shown, so a link that stays down is logged once, not every tick. */
  #lastError: number | undefined;
  sent = 0;
  solicitations = 0;

  private constructor(
    socket: Icmpv6Socket,
    device: string,
    prefix: AnnouncedPrefix,
    mtu: number,
    log: Logger,
  ) {
    this.#socket = socket;
    this.#device = device;
    this.#log = log;
    this.#ra = buildRouterAdvertisement(prefixAdvertisement(prefix, mtu));
    this.#goodbye = buildRouterAdvertisement(goodbyeAdvertisement(prefix, mtu));
    this.#schedule = new RaSchedule(performance.now());
  }

  /** Opens the socket (throws SyscallError) and starts advertising at once. */
  static start(device: string, prefix: AnnouncedPrefix, mtu: number, log: Logger): RaSender {
    const socket = Icmpv6Socket.open({
      device,
      groups: [ALL_ROUTERS],
      receiveTypes: [ICMPV6_ROUTER_SOLICITATION],
    });
    const sender = new RaSender(socket, device, prefix, mtu, log);
    sender.#tick();
    sender.#timer = setInterval(() => sender.#tick(), TICK_MS);
    return sender;
  }

  /** The goodbye RA (router lifetime 0, prefix deprecated), then the socket closes. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#send(this.#goodbye);
    this.#socket.close();
  }

  #tick(): void {
    const now = performance.now();
    for (;;) {
      const n = this.#socket.receive(this.#buf);
      if (n === -EAGAIN || n < 0) break;
      if (isRouterSolicitation(this.#buf.subarray(0, n))) {
        this.solicitations++;
        this.#schedule.onSolicitation(now);
      }
    }
    if (this.#schedule.due(now)) this.#send(this.#ra);
  }

  #send(message: Uint8Array): void {
    const n = this.#socket.send(message, ALL_NODES);
    if (n >= 0) {
      this.sent++;
      this.#lastError = undefined;
      return;
    }
    if (this.#lastError !== -n) {
      this.#log.warn(`router advertisement on ${this.#device} not sent: ${strerror(-n)}`);
    }
    this.#lastError = -n;
  }
}
