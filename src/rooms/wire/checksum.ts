/** The state checksum of the protocol: CRC-32 (IEEE) of the state's RFC 8785 canonical JSON, 8 lowercase hex digits. */
import { canonicalJson } from "./canonical-json.js";
import { crc32 } from "./crc32.js";

const utf8 = new TextEncoder();

export function stateChecksum(state: unknown): string {
  return canonicalChecksum(canonicalJson(state));
}

/**
 * The checksum of a state already written as canonical JSON. A lone surrogate counts as U+FFFD, which is what a
 * MessagePack client gets for one (UTF-8 has no form for it): every codec's client computes the same checksum.
 */
export function canonicalChecksum(canonical: string): string {
  return crc32(utf8.encode(canonical.includes("\\ud") ? canonical.replace(LONE_SURROGATE_ESCAPE, "$1\ufffd") : canonical))
    .toString(16)
    .padStart(8, "0");
}

/** JSON.stringify writes a lone surrogate (and only one) as a `\udXXX` escape: one not itself escaped (`\\udXXX` is text). */
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;
