/**
 * The VPS's answer to a forward-sync generation: one ack, or several parts when the refusals
 * do not fit one frame. Every part names the generation, so the router counts the set
 * acknowledged only when it holds them all and never mixes refusals of two generations.
 */
import {
  type ForwardAck,
  type ForwardRefusal,
  MAX_REFUSALS_PER_ACK,
} from "./control_frame_types.ts";

/** The ack frames for `generation` with its refusals (at least one frame, at most 255). */
export function forwardAckFrames(
  generation: number,
  refused: readonly ForwardRefusal[],
): ForwardAck[] {
  // 255 parts of 8 is far more refusals than forwards one sync can carry (255 x 50 entries
  // would be needed); anything beyond is dropped rather than make a frame that cannot encode.
  const kept = refused.slice(0, 255 * MAX_REFUSALS_PER_ACK);
  const parts = Math.max(1, Math.ceil(kept.length / MAX_REFUSALS_PER_ACK));
  return Array.from({ length: parts }, (_, part) => ({
    type: "forward-ack" as const,
    generation,
    part,
    parts,
    refused: kept.slice(part * MAX_REFUSALS_PER_ACK, (part + 1) * MAX_REFUSALS_PER_ACK),
  }));
}
