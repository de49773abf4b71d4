/**
 * The parties the game protocol runs on, by name, and what they share. Every one is reached only through the
 * game socket and the REST API (in-process connections and stubs): their own `/parties/…` URLs answer 404.
 */
import { errorResponse, type Logger } from "../runtime/index.js";
import type { GameLimits } from "./limits.js";

/** One room per player: presence, friends, notifications. */
export const PLAYER_PARTY = "game-player";
/** One room per chat channel: its members and recent history. */
export const CHAT_PARTY = "game-chat";
export const MATCHMAKER_ROOM = "queue";

/** One room per match of a `defineMatch` named `name`. */
export function matchPartyName(name: string): string {
  return `game-match.${name}`;
}

/** One matchmaker per mode (room `queue`). */
export function matchmakerPartyName(mode: string): string {
  return `game-matchmaker.${mode}`;
}

export function closedToClients(): Response {
  return errorResponse("ERR_NOT_FOUND", "Game rooms are reached through the game socket and /api", 404);
}

/** What the game's parties of one mount share. */
export interface GameShared {
  limits: GameLimits;
  /** The server's logger (the mount sets it as sockets arrive). */
  logger: Logger;
  /** A player's room starts (every session has one: its mount checks that it is the one served). */
  started?: () => void;
}

/**
 * Runs async steps one at a time, in the order they were asked for. A room's read-modify-write of its state and
 * storage spans awaits (a write does not hold the room's input gate, only a read does), so two events could
 * otherwise interleave and one undo the other. A step that fails does not stop the next.
 */
export class OneAtATime {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(step);
    this.#tail = result.catch(() => {});
    return result;
  }
}
