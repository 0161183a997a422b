/** Creates the TUN device, sets its MTU and addresses, and brings it up, through rtnetlink. */
import { TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 } from "../../ffi/constants.ts";
import { errnoName } from "../../ffi/errno.ts";
import { TunDevice } from "../../ffi/tun.ts";
import type { InterfaceConfig } from "../config/types.ts";
import { addAddress } from "../system/netlink/address.ts";
import { setLinkMtu, setLinkUp } from "../system/netlink/link.ts";
import type { NetlinkSocket } from "../system/netlink/socket.ts";
import type { Logger } from "../log.ts";
import type { Teardown } from "./teardown.ts";

/**
 * With `offload`, the device carries a virtio_net_hdr and lets the kernel hand over TCP
 * super-packets with partial checksums (the data path segments them, and coalesces what it
 * writes); if the kernel refuses, the device works packet by packet and says why.
 */
export function bringUpTunDevice(
  nl: NetlinkSocket,
  iface: InterfaceConfig,
  teardown: Teardown,
  log: Logger,
  offload = false,
): TunDevice {
  const tun = TunDevice.open(iface.name, { vnetHeader: offload });
  // Closing the last fd removes the device and, with it, its addresses and routes.
  teardown.add(`TUN device ${tun.name}`, () => tun.close());
  if (offload) {
    const rc = tun.setOffload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
    if (rc < 0) {
      log.info("TUN offloads refused; packets go one by one", {
        interface: tun.name,
        error: errnoName(-rc),
      });
    }
  }
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
