/**
 * TUN device tests, run as root inside a fresh network namespace.
 *
 * The outer test creates the namespace and re-runs this same file inside it with
 * BOND_NETNS_INNER=1 (`ip netns exec NS deno test ...`), because FFI acts on the namespace of
 * the calling process. The namespace is removed in `finally`, whatever happens.
 */
import assert from "node:assert/strict";
import { INNER, testInsideNamespace } from "./harness/inner_tests.ts";
import { Endpoint } from "../../src/protocol/endpoint.ts";
import { TunDevice } from "../../ffi/tun.ts";
import { UdpSocket } from "../../ffi/udp.ts";
import { PollSet } from "../../ffi/poll.ts";
import { isErrno } from "../../ffi/errno.ts";
import { TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 } from "../../ffi/constants.ts";
import { GsoSegmenter } from "../../src/offload/gso_segmenter.ts";
import { TcpCoalescer } from "../../src/offload/tcp_coalescer.ts";
import {
  newVnetHdr,
  readVnetHdr,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_SIZE,
} from "../../src/offload/virtio_net_hdr.ts";
import { checksumsValid, udpPacket } from "../../src/offload/test_packets.ts";

function ip(...args: string[]): { ok: boolean; out: string; err: string } {
  const r = new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

function ipOk(...args: string[]): string {
  const r = ip(...args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")} failed: ${r.err.trim()}`);
  return r.out;
}

if (!INNER) {
  testInsideNamespace(
    "TUN tests pass inside a fresh network namespace (root)",
    "tun",
    import.meta.url,
  );
} else {
  Deno.test("TunDevice.open creates the named interface and close removes it", () => {
    const tun = TunDevice.open("btun0");
    try {
      assert.equal(tun.name, "btun0");
      assert.ok(tun.fd > 2);
      const [link] = JSON.parse(ipOk("-j", "-d", "link", "show", "btun0"));
      assert.equal(link.ifname, "btun0");
      assert.equal(link.linkinfo?.info_kind, "tun");
      assert.equal(link.linkinfo?.info_data?.type, "tun");
      assert.equal(link.linkinfo?.info_data?.pi, false, "IFF_NO_PI");
    } finally {
      tun.close();
    }
    assert.equal(ip("link", "show", "btun0").ok, false, "interface gone after close");
  });

  Deno.test("TunDevice.open with a %d pattern reports the name the kernel chose", () => {
    const tun = TunDevice.open("btpat%d");
    try {
      assert.match(tun.name, /^btpat\d+$/);
      assert.ok(ip("link", "show", tun.name).ok);
    } finally {
      tun.close();
    }
  });

  Deno.test("a second single-queue open of a busy TUN name fails with EBUSY and a hint", () => {
    const tun = TunDevice.open("btbusy0");
    try {
      assert.throws(() => TunDevice.open("btbusy0"), (err) => {
        assert.ok(isErrno(err, "EBUSY"), String(err));
        assert.match(err.message, /^ioctl\(TUNSETIFF, "btbusy0"\): .*\(EBUSY\) — /);
        return true;
      });
    } finally {
      tun.close();
    }
  });

  Deno.test("without CAP_NET_ADMIN, opening a TUN fails with EPERM and says what is needed", () => {
    // Run the open as root with CAP_NET_ADMIN dropped from the bounding set (so it is in no
    // capability set after exec), in a throwaway Deno cache dir. Staying root keeps the
    // checkout readable wherever it lives (a clone in a 0700 temp dir is not, for nobody).
    const dir = Deno.makeTempDirSync({ prefix: "bt-tunperm-" });
    try {
      const tun = new URL("../../ffi/tun.ts", import.meta.url).href;
      const code = `import { TunDevice } from "${tun}";
        try { TunDevice.open("btperm0"); console.log("opened"); }
        catch (e) { console.log(e.message); }`;
      const r = new Deno.Command("setpriv", {
        args: ["--bounding-set=-net_admin", "--inh-caps=-all"].concat([
          Deno.execPath(),
          "eval",
          "--no-config",
          "--unstable-ffi",
          code,
        ]),
        env: { DENO_DIR: dir, HOME: dir, NO_COLOR: "1" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      const out = new TextDecoder().decode(r.stdout).trim();
      assert.equal(
        out,
        'ioctl(TUNSETIFF, "btperm0"): Operation not permitted (EPERM) — ' +
          "needs CAP_NET_ADMIN (run as root)",
        new TextDecoder().decode(r.stderr),
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });

  Deno.test("multi-queue TUN accepts two queues on one interface", () => {
    const q0 = TunDevice.open("btmq0", { multiQueue: true });
    const q1 = TunDevice.open("btmq0", { multiQueue: true });
    try {
      assert.equal(q1.name, "btmq0");
      const [link] = JSON.parse(ipOk("-j", "-d", "link", "show", "btmq0"));
      assert.equal(link.linkinfo?.info_data?.multi_queue, true);
    } finally {
      q0.close();
      q1.close();
    }
  });

  Deno.test("TUN read gets the kernel's IPv4 packet and a written packet reaches a socket", () => {
    const tun = TunDevice.open("btio0");
    let sock: UdpSocket | null = null;
    try {
      ipOk("addr", "add", "10.77.0.1/24", "dev", "btio0");
      ipOk("link", "set", "btio0", "up");
      sock = UdpSocket.open({ family: 4, address: "10.77.0.1" });
      const port = sock.localPort;
      const payload = new TextEncoder().encode("through the tunnel");
      assert.equal(sock.sendTo(payload, payload.length, Endpoint.parse("10.77.0.2:9999")), 18);

      // The kernel may also emit IPv6 router solicitations on the new link: skip those.
      const set = new PollSet([tun.fd]);
      const buf = new Uint8Array(2048);
      let packet: Uint8Array | null = null;
      for (let i = 0; i < 20 && packet === null; i++) {
        assert.ok(set.wait(2000) > 0, "TUN became readable");
        const n = tun.read(buf);
        assert.ok(n > 0, `read returned ${n}`);
        if (buf[0] >> 4 === 4 && buf[9] === 17) packet = buf.slice(0, n);
      }
      assert.ok(packet !== null, "an IPv4 UDP packet came out of the TUN");
      assert.deepEqual(Array.from(packet.subarray(12, 20)), [10, 77, 0, 1, 10, 77, 0, 2]);
      const udp = new DataView(packet.buffer, 20);
      assert.equal(udp.getUint16(0), port);
      assert.equal(udp.getUint16(2), 9999);
      assert.deepEqual(packet.subarray(28), payload);

      // Answer as 10.77.0.2:9999 by writing a hand-built IPv4/UDP packet into the TUN.
      const reply = ipv4Udp([10, 77, 0, 2], [10, 77, 0, 1], 9999, port, payload);
      assert.equal(tun.write(reply), reply.length);
      const from = new Endpoint();
      const got = new Uint8Array(64);
      const n = sock.recvFrom(got, from);
      assert.equal(n, payload.length);
      assert.deepEqual(got.subarray(0, n), payload);
      assert.equal(from.toString(), "10.77.0.2:9999");
    } finally {
      sock?.close();
      tun.close();
    }
  });
}

if (INNER) {
  Deno.test("TUN with a virtio_net_hdr: offloads on, partial checksums finished, headed writes delivered", () => {
    const tun = TunDevice.open("btvh0", { vnetHeader: true });
    let sock: UdpSocket | null = null;
    try {
      assert.equal(tun.vnetHeader, true);
      assert.equal(tun.setOffload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), 0);
      ipOk("addr", "add", "10.78.0.1/24", "dev", "btvh0");
      ipOk("link", "set", "btvh0", "up");
      const features = new TextDecoder().decode(
        new Deno.Command("ethtool", { args: ["-k", "btvh0"], stdout: "piped" }).outputSync().stdout,
      );
      assert.match(features, /^tcp-segmentation-offload: on$/m);
      assert.match(features, /^tx-checksumming: on$/m);

      sock = UdpSocket.open({ family: 4, address: "10.78.0.1" });
      const port = sock.localPort;
      const payload = new TextEncoder().encode("offloaded checksum, finished by bond");
      sock.sendTo(payload, payload.length, Endpoint.parse("10.78.0.2:9999"));
      const set = new PollSet([tun.fd]);
      const buf = new Uint8Array(VNET_HDR_SIZE + 2048);
      const hdr = newVnetHdr();
      let length = 0;
      for (let i = 0; i < 20 && length === 0; i++) {
        assert.ok(set.wait(2000) > 0, "TUN became readable");
        const n = tun.read(buf);
        assert.ok(n > VNET_HDR_SIZE, `read returned ${n}`);
        const ipAt = VNET_HDR_SIZE;
        if (buf[ipAt] >> 4 === 4 && buf[ipAt + 9] === 17) length = n;
      }
      assert.ok(length > 0, "an IPv4 UDP packet came out of the TUN");
      readVnetHdr(new DataView(buf.buffer), 0, hdr);
      // The kernel left the UDP checksum to the device: partial, from the UDP header on.
      assert.equal(hdr.flags & VNET_F_NEEDS_CSUM, VNET_F_NEEDS_CSUM);
      assert.equal(hdr.csumStart, 20);
      assert.equal(hdr.csumOffset, 6);
      assert.ok(!checksumsValid(buf.subarray(VNET_HDR_SIZE, length)), "partial as it came");
      const segmenter = new GsoSegmenter();
      assert.equal(segmenter.start(buf, 0, length), 1);
      const out = new Uint8Array(2048);
      const n = segmenter.write(0, out, 0);
      assert.equal(n, length - VNET_HDR_SIZE);
      assert.ok(checksumsValid(out.subarray(0, n)), "finished checksum verifies");

      // The way back goes through the coalescer, which puts a header in front of every write.
      const reply = udpPacket(4, payload);
      reply.set([10, 78, 0, 2], 12);
      reply.set([10, 78, 0, 1], 16);
      const rv = new DataView(reply.buffer);
      rv.setUint16(22, port);
      rv.setUint16(10, 0);
      rv.setUint16(26, 0); // no UDP checksum (allowed over IPv4): the addresses changed
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += rv.getUint16(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      rv.setUint16(10, ~sum & 0xffff);
      const coalescer = new TcpCoalescer((b, len) => tun.write(b, len));
      coalescer.push(reply, reply.length);
      coalescer.flush();
      assert.equal(coalescer.stats.writeErrors, 0);
      const got = new Uint8Array(128);
      const from = new Endpoint();
      const m = sock.recvFrom(got, from);
      assert.deepEqual(got.subarray(0, m), payload);
      assert.equal(from.toString(), "10.78.0.2:5353");
    } finally {
      sock?.close();
      tun.close();
    }
  });
}

/** An IPv4 packet carrying one UDP datagram (UDP checksum 0 = none, allowed over IPv4). */
function ipv4Udp(
  src: number[],
  dst: number[],
  sport: number,
  dport: number,
  data: Uint8Array,
): Uint8Array {
  const p = new Uint8Array(28 + data.length);
  const v = new DataView(p.buffer);
  v.setUint8(0, 0x45);
  v.setUint16(2, p.length);
  v.setUint8(8, 64);
  v.setUint8(9, 17);
  p.set(src, 12);
  p.set(dst, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, ~sum & 0xffff);
  v.setUint16(20, sport);
  v.setUint16(22, dport);
  v.setUint16(24, 8 + data.length);
  p.set(data, 28);
  return p;
}
