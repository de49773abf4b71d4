/**
 * The y-partykit face: `onConnect(conn, room, options)` and `unstable_getYDoc(room, options)`, with
 * y-partykit's options and behaviour, so a y-partykit server file works with only its import changed.
 * Plus `onRequest(req, room, options)`: the headless HTTP API for the same document.
 */
import * as Y from "yjs";
import { DEFAULT_LIMITS } from "../runtime/limits.js";
import type { Connection, Room } from "../runtime/party-types.js";
import { handleDocumentRequest, isStored, type DocumentAccess } from "./http-api.js";
import { resolveOptions, type YPartyKitOptions } from "./options.js";
import { roomLogger, tryDocumentStorage, wantsDurableAcks, yjsLimits } from "./room-context.js";
import { documentKey, liveDocument } from "./live-documents.js";
import { attachOptions } from "./peer.js";
import { SessionRegistry } from "./session-registry.js";
import { DocumentSession } from "./session.js";
import type { SharedDoc } from "./shared-doc.js";

const registry = new SessionRegistry();
/** The sessions each room instance used: let go as it stops (see `letGoWithRoom`). */
const usedBy = new WeakMap<Room, Set<DocumentSession>>();
/** The options each live document runs with, to warn (once) when a later call asks for others, as y-partykit does. */
const runsWith = new WeakMap<DocumentSession, YPartyKitOptions>();
let warnedAboutOptions = false;

const hashOf = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === "function" ? "function() {}" : v));

/**
 * One set of options per room, whichever face loads it: a later call may leave out what the first gave, and may
 * add a change callback the first did not give (the HTTP face, called with `persist` only, loaded the room before
 * a socket's options arrived). Any other difference is ignored, with a warning. `readOnly` is per connection.
 */
function reconcile(session: DocumentSession, options: YPartyKitOptions): boolean {
  let effective = runsWith.get(session) ?? {};
  if (options.callback && session.adoptCallback(options.callback)) runsWith.set(session, (effective = { ...effective, callback: options.callback }));
  const asked = Object.entries(options).filter(([key, value]) => key !== "readOnly" && value !== undefined);
  return asked.every(([key, value]) => hashOf(effective[key as keyof YPartyKitOptions]) === hashOf(value));
}

/** The room's live session, or a new one with `options` (copied: the caller may reuse its object). */
function sessionFor(room: Room, options: YPartyKitOptions, { scope, name } = documentKey(room)): DocumentSession {
  const logger = roomLogger(room);
  const { session, created } = registry.acquire(scope, name, () => {
    const { gc, policy } = resolveOptions(options);
    const storage = tryDocumentStorage(room);
    if (policy && !storage) logger.warn("yjs.no_storage", { room: room.id, message: "persist ignored: this room has no document store" });
    return new DocumentSession({
      room: room.id,
      gc,
      persistence: policy && storage ? { ...storage, policy } : undefined,
      load: options.load,
      callback: options.callback,
      maxAwarenessIdsPerConnection: options.maxAwarenessIdsPerConnection,
      maxUpdateStructs: options.maxUpdateStructs,
      limits: yjsLimits(room),
      durability: options.durability ?? storage?.durability,
      logger,
      maxDocumentBytes: storage?.maxDocumentBytes,
      callbackCloseMs: storage?.shutdownTimeoutMs,
    });
  });
  letGoWithRoom(room, session, scope, name);
  if (created) runsWith.set(session, { ...options });
  else if (!reconcile(session, options) && !warnedAboutOptions) {
    warnedAboutOptions = true;
    logger.warn("yjs.options_ignored", { room: room.id, message: "Document was previously initialized with different options. Provided options are ignored." });
  }
  return session;
}

/**
 * A session outlives no room instance that used it: as the instance stops (a reload, an idle unload), a session nobody
 * is connected to (a request loaded it) is flushed — its change callback run, with the instance's storage still there —
 * and let go. Otherwise the next instance (a reload's new code) took it over with the stopped one's options and
 * callback, whose storage refuses every call.
 */
function letGoWithRoom(room: Room, session: DocumentSession, scope: object, name: string): void {
  const storage = tryDocumentStorage(room);
  if (!storage) return; // not a yparty room: the session is the room's own (scope = room)
  let used = usedBy.get(room);
  if (!used) usedBy.set(room, (used = new Set()));
  if (used.has(session)) return;
  used.add(session);
  // Loading or ready: either way the next instance must load its own. (A hook given once the stop began runs at once.)
  storage.whenStopping(() => (session.connectionCount === 0 && registry.holds(scope, name, session) ? registry.release(scope, name, session) : undefined));
}

