/**
 * Errors of the Yjs room, each with a stable `code`. Those that end a connection carry the close code
 * (see docs/protocol.md); those that end an HTTP request carry the status.
 */
import { CloseCode } from "../protocol/index.js";

export type YjsErrorCode =
  /**
   * A sync step 2 or update Yjs cannot decode, or could not apply whole (it would throw half-way), or that nests
   * shared types deeper than `MAX_TYPE_DEPTH`.
   */
  | "ERR_INVALID_UPDATE"
  /** A sync step 2 or update holding more structs and deleted ranges the document lacks than `maxUpdateStructs`. */
  | "ERR_UPDATE_TOO_LARGE"
  /** A sync step 1 whose state vector Yjs cannot decode. */
  | "ERR_INVALID_STATE_VECTOR"
  /** An awareness update that is truncated or holds a state that is not JSON. */
  | "ERR_INVALID_AWARENESS"
  /** A client sent a message only servers send (permission denied, durable ack). */
  | "ERR_UNEXPECTED_MESSAGE"
  /** The document could not be loaded (`load()`/`onLoad()` threw, or storage failed). Retried on the next try. */
  | "ERR_LOAD_FAILED"
  /** The stored document is known to miss acknowledged updates (damaged storage); refused until `yparty repair`. */
  | "ERR_DOCUMENT_DAMAGED"
  /** HTTP: the disk is full, the update is applied but not stored yet (stored when space returns). */
  | "ERR_STORAGE_FULL"
  /** The store has not taken `maxUnstoredBytes` of changes yet (it is away): new changes are refused until it does. */
  | "ERR_STORAGE_BACKLOG"
  /** Appending to the document store failed; retried in the background. */
  | "ERR_APPEND_FAILED"
  /** Merging the stored log failed; the log stays as it was and is merged later. */
  | "ERR_COMPACT_FAILED"
  /** The change callback (handler or URL) failed. */
  | "ERR_CALLBACK_FAILED"
  /** The room was stopped while the operation waited. */
  | "ERR_ROOM_STOPPED"
  /** HTTP: the request body or query is not what the API takes. */
  | "ERR_BAD_REQUEST"
  /** HTTP: a write to a read-only room. */
  | "ERR_READ_ONLY"
  /** HTTP: GET of a room that has no document (a GET never creates one). */
  | "ERR_ROOM_NOT_FOUND"
  /** HTTP: a method the API does not take. */
  | "ERR_METHOD_NOT_ALLOWED"
  /** HTTP: a body over `MAX_HTTP_UPDATE_BYTES`. */
  | "ERR_BODY_TOO_BIG"
  /** A write that would take the document past `limits.maxDocumentBytes` (HTTP 413, close 1009). */
  | "ERR_DOCUMENT_TOO_LARGE"
  /** A write that may wait for changes the room has not seen, past `MAX_PENDING_BYTES` waiting (HTTP 413, close 1009). */
  | "ERR_PENDING_TOO_LARGE"
  /** HTTP: a POST whose Content-Type is not `application/octet-stream`, or whose body is compressed (Content-Encoding). */
  | "ERR_UNSUPPORTED_MEDIA_TYPE";

export class YjsError extends Error {
  override readonly name = "YjsError";
  constructor(
    readonly code: YjsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The close code a connection gets when this error ends it. */
  get closeCode(): number {
    switch (this.code) {
      case "ERR_LOAD_FAILED":
      case "ERR_DOCUMENT_DAMAGED":
      case "ERR_STORAGE_BACKLOG":
        return CloseCode.TryAgainLater;
      case "ERR_DOCUMENT_TOO_LARGE":
      case "ERR_PENDING_TOO_LARGE":
        return CloseCode.MessageTooBig;
      case "ERR_INVALID_UPDATE":
      case "ERR_INVALID_STATE_VECTOR":
      case "ERR_INVALID_AWARENESS":
      case "ERR_UNEXPECTED_MESSAGE":
        return CloseCode.InvalidMessage;
      case "ERR_UPDATE_TOO_LARGE":
        return CloseCode.MessageTooBig;
      default:
        return CloseCode.InternalError;
    }
  }

  /** The HTTP status a request gets when this error ends it. */
  get status(): number {
    switch (this.code) {
      case "ERR_BAD_REQUEST":
      case "ERR_INVALID_UPDATE":
        return 400;
      case "ERR_READ_ONLY":
        return 403;
      case "ERR_ROOM_NOT_FOUND":
        return 404;
      case "ERR_METHOD_NOT_ALLOWED":
        return 405;
      case "ERR_BODY_TOO_BIG":
      case "ERR_DOCUMENT_TOO_LARGE":
      case "ERR_PENDING_TOO_LARGE":
      case "ERR_UPDATE_TOO_LARGE":
        return 413;
      case "ERR_UNSUPPORTED_MEDIA_TYPE":
        return 415;
      case "ERR_LOAD_FAILED":
      case "ERR_DOCUMENT_DAMAGED":
      case "ERR_APPEND_FAILED":
      case "ERR_STORAGE_BACKLOG":
      case "ERR_ROOM_STOPPED":
        return 503;
      case "ERR_STORAGE_FULL":
        return 507;
      default:
        return 500;
    }
  }
}

export const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/** What refuses an update: a `YjsError` as it is, anything Yjs threw as `ERR_INVALID_UPDATE`. */
export function asRefusal(error: unknown): YjsError {
  return error instanceof YjsError ? error : new YjsError("ERR_INVALID_UPDATE", `Yjs refused the update: ${asError(error).message}`, { cause: error });
}
