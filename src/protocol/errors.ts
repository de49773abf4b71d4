import { CloseCode } from "./close-codes.js";

/** Stable codes for frames the protocol decoder refuses. */
export type ProtocolErrorCode =
  | "ERR_EMPTY_FRAME"
  | "ERR_TRUNCATED"
  | "ERR_UNKNOWN_MESSAGE_TYPE"
  | "ERR_UNKNOWN_SYNC_TYPE"
  | "ERR_TRAILING_BYTES"
  | "ERR_BAD_BATCH";

/** A frame that does not follow the wire protocol. The connection that sent it is closed with `closeCode`. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  readonly closeCode = CloseCode.InvalidMessage;
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}
