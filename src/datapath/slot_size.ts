/**
 * Packet slot size for a tunnel MTU: the largest inner packet plus the transport header in
 * front and padding and tag behind, rounded up to a cache line; never below 2048 bytes, so the
 * usual MTUs share one size.
 */
import { SEND_HEADROOM, SEND_TAILROOM } from "../protocol/transport_sender.ts";

export function slotSizeFor(mtu: number): number {
  const need = mtu + SEND_HEADROOM + SEND_TAILROOM;
  return Math.max(2048, Math.ceil(need / 64) * 64);
}
