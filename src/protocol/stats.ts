/**
 * Counters of the protocol core: what arrived, what was sent, and a counter per reason a
 * packet was dropped. Plain numbers, bumped on the packet paths instead of logging. Each part
 * of the core (control plane, sender, receiver) has its own record, written by its thread only;
 * `CoreStats` is all three side by side.
 */

/** The control plane: handshakes and cookies. */
export interface ControlStats {
  initiationsReceived: number;
  responsesReceived: number;
  cookieRepliesReceived: number;
  initiationsSent: number;
  responsesSent: number;
  cookieRepliesSent: number;
  handshakesCompleted: number;
  dropBadMac1: number;
  /** Under load and without a valid mac2: answered with a cookie reply instead. */
  dropCookieRequired: number;
  dropRateLimited: number;
  dropBadInitiation: number;
  dropBadResponse: number;
  dropBadCookieReply: number;
  /** A handshake message handed over with a size its type does not have. */
  dropBadHandshakeSize: number;
  /** Handshakes that could not start because the peer has no known endpoint yet. */
  initiationsNoEndpoint: number;
}

/** The sender: tunnel packets routed and sealed. */
export interface SenderStats {
  transportSent: number;
  keepalivesSent: number;
  tunnelDropBadPacket: number;
  tunnelDropNoPeer: number;
  tunnelDropStagedOverflow: number;
  /** Queued packets discarded because the handshake gave up or keys were wiped. */
  tunnelDropStagedFlushed: number;
  /** Control frames not sent because no keypair was usable (they are never staged). */
  controlDropNoKeypair: number;
  /** Packets the sink refused before sealing (a bonded peer's paths all full). */
  tunnelDropNotAdmitted: number;
}

/** The receiver: datagrams opened and checked. */
export interface ReceiverStats {
  transportReceived: number;
  keepalivesReceived: number;
  controlReceived: number;
  dropTooShort: number;
  dropUnknownType: number;
  dropBadSize: number;
  dropOversized: number;
  dropUnknownReceiver: number;
  dropCounterTooLarge: number;
  dropExpiredKeypair: number;
  dropBadAuth: number;
  dropReplay: number;
  dropBadInnerPacket: number;
  dropDisallowedSource: number;
  dropNoControlHandler: number;
}

export type CoreStats = ControlStats & SenderStats & ReceiverStats;

export function newControlStats(): ControlStats {
  return {
    initiationsReceived: 0,
    responsesReceived: 0,
    cookieRepliesReceived: 0,
    initiationsSent: 0,
    responsesSent: 0,
    cookieRepliesSent: 0,
    handshakesCompleted: 0,
    dropBadMac1: 0,
    dropCookieRequired: 0,
    dropRateLimited: 0,
    dropBadInitiation: 0,
    dropBadResponse: 0,
    dropBadCookieReply: 0,
    dropBadHandshakeSize: 0,
    initiationsNoEndpoint: 0,
  };
}

export function newSenderStats(): SenderStats {
  return {
    transportSent: 0,
    keepalivesSent: 0,
    tunnelDropBadPacket: 0,
    tunnelDropNoPeer: 0,
    tunnelDropStagedOverflow: 0,
    tunnelDropStagedFlushed: 0,
    controlDropNoKeypair: 0,
    tunnelDropNotAdmitted: 0,
  };
}

export function newReceiverStats(): ReceiverStats {
  return {
    transportReceived: 0,
    keepalivesReceived: 0,
    controlReceived: 0,
    dropTooShort: 0,
    dropUnknownType: 0,
    dropBadSize: 0,
    dropOversized: 0,
    dropUnknownReceiver: 0,
    dropCounterTooLarge: 0,
    dropExpiredKeypair: 0,
    dropBadAuth: 0,
    dropReplay: 0,
    dropBadInnerPacket: 0,
    dropDisallowedSource: 0,
    dropNoControlHandler: 0,
  };
}
