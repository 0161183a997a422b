/**
 * Bond's control frames: what the two bonding peers tell each other inside the encrypted tunnel.
 * They ride as transport payloads, so the tunnel authenticates and encrypts them; the first byte
 * is 0x1X, whose high nibble (1) is never an IP version (4 or 6), which is how the protocol core
 * tells them from tunnel packets and why a stock WireGuard peer silently drops them.
 *
 * Every frame: type (u8) | version (u8) | body length (u16 BE) | body. The length is explicit
 * because the core delivers control payloads zero-padded to a multiple of 16.
 */
import type { Endpoint } from "../protocol/endpoint.ts";

/** Wire format version written into every frame; a frame of another version is rejected. */
export const CONTROL_FRAME_VERSION = 1;
export const CONTROL_HEADER_SIZE = 4;

export const FRAME_LINK_HELLO = 0x11;
export const FRAME_LINK_HELLO_ACK = 0x12;
export const FRAME_PROBE = 0x13;
export const FRAME_PROBE_ECHO = 0x14;
export const FRAME_RECEIVE_REPORT = 0x15;
export const FRAME_FORWARD_SYNC = 0x16;
export const FRAME_FORWARD_ACK = 0x17;
export const FRAME_MTU_PROBE = 0x18;
export const FRAME_MTU_ACK = 0x19;
export const FRAME_LAN_PREFIX = 0x1a;
export const FRAME_LAN_PREFIX_ACK = 0x1b;
export const FRAME_SPLIT_OFFER = 0x1c;

/**
 * Every frame except an MTU probe fits in this many bytes: the IPv6 minimum MTU, which the
 * tunnel MTU never goes below, so a control frame is never fragmented on any path.
 */
export const MAX_CONTROL_FRAME = 1280;
/** Link names longer than this (in UTF-8 bytes) are cut at a character boundary in hellos. */
export const MAX_LINK_NAME_BYTES = 64;
/** Path ids are one byte on the wire; schedulers hold at most 32 paths (a bitmask). */
export const MAX_PATH_ID = 255;
/** Entries in one receive report (one per path). */
export const MAX_REPORT_ENTRIES = 32;
/**
 * Forwards in one forward-sync frame: the largest (IPv6) entry is 22 bytes, so this many fit in
 * MAX_CONTROL_FRAME with the header; longer lists are sent in parts.
 */
export const MAX_FORWARDS_PER_FRAME = 50;
/**
 * A refusal's reason in a forward ack is cut to this many UTF-8 bytes (at a character
 * boundary): the table's reasons are one short sentence, and the cap bounds the frame.
 */
export const MAX_REFUSAL_REASON_BYTES = 120;
/**
 * Refusals in one forward-ack frame: the largest entry (IPv6 target, longest reason) is 143
 * bytes, so this many fit in MAX_CONTROL_FRAME with the header; more are sent in parts.
 */
export const MAX_REFUSALS_PER_ACK = 8;
/** Smallest MTU probe: a header and its own fixed fields. */
export const MTU_PROBE_MIN_SIZE = CONTROL_HEADER_SIZE + 7;

/** A router link announcing itself; the VPS learns the path (peer, source endpoint) from it. */
export interface LinkHello {
  type: "link-hello";
  /** Random per router start: a new epoch tells the VPS its old path ids are void. */
  epoch: number;
  linkId: number;
  name: string;
  /**
   * The link's configured download rate (`down_mbps`) in kbit/s, 0 when not configured: the
   * VPS seeds its capacity estimate for this path with it.
   */
  downKbps: number;
}

/** The VPS's answer: proves a bonding peer, and tells the router its public (NATed) endpoint. */
export interface LinkHelloAck {
  type: "link-hello-ack";
  epoch: number;
  linkId: number;
  observed: Endpoint;
}

/** Sent on one path; the receiver echoes it on the same path. */
export interface Probe {
  type: "probe";
  pathId: number;
  seq: number;
  /** The sender's monotonic clock, ms. */
  sentAt: number;
}

