/**
 * The router's side of the routed IPv6 prefix: the VPS hands this router its /64 over the
 * control channel; here it goes onto the LAN. With `lan.interface` the router takes
 * `<prefix>::1/64` there (rtnetlink), turns on IPv6 forwarding (restored on exit) and, with
 * `lan.router_advertisements`, announces the prefix (ra_sender.ts) so LAN hosts form addresses
 * by SLAAC and route through us, into the tunnel, out of the VPS without NAT66.
 *
 * A changed prefix first withdraws the old one (goodbye RA, address removed); so does "none"
 * and the daemon's stop, through the undo steps each piece registers with the Teardown.
 * Prefixes are handled one at a time, in order of arrival.
 */
import type { BondConfig } from "../config/types.ts";
import type { WirePrefix } from "../bonding/control_frame_types.ts";
import type { Logger } from "../log.ts";
import { formatIPv6 } from "../net/ip_address.ts";
import { addAddress, deleteAddress } from "../system/netlink/address.ts";
import type { NetlinkSocket } from "../system/netlink/socket.ts";
import type { SysctlChanges } from "../system/sysctl.ts";
import { RaSender } from "./ra_sender.ts";
import type { Teardown } from "./teardown.ts";

/**
 * Both roles' part at start-up. VPS: the data path learns each peer's routed /64 (its
 * position in `config.peers`, as the Workers got them) to tell the bonded ones. Router: a
 * RouterLanPrefix takes what arrives; with `lan:` configured, hellos start so the VPS learns
 * we bond even on one link.
 */
export function setUpLanPrefix(
  config: BondConfig,
  dataPath: {
    setLanPrefixes(prefixes: (WirePrefix | null)[]): void;
    wantLanPrefix(handler: (prefix: WirePrefix | null) => void, sayHello: boolean): void;
  },
  nl: NetlinkSocket,
  sysctls: SysctlChanges,
  teardown: Teardown,
  log: Logger,
): RouterLanPrefix | undefined {
  if (config.role === "vps") {
    dataPath.setLanPrefixes(
      config.peers.map((p) =>
        p.routedPrefix
          ? { address: p.routedPrefix.address, prefixLength: p.routedPrefix.prefix }
          : null
      ),
    );
    return undefined;
  }
  const lan = new RouterLanPrefix(
    config.lan,
    config.interface.effectiveMtu,
    nl,
    sysctls,
    teardown,
    log,
  );
  // Failures are logged and shown in status by onPrefix itself.
  dataPath.wantLanPrefix((prefix) => void lan.onPrefix(prefix).catch(() => {}), !!config.lan);
  return lan;
}

/** SLAAC forms addresses from a 64-bit interface identifier: only a /64 works for it. */
const SLAAC_PREFIX_LENGTH = 64;

export interface LanPrefixStatus {
  /**
   * "none": no prefix from the VPS; "received": known, not put on a LAN (no lan.interface);
   * "applied": the router's address is on the LAN interface; "failed": see `reason`.
   */
  state: "none" | "received" | "applied" | "failed";
  /** `2001:db8:100::/64`; null when none. */
  prefix: string | null;
  interface: string | null;
  /** Router Advertisements for the prefix are being sent on `interface`. */
  advertising: boolean;
  reason: string | null;
}

interface Applied {
  prefix: WirePrefix;
  text: string;
  address?: string;
  advertiser?: RaSender;
}

