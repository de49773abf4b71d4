/**
 * A player's presence as friends see it: a status and, set by `presence.update`, its metadata (seed 002:
 * `{"status": "in_game", "metadata": {"match_id": "..."}}`, what a friend needs to follow the player into its match).
 * Both are told to friends in `presence.changed` and listed by `GET /api/friends`; going online or offline has none.
 */
import { isRecord } from "./wire.js";

export const ONLINE = "online";
export const OFFLINE = "offline";
const MAX_STATUS_LENGTH = 64;

export interface Presence {
  status: string;
  metadata?: Record<string, unknown>;
}

/**
 * The presence a `presence.update` payload sets, or why it is refused (the answer's `error` reason). Its metadata is
 * at most `maxMetadataBytes` of JSON: it goes to every friend on every update and into each friend's GET /api/friends
 * (500 friends × a 64 KiB frame's worth was 32 MiB a list, and as much sent per update).
 */
export function presenceOf(payload: Record<string, unknown>, maxMetadataBytes: number): Presence | { refused: string } {
  const { status, metadata } = payload;
  if (typeof status !== "string" || status === "" || status.length > MAX_STATUS_LENGTH || status === OFFLINE)
    return { refused: `payload.status must be a non-empty string of at most ${MAX_STATUS_LENGTH} characters, not "${OFFLINE}"` };
  if (metadata === undefined) return { status };
  if (!isRecord(metadata)) return { refused: "payload.metadata, when given, must be an object (e.g. {match_id})" };
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > maxMetadataBytes)
    return {
      refused: `payload.metadata is ${bytes} bytes of JSON, more than maxPresenceMetadataBytes (${maxMetadataBytes}): send what a friend needs, e.g. {match_id}`,
    };
  return { status, metadata };
}
