/** Creates the TUN device, sets its MTU and addresses, and brings it up, through rtnetlink. */
import { TunDevice } from "../../ffi/tun.ts";
import type { InterfaceConfig } from "../config/types.ts";
import { addAddress } from "../system/netlink/address.ts";
import { setLinkMtu, setLinkUp } from "../system/netlink/link.ts";
import type { NetlinkSocket } from "../system/netlink/socket.ts";
import type { Logger } from "../log.ts";
import type { Teardown } from "./teardown.ts";

export function bringUpTunDevice(
  nl: NetlinkSocket,
  iface: InterfaceConfig,
  teardown: Teardown,
  log: Logger,
): TunDevice {
  const tun = TunDevice.open(iface.name);
  // Closing the last fd removes the device and, with it, its addresses and routes.
  teardown.add(`TUN device ${tun.name}`, () => tun.close());
  setLinkMtu(nl, tun.name, iface.effectiveMtu);
  for (const address of iface.address) {
    // replace: an address left on a same-named device is not an error.
    addAddress(nl, tun.name, address.text, { replace: true });
  }
  setLinkUp(nl, tun.name, true);
  log.info("TUN device up", {
    interface: tun.name,
    mtu: iface.effectiveMtu,
    address: iface.address.map((a) => a.text).join(","),
  });
  return tun;
}
