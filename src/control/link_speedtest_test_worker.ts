/**
 * Test helper: the VPS side of a per-link test (bonded responder issuing grants, link
 * responder) on loopback, in a Worker. The per-link client blocks its thread in libc calls, so
 * the responders must run on another thread's event loop. Posts {tunnelPort, linkPort} once
 * listening; stops on any message.
 */
/// <reference lib="deno.worker" />
import { parseCidr } from "../net/cidr.ts";
import { logger } from "../log.ts";
import { LinkGrants } from "./link_speedtest_grants.ts";
import { LinkSpeedtestResponder } from "./link_speedtest_responder.ts";
import { SpeedtestResponder } from "./speedtest_responder.ts";
import { freePort } from "./test_free_port.ts";

const log = logger("test");
const grants = new LinkGrants();
const linkPort = freePort();
const link = new LinkSpeedtestResponder(linkPort, grants, log, ["127.0.0.1"]);
const tunnelPort = freePort();
const tunnel = new SpeedtestResponder(
  [parseCidr("127.0.0.1/8")],
  [parseCidr("127.0.0.0/8")],
  tunnelPort,
  log,
  { grants, port: linkPort },
);
self.postMessage({ tunnelPort, linkPort, listening: link.listening });
self.onmessage = () => {
  link.stop();
  tunnel.stop();
  self.close();
};
