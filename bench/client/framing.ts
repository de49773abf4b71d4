/**
 * How each server under test frames y-protocols messages on the wire, so scenarios stay server-agnostic.
 * A scenario speaks plain y-protocols frames (`src/protocol`); a `Framing` maps them to and from the wire.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { MessageType } from "../../src/protocol/index.js";

export interface Framing {
  /** WebSocket URL of `room` on a server listening on `port`; `query` is appended as is (e.g. "yparty_ack=1"). */
  url(port: number, room: string, query?: string): string;
  /** Wire frames to send right after the socket opens (Hocuspocus: its auth message). */
  hello(room: string): Uint8Array[];
  /** A y-protocols frame as it goes on the wire. */
  wrap(room: string, frame: Uint8Array): Uint8Array;
  /** The y-protocols frame inside a wire frame, or `null` for a server-specific control message. */
  unwrap(data: Uint8Array): Uint8Array | null;
  /** `false` for the relay: it has no document, so there is no sync handshake. */
  readonly syncs: boolean;
}

const withQuery = (url: string, query?: string): string => (query ? `${url}?${query}` : url);

/** y-protocols frames as they are, the room in the URL path (y-websocket, yparty, the relay). */
function pathFraming(prefix: string, syncs: boolean): Framing {
  return {
    url: (port, room, query) => withQuery(`ws://127.0.0.1:${port}${prefix}${encodeURIComponent(room)}`, query),
    hello: () => [],
    wrap: (_room, frame) => frame,
    unwrap: (data) => data,
    syncs,
  };
}

/** Hocuspocus message types beyond y-protocols (@hocuspocus/server src/types.ts). */
const HOCUSPOCUS = { SyncReply: 4, AuthToken: 0 } as const;

/**
 * Hocuspocus multiplexes documents on one socket: every message starts with the document name as a
 * varString, and a document's first message must be an auth message (token may be empty when the server
 * has no onAuthenticate hook). "SyncReply" (4) is a sync message that must not trigger another step 1.
 */
const hocuspocusFraming: Framing = {
  url: (port, _room, query) => withQuery(`ws://127.0.0.1:${port}/`, query),
  hello(room) {
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, room);
    encoding.writeVarUint(encoder, MessageType.Auth);
    encoding.writeVarUint(encoder, HOCUSPOCUS.AuthToken);
    encoding.writeVarString(encoder, "");
    return [encoding.toUint8Array(encoder)];
  },
  wrap(room, frame) {
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, room);
    encoding.writeUint8Array(encoder, frame);
    return encoding.toUint8Array(encoder);
  },
  unwrap(data) {
    const decoder = decoding.createDecoder(data);
    decoding.readVarString(decoder);
    const typeStart = decoder.pos;
    const type = decoding.readVarUint(decoder);
    if (type === HOCUSPOCUS.SyncReply) {
      const frame = new Uint8Array(1 + data.byteLength - decoder.pos);
      frame[0] = MessageType.Sync;
      frame.set(data.subarray(decoder.pos), 1);
      return frame;
    }
    const plain: number[] = [MessageType.Sync, MessageType.Awareness, MessageType.QueryAwareness];
    return plain.includes(type) ? data.subarray(typeStart) : null;
  },
  syncs: true,
};

export type FramingId = "path" | "yparty" | "hocuspocus" | "relay";

export const FRAMINGS: Record<FramingId, Framing> = {
  path: pathFraming("/", true),
  yparty: pathFraming("/parties/main/", true),
  hocuspocus: hocuspocusFraming,
  relay: pathFraming("/", false),
};
