/**
 * Valid router and VPS configs (as parsed YAML values and as text) for the config and CLI
 * tests. Keys are fixed so failures are reproducible; each call returns a fresh copy to mutate.
 */
import { clamp, encodeKey, publicKey } from "../protocol/keys.ts";
import { stringify } from "yaml";

function fixedKey(fill: number): Uint8Array {
  const key = new Uint8Array(32).fill(fill);
  clamp(key);
  return key;
}

export const ROUTER_PRIVATE = fixedKey(0x11);
export const VPS_PRIVATE = fixedKey(0x22);
export const ROUTER_PUBLIC = publicKey(ROUTER_PRIVATE);
export const VPS_PUBLIC = publicKey(VPS_PRIVATE);
export const PSK = new Uint8Array(32).fill(0x33);

// deno-lint-ignore no-explicit-any
export type Yamlish = any;

export function routerValue(): Yamlish {
  return {
    role: "router",
    private_key: encodeKey(ROUTER_PRIVATE),
    interface: { name: "bnd0", address: ["10.66.0.2/24", "fd66::2/64"], mtu: "auto" },
    peers: [{
      name: "edge",
      public_key: encodeKey(VPS_PUBLIC),
      preshared_key: encodeKey(PSK),
      endpoint: "203.0.113.10:65535",
      allowed_ips: ["0.0.0.0/0", "::/0"],
      persistent_keepalive: 25,
    }],
    links: [
      {
        name: "dsl",
        device: "eth1",
        source: "192.168.1.20",
        weight: 1,
        down_mbps: 150,
        up_mbps: 30,
      },
      { name: "lte", device: "wwan0" },
    ],
    scheduler: { mode: "aggregate" },
    routing: { default_route: true },
    forwards: [{ proto: "tcp", port: 9987, to: "192.168.1.50:9987" }],
    crypto: { backend: "auto" },
    log: { level: "info" },
  };
}

export function vpsValue(): Yamlish {
  return {
    role: "vps",
    private_key: encodeKey(VPS_PRIVATE),
    interface: { name: "bnd0", address: ["10.66.0.1/24", "fd66::1/64"], listen_port: 65535 },
    peers: [{
      name: "home",
      public_key: encodeKey(ROUTER_PUBLIC),
      preshared_key: encodeKey(PSK),
      allowed_ips: ["10.66.0.2/32", "fd66::2/128"],
    }],
    scheduler: { mode: "redundant" },
    nat: { public_interface: "eth0" },
  };
}

export function toYaml(value: Yamlish): string {
  return stringify(value);
}
