/**
 * The router's links changed by a reload, applied to the running tunnel: a removed link stops
 * carrying traffic at once and its sockets close once the data path let go of them; an added
 * link gets its sockets and says hello (a path once its probes answer); a link whose device or
 * source changed is both; weight and rate seeds apply to the running path. The tunnel and its
 * connections stay up throughout: other links carry the traffic meanwhile.
 */
import type { LinkConfig } from "../config/types.ts";
import { linkChanges } from "../control/link_changes.ts";
import type { DataPathLink, WorkerSocket } from "../datapath/messages.ts";
import type { Logger } from "../log.ts";
import type { LinkSockets } from "./link_sockets.ts";

/** The data path as link changes need it (DataPath implements it). */
export interface LinkDataPath {
  addLink(link: DataPathLink, sockets: readonly WorkerSocket[]): void;
  removeLink(name: string): Promise<void>;
  updateLink(link: DataPathLink): void;
}

export interface LinkReloadResult {
  /** One line per change made. */
  applied: string[];
  /** One line per change refused, with the reason (the link then keeps its old state). */
  failed: string[];
  /** The links that run now, in the file's order where they could be applied. */
  effective: LinkConfig[];
}

export function dataPathLink(l: LinkConfig): DataPathLink {
  return { name: l.name, weight: l.weight, upMbps: l.upMbps, downMbps: l.downMbps };
}

export class LiveLinks {
  constructor(
    private readonly sockets: LinkSockets,
    private readonly dataPath: LinkDataPath,
    private readonly log: Logger,
  ) {}

  async apply(
    current: readonly LinkConfig[],
    next: readonly LinkConfig[],
  ): Promise<LinkReloadResult> {
    const changes = linkChanges(current, next);
    const applied: string[] = [];
    const failed: string[] = [];
    const running = new Map(current.map((l) => [l.name, l]));

    // Removals first (in parallel: each drains for a moment), so their slots are free for
    // what is added.
    const leaving = [...changes.removed, ...changes.rebound];
    await Promise.all(leaving.map(async (l) => {
      await this.dataPath.removeLink(l.name);
      this.sockets.close(l.name);
      running.delete(l.name);
    }));
    for (const l of changes.removed) applied.push(`links: removed ${l.name}`);

    for (const l of [...changes.rebound, ...changes.added]) {
      const verb = changes.added.includes(l) ? "added" : "moved";
      try {
        const opened = this.sockets.open(l);
        if (opened.length === 0) {
          throw new Error(`no socket of the peer's address family (source ${l.source?.text})`);
        }
        try {
          this.dataPath.addLink(dataPathLink(l), opened);
        } catch (err) {
          this.sockets.close(l.name);
          throw err;
        }
        running.set(l.name, l);
        applied.push(`links: ${verb} ${l.name} (${opened.map((s) => s.description).join(", ")})`);
      } catch (err) {
        failed.push(`links.${l.name}: not ${verb}: ${(err as Error).message}`);
      }
    }

    for (const { link, change } of changes.retuned) {
      this.dataPath.updateLink(dataPathLink(link));
      running.set(link.name, link);
      applied.push(change);
    }

    for (const f of failed) this.log.warn(`reload: ${f}`);
    // The file's order for what runs (an unchanged link is the same in both); what could not
    // be applied is left out.
    const effective = next.filter((l) => running.has(l.name));
    return { applied, failed, effective };
  }
}
