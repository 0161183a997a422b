/**
 * Counters of the protocol core: what arrived, what was sent, and a counter per reason a
 * packet was dropped. Plain numbers, bumped on the packet paths instead of logging.
 */
export interface CoreStats {
  // Received from the network, accepted.
  initiationsReceived: number;
  responsesReceived: number;
  cookieRepliesReceived: number;
  transportReceived: number;
  keepalivesReceived: number;
  controlReceived: number;
  // Sent to the network.
  initiationsSent: number;
  responsesSent: number;
  cookieRepliesSent: number;
  transportSent: number;
  keepalivesSent: number;
  handshakesCompleted: number;
  // Network datagrams dropped, by reason.
  dropTooShort: number;
  dropUnknownType: number;
  dropBadSize: number;
  dropOversized: number;
  dropBadMac1: number;
  /** Under load and without a valid mac2: answered with a cookie reply instead. */
  dropCookieRequired: number;
  dropRateLimited: number;
  dropBadInitiation: number;
  dropBadResponse: number;
  dropBadCookieReply: number;
  dropUnknownReceiver: number;
  dropCounterTooLarge: number;
  dropExpiredKeypair: number;
  dropBadAuth: number;
  dropReplay: number;
  dropBadInnerPacket: number;
  dropDisallowedSource: number;
  dropNoControlHandler: number;
  // Tunnel packets dropped, by reason.
  tunnelDropBadPacket: number;
  tunnelDropNoPeer: number;
  tunnelDropStagedOverflow: number;
  /** Queued packets discarded because the handshake gave up or keys were wiped. */
  tunnelDropStagedFlushed: number;
  /** Handshakes that could not start because the peer has no known endpoint yet. */
  initiationsNoEndpoint: number;
}

export function newCoreStats(): CoreStats {
  return {
    initiationsReceived: 0,
    responsesReceived: 0,
    cookieRepliesReceived: 0,
    transportReceived: 0,
    keepalivesReceived: 0,
    controlReceived: 0,
    initiationsSent: 0,
    responsesSent: 0,
    cookieRepliesSent: 0,
    transportSent: 0,
    keepalivesSent: 0,
    handshakesCompleted: 0,
    dropTooShort: 0,
    dropUnknownType: 0,
    dropBadSize: 0,
    dropOversized: 0,
    dropBadMac1: 0,
    dropCookieRequired: 0,
    dropRateLimited: 0,
    dropBadInitiation: 0,
    dropBadResponse: 0,
    dropBadCookieReply: 0,
    dropUnknownReceiver: 0,
    dropCounterTooLarge: 0,
    dropExpiredKeypair: 0,
    dropBadAuth: 0,
    dropReplay: 0,
    dropBadInnerPacket: 0,
    dropDisallowedSource: 0,
    dropNoControlHandler: 0,
    tunnelDropBadPacket: 0,
    tunnelDropNoPeer: 0,
    tunnelDropStagedOverflow: 0,
    tunnelDropStagedFlushed: 0,
    initiationsNoEndpoint: 0,
  };
}
