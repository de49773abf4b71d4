/**
 * A protocol's sessions, per server, in one owner that outlives the mounts a reload of the code replaces, with the code
 * of the mount serving them. `yparty dev` makes a new mount at each rebuild (`createRooms` / `createGame` again;
 * src/cli/serve/mounts.ts keeps one of these per protocol for all of them): a client back after a rebuild resumes its
 * session (its rooms, the messages held for it, its session id), and every session, one open across the rebuild too,
 * uses the served mount's code (its room types, limits, token check) from the moment that mount is served. The sessions
 * are state, the code is swapped: a session reads it through its context's `code` each time.
 */
import type { PartyModule, Reload, SocketHost } from "../runtime/index.js";

/** What a mount's code does for the server its sessions are on (its parties log to that server's logger). */
export interface ServedCode {
  hostedBy(host: SocketHost): void;
  /** The mount's parties: a reload that serves them while the mount is not served forgot its `serve()`. */
  readonly parties: Readonly<Record<string, PartyModule>>;
}

/** A session as its owner tells it of the code served. */
export interface ServedSession {
  /** Another mount's code is served: what the session timed with the last one's limits is timed again with these. */
  codeServed(): void;
}

/** The sessions of one server, as a protocol keeps them. */
export interface ServedContext {
  readonly sessions: ReadonlyMap<string, ServedSession>;
}

export class ServedSessions<Context extends ServedContext, Code extends ServedCode> {
  /** Per server: sessions resume only on their own (a test restarts one; `yparty dev` may make a new one). */
  readonly #contexts = new WeakMap<SocketHost, Context>();
  /** The same contexts, to tell their sessions of a mount served (not holding a server that is gone). */
  readonly #live = new Set<WeakRef<Context>>();
  /** Every mount's code served so far: a socket reaches the handler of one of them (the first's stays a server's). */
  readonly #served = new WeakSet<Code>();
  /** Mounts made with these sessions and not served (yet): a reload that runs their parties is checked for them. */
  readonly #unserved = new Set<WeakRef<Code>>();
  /** Mounts whose parties run unserved, checked once the reload under way is done (they may be served by then). */
  readonly #checking = new WeakSet<Code>();
  /** Mounts whose parties ran unserved, told once. */
  readonly #toldUnserved = new WeakSet<Code>();
  /** Servers whose reloads these sessions hear. */
  readonly #heard = new WeakSet<SocketHost>();
  /** The end of the reload under way on a server these sessions hear, if any. */
  #reloading: Promise<void> | undefined;
  /** The path of the first mount: the sessions are that socket's (a mount replacing it is at the same path). */
  #path: string | undefined;
  /** The last server a socket came from: a mount served later logs to it at once (its sessions rejoin its rooms). */
  #host: WeakRef<SocketHost> | undefined;
  #code: Code | undefined;

  /** `notServedEvent`: the error logged for a mount whose parties run while it is not served (the protocol's). */
  constructor(private readonly notServedEvent: string) {}

