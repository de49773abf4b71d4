/**
 * A socket kept corked since its upgrade, the upgrade's answer (101) in it, until its connection's `onConnect` has
 * settled — at most `FIRST_WRITE_WAIT_MS` — so the 101 and what `onConnect` sent leave in one write, as partyserver
 * answers the upgrade once `onConnect` has settled. One owner releases it: the upgrade while the socket waits for its
 * room (upgrade-handler.ts), then its connection (`RoomConnection.holdFirstWrite`: once `onConnect` has settled, or
 * when it is closed); the bound's timer, whoever holds it.
 */
import type { Duplex } from "node:stream";

/**
 * The longest the upgrade's answer is held: a room's start and a document's load take a few ms (more on a loaded
 * machine); past this the client gets its 101 and the rest as it comes.
 */
export const FIRST_WRITE_WAIT_MS = 1_000;

/** Told once the held bytes are handed to the socket (a connection judges what it could not write). */
interface Uncorked {
  uncorked(): void;
}

export class CorkedFirstWrite {
  #socket: Duplex | null;
  readonly #timer: NodeJS.Timeout;
  #owner: Uncorked | undefined;

  /** `socket` is corked, the 101 written into it. */
  constructor(socket: Duplex) {
    this.#socket = socket;
    this.#timer = setTimeout(() => this.release(), FIRST_WRITE_WAIT_MS);
    this.#timer.unref();
  }

  /** `owner` keeps it from now on, and is told when it is released. */
  keptBy(owner: Uncorked): void {
    this.#owner = owner;
  }

  /** What is held goes (once). */
  release(): void {
    const socket = this.#socket;
    if (socket === null) return;
    this.#socket = null;
    clearTimeout(this.#timer);
    socket.uncork();
    this.#owner?.uncorked();
  }
}
