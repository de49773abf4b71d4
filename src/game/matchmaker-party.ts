/**
 * One matchmaker per mode (party `game-matchmaker.{mode}`, room `queue`), on the matchmaking core the rooms
 * protocol's matchmaker uses too (`formGroup`). Each session with tickets in the mode holds an in-process connection
 * (id = player id; one ticket per player and mode: adding again replaces it). When `size` tickets fit the mode's
 * rules, it names a match (`{random}.{match}`, so `match.join` knows which match runs it) and sends each of them
 * `matchmaker.matched {match_id, players, ticket_id}`: a player whose session let the queue go while the match's seats
 * were being stored (its socket dropped) is told when it has a socket again (match-notices.ts). Until a player is told,
 * it is not matched again: a ticket it added meanwhile (an app adding one as it reconnects) waits unmatched, and is
 * taken by the match when the player is told (the session drops it too). Tickets live in memory, as sessions do.
 *
 * The work stays linear in the pool: a new ticket is searched with the tickets that fit it only (a group without it
 * was there before, or came with a widening rule, which the recheck finds); the recheck goes through the pool in
 * bounded passes (`SearchPass`), each going on where the last one stopped.
 */
import type { Connection, Room, Server, Worker } from "../runtime/index.js";
import { formGroup, SearchPass } from "../rooms/matchmaking.js";
import { newId } from "../rooms/ids.js";
import type { MatchNotices } from "../rooms/match-notices.js";
import type { MatchesBeingMade } from "../rooms/matches-being-made.js";
import { GameMessage, envelopeJson, errorJson, type GameEnvelope } from "./wire.js";
import { closedToClients } from "./parties.js";
import { DEFAULT_RECHECK_MS, type ModeDefinition, type Ticket, type TicketProperties } from "./modes.js";

interface Waiting extends Ticket {
  conn: Connection;
}

export function newMatchId(match: string): string {
  return `${newId(12)}.${match}`;
}

/** The `defineMatch` name a match id names (after its last "."). */
export function matchNameOf(matchId: string): string {
  return matchId.slice(matchId.lastIndexOf(".") + 1);
}

/**
 * `name`: the mode's. `reserve`: the match a group was matched for holds a seat for each of them (stored by the
 * match's room: the match learns from it whom it waits for, whichever session joins first, also after a restart); the
 * players are told once it resolves true (false: the server stopped first, the match is dropped). `notices`: where a notice that finds its player's link closed is kept for it.
 * `beingMade`: the mode's players being matched; it outlives the room's instances (and the mount), since a reload's next
 * instance must not match a player the one it replaced is matching.
 */
