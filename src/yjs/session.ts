/**
 * The core of a Yjs room, shared by every face (y-partykit's `onConnect`, `YServer`, `DocumentParty`, the
 * HTTP API): one document and its Awareness, the connections attached to it, and the y-protocols
 * conversation with each. It knows connections only as `{ id, send, close }`.
 *
 * Lifecycle: created → `load()` (once; connections may attach meanwhile and their frames wait) → ready →
 * `stop()` (flush, compact, destroy). A failed load closes the waiting connections with 1013 and destroys
 * the document and its Awareness timer; the owner makes a new session for the next try.
 */
import * as Y from "yjs";
import { CloseCode, ProtocolError, encodeCustomMessage } from "../protocol/index.js";
import type { DocStore } from "../../persistence/types.js";
import type { Logger } from "../runtime/log.js";
import { DEFAULT_LIMITS } from "../runtime/limits.js";
import { ChangeCallback } from "./change-callback.js";
import { DocumentSize, encodedSize } from "./document-size.js";
import { Compactor, type CompactionPolicy } from "./compaction.js";
import { MAX_BACKLOG_FRAMES, MAX_TYPE_DEPTH, MAX_UPDATE_STRUCTS, STORED_ANSWER_DRAIN_MS } from "./defaults.js";
import { YjsError, asError } from "./errors.js";
import { EMPTY_STATE_VECTOR, closeReason, isDocumentChange, isFreshStep1, step2Frame, toBytes } from "./frames.js";
import type { CallbackOptions } from "./options.js";
import { Peer, type AttachOptions, type SessionConnection } from "./peer.js";
import { Conversation } from "./conversation.js";
import { HTTP_ORIGIN, LOAD_ORIGIN, SharedDoc } from "./shared-doc.js";
import { settlePending, withPendingAside } from "./pending.js";
import { UpdateLog } from "./update-log.js";
import { validateAgainst, validatePartsAgainst, validateUpdate, type UpdateLimits } from "./validate.js";

export interface SessionPersistence {
  store: DocStore;
  /** The document's name in the store (`${party}/${roomId}`). */
  name: string;
  policy: CompactionPolicy;
}

export interface SessionOptions {
  /** The room id: the doc's `name`, the callback body's `room`, and logs. */
  room: string;
  gc: boolean;
  /** Without it the document lives in memory only. */
  persistence?: SessionPersistence;
  /** State applied first on every load (y-partykit `load()`, y-partyserver `onLoad()`); not stored. */
  load?: () => Promise<Y.Doc | Uint8Array | null | undefined | void>;
  callback?: CallbackOptions;
  /** Asked for every change a connection sends. */
  isReadOnly?: (conn: SessionConnection) => boolean;
  onCustomMessage?: (conn: SessionConnection, message: string) => void;
  /** Awareness client ids one connection may own (default `MAX_AWARENESS_IDS_PER_CONNECTION`). */
  maxAwarenessIdsPerConnection?: number | undefined;
  /** Structs and deleted ranges one update may hold (default `MAX_UPDATE_STRUCTS`). */
  maxUpdateStructs?: number | undefined;
  logger: Logger;
  /** Largest encoded document it takes (default `DEFAULT_LIMITS.maxDocumentBytes`; rooms pass the server's limit). */
  maxDocumentBytes?: number;
}

/** What the log says, once per connection, about the awareness entries it drops. */
const AWARENESS_REFUSED = {
  "not-owner": "awareness entries for client ids another connection (or the server) owns are dropped",
  "over-cap": "awareness entries for more client ids than maxAwarenessIdsPerConnection are dropped",
  "clock-too-high": "awareness entries with a clock over 2^52 are dropped",
};

export type SessionState = "created" | "loading" | "ready" | "failed" | "stopping" | "stopped";

