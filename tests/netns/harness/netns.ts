/**
 * A lab of network namespaces joined by veth pairs, built by a test and torn down by it.
 *
 * ```ts
 * await using lab = await Lab.create("wg");
 * await lab.addHost("a");
 * await lab.addHost("b");
 * await lab.link("a", "b", { addrA: ["10.1.0.1/24"], addrB: ["10.1.0.2/24"] });
 * await lab.run("a", ["ping", "-c", "1", "10.1.0.2"]);
 * ```
 *
 * Namespaces are named `bt<tag><4 hex>-<host>` so parallel runs never collide, and recorded in
 * /run/bond-lab so a later run removes what a crashed run left (see lab_registry.ts). Interfaces
 * are created directly inside the namespaces, so their names only have to be unique per host.
 */
import {
  describeFailure,
  type ExecOptions,
  type ExecResult,
  runCommand,
  SpawnedProcess,
  type SpawnOptions,
} from "./command.ts";
import {
  cleanupStaleLabs,
  deleteNamespace,
  type LabRecord,
  processStartTime,
  removeLabRecord,
  reserveLabRecord,
  writeLabRecord,
} from "./lab_registry.ts";

const TAG_PATTERN = /^[a-z0-9]{1,8}$/;
const HOST_PATTERN = /^[a-z][a-z0-9]{0,9}$/;
/** Linux IFNAMSIZ is 16 including the terminating NUL. */
const IFNAME_PATTERN = /^[A-Za-z0-9_-]{1,15}$/;

export interface LinkOptions {
  /** Addresses (CIDR, v4 or v6) for a's end. */
  addrA?: string[];
  /** Addresses (CIDR, v4 or v6) for b's end. */
  addrB?: string[];
  /** @default 1500 */
  mtu?: number;
  /** Interface name in a. @default b's host name */
  ifA?: string;
  /** Interface name in b. @default a's host name */
  ifB?: string;
  /**
   * Keep the kernel's checksum and segmentation offloads (a veth's defaults), as between two
   * hosts whose NICs offload: only for a link no userspace program takes frames off (see
   * `link`). @default false
   */
  offloads?: boolean;
}

export interface LinkInfo {
  a: string;
  b: string;
  ifA: string;
  ifB: string;
  addrA: string[];
  addrB: string[];
  mtu: number;
}

/** True when this process may create namespaces (root, with the `ip` tool present). */
export function canCreateNamespaces(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    Deno.statSync("/usr/sbin/ip");
    return true;
  } catch {
    try {
      Deno.statSync("/sbin/ip");
      return true;
    } catch {
      return false;
    }
  }
}

export class Lab {
  /** `bt<tag><4 hex>`: the prefix of every namespace of this lab. */
  readonly id: string;
  /** The 4 random hex digits of the id, for names that must be unique machine-wide. */
  readonly nonce: string;
  /** A private directory for files of this lab (keys, configs); removed on destroy. */
  readonly tmpDir: string;
  #record: LabRecord;
  #hosts: string[] = [];
  #processes: SpawnedProcess[] = [];
  #teardown: Promise<void> | null = null;

  private constructor(record: LabRecord, nonce: string, tmpDir: string) {
    this.id = record.labId;
    this.nonce = nonce;
    this.tmpDir = tmpDir;
    this.#record = record;
  }

  /**
   * Creates an empty lab. First removes labs left by crashed runs (see `cleanupStaleLabs`).
   * @param tag 1–8 characters [a-z0-9] naming the test or tool that owns the lab
   */
  static async create(tag: string, opts: { cleanupStale?: boolean } = {}): Promise<Lab> {
    if (!TAG_PATTERN.test(tag)) {
      throw new Error(`Lab.create: tag "${tag}" must be 1-8 characters of [a-z0-9]`);
    }
    if (opts.cleanupStale ?? true) {
      const removed = await cleanupStaleLabs();
      if (removed.length > 0) {
        console.error(`lab: removed ${removed.length} stale namespaces: ${removed.join(" ")}`);
      }
    }
    const pidStart = processStartTime(Deno.pid);
    if (pidStart === null) throw new Error("Lab.create: cannot read /proc/self/stat");
    for (let attempt = 0; attempt < 16; attempt++) {
      const nonce = randomHex(2);
      const record: LabRecord = {
        labId: `bt${tag}${nonce}`,
        pid: Deno.pid,
        pidStart,
        created: new Date().toISOString(),
        namespaces: [],
      };
      if (!reserveLabRecord(record)) continue;
      try {
        const tmpDir = await Deno.makeTempDir({ prefix: `${record.labId}-` });
        record.tmpDir = tmpDir;
        writeLabRecord(record);
        return new Lab(record, nonce, tmpDir);
      } catch (err) {
        removeLabRecord(record.labId);
        throw err;
      }
    }
    throw new Error(`Lab.create: no free lab id for tag "${tag}" after 16 tries`);
  }

