/**
 * The command line as users run it: each test spawns `deno run -A main.ts ...` and checks exit
 * code and output.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { PEER_KEY_PLACEHOLDER } from "../config/placeholder.ts";
import { routerValue, toYaml, vpsValue, type Yamlish } from "../config/test_fixtures.ts";
import { decodeKey, encodeKey, publicKey } from "../protocol/keys.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** A private/public pair computed with `wg pubkey` (wireguard-tools), as a fixed vector. */
const WG_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const WG_PUBLIC = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
/** All-ones bytes, not clamped: `wg pubkey` clamps before multiplying, and so must we. */
const WG_UNCLAMPED_PRIVATE = "//////////////////////////////////////////8=";
const WG_UNCLAMPED_PUBLIC = "hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI=";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function bond(args: string[], stdin?: string): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: dirname(MAIN),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bond-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeConfig(dir: string, name: string, value: Yamlish): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, toYaml(value));
  return path;
}

/** `bond check` of `value` must fail with a problem line starting `path: `. */
async function assertCheckRejects(value: Yamlish, path: string, reason: RegExp): Promise<void> {
  await withDir(async (dir) => {
    const file = await writeConfig(dir, "bond.yaml", value);
    const r = await bond(["check", "-config", file]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    const line = r.stderr.split("\n").find((l) => l.startsWith(`${path}: `));
    assert.ok(line && reason.test(line), `no "${path}: ${reason}" in:\n${r.stderr}`);
  });
}

Deno.test("genkey prints a base64 key and a newline; pubkey of it matches", async () => {
  const g = await bond(["genkey"]);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
  const priv = decodeKey(g.stdout);
  assert.equal(priv[0] & 7, 0, "genkey output is clamped");
  const p = await bond(["pubkey"], g.stdout);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout, encodeKey(publicKey(priv)) + "\n");
});

Deno.test("pubkey agrees with wg pubkey on known keys", async () => {
  const a = await bond(["pubkey"], WG_PRIVATE + "\n");
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, WG_PUBLIC + "\n");
  const b = await bond(["pubkey"], WG_UNCLAMPED_PRIVATE);
  assert.equal(b.stdout, WG_UNCLAMPED_PUBLIC + "\n");
});

Deno.test("pubkey rejects bad input with exit 1 and one clear line", async () => {
  const bad = await bond(["pubkey"], "abc\n");
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, "");
  assert.match(
    bad.stderr,
    /^bond: pubkey: stdin is not a private key: not base64 .*got 3 characters\)\n$/,
  );
  const short = await bond(["pubkey"], btoa("k".repeat(16)));
  assert.equal(short.code, 1);
  assert.match(short.stderr, /wrong key length: want 32 bytes .*got 16 bytes/);
  const empty = await bond(["pubkey"], "");
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /no private key on stdin/);
});

Deno.test("check accepts good router and VPS files with a one-line summary", async () => {
  await withDir(async (dir) => {
    const router = await writeConfig(dir, "router.yaml", routerValue());
    const r = await bond(["check", "--config", router]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `ok: ${router} (role router, 1 peer, 2 links)\n`);
    const vps = await writeConfig(dir, "vps.yaml", vpsValue());
    const v = await bond(["check", "-config", vps]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `ok: ${vps} (role vps, 1 peer)\n`);
  });
});

Deno.test("check rejects an unknown key naming its path", async () => {
  const v = routerValue();
  v.peers[0].allowed_ip = ["0.0.0.0/0"];
  await assertCheckRejects(
    v,
    "peers[0].allowed_ip",
    /unknown key \(did you mean "allowed_ips"\?\)/,
  );
});

Deno.test("check rejects a bad key length naming its path and the length", async () => {
  const v = routerValue();
  v.peers[0].public_key = btoa("q".repeat(31));
  await assertCheckRejects(v, "peers[0].public_key", /got 31 bytes/);
});

Deno.test("check rejects an invalid CIDR naming its path", async () => {
  const v = vpsValue();
  v.peers[0].allowed_ips = ["10.66.0.2/32", "10.66.0.0/40"];
  await assertCheckRejects(v, "peers[0].allowed_ips[1]", /prefix length 40 out of range 0-32/);
});

Deno.test("check rejects a port out of range naming its path", async () => {
  const v = vpsValue();
  v.interface.listen_port = 70000;
  await assertCheckRejects(v, "interface.listen_port", /70000 out of range 1-65535/);
});

Deno.test("check prints every problem, one per line, and no stack trace", async () => {
  await withDir(async (dir) => {
    const v = routerValue();
    v.colour = "blue";
    v.private_key = "short";
    v.interface.address = ["10.66.0.2/99"];
    v.forwards[0].port = 65535;
    const file = await writeConfig(dir, "bond.yaml", v);
    const r = await bond(["check", "-config", file]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines[0], `bond: ${file}: 4 problems:`);
    assert.deepEqual(lines.slice(1).map((l) => l.split(":")[0]).sort(), [
      "colour",
      "forwards[0].port",
      "interface.address[0]",
      "private_key",
    ]);
    assert.ok(!r.stderr.includes("    at "), r.stderr);
  });
});

