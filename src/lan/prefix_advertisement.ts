/**
 * What the router announces on its LAN for the routed /64 it got from the VPS: itself as
 * default router, the prefix for SLAAC and the tunnel MTU; and, on stop or when the prefix
 * goes away, the goodbye: router lifetime 0 (hosts drop the default route at once) and the
 * prefix deprecated (preferred lifetime 0: hosts stop using the addresses for new connections).
 */
import type { RouterAdvertisement } from "./router_advertisement.ts";

/** Three times the longest gap between RAs (RFC 4861 6.2.1's default for AdvDefaultLifetime). */
export const ROUTER_LIFETIME_S = 1800;
/** Hosts keep the address while a few RAs in a row go missing... */
export const PREFERRED_LIFETIME_S = 1800;
/** ...and may finish what runs for a while after that. */
export const VALID_LIFETIME_S = 3600;
export const CUR_HOP_LIMIT = 64;

export interface AnnouncedPrefix {
  /** 16 bytes, the network (host bits zero). */
  address: Uint8Array;
  prefixLength: number;
}

export function prefixAdvertisement(prefix: AnnouncedPrefix, mtu: number): RouterAdvertisement {
  return {
    curHopLimit: CUR_HOP_LIMIT,
    routerLifetimeS: ROUTER_LIFETIME_S,
    reachableTimeMs: 0,
    retransTimerMs: 0,
    prefixes: [{
      address: prefix.address,
      prefixLength: prefix.prefixLength,
      onLink: true,
      autonomous: true,
      validLifetimeS: VALID_LIFETIME_S,
      preferredLifetimeS: PREFERRED_LIFETIME_S,
    }],
    mtu,
  };
}

/**
 * The last RA for `prefix`. The valid lifetime goes to 0 too; hosts keep an address at least
 * two more hours anyway (RFC 4862 5.5.3 e) unless it was about to expire, which is what lets
 * connections still running on it finish.
 */
export function goodbyeAdvertisement(prefix: AnnouncedPrefix, mtu: number): RouterAdvertisement {
  const ra = prefixAdvertisement(prefix, mtu);
  return {
    ...ra,
    routerLifetimeS: 0,
    prefixes: ra.prefixes.map((p) => ({ ...p, validLifetimeS: 0, preferredLifetimeS: 0 })),
  };
}