export class RouterLanPrefix {
  readonly #lan: BondConfig["lan"];
  readonly #mtu: number;
  readonly #nl: NetlinkSocket;
  readonly #sysctls: SysctlChanges;
  readonly #teardown: Teardown;
  readonly #log: Logger;
  #current: Applied | undefined;
  #status: LanPrefixStatus;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    lan: BondConfig["lan"],
    tunnelMtu: number,
    nl: NetlinkSocket,
    sysctls: SysctlChanges,
    teardown: Teardown,
    log: Logger,
  ) {
    this.#lan = lan;
    this.#mtu = tunnelMtu;
    this.#nl = nl;
    this.#sysctls = sysctls;
    this.#teardown = teardown;
    this.#log = log;
    this.#status = this.#shown("none");
    // Whatever is applied when the daemon stops is withdrawn before the netlink socket closes.
    teardown.add("lan prefix", () => {
      this.#stopped = true;
      return this.#queue.then(() => this.#withdraw());
    });
  }

  /** A prefix from the VPS (null: it has none for us); applied after any earlier one. */
  onPrefix(prefix: WirePrefix | null): Promise<void> {
    const next = this.#queue.then(() => this.#stopped ? undefined : this.#apply(prefix));
    this.#queue = next.catch(() => {});
    return next;
  }

  status(): LanPrefixStatus {
    return { ...this.#status };
  }

  async #apply(prefix: WirePrefix | null): Promise<void> {
    await this.#withdraw();
    if (prefix === null) {
      this.#status = this.#shown("none");
      this.#log.info("lan prefix: the VPS has none for this router");
      return;
    }
    const text = `${formatIPv6(prefix.address)}/${prefix.prefixLength}`;
    const iface = this.#lan?.interface;
    this.#log.info(`lan prefix ${text} received`, { interface: iface ?? "(none)" });
    if (prefix.prefixLength !== SLAAC_PREFIX_LENGTH) {
      this.#status = this.#shown("failed", text, `a /${prefix.prefixLength}, not a /64`);
      this.#log.warn(`lan prefix ${text}: not a /64, so not usable for SLAAC; ignored`);
      return;
    }
    const applied: Applied = { prefix, text };
    this.#current = applied;
    if (iface === undefined) {
      this.#status = this.#shown("received", text);
      return;
    }
    try {
      await this.#sysctls.set("net.ipv6.conf.all.forwarding", "1");
      const host = prefix.address.slice();
      host[15] = 1;
      const address = `${formatIPv6(host)}/${SLAAC_PREFIX_LENGTH}`;
      // replace: an address left by a crashed run is taken over, not an error.
      addAddress(this.#nl, iface, address, { replace: true });
      applied.address = address;
      this.#teardown.add(`address ${address} on ${iface}`, () => this.#removeAddress(applied));
      if (this.#lan?.routerAdvertisements) {
        applied.advertiser = RaSender.start(iface, prefix, this.#mtu, this.#log);
        this.#teardown.add(
          `router advertisements on ${iface}`,
          () => this.#stopAdvertising(applied),
        );
      }
      this.#status = this.#shown("applied", text);
      this.#log.info(`lan prefix ${text} on ${iface}`, {
        address,
        advertising: applied.advertiser !== undefined,
        mtu: this.#mtu,
      });
    } catch (err) {
      const reason = (err as Error).message;
      this.#log.warn(`lan prefix ${text} not applied on ${iface}: ${reason}`);
      await this.#withdraw();
      this.#status = this.#shown("failed", text, reason);
    }
  }

  /** Takes back what is applied: the goodbye RA first, then the address. */
  #withdraw(): void {
    const applied = this.#current;
    this.#current = undefined;
    if (applied === undefined) return;
    this.#stopAdvertising(applied);
    this.#removeAddress(applied);
  }

  #stopAdvertising(applied: Applied): void {
    applied.advertiser?.stop();
    applied.advertiser = undefined;
  }

  #removeAddress(applied: Applied): void {
    const address = applied.address;
    if (address === undefined) return;
    applied.address = undefined;
    deleteAddress(this.#nl, this.#lan!.interface!, address, { missingOk: true });
    this.#log.info(`lan prefix ${applied.text} withdrawn from ${this.#lan!.interface}`, {
      address,
    });
  }

  #shown(state: LanPrefixStatus["state"], prefix?: string, reason?: string): LanPrefixStatus {
    const applied = state === "applied";
    return {
      state,
      prefix: prefix ?? null,
      interface: this.#lan?.interface ?? null,
      advertising: applied && this.#current?.advertiser !== undefined,
      reason: reason ?? null,
    };
  }
}
