/**
 * deploy/vps-edge/bootstrap.sh, run by dash in a throwaway root (ROOT = a temp dir of the lab)
 * inside a lab namespace whose default route leaves through `wan0`: detection reads the
 * namespace, files land under the temp dir, and nothing of this machine's own /etc, systemd or
 * firewall is touched. The installed "binary" is a wrapper that runs the real bond CLI, so keys,
 * config and `bond check` are the real thing. Needs root.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { canCreateNamespaces, Lab } from "./harness/netns.ts";
import { type ExecResult, runCommand } from "./harness/command.ts";
import { waitFor } from "./harness/wait_for.ts";

const SCRIPT = new URL("../../deploy/vps-edge/bootstrap.sh", import.meta.url).pathname;
const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

const VPS = { ifname: "wan0", v4: "198.51.100.10", v6: "2001:db8::10" };
const GATEWAY = { v4: "198.51.100.1", v6: "2001:db8::1" };
const SNIPPET_START = "==== paste into the router's /etc/bond/bond.yaml ====";
const SNIPPET_END = "==== end ====";
/** Each run calls the bond CLI (a `deno run`) a handful of times. */
const RUN_TIMEOUT_MS = 60_000;

/** The environment the script reads, all unset, so the caller's own variables cannot leak in. */
const CLEAN_ENV: Record<string, string> = {
  BOND_BINARY: "",
  BOND_RELEASE_URL: "",
  BOND_SHA256: "",
  ROUTER_PUBLIC_KEY: "",
  ROTATE_KEYS: "",
  PUBLIC_INTERFACE: "",
  PUBLIC_ADDRESS: "",
  LISTEN_PORT: "",
  FIREWALL: "",
  SSH_PORT: "",
  SSH_CONNECTION: "",
};

const ignore = !canCreateNamespaces();

/** A lab with the VPS host and a throwaway root; `bootstrap` runs the script there. */
interface Fixture {
  lab: Lab;
  root: string;
  /** A stand-in `bond` binary: a script running this checkout's CLI. */
  wrapper: string;
  bootstrap(env?: Record<string, string>, args?: string[]): Promise<ExecResult>;
}

