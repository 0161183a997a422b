/**
 * Everything the daemon changes on the system is registered here right after it is made, and
 * undone newest-first on stop, on a start-up failure half-way through, or on a fatal error.
 * Undo steps never throw: each failure is logged and the rest still runs, so one stuck route
 * never leaves a TUN device or an nftables table behind.
 */
import type { Logger } from "../log.ts";

export class Teardown {
  #steps: { what: string; undo: () => void | Promise<void> }[] = [];

  constructor(private readonly log: Logger) {}

  add(what: string, undo: () => void | Promise<void>): void {
    this.#steps.push({ what, undo });
  }

  async run(): Promise<number> {
    let failures = 0;
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step.undo();
        this.log.debug("undone", { what: step.what });
      } catch (err) {
        failures++;
        this.log.warn(`could not undo ${step.what}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}