  /** Host names in the order they were added. */
  get hosts(): readonly string[] {
    return this.#hosts;
  }

  /** The namespace name of `host` (for `ip netns exec` and friends). */
  ns(host: string): string {
    if (!this.#hosts.includes(host)) {
      throw new Error(`lab ${this.id}: no host "${host}" (hosts: ${this.#hosts.join(", ")})`);
    }
    return `${this.id}-${host}`;
  }

  /**
   * Adds a host: a namespace with loopback up, IPv6 enabled and duplicate address detection off
   * (so v6 addresses work at once instead of after a second of DAD).
   */
  async addHost(name: string): Promise<void> {
    this.#assertOpen();
    if (!HOST_PATTERN.test(name)) {
      throw new Error(`lab ${this.id}: host name "${name}" must match ${HOST_PATTERN}`);
    }
    if (this.#hosts.includes(name)) throw new Error(`lab ${this.id}: host "${name}" exists`);
    const ns = `${this.id}-${name}`;
    // Record first: if we die between here and `ip netns add`, the next run still finds it.
    this.#record.namespaces.push(ns);
    writeLabRecord(this.#record);
    this.#hosts.push(name);
    await this.#must(["ip", "netns", "add", ns]);
    await this.ip(name, ["link", "set", "lo", "up"]);
    await this.sysctl(name, {
      "net.ipv6.conf.all.disable_ipv6": 0,
      "net.ipv6.conf.default.disable_ipv6": 0,
      "net.ipv6.conf.all.accept_dad": 0,
      "net.ipv6.conf.default.accept_dad": 0,
    });
  }

  /**
   * Joins two hosts by a veth pair, created inside the namespaces, with tx checksum, TSO and GSO
   * offload off on both ends (unless `offloads`): userspace programs that take frames off a link
   * (TUN, AF_PACKET) would otherwise forward partial checksums that the receiver drops.
   */
  async link(a: string, b: string, opts: LinkOptions = {}): Promise<LinkInfo> {
    this.#assertOpen();
    const nsA = this.ns(a);
    const nsB = this.ns(b);
    const info: LinkInfo = {
      a,
      b,
      ifA: opts.ifA ?? b,
      ifB: opts.ifB ?? a,
      addrA: opts.addrA ?? [],
      addrB: opts.addrB ?? [],
      mtu: opts.mtu ?? 1500,
    };
    checkIfname(info.ifA);
    checkIfname(info.ifB);
    if (!Number.isInteger(info.mtu) || info.mtu < 68 || info.mtu > 65535) {
      throw new Error(`lab ${this.id}: link ${a}-${b} mtu ${info.mtu} must be 68..65535`);
    }
    await this.#must([
      "ip",
      "-n",
      nsA,
      "link",
      "add",
      // Always with the keyword: a bare name like "b" would be read as "broadcast".
      "name",
      info.ifA,
      "mtu",
      String(info.mtu),
      "type",
      "veth",
      "peer",
      "name",
      info.ifB,
      "netns",
      nsB,
    ]);
    const ends = [[a, info.ifA, info.addrA], [b, info.ifB, info.addrB]] as const;
    for (const [host, ifname, addrs] of ends) {
      await this.ip(host, ["link", "set", "dev", ifname, "mtu", String(info.mtu)]);
      if (!opts.offloads) {
        await this.run(host, ["ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off"]);
      }
      for (const cidr of addrs) await this.addAddress(host, ifname, cidr);
      await this.ip(host, ["link", "set", "dev", ifname, "up"]);
    }
    return info;
  }

  /** Adds an address (CIDR) to an interface; IPv6 addresses skip DAD. */
  async addAddress(host: string, ifname: string, cidr: string): Promise<void> {
    const v6 = cidr.includes(":");
    await this.ip(host, ["addr", "add", cidr, "dev", ifname, ...(v6 ? ["nodad"] : [])]);
  }

