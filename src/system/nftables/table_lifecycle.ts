/**
 * Installing, listing and removing bond's own nftables table. Everything goes through
 * `nft -f -` or single nft commands on our table; nothing here flushes the ruleset or names
 * another table.
 */
import { BOND_TABLE_FAMILY, checkTableName, DEFAULT_BOND_TABLE } from "./bond_table.ts";
import { NftError, runNft } from "./nft_command.ts";

export interface NftTarget {
  /** Operate inside this network namespace instead of the current one. */
  netns?: string;
  /**
   * Name of our `inet` table.
   * @default "bond"
   */
  table?: string;
}

export interface NftTableRef {
  family: string;
  name: string;
}

/**
 * Applies a complete ruleset text (as built by buildVpsRuleset) in one atomic transaction:
 * either all of it takes effect or none. Refuses text that would flush the whole ruleset.
 */
export async function applyRuleset(text: string, target: NftTarget = {}): Promise<void> {
  if (/^\s*flush\s+ruleset\b/m.test(text)) {
    throw new RangeError("applyRuleset: refusing a ruleset that flushes every table");
  }
  await runNft(["-f", "-"], { netns: target.netns, stdin: text });
}

/**
 * Deletes our table; a table that is already gone is fine (stop after a crash, or twice).
 * `add` then `delete` in one transaction makes the delete always find it, without the
 * `destroy` command that older nft releases lack.
 */
export async function removeTables(target: NftTarget = {}): Promise<void> {
  const ref = `${BOND_TABLE_FAMILY} ${checkTableName(target.table ?? DEFAULT_BOND_TABLE)}`;
  await runNft(["-f", "-"], {
    netns: target.netns,
    stdin: `add table ${ref}\ndelete table ${ref}\n`,
  });
}

/** Our tables that currently exist (empty when bond's rules are not installed). */
export async function listOurTables(target: NftTarget = {}): Promise<NftTableRef[]> {
  const table = checkTableName(target.table ?? DEFAULT_BOND_TABLE);
  // The plain-text listing, not `-j`: OpenWrt also ships nft builds without JSON support.
  const out = await runNft(["list", "tables"], { netns: target.netns });
  const tables: NftTableRef[] = [];
  for (const line of out.split("\n")) {
    const m = /^table\s+(\S+)\s+(\S+)\s*$/.exec(line.trim());
    if (m === null) {
      if (line.trim() !== "") throw new NftError(`unexpected line from nft list tables: ${line}`);
      continue;
    }
    if (m[1] === BOND_TABLE_FAMILY && m[2] === table) tables.push({ family: m[1], name: m[2] });
  }
  return tables;
}
