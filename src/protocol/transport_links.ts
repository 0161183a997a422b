/**
 * The contract between the three parts of the protocol core:
 *
 * ```
 *                 ┌──────────── control plane (Control) ────────────┐
 *                 │ handshakes, cookies, timers, keypair lifecycle   │
 *                 └──▲──────────────┬──────────────▲─────────────┬──┘
 *   handshakeNeeded  │  SenderControl│  ReceiverEvents│  ReceiverControl
 *                    │              ▼              │             ▼
 *   TUN ─▶ TransportSender (route, seal) ─▶ net    net ─▶ TransportReceiver (open, replay) ─▶ TUN
 * ```
 *
 * In one thread (`Core`, the tests) these are direct calls. In the data path the sender and the
 * receiver run in their own Workers and every call here becomes a message (src/datapath/):
 * nothing in this contract is per packet, except what PeerActivity records in shared memory.
 * Peers are numbered by their position in the configuration, the same in every part.
 */
import type { Endpoint } from "./endpoint.ts";

/** The sender's copy of a keypair. The sender owns `key` and zeroes it when done. */
export interface SendKeyMaterial {
  /** Our index of the keypair (identifies it in logs and messages). */
  localIndex: number;
  /** The peer's index: written on every packet. */
  remoteIndex: number;
  /** 32 bytes. */
  key: Uint8Array;
  /** `now` when the session was derived. */
  created: number;
  isInitiator: boolean;
}

/** The receiver's copy of a keypair. The receiver owns `key` and zeroes it when done. */
export interface ReceiveKeyMaterial {
  localIndex: number;
  /** 32 bytes. */
  key: Uint8Array;
  created: number;
  isInitiator: boolean;
  /**
   * False for a responder's new keypair (`next`): the first packet opened with it confirms the
   * handshake, which the receiver reports with `keypairConfirmed`.
   */
  confirmed: boolean;
}

/** Control plane → sender. */
export interface SenderControl {
  /** The keypair to seal with from now on (undefined: none; packets wait for a handshake). */
  setKeypair(now: number, peer: number, keypair: SendKeyMaterial | undefined): void;
  setEndpoint(now: number, peer: number, endpoint: Endpoint): void;
  /** Send the packets waiting for a keypair, if there is a usable one now. */
  flush(now: number, peer: number): void;
  /** Send something authenticated now: waiting packets if any, else an empty keepalive. */
  sendKeepalive(now: number, peer: number): void;
  /** Drop the packets waiting for a keypair (handshake gave up, keys expired). */
  dropStaged(now: number, peer: number): void;
}

/** Sender → control plane. */
export interface SenderEvents {
  /**
   * A packet found no usable keypair, or the current one wants replacing (age, count): start a
   * handshake unless one is in flight. Sent at most every HANDSHAKE_REQUEST_INTERVAL per peer.
   */
  handshakeNeeded(now: number, peer: number): void;
}

/** Control plane → receiver. */
export interface ReceiverControl {
  addKeypair(now: number, peer: number, keypair: ReceiveKeyMaterial): void;
  /** Forget (and zero) the keypair with this local index. */
  removeKeypair(now: number, localIndex: number): void;
  setEndpoint(now: number, peer: number, endpoint: Endpoint): void;
}

/** Receiver → control plane. */
export interface ReceiverEvents {
  /** A datagram of type 1-3 with the right size: for the handshake machinery. Borrowed. */
  handshakeMessage(now: number, datagram: Uint8Array, from: Endpoint): void;
  /** The first packet under an unconfirmed keypair authenticated. */
  keypairConfirmed(now: number, peer: number, localIndex: number): void;
  /** An authenticated packet came from a new address (roaming). Borrowed. */
  endpointChanged(now: number, peer: number, from: Endpoint): void;
  /** A packet arrived under a keypair near its reject age (once per keypair): rekey soon. */
  nearExpiry(now: number, peer: number): void;
}