export function matchmakerParty(
  name: string,
  mode: ModeDefinition,
  reserve: (queue: Room, matchId: string, players: string[]) => Promise<boolean>,
  notices: MatchNotices,
  beingMade: MatchesBeingMade,
): Worker {
  const rules = mode.rules ?? [];
  const fits = (a: Ticket, b: Ticket, now: number) => rules.every((rule) => rule(a, b, now));
  return class Matchmaker implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;
    /** A message its logic failed on leaves the protocol in no known state: the runtime closes that connection (1011). */
    readonly options = { closeOnMessageError: true };

    /** By player, in arrival order. */
    readonly #waiting = new Map<string, Waiting>();
    /** A ticket the player added while its match was being made, here or in the instance before a reload, is the match's. */
    readonly #unwatch = beingMade.watch((player) => this.#waiting.delete(player));
    #recheckTimer: NodeJS.Timeout | undefined;
    /** Where the next recheck pass starts (an index into the pool in arrival order; tickets leaving shift it a little). */
    #recheckFrom = 0;

    constructor(readonly room: Room) {}

    onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): void {
      if (typeof message !== "string") return;
      const { cid, type, payload } = JSON.parse(message) as GameEnvelope<{ ticket_id: string; properties: TicketProperties }>;
      if (type === GameMessage.MatchmakerAdd) {
        this.#waiting.delete(conn.id);
        const ticket: Waiting = { conn, player: conn.id, since: Date.now(), ticket_id: payload.ticket_id, properties: payload.properties };
        this.#waiting.set(conn.id, ticket);
        this.#matchWith(ticket);
      } else if (type === GameMessage.MatchmakerRemove) {
        // Answered here, where it is known whether the ticket still waits: one matched already is not removed.
        if (this.#waiting.get(conn.id)?.ticket_id === payload.ticket_id) {
          this.#waiting.delete(conn.id);
          conn.send(envelopeJson(GameMessage.MatchmakerRemove, { ticket_id: payload.ticket_id }, cid));
        } else {
          const reason = `ticket "${payload.ticket_id}" is not waiting: it was matched (matchmaker.matched follows)`;
          conn.send(errorJson(reason, cid));
        }
      }
      this.#schedule();
    }

    onClose(conn: Connection): void {
      if (this.#waiting.get(conn.id)?.conn === conn) this.#waiting.delete(conn.id);
      this.#schedule();
    }

    onStop(): void {
      clearInterval(this.#recheckTimer);
      this.#unwatch();
    }

    /** A new ticket: the groups it can be in are of the tickets that fit it. */
    #matchWith(ticket: Waiting): void {
      if (beingMade.has(ticket.player)) return;
      const now = Date.now();
      const pool = this.#pool().filter((other) => other === ticket || (other.player !== ticket.player && fits(ticket, other, now)));
      this.#matchIn(pool, new SearchPass(), now);
    }

    /** The recheck: one bounded pass over the whole pool, from where the last one stopped. */
    #recheck(): void {
      const pool = this.#pool();
      const pass = new SearchPass(this.#recheckFrom);
      this.#matchIn(pool, pass, Date.now());
      this.#recheckFrom = pass.at + mode.size > pool.length ? 0 : pass.at;
    }

    /** The tickets that may be matched: not those of players whose match is being made. */
    #pool(): Waiting[] {
      return [...this.#waiting.values()].filter((ticket) => !beingMade.has(ticket.player));
    }

    /** Matches the groups `pass` finds in `pool` (taking them out of it). */
    #matchIn(pool: Waiting[], pass: SearchPass, now: number): void {
      for (let group = formGroup(pool, mode.size, fits, now, pass); group; group = formGroup(pool, mode.size, fits, now, pass)) {
        const payload = { match_id: newMatchId(mode.match), players: group.map((ticket) => ticket.player) };
        for (const ticket of group) {
          this.#waiting.delete(ticket.player);
          beingMade.made(ticket.player);
          pool.splice(pool.indexOf(ticket), 1);
        }
        void reserve(this.room, payload.match_id, payload.players).then((tell) => {
          if (!tell) return group.forEach((ticket) => beingMade.dropped(ticket.player)); // the server stopped first
          for (const { conn, player, ticket_id } of group) {
            // A ticket the player added while the match was being made is the match's: its session drops it as it tells.
            beingMade.told(player);
            const frame = envelopeJson(GameMessage.MatchmakerMatched, { ...payload, ticket_id });
            // Its session let the queue go meanwhile (its socket dropped): the seat is held all the same.
            if (conn.readyState === conn.OPEN) conn.send(frame);
            else notices.hold(player, { queue: name, roomType: mode.match, room: payload.match_id, frame });
          }
        });
      }
    }

    /** Tickets that wait are matched again now and then (rules widen with the wait); no timer while none wait. */
    #schedule(): void {
      if (this.#waiting.size >= mode.size && rules.length > 0) {
        this.#recheckTimer ??= setInterval(() => this.#recheck(), mode.recheckMs ?? DEFAULT_RECHECK_MS);
      } else {
        clearInterval(this.#recheckTimer);
        this.#recheckTimer = undefined;
      }
    }
  };
}
