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
