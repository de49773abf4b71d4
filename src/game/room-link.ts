/**
 * A session's in-process connection to one of its socket-bound rooms (its player room, a chat channel, a
 * matchmaker), with two things a bare `LocalConnection` lacks:
 * - The requests passed to the room that it has not answered yet (those with a `cid`: the rooms answer with it
 *   first in the frame). A `leave` lets the room answer them before the link closes (a `chat.send` right before a
 *   `chat.leave` went out to the channel: its sender hears so), and a room that closes the link answers them `error`.
 * - A reload of the server's code (`server.reload`, `yparty dev`: the rooms close their connections 1012 and come
 *   back with the new code) connects again, and the owner announces itself again (`reopened`) with `quiet`
 *   requests, whose answers the client does not get — as the match seat takes its seat again. A request the reload
 *   cut off is answered `error` (send it again), or, when it may be sent twice (`retry`: the room knows it again by a
 *   key in it), is sent again to the room started again, which answers it.
 */
import { CloseCode, type LocalConnection, type SocketHost } from "../runtime/index.js";
import { newId } from "../rooms/ids.js";
import { GameErrorCode, envelopeJson, errorJson } from "./wire.js";

export interface RoomLinkOwner {
  /** A frame of the room for the client (answers and the room's own messages). */
  onMessage(frame: string): void;
  /** The link's own `error` answering a request the room can no longer answer (not the client's fault). */
  answer(frame: string): void;
  /** The link came back after a reload: announce the session to the room again. */
  reopened?(link: RoomLink): void;
  /** The room closed the link for good (its unanswered requests were answered `error`), or a leave ended. */
  closed?(link: RoomLink): void;
}

/** The `cid` of a frame written by `envelopeJson` (`{"cid":…` first), without parsing the rest. */
const CID = /^\{"cid":("(?:[^"\\]|\\.)*")/;

export function cidOf(frame: string): string | undefined {
  const match = CID.exec(frame);
  return match ? (JSON.parse(match[1]!) as string) : undefined;
}

export class RoomLink {
  #conn: LocalConnection;
  /** Requests the room has yet to answer, in order (with the frame, when it is sent again after a reload). */
  readonly #waiting: Array<{ cid: string; frame?: string }> = [];
  /** The cid of requests the session makes on its own (after a reload): their answers stay here. */
  readonly #quietCid = `~${newId(12)}`;
  #leaving = false;
  #opened = 0;

  constructor(
    private readonly host: SocketHost,
    private readonly party: string,
    private readonly room: string,
    private readonly id: string,
    private readonly owner: RoomLinkOwner,
  ) {
    this.#conn = this.#open();
  }

  get open(): boolean {
    return this.#conn.open && !this.#leaving;
  }

  /** A client's request: its answer is owed. `retry`: the room answers it sent twice as sent once. */
  request(frame: string, cid: string | undefined, retry = false): void {
    if (!this.#conn.open) return this.owner.answer(errorJson("the room is not reachable (closed): try again", cid, GameErrorCode.RuntimeException));
    if (cid !== undefined) this.#waiting.push(retry ? { cid, frame } : { cid });
    this.#conn.send(frame);
  }

  /** A message the session sends on its own; `quiet`: one whose answer the client does not get. */
  send(type: string, payload: unknown, quiet = false): void {
    this.#conn.send(envelopeJson(type, payload, quiet ? this.#quietCid : undefined));
  }

  /** Closes once the room has answered what it was asked; meanwhile only those answers reach the client. */
  leave(): void {
    this.#leaving = true;
    if (this.#waiting.length === 0) this.#conn.close(1000, "Left");
  }

  /**
   * Joined again while leaving (a `chat.leave` then a `chat.join` at once): stays, instead of a new link with the same
   * id replacing this one (4009) before the room's answers to what it was asked came back. False once it is closed.
   */
  stay(): boolean {
    if (!this.#leaving || !this.#conn.open) return false;
    this.#leaving = false;
    return true;
  }

  /** Closes at once (the socket is gone: nobody to answer). */
  close(reason: string): void {
    this.#leaving = true;
    this.#conn.close(1000, reason);
  }

  #open(): LocalConnection {
    // Which connection is the current one (a live room may answer inside `connect`, before it returns).
    const opening = ++this.#opened;
    return this.host.connect(this.party, this.room, this.id, {
      onMessage: (frame) => {
        if (opening === this.#opened && typeof frame === "string") this.#fromRoom(frame);
      },
      onClose: (code, reason) => {
        if (opening === this.#opened) this.#closed(code, reason);
      },
    });
  }

  #fromRoom(frame: string): void {
    const cid = cidOf(frame);
    if (cid === this.#quietCid) return;
    const index = cid === undefined ? -1 : this.#waiting.findIndex((request) => request.cid === cid);
    if (index >= 0) this.#waiting.splice(index, 1);
    else if (this.#leaving) return; // the room's own messages stop at the leave
    this.owner.onMessage(frame);
    if (this.#leaving && this.#waiting.length === 0) this.#conn.close(1000, "Left");
  }

  #closed(code: number, reason: string): void {
    const reopening = code === CloseCode.ServiceRestart;
    const cutOff = this.#waiting.splice(0);
    const again = reopening ? cutOff.filter((request) => request.frame !== undefined) : [];
    // What the room had not answered is lost with the connection (but for what is sent again).
    const lost = (request: { cid: string }) =>
      this.owner.answer(errorJson(`the room closed before answering (${code} ${reason}): try again`, request.cid, GameErrorCode.RuntimeException));
    for (const request of cutOff) if (!again.includes(request)) lost(request);
    // A leaving link comes back only for what it sends again, and leaves once that is answered. It announces itself
    // as any link does: a join that keeps it (`stay`) is then answered by the room as a join again, whole.
    if (reopening && (!this.#leaving || again.length > 0)) {
      try {
        this.#conn = this.#open();
        this.owner.reopened?.(this);
        for (const request of again) this.request(request.frame!, request.cid, true);
        if (this.#leaving && this.#waiting.length === 0) this.#conn.close(1000, "Left");
        return;
      } catch {
        // its party is gone from the new code: closed below
      }
    }
    again.forEach(lost);
    this.#leaving = true;
    this.owner.closed?.(this);
  }
}
