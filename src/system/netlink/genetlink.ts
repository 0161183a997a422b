/**
 * Generic netlink (linux/genetlink.h): families such as Multipath TCP's path manager share one
 * netlink protocol and get their message type (the family id) at boot, looked up by name from
 * the controller family. Every request carries a genlmsghdr (command, version) before its
 * attributes.
 */
import { MessageBuilder, parseAttributes } from "./attributes.ts";
import type { NetlinkSocket } from "./socket.ts";

export const NETLINK_GENERIC = 16;
/** struct genlmsghdr { u8 cmd; u8 version; u16 reserved; } */
export const GENL_HDRLEN = 4;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;

/** A request to a generic netlink family: its id, command and the family's version. */
export function genericRequest(
  family: number,
  command: number,
  version: number,
  flags = 0,
): MessageBuilder {
  return new MessageBuilder(family, flags).header(GENL_HDRLEN, (v) => {
    v.setUint8(0, command);
    v.setUint8(1, version);
  });
}

/**
 * The id of generic netlink family `name`; throws SyscallError ENOENT (from the kernel) when
 * this kernel has no such family.
 */
export function resolveFamily(socket: NetlinkSocket, name: string): number {
  const reply = socket.request(
    genericRequest(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1).string(CTRL_ATTR_FAMILY_NAME, name),
    `genetlink family ${name}`,
  );
  for (const m of reply) {
    const id = parseAttributes(m.body, GENL_HDRLEN).get(CTRL_ATTR_FAMILY_ID);
    if (id !== undefined && id.length >= 2) {
      return new DataView(id.buffer, id.byteOffset).getUint16(0, true);
    }
  }
  throw new Error(`genetlink family ${name}: the kernel's answer names no id`);
}