export class DocumentSession {
  readonly #doc: SharedDoc;
  #state: SessionState = "created";
  #loading: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #peers = new Map<SessionConnection, Peer>();
  /** Connections that left while the room loaded, with changes waiting in their backlog. */
  readonly #leftWhileLoading: Peer[] = [];
  readonly #conversation: Conversation;
  readonly #size: DocumentSize;
  readonly #limits: UpdateLimits;
  #log: UpdateLog | undefined;
  #compactor: Compactor | undefined;
  #callback: ChangeCallback | undefined;
  /** The change callback's options: given at creation, or adopted later (see `adoptCallback`). */
  #callbackOptions: CallbackOptions | undefined;
  /** Ends the store's `keep` of this document (the room is done with it). */
  #releaseStored: (() => void) | undefined;

  constructor(private readonly options: SessionOptions) {
    this.#doc = new SharedDoc(options.room, options.gc);
    this.#callbackOptions = options.callback;
    this.#size = new DocumentSize(() => encodedSize(this.doc), options.maxDocumentBytes ?? DEFAULT_LIMITS.maxDocumentBytes);
    this.#limits = { maxStructs: options.maxUpdateStructs ?? MAX_UPDATE_STRUCTS, maxTypeDepth: MAX_TYPE_DEPTH };
    this.#conversation = new Conversation(this.#doc, this.#limits, {
      isReadOnly: options.isReadOnly,
      whenDurable: () => this.whenDurable(),
      refuse: (peer, error) => this.#refuse(peer, error),
      maxAwarenessIds: options.maxAwarenessIdsPerConnection,
      awarenessRefused: (peer, clientId, reason) =>
        options.logger.warn("yjs.awareness_refused", { room: options.room, connection: peer.conn.id, clientId, reason, message: AWARENESS_REFUSED[reason] }),
      admit: (update) => this.#size.admit(update),
      pendingDropped: (error) => this.#pendingDropped(error),
    });
  }

  /** The document, with every update received so far applied (a burst still in its socket read is flushed). */
  get doc(): SharedDoc {
    this.#conversation.flush();
    return this.#doc;
  }
  get awareness() {
    return this.#doc.awareness;
  }
  get state(): SessionState {
    return this.#state;
  }
  get connectionCount(): number {
    return this.#peers.size;
  }
  connections(): SessionConnection[] {
    return [...this.#peers.keys()];
  }
  /** Awareness entries dropped since the room loaded: client ids their sender does not own, or past its cap. */
  get awarenessRefused(): number {
    return this.#conversation.awarenessRefused;
  }
  /** The stored log's size as last seen (`undefined` without persistence). */
  get storedStats() {
    return this.#compactor?.stats;
  }

  /** Loads the document once; every caller shares the same attempt. `after` is awaited first. */
  load(after?: Promise<unknown>): Promise<void> {
    this.#loading ??= this.#load(after);
    return this.#loading;
  }

  async #load(after?: Promise<unknown>): Promise<void> {
    this.#state = "loading";
    const { load, persistence, room, logger } = this.options;
    try {
      await after?.catch(() => {});
      const initial = load ? await load() : null;
      if (initial) Y.applyUpdate(this.#doc, initial instanceof Uint8Array ? initial : Y.encodeStateAsUpdate(initial), LOAD_ORIGIN);
      if (persistence) await this.#loadStored(persistence);
    } catch (cause) {
      this.#state = "failed";
      const error = loadError(room, cause);
      logger.error(error.code === "ERR_DOCUMENT_DAMAGED" ? "yjs.document_damaged" : "yjs.load_failed", { code: error.code, room, error: asError(cause) });
      const reason = error.code === "ERR_DOCUMENT_DAMAGED" ? DAMAGED_REASON : "room could not load; try again";
      for (const peer of this.#peers.values()) peer.close(error.closeCode, reason);
      this.#peers.clear();
      this.#doc.destroy(); // also destroys the Awareness and its timer
      this.#releaseStored?.();
      throw error;
    }
    this.#startCallback();
    this.#doc.on("update", this.#onUpdate);
    settlePending(this.#doc);
    this.#storedPending = { structs: this.#doc.store.pendingStructs?.update ?? null, ds: this.#doc.store.pendingDs };
    this.#doc.on("afterTransaction", this.#persistPending);
    this.awareness.on("update", this.#onAwarenessUpdate);
    this.#state = "ready";
    for (const peer of [...this.#peers.values()]) this.#greet(peer);
    for (const peer of this.#leftWhileLoading.splice(0)) this.#applyWhatItSent(peer);
  }

  /**
   * A connection that sent changes and left before the room loaded: its document changes are applied now
   * (its presence is not: it has left). What a client sent before closing is never lost.
   */
  #applyWhatItSent(peer: Peer): void {
    for (const frame of peer.backlog ?? []) {
      if (peer.refused) break;
      if (isDocumentChange(frame)) this.#handle(peer, frame);
    }
    peer.backlog = undefined;
    this.#conversation.flush();
    this.#conversation.forget(peer);
  }

  async #loadStored({ store, name, policy }: SessionPersistence): Promise<void> {
    store.keep?.(name);
    this.#releaseStored = () => store.release?.(name);
    const stored = await store.load(name);
    if (stored) await this.#applyStored(stored);
    const logger = this.options.logger;
    // The live document already holds everything applied (and, with gc, is collected the same way the store's
    // merge would): encoding it is far cheaper than the store re-applying its whole log. Not with gc and
    // `load()`: what `load()` supplies is not stored, and the store's merge leaves it out.
    const snapshot = this.options.gc && this.options.load ? undefined : () => Y.encodeStateAsUpdate(this.#doc);
    const compactor = new Compactor({ store, name, policy, logger, snapshot });
    await compactor.start();
    if (!this.options.load) this.#size.loaded(compactor.stats.bytes);
    this.#compactor = compactor;
    this.#log = new UpdateLog({ store, name, logger, onAppended: (bytes) => compactor.noteAppended(bytes) });
  }

  /**
   * Applies the stored state. When nothing else is in the document (no `load()` state), the stored bytes ARE
   * the answer to a fresh client's sync step 1: fresh clients already waiting get them before the (slow, on a
   * cold process) apply, and the next ones get them without an encode, until the document changes.
   */
  async #applyStored(stored: Uint8Array): Promise<void> {
    const storedIsAll = this.#doc.store.clients.size === 0 && this.#doc.store.pendingStructs === null;
    if (!storedIsAll) return void Y.applyUpdate(this.#doc, stored, LOAD_ORIGIN);
    const answer = step2Frame(stored);
    const answered: Peer[] = [];
    for (const peer of this.#peers.values()) {
      const first = peer.backlog?.[0];
      if (first === undefined || !isFreshStep1(first)) continue;
      peer.backlog!.shift();
      peer.send(answer);
      answered.push(peer);
    }
    if (answered.length > 0) await whenWritten(answered, STORED_ANSWER_DRAIN_MS);
    Y.applyUpdate(this.#doc, stored, LOAD_ORIGIN);
    this.#conversation.rememberStep2(EMPTY_STATE_VECTOR, answer);
  }

  /**
   * Gives a session made without a change callback the one a later caller passes (the HTTP face loaded the room
   * before a socket's options, which carry the callback, arrived). Returns false when it already has one.
   */
  adoptCallback(callback: CallbackOptions): boolean {
    if (this.#callbackOptions) return false;
    this.#callbackOptions = callback;
    if (this.#state === "ready") this.#startCallback();
    return true;
  }

  #startCallback(): void {
    const callback = this.#callbackOptions;
    const { room, logger } = this.options;
    if (callback) this.#callback = new ChangeCallback({ callback, room, doc: this.#doc, logger });
  }

  /** Adds a connection; it is greeted (sync step 1, awareness) as soon as the room is ready. */
  attach(conn: SessionConnection, options: AttachOptions = {}): void {
    if (this.#state === "failed" || this.#state === "stopping" || this.#state === "stopped") {
      conn.close(CloseCode.TryAgainLater, "room is unloading; try again");
      return;
    }
    if (this.#peers.has(conn)) return;
    this.#conversation.flush(); // its greeting must reflect every update received before it
    const peer = new Peer(conn, options);
    this.#peers.set(conn, peer);
    if (this.#state === "ready") this.#greet(peer);
  }

  #greet(peer: Peer): void {
    this.#conversation.greet(peer);
    const backlog = peer.backlog;
    peer.backlog = undefined;
    if (backlog) for (const frame of backlog) if (!peer.closed) this.#handle(peer, frame);
  }

  /** One frame from a connection: a binary y-protocols frame, a `__YPS:` custom message or a batch marker. */
  receive(conn: SessionConnection, data: string | ArrayBuffer | ArrayBufferView): void {
    const peer = this.#peers.get(conn);
    if (!peer || peer.closed) return;
    const frame = typeof data === "string" ? data : toBytes(data);
    if (this.#state === "ready") return this.#handle(peer, frame);
    if (this.#state !== "created" && this.#state !== "loading") return;
    const backlog = (peer.backlog ??= []);
    if (backlog.length >= MAX_BACKLOG_FRAMES) {
      peer.close(CloseCode.TryAgainLater, "too many frames while the room loads");
      return void this.detach(conn);
    }
    backlog.push(frame);
  }

  #handle(peer: Peer, frame: Uint8Array | string): void {
    const custom = this.#conversation.handle(peer, frame);
    // User code runs outside the protocol's error handling: its throws are the runtime's to report.
    if (custom !== null) this.options.onCustomMessage?.(peer.conn, custom);
  }

  #refuse(peer: Peer, error: ProtocolError | YjsError): void {
    this.options.logger.warn("yjs.frame_refused", { code: error.code, room: this.options.room, connection: peer.conn.id, reason: error.message });
    peer.refused = true;
    peer.close(error.closeCode, closeReason(error));
    this.detach(peer.conn);
  }

  #pendingDropped(error: Error): void {
    this.options.logger.warn("yjs.pending_dropped", { room: this.options.room, reason: `structs waiting for their dependencies threw when retried: ${error.message}` });
  }

  /** Removes a connection and, for everyone else, the awareness states it controlled. */
  detach(conn: SessionConnection): void {
    const peer = this.#peers.get(conn);
    if (!peer) return;
    this.#conversation.flush(); // its last updates reach everyone before its presence goes
    this.#peers.delete(conn);
    peer.closed = true;
    this.#conversation.forget(peer);
    if (peer.backlog?.length && (this.#state === "created" || this.#state === "loading")) this.#leftWhileLoading.push(peer);
  }

  /** Applies an update from outside the sockets (HTTP, server code); resolves once it is stored. */
  async applyUpdate(update: Uint8Array, origin: unknown = HTTP_ORIGIN): Promise<void> {
    if (this.#state !== "ready") throw new YjsError("ERR_ROOM_STOPPED", `room ${this.options.room} is not loaded`);
    const shape = validateUpdate(update, this.#limits);
    this.#conversation.flush();
    validateAgainst(this.#doc, update, shape, this.#limits);
    this.#size.admit(update);
    let pendingError: Error | undefined;
    try {
      this.#doc.transact(() => {
        pendingError = withPendingAside(this.#doc, () => {
          validatePartsAgainst(this.#doc, update);
          Y.applyUpdate(this.#doc, update, origin);
        });
      }, origin);
    } catch (error) {
      if (error instanceof YjsError) throw error;
      throw new YjsError("ERR_INVALID_UPDATE", `Yjs refused the update: ${asError(error).message}`, { cause: error });
    } finally {
      if (pendingError) this.#pendingDropped(pendingError);
    }
    await this.whenDurable({ failFast: true });
  }

  /**
   * Resolves once every change applied so far is stored (at once without persistence). `failFast`: reject as soon
   * as a write of them fails (they stay queued and are retried), e.g. `ERR_STORAGE_FULL` for an HTTP answer.
   */
  whenDurable(options?: { failFast?: boolean }): Promise<void> {
    this.#conversation.flush();
    return this.#log?.whenDurable(options) ?? Promise.resolve();
  }

  sendCustomMessage(conn: SessionConnection, message: string): void {
    this.#peers.get(conn)?.send(encodeCustomMessage(message));
  }

  broadcastCustomMessage(message: string, without?: SessionConnection): void {
    const frame = encodeCustomMessage(message);
    for (const peer of this.#peers.values()) if (peer.conn !== without) peer.send(frame);
  }

  /** Every document change: the same frame to every connection (not back to a sole sender), then the store. */
  readonly #onUpdate = (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
    this.#conversation.broadcastUpdate(this.#peers.values(), update, transaction);
    this.#log?.append(update);
    this.#callback?.notify();
  };

  /**
   * Yjs holds an update whose dependencies it has not seen as "pending" and emits no `update` event for
   * it: without this, a change acknowledged as stored would only live in memory until the next
   * compaction. The pending state (as a v1 update) goes to the store whenever it changes; on load Yjs
   * keeps it pending again until the missing change arrives.
   */
  #storedPending: { structs: Uint8Array | null; ds: Uint8Array | null } = { structs: null, ds: null };
  readonly #persistPending = () => {
    settlePending(this.#doc);
    const { pendingStructs, pendingDs } = this.#doc.store;
    const structs = pendingStructs?.update ?? null;
    if (structs !== null && structs !== this.#storedPending.structs) this.#log?.append(Y.convertUpdateFormatV2ToV1(structs));
    if (pendingDs !== null && pendingDs !== this.#storedPending.ds) this.#log?.append(Y.convertUpdateFormatV2ToV1(pendingDs));
    this.#storedPending = { structs, ds: pendingDs };
  };

  readonly #onAwarenessUpdate = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    this.#conversation.broadcastAwareness(this.#peers.values(), change, origin);
  };

  /** Flushes the log, runs a pending callback, compacts per policy, then destroys the doc. Idempotent. */
  stop(): Promise<void> {
    if (this.#state === "ready") this.#conversation.flush();
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#loading?.catch(() => {});
    if (this.#state === "failed" || this.#state === "created") {
      this.#state = "stopped";
      if (!this.#doc.isDestroyed) this.#doc.destroy();
      return;
    }
    this.#state = "stopping";
    await this.#log?.close().catch(() => {}); // failures are logged by the log itself
    await this.#callback?.close();
    await this.#compactor?.finish();
    this.#releaseStored?.();
    for (const peer of this.#peers.values()) peer.closed = true;
    this.#peers.clear();
    this.#doc.off("update", this.#onUpdate);
    this.#doc.off("afterTransaction", this.#persistPending);
    this.#doc.destroy();
    this.#state = "stopped";
  }
}

const DAMAGED_REASON = "ERR_DOCUMENT_DAMAGED: stored document misses acknowledged updates; an operator must repair it";

/**
 * Why a load failed: damaged storage (the store's `ERR_DOCUMENT_DAMAGED`) is told apart from any other failure. The
 * client is told what to expect; which updates are missing, and where, goes to the log (the error's cause).
 */
function loadError(room: string, cause: unknown): YjsError {
  if ((cause as { code?: unknown }).code === "ERR_DOCUMENT_DAMAGED") {
    const message = `The stored document of room ${room} is damaged (it misses updates that were acknowledged) and is not served until an operator runs "yparty repair"`;
    return new YjsError("ERR_DOCUMENT_DAMAGED", message, { cause });
  }
  return new YjsError("ERR_LOAD_FAILED", `room ${room} could not load: ${asError(cause).message}`, { cause });
}

/** Resolves once every peer's socket has written out what it was given (or at once where that is not known), or after `ms`. */
async function whenWritten(peers: Peer[], ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  const pending = () => peers.some((peer) => !peer.closed && (peer.conn.bufferedAmount ?? 0) > 0);
  while (pending() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
}
