/**
 * The error the wire decoder throws for a frame it refuses (`ProtocolError`): a stable code, and the close code its
 * connection gets (1009 for a batch over the size limit, 1007 for a frame that does not follow the protocol).
 */
import { CloseCode } from "./close-codes.js";

/** Stable codes for frames the protocol decoder refuses. */
export type ProtocolErrorCode =
  | "ERR_EMPTY_FRAME"
  | "ERR_TRUNCATED"
  | "ERR_UNKNOWN_MESSAGE_TYPE"
  | "ERR_UNKNOWN_SYNC_TYPE"
  | "ERR_TRAILING_BYTES"
  | "ERR_BAD_BATCH"
  /** A y-partykit batch announcing more bytes than the room's `maxBatchBytes`: a size limit (1009), not a malformed frame. */
  | "ERR_BATCH_TOO_LARGE";

/** A frame that does not follow the wire protocol. The connection that sent it is closed with `closeCode`. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** 1009 for a size limit (as the room's other limits), 1007 for a frame that does not follow the protocol. */
  get closeCode(): number {
    return this.code === "ERR_BATCH_TOO_LARGE" ? CloseCode.MessageTooBig : CloseCode.InvalidMessage;
  }
}
