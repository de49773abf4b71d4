/**
 * The y-partyserver face: `class MyDoc extends YServer { onLoad() {…} onSave() {…} }`, with `this.document`,
 * `static callbackOptions` (the debounce of `onSave`), `isReadOnly(conn)`, and custom string messages both
 * ways. On top of y-partyserver: `static persist` keeps the document in yparty's store (appended as it
 * changes; default off, as y-partyserver leaves persistence to onLoad/onSave), durable acks, and the
 * headless HTTP API as the default `onRequest`.
 *
 * The document is loaded on the first connection or request, shared by those that arrive meanwhile,
 * and unloaded (flushed, destroyed) when the last connection leaves or the room stops.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type * as Y from "yjs";
import { encodeCustomMessage } from "../protocol/index.js";
import type { Durability } from "../runtime/document-storage.js";
import type { Logger } from "../runtime/log.js";
import type * as Party from "../runtime/party-types.js";
import { MAX_AWARENESS_IDS_PER_CONNECTION } from "./defaults.js";
import { handleDocumentRequest, isStored } from "./http-api.js";
import { unguardedApiRefusal } from "./http-gate.js";
import { resolvePolicy, type YPartyKitOptions } from "./options.js";
import { roomLogger, tryDocumentStorage, wantsDurableAcks, yjsLimits } from "./room-context.js";
import { closesDocument, documentKey, opensDocument } from "./live-documents.js";
import { attachOptions } from "./peer.js";
import { DocumentSession } from "./session.js";
import type { SharedDoc } from "./shared-doc.js";

export interface YServerCallbackOptions {
  /** Quiet time after an edit before `onSave` runs (default 2000 ms). */
  debounceWait?: number;
  /** Longest an edit waits for `onSave` (default 10000 ms). */
  debounceMaxWait?: number;
  /** Accepted for y-partyserver compatibility. */
  timeout?: number;
}

/**
 * The document an `onSave` call is saving: its `this.document`, even when it runs as the session unloads (the room
 * has dropped it by then, and a newer session may be loading) — and only there, so other hooks meanwhile see the
 * room's current document.
 */
const savingDocument = new AsyncLocalStorage<SharedDoc>();

const SENDABLE_STATES = new Set([0, 1]); // CONNECTING, OPEN
const ignore = (): void => {};

export class YServer implements Party.Server {
  /** How `onSave` is debounced (y-partyserver). */
  static callbackOptions: YServerCallbackOptions = {};
  /** yparty: keep the document in yparty's store: `{ mode: "snapshot" }` or `{ mode: "history", … }`. */
  static persist: YPartyKitOptions["persist"] = false;
  /** Garbage collection of deleted content. Default: on without `persist`, off with it (as y-partykit). */
  static gc: boolean | undefined = undefined;
  /** Awareness client ids one connection may own; entries for more are dropped. */
  static maxAwarenessIdsPerConnection: number = MAX_AWARENESS_IDS_PER_CONNECTION;
  /** Structs and deleted ranges one update may hold (default `MAX_UPDATE_STRUCTS`, 1 000 000; bigger than `structsPerTurn`: applied in slices); more: 1009 / 413. */
  static maxUpdateStructs: number | undefined = undefined;
  /**
   * yparty: when a change reaches the other connections: `"strict"` only once it is stored (with `persist`),
   * `"fast"` as soon as it is applied. Default: the server's (`createServer({ durability })`, `"fast"`).
   */
  static durability: Durability | undefined = undefined;

  #session: DocumentSession | undefined;
  #lastStop: Promise<void> | undefined;

  constructor(readonly room: Party.Room) {}

  /** The room's document (with `document.awareness`). */
  get document(): SharedDoc {
    return savingDocument.getStore() ?? this.#current().doc;
  }

  // ---- hooks to override ---------------------------------------------------------------------

  /** State to start from: return a Y.Doc, or apply to `this.document` directly. */
  // biome-ignore lint/suspicious/noConfusingVoidType: y-partyserver's signature (an override may return nothing)
  async onLoad(): Promise<Y.Doc | void> {}

  /** Called (debounced by `callbackOptions`) after the document changed, and once more when it unloads. */
  async onSave(): Promise<void> {}

  /** Whether this connection's changes are refused. Asked for every change it sends. */
  isReadOnly(_connection: Party.Connection): boolean {
    return false;
  }

  /**
   * Whether this HTTP request's writes (POST) are refused. By default they are refused exactly when the
   * class overrides `isReadOnly`: a server that decides read-only per connection has not said who may
   * write over HTTP, and a viewer must not get around it with curl. Override this to decide per request.
   */
  isReadOnlyRequest(_request: Party.Request): boolean | Promise<boolean> {
    return this.isReadOnly !== YServer.prototype.isReadOnly;
  }

