/**
 * Live documents of y-partykit-style rooms (`onConnect`, `unstable_getYDoc`), which have no instance of
 * their own to hold them. One session per (store, document name): concurrent first connections share its
 * load; a session that failed to load is dropped so the next arrival retries; a new session for a name
 * whose previous one is still flushing waits for that flush before it loads. Which session is a document's is
 * recorded in one place, live-documents (where server code reaching a room's document looks too); this keeps what
 * only the registry needs: the stops under way and the idle timers.
 */
import { DocumentTable } from "./document-table.js";
import { closesDocument, openedDocument, opensDocument } from "./live-documents.js";
import type { DocumentSession } from "./session.js";

const USABLE = new Set(["created", "loading", "ready"]);

export class SessionRegistry {
  readonly #stopping = new DocumentTable<Promise<void>>();
  readonly #idleTimers = new Map<DocumentSession, ReturnType<typeof setTimeout>>();

  /** The live session for `name` in `scope`, or a new one from `create` (its load starts at once). */
  acquire(scope: object, name: string, create: () => DocumentSession): { session: DocumentSession; created: boolean } {
    const existing = openedDocument({ scope, name });
    if (existing && USABLE.has(existing.state)) return { session: existing, created: false };
    const session = create();
    opensDocument({ scope, name }, session);
    session.load(this.#stopping.get({ scope, name })).catch(() => closesDocument({ scope, name }, session));
    return { session, created: true };
  }

  /** The session for `name` when it is loaded, without creating one. */
  peek(scope: object, name: string): DocumentSession | undefined {
    const session = openedDocument({ scope, name });
    return session?.state === "ready" ? session : undefined;
  }

  /** Whether `session` is the one `acquire` gives for `name` now (loading or loaded). */
  holds(scope: object, name: string, session: DocumentSession): boolean {
    return openedDocument({ scope, name }) === session;
  }

  /** Flushes and destroys a session that has no connections left; a later `acquire` loads afresh. */
  release(scope: object, name: string, session: DocumentSession): Promise<void> {
    this.keep(session);
    closesDocument({ scope, name }, session);
    const stopped: Promise<void> = session.stop().finally(() => this.#stopping.deleteIf({ scope, name }, stopped));
    this.#stopping.set({ scope, name }, stopped);
    return stopped;
  }

  /** Releases the session after `afterMs` (the room's `limits.idleUnloadMs`) unless a connection arrives meanwhile. */
  releaseWhenIdle(scope: object, name: string, session: DocumentSession, afterMs: number): void {
    this.keep(session);
    const timer = setTimeout(() => {
      this.#idleTimers.delete(session);
      if (session.connectionCount === 0) void this.release(scope, name, session);
    }, afterMs);
    timer.unref(); // an idle document never keeps the process alive
    this.#idleTimers.set(session, timer);
  }

  /** Cancels a pending idle release. */
  keep(session: DocumentSession): void {
    clearTimeout(this.#idleTimers.get(session));
    this.#idleTimers.delete(session);
  }
}