  /** The served mount's code. */
  get code(): Code {
    if (!this.#code) throw new Error("No mount serves these sessions yet: serve one first");
    return this.#code;
  }

  get serving(): boolean {
    return this.#code !== undefined;
  }

  /**
   * A mount at `path` is made with these sessions (`what`: its maker, for the error): they are the first mount's, at
   * its path, which it serves; a mount at another path is another protocol endpoint, not its replacement, and needs
   * sessions of its own (a client would resume there a session of the other path's, with that mount's room types).
   */
  madeFor(code: Code, path: string, what: string): void {
    this.#path ??= path;
    if (path !== this.#path)
      throw new TypeError(
        `${what}({ sessions }): these sessions are the mount's at ${this.#path}; the mount at "${path}" needs sessions of its own (give sessions only to the mount that replaces one at a reload, at the same path)`,
      );
    if (!this.serving) this.serve(code);
    else if (!this.#served.has(code)) this.#unserved.add(new WeakRef(code));
  }

  /** `code`'s mount replaces the one served: every session uses it from now on. */
  serve(code: Code): void {
    const swapped = this.#code !== undefined && this.#code !== code;
    this.#code = code;
    this.#served.add(code);
    for (const ref of this.#unserved) if (ref.deref() === code || !ref.deref()) this.#unserved.delete(ref);
    const host = this.#host?.deref();
    if (host) code.hostedBy(host);
    if (swapped) this.#tellSessions();
  }

  /** Every session, away ones too, times again what it timed with the last code's limits (its resume window). */
  #tellSessions(): void {
    for (const ref of this.#live) {
      const context = ref.deref();
      if (!context) {
        this.#live.delete(ref);
        continue;
      }
      for (const session of [...context.sessions.values()]) session.codeServed();
    }
  }

  /**
   * The sessions' context on `host`'s server, made by `make` the first time, for a socket that came to the handler of
   * `from`'s mount. One never served is not the mount a reload replaced (its handler would be the first's, kept by the
   * server, or `yparty dev`'s, which calls the served one): it was given another mount's sessions by mistake (a second
   * server's), whose code its sockets would silently speak. It throws (the server closes the socket 1011 and logs it).
   */
  on(host: SocketHost, from: Code, make: (host: SocketHost) => Context): Context {
    if (!this.#served.has(from))
      throw new Error(
        "This mount was made with another mount's sessions and never served: give each server's mount sessions of its own, or call serve() on the mount that replaces the served one at a reload",
      );
    if (this.#host?.deref() !== host) this.#host = new WeakRef(host);
    if (!this.#heard.has(host)) {
      this.#heard.add(host);
      host.onReload((reload) => this.#reloaded(host, reload));
    }
    this.code.hostedBy(host);
    let context = this.#contexts.get(host);
    if (!context) {
      this.#contexts.set(host, (context = make(host)));
      this.#live.add(new WeakRef(context));
    }
    return context;
  }

  /**
   * `host` reloads its parties: a mount made with these sessions whose parties it runs from now on, and that is not
   * served, forgot its `serve()` (checked once the reload is done: it may be served right after it).
   */
  #reloaded(host: SocketHost, reload: Reload): void {
    const reloading = reload.done.then(() => {
      if (this.#reloading === reloading) this.#reloading = undefined;
    });
    this.#reloading = reloading;
    const modules = new Set(Object.values(reload.parties));
    for (const ref of this.#unserved) {
      const code = ref.deref();
      if (!code) this.#unserved.delete(ref);
      else if (Object.values(code.parties).some((party) => modules.has(party))) this.#checkSoon(code, host);
    }
  }

  /**
   * A room of `code`'s mount started: its parties run on a server (one whose reload these sessions did not hear: no
   * socket had come before it).
   */
  started(code: Code): void {
    const host = this.#host?.deref();
    if (host) this.#checkSoon(code, host);
  }

  /**
   * Once the reload under way is done and the turn after it (where a program calls `serve()` right after awaiting
   * `server.reload`), a mount that runs its parties still unserved is logged, once, as an error saying what to do: its
   * sessions keep the last served mount's room types and limits.
   */
  #checkSoon(code: Code, host: SocketHost): void {
    if (this.#served.has(code) || this.#toldUnserved.has(code) || this.#checking.has(code)) return;
    this.#checking.add(code);
    void (this.#reloading ?? Promise.resolve()).then(() =>
      setImmediate(() => {
        this.#checking.delete(code);
        if (this.#served.has(code) || this.#toldUnserved.has(code)) return;
        this.#toldUnserved.add(code);
        host.logger.error(this.notServedEvent, {
          code: "ERR_NOT_SERVED",
          message:
            "A mount made with the sessions of another runs its rooms, but its serve() was not called: the sessions keep the last served mount's code (room types, limits, token check). Call the new mount's serve() as its parties replace the last's (server.reload): before it, or right after it resolves",
        });
      }),
    );
  }
}
