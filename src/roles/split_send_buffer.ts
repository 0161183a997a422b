/**
 * Router: the TCP send buffer ceiling of src/mptcp/subflow_send_buffer.ts put into
 * net.ipv4.tcp_wmem (its maximum; the minimum and default stay), following the paths, and put
 * back at stop unless someone else changed it meanwhile.
 */
import type { Logger } from "../log.ts";
import { ceilingToWrite, parseTcpWmem, sendBufferCeiling } from "../mptcp/subflow_send_buffer.ts";
import type { PathCapacity } from "../mptcp/subflow_windows.ts";

const TCP_WMEM = "/proc/sys/net/ipv4/tcp_wmem";

export class SendBufferCeiling {
  readonly #file: string;
  readonly #log: Logger;
  /** The maximum found at the first sync (restored at stop). */
  #found: number | undefined;
  /** The maximum written last (the found one while none is). */
  #current = 0;

  constructor(log: Logger, file = TCP_WMEM) {
    this.#file = file;
    this.#log = log;
  }

  /** The ceiling in force, bytes; null while the one found stands. */
  get lowered(): number | null {
    return this.#found !== undefined && this.#current !== this.#found ? this.#current : null;
  }

  /** Writes the ceiling for `paths` when it moved enough. Throws when the file cannot be used. */
  sync(paths: readonly (PathCapacity | undefined)[]): void {
    if (this.#found === undefined) {
      this.#found = this.#read()[2];
      this.#current = this.#found;
    }
    const next = ceilingToWrite(this.#current, sendBufferCeiling(paths, this.#found));
    if (next === this.#current) return;
    this.#write(next);
    if (next === this.#found) {
      this.#log.info("TCP split: send buffers back to the system's ceiling", {
        tcp_wmem_max: next,
      });
    } else {
      this.#log.info(
        "TCP split: send buffers capped, so data resent after a path dies waits less",
        {
          tcp_wmem_max: next,
          found: this.#found,
        },
      );
    }
  }

  /** Puts back the maximum found, if the one in force is still the one written last. */
  restore(): void {
    if (this.#found === undefined || this.#current === this.#found) return;
    const fields = this.#read();
    if (fields[2] !== this.#current) {
      this.#log.warn("TCP split: net.ipv4.tcp_wmem changed by someone else: left as it is", {
        tcp_wmem_max: fields[2],
      });
      return;
    }
    this.#write(this.#found, fields);
  }

  #read(): [number, number, number] {
    return parseTcpWmem(Deno.readTextFileSync(this.#file));
  }

  /** Sets the maximum, keeping the minimum and default as they read now. */
  #write(max: number, [min, initial] = this.#read()): void {
    Deno.writeTextFileSync(this.#file, `${min}\t${initial}\t${max}\n`);
    this.#current = max;
  }
}
