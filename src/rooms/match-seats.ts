/**
 * The seats a match holds for its participants until they join, stored by the match's room from the moment the
 * matchmaker makes the match: the matchmaker asks the room (a stub request, in-process: `holdMatchSeats`), the room
 * holds them in the directory and stores them under `RESERVED_KEY`, and only then are the players told. A restart
 * between the match and its first join (a crash too) finds them in the room's storage, so a stranger does not take
 * one and the match still waits for its players. Outside requests never reach it: the room parties answer 404 before
 * `onRequest` (a stub skips `onBeforeRequest`, as on PartyKit).
 */
import { documentStorage, type Context, type Logger, type Room } from "../runtime/index.js";
import type { RoomDirectory } from "./directory.js";
import { MAX_TIMER_MS } from "./limits.js";

export const RESERVED_KEY = "yparty.rooms.reserved";

const RESERVE_PATH = "/~reserve";

export interface Reservation {
  players: string[];
  /** When the seats are free again (ms since epoch). */
  until: number;
}

/**
 * Where a match's seats are held: the match room's party (reached from the server of the matchmaker's room, whose stop
 * ends the wait), and its room type in the mount's directory.
 */
export interface MatchRooms {
  parties: Context["parties"];
  /** Aborted as that server begins to close. */
  stopping: AbortSignal;
  party: string;
  roomType: string;
  directory: RoomDirectory;
}

/** The match rooms of `party` (room type `roomType` in `directory`), as the matchmaker's room `queue` reaches them. */
export function matchRoomsOf(queue: Room, party: string, roomType: string, directory: RoomDirectory): MatchRooms {
  return { parties: queue.context.parties, stopping: documentStorage(queue).serverStopping, party, roomType, directory };
}

/**
 * Asks `room` of `rooms.party` to hold `reservation`'s seats; resolves true once the room has stored them, or after
 * `timeoutMs`: the players are to be told. It never rejects: a room that could not (its storage failing, its party gone
 * after a reload), or did not answer in time (a storage write that never settles), is logged, and the players are told
 * anyway, their seats held in memory: until they are told they are matched by no one, so a store that hangs must not
 * hold them. Resolves false as soon as the server begins to close first (not at a reload: the instance before it goes
 * on with its matches): the match is dropped, its timer cleared, nothing held or logged by the stopped server, and its
 * players are not told (their sockets close with it).
 */
export async function holdMatchSeats(rooms: MatchRooms, room: string, reservation: Reservation, logger: Logger, timeoutMs: number): Promise<boolean> {
  const { party, stopping } = rooms;
  if (stopping.aborted) return false;
  /** Set as the timer fires: the players are told then, and that outcome is the one logged (`rooms.reserve_timeout`). */
  let timedOut = false;
  const stored = askRoom(rooms, room, reservation).then(
    () => "stored" as const,
    (error: unknown) => {
      if (stopping.aborted) return "failed" as const; // refused by the stop: dropped with the match
      if (timedOut) logLateFailure(logger, party, room, timeoutMs, error);
      else
        logger.error("rooms.reserve_failed", {
          code: "ERR_INTERNAL",
          party,
          room,
          message: "The match's seats are not stored: a restart before its first join frees them",
          error,
        });
      return "failed" as const;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  let stopped = (): void => {};
  const late = new Promise<"late" | "stopped">((resolve) => {
    timer = setTimeout(
      () => {
        timedOut = true;
        resolve("late");
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
    timer.unref();
    stopped = () => resolve("stopped");
    stopping.addEventListener("abort", stopped, { once: true });
  });
  const outcome = await Promise.race([stored, late]);
  clearTimeout(timer);
  stopping.removeEventListener("abort", stopped);
  if (outcome === "stopped") return false;
  if (outcome === "stored") return true;
  // The room holds them in memory first, then stores them; one whose load failed or hangs (its storage) never got to:
  // held here, so that no one else takes them and a player whose socket dropped meanwhile is told when back (its
  // notice is kept while its seat is held, match-notices.ts).
  if (!rooms.directory.seats.reservedFor(rooms.roomType, room)) rooms.directory.seats.reserve(rooms.roomType, room, reservation.players, reservation.until);
  if (outcome === "failed") return true;
  logger.error("rooms.reserve_timeout", {
    code: "ERR_INTERNAL",
    party,
    room,
    timeoutMs,
    message:
      `The match's room did not store its seats within ${timeoutMs} ms: its players are told now, their seats held in ` +
      "memory only (a restart before they join frees them). Check the storage (a stalled disk or database); the wait is the limit seatStoreTimeoutMs",
  });
  return true;
}

/**
 * The store failed after the timeout had told the players (and logged `rooms.reserve_timeout`, the match's one
 * outcome): not a second failure of the match, the cause of the first. A warning, once (a store settles once).
 */
function logLateFailure(logger: Logger, party: string, room: string, timeoutMs: number, error: unknown): void {
  logger.warn("rooms.reserve_failed_after_timeout", {
    code: "ERR_INTERNAL",
    party,
    room,
    timeoutMs,
    message:
      `The match's room failed to store its seats after the ${timeoutMs} ms wait (seatStoreTimeoutMs) that told its players ` +
      "(rooms.reserve_timeout, logged then): the seats stay held in memory only. The error says why the storage refused",
    error,
  });
}

async function askRoom({ parties, party }: MatchRooms, room: string, reservation: Reservation): Promise<void> {
  const stub = parties[party]?.get(room);
  if (!stub) throw new Error(`party "${party}" is not served (a reload removed it?)`);
  const response = await stub.fetch(RESERVE_PATH, { method: "POST", body: JSON.stringify(reservation) });
  if (!response.ok) throw new Error(`the room answered ${response.status} ${await response.text()}`);
}

/** The reservation a stub request asks the room to hold; undefined for any other request. */
export async function reservationAsked(request: Request): Promise<Reservation | undefined> {
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith(RESERVE_PATH)) return undefined;
  const body: unknown = await request.json().catch(() => undefined);
  return isReservation(body) ? body : undefined;
}

/** A reservation as stored (anything else, e.g. damaged data: none). */
export function isReservation(value: unknown): value is Reservation {
  const reservation = value as Reservation | undefined;
  return (
    typeof reservation === "object" &&
    reservation !== null &&
    Array.isArray(reservation.players) &&
    reservation.players.every((player) => typeof player === "string") &&
    typeof reservation.until === "number"
  );
}
