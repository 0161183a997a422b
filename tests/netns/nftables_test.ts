/**
 * nftables management against the real kernel, each test in a fresh network namespace of its
 * own (root only). Verification reads the namespace's ruleset with nft directly, not through
 * the code under test.
 */
import assert from "node:assert/strict";
import { buildVpsRuleset } from "../../src/system/nftables/vps_ruleset.ts";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import {
  applyRuleset,
  listOurTables,
  removeTables,
} from "../../src/system/nftables/table_lifecycle.ts";

const OPTIONS = {
  tunnelInterface: "bnd0",
  publicInterface: "eth0",
  tunnelSubnets: ["10.66.0.1/24", "fd66::1/64", "192.168.1.0/24"],
};

/** A context per test: a fresh namespace and `nft` run inside it, independent of our code. */
interface NftLab {
  ns: string;
  nft(...args: string[]): Promise<string>;
  nftInput(text: string): Promise<string>;
}

/** Runs `fn` with a new lab host of its own; the lab is torn down afterwards, even on failure. */
async function withNamespace(fn: (lab: NftLab) => Promise<void>): Promise<void> {
  await using lab = await Lab.create("nft");
  await lab.addHost("vps");
  await fn({
    ns: lab.ns("vps"),
    nft: (...args) => lab.run("vps", ["nft", ...args]),
    nftInput: (text) => lab.run("vps", ["nft", "-f", "-"], { stdin: text }),
  });
}

type NftObject = Record<string, Record<string, unknown>>;

async function listTableJson(lab: NftLab): Promise<NftObject[]> {
  const parsed = JSON.parse(await lab.nft("-j", "list", "table", "inet", "bond"));
  return parsed.nftables as NftObject[];
}

function rulesOf(objects: NftObject[], chain: string): Record<string, unknown>[] {
  return objects.filter((o) => o.rule && o.rule.chain === chain).map((o) => o.rule);
}

/** Foreign state our code must never touch, including a table also called "bond" in `ip`. */
const FOREIGN_TABLES = `table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 22 counter accept
  }
}
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth9" masquerade
  }
}
table ip bond {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "other0" accept
  }
}
`;

Deno.test({
  name: "applied VPS ruleset is our inet table with masquerade, forward accepts and MSS clamp",
  ignore: !canCreateNamespaces(),
  fn: () =>
    withNamespace(async (lab) => {
      await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns });
      const objects = await listTableJson(lab);
      const chains = objects.filter((o) => o.chain).map((o) => o.chain);
      assert.deepEqual(
        chains.map((c) => [c.name, c.type, c.hook, c.policy]).sort(),
        [["forward", "filter", "forward", "accept"], [
          "postrouting",
          "nat",
          "postrouting",
          "accept",
        ]],
      );
      const nat = rulesOf(objects, "postrouting").map((r) => JSON.stringify(r.expr));
      assert.equal(nat.length, 3);
      assert.ok(nat.every((e) => e.includes('"masquerade"') && e.includes('"eth0"')));
      assert.ok(nat.some((e) => e.includes('"addr":"10.66.0.0","len":24')));
      assert.ok(nat.some((e) => e.includes('"addr":"fd66::","len":64')));
      const forward = rulesOf(objects, "forward").map((r) => JSON.stringify(r.expr));
      assert.equal(forward.filter((e) => e.includes('"maxseg"') && e.includes('"mtu"')).length, 2);
      assert.equal(forward.filter((e) => e.includes('"accept"')).length, 2);
      assert.deepEqual(await listOurTables({ netns: lab.ns }), [{ family: "inet", name: "bond" }]);
    }),
});

Deno.test({
  name: "re-applying the same ruleset leaves the table unchanged",
  ignore: !canCreateNamespaces(),
  fn: () =>
    withNamespace(async (lab) => {
      const text = buildVpsRuleset(OPTIONS);
      await applyRuleset(text, { netns: lab.ns });
      const first = await lab.nft("list", "ruleset");
      await applyRuleset(text, { netns: lab.ns });
      await applyRuleset(text, { netns: lab.ns });
      assert.equal(await lab.nft("list", "ruleset"), first);
      assert.equal(rulesOf(await listTableJson(lab), "postrouting").length, 3);
    }),
});

