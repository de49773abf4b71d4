/**
 * A connection that was still waiting for its room's start when that room instance stopped (a `dev` reload, a
 * shutdown), with the frames the room held for it: it goes to the room's next instance — `onConnect`, those frames,
 * and `onClose` once its socket closed — as a request waiting for the start does, so that what its client sent before
 * the stop is not lost. Its socket stays the old connection's (the stopped instance closed it); that instance reports
 * its close here, and whoever took the connection hears of it.
 */
import type { WebSocket as WsSocket } from "ws";
import type { Frame } from "./inbox.js";
import type { ConnectionContext } from "./party-types.js";

type CloseListener = (code: number, reason: string) => void;

export class HandedConnection {
  #close: { code: number; reason: string } | undefined;
  #listener: CloseListener | undefined;

  constructor(
    readonly id: string,
    readonly uri: string,
    readonly ws: WsSocket,
    readonly ctx: ConnectionContext,
    /** What its client sent while it waited, in order. */
    readonly frames: Frame[],
  ) {}

  /**
   * A frame its client sent before it saw the stop's close (told by the instance it left). They all come before the
   * socket's close, and the next instance takes the connection only after that: none arrives once it has.
   */
  received(frame: Frame): void {
    this.frames.push(frame);
  }

  /** Its socket closed (told by the instance it left). */
  closed(code: number, reason: string): void {
    if (this.#listener) this.#listener(code, reason);
    else this.#close ??= { code, reason };
  }

  /** Calls `listener` once its socket has closed: now if it has already. */
  onClosed(listener: CloseListener): void {
    const close = this.#close;
    if (close) listener(close.code, close.reason);
    else this.#listener = listener;
  }
}
