/**
 * The parties of a rooms or game mount with two seams a test drives from the outside: the match room stores its held
 * seats (match-seats.ts: a request to the room) only once `release` (or `fail`) is called, and the matchmaker tells `queue` of
 * each session link that closed (`closed`, the connection's id) and each message it got (`message`). With them, a
 * player's socket can be cut at a certain moment: after the match is made, before its players are told.
 */
import { EventEmitter, once } from "node:events";
import type { Connection, PartyModule } from "../../src/runtime/index.js";
import { deferred, onCleanup, waitFor } from "./server.js";

type PartyClass = new (
  ...args: any[]
) => { onRequest(request: Request): Promise<Response>; onClose(conn: Connection): void; onMessage?(message: string, conn: Connection): void };

export interface HeldSeatStore {
  parties: Record<string, PartyModule>;
  /** Settles when the match room starts storing the held seats. */
  storing: Promise<void>;
  release(): void;
  /** Lets the store go failing with `error`, as a room whose storage refused the write (its request throws it). */
  fail(error: Error): void;
  /** Settles when the match room's store, let go, is done (the room answered it, or it threw). */
  stored: Promise<void>;
  queue: EventEmitter;
}

export function holdSeatStore(parties: Record<string, PartyModule>, roomParty: string, matchmakerParty: string): HeldSeatStore {
  const storing = deferred();
  /** Resolved when let go: with the error the store fails with, if it is to fail. */
  const released = deferred<Error | undefined>();
  const stored = deferred();
  onCleanup(() => released.resolve(undefined));
  const queue = new EventEmitter();
  const Room = parties[roomParty] as unknown as PartyClass;
  const Matchmaker = parties[matchmakerParty] as unknown as PartyClass;
  return {
    parties: {
      ...parties,
      [roomParty]: class extends Room {
        override async onRequest(request: Request): Promise<Response> {
          storing.resolve();
          const failure = await released.promise;
          try {
            if (failure) throw failure;
            return await super.onRequest(request);
          } finally {
            stored.resolve(); // answered, or failed (its storage refused after a stop)
          }
        }
      } as unknown as PartyModule,
      [matchmakerParty]: class extends Matchmaker {
        override onClose(conn: Connection): void {
          super.onClose(conn);
          queue.emit("closed", conn.id);
        }
        override onMessage(message: string, conn: Connection): void {
          super.onMessage?.(message, conn);
          queue.emit("message", message);
        }
      } as unknown as PartyModule,
    },
    storing: storing.promise,
    release: () => released.resolve(undefined),
    fail: (error) => released.resolve(error),
    stored: stored.promise,
    queue,
  };
}

/**
 * Once the match room is storing the held seats, `drop` a player's socket, and wait for the matchmaker to see its link
 * close: resolves with what `queue` said (`[connection id]`).
 */
export async function dropWhileStored(held: Pick<HeldSeatStore, "storing" | "queue">, drop: () => unknown): Promise<unknown[]> {
  await waitFor(held.storing, "the match's room to store the held seats");
  const closed = once(held.queue, "closed");
  await drop();
  return waitFor(closed, "the matchmaker to see the player's link close");
}