Deno.test({
  name: "applying changed options replaces the old rules instead of adding to them",
  ignore: !canCreateNamespaces(),
  fn: () =>
    withNamespace(async (lab) => {
      await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns });
      await applyRuleset(
        buildVpsRuleset({ ...OPTIONS, publicInterface: "ens3", tunnelSubnets: ["10.77.0.0/24"] }),
        { netns: lab.ns },
      );
      const listing = await lab.nft("list", "table", "inet", "bond");
      assert.doesNotMatch(listing, /eth0|10\.66\.0\.0|fd66/);
      assert.match(listing, /oifname "ens3" ip saddr 10\.77\.0\.0\/24 masquerade/);
    }),
});

Deno.test({
  name: "a ruleset nft rejects changes nothing (the transaction is atomic)",
  ignore: !canCreateNamespaces(),
  fn: () =>
    withNamespace(async (lab) => {
      await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns });
      const before = await lab.nft("list", "ruleset");
      const broken = buildVpsRuleset({ ...OPTIONS, publicInterface: "ens3" })
        .replace("masquerade", "masquerade-typo");
      await assert.rejects(applyRuleset(broken, { netns: lab.ns }), /nft failed \(exit 1\)/);
      assert.equal(await lab.nft("list", "ruleset"), before);
    }),
});

Deno.test({
  name: "remove deletes only our table and leaves every other table byte-identical",
  ignore: !canCreateNamespaces(),
  fn: () =>
    withNamespace(async (lab) => {
      await lab.nftInput(FOREIGN_TABLES);
      const before = await lab.nft("list", "ruleset");
      await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns });
      assert.notEqual(await lab.nft("list", "ruleset"), before);
      await removeTables({ netns: lab.ns });
      assert.equal(await lab.nft("list", "ruleset"), before);
      assert.deepEqual(await listOurTables({ netns: lab.ns }), []);
      // Already gone (a second stop, or a stop after a crash) is not an error.
      await removeTables({ netns: lab.ns });
      assert.equal(await lab.nft("list", "ruleset"), before);
    }),
});

Deno.test({
  name: "applying over foreign tables leaves them as they were",
  ignore: !canCreateNamespaces(),
  fn: () =>
    withNamespace(async (lab) => {
      await lab.nftInput(FOREIGN_TABLES);
      const foreign = ["inet filter", "ip nat", "ip bond"];
      const before = await Promise.all(
        foreign.map((t) => lab.nft("list", "table", ...t.split(" "))),
      );
      await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns });
      await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns });
      const after = await Promise.all(
        foreign.map((t) => lab.nft("list", "table", ...t.split(" "))),
      );
      assert.deepEqual(after, before);
    }),
});

Deno.test({
  name: "masquerade lets tunnel hosts reach a public host that has no route back to them",
  ignore: !canCreateNamespaces(),
  async fn() {
    await using lab = await Lab.create("nftnat");
    for (const host of ["lan", "vps", "srv"]) await lab.addHost(host);
    // The veth end in "vps" named bnd0 stands in for the TUN device.
    await lab.link("lan", "vps", {
      ifB: "bnd0",
      addrA: ["10.66.0.2/24", "fd66::2/64"],
      addrB: ["10.66.0.1/24", "fd66::1/64"],
    });
    await lab.link("vps", "srv", {
      ifA: "eth0",
      addrA: ["198.51.100.1/24", "2001:db8:1::1/64"],
      addrB: ["198.51.100.2/24", "2001:db8:1::2/64"],
    });
    await lab.addDefaultRoute("lan", "10.66.0.1");
    await lab.addDefaultRoute("lan", "fd66::1");
    await lab.enableForwarding("vps");
    const ping = async (target: string) =>
      (await lab.exec("lan", ["ping", "-c", "1", "-W", "2", target])).code === 0;
    // Without our rules the replies have nowhere to go: this is what the rules must fix.
    assert.equal(await ping("198.51.100.2"), false);
    await applyRuleset(buildVpsRuleset(OPTIONS), { netns: lab.ns("vps") });
    assert.equal(await ping("198.51.100.2"), true, "IPv4 through masquerade");
    assert.equal(await ping("2001:db8:1::2"), true, "IPv6 through masquerade");
  },
});
