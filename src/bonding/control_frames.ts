/**
 * The control-frame codec (formats in control_frame_types.ts). `encodeControlFrame` writes into
 * the caller's buffer and throws only on programmer errors (a field out of range, a buffer too
 * small); `decodeControlFrame` never throws: anything that is not a well-formed frame of this
 * version comes back as `{ frame: null, reason }` for the caller to count and drop.
 *
 * Frames are rare (probes at tens per second per path), so decoding may allocate the frame
 * object; nothing here runs per data packet.
 */
import { Endpoint } from "../protocol/endpoint.ts";
import {
  CONTROL_FRAME_VERSION,
  CONTROL_HEADER_SIZE,
  type ControlFrame,
  type ControlFrameDecode,
  type ForwardEntry,
  type ForwardRefusal,
  FRAME_FORWARD_ACK,
  FRAME_FORWARD_SYNC,
  FRAME_LAN_PREFIX,
  FRAME_LAN_PREFIX_ACK,
  FRAME_LINK_HELLO,
  FRAME_LINK_HELLO_ACK,
  FRAME_MTU_ACK,
  FRAME_MTU_PROBE,
  FRAME_PROBE,
  FRAME_PROBE_ECHO,
  FRAME_RECEIVE_REPORT,
  FRAME_SPLIT_OFFER,
  MAX_CONTROL_FRAME,
  MAX_FORWARDS_PER_FRAME,
  MAX_LINK_NAME_BYTES,
  MAX_PATH_ID,
  MAX_REFUSAL_REASON_BYTES,
  MAX_REFUSALS_PER_ACK,
  MAX_REPORT_ENTRIES,
  MTU_PROBE_MIN_SIZE,
  type ReportEntry,
  type WirePrefix,
} from "./control_frame_types.ts";
import { FrameReader, FrameWriter } from "./frame_cursor.ts";

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const U53_MAX = 2 ** 53 - 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------- encode

function checkInt(what: string, v: number, max: number, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`control frame ${what} must be an integer in ${min}..${max}, got ${v}`);
  }
}

function checkTime(what: string, v: number): void {
  if (!Number.isFinite(v)) throw new RangeError(`control frame ${what} must be finite, got ${v}`);
}

/** The longest prefix of `text` whose UTF-8 form fits `max` bytes. */
function cutUtf8(text: string, max: number): Uint8Array {
  let bytes = utf8.encode(text);
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  bytes = bytes.subarray(0, end);
  return bytes;
}

function writeEndpoint(w: FrameWriter, what: string, ep: Endpoint): void {
  if (ep.family !== 4 && ep.family !== 6) {
    throw new RangeError(`control frame ${what}.family must be 4 or 6, got ${ep.family}`);
  }
  checkInt(`${what}.port`, ep.port, U16_MAX);
  w.u8(ep.family);
  w.bytes(ep.ip.subarray(0, ep.family === 4 ? 4 : 16));
  w.u16(ep.port);
}

