/** The state checksum of the protocol: CRC-32 (IEEE) of the state's RFC 8785 canonical JSON, 8 lowercase hex digits. */
import { canonicalJson } from "./canonical-json.js";
import { crc32 } from "./crc32.js";

const utf8 = new TextEncoder();

export function stateChecksum(state: unknown): string {
  return canonicalChecksum(canonicalJson(state));
}

/** The checksum of a state already written as canonical JSON. */
export function canonicalChecksum(canonical: string): string {
  return crc32(utf8.encode(canonical)).toString(16).padStart(8, "0");
}