async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await using lab = await Lab.create("vpsboot");
  await lab.addHost("vps");
  await lab.addHost("inet");
  await lab.link("vps", "inet", {
    ifA: VPS.ifname,
    addrA: [`${VPS.v4}/24`, `${VPS.v6}/64`],
    addrB: [`${GATEWAY.v4}/24`, `${GATEWAY.v6}/64`],
  });
  await lab.addDefaultRoute("vps", GATEWAY.v4);
  await lab.addDefaultRoute("vps", GATEWAY.v6);
  const root = `${lab.tmpDir}/root`;
  await Deno.mkdir(root);
  const wrapper = `${lab.tmpDir}/bond-cli`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --config '${DENO_JSON}' '${MAIN_TS}' "$@"\n`,
    { mode: 0o755 },
  );
  await fn({
    lab,
    root,
    wrapper,
    bootstrap: (env = {}, args = []) =>
      lab.exec("vps", ["dash", SCRIPT, ...args], {
        env: { ...CLEAN_ENV, ROOT: root, ...env },
        timeoutMs: RUN_TIMEOUT_MS,
      }),
  });
}

function assertRan(result: ExecResult, what: string): void {
  assert.equal(result.code, 0, `${what} exited ${result.code}:\n${result.stderr}${result.stdout}`);
}

/** The YAML block the script prints for the router, parsed. */
interface RouterSnippet {
  interface: { address: string[] };
  peers: { name: string; public_key: string; endpoint: string }[];
}

function routerSnippet(stdout: string): { text: string; value: RouterSnippet } {
  const start = stdout.indexOf(SNIPPET_START);
  const end = stdout.indexOf(SNIPPET_END);
  assert.ok(start >= 0 && end > start, `no router values in the output:\n${stdout}`);
  const text = stdout.slice(start + SNIPPET_START.length, end);
  return { text, value: parse(text) as RouterSnippet };
}

interface VpsConfig {
  private_key: string;
  interface: { address: string[]; listen_port: number };
  peers: { name: string; public_key: string; allowed_ips: string[] }[];
  nat: { public_interface: string };
}

async function readConfig(root: string): Promise<VpsConfig> {
  return parse(await Deno.readTextFile(`${root}/etc/bond/bond.yaml`)) as VpsConfig;
}

async function bondCli(wrapper: string, args: string[], stdin?: string): Promise<string> {
  const result = await runCommand([wrapper, ...args], { stdin, timeoutMs: RUN_TIMEOUT_MS });
  assertRan(result, `bond ${args.join(" ")}`);
  return result.stdout.trim();
}

function mode(path: string): number {
  return Deno.statSync(path).mode! & 0o7777;
}

/** The [Service] settings of a unit file, one value per key (the last wins, as in systemd). */
function serviceSettings(unitText: string): Map<string, string> {
  const settings = new Map<string, string>();
  let section = "";
  for (const line of unitText.split("\n")) {
    const header = line.match(/^\[(\w+)\]$/);
    if (header) section = header[1];
    const kv = line.match(/^(\w+)=(.*)$/);
    if (kv && section === "Service") settings.set(kv[1], kv[2]);
  }
  return settings;
}

function findPython3(): string | null {
  for (const dir of ["/usr/bin", "/usr/local/bin", "/bin"]) {
    try {
      Deno.statSync(`${dir}/python3`);
      return `${dir}/python3`;
    } catch {
      // Not in this directory; look in the next.
    }
  }
  return null;
}

Deno.test({
  name: "bootstrap in a throwaway root: binary, 0600 config in a 0700 dir, hardened unit, " +
    "forwarding, firewall keeping SSH, and the router's values matching the config",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFixture(async ({ root, wrapper, bootstrap, lab }) => {
      const run = await bootstrap({}, ["--binary", wrapper]);
      assertRan(run, "bootstrap");

      const bin = `${root}/usr/local/bin/bond`;
      assert.equal(mode(bin), 0o755);
      assert.equal(await Deno.readTextFile(bin), await Deno.readTextFile(wrapper));
      assert.equal(mode(`${root}/etc/bond`), 0o700);
      assert.equal(mode(`${root}/etc/bond/bond.yaml`), 0o600);
      assert.equal(mode(`${root}/etc/systemd/system/bond.service`), 0o644);
      assert.equal(mode(`${root}/etc/sysctl.d/90-bond.conf`), 0o644);

      const config = await readConfig(root);
      assert.equal(config.nat.public_interface, VPS.ifname, "detected default-route interface");
      assert.equal(config.interface.listen_port, 65535);

      const unit = serviceSettings(
        await Deno.readTextFile(`${root}/etc/systemd/system/bond.service`),
      );
      assert.equal(unit.get("ExecStart"), "/usr/local/bin/bond -config /etc/bond/bond.yaml");
      assert.equal(unit.get("CapabilityBoundingSet"), "CAP_NET_ADMIN CAP_NET_RAW");
      assert.equal(unit.get("NoNewPrivileges"), "yes");
      assert.equal(unit.get("ProtectSystem"), "strict");
      assert.equal(unit.get("ProtectHome"), "yes");
      assert.equal(unit.get("PrivateTmp"), "yes");
      assert.equal(unit.get("Restart"), "on-failure");

      const sysctl = await Deno.readTextFile(`${root}/etc/sysctl.d/90-bond.conf`);
      assert.match(sysctl, /^net\.ipv4\.ip_forward = 1$/m);
      assert.match(sysctl, /^net\.ipv6\.conf\.all\.forwarding = 1$/m);
      assert.match(sysctl, /^net\/ipv6\/conf\/wan0\/accept_ra = 2$/m);

      const rulesPath = `${root}/etc/bond/host-firewall.nft`;
      const rules = await Deno.readTextFile(rulesPath);
      assert.match(rules, /^\s*tcp dport \{ 22 \} accept$/m);
      assert.match(rules, /^\s*udp dport 65535 accept$/m);
      assert.match(rules, /^\s*tcp dport 65002 accept$/m, "the link responder");
      assert.match(rules, /^\s*iifname "bnd0" accept$/m);
      assert.match(rules, /policy drop;/);
      // nft -c parses and checks the whole transaction against the kernel without applying it.
      assertRan(await lab.exec("vps", ["nft", "-c", "-f", rulesPath]), "nft -c");
      assert.equal((await lab.run("vps", ["nft", "list", "ruleset"])).trim(), "");

      const { text, value } = routerSnippet(run.stdout);
      const vpsPublicKey = await bondCli(wrapper, ["pubkey"], `${config.private_key}\n`);
      assert.deepEqual(value.peers, [{
        name: "vps",
        public_key: vpsPublicKey,
        endpoint: `${VPS.v4}:65535`,
      }]);
      assert.deepEqual(value.interface.address, ["10.66.0.2/24", "fd66::2/64"]);
      assert.deepEqual(config.peers[0].allowed_ips, ["10.66.0.2/32", "fd66::2/128"]);
      assert.match(text, /endpoint: "\[2001:db8::10\]:65535"/);
      assert.match(run.stdout, /ROUTER_PUBLIC_KEY=/, "says the router's key is still needed");
    }),
});

Deno.test({
  name: "bootstrap's units pass systemd-analyze verify in the throwaway root",
  ignore: ignore || !haveCommand("systemd-analyze"),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFixture(async ({ root, wrapper, bootstrap }) => {
      assertRan(await bootstrap({}, ["--binary", wrapper]), "bootstrap");
      // verify --root needs the stock units (sysinit.target, ...) and every ExecStart binary
      // inside the root: copies of this machine's, read only from here.
      await Deno.mkdir(`${root}/usr/lib/systemd`, { recursive: true });
      await Deno.mkdir(`${root}/usr/sbin`, { recursive: true });
      const copy = await runCommand([
        "cp",
        "-a",
        "/usr/lib/systemd/system",
        `${root}/usr/lib/systemd/`,
      ]);
      assertRan(copy, "copying the stock units");
      await Deno.copyFile("/usr/sbin/nft", `${root}/usr/sbin/nft`);
      await Deno.chmod(`${root}/usr/sbin/nft`, 0o755);
      const units = ["bond.service", "bond-host-firewall.service"];
      const verify = await runCommand(["systemd-analyze", "verify", `--root=${root}`, ...units], {
        timeoutMs: 30_000,
      });
      assertRan(verify, "systemd-analyze verify");
      // Unknown keys and bad values are only warnings (exit 0): there must be none.
      assert.equal(verify.stderr.trim(), "", `systemd-analyze verify warned:\n${verify.stderr}`);
      // Without the binary the same verification fails: the check is real.
      await Deno.remove(`${root}/usr/local/bin/bond`);
      const missing = await runCommand(["systemd-analyze", "verify", `--root=${root}`, units[0]]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /\/usr\/local\/bin\/bond/);
    }),
});

Deno.test({
  name:
    "bootstrap re-run keeps the config byte-identical; ROTATE_KEYS=1 rotates and asks to re-pair",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFixture(async ({ root, wrapper, bootstrap }) => {
      const configPath = `${root}/etc/bond/bond.yaml`;
      const first = await bootstrap({}, ["--binary", wrapper]);
      assertRan(first, "first bootstrap");
      const before = await Deno.readTextFile(configPath);

      const again = await bootstrap();
      assertRan(again, "second bootstrap");
      assert.equal(await Deno.readTextFile(configPath), before, "config changed on a re-run");
      assert.equal(
        routerSnippet(again.stdout).value.peers[0].public_key,
        routerSnippet(first.stdout).value.peers[0].public_key,
      );
      assert.doesNotMatch(again.stdout, /re-paired/);

      const rotated = await bootstrap({ ROTATE_KEYS: "1" });
      assertRan(rotated, "bootstrap with ROTATE_KEYS=1");
      const config = await readConfig(root);
      const oldKey = (parse(before) as VpsConfig).private_key;
      assert.notEqual(config.private_key, oldKey);
      assert.match(rotated.stdout, /the router must be re-paired/);
      const printed = routerSnippet(rotated.stdout).value.peers[0].public_key;
      assert.equal(printed, await bondCli(wrapper, ["pubkey"], `${config.private_key}\n`));
      assert.notEqual(printed, routerSnippet(first.stdout).value.peers[0].public_key);
      assert.equal(mode(configPath), 0o600);
    }),
});

Deno.test({
  name:
    "bootstrap with ROUTER_PUBLIC_KEY completes a config bond check accepts; SSH ports and FIREWALL=0",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFixture(async ({ root, wrapper, bootstrap }) => {
      const routerKey = await bondCli(
        wrapper,
        ["pubkey"],
        `${await bondCli(wrapper, ["genkey"])}\n`,
      );
      const run = await bootstrap({
        ROUTER_PUBLIC_KEY: routerKey,
        SSH_PORT: "2222",
        // The session running the script came in on 2200: that port must stay open too.
        SSH_CONNECTION: `192.0.2.7 50000 ${VPS.v4} 2200`,
      }, ["--binary", wrapper]);
      assertRan(run, "bootstrap");
      const configPath = `${root}/etc/bond/bond.yaml`;
      assert.equal((await readConfig(root)).peers[0].public_key, routerKey);
      assert.match(await bondCli(wrapper, ["check", "-config", configPath]), /^ok: /);
      assert.doesNotMatch(run.stdout, /ROUTER_PUBLIC_KEY=/);

      const rulesPath = `${root}/etc/bond/host-firewall.nft`;
      const rules = await Deno.readTextFile(rulesPath);
      assert.match(rules, /^\s*tcp dport \{ 2200, 2222 \} accept$/m);
      assert.doesNotMatch(rules, /tcp dport \{[^}]*\b22\b/);

      const bad = await bootstrap({ ROUTER_PUBLIC_KEY: "not-a-key" });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /ROUTER_PUBLIC_KEY must be a base64 public key/);

      assertRan(await bootstrap({ FIREWALL: "0" }), "bootstrap FIREWALL=0");
      for (const gone of [rulesPath, `${root}/etc/systemd/system/bond-host-firewall.service`]) {
        await assert.rejects(Deno.stat(gone), Deno.errors.NotFound, `${gone} still exists`);
      }
    }),
});

/**
 * Runs the script as on a real VPS (no ROOT), but in a private mount namespace inside the lab
 * namespace: /etc and /usr/local/bin are overlays whose writes land in the lab's temp dir (and
 * persist from one run to the next, as on a real machine), and /run/systemd is a tmpfs so that
 * a running systemd is invisible and never called.
 * Sysctls and nftables it applies belong to the lab namespace.
 */
const LIVE_SANDBOX = `set -e
for dir in /etc /usr/local/bin; do
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$SANDBOX$dir/upper,workdir=$SANDBOX$dir/work" "$dir"
done
if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi
exec dash "$SCRIPT" "$@"
`;

/** Connects from `from` to a TCP port; true when the listener answered. */
async function tcpReaches(lab: Lab, from: string, port: number): Promise<boolean> {
  const result = await lab.exec(from, [
    "socat",
    "-T2",
    "-",
    `TCP:${VPS.v4}:${port},connect-timeout=2`,
  ], { stdin: "" });
  return result.code === 0 && result.stdout.includes("reached");
}

Deno.test({
  name: "bootstrap on the live system (sandboxed): firewall applied keeps SSH and drops others, " +
    "forwarding on, a re-run leaves the same single table",
  ignore: ignore || !haveCommand("socat") || !isDirectory("/usr/local/bin"),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFixture(async ({ lab, wrapper }) => {
      const sandbox = `${lab.tmpDir}/sandbox`;
      for (const dir of ["/etc", "/usr/local/bin"]) {
        for (const part of ["upper", "work"]) {
          await Deno.mkdir(`${sandbox}${dir}/${part}`, { recursive: true });
        }
      }
      for (const port of [22, 8080]) {
        lab.spawn("vps", ["socat", `TCP-LISTEN:${port},reuseaddr,fork`, "SYSTEM:echo reached"]);
      }
      for (const port of [22, 8080]) {
        await waitFor(() => tcpReaches(lab, "inet", port), { what: `port ${port} before install` });
      }
      const live = (args: string[] = [], env: Record<string, string> = {}) => {
        const argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", LIVE_SANDBOX];
        return lab.exec("vps", [...argv, "sh", ...args], {
          env: { ...CLEAN_ENV, SANDBOX: sandbox, SCRIPT, ...env },
          timeoutMs: RUN_TIMEOUT_MS,
        });
      };
      const first = await live(["--binary", wrapper]);
      assertRan(first, "live bootstrap");
      assert.match(first.stderr, /bond is not started yet: it needs the router's public key/);
      assert.equal(
        mode(`${sandbox}/etc/upper/bond/bond.yaml`),
        0o600,
        "config written in the overlay",
      );

      assert.equal(await tcpReaches(lab, "inet", 22), true, "SSH must stay reachable");
      assert.equal(await tcpReaches(lab, "inet", 8080), false, "other TCP ports are dropped");
      await lab.run("inet", ["ping", "-c", "1", "-W", "2", VPS.v4]);
      assert.equal((await lab.run("vps", ["sysctl", "-n", "net.ipv4.ip_forward"])).trim(), "1");
      assert.equal(
        (await lab.run("vps", ["sysctl", "-n", "net.ipv6.conf.all.forwarding"])).trim(),
        "1",
      );
      assert.equal(
        (await lab.run("vps", ["sysctl", "-n", "net.ipv6.conf.wan0.accept_ra"])).trim(),
        "2",
      );

      const tables = async () => (await lab.run("vps", ["nft", "list", "tables"])).trim();
      assert.equal(await tables(), "table inet bond-host");
      const ruleset = await lab.run("vps", ["nft", "list", "ruleset"]);
      assertRan(await live(), "live bootstrap re-run");
      assert.equal(await tables(), "table inet bond-host");
      assert.equal(await lab.run("vps", ["nft", "list", "ruleset"]), ruleset);
      assert.equal(await tcpReaches(lab, "inet", 22), true);

      const removed = await live([], { FIREWALL: "0" });
      assertRan(removed, "live bootstrap FIREWALL=0");
      assert.equal(await tables(), "");
      assert.equal(
        await tcpReaches(lab, "inet", 8080),
        true,
        "firewall gone: 8080 reachable again",
      );
    }),
});

const PYTHON = findPython3();
if (!ignore && PYTHON === null) {
  console.error("vps_bootstrap_test: no python3 for a loopback HTTP server: download test skipped");
}

Deno.test({
  name: "bootstrap downloads the binary from a release URL on loopback, checked by SHA-256",
  ignore: ignore || PYTHON === null || !haveCommand("curl"),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFixture(async ({ lab, root, wrapper, bootstrap }) => {
      const target = `${Deno.build.arch}-unknown-linux-gnu`;
      const served = `${lab.tmpDir}/release`;
      await Deno.mkdir(served);
      await Deno.copyFile(wrapper, `${served}/bond-${target}`);
      const port = "8731";
      const server = lab.spawn("vps", [
        PYTHON!,
        "-m",
        "http.server",
        "--bind",
        "127.0.0.1",
        "--directory",
        served,
        port,
      ]);
      const url = `http://127.0.0.1:${port}/bond-{target}`;
      const fileUrl = url.replace("{target}", target);
      await waitFor(
        async () =>
          (await lab.exec("vps", ["curl", "-fsS", "-o", "/dev/null", fileUrl])).code === 0,
        { timeoutMs: 10_000, what: `the HTTP server on 127.0.0.1:${port}` },
      );
      const bin = `${root}/usr/local/bin/bond`;
      const digest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", await Deno.readFile(wrapper)),
      );
      const sha = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");

      const plain = await bootstrap({ BOND_RELEASE_URL: url });
      assert.equal(plain.code, 1);
      assert.match(plain.stderr, /refusing to download over plain http without BOND_SHA256/);

      const wrong = await bootstrap({ BOND_RELEASE_URL: url, BOND_SHA256: "0".repeat(64) });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /SHA-256 is [0-9a-f]{64}, expected 0{64}: not installed/);
      await assert.rejects(Deno.stat(bin), Deno.errors.NotFound);

      const good = await bootstrap({ BOND_RELEASE_URL: url, BOND_SHA256: sha });
      assertRan(good, "bootstrap with a download");
      assert.equal(await Deno.readTextFile(bin), await Deno.readTextFile(wrapper));
      assert.equal(mode(bin), 0o755);
      routerSnippet(good.stdout);
      await server.stop();
      assert.match(server.stderr(), /GET \/bond-[a-z0-9_-]+ HTTP/, "the server saw the download");
    }),
});

Deno.test({
  name: "bootstrap.sh is POSIX sh: dash parses it and shellcheck finds nothing",
  ignore: !haveCommand("shellcheck") || !haveCommand("dash"),
  async fn() {
    assertRan(await runCommand(["dash", "-n", SCRIPT]), "dash -n");
    assertRan(await runCommand(["shellcheck", "-s", "sh", SCRIPT]), "shellcheck");
  },
});

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function haveCommand(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      Deno.statSync(`${dir}/${name}`);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}
