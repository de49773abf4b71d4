/**
 * What a worker hook opens while it serves one request (`onFetch`, `onBeforeRequest`, `onBeforeConnect`, a route; a
 * cron run): on Workers a socket belongs to the request whose code opened it, and ends with it — once its answer is
 * out and the `ctx.waitUntil` work it left has settled (workerd keeps a request's I/O alive for that work, no longer).
 * Here its stub sockets (`lobby.parties…socket()`, `connect()`) are closed then, with 1001. Before, those opened while
 * answering a plain request (party.io's connector, made for each polling request) stayed connections of the room they
 * reached until a reload or the shutdown.
 */
import { CloseCode } from "../protocol/index.js";
import type { PartyContext } from "./context.js";
import type { ExecutionContext, FetchLobby, Lobby } from "./party-types.js";
import type { StubSockets } from "./stub-sockets.js";

export const REQUEST_ENDED = "The request it was opened for ended";

export class RequestScope {
  readonly sockets: StubSockets;
  /** The `ctx.waitUntil` work still running: the request's I/O lives until it settles. */
  readonly #work = new Set<Promise<unknown>>();
  #over: string | undefined;
  /** Ends the sockets `waitUntilMs` after the request, its work settled or not (a promise may never settle). */
  #deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: PartyContext,
    private readonly waitUntilMs: number,
  ) {
    this.sockets = context.stubScope();
  }

  fetchLobby(): FetchLobby {
    return this.context.fetchLobby(this.sockets);
  }

  lobby(roomId: string): Lobby {
    return { ...this.fetchLobby(), id: roomId };
  }

  executionContext(): ExecutionContext {
    return this.context.executionContext((work) => {
      this.#work.add(work);
      void work.finally(() => {
        this.#work.delete(work);
        this.#endIfIdle();
      });
    });
  }

  /** What opened the sockets is over (`reason` tells their room): they close once its waitUntil work has settled. */
  over(reason = REQUEST_ENDED): void {
    if (this.#over !== undefined) return;
    this.#over = reason;
    if (this.#work.size > 0) {
      this.#deadline = setTimeout(() => this.#end(), this.waitUntilMs);
      this.#deadline.unref();
    }
    this.#endIfIdle();
  }

  #endIfIdle(): void {
    if (this.#over !== undefined && this.#work.size === 0) this.#end();
  }

  #end(): void {
    clearTimeout(this.#deadline);
    this.sockets.close(CloseCode.GoingAway, this.#over!, true);
  }
}