function writeBody(w: FrameWriter, f: ControlFrame): void {
  switch (f.type) {
    case "link-hello": {
      checkInt("epoch", f.epoch, U32_MAX);
      checkInt("linkId", f.linkId, MAX_PATH_ID);
      const name = cutUtf8(f.name, MAX_LINK_NAME_BYTES);
      w.u32(f.epoch);
      w.u8(f.linkId);
      w.u8(name.length);
      w.bytes(name);
      checkInt("downKbps", f.downKbps, U32_MAX);
      w.u32(f.downKbps);
      return;
    }
    case "link-hello-ack":
      checkInt("epoch", f.epoch, U32_MAX);
      checkInt("linkId", f.linkId, MAX_PATH_ID);
      w.u32(f.epoch);
      w.u8(f.linkId);
      writeEndpoint(w, "observed", f.observed);
      return;
    case "probe":
      checkInt("pathId", f.pathId, MAX_PATH_ID);
      checkInt("seq", f.seq, U32_MAX);
      checkTime("sentAt", f.sentAt);
      w.u8(f.pathId);
      w.u32(f.seq);
      w.f64(f.sentAt);
      return;
    case "probe-echo":
      checkInt("pathId", f.pathId, MAX_PATH_ID);
      checkInt("seq", f.seq, U32_MAX);
      checkTime("sentAt", f.sentAt);
      if (!(f.holdMs >= 0 && f.holdMs < Infinity)) {
        throw new RangeError(`control frame holdMs must be finite and >= 0, got ${f.holdMs}`);
      }
      w.u8(f.pathId);
      w.u32(f.seq);
      w.f64(f.sentAt);
      w.f64(f.holdMs);
      return;
    case "receive-report":
      checkTime("reportTime", f.reportTime);
      checkInt("entries.length", f.entries.length, MAX_REPORT_ENTRIES);
      w.f64(f.reportTime);
      w.u8(f.entries.length);
      for (const e of f.entries) writeReportEntry(w, e);
      return;
    case "forward-sync":
      checkInt("generation", f.generation, U32_MAX);
      checkInt("parts", f.parts, 255, 1);
      checkInt("part", f.part, f.parts - 1);
      checkInt("forwards.length", f.forwards.length, MAX_FORWARDS_PER_FRAME);
      w.u32(f.generation);
      w.u8(f.part);
      w.u8(f.parts);
      w.u8(f.forwards.length);
      for (const fw of f.forwards) writeForward(w, fw);
      return;
    case "forward-ack":
      checkInt("generation", f.generation, U32_MAX);
      checkInt("parts", f.parts, 255, 1);
      checkInt("part", f.part, f.parts - 1);
      checkInt("refused.length", f.refused.length, MAX_REFUSALS_PER_ACK);
      w.u32(f.generation);
      w.u8(f.part);
      w.u8(f.parts);
      w.u8(f.refused.length);
      for (const r of f.refused) writeRefusal(w, r);
      return;
    case "lan-prefix":
    case "lan-prefix-ack":
      writePrefix(w, f);
      return;
    case "mtu-probe":
      checkInt("pathId", f.pathId, MAX_PATH_ID);
      checkInt("seq", f.seq, U32_MAX);
      checkInt("size", f.size, U16_MAX, MTU_PROBE_MIN_SIZE);
      w.u8(f.pathId);
      w.u32(f.seq);
      w.u16(f.size);
      w.zeros(f.size - MTU_PROBE_MIN_SIZE);
      return;
    case "mtu-ack":
      checkInt("pathId", f.pathId, MAX_PATH_ID);
      checkInt("seq", f.seq, U32_MAX);
      checkInt("size", f.size, U16_MAX);
      w.u8(f.pathId);
      w.u32(f.seq);
      w.u16(f.size);
      return;
    case "split-offer":
      checkInt("listener.port", f.listener.port, U16_MAX, 1);
      writeEndpoint(w, "listener", f.listener);
      return;
  }
}

function writeReportEntry(w: FrameWriter, e: ReportEntry): void {
  checkInt("entry.pathId", e.pathId, MAX_PATH_ID);
  checkInt("entry.packets", e.packets, U53_MAX);
  checkInt("entry.bytes", e.bytes, U53_MAX);
  checkInt("entry.highestCounter", e.highestCounter, U53_MAX);
  checkTime("entry.highestAt", e.highestAt);
  w.u8(e.pathId);
  w.u53(e.packets);
  w.u53(e.bytes);
  w.u53(e.highestCounter);
  w.f64(e.highestAt);
}

function writeForward(w: FrameWriter, fw: ForwardEntry): void {
  if (fw.proto !== "tcp" && fw.proto !== "udp") {
    throw new RangeError(`control frame forward.proto must be tcp or udp, got ${fw.proto}`);
  }
  checkInt("forward.port", fw.port, U16_MAX, 1);
  checkInt("forward.to.port", fw.to.port, U16_MAX, 1);
  w.u8(fw.proto === "tcp" ? IPPROTO_TCP : IPPROTO_UDP);
  w.u16(fw.port);
  writeEndpoint(w, "forward.to", fw.to);
}

