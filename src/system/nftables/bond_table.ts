/**
 * The nftables table bond owns, and the one decision behind it.
 *
 * Layout: one `table inet bond` holding both a filter chain on the forward hook and a NAT
 * chain on the postrouting hook (NAT chains in `inet` tables exist since Linux 5.2). One table
 * rather than `ip bond` + `ip6 bond` because:
 * - one transaction replaces it atomically, and one `delete table` removes all of it;
 * - IPv4 and IPv6 share the interface and MSS rules, and only the masquerade rules differ by
 *   address family (`ip saddr` / `ip6 saddr`).
 * Nothing else in the ruleset is read-modified-written: bond never flushes the ruleset and
 * never touches another table, so firewalls managed by other tools keep working.
 */

/** The address family of bond's table. */
export const BOND_TABLE_FAMILY = "inet";
/** The default table name; a second daemon on the same host can be given another one. */
export const DEFAULT_BOND_TABLE = "bond";

/** A subset of nft identifiers that never needs quoting: a letter, then letters, digits, `_`. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Returns `name` when it is a usable table name; throws a RangeError naming it otherwise. */
export function checkTableName(name: string): string {
  if (!TABLE_NAME.test(name)) {
    throw new RangeError(
      `nftables table name ${JSON.stringify(name)} is not valid ` +
        `(want a letter then up to 31 letters, digits or "_")`,
    );
  }
  return name;
}

/**
 * `add table; delete table; table { … }` for our table: one transaction that replaces any
 * previous version atomically (a crashed run's included), so applying it twice changes nothing.
 */
export function replaceTableText(table: string, body: readonly string[]): string {
  const ref = `${BOND_TABLE_FAMILY} ${checkTableName(table)}`;
  return [`add table ${ref}`, `delete table ${ref}`, `table ${ref} {`, ...body, `}`, ``].join("\n");
}

/**
 * The forward chain's head and the TCP MSS clamp on SYNs into and out of the tunnel (`tun` is
 * the quoted interface name). `tcp flags & (syn | rst) == syn` rather than the newer
 * `syn / syn,rst` spelling, which older nft releases (Debian 11, older OpenWrt) do not parse.
 * Policy stays accept: our table must never drop what another firewall allows.
 */
export function forwardChainWithClamp(tun: string): string[] {
  const clamp = "tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu";
  return [
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    `\t\tiifname ${tun} ${clamp}`,
    `\t\toifname ${tun} ${clamp}`,
  ];
}
