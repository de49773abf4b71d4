/** The rooms protocol's wire format, shared by `yparty/rooms` and `yparty/rooms-client` (browser-safe). */
export * from "./envelope.js";
export { canonicalJson } from "./canonical-json.js";
export { crc32 } from "./crc32.js";
export { canonicalChecksum, stateChecksum } from "./checksum.js";
export { applyPatch, clone, diff, JsonPatchError, type JsonPatchOp } from "./json-patch.js";
export { MAX_ENCODED_DEPTH, MAX_FRAME_DEPTH, MAX_STATE_DEPTH, nestsDeeperThan, shapeProblemOf, wireShapeProblem } from "./depth.js";