function writeRefusal(w: FrameWriter, r: ForwardRefusal): void {
  writeForward(w, r);
  const reason = cutUtf8(r.reason, MAX_REFUSAL_REASON_BYTES);
  w.u8(reason.length);
  w.bytes(reason);
}

/** The problem with `p` as a prefix (length 0-128, host bits zero), or undefined. */
function prefixProblem(p: WirePrefix): string | undefined {
  if (p.address.length !== 16) return `address is ${p.address.length} bytes, want 16`;
  if (!Number.isInteger(p.prefixLength) || p.prefixLength < 0 || p.prefixLength > 128) {
    return `prefix length ${p.prefixLength} is not 0-128`;
  }
  for (let bit = p.prefixLength; bit < 128; bit++) {
    if (p.address[bit >> 3] & (0x80 >> (bit & 7))) {
      return `bits beyond /${p.prefixLength} are set`;
    }
  }
  return undefined;
}

function writePrefix(w: FrameWriter, p: WirePrefix): void {
  const problem = prefixProblem(p);
  if (problem) throw new RangeError(`control frame prefix: ${problem}`);
  w.u8(p.prefixLength);
  w.bytes(p.address);
}

const TYPE_BYTE: Record<ControlFrame["type"], number> = {
  "link-hello": FRAME_LINK_HELLO,
  "link-hello-ack": FRAME_LINK_HELLO_ACK,
  "probe": FRAME_PROBE,
  "probe-echo": FRAME_PROBE_ECHO,
  "receive-report": FRAME_RECEIVE_REPORT,
  "forward-sync": FRAME_FORWARD_SYNC,
  "forward-ack": FRAME_FORWARD_ACK,
  "mtu-probe": FRAME_MTU_PROBE,
  "mtu-ack": FRAME_MTU_ACK,
  "lan-prefix": FRAME_LAN_PREFIX,
  "lan-prefix-ack": FRAME_LAN_PREFIX_ACK,
  "split-offer": FRAME_SPLIT_OFFER,
};

/**
 * Writes `frame` at out[offset..] and returns the bytes written. Throws RangeError on a field out
 * of range, a buffer too small, or a frame (other than an MTU probe) above MAX_CONTROL_FRAME.
 */
export function encodeControlFrame(frame: ControlFrame, out: Uint8Array, offset = 0): number {
  const type = TYPE_BYTE[frame.type];
  if (type === undefined) throw new RangeError(`unknown control frame type ${frame.type}`);
  const w = new FrameWriter(out, offset);
  w.u8(type);
  w.u8(CONTROL_FRAME_VERSION);
  w.u16(0);
  writeBody(w, frame);
  const length = w.at - offset;
  if (frame.type !== "mtu-probe" && length > MAX_CONTROL_FRAME) {
    throw new RangeError(
      `control frame ${frame.type} is ${length} bytes, max ${MAX_CONTROL_FRAME}`,
    );
  }
  w.patchU16(offset + 2, length - CONTROL_HEADER_SIZE);
  return length;
}

// ---------------------------------------------------------------- decode

/** Reads an endpoint; null (with nothing consumed that matters) on a bad family. */
function readEndpoint(r: FrameReader): Endpoint | null {
  const family = r.u8();
  if (family !== 4 && family !== 6) return null;
  const ep = new Endpoint();
  ep.family = family;
  ep.ip.set(r.bytes(family === 4 ? 4 : 16));
  ep.port = r.u16();
  return ep;
}

/** One forward entry (forward-sync, forward-ack), or a reason naming the frame `what`. */
function readForward(r: FrameReader, what: string): ForwardEntry | string {
  const proto = r.u8();
  const port = r.u16();
  const to = readEndpoint(r);
  if (r.short) return `truncated ${what}`;
  if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) {
    return `${what} protocol ${proto} is neither tcp (6) nor udp (17)`;
  }
  if (!to) return `${what} endpoint family is not 4 or 6`;
  if (port === 0 || to.port === 0) return `${what} port 0`;
  return { proto: proto === IPPROTO_TCP ? "tcp" : "udp", port, to };
}

