/**
 * Bytes and datagrams per UDP socket, in shared memory: the router has a socket per link, so
 * these are the per-link counts of `bond status`. The TX Worker writes the "sent" pair of each
 * socket, the RX Worker the "received" pair, the main thread reads; each cell has one writer.
 * Updated once per batch (not per packet), read without waking anyone.
 */
const CELLS = 4;
const SENT_BYTES = 0;
const SENT_DATAGRAMS = 1;
const RECEIVED_BYTES = 2;
const RECEIVED_DATAGRAMS = 3;

export interface SocketTrafficCounts {
  sentBytes: number;
  sentDatagrams: number;
  receivedBytes: number;
  receivedDatagrams: number;
}

export class SocketTraffic {
  readonly buffer: SharedArrayBuffer;
  readonly sockets: number;
  readonly #cells: Float64Array;

  private constructor(buffer: SharedArrayBuffer, sockets: number) {
    this.buffer = buffer;
    this.sockets = sockets;
    this.#cells = new Float64Array(buffer, 0, sockets * CELLS);
  }

  static create(sockets: number): SocketTraffic {
    return new SocketTraffic(new SharedArrayBuffer(Math.max(1, sockets) * CELLS * 8), sockets);
  }

  static attach(buffer: SharedArrayBuffer, sockets: number): SocketTraffic {
    if (buffer.byteLength < sockets * CELLS * 8) {
      throw new RangeError(`socket traffic buffer too small for ${sockets} sockets`);
    }
    return new SocketTraffic(buffer, sockets);
  }

  /** TX: `datagrams` datagrams of `bytes` bytes in all left by `socket`. */
  sent(socket: number, bytes: number, datagrams: number): void {
    this.#cells[socket * CELLS + SENT_BYTES] += bytes;
    this.#cells[socket * CELLS + SENT_DATAGRAMS] += datagrams;
  }

  /** TX: a new socket took slot `socket`; its "sent" pair starts from zero. */
  resetSent(socket: number): void {
    this.#cells[socket * CELLS + SENT_BYTES] = 0;
    this.#cells[socket * CELLS + SENT_DATAGRAMS] = 0;
  }

  /** RX: a new socket took slot `socket`; its "received" pair starts from zero. */
  resetReceived(socket: number): void {
    this.#cells[socket * CELLS + RECEIVED_BYTES] = 0;
    this.#cells[socket * CELLS + RECEIVED_DATAGRAMS] = 0;
  }

  /** RX: `datagrams` datagrams of `bytes` bytes in all arrived on `socket`. */
  received(socket: number, bytes: number, datagrams: number): void {
    this.#cells[socket * CELLS + RECEIVED_BYTES] += bytes;
    this.#cells[socket * CELLS + RECEIVED_DATAGRAMS] += datagrams;
  }

  read(socket: number): SocketTrafficCounts {
    const c = this.#cells, at = socket * CELLS;
    return {
      sentBytes: c[at + SENT_BYTES],
      sentDatagrams: c[at + SENT_DATAGRAMS],
      receivedBytes: c[at + RECEIVED_BYTES],
      receivedDatagrams: c[at + RECEIVED_DATAGRAMS],
    };
  }
}
