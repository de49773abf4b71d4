/**
 * What a protocol's matchmaking keeps that must outlive its mount, in one owner: the players being matched (per queue:
 * matches-being-made.ts), the seats matches hold for their participants not in yet (held-seats.ts), the notices of
 * matches kept for players whose socket dropped as they were made (match-notices.ts, kept while those seats are held),
 * and the live rooms' listings where unnamed joins find a seat (room-listings.ts: a session open across a reload lists
 * the rooms the next mount's instances run; the rooms protocol's: the game never lists its matches).
 * A reload of the server's code with a new `createRooms` / `createGame` (`yparty dev` makes a new mount at each
 * rebuild: src/cli/serve/mounts.ts keeps one of these per protocol for all of them) gives each mount the same, so a
 * match being made as the code reloads is not made again, and a player back after the rebuild is told of its match.
 * All of it is plain data (names, players, times, frames, listings): nothing of the code, whose room types stay each
 * mount's own (its `RoomDirectory`). One per protocol: the rooms' room types and the game's matches and modes
 * are separate names.
 */
import { HeldSeats } from "./held-seats.js";
import { MatchNotices } from "./match-notices.js";
import { MatchesBeingMadeByQueue } from "./matches-being-made.js";
import { RoomListings } from "./room-listings.js";

export class MatchmakingState {
  readonly beingMade = new MatchesBeingMadeByQueue();
  readonly seats = new HeldSeats();
  readonly notices = new MatchNotices(this.seats);
  readonly listings = new RoomListings();
}
