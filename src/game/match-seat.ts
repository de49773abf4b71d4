/**
 * A session's seat in its match: the in-process connection to the match room (the rooms link: `~join`, then
 * `room.message`s both ways), the answer to its `match.join`, and what the room sends translated to the client's
 * envelope. A reload of the server's code (1012) takes the seat again by itself (or goes on with its join); any other
 * close by the room ends it.
 */
import { CloseCode, type LocalConnection, type SocketHost } from "../runtime/index.js";
import { Link } from "../rooms/link.js";
import { GameErrorCode, GameMessage, envelopeJson, errorJson } from "./wire.js";
import { matchPartyName } from "./parties.js";
import { matchNameOf } from "./matchmaker-party.js";
import { MatchLink } from "./match-room.js";

export interface SeatOwner {
  /** A frame for the client (`type`: the match message's, for one the room sent). */
  send(frame: string, type?: string): void;
  /** An `error` the room answered a bad frame of the client with (it counts toward `maxProtocolErrors`). */
  refused(frame: string): void;
  /** The room closed the seat for good (a fault, a refused join): the session is no longer in the match. */
  lost(seat: MatchSeat): void;
  /** A reload closed the seat and it took its place again: what the old room had not answered, it never will. */
  retaken(seat: MatchSeat): void;
}

export class MatchSeat {
  readonly matchId: string;
  joined = false;
  #conn: LocalConnection;
  #joinCid: string | undefined;
  #joinAnswered = false;
  #leaving = false;

  /** Throws when the match's party is gone (a reload removed it) or the server is closing. */
  constructor(
    matchId: string,
    cid: string | undefined,
    private readonly host: SocketHost,
    private readonly player: string,
    private readonly owner: SeatOwner,
  ) {
    this.matchId = matchId;
    this.#joinCid = cid;
    this.#conn = this.#open();
  }

  #open(): LocalConnection {
    const conn = this.host.connect(matchPartyName(matchNameOf(this.matchId)), this.matchId, this.player, {
      onMessage: (frame) => this.#fromRoom(frame),
      onClose: (code, reason) => this.#closed(conn, code, reason),
    });
    conn.send(JSON.stringify({ t: Link.Join, p: { player: this.player, options: {} } }));
    return conn;
  }

  /** An input or a vote (`MatchLink` type), with the client's payload and cid. */
  forward(type: string, payload: Record<string, unknown>, cid: string | undefined): void {
    const data = cid === undefined ? { payload } : { cid, payload };
    this.#conn.send(JSON.stringify({ t: "room.message", p: { room: this.matchId, type, data } }));
  }

  /**
   * `match.join` of the match the session is in already (a reconnect): it goes on where it was. The room tells it
   * again what it may have missed while away (`match.started`, votes started meanwhile, `match.finished`).
   */
  joinedAgain(cid: string | undefined): void {
    this.owner.send(envelopeJson(GameMessage.MatchJoin, { match_id: this.matchId }, cid));
    this.forward(MatchLink.Again, {}, undefined);
  }

  /** Leaves the match (its `onLeave` runs); a join still waiting is answered with an error. */
  leave(reason: string): void {
    this.#leaving = true;
    this.#conn.close(1000, reason);
    this.#answerJoin(errorJson(`left match "${this.matchId}" before the join was done`, this.#joinCid, GameErrorCode.RuntimeException));
  }

  #fromRoom(frame: string | Uint8Array): void {
    if (typeof frame !== "string") return;
    if (frame === lastMatchFrame.frame) return this.owner.send(lastMatchFrame.out); // a broadcast another seat translated
    const { t, p } = JSON.parse(frame) as { t: string; p: Record<string, any> };
    switch (t) {
      case Link.Joined:
        this.joined = true;
        return this.#answerJoin(envelopeJson(GameMessage.MatchJoin, { match_id: this.matchId }, this.#joinCid));
      case Link.Refused:
        return this.#answerJoin(errorJson(p.reason, this.#joinCid, GameErrorCode.MatchJoinRejected));
      case "room.message": {
        const out = matchFrame(frame, p.type, p.data);
        if (p.type === GameMessage.Error && p.data?.counts !== false) return this.owner.refused(out);
        return this.owner.send(out, p.type);
      }
      case "error":
        return this.owner.send(errorJson(p.reason, undefined, GameErrorCode.RuntimeException));
    }
  }

  #answerJoin(frame: string): void {
    if (this.#joinAnswered) return;
    this.#joinAnswered = true;
    this.owner.send(frame);
  }

  #closed(conn: LocalConnection, code: number, reason: string): void {
    if (this.#leaving || conn !== this.#conn) return;
    // The server's code was reloaded (yparty dev): take the seat again, or go on with the join under way, in the match's
    // next instance, on the reloaded code (the join is answered from there); the match goes on.
    if (code === CloseCode.ServiceRestart) {
      try {
        this.#conn = this.#open();
        return this.owner.retaken(this);
      } catch {
        // the match is gone from the new code: lost below
      }
    }
    this.owner.lost(this);
    if (!this.joined)
      return this.#answerJoin(errorJson(`match "${this.matchId}" could not be joined (${code} ${reason})`, this.#joinCid, GameErrorCode.RuntimeException));
    this.owner.send(errorJson(`match "${this.matchId}" closed the connection (${code} ${reason})`, undefined, GameErrorCode.RuntimeException));
  }
}

/**
 * The match room's `room.message {type, data: {cid?, payload}}` as the client's `{cid?, type, payload}`. A room
 * sends one frame to all its players: the last translation is kept, so a broadcast is parsed once, not per player.
 */
function matchFrame(frame: string, type: string, data: { cid?: string; payload: unknown }): string {
  const out = envelopeJson(type, data.payload, data.cid);
  // Not an error: each is counted by the session it reaches, so none may go by as a copy.
  if (type !== GameMessage.Error) lastMatchFrame = { frame, out };
  return out;
}

let lastMatchFrame = { frame: "", out: "" };