/** The body of a frame of type `type`, or a reason string. */
function readBody(type: number, r: FrameReader, frameSize: number): ControlFrame | string {
  switch (type) {
    case FRAME_LINK_HELLO: {
      const epoch = r.u32();
      const linkId = r.u8();
      const nameLength = r.u8();
      const nameBytes = r.bytes(nameLength);
      const downKbps = r.u32();
      if (r.short) return "truncated link-hello";
      if (nameLength > MAX_LINK_NAME_BYTES) {
        return `link-hello name is ${nameLength} bytes, max ${MAX_LINK_NAME_BYTES}`;
      }
      let name: string;
      try {
        name = strictUtf8.decode(nameBytes);
      } catch {
        return "link-hello name is not UTF-8";
      }
      return { type: "link-hello", epoch, linkId, name, downKbps };
    }
    case FRAME_LINK_HELLO_ACK: {
      const epoch = r.u32();
      const linkId = r.u8();
      const observed = readEndpoint(r);
      if (r.short) return "truncated link-hello-ack";
      if (!observed) return "link-hello-ack endpoint family is not 4 or 6";
      return { type: "link-hello-ack", epoch, linkId, observed };
    }
    case FRAME_PROBE: {
      const pathId = r.u8();
      const seq = r.u32();
      const sentAt = r.f64();
      if (r.short) return "truncated probe";
      if (!Number.isFinite(sentAt)) return "probe sentAt is not finite";
      return { type: "probe", pathId, seq, sentAt };
    }
    case FRAME_PROBE_ECHO: {
      const pathId = r.u8();
      const seq = r.u32();
      const sentAt = r.f64();
      const holdMs = r.f64();
      if (r.short) return "truncated probe-echo";
      if (!Number.isFinite(sentAt)) return "probe-echo sentAt is not finite";
      if (!(holdMs >= 0 && holdMs < Infinity)) return "probe-echo holdMs is not finite and >= 0";
      return { type: "probe-echo", pathId, seq, sentAt, holdMs };
    }
    case FRAME_RECEIVE_REPORT: {
      const reportTime = r.f64();
      const count = r.u8();
      if (count > MAX_REPORT_ENTRIES) return `receive-report has ${count} entries, max 32`;
      const entries: ReportEntry[] = [];
      let finite = Number.isFinite(reportTime);
      for (let i = 0; i < count && !r.short; i++) {
        const entry = {
          pathId: r.u8(),
          packets: r.u53(),
          bytes: r.u53(),
          highestCounter: r.u53(),
          highestAt: r.f64(),
        };
        finite &&= Number.isFinite(entry.highestAt);
        entries.push(entry);
      }
      if (r.short) return "truncated receive-report";
      if (r.tooLarge) return "receive-report holds a count of 2^53 or more";
      if (!finite) return "receive-report holds a time that is not finite";
      return { type: "receive-report", reportTime, entries };
    }
    case FRAME_FORWARD_SYNC: {
      const generation = r.u32();
      const part = r.u8();
      const parts = r.u8();
      const count = r.u8();
      if (r.short) return "truncated forward-sync";
      if (parts < 1 || part >= parts) return `forward-sync part ${part} of ${parts}`;
      if (count > MAX_FORWARDS_PER_FRAME) {
        return `forward-sync has ${count} forwards, max ${MAX_FORWARDS_PER_FRAME}`;
      }
      const forwards: ForwardEntry[] = [];
      for (let i = 0; i < count; i++) {
        const forward = readForward(r, "forward-sync");
        if (typeof forward === "string") return forward;
        forwards.push(forward);
      }
      return { type: "forward-sync", generation, part, parts, forwards };
    }
    case FRAME_FORWARD_ACK: {
      const generation = r.u32();
      const part = r.u8();
      const parts = r.u8();
      const count = r.u8();
      if (r.short) return "truncated forward-ack";
      if (parts < 1 || part >= parts) return `forward-ack part ${part} of ${parts}`;
      if (count > MAX_REFUSALS_PER_ACK) {
        return `forward-ack has ${count} refusals, max ${MAX_REFUSALS_PER_ACK}`;
      }
      const refused: ForwardRefusal[] = [];
      for (let i = 0; i < count; i++) {
        const forward = readForward(r, "forward-ack");
        if (typeof forward === "string") return forward;
        const reasonLength = r.u8();
        const reasonBytes = r.bytes(reasonLength);
        if (r.short) return "truncated forward-ack";
        if (reasonLength > MAX_REFUSAL_REASON_BYTES) {
          return `forward-ack reason is ${reasonLength} bytes, max ${MAX_REFUSAL_REASON_BYTES}`;
        }
        let reason: string;
        try {
          reason = strictUtf8.decode(reasonBytes);
        } catch {
          return "forward-ack reason is not UTF-8";
        }
        refused.push({ ...forward, reason });
      }
      return { type: "forward-ack", generation, part, parts, refused };
    }
    case FRAME_LAN_PREFIX:
    case FRAME_LAN_PREFIX_ACK: {
      const name = type === FRAME_LAN_PREFIX ? "lan-prefix" : "lan-prefix-ack";
      const prefixLength = r.u8();
      const address = r.bytes(16).slice();
      if (r.short) return `truncated ${name}`;
      const problem = prefixProblem({ address, prefixLength });
      if (problem) return `${name}: ${problem}`;
      return { type: name, address, prefixLength };
    }
    case FRAME_MTU_PROBE: {
      const pathId = r.u8();
      const seq = r.u32();
      const size = r.u16();
      if (r.short) return "truncated mtu-probe";
      // The filler is the point of the probe: a frame shorter than it claims did not make it.
      if (size !== frameSize) return `mtu-probe claims ${size} bytes, frame has ${frameSize}`;
      r.bytes(r.remaining);
      return { type: "mtu-probe", pathId, seq, size };
    }
    case FRAME_MTU_ACK: {
      const pathId = r.u8();
      const seq = r.u32();
      const size = r.u16();
      if (r.short) return "truncated mtu-ack";
      return { type: "mtu-ack", pathId, seq, size };
    }
    case FRAME_SPLIT_OFFER: {
      const listener = readEndpoint(r);
      if (r.short) return "truncated split-offer";
      if (!listener) return "split-offer endpoint family is not 4 or 6";
      if (listener.port === 0) return "split-offer port 0";
      return { type: "split-offer", listener };
    }
    default:
      return `unknown control frame type 0x${type.toString(16).padStart(2, "0")}`;
  }
}

