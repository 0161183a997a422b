/**
 * Which data-path socket slot holds which socket, on the main thread. Both Workers keep the same
 * SOCKET_SLOTS slots; the sockets at start take slots 0..n-1, a link added by a reload takes free
 * ones, and a slot is free again only once both Workers released it (its fd is closed then, so a
 * number reused by the kernel can never reach a Worker that still polls the old socket).
 */
import { SOCKET_SLOTS, type WorkerSocket } from "./messages.ts";

export class SocketSlots {
  readonly #slots: (WorkerSocket | undefined)[] = new Array(SOCKET_SLOTS).fill(undefined);

  constructor(initial: readonly WorkerSocket[]) {
    if (initial.length > SOCKET_SLOTS) {
      throw new RangeError(`${initial.length} sockets; the data path holds ${SOCKET_SLOTS}`);
    }
    initial.forEach((s, slot) => (this.#slots[slot] = s));
  }

  get(slot: number): WorkerSocket | undefined {
    return this.#slots[slot];
  }

  family(slot: number): 4 | 6 | undefined {
    return this.#slots[slot]?.family;
  }

  /** Puts `socket` in the lowest free slot; throws when all are taken. */
  take(socket: WorkerSocket): number {
    const slot = this.#slots.indexOf(undefined);
    if (slot < 0) {
      throw new RangeError(`all ${SOCKET_SLOTS} socket slots are in use; restart to add more`);
    }
    this.#slots[slot] = socket;
    return slot;
  }

  free(slot: number): void {
    this.#slots[slot] = undefined;
  }

  /** How many slots are free. */
  get available(): number {
    return this.#slots.filter((s) => s === undefined).length;
  }
}