Deno.test("--debug shows the stack trace of a failure", async () => {
  const r = await bond(["check", "-config", "/nonexistent/bond.yaml", "--debug"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read config file: no such file/);
  assert.match(r.stderr, /\n {4}at /);
});

Deno.test("check without -config reads the default path", async () => {
  const r = await bond(["check"]);
  assert.match(r.stdout + r.stderr, /\/etc\/bond\/bond\.yaml/);
});

Deno.test("bond -config FILE runs the daemon path and validates first", async () => {
  await withDir(async (dir) => {
    const v = vpsValue();
    v.nat.public_interface = "this-name-is-too-long";
    const file = await writeConfig(dir, "bond.yaml", v);
    for (const args of [["-config", file], ["run", "--config", file]]) {
      const r = await bond(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^nat\.public_interface: .*at most 15 allowed$/m);
    }
  });
});

for (const role of ["router", "vps"]) {
  Deno.test(`config -output writes a ${role} starter that check accepts once the key is pasted`, async () => {
    await withDir(async (dir) => {
      const file = `${dir}/${role}.yaml`;
      const w = await bond(["config", "-output", file, "-role", role]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
      const printed = /^public key: (\S+)$/m.exec(w.stderr)?.[1];
      const text = await Deno.readTextFile(file);
      const priv = /^private_key: (\S+)$/m.exec(text)?.[1];
      assert.ok(printed && priv, w.stderr);
      assert.equal(encodeKey(publicKey(decodeKey(priv))), printed);

      const before = await bond(["check", "-config", file]);
      assert.equal(before.code, 1);
      assert.match(
        before.stderr,
        /^peers\[0\]\.public_key: still the placeholder: paste the other side's public key/m,
      );

      await Deno.writeTextFile(file, text.replace(PEER_KEY_PLACEHOLDER, WG_PUBLIC));
      const after = await bond(["check", "-config", file]);
      assert.equal(after.code, 0, after.stderr);
      assert.match(after.stdout, new RegExp(`^ok: .* \\(role ${role}, 1 peer`));
    });
  });
}

Deno.test("config refuses to overwrite a file unless --force", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/bond.yaml`;
    await Deno.writeTextFile(file, "keep me", { mode: 0o644 });
    const refused = await bond(["config", "--output", file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists \(use --force to overwrite it\)/);
    assert.equal(await Deno.readTextFile(file), "keep me");
    const forced = await bond(["config", "--output", file, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(await Deno.readTextFile(file), /^role: router$/m);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  });
});

Deno.test("config --output - writes the starter to stdout", async () => {
  const r = await bond(["config", "--output", "-", "--role", "vps"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^role: vps$/m);
  assert.match(r.stderr, /^public key: /m);
});

Deno.test("usage errors exit 2 with one line and a pointer to help", async () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /unknown command "frobnicate"/],
    [["status", "--jsn"], /status: unknown flag --jsn/],
    [["check", "--jsn"], /check: unknown flag --jsn/],
    [["-status", "-count", "2"], /status: --count goes with --watch/],
    [["check", "-config"], /check: --config needs a value/],
    [["config"], /config: --output FILE is required/],
    [
      ["config", "-output", "/dev/null", "-role", "laptop"],
      /--role must be router or vps, got "laptop"/,
    ],
    [["bench"], /bench: want one of: crypto \(got nothing\)/],
    [["bench", "disk"], /bench: want one of: crypto \(got "disk"\)/],
    [["genkey", "extra"], /genkey: unexpected argument extra/],
  ];
  for (const [args, message] of cases) {
    const r = await bond(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /run "bond help" for usage\n$/);
  }
});

Deno.test("help, -h, --help and -help print usage and exit 0; no command exits 2", async () => {
  for (const args of [["help"], ["-h"], ["--help"], ["check", "-help"]]) {
    const r = await bond(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.stdout, /^usage: bond <command>/);
  }
  const none = await bond([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^usage: bond <command>/);
});

Deno.test("version prints bond, Deno, target and crypto backend", async () => {
  for (const args of [["version"], ["-version"]]) {
    const r = await bond(args);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^bond \d+\.\d+\.\d+$/);
    assert.match(lines[1], new RegExp(`^deno ${Deno.version.deno.replaceAll(".", "\\.")} `));
    assert.equal(lines[2], `target ${Deno.build.target}`);
    assert.match(lines[3], /^crypto (openssl|libsodium|noble|unavailable \(.+\))$/);
  }
});
