/**
 * Test support: Cores wired to each other through an in-memory "network" with a manual clock,
 * so protocol behaviour (handshakes, timers, loss, roaming) is tested without sockets or root.
 */
import { Core, type CoreConfig, type CoreEvent, type PeerConfig } from "./core.ts";
import { Endpoint } from "./endpoint.ts";
import { generatePrivateKey, publicKey } from "./keys.ts";
import type { Peer } from "./peer.ts";

export interface Datagram {
  from: Endpoint;
  to: Endpoint;
  data: Uint8Array;
  sender: TestNode;
}

export class TestNode {
  readonly name: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The address this node sends from (change it to simulate roaming / NAT rebinding). */
  endpoint: Endpoint;
  core!: Core;
  readonly tunnel: Uint8Array[] = [];
  readonly control: Uint8Array[] = [];
  readonly events: CoreEvent[] = [];

  constructor(name: string, endpoint: string) {
    this.name = name;
    this.privateKey = generatePrivateKey();
    this.publicKey = publicKey(this.privateKey);
    this.endpoint = Endpoint.parse(endpoint);
  }

  get peer(): Peer {
    return this.core.peers[0];
  }

  eventsOf(type: CoreEvent["type"]): CoreEvent[] {
    return this.events.filter((e) => e.type === type);
  }
}

export class TestNetwork {
  now = 1_000_000;
  readonly nodes: TestNode[] = [];
  /** Datagrams sent and not yet delivered. */
  queue: Datagram[] = [];
  /** Every datagram ever sent, in order. */
  readonly log: Datagram[] = [];
  /** Return true to drop a datagram (loss, unreachable peer). */
  drop: (d: Datagram) => boolean = () => false;

  node(name: string, endpoint: string): TestNode {
    const n = new TestNode(name, endpoint);
    this.nodes.push(n);
    return n;
  }

  /** Creates the node's Core. Call after every node exists (peers need public keys). */
  start(
    node: TestNode,
    peers: PeerConfig[],
    options: Partial<Omit<CoreConfig, "privateKey" | "peers">> = {},
  ): Core {
    node.core = new Core(
      {
        privateKey: node.privateKey,
        peers,
        random: (b) => crypto.getRandomValues(b),
        epochOffsetMs: 1_700_000_000_000,
        ...options,
      },
      {
        sendToNetwork: (_peer, to, datagram) => {
          const d = {
            from: node.endpoint.clone(),
            to: to.clone(),
            data: datagram.slice(),
            sender: node,
          };
          this.log.push(d);
          if (!this.drop(d)) this.queue.push(d);
        },
        writeToTunnel: (_peer, packet) => node.tunnel.push(packet.slice()),
        control: (_peer, payload) => node.control.push(payload.slice()),
        event: (e) => node.events.push(e),
      },
    );
    return node.core;
  }

  /** Delivers queued datagrams (and what they provoke) until the network is quiet. */
  deliverAll(maxDatagrams = 10_000): number {
    let delivered = 0;
    while (this.queue.length > 0 && delivered < maxDatagrams) {
      const d = this.queue.shift()!;
      const target = this.nodes.find((n) => n.endpoint.equals(d.to));
      delivered++;
      target?.core.handleDatagram(this.now, d.data, d.from);
    }
    return delivered;
  }

  /** Moves the clock in `step` increments up to `ms` later, ticking and delivering each step. */
  advance(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      for (const n of this.nodes) n.core?.tick(this.now);
      this.deliverAll();
    }
  }

  /** Sends an IP packet from `node`'s tunnel, with the headroom and tailroom the core needs. */
  sendFromTunnel(node: TestNode, packet: Uint8Array): void {
    const buf = new Uint8Array(16 + packet.length + 31);
    buf.set(packet, 16);
    node.core.handleTunnelPacket(this.now, buf, 16, packet.length);
  }

  /** Datagrams in the log sent by `node` with message type `type`. */
  sentBy(node: TestNode, type: number): Datagram[] {
    return this.log.filter((d) => d.sender === node && d.data[0] === type);
  }
}

/** A well-formed IPv4 packet (header + payload) from `src` to `dst`. */
export function ipv4Packet(src: string, dst: string, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set(src.split(".").map(Number), 12);
  p.set(dst.split(".").map(Number), 16);
  p.set(payload, 20);
  return p;
}

/** A well-formed IPv6 packet from `src` to `dst` (addresses as 16 bytes). */
export function ipv6Packet(src: Uint8Array, dst: Uint8Array, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60;
  p[4] = payload.length >> 8;
  p[5] = payload.length & 0xff;
  p[6] = 17;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, 40);
  return p;
}

/** Deterministic bytes for payloads. */
export function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7) & 0xff);
}

/**
 * The usual pair: a router-like node A that knows B's endpoint, and a VPS-like node B that
 * learns A's. A owns 10.0.0.2 and fd00::2; B owns 10.0.0.1 and routes 10.0.0.0/24 to nothing.
 */
export function pair(
  options: {
    a?: Partial<Omit<CoreConfig, "privateKey" | "peers">>;
    b?: Partial<Omit<CoreConfig, "privateKey" | "peers">>;
    aPeer?: Partial<PeerConfig>;
    bPeer?: Partial<PeerConfig>;
  } = {},
): { net: TestNetwork; a: TestNode; b: TestNode } {
  const net = new TestNetwork();
  const a = net.node("a", "192.0.2.2:40000");
  const b = net.node("b", "198.51.100.1:51820");
  net.start(a, [{
    name: "b",
    publicKey: b.publicKey,
    endpoint: b.endpoint.clone(),
    allowedIps: ["10.0.0.0/24", "fd00::/64"],
    ...options.aPeer,
  }], options.a);
  net.start(b, [{
    name: "a",
    publicKey: a.publicKey,
    allowedIps: ["10.0.0.2/32", "fd00::2/128"],
    ...options.bPeer,
  }], options.b);
  return { net, a, b };
}
