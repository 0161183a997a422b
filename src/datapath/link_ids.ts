/**
 * The router's link ids: the path ids its peer learns from link hellos (0..PATHS_PER_PEER-1).
 * The links at start get 0, 1, ... in configuration order; a link added by a reload gets an id
 * no link has had in this run, so the peer can never mistake it for a removed link whose path
 * it still remembers. Only when every id has been used once is the lowest free id used again
 * (the peer then sees that path move, as after a NAT rebinding). Sans-IO.
 */
export class LinkIds {
  readonly #capacity: number;
  readonly #byName = new Map<string, number>();
  readonly #everUsed: boolean[];

  constructor(capacity: number, initial: readonly string[] = []) {
    this.#capacity = capacity;
    this.#everUsed = new Array(capacity).fill(false);
    for (const name of initial) this.assign(name);
  }

  /** The id of link `name`, if it has one. */
  of(name: string): number | undefined {
    return this.#byName.get(name);
  }

  /** An id for a new link `name`; throws when every id is held by a link. */
  assign(name: string): number {
    if (this.#byName.has(name)) throw new Error(`link "${name}" already has an id`);
    const held = new Set(this.#byName.values());
    let id = this.#everUsed.indexOf(false);
    if (id < 0) {
      id = 0;
      while (id < this.#capacity && held.has(id)) id++;
    }
    if (id >= this.#capacity) throw new RangeError(`at most ${this.#capacity} links`);
    this.#everUsed[id] = true;
    this.#byName.set(name, id);
    return id;
  }

  /** Whether every id is held by a link (`assign` would throw). */
  get full(): boolean {
    return this.#byName.size >= this.#capacity;
  }

  /** Link `name` is gone; returns the id it had. */
  release(name: string): number | undefined {
    const id = this.#byName.get(name);
    this.#byName.delete(name);
    return id;
  }
}
