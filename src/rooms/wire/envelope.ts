/**
 * The rooms protocol's frames (seed 004): an envelope `{t, p, rid?}`, as JSON text or as MessagePack binary
 * carrying the same envelope. Browser-safe: the client and the server share it.
 */
import { decode as decodeMsgpack, encode as encodeMsgpack } from "@msgpack/msgpack";
import { MAX_ENCODED_DEPTH, MAX_FRAME_DEPTH, wireShapeProblem } from "./depth.js";

export type Codec = "json" | "msgpack";
export const CODECS: readonly Codec[] = ["json", "msgpack"];

export type RequestId = string | number;

export interface Envelope<P = unknown> {
  t: string;
  p: P;
  rid?: RequestId;
}

/** Every message type of the catalog. */
export const MessageType = {
  Handshake: "handshake",
  HandshakeOk: "handshake.ok",
  Error: "error",
  JoinOrCreate: "room.join_or_create",
  Leave: "room.leave",
  List: "room.list",
  RpcResponse: "rpc.response",
  Message: "room.message",
  MessageBytes: "room.message.bytes",
  Snapshot: "state.snapshot",
  Patch: "state.patch",
  Ack: "state.ack",
  Resync: "state.resync",
  Enqueue: "matchmaking.enqueue",
  Dequeue: "matchmaking.dequeue",
  MatchFound: "match.found",
} as const;

/** One entry of `room.list`'s answer. */
export interface RoomListing {
  room: string;
  room_type: string;
  /**
   * The seats no join can take: the players in the room, those with a seat kept since it stopped, and (as `room.list`
   * answers it: directory.ts) those a match holds for its participants not in yet and those promised to joins on their
   * way. Below `max_clients`: a join fits.
   */
  clients: number;
  max_clients: number;
  metadata: Record<string, unknown>;
}

/** The payload of `match.found`. */
export interface MatchFound {
  room: string;
  room_type: string;
  size: number;
  /** Player ids. */
  participants: string[];
}

/** Close codes of the rooms protocol (besides the runtime's, e.g. 1001 at shutdown). */
export const RoomsCloseCode = {
  /** A frame before the handshake, a malformed handshake, or too many bad frames after it. */
  BadRequest: 4400,
  /** The token was refused. */
  Unauthorized: 4401,
  /** The client did not read fast enough for reliable messages (the runtime's SendBufferFull). */
  TooSlow: 4008,
} as const;

/** A frame that is not an envelope; `reason` says what is wrong, for the `error` answer. */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
}

export function encodeEnvelope(codec: Codec, envelope: Envelope): string | Uint8Array {
  return codec === "json" ? JSON.stringify(envelope) : encodeMsgpack(envelope, { ignoreUndefined: true, maxDepth: MAX_ENCODED_DEPTH });
}

/** Decodes and checks the envelope's shape (not the payload's: each type does). */
export function decodeEnvelope(codec: Codec, frame: string | Uint8Array): Envelope<Record<string, unknown>> {
  let value: unknown;
  if (codec === "json") {
    if (typeof frame !== "string") throw new EnvelopeError("expected a JSON text frame (the session's codec is json)");
    try {
      value = JSON.parse(frame);
    } catch {
      throw new EnvelopeError("the frame is not valid JSON");
    }
  } else {
    if (typeof frame === "string") throw new EnvelopeError("expected a MessagePack binary frame (the session's codec is msgpack)");
    try {
      value = decodeMsgpack(frame);
    } catch {
      throw new EnvelopeError("the frame is not valid MessagePack");
    }
  }
  const problem = wireShapeProblem(value, MAX_FRAME_DEPTH);
  if (problem !== undefined) throw new EnvelopeError(`the frame ${problem}`);
  return checkEnvelope(value);
}

export function checkEnvelope(value: unknown): Envelope<Record<string, unknown>> {
  if (!isRecord(value)) throw new EnvelopeError("an envelope is an object {t, p, rid?}");
  const { t, p, rid } = value;
  if (typeof t !== "string" || t === "") throw new EnvelopeError('the envelope has no type "t"');
  if (p !== undefined && !isRecord(p)) throw new EnvelopeError('the payload "p" must be an object');
  if (rid !== undefined && typeof rid !== "string" && !(typeof rid === "number" && Number.isFinite(rid))) {
    throw new EnvelopeError('"rid" must be a string or a number');
  }
  return rid === undefined ? { t, p: (p ?? {}) as Record<string, unknown> } : { t, p: (p ?? {}) as Record<string, unknown>, rid };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
