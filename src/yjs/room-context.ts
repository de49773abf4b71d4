/**
 * What the Yjs faces need from a yparty room: where its document is stored, a logger, and whether a
 * socket asked for durable acks. Kept in one place so the faces stay free of runtime details.
 */
import { ACK_PARAM } from "../protocol/index.js";
import { documentStorage, type DocumentStorage } from "../runtime/document-storage.js";
import { createLogger, type Logger } from "../runtime/log.js";
import { resolveYjsLimits, type YjsLimits } from "./defaults.js";
import type { Connection, Room } from "../runtime/party-types.js";

let fallbackLogger: Logger | undefined;

/** The server's logger when the runtime hands one out with the room's storage, else one on stderr. */
export function roomLogger(room: Room): Logger {
  return tryDocumentStorage(room)?.logger ?? (fallbackLogger ??= createLogger());
}

/** The room's DocStore and document name, or `undefined` for a room yparty did not make (tests, other hosts). */
export function tryDocumentStorage(room: Room): DocumentStorage | undefined {
  try {
    return documentStorage(room);
  } catch {
    return undefined;
  }
}

/** The server's Yjs limits (`createServer({ documentLimits })`), or the defaults for a room yparty did not make. */
export function yjsLimits(room: Room): YjsLimits {
  return resolveYjsLimits(tryDocumentStorage(room)?.documentLimits);
}

/**
 * Whether the socket connected with `?yparty_ack=1`. Asked on every connect: a URL whose query cannot hold the
 * parameter (it names no `yparty_ack` and has no percent-escape that could spell it) is not parsed.
 */
export function wantsDurableAcks(conn: Connection): boolean {
  const uri = conn.uri;
  const query = uri.indexOf("?");
  if (query < 0 || (!uri.includes(ACK_PARAM, query) && !uri.includes("%", query))) return false;
  try {
    return new URL(uri, "http://localhost").searchParams.get(ACK_PARAM) === "1";
  } catch {
    return false;
  }
}
