/**
 * A protocol's sessions, per server, in one owner that outlives the mounts a reload of the code replaces, with the code
 * of the mount serving them. `yparty dev` makes a new mount at each rebuild (`createRooms` / `createGame` again;
 * src/cli/serve/mounts.ts keeps one of these per protocol for all of them): a client back after a rebuild resumes its
 * session (its rooms, the messages held for it, its session id), and every session, one open across the rebuild too,
 * uses the served mount's code (its room types, limits, token check) from the moment that mount is served. The sessions
 * are state, the code is swapped: a session reads it through its context's `code` each time.
 */
import type { SocketHost } from "../runtime/index.js";

/** What a mount's code does for the server its sessions are on (its parties log to that server's logger). */
export interface ServedCode {
  hostedBy(host: SocketHost): void;
}

export class ServedSessions<Context, Code extends ServedCode> {
  /** Per server: sessions resume only on their own (a test restarts one; `yparty dev` may make a new one). */
  readonly #contexts = new WeakMap<SocketHost, Context>();
  /** The last server a socket came from: a mount served later logs to it at once (its sessions rejoin its rooms). */
  #host: WeakRef<SocketHost> | undefined;
  #code: Code | undefined;

  /** The served mount's code. */
  get code(): Code {
    if (!this.#code) throw new Error("No mount serves these sessions yet: serve one first");
    return this.#code;
  }

  get serving(): boolean {
    return this.#code !== undefined;
  }

  /** `code`'s mount replaces the one served: every session uses it from now on. */
  serve(code: Code): void {
    this.#code = code;
    const host = this.#host?.deref();
    if (host) code.hostedBy(host);
  }

  /** The sessions' context on `host`'s server, made by `make` the first time. */
  on(host: SocketHost, make: (host: SocketHost) => Context): Context {
    if (this.#host?.deref() !== host) this.#host = new WeakRef(host);
    this.code.hostedBy(host);
    let context = this.#contexts.get(host);
    if (!context) this.#contexts.set(host, (context = make(host)));
    return context;
  }
}