/** Serves `conn` from the room's document (loaded once, shared by all its connections). */
export async function onConnect(conn: Connection, room: Room, options: YPartyKitOptions = {}): Promise<void> {
  const key = documentKey(room);
  const { scope, name } = key;
  const session = sessionFor(room, options, key);
  registry.keep(session);
  session.attach(conn, attachOptions(wantsDurableAcks(conn), options.readOnly === true));
  conn.addEventListener("message", (event: MessageEvent) => session.receive(conn, event.data));
  conn.addEventListener("close", () => {
    session.detach(conn);
    if (session.connectionCount > 0) return undefined;
    // A stored document: last one out flushes and unloads (the returned promise lets a runtime that tracks it wait);
    // the next connection loads it back. One kept only in memory lives on while the room does, as y-partykit's (its
    // module-level map lasts as long as the room's instance): the last user's page refresh finds it again.
    if (session.persisted) return registry.release(scope, name, session);
    registry.releaseWhenIdle(scope, name, session, idleUnloadMs(room));
    return undefined;
  });
  // A failed load has already closed this connection with 1013 and logged why.
  await session.load().catch(() => {});
}

/** Gets or loads the room's document (y-partykit's `unstable_getYDoc`). */
export async function unstable_getYDoc(room: Room, options: YPartyKitOptions = {}): Promise<SharedDoc> {
  const session = sessionFor(room, options);
  await session.load();
  if (session.connectionCount === 0) {
    const { scope, name } = documentKey(room);
    registry.releaseWhenIdle(scope, name, session, idleUnloadMs(room));
  }
  return session.doc;
}

/**
 * The room's live session once loaded, whichever face opened it (y-partykit's, a YServer, DocumentParty): one still
 * loading is waited for (the store alone may not be all it holds).
 */
async function loadedDocument(room: Room): Promise<DocumentSession | undefined> {
  const session = liveDocument(documentKey(room));
  await session?.load().catch(() => {});
  return session?.state === "ready" ? session : undefined;
}

/**
 * The room's document as y-partykit/storage's `getYDoc` reads it: the live document when the room has it loaded
 * (what was stored and what is on its way to the store), else what the store holds (`null`: nothing).
 */
export async function storedDocument(room: Room): Promise<Uint8Array | null> {
  const live = await loadedDocument(room);
  if (live) return Y.encodeStateAsUpdate(live.doc);
  const storage = tryDocumentStorage(room);
  return storage ? storage.store.load(storage.name) : null;
}

/**
 * y-partykit/storage's `storeUpdate`. The update is checked as a client's is, before anything is applied: a live
 * document takes it as any change (validated, stored, sent to its connections); otherwise it is first applied to a
 * scratch copy of what the store holds (the document the next load makes, so the same checks against the same
 * state), then appended to the store. A refused update throws and changes neither.
 */
export async function storeDocumentUpdate(room: Room, update: Uint8Array): Promise<void> {
  for (;;) {
    const live = await loadedDocument(room);
    if (live) return live.applyUpdate(update);
    const storage = tryDocumentStorage(room);
    if (!storage) throw new TypeError("storeUpdate: this room has no document store");
    await checkOnStoredCopy(room, storage.store.load(storage.name), update, storage.maxDocumentBytes);
    // A load begun while the copy was checked may have read the store already: the update goes to its document.
    if (liveDocument(documentKey(room))) continue;
    return storage.store.append(storage.name, update);
  }
}

/** Applies `update` to a throwaway session holding `stored` (not registered, not persisted): throws if it is refused. */
async function checkOnStoredCopy(room: Room, stored: Promise<Uint8Array | null>, update: Uint8Array, maxDocumentBytes: number | undefined): Promise<void> {
  const copy = new DocumentSession({
    room: room.id,
    gc: false,
    load: () => stored,
    limits: yjsLimits(room),
    logger: roomLogger(room),
    maxDocumentBytes,
  });
  try {
    await copy.load();
    await copy.applyUpdate(update);
  } finally {
    await copy.stop();
  }
}

/** The headless HTTP API for a y-partykit-style room (call it from your `onRequest`). */
export function onRequest(req: Request, room: Room, options: YPartyKitOptions = {}): Promise<Response> {
  const { scope, name } = documentKey(room);
  const access: DocumentAccess = {
    live: () => registry.peek(scope, name),
    stored: async () => {
      const storage = tryDocumentStorage(room);
      return storage ? isStored(await storage.store.stats(storage.name)) : false;
    },
    open: async () => {
      const session = sessionFor(room, options);
      await session.load();
      return session;
    },
    readOnly: () => options.readOnly === true,
    maxBodyBytes: yjsLimits(room).maxHttpUpdateBytes,
    done: (session) => {
      if (session.connectionCount === 0) registry.releaseWhenIdle(scope, name, session, idleUnloadMs(room));
    },
  };
  return handleDocumentRequest(req, access);
}

/** How long a document nobody is connected to stays loaded: the room's `limits.idleUnloadMs`. */
const idleUnloadMs = (room: Room): number => tryDocumentStorage(room)?.idleUnloadMs ?? DEFAULT_LIMITS.idleUnloadMs;
