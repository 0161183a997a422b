/**
 * What people see on a terminal: `bond status --watch` redraws in place (clear screen, home)
 * with a footer, and `bond speedtest` draws a progress bar on stderr that it erases before each
 * result line. Run under `script`, which gives the command a pseudo-terminal and records what
 * was drawn; the same commands piped print plain lines without any escape sequence. Needs root
 * (a bond pair in the lab).
 */
import assert from "node:assert/strict";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { pingUntilUp } from "./traffic.ts";
import { buildTopology } from "../../lab/topology.ts";
import { bondPairConfigs } from "../../lab/bond_pair.ts";
import { type BondNode, startBond } from "../../lab/bond_node.ts";
import { bondCli } from "../../lab/bond_cli.ts";
import { withOperations } from "../../lab/operations_config.ts";

const ignore = !canCreateNamespaces();
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ESC = "\x1b";

/** Runs `bond ARGS` on `host` with a pseudo-terminal; returns everything it drew. */
async function onTerminal(lab: Lab, host: string, args: string[]): Promise<string> {
  const command = [Deno.execPath(), "run", "-A", MAIN, ...args].map(shellQuote).join(" ");
  // -e: script exits with the command's status; -q: no "Script started" banner.
  const r = await lab.exec(host, ["script", "-qec", command, "/dev/null"], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `bond ${args.join(" ")} on a terminal: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

Deno.test({
  name: "terminal: status --watch redraws in place, speedtest draws and erases a progress bar",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create("tty");
    const topo = await buildTopology(lab);
    const h = topo.hosts;
    const configs = bondPairConfigs(topo);
    const routerSocket = `${lab.tmpDir}/router.sock`;
    const vps = await startBond(
      lab,
      h.vps,
      withOperations(configs.vpsConfig, { controlSocket: `${lab.tmpDir}/vps.sock` }),
    );
    let router: BondNode | undefined;
    try {
      router = await startBond(
        lab,
        h.router,
        withOperations(configs.routerConfig, { controlSocket: routerSocket }),
      );
      await pingUntilUp(lab, h.lan, topo.srv.eth0.v4, 10_000);

      const watch = ["status", "--watch", "--count", "2", "-socket", routerSocket];
      const watched = await onTerminal(lab, h.router, watch);
      const frames = watched.split(`${ESC}[H${ESC}[2J`);
      assert.equal(frames.length, 3, `two redraws, each clearing the screen: ${watched}`);
      for (const frame of frames.slice(1)) {
        assert.match(frame, /^bond \S+, router, bnd0 /);
        assert.match(frame, /\(every 1s; Ctrl-C ends\)/);
      }
      const piped = await bondCli(lab, h.router, watch);
      assert.equal(piped.code, 0, piped.stderr);
      assert.ok(!piped.stdout.includes(ESC), "no escape sequences when piped");
      assert.equal(piped.stdout.match(/^bond \S+, router, /gm)?.length, 2);

      const tested = await onTerminal(lab, h.router, [
        "speedtest",
        "--seconds",
        "2",
        "-socket",
        routerSocket,
      ]);
      // Each phase: bar updates ("\r", erase line, phase, [###---]), erased, then its line.
      for (const phase of ["download", "upload"]) {
        const bar = new RegExp(`\\r${ESC}\\[2K${phase} +\\[#+-*\\] [\\d.]+ [kMG]bit/s`);
        assert.match(tested, bar, `${phase} progress bar: ${JSON.stringify(tested)}`);
        assert.match(tested, new RegExp(`\\r${ESC}\\[2K${phase} +[\\d.]+ [kMG]bit/s +\\(`));
      }
    } finally {
      assert.equal(await router?.stop(), 0, router?.log());
      assert.equal(await vps.stop(), 0, vps.log());
    }
  },
});