  /** A `__YPS:` custom message from a client. */
  onCustomMessage(connection: Party.Connection, _message: string): void {
    this.#logger.warn("yjs.custom_message_unhandled", {
      room: this.room.id,
      connection: connection.id,
      message: `onCustomMessage is not implemented in ${this.constructor.name}`,
    });
  }

  // ---- custom messages -------------------------------------------------------------------------

  sendCustomMessage(connection: Party.Connection, message: string): void {
    if (!SENDABLE_STATES.has(connection.readyState)) return;
    try {
      connection.send(encodeCustomMessage(message));
    } catch (error) {
      this.#logger.warn("yjs.custom_message_failed", { room: this.room.id, connection: connection.id, error });
    }
  }

  broadcastCustomMessage(message: string, excludeConnection?: Party.Connection): void {
    for (const connection of this.room.getConnections()) {
      if (connection !== excludeConnection) this.sendCustomMessage(connection, message);
    }
  }

  // ---- Party.Server ------------------------------------------------------------------------------

  onStart(): void | Promise<void> {}

  /**
   * Attaches the connection; a loaded document greets it at once and nothing is returned (no promise for the
   * runtime to wait on). While the document loads, the returned promise settles once it is loaded and the
   * connection greeted (a failed load has already closed the waiting connections with 1013 and logged why).
   */
  onConnect(connection: Party.Connection, _ctx: Party.ConnectionContext): void | Promise<void> {
    const session = this.#current();
    session.attach(connection, attachOptions(wantsDurableAcks(connection)));
    if (session.state === "ready") return;
    return session.load(this.#lastStop).catch(ignore);
  }

  onMessage(message: string | ArrayBuffer | ArrayBufferView, connection: Party.Connection): void {
    this.handleMessage(connection, message);
  }

  /** y-partyserver's name for feeding one frame to the document. */
  handleMessage(connection: Party.Connection, message: string | ArrayBuffer | ArrayBufferView): void {
    this.#session?.receive(connection, message);
  }

  onClose(connection: Party.Connection): void | Promise<void> {
    const session = this.#session;
    if (!session) return;
    session.detach(connection);
    if (session.connectionCount === 0) return this.#unload(session);
  }

  async onRequest(request: Party.Request): Promise<Response> {
    const response =
      unguardedApiRefusal(this.constructor as typeof YServer, this.#logger) ??
      (await handleDocumentRequest(request, {
        live: () => (this.#session?.state === "ready" ? this.#session : undefined),
        stored: async () => {
          const storage = tryDocumentStorage(this.room);
          return storage !== undefined && this.#policy() !== undefined && isStored(await storage.store.stats(storage.name));
        },
        open: async () => {
          const session = this.#current();
          await session.load(this.#lastStop);
          return session;
        },
        readOnly: (req) => this.isReadOnlyRequest(req),
        maxBodyBytes: yjsLimits(this.room).maxHttpUpdateBytes,
      }));
    // A request that loaded no document (a GET of a room that has none, a refusal) leaves nothing worth keeping in memory.
    if (this.#session === undefined) tryDocumentStorage(this.room)?.unloadWhenIdle();
    return response;
  }

  async onStop(): Promise<void> {
    if (this.#session) await this.#unload(this.#session);
    await this.#lastStop;
  }

  // ---- internals ---------------------------------------------------------------------------------

  get #logger(): Logger {
    return roomLogger(this.room);
  }

  #policy() {
    return resolvePolicy((this.constructor as typeof YServer).persist);
  }

  /** The usable session, or a new one (the previous failed or was unloaded). */
  #current(): DocumentSession {
    const state = this.#session?.state;
    if (this.#session && (state === "created" || state === "loading" || state === "ready")) return this.#session;
    const ctor = this.constructor as typeof YServer;
    const policy = this.#policy();
    const storage = tryDocumentStorage(this.room);
    const savesToo = this.onSave !== YServer.prototype.onSave;
    // Without an `onLoad` of its own the room has no state besides the stored one, so compaction may store the
    // live document as it is instead of replaying the stored log (see DocumentSession).
    const loadsToo = this.onLoad !== YServer.prototype.onLoad;
    this.#session = new DocumentSession({
      room: this.room.id,
      gc: ctor.gc ?? policy === undefined,
      maxUpdateStructs: ctor.maxUpdateStructs,
      limits: yjsLimits(this.room),
      durability: ctor.durability ?? storage?.durability,
      persistence: policy && storage ? { ...storage, policy } : undefined,
      load: loadsToo ? () => this.onLoad() : undefined,
      callback: savesToo ? { handler: (doc) => savingDocument.run(doc as SharedDoc, () => this.onSave()), ...ctor.callbackOptions } : undefined,
      isReadOnly: (conn) => this.isReadOnly(conn as Party.Connection),
      onCustomMessage: (conn, message) => this.onCustomMessage(conn as Party.Connection, message),
      maxAwarenessIdsPerConnection: ctor.maxAwarenessIdsPerConnection,
      logger: this.#logger,
      maxDocumentBytes: storage?.maxDocumentBytes,
    });
    // Server code reaching the room's document from outside (y-partykit/storage) finds this session, not the store.
    opensDocument(documentKey(this.room), this.#session);
    return this.#session;
  }

  #unload(session: DocumentSession): Promise<void> {
    if (this.#session === session) this.#session = undefined;
    closesDocument(documentKey(this.room), session);
    const previous = this.#lastStop;
    const stopped = (async () => {
      await previous;
      await session.stop();
    })();
    this.#lastStop = stopped;
    return stopped;
  }
}

/**
 * The built-in default party: every room is a persisted Yjs room (snapshot mode, garbage-collected)
 * with the headless HTTP API. What `yparty dev` serves when the project has no server code.
 */
export class DocumentParty extends YServer {
  static override persist: YPartyKitOptions["persist"] = { mode: "snapshot" };
  static override gc: boolean | undefined = true;

  /**
   * A connection's frames reach the session as soon as it is attached (the session holds them while the document
   * loads, so they are held once), and a fresh client's sync step 1 is answered from the stored bytes before the
   * document is built from them (most of a cold load). Binary frames come as the bytes read, without a copy. A
   * frame the session failed on closes its connection (1011): the client resyncs when it comes back.
   */
  readonly options: Party.ServerOptions = { holdMessagesUntilConnected: false, binaryMessages: "uint8array", closeOnMessageError: true };
}
