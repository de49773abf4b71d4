/** The state checksum of the protocol: CRC-32 (IEEE) of the state's RFC 8785 canonical JSON, 8 lowercase hex digits. */
import { canonicalJson } from "./canonical-json.js";
import { crc32 } from "./crc32.js";

const utf8 = new TextEncoder();

export function stateChecksum(state: unknown): string {
  return crc32(utf8.encode(canonicalJson(state))).toString(16).padStart(8, "0");
}
