/** Polling with a bound on time, for conditions the lab cannot be notified about. */

export interface WaitForOptions {
  /** @default 5000 */
  timeoutMs?: number;
  /** @default 50 */
  intervalMs?: number;
  /** Names the condition in the timeout error. */
  what?: string;
}

/**
 * Calls `fn` until it returns a truthy value (which is returned) or `timeoutMs` has passed (then
 * throws, naming `what` and the last error `fn` threw, if any). `fn` is always tried at least once.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 50;
  if (!(timeoutMs >= 0) || !(intervalMs > 0)) {
    throw new RangeError(
      `waitFor: timeoutMs ${timeoutMs} and intervalMs ${intervalMs} must be > 0`,
    );
  }
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = undefined;
  for (let attempt = 0;; attempt++) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      throw new Error(
        `timed out after ${timeoutMs} ms (${attempt + 1} tries) waiting for ${
          opts.what ?? "condition"
        }${reason}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}
