/**
 * rtnetlink wire constants (linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h,
 * linux/if_link.h, linux/fib_rules.h). Numbers only; the files beside this one give them meaning.
 */

export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;
/** Ask the kernel to attach a text reason ("extended ack") to errors. */
export const NETLINK_EXT_ACK = 11;
/** Do not echo our whole request back inside an error (only its header). */
export const NETLINK_CAP_ACK = 10;

/** struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; } */
export const NLMSG_HDRLEN = 16;
/** struct rtattr { u16 len; u16 type; } */
export const RTA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

// Message types.
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

/** Names for error messages. */
export const MESSAGE_NAMES: Readonly<Record<number, string>> = {
  [RTM_NEWLINK]: "RTM_NEWLINK",
  [RTM_DELLINK]: "RTM_DELLINK",
  [RTM_GETLINK]: "RTM_GETLINK",
  [RTM_NEWADDR]: "RTM_NEWADDR",
  [RTM_DELADDR]: "RTM_DELADDR",
  [RTM_GETADDR]: "RTM_GETADDR",
  [RTM_NEWROUTE]: "RTM_NEWROUTE",
  [RTM_DELROUTE]: "RTM_DELROUTE",
  [RTM_GETROUTE]: "RTM_GETROUTE",
  [RTM_NEWRULE]: "RTM_NEWRULE",
  [RTM_DELRULE]: "RTM_DELRULE",
  [RTM_GETRULE]: "RTM_GETRULE",
};

// nlmsghdr flags.
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// Flags on an NLMSG_ERROR reply.
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;

// struct ifinfomsg (16 bytes) and IFLA_* attributes.
export const IFINFOMSG_SIZE = 16;
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_OPERSTATE = 16;
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;
/** IF_OPER_* by number (RFC 2863 operational states). */
export const OPERSTATES = [
  "UNKNOWN",
  "NOTPRESENT",
  "DOWN",
  "LOWERLAYERDOWN",
  "TESTING",
  "DORMANT",
  "UP",
] as const;

// struct ifaddrmsg (8 bytes) and IFA_* attributes.
export const IFADDRMSG_SIZE = 8;
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;

// struct rtmsg (12 bytes) and RTA_* attributes.
export const RTMSG_SIZE = 12;
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTAX_MTU = 2;
/** Initial congestion window (packets) of TCP connections using the route. */
export const RTAX_INITCWND = 11;
/** Initial receive window (packets) they advertise. */
export const RTAX_INITRWND = 14;
/** rtm_flags on RTM_GETROUTE: report the table the lookup really used (not always main). */
export const RTM_F_LOOKUP_TABLE = 0x1000;
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;
export const RTPROT_STATIC = 4;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;

// struct fib_rule_hdr (12 bytes) and FRA_* attributes.
export const FIB_RULE_HDR_SIZE = 12;
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_PROTOCOL = 21;
export const FRA_IP_PROTO = 22;
/** struct fib_rule_port_range { u16 start, end; } (host byte order). */
export const FRA_SPORT_RANGE = 23;
export const FRA_DPORT_RANGE = 24;
export const FIB_RULE_INVERT = 0x2;
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_NOP = 3;
export const FR_ACT_BLACKHOLE = 6;
export const FR_ACT_UNREACHABLE = 7;
export const FR_ACT_PROHIBIT = 8;
