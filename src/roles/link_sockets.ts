/**
 * The router's link sockets, by link name: one UDP socket per link and address family its peer
 * endpoint needs, on an ephemeral port, bound to the link's device and/or source and carrying
 * the policy-routing mark (a link whose source is of the other family gets none for that
 * family). Links come and go with reloads, so the sockets are kept here rather than one by one
 * on the teardown stack; `closeAll` is registered there once.
 */
import { UdpSocket } from "../../ffi/udp.ts";
import type { LinkConfig } from "../config/types.ts";

/** Socket buffers deep enough for a burst at a gigabit without drops. */
export const SOCKET_BUFFER_BYTES = 4 << 20;

export interface RoleSocket {
  fd: number;
  family: 4 | 6;
  description: string;
  /** Router: the id of the link this socket is bound to. */
  link?: number;
}

export class LinkSockets {
  readonly #families: readonly (4 | 6)[];
  readonly #mark: number | undefined;
  readonly #open = new Map<string, { sockets: UdpSocket[]; described: RoleSocket[] }>();

  constructor(families: Iterable<4 | 6>, mark: number | undefined) {
    this.#families = [...new Set(families)].sort();
    this.#mark = mark;
  }

  /**
   * Opens `link`'s sockets (tagged with link id `id` at start; a link added later gets its id
   * from the data path); none when its source is of a family no
   * peer needs and it has no device. Throws with the reason (a missing device, an address not
   * assigned here), having closed whatever it opened.
   */
  open(link: LinkConfig, id?: number): RoleSocket[] {
    if (this.#open.has(link.name)) throw new Error(`link ${link.name} already has sockets`);
    const sockets: UdpSocket[] = [];
    const described: RoleSocket[] = [];
    try {
      for (const family of this.#families) {
        // A source of the other family: the device alone still names the path, if there is one.
        const source = link.source?.family === family ? link.source.text : undefined;
        if (link.source && source === undefined && !link.device) continue;
        const sock = UdpSocket.open({
          family,
          address: source,
          port: 0,
          device: link.device,
          mark: this.#mark,
          receiveBuffer: SOCKET_BUFFER_BYTES,
          sendBuffer: SOCKET_BUFFER_BYTES,
          nonBlocking: true,
        });
        sockets.push(sock);
        const local = sock.localEndpoint().toString();
        described.push({
          fd: sock.fd,
          family,
          description: link.device ? `${local}%${link.device}` : local,
          link: id,
        });
      }
    } catch (err) {
      for (const s of sockets) s.close();
      throw new Error(`link ${link.name}: ${(err as Error).message}`);
    }
    this.#open.set(link.name, { sockets, described });
    return described;
  }

  /** The sockets of `name` as opened. */
  of(name: string): readonly RoleSocket[] {
    return this.#open.get(name)?.described ?? [];
  }

  /** Closes `name`'s sockets (only once the data path let go of them). */
  close(name: string): void {
    const entry = this.#open.get(name);
    this.#open.delete(name);
    for (const s of entry?.sockets ?? []) s.close();
  }

  closeAll(): void {
    for (const name of [...this.#open.keys()]) this.close(name);
  }
}
