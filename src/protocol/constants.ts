/**
 * Every wire constant, timer and limit of the WireGuard protocol in one place (whitepaper
 * section 6 and the message formats of section 5.4). Times are milliseconds, because the core
 * measures time in the monotonic milliseconds the I/O shell passes in.
 */

// --- Message types and sizes (section 5.4). The type is a u32 little-endian: one byte of
// type then three reserved bytes that must be zero.
export const MESSAGE_INITIATION = 1;
export const MESSAGE_RESPONSE = 2;
export const MESSAGE_COOKIE_REPLY = 3;
export const MESSAGE_TRANSPORT = 4;

export const INITIATION_SIZE = 148;
export const RESPONSE_SIZE = 92;
export const COOKIE_REPLY_SIZE = 64;
/** type(4) + receiver index(4) + counter(8). */
export const TRANSPORT_HEADER_SIZE = 16;
export const AEAD_TAG_SIZE = 16;
/** Header plus the tag of an empty payload: the smallest transport message (a keepalive). */
export const TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + AEAD_TAG_SIZE;
/** The largest datagram the core accepts: the largest UDP payload an IP length field allows. */
export const MAX_MESSAGE_SIZE = 65535;
/** The largest plaintext a transport message can carry (padding included). */
export const MAX_CONTENT_SIZE = MAX_MESSAGE_SIZE - TRANSPORT_MIN_SIZE;
/** Plaintext is padded with zeros to a multiple of this (hides exact packet sizes). */
export const PADDING_MULTIPLE = 16;

// --- Field offsets inside the handshake messages.
export const INITIATION_SENDER_OFFSET = 4;
export const INITIATION_EPHEMERAL_OFFSET = 8;
export const INITIATION_STATIC_OFFSET = 40;
/** Encrypted static key: 32 bytes + tag. */
export const INITIATION_STATIC_SIZE = 32 + AEAD_TAG_SIZE;
export const INITIATION_TIMESTAMP_OFFSET = 88;
/** Encrypted TAI64N timestamp: 12 bytes + tag. */
export const INITIATION_TIMESTAMP_SIZE = 12 + AEAD_TAG_SIZE;
export const INITIATION_MAC1_OFFSET = 116;
export const INITIATION_MAC2_OFFSET = 132;

export const RESPONSE_SENDER_OFFSET = 4;
export const RESPONSE_RECEIVER_OFFSET = 8;
export const RESPONSE_EPHEMERAL_OFFSET = 12;
export const RESPONSE_EMPTY_OFFSET = 44;
export const RESPONSE_MAC1_OFFSET = 60;
export const RESPONSE_MAC2_OFFSET = 76;

export const COOKIE_REPLY_RECEIVER_OFFSET = 4;
export const COOKIE_REPLY_NONCE_OFFSET = 8;
export const COOKIE_NONCE_SIZE = 24;
export const COOKIE_REPLY_COOKIE_OFFSET = 32;
export const COOKIE_SIZE = 16;
export const MAC_SIZE = 16;

export const TRANSPORT_RECEIVER_OFFSET = 4;
export const TRANSPORT_COUNTER_OFFSET = 8;

// --- Protocol names (section 5.4).
export const CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
export const IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
export const LABEL_MAC1 = "mac1----";
export const LABEL_COOKIE = "cookie--";

// --- Message limits (section 6.1).
/** After this many messages under one key the initiator starts a new handshake. */
export const REKEY_AFTER_MESSAGES = 2 ** 60;
/**
 * 2^64 - 2^13 - 1: no key may protect more messages. Kept as a bigint because a JS number
 * cannot hold it exactly; the core enforces `min(this, COUNTER_LIMIT)`.
 */
export const REJECT_AFTER_MESSAGES_EXACT = 2n ** 64n - 2n ** 13n - 1n;
/**
 * Counters are JS numbers, exact below 2^53. A key lives at most REJECT_AFTER_TIME (180 s),
 * and reaching 2^53 in that time would take about 5 * 10^13 packets per second, so a wire
 * counter at or above 2^53 can only come from a broken or hostile peer: it is rejected like any
 * counter beyond REJECT_AFTER_MESSAGES.
 */
export const COUNTER_LIMIT = 2 ** 53;
/** The reject limit the core actually applies (REJECT_AFTER_MESSAGES, capped to exact numbers). */
export const REJECT_AFTER_MESSAGES = COUNTER_LIMIT;

// --- Timers (section 6.1), in milliseconds.
export const REKEY_AFTER_TIME = 120_000;
export const REJECT_AFTER_TIME = 180_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_REFRESH_TIME = 120_000;
/** Handshake retransmissions get up to this much random extra delay, so peers desynchronise. */
export const REKEY_TIMEOUT_JITTER_MAX = 333;
/** After this many unanswered retransmissions (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT) we give up. */
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT;
/**
 * A peer may make us consume at most one initiation per this interval (50 per second): each
 * costs four X25519 operations, and a replayed-but-fresher initiation must not become a DoS.
 */
export const HANDSHAKE_INITIATION_RATE = 1000 / 50;

// --- Denial-of-service defences (section 5.3).
/**
 * Handshake messages per second above which the responder demands a valid mac2 (a cookie) and
 * applies the per-source rate limiter. Each handshake costs about 2 ms of X25519 in pure JS
 * (about 2 k operations per second, 4 per handshake), so this keeps handshakes under a quarter
 * of one core before cookies kick in.
 */
export const UNDER_LOAD_THRESHOLD = 128;
/** Once under load, stay under load this long after the rate drops (avoids flapping). */
export const UNDER_LOAD_AFTER_TIME = 1_000;
/** Per-source handshake rate the limiter allows under load. */
export const RATELIMIT_PACKETS_PER_SECOND = 20;
/** Handshakes a source may send back to back before the rate applies. */
export const RATELIMIT_BURST = 5;
/** Bound on tracked sources so a spoofing flood cannot grow memory; new sources beyond it are refused. */
export const RATELIMIT_MAX_ENTRIES = 16384;
/** Sources idle this long are forgotten (their bucket would be full again anyway). */
export const RATELIMIT_GC_INTERVAL = 1_000;

// --- Local choices.
/** Default replay window (counters behind the newest one still accepted), as stock peers use. */
export const REPLAY_WINDOW_DEFAULT = 8128;
/** Packets queued per peer while waiting for a handshake; beyond it the oldest are dropped. */
export const STAGED_QUEUE_SIZE = 1024;
/** The shell calls `tick` at least this often. */
export const TICK_INTERVAL_MS = 100;
/**
 * Shortest gap between two "handshake needed" requests of one peer from the sender to the
 * control plane (which itself sends at most one initiation per REKEY_TIMEOUT): keeps a flood of
 * packets without keys from becoming a flood of messages between threads.
 */
export const HANDSHAKE_REQUEST_INTERVAL = 100;
