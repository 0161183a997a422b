/**
 * The settings every part of the protocol core shares (timers, replay window, load threshold,
 * staged queue), checked once with errors that name the key. Its own module so the data-path
 * Workers can use it without loading the handshake code they never run.
 */
import { REPLAY_WINDOW_DEFAULT, STAGED_QUEUE_SIZE, UNDER_LOAD_THRESHOLD } from "./constants.ts";
import { type ProtocolTimers, resolveTimers } from "./timers.ts";

/** Checks the settings every part shares; throws a RangeError naming the key. */
export function resolveCoreSettings(config: {
  timers?: Partial<ProtocolTimers>;
  replayWindow?: number;
  underLoadThreshold?: number;
  stagedQueueSize?: number;
}): { timers: ProtocolTimers; replayWindow: number; underLoadThreshold: number; staged: number } {
  const replayWindow = config.replayWindow ?? REPLAY_WINDOW_DEFAULT;
  if (!Number.isInteger(replayWindow) || replayWindow < 1) {
    throw new RangeError(`replayWindow must be a positive integer, got ${replayWindow}`);
  }
  const staged = config.stagedQueueSize ?? STAGED_QUEUE_SIZE;
  if (!Number.isInteger(staged) || staged < 1) {
    throw new RangeError(`stagedQueueSize must be a positive integer, got ${staged}`);
  }
  return {
    timers: resolveTimers(config.timers),
    replayWindow,
    underLoadThreshold: config.underLoadThreshold ?? UNDER_LOAD_THRESHOLD,
    staged,
  };
}
