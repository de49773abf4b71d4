/**
 * One matchmaker per mode (party `game-matchmaker.{mode}`, room `queue`), on the matchmaking core the rooms
 * protocol's matchmaker uses too (`formGroup`). Each session with tickets in the mode holds an in-process connection
 * (id = player id; one ticket per player and mode: adding again replaces it). When `size` tickets fit the mode's
 * rules, it names a match (`{random}.{match}`, so `match.join` knows which match runs it) and sends each of them
 * `matchmaker.matched {match_id, players, ticket_id}`. Tickets live in memory, as sessions do.
 */
import type { Connection, Server, Worker } from "../runtime/index.js";
import { formGroup } from "../rooms/matchmaking.js";
import { newId } from "../rooms/ids.js";
import { GameMessage, envelopeJson, type GameEnvelope } from "./wire.js";
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

export function matchmakerParty(mode: ModeDefinition): Worker {
  const rules = mode.rules ?? [];
  const fits = (a: Ticket, b: Ticket, now: number) => rules.every((rule) => rule(a, b, now));
  return class Matchmaker implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;

    /** By player, in arrival order. */
    readonly #waiting = new Map<string, Waiting>();
    #recheck: NodeJS.Timeout | undefined;

    onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): void {
      if (typeof message !== "string") return;
      const { type, payload } = JSON.parse(message) as GameEnvelope<{ ticket_id: string; properties: TicketProperties }>;
      if (type === GameMessage.MatchmakerAdd) {
        this.#waiting.delete(conn.id);
        this.#waiting.set(conn.id, { conn, player: conn.id, since: Date.now(), ticket_id: payload.ticket_id, properties: payload.properties });
        this.#match();
      } else if (type === GameMessage.MatchmakerRemove && this.#waiting.get(conn.id)?.ticket_id === payload.ticket_id) {
        this.#waiting.delete(conn.id);
      }
      this.#schedule();
    }

    onClose(conn: Connection): void {
      if (this.#waiting.get(conn.id)?.conn === conn) this.#waiting.delete(conn.id);
      this.#schedule();
    }

    onStop(): void {
      clearInterval(this.#recheck);
    }

    #match(): void {
      for (let group = formGroup([...this.#waiting.values()], mode.size, fits); group; group = formGroup([...this.#waiting.values()], mode.size, fits)) {
        const payload = { match_id: newMatchId(mode.match), players: group.map((ticket) => ticket.player) };
        for (const ticket of group) {
          this.#waiting.delete(ticket.player);
          ticket.conn.send(envelopeJson(GameMessage.MatchmakerMatched, { ...payload, ticket_id: ticket.ticket_id }));
        }
      }
    }

    /** Tickets that wait are matched again now and then (rules widen with the wait); no timer while none wait. */
    #schedule(): void {
      if (this.#waiting.size >= mode.size && rules.length > 0) {
        this.#recheck ??= setInterval(() => this.#match(), mode.recheckMs ?? DEFAULT_RECHECK_MS);
      } else {
        clearInterval(this.#recheck);
        this.#recheck = undefined;
      }
    }
  };
}
