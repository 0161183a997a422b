/**
 * Moves bytes both ways between two connected sockets until both directions are done, as the
 * kernel would have forwarded them: a FIN on one side becomes a FIN on the other (half-close),
 * a reset becomes a reset, and a side that cannot keep up holds the other back (pipe
 * backpressure). Both sockets must be made with `allowHalfOpen: true`.
 *
 * `bReady` holds back what `b` sends until it settles: with the bytes of `b` read ahead of the
 * relay (passed on first), or with an error that resets both sides.
 */
import type { Socket } from "node:net";

export interface RelayResult {
  /** Bytes that went from `a` to `b`, and back. */
  aToB: number;
  bToA: number;
  /** Set when either side failed (reset, timeout): the other side was reset too. */
  error?: Error;
}

const NOTHING = new Uint8Array(0);

export function relay(
  a: Socket,
  b: Socket,
  bReady: Promise<Uint8Array> = Promise.resolve(NOTHING),
): Promise<RelayResult> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    let closed = 0;
    const fail = (err: Error) => {
      error ??= err;
      // What one side's reset or failure means for the other: a reset, not a clean end.
      if (!a.destroyed) a.resetAndDestroy();
      if (!b.destroyed) b.resetAndDestroy();
    };
    const onClose = () => {
      if (++closed < 2) return;
      resolve({ aToB: b.bytesWritten, bToA: a.bytesWritten, error });
    };
    a.on("error", fail);
    b.on("error", fail);
    a.on("close", onClose);
    b.on("close", onClose);
    a.pipe(b);
    bReady.then((ahead) => {
      if (a.destroyed || b.destroyed) return;
      if (ahead.length > 0) a.write(ahead);
      b.pipe(a);
    }, fail);
  });
}

/**
 * The first byte `socket` sends, and whatever came with it; rejects if it ends or fails first,
 * or after `timeoutMs`. The socket is left paused, its listeners as they were.
 */
export function readFirstByte(
  socket: Socket,
  timeoutMs: number,
): Promise<{ byte: number; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.pause();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no answer in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onEnd = () => {
      done();
      reject(new Error("closed before it answered"));
    };
    const onData = (chunk: Uint8Array) => {
      done();
      resolve({ byte: chunk[0], rest: chunk.subarray(1) });
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
  });
}