  /** Adds a route; `dest` is a CIDR or "default", the family follows `via` (or `dest`). */
  async addRoute(
    host: string,
    dest: string,
    via: string,
    opts: { dev?: string } = {},
  ): Promise<void> {
    const family = via.includes(":") || dest.includes(":") ? "-6" : "-4";
    const dev = opts.dev ? ["dev", opts.dev] : [];
    await this.ip(host, [family, "route", "add", dest, "via", via, ...dev]);
  }

  /** Default route of the family of `via`. */
  async addDefaultRoute(host: string, via: string, opts: { dev?: string } = {}): Promise<void> {
    await this.addRoute(host, "default", via, opts);
  }

  /** Sets sysctls inside `host`'s namespace (net.* keys are per namespace). */
  async sysctl(host: string, settings: Record<string, string | number>): Promise<void> {
    const pairs = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    if (pairs.length > 0) await this.run(host, ["sysctl", "-q", "-w", ...pairs]);
  }

  /** Lets `host` route: IPv4 and IPv6 forwarding on. */
  async enableForwarding(host: string): Promise<void> {
    await this.sysctl(host, {
      "net.ipv4.ip_forward": 1,
      "net.ipv6.conf.all.forwarding": 1,
    });
  }

  /** Runs `ip -n <ns> ...args`; throws with ip's message on failure; returns stdout. */
  async ip(host: string, args: readonly string[]): Promise<string> {
    return await this.#must(["ip", "-n", this.ns(host), ...args]);
  }

  /** Runs `argv` inside `host` and returns code and output (never throws on a non-zero exit). */
  async exec(host: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.#assertOpen();
    return await runCommand(["ip", "netns", "exec", this.ns(host), ...argv], opts);
  }

  /** Like `exec`, but throws (naming the command, exit code and stderr) unless it exits 0. */
  async run(host: string, argv: readonly string[], opts: ExecOptions = {}): Promise<string> {
    const result = await this.exec(host, argv, opts);
    if (result.code !== 0 || result.timedOut) {
      throw new Error(`lab ${this.id} host ${host}: ${describeFailure(argv, result)}`);
    }
    return result.stdout;
  }

  /** Starts a long-running process inside `host`; it is stopped on destroy if still running. */
  spawn(host: string, argv: readonly string[], opts: SpawnOptions = {}): SpawnedProcess {
    this.#assertOpen();
    const proc = new SpawnedProcess(["ip", "netns", "exec", this.ns(host), ...argv], opts);
    this.#processes.push(proc);
    return proc;
  }

  /**
   * Stops spawned processes (SIGTERM, SIGKILL after 1 s), kills whatever else runs in the
   * namespaces, deletes them and the temp directory. Safe to call more than once and from a
   * `finally`; throws only after every step was tried.
   */
  destroy(): Promise<void> {
    this.#teardown ??= this.#destroyAll();
    return this.#teardown;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.destroy();
  }

  async #destroyAll(): Promise<void> {
    const errors: unknown[] = [];
    await Promise.all(this.#processes.map((p) => p.stop().catch((err) => errors.push(err))));
    for (const host of [...this.#hosts].reverse()) {
      try {
        await deleteNamespace(`${this.id}-${host}`);
      } catch (err) {
        errors.push(err);
      }
    }
    try {
      await Deno.remove(this.tmpDir, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) errors.push(err);
    }
    // A record left behind on failure lets the next run finish the job once we have exited.
    if (errors.length === 0) removeLabRecord(this.id);
    if (errors.length > 0) {
      const text = errors.map((e) => (e instanceof Error ? e.message : String(e))).join("; ");
      throw new AggregateError(errors, `lab ${this.id}: teardown incomplete: ${text}`);
    }
  }

  #assertOpen(): void {
    if (this.#teardown) throw new Error(`lab ${this.id} has been destroyed`);
  }

  async #must(argv: string[]): Promise<string> {
    const result = await runCommand(argv);
    if (result.code !== 0 || result.timedOut) {
      throw new Error(`lab ${this.id}: ${describeFailure(argv, result)}`);
    }
    return result.stdout;
  }
}

/** Throws unless `name` is a valid Linux interface name (at most 15 characters). */
export function checkIfname(name: string): void {
  if (!IFNAME_PATTERN.test(name)) {
    throw new Error(`interface name "${name}" must be 1-15 characters of [A-Za-z0-9_-]`);
  }
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