/**
 * Decodes the frame at the start of `buf` (a control payload, possibly followed by zero
 * padding, which is ignored). Never throws.
 */
export function decodeControlFrame(buf: Uint8Array): ControlFrameDecode {
  if (buf.length < CONTROL_HEADER_SIZE) {
    return { frame: null, reason: `truncated header: ${buf.length} of 4 bytes` };
  }
  const type = buf[0];
  const version = buf[1];
  const bodyLength = (buf[2] << 8) | buf[3];
  if (type >> 4 !== 1) {
    return { frame: null, reason: `not a control frame: first byte 0x${type.toString(16)}` };
  }
  if (version !== CONTROL_FRAME_VERSION) {
    return { frame: null, reason: `unsupported control frame version ${version}` };
  }
  const end = CONTROL_HEADER_SIZE + bodyLength;
  if (end > buf.length) {
    return {
      frame: null,
      reason: `truncated: header says ${bodyLength} body bytes, ${
        buf.length - CONTROL_HEADER_SIZE
      } present`,
    };
  }
  const r = new FrameReader(buf, CONTROL_HEADER_SIZE, end);
  const body = readBody(type, r, end);
  if (typeof body === "string") return { frame: null, reason: body };
  if (r.remaining !== 0) {
    return { frame: null, reason: `${r.remaining} unexpected bytes after the ${body.type} body` };
  }
  return { frame: body, length: end };
}
