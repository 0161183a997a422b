/**
 * The VPS's edge: IP forwarding on, and our nftables table masquerading everything that
 * arrives through the tunnel out of nat.public_interface (routed IPv6 prefixes excepted),
 * DNATing the inbound forwards into the tunnel and isolating the peers from each other. Both
 * are undone on stop. The forwards live in one table for the whole run (VpsEdge): static
 * `peers[].forwards` from the file (a reload replaces them) and those each router pushes over
 * the control channel; whenever the accepted set or `reach` changes the nftables table is
 * rebuilt in one transaction. Pushed forwards are filed under the peer whose public key sent
 * them (peer_by_key.ts), and the ones refused go back to that router with their reasons.
 */
import type { BondConfig, ForwardConfig } from "../config/types.ts";
import type { SysctlChanges } from "../system/sysctl.ts";
import { applyRuleset, removeTables } from "../system/nftables/table_lifecycle.ts";
import { describeForward, type ForwardChange, type RefusedForward } from "../edge/forward_table.ts";
import { peerNameByKey } from "../edge/peer_by_key.ts";
import { entryToForward, forwardToEntry } from "../edge/forward_entries.ts";
import type { ForwardEntry, ForwardRefusal } from "../bonding/control_frame_types.ts";
import { planVpsEdge } from "../edge/vps_edge_plan.ts";
import { type PeerForwardRow, VpsForwards } from "../edge/vps_forwards.ts";
import type { Logger } from "../log.ts";
import type { Teardown } from "./teardown.ts";

export async function setUpVpsEgress(
  config: BondConfig,
  tunName: string,
  sysctls: SysctlChanges,
  teardown: Teardown,
  log: Logger,
): Promise<VpsEdge> {
  const families = new Set(config.interface.address.map((a) => a.family));
  if (families.has(4)) await sysctls.set("net.ipv4.ip_forward", "1");
  if (families.has(6)) await sysctls.set("net.ipv6.conf.all.forwarding", "1");
  const edge = new VpsEdge(config, tunName, log);
  if (!config.nat) {
    log.info("no nat.public_interface: forwarding without masquerade");
    return edge;
  }
  // Registered first: a half-applied table (impossible with nft's transactions, but cheap to
  // cover) or one left from a crashed run is removed on the way out.
  teardown.add("nftables table inet bond", () => removeTables());
  for (const { peer, refused } of edge.forwards.loadStatic()) logRefused(log, peer, refused);
  await edge.apply();
  log.info("masquerade on", { public_interface: config.nat.publicInterface });
  return edge;
}

function logRefused(log: Logger, peer: string, refused: ForwardChange["refused"]): void {
  for (const r of refused) log.warn(`forward refused: ${r.reason}`, { peer });
}

export class VpsEdge {
  readonly forwards: VpsForwards;
  #config: BondConfig;
  readonly #tunName: string;
  readonly #log: Logger;
  /** Applies run one at a time: a push and a reload may arrive together. */
  #applying: Promise<unknown> = Promise.resolve();
  readonly #applyRuleset: (text: string) => Promise<void>;

  /** `apply`: how a ruleset reaches nftables (tests pass a stand-in). */
  constructor(
    config: BondConfig,
    tunName: string,
    log: Logger,
    apply: (text: string) => Promise<void> = (text) => applyRuleset(text),
  ) {
    this.#config = config;
    this.#tunName = tunName;
    this.#log = log;
    this.#applyRuleset = apply;
    this.forwards = new VpsForwards(config.peers);
  }

  /** Builds and applies the table (nft is atomic: on failure the previous table stays). */
  async apply(): Promise<void> {
    await this.#applyRuleset(planVpsEdge(this.#config, this.#tunName, this.forwards.active()));
    for (const f of this.forwards.active()) {
      this.#log.info(`forward ${describeForward(f)}`, { peer: f.peer });
    }
  }

  /**
   * A reload changed peers' static forwards or reach: the table is rebuilt; if nft refuses,
   * the forwards are put back as they were and the error is thrown.
   */
  reload(config: BondConfig): Promise<void> {
    return this.#serial(async () => {
      const before = this.#config;
      this.#config = config;
      for (const p of config.peers) {
        logRefused(this.#log, p.name, this.forwards.setStatic(p.name, p.forwards).refused);
      }
      if (!config.nat) return;
      try {
        await this.apply();
      } catch (err) {
        this.#config = before;
        for (const p of before.peers) this.forwards.setStatic(p.name, p.forwards);
        throw err;
      }
    });
  }

  /**
   * The router with `publicKey` pushed its forwards; the table is rebuilt only if the accepted
   * set changed. Resolves to the pushed forwards that were refused, with the reasons.
   */
  pushFrom(publicKey: Uint8Array, forwards: ForwardConfig[]): Promise<RefusedForward[]> {
    const peer = peerNameByKey(this.#config.peers, publicKey);
    if (peer === undefined) {
      return Promise.reject(new Error("forwards from a key that is no configured peer"));
    }
    return this.push(peer, forwards);
  }

  /**
   * The data path's handler for pushed forwards. It numbers peers by their position in
   * `startPeers` (the list the Workers were started with); that position is turned into the
   * peer's public key here, and only the key is used from then on.
   */
  forwardHandler(
    startPeers: readonly { publicKey: Uint8Array }[],
  ): (peer: number, forwards: ForwardEntry[]) => Promise<ForwardRefusal[]> {
    return async (peer, forwards) => {
      const key = startPeers[peer]?.publicKey;
      if (key === undefined) throw new Error(`forwards from unknown peer ${peer}`);
      const refused = await this.pushFrom(key, forwards.map(entryToForward));
      return refused.map((r) => ({ ...forwardToEntry(r.forward), reason: r.reason }));
    };
  }

  /** Peer `peer` pushed its forwards; see `pushFrom`. */
  push(peer: string, forwards: ForwardConfig[]): Promise<RefusedForward[]> {
    let refusedPushed: RefusedForward[] = [];
    return this.#serial(async () => {
      if (!this.#config.nat) {
        if (forwards.length === 0) return;
        throw new Error("no nat.public_interface on this VPS, so no inbound forwards");
      }
      const change = this.forwards.setPushed(peer, forwards);
      logRefused(this.#log, peer, change.refused);
      // The router hears only of its own pushed forwards; static ones are the VPS's business.
      const pushed = new Set(forwards.map((f) => describeForward(f)));
      refusedPushed = change.refused.filter((r) => pushed.has(describeForward(r.forward)));
      if (!change.changed) return;
      for (const f of change.removed) {
        this.#log.info(`forward removed: ${describeForward(f)}`, { peer });
      }
      await this.apply();
    }).then(() => refusedPushed);
  }

  /** Each peer's forwards, accepted and refused, for `bond status`. */
  rows(): PeerForwardRow[] {
    return this.forwards.rows();
  }

  #serial(run: () => Promise<void>): Promise<void> {
    const next = this.#applying.then(run);
    this.#applying = next.catch(() => {});
    return next;
  }
}