export interface ProbeEcho {
  type: "probe-echo";
  pathId: number;
  seq: number;
  /** `sentAt` of the probe, returned unchanged: RTT = now - sentAt - holdMs. */
  sentAt: number;
  /** How long the echoing side held the probe before answering, ms. */
  holdMs: number;
}

/** Cumulative receive counts of one path, as the receiver saw them. */
export interface ReportEntry {
  pathId: number;
  packets: number;
  bytes: number;
  /** The highest transport counter received on this path under the current keypair. */
  highestCounter: number;
  /**
   * When that packet arrived (receiver's clock, ms). Between two reports, the arrival span of
   * the marker packets against their send span tells whether the path spread them out (it was
   * the bottleneck) or not.
   */
  highestAt: number;
}

/** Per-path receive counts; the sender derives loss and delivery rate from two of them. */
export interface ReceiveReport {
  type: "receive-report";
  /** The receiver's monotonic clock when it wrote the report, ms. */
  reportTime: number;
  entries: ReportEntry[];
}

export type ForwardProtocol = "tcp" | "udp";

export interface ForwardEntry {
  proto: ForwardProtocol;
  /** The public port on the VPS. */
  port: number;
  /** The LAN host and port behind the router. */
  to: Endpoint;
}

/** The router's port forwards, generation-numbered, possibly in several parts. */
export interface ForwardSync {
  type: "forward-sync";
  generation: number;
  /** 0-based part of `parts`. */
  part: number;
  parts: number;
  forwards: ForwardEntry[];
}

/** One of the router's pushed forwards the VPS did not apply, and why. */
export interface ForwardRefusal extends ForwardEntry {
  reason: string;
}

/**
 * The VPS applied (or refused) a whole forward-sync generation. The refusals may take several
 * parts; the router counts the generation acknowledged once every part is in.
 */
export interface ForwardAck {
  type: "forward-ack";
  generation: number;
  /** 0-based part of `parts`. */
  part: number;
  parts: number;
  refused: ForwardRefusal[];
}

/**
 * An IPv6 prefix on the wire: a prefix length and the 16 address bytes, bits beyond the length
 * zero. Length 0 (address all zero) means "no prefix".
 */
export interface WirePrefix {
  address: Uint8Array;
  prefixLength: number;
}

/**
 * VPS to a bonding router: the routed IPv6 prefix for its LAN (`nat.ipv6_prefix`, the peer's
 * /64), or none. Re-sent until the router echoes it in a lan-prefix-ack.
 */
export interface LanPrefix extends WirePrefix {
  type: "lan-prefix";
}

/** Router to VPS: this prefix (or none) was received. */
export interface LanPrefixAck extends WirePrefix {
  type: "lan-prefix-ack";
}

/**
 * VPS to a bonding router, with every hello-ack while it serves the TCP split: its MPTCP
 * listener (a tunnel address and port) that the router may hand LAN TCP connections to
 * (src/mptcp/). A router that hears none keeps TCP on the packet path.
 */
export interface SplitOffer {
  type: "split-offer";
  listener: Endpoint;
}

/** Padded to `size` bytes in total: arrives whole only if the path carries that size. */
export interface MtuProbe {
  type: "mtu-probe";
  pathId: number;
  seq: number;
  /** Total frame size in bytes, header included. */
  size: number;
}

export interface MtuAck {
  type: "mtu-ack";
  pathId: number;
  seq: number;
  size: number;
}

export type ControlFrame =
  | SplitOffer
  | LinkHello
  | LinkHelloAck
  | Probe
  | ProbeEcho
  | ReceiveReport
  | ForwardSync
  | ForwardAck
  | MtuProbe
  | MtuAck
  | LanPrefix
  | LanPrefixAck;

/** A decoded frame and the bytes it took, or why the bytes are not a frame. */
export type ControlFrameDecode =
  | { frame: ControlFrame; length: number; reason?: undefined }
  | { frame: null; length?: undefined; reason: string };
