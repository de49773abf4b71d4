/**
 * The binary wire protocol: `varUint(type) • payload`, as y-protocols, y-websocket, y-partykit and
 * y-partyserver speak it, plus yparty's opt-in durable acknowledgement. See docs/protocol.md.
 *
 * Pure functions over bytes: no socket, no Y.Doc. Encoders return the whole frame; `decodeMessage` reads
 * one frame completely or throws a `ProtocolError`.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { ProtocolError } from "./errors.js";

export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  /** yparty only, sent only to connections that opted in with `?${ACK_PARAM}=1`. */
  DurableAck: 100,
} as const;

export const SyncType = { Step1: 0, Step2: 1, Update: 2 } as const;

/** y-protocols auth: the only auth message there is, "permission denied". */
export const AuthType = { PermissionDenied: 0 } as const;

/** Query parameter with which a client opts in to durable acknowledgements. */
export const ACK_PARAM = "yparty_ack";

export type Message =
  | { type: "sync-step1"; stateVector: Uint8Array }
  | { type: "sync-step2"; update: Uint8Array }
  | { type: "update"; update: Uint8Array }
  | { type: "awareness"; update: Uint8Array }
  | { type: "query-awareness" }
  | { type: "permission-denied"; reason: string }
  | { type: "durable-ack"; count: number };

function frame(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function syncFrame(syncType: number, payload: Uint8Array): Uint8Array {
  return frame(MessageType.Sync, (encoder) => {
    encoding.writeVarUint(encoder, syncType);
    encoding.writeVarUint8Array(encoder, payload);
  });
}

/** Sync step 1: "here is my state vector, send me what I miss". */
export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array => syncFrame(SyncType.Step1, stateVector);

/** Sync step 2: the update that answers a step 1 (`Y.encodeStateAsUpdate(doc, stateVector)`). */
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => syncFrame(SyncType.Step2, update);

/** A live document update. */
export const encodeUpdate = (update: Uint8Array): Uint8Array => syncFrame(SyncType.Update, update);

/** An awareness update (`awarenessProtocol.encodeAwarenessUpdate(...)`). */
export const encodeAwareness = (update: Uint8Array): Uint8Array => frame(MessageType.Awareness, (encoder) => encoding.writeVarUint8Array(encoder, update));

/** "Send me every awareness state you know." */
export const encodeQueryAwareness = (): Uint8Array => frame(MessageType.QueryAwareness, () => {});

/** Tells a client its writes are refused (read-only connection). */
export const encodePermissionDenied = (reason: string): Uint8Array =>
  frame(MessageType.Auth, (encoder) => {
    encoding.writeVarUint(encoder, AuthType.PermissionDenied);
    encoding.writeVarString(encoder, reason);
  });

/** "The first `count` document messages you sent on this connection are durably stored." */
export const encodeDurableAck = (count: number): Uint8Array => frame(MessageType.DurableAck, (encoder) => encoding.writeVarUint(encoder, count));

function readSync(decoder: decoding.Decoder): Message {
  const syncType = decoding.readVarUint(decoder);
  const payload = decoding.readVarUint8Array(decoder);
  switch (syncType) {
    case SyncType.Step1:
      return { type: "sync-step1", stateVector: payload };
    case SyncType.Step2:
      return { type: "sync-step2", update: payload };
    case SyncType.Update:
      return { type: "update", update: payload };
    default:
      throw new ProtocolError("ERR_UNKNOWN_SYNC_TYPE", `unknown sync message type ${syncType}`);
  }
}

function readAuth(decoder: decoding.Decoder): Message {
  const authType = decoding.readVarUint(decoder);
  if (authType !== AuthType.PermissionDenied) {
    throw new ProtocolError("ERR_UNKNOWN_MESSAGE_TYPE", `unknown auth message type ${authType}`);
  }
  return { type: "permission-denied", reason: decoding.readVarString(decoder) };
}

function readMessage(decoder: decoding.Decoder): Message {
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.Sync:
      return readSync(decoder);
    case MessageType.Awareness:
      return { type: "awareness", update: decoding.readVarUint8Array(decoder) };
    case MessageType.Auth:
      return readAuth(decoder);
    case MessageType.QueryAwareness:
      return { type: "query-awareness" };
    case MessageType.DurableAck:
      return { type: "durable-ack", count: decoding.readVarUint(decoder) };
    default:
      throw new ProtocolError("ERR_UNKNOWN_MESSAGE_TYPE", `unknown message type ${type}`);
  }
}

/**
 * Reads one whole frame. Payloads are views into `bytes` (no copy). Throws `ProtocolError` for an empty,
 * truncated or unknown frame, or one with bytes left over.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.byteLength === 0) throw new ProtocolError("ERR_EMPTY_FRAME", "empty frame");
  const decoder = decoding.createDecoder(bytes);
  let message: Message;
  try {
    message = readMessage(decoder);
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    // lib0 throws plain errors ("Unexpected end of array", "Integer out of Range") on short input.
    throw new ProtocolError("ERR_TRUNCATED", `truncated frame: ${(error as Error).message}`);
  }
  if (decoding.hasContent(decoder)) {
    throw new ProtocolError("ERR_TRAILING_BYTES", `${bytes.byteLength - decoder.pos} unexpected bytes after a ${message.type} message`);
  }
  return message;
}
