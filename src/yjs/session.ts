/**
 * The core of a Yjs room, shared by every face (y-partykit's `onConnect`, `YServer`, `DocumentParty`, the
 * HTTP API): one document and its Awareness, the connections attached to it, and the y-protocols conversation with
 * each. It is the one owner of the room's frames, bursts and acks: every frame is decoded here once, updates queue
 * into a burst that is applied in one transaction (burst.ts), and acks and refusals follow from what that returns.
 * Its collaborators are called one way and answer with return values: the sync answers cache, the awareness relay,
 * the update log, the compactor, the change callback, the peers. It knows connections only as `{ id, send, close }`.
 *
 * Lifecycle: created → `load()` (once; connections may attach meanwhile and their frames wait) → ready →
 * `stop()` (flush, compact, destroy). A failed load closes the waiting connections with 1013 and destroys
 * the document and its Awareness timer; the owner makes a new session for the next try.
 */
import * as Y from "yjs";
import {
  CloseCode,
  ProtocolError,
  decodeCustomMessage,
  decodeMessage,
  decodeWakeCall,
  encodeCustomMessage,
  encodePermissionDenied,
  isBatchMarker,
} from "../protocol/index.js";
import type { DocStore } from "../../persistence/types.js";
import type { Durability } from "../runtime/document-storage.js";
import type { Logger } from "../runtime/log.js";
import type { Connection } from "../runtime/party-types.js";
import { DEFAULT_LIMITS } from "../runtime/limits.js";
import { unstored } from "./unstored.js";
import { MAX_ANSWER_MESSAGE_BYTES } from "./answer-parts.js";
import { AwarenessRelay, type AwarenessChange } from "./awareness-relay.js";
import { checkReloadOrder } from "./reload-order.js";
import { appliedExactly, applyBurst, type BurstOutcome } from "./burst.js";
import { ChangeCallback } from "./change-callback.js";
import { DocumentSize, encodedSize } from "./document-size.js";
import { Compactor, type CompactionPolicy } from "./compaction.js";
import {
  GREETING_WHOLE_DOCUMENT_BYTES,
  MAX_AWARENESS_IDS_PER_CONNECTION,
  MAX_TYPE_DEPTH,
  READ_ONLY_REASON,
  STORED_ANSWER_DRAIN_MS,
  YJS_LIMITS,
  type YjsLimits,
} from "./defaults.js";
import { YjsError, asError, asRefusal } from "./errors.js";
import { EMPTY_STATE_VECTOR, closeReason, isDocumentChange, isFreshStep1, step2Frame, toBytes, updateFrame } from "./frames.js";
import type { CallbackOptions } from "./options.js";
import { Peer, type AttachOptions, type SessionConnection } from "./peer.js";
import { HTTP_ORIGIN, LOAD_ORIGIN, SharedDoc, type DocConnections } from "./shared-doc.js";
import { settlePending } from "./pending.js";
import { type CheckedWhole, checkForSlices, cutIntoSlices, nextTurn, skipFormattingCleanup } from "./slicing.js";
import { inHeavyTurn } from "../runtime/heavy-work.js";
import { sendingToMany } from "../runtime/direct-frame.js";
import { SyncAnswers } from "./sync-answers.js";
import { UpdateLog } from "./update-log.js";
import { newBytes } from "./new-parts.js";
import { WakeCalls } from "./wake-calls.js";
import { isEmptyUpdate, validateUpdate, wouldChange, type UpdateLimits } from "./validate.js";

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
  /**
   * When a change reaches the other connections: `"fast"` (default) as soon as it is applied; `"strict"` only once
   * it is stored, so no one ever sees a change a crash can take back (needs `persistence`).
   */
  durability?: Durability | undefined;
  /** State applied first on every load (y-partykit `load()`, y-partyserver `onLoad()`); not stored. */
  // biome-ignore lint/suspicious/noConfusingVoidType: y-partykit's load() may return nothing
  load?: () => Promise<Y.Doc | Uint8Array | null | undefined | void>;
  callback?: CallbackOptions;
  /** Asked for every change a connection sends. */
  isReadOnly?: (conn: SessionConnection) => boolean;
  onCustomMessage?: (conn: SessionConnection, message: string) => void;
  /** Awareness client ids one connection may own (default `MAX_AWARENESS_IDS_PER_CONNECTION`). */
  maxAwarenessIdsPerConnection?: number | undefined;
  /** Structs and deleted ranges the document lacks that one update may hold (default `limits.maxUpdateStructs`). */
  maxUpdateStructs?: number | undefined;
  /** The server's Yjs limits (default `YJS_LIMITS`; rooms pass `createServer({ documentLimits })` resolved). */
  limits?: Readonly<YjsLimits>;
  logger: Logger;
  /** Largest encoded document it takes (default `DEFAULT_LIMITS.maxDocumentBytes`; rooms pass the server's limit). */
  maxDocumentBytes?: number;
  /** How long its stop waits for the change callback still running (default: the callback's `timeout`, 5 s). */
  callbackCloseMs?: number;
}

/** What the log says, once per connection, about the awareness entries it drops. */
const AWARENESS_REFUSED = {
  "not-owner": "awareness entries for client ids another connection (or the server) owns are dropped",
  "over-cap": "awareness entries for more client ids than maxAwarenessIdsPerConnection are dropped",
  "clock-too-high": "awareness entries with a clock over 2^52 are dropped",
};

export type SessionState = "created" | "loading" | "ready" | "failed" | "stopping" | "stopped";

/** Scheduling through a settled promise costs less than `queueMicrotask` (an AsyncResource per call). */
const SETTLED = Promise.resolve();
const ignore = (): void => {};

export class DocumentSession {
  readonly #doc: SharedDoc;
  #state: SessionState = "created";
  #loading: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #peers = new Map<SessionConnection, Peer>();
  readonly #wakeCalls = new WakeCalls();
  /** Connections that left while the room loaded, with changes waiting in their backlog. */
  readonly #leftWhileLoading: Peer[] = [];
  readonly #answers: SyncAnswers;
  readonly #awareness: AwarenessRelay<Peer>;
  readonly #size: DocumentSize;
  readonly #limits: UpdateLimits;
  readonly #yjsLimits: Readonly<YjsLimits>;
  readonly #strict: boolean;
  #log: UpdateLog | undefined;
  #compactor: Compactor | undefined;
  #callback: ChangeCallback | undefined;
  /** The change callback's options: given at creation, or adopted later (see `adoptCallback`). */
  #callbackOptions: CallbackOptions | undefined;
  /** Ends the store's `keep` of this document (the room is done with it). */
  #releaseStored: (() => void) | undefined;

  // The burst: updates of one connection received in this turn of the event loop, applied together (burst.ts).
  #burstPeer: Peer | null = null;
  #burstUpdates: Uint8Array[] = [];
  /** The frame of the burst's last update when it came as an update message (sent on as is when it is the only one). */
  #burstFrame: Uint8Array | null = null;
  /** The sender's document-message count of the burst's last update. */
  #burstCount = 0;
  #burstScheduled = false;
  /** While a burst is applied: its sender, and its transaction when that holds nothing else (no echo to the sender). */
  #applying: Peer | null = null;
  #ownTransaction: Y.Transaction | null = null;
  /** While a burst of one update is applied: its frame, when it came as an update message. */
  #loneFrame: Uint8Array | null = null;
  /** The `update` listener is off: the transaction that just ended was sent as received (`#sendAsReceived`). */
  #updatesOff = false;

  // An update too big for one turn, applied in slices (slicing.ts). Meanwhile every frame the room receives waits in
  // its connection's backlog, and new connections wait for their greeting: the room is as if the update were one.
  /** Settles once the update being applied in slices is all in (or refused). */
  #slicing: Promise<void> | undefined;
  /** While a slice is applied: what it changed (stored at once, sent to the others only whole, at the end). */
  #sliceChanges: Uint8Array[] | null = null;
  /** Frames held so far: each one's arrival, so that what is held is handled in the order it came. */
  #heldFrames = 0;
  /** Whether every slice's transaction held only the slice (see `#ownTransaction`): the sender then has it all. */
  #slicesOwn = true;
  /** Connections that came while the room was applying slices: greeted once it is done. */
  readonly #ungreeted: Peer[] = [];
  readonly #markOwn = (transaction: Y.Transaction): void => void (this.#ownTransaction = transaction);
  /** One function for every microtask: no closure per frame. */
  readonly #flushTask = (): void => {
    this.#burstScheduled = false;
    this.#flush();
  };

  constructor(private readonly options: SessionOptions) {
    this.#doc = new SharedDoc(options.room, options.gc, () => this.#describeConnections());
    this.#callbackOptions = options.callback;
    this.#strict = options.durability === "strict";
    this.#size = new DocumentSize(
      () => encodedSize(this.doc),
      options.maxDocumentBytes ?? DEFAULT_LIMITS.maxDocumentBytes,
      (update) => newBytes(this.doc, update),
    );
    this.#yjsLimits = options.limits ?? YJS_LIMITS;
    this.#limits = {
      maxStructs: options.maxUpdateStructs ?? this.#yjsLimits.maxUpdateStructs,
      structsPerTurn: this.#yjsLimits.structsPerTurn,
      maxTypeDepth: MAX_TYPE_DEPTH,
    };
    checkReloadOrder(
      this.#doc,
      this.#yjsLimits.reloadOrderCheckBytes,
      () => this.#size.estimate,
      (message) => options.logger.warn("yjs.order_unchecked", { room: options.room, message }),
    );
    this.#answers = new SyncAnswers(this.#doc);
    this.#awareness = new AwarenessRelay(
      this.#doc.awareness,
      options.maxAwarenessIdsPerConnection ?? MAX_AWARENESS_IDS_PER_CONNECTION,
      (peer, clientId, reason) =>
        options.logger.warn("yjs.awareness_refused", { room: options.room, connection: peer.conn.id, clientId, reason, message: AWARENESS_REFUSED[reason] }),
    );
    // Every transaction, even one that only parks pending structs (which a step 2 includes), changes the answers.
    this.#doc.on("afterTransaction", () => this.#answers.forget());
  }

  /** The document, with every update received so far applied (a burst still in its socket read is flushed). */
  get doc(): SharedDoc {
    this.#flush();
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
  /** `doc.conns`: every face attaches the room's own connections, so they are the project's `Party.Connection`s. */
  #describeConnections(): DocConnections {
    const described: DocConnections = new Map();
    for (const [conn, peer] of this.#peers) described.set(conn as Connection, this.#awareness.idsOf(peer));
    return described;
  }
  /** Awareness entries dropped since the room loaded: client ids their sender does not own, or past its cap. */
  get awarenessRefused(): number {
    return this.#awareness.refused;
  }
  /** Whether the document is kept in a store (`persist` with a store to keep it in). */
  get persisted(): boolean {
    return this.options.persistence !== undefined;
  }
  /** The stored log's size as last seen (`undefined` without persistence). */
  get storedStats() {
    return this.#compactor?.stats;
  }

  // ---- loading ---------------------------------------------------------------------------------

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
    this.#doc.on("afterTransaction", this.#afterTransaction);
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
    for (const frame of peer.takeBacklog() ?? []) {
      if (peer.refused) break;
      const change = this.#documentChangeIn(peer, frame);
      if (change) this.#handle(peer, change); // held again should the room start applying slices
    }
    this.#flush();
    if (this.#slicing) return void this.#leftWhileLoading.push(peer); // the rest of it was held: taken up after
    peer.dropBatch();
    this.#awareness.forget(peer);
  }

  /**
   * The document change that `frame` of a client that left is, or completes (the end of a y-partykit batch: a paste
   * too big for one frame); undefined for anything else, its presence and questions included, and for a bad batch.
   */
  #documentChangeIn(peer: Peer, frame: Uint8Array | string): Uint8Array | string | undefined {
    const marker = typeof frame === "string" && isBatchMarker(frame);
    if (!peer.inBatch && !marker) return isDocumentChange(frame) ? frame : undefined;
    try {
      const reader = peer.chunks(this.#yjsLimits.maxBatchBytes);
      const whole = typeof frame !== "string" ? reader.binary(frame) : marker ? reader.marker(frame) : null;
      peer.batchHeld();
      return whole && isDocumentChange(whole) ? whole : undefined;
    } catch (error) {
      if (error instanceof ProtocolError) return undefined;
      throw error;
    }
  }

  async #loadStored({ store, name, policy }: SessionPersistence): Promise<void> {
    store.keep?.(name);
    this.#releaseStored = () => store.release?.(name);
    const stored = await store.load(name);
    if (stored) await this.#applyStored(stored);
    const logger = this.options.logger;
    // The live document already holds everything applied (and, with gc, is collected the same way the store's
    // merge would): encoding it is far cheaper than the store re-applying its whole log. Not with `load()`: what it
    // supplies is never stored (applied again at every load, it would pile up), and the store's merge leaves it out.
    const snapshot = this.options.load ? undefined : () => Y.encodeStateAsUpdate(this.#doc);
    const keepDeleted = !this.options.gc;
    const compactor = new Compactor({ store, name, policy, logger, snapshot, keepDeleted, busy: () => this.#slicing !== undefined });
    await compactor.start();
    if (!this.options.load) this.#size.loaded(compactor.stats.bytes);
    this.#compactor = compactor;
    this.#log = new UpdateLog({
      store,
      name,
      logger,
      lazy: !this.#strict,
      onAppended: (bytes, entries) => compactor.noteAppended(bytes, entries),
      onLost: () => this.#storageLost(),
    });
  }

  /**
   * Applies the stored state. When nothing else is in the document (no `load()` state), the stored bytes ARE
   * the answer to a fresh client's sync step 1: fresh clients already waiting get them before the (slow, on a
   * cold process) apply, and the next ones get them without an encode, until the document changes.
   */
  async #applyStored(stored: Uint8Array): Promise<void> {
    const storedIsAll = this.#doc.store.clients.size === 0 && this.#doc.store.pendingStructs === null;
    // Over the largest answer message, the answer goes in parts (answer-parts.ts), cut from the loaded document.
    // A pass over the whole document: rooms loading together (a node taking over a dead node's rooms) take turns.
    const apply = () => inHeavyTurn(() => Y.applyUpdate(this.#doc, stored, LOAD_ORIGIN), true);
    if (!storedIsAll || stored.byteLength > MAX_ANSWER_MESSAGE_BYTES) return void (await apply());
    const answer = step2Frame(stored);
    const answered: Peer[] = [];
    for (const peer of this.#peers.values()) {
      const first = peer.backlog?.[0];
      if (first === undefined || !isFreshStep1(first)) continue;
      peer.dropFirst();
      peer.send(answer);
      answered.push(peer);
    }
    if (answered.length > 0) await whenWritten(answered, STORED_ANSWER_DRAIN_MS);
    await apply();
    this.#answers.remember(EMPTY_STATE_VECTOR, answer);
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
    const stored = this.options.persistence;
    const lane = stored && { scope: stored.store, name: stored.name };
    if (callback) this.#callback = new ChangeCallback({ callback, room, doc: this.#doc, logger, closeWithinMs: this.options.callbackCloseMs, lane });
  }

  /**
   * The store refuses this room's writes for good (fenced: another node of the cluster owns the room now): nothing
   * more is stored or acknowledged here, so its clients are closed (1013) to reconnect to the owner, their unstored
   * changes with them, and no one else is let in.
   */
  #storageLost(): void {
    for (const peer of [...this.#peers.values()]) peer.close(CloseCode.TryAgainLater, "the room moved to another node; try again");
    this.#peers.clear();
    this.#wakeCalls.stop();
  }

  // ---- connections -----------------------------------------------------------------------------

  /** Adds a connection; it is greeted (sync step 1, awareness) as soon as the room is ready. */
  attach(conn: SessionConnection, options: AttachOptions = {}): void {
    if (this.#state === "failed" || this.#state === "stopping" || this.#state === "stopped" || this.#log?.lost) {
      conn.close(CloseCode.TryAgainLater, "room is unloading; try again");
      return;
    }
    if (this.#peers.has(conn)) return;
    this.#flush(); // its greeting must reflect every update received before it
    const peer = new Peer(conn, options);
    this.#peers.set(conn, peer);
    if (this.#slicing) this.#ungreeted.push(peer);
    else if (this.#state === "ready") this.#greet(peer);
  }

  /**
   * What a new connection gets first: sync step 1, a small document whole (defaults.ts,
   * `GREETING_WHOLE_DOCUMENT_BYTES`), every awareness state the room knows, then what it sent. The whole document goes
   * only to a connection that sent nothing yet (one whose step 1 waited for the load may have been answered already).
   */
  #greet(peer: Peer): void {
    peer.send(this.#answers.step1());
    if (peer.backlog === undefined && this.#isSmall()) {
      peer.answeredAhead = true;
      this.#whenVisible(peer, this.#answers.step2(EMPTY_STATE_VECTOR));
    }
    if (this.#awareness.hasStates) peer.send(this.#awareness.statesFrame());
    for (const frame of peer.takeBacklog() ?? []) if (!peer.gone) this.#handle(peer, frame);
  }

  /** Whether the document is empty or known to be small enough to go whole with a greeting (never measures it). */
  #isSmall(): boolean {
    const { clients, pendingStructs, pendingDs } = this.#doc.store;
    return (clients.size === 0 && pendingStructs === null && pendingDs === null) || this.#size.atMost(GREETING_WHOLE_DOCUMENT_BYTES);
  }

  /** Removes a connection and, for everyone else, the awareness states it controlled. */
  detach(conn: SessionConnection): void {
    const peer = this.#peers.get(conn);
    if (!peer) return;
    this.#flush(); // its last updates reach everyone before its presence goes
    this.#peers.delete(conn);
    peer.closed = true;
    this.#wakeCalls.forget(peer);
    this.#awareness.forget(peer);
    // What a client sent before it left is applied once the room can (an unfinished batch of it with the rest);
    // not when the server closed it for good.
    if (peer.conn.discardsInput !== true && peer.backlog?.length && (this.#state === "created" || this.#state === "loading" || this.#slicing))
      return void this.#leftWhileLoading.push(peer);
    peer.takeBacklog();
    peer.dropBatch();
  }

  // ---- frames ----------------------------------------------------------------------------------

  /** One frame from a connection: a binary y-protocols frame, a `__YPS:` custom message, a wake-up call or a batch marker. */
  receive(conn: SessionConnection, data: string | ArrayBuffer | ArrayBufferView): void {
    const peer = this.#peers.get(conn);
    if (!peer || peer.closed) return;
    const frame = typeof data === "string" ? data : toBytes(data);
    if (this.#state === "ready") return this.#handle(peer, frame);
    if (this.#state !== "created" && this.#state !== "loading") return;
    this.#hold(peer, frame);
  }

  /**
   * Keeps a frame for later: the room is loading, or applying an update in slices. The connection is not read
   * meanwhile (TCP pushes back on its client), so what waits in memory is at most the rest of one socket read;
   * past the cap on that (a client the pause does not reach), 1013.
   */
  #hold(peer: Peer, frame: Uint8Array | string): void {
    if (peer.hold(frame, this.#yjsLimits.maxBacklogFrames, ++this.#heldFrames)) return;
    peer.close(CloseCode.TryAgainLater, this.#slicing ? "too many frames while the room applies a large update" : "too many frames while the room loads");
    this.detach(peer.conn);
  }

  /** Holds `frame` when the room is applying an update in slices (it may have just started to): true when held. */
  #heldWhileSlicing(peer: Peer, frame: Uint8Array | string): boolean {
    if (this.#slicing === undefined) return false;
    this.#hold(peer, frame);
    return true;
  }

  /** A frame it refuses (ProtocolError, YjsError) closes the connection before anything of it is applied. */
  #handle(peer: Peer, frame: Uint8Array | string): void {
    if (this.#heldWhileSlicing(peer, frame)) return;
    let custom: string | null = null;
    try {
      if (typeof frame !== "string") {
        const whole = peer.inBatch ? peer.chunks(this.#yjsLimits.maxBatchBytes).binary(frame) : frame;
        if (whole !== frame) peer.batchHeld();
        if (whole) this.#handleFrame(peer, whole);
      } else if (isBatchMarker(frame)) {
        const whole = peer.chunks(this.#yjsLimits.maxBatchBytes).marker(frame);
        peer.batchHeld();
        if (whole) this.#handleFrame(peer, whole);
      } else {
        const wakeIn = decodeWakeCall(frame);
        if (wakeIn !== null) return this.#wakeCalls.ask(peer, wakeIn);
        this.#flush(); // a custom message's handler may read the document
        if (this.#heldWhileSlicing(peer, frame)) return;
        custom = decodeCustomMessage(frame); // other text is not ours: ignored
      }
    } catch (error) {
      if (!(error instanceof ProtocolError) && !(error instanceof YjsError)) throw error;
      return this.#refuse(peer, error);
    }
    // User code runs outside the protocol's error handling: its throws are the runtime's to report.
    if (custom !== null && !peer.refused) this.options.onCustomMessage?.(peer.conn, custom);
  }

  #handleFrame(peer: Peer, bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    if (message.type === "update" || message.type === "sync-step2") return this.#receiveUpdate(peer, message.update, bytes, message.type === "update");
    // Only a run of updates from one connection is a burst; anything else sees every update before it.
    this.#flush();
    if (peer.refused || this.#heldWhileSlicing(peer, bytes)) return; // an update of its burst was refused, or is applied in slices
    switch (message.type) {
      case "sync-step1":
        // Everything since the greeting's whole document reached it as changes: the answer would repeat them.
        if (peer.takeAnsweredAhead()) return;
        return this.#whenVisible(peer, this.#answers.step2(message.stateVector));
      case "awareness":
        return this.#awareness.receive(peer, message.update, peer.conn);
      case "query-awareness":
        return peer.send(this.#awareness.statesFrame());
      default:
        throw new YjsError("ERR_UNEXPECTED_MESSAGE", `clients do not send ${message.type} messages`);
    }
  }

  /**
   * A sync step 2 or update (`bytes`, the whole frame): queued into the burst unless read-only; counted for durable
   * acks either way. An update message's frame is what the others get when the update is the burst's only one.
   */
  #receiveUpdate(peer: Peer, update: Uint8Array, bytes: Uint8Array, isUpdateMessage: boolean): void {
    const empty = isEmptyUpdate(update); // a fresh client's step 2: nothing to apply
    const readOnly = !empty && (peer.readOnly || this.options.isReadOnly?.(peer.conn) === true);
    // Bursts never mix connections (each keeps its own origin), and an ack covers the burst before it: applied first.
    if (this.#burstPeer !== peer || empty || readOnly) this.#flush();
    if (!empty && !readOnly) this.#admit(update); // may measure the document, which applies the burst so far
    if (peer.refused || this.#heldWhileSlicing(peer, bytes)) return; // what came before is refused, or applied in slices
    const count = ++peer.received;
    if (empty) return this.#acknowledge(peer, count);
    if (readOnly) return this.#refuseChange(peer, update, count);
    this.#burstPeer = peer;
    this.#burstUpdates.push(update);
    this.#burstFrame = isUpdateMessage ? bytes : null;
    this.#burstCount = count;
    if (!this.#burstScheduled) {
      this.#burstScheduled = true;
      void SETTLED.then(this.#flushTask);
    }
  }

  /** Throws when the change may not be applied: the document would pass its size, or the store is too far behind. */
  #admit(update: Uint8Array): void {
    const max = this.#yjsLimits.maxUnstoredBytes;
    if (this.#log && unstored.bytes + update.byteLength > max) {
      throw new YjsError(
        "ERR_STORAGE_BACKLOG",
        `the server holds ${max} bytes of changes its storage has not taken yet (is the database reachable?): this change is refused; send it again later`,
      );
    }
    this.#size.admit(update);
  }

  /** A read-only connection's change: not applied, acked all the same, and it is told once. */
  #refuseChange(peer: Peer, update: Uint8Array, count: number): void {
    validateUpdate(update, this.#limits, this.#doc);
    this.#flush();
    if (!peer.toldReadOnly && wouldChange(this.#doc, update)) {
      peer.toldReadOnly = true;
      peer.send(encodePermissionDenied(READ_ONLY_REASON));
    }
    this.#acknowledge(peer, count);
  }

  /** Applies the burst now (right after the socket read that delivered it, or before anything that must see it). */
  #flush(): void {
    const peer = this.#burstPeer;
    if (peer === null) return;
    const updates = this.#burstUpdates;
    const count = this.#burstCount;
    this.#burstPeer = null;
    this.#burstUpdates = [];
    const outcome = this.#apply(peer, peer.conn, updates, updates.length === 1 ? this.#burstFrame : null);
    this.#burstFrame = null;
    const applied = count - (updates.length - outcome.applied);
    this.#acknowledge(peer, applied);
    if (outcome.refusal) this.#refuse(peer, outcome.refusal);
    else if (outcome.oversized) this.#sliceBurst(peer, updates, outcome.applied, applied + 1, outcome.withinLimit === true);
  }

  /**
   * Applies `updates` from `sender` (null: from outside the sockets) in one transaction (burst.ts). A socket's changes
   * carry its connection as origin, as in y-partykit and y-partyserver: project code attributes edits by it.
   */
  #apply(sender: Peer | null, origin: unknown, updates: readonly Uint8Array[], loneFrame: Uint8Array | null): BurstOutcome {
    this.#applying = sender;
    this.#loneFrame = loneFrame;
    const outcome = applyBurst(this.#doc, updates, origin, this.#limits, this.#markOwn);
    this.#listenForUpdates();
    this.#applying = null;
    this.#loneFrame = null;
    this.#ownTransaction = null;
    if (outcome.pendingDropped) this.#pendingDropped(outcome.pendingDropped);
    return outcome;
  }

  // ---- updates too big for one turn (slicing.ts) ---------------------------------------------------

  /**
   * Update number `index` of a burst of `peer` (its document message number `count`) is too big for one turn: it is
   * applied in slices, then acked. The burst's later updates go back, as frames, to the front of what the connection
   * sent after them, to be handled once it is in.
   */
  #sliceBurst(peer: Peer, updates: readonly Uint8Array[], index: number, count: number, judged: boolean): void {
    const rest = updates.slice(index + 1);
    peer.received -= rest.length;
    if (rest.length > 0) peer.putBack(rest.map(updateFrame));
    void this.#applyInSlices(peer, peer.conn, updates[index]!, judged, (refusal) => {
      if (refusal) this.#refuse(peer, refusal);
      else this.#acknowledge(peer, count);
    });
  }

  /**
   * Applies `update` a slice per turn, then calls `settle` with why it was refused, if it was (it is checked whole
   * first: nothing of it is applied then). The room holds everything else meanwhile and takes it up after `settle`.
   */
  #applyInSlices(sender: Peer | null, origin: unknown, update: Uint8Array, judged: boolean, settle: (refusal: YjsError | undefined) => void): Promise<void> {
    const slicing = this.#slices(sender, origin, update, judged)
      .then(settle, (error: unknown) => settle(asRefusal(error)))
      .finally(() => this.#resume());
    this.#slicing = slicing;
    return slicing;
  }

  /** `judged`: `update` is known to be within `maxUpdateStructs` already (`BurstOutcome.withinLimit`). */
  async #slices(sender: Peer | null, origin: unknown, update: Uint8Array, judged: boolean): Promise<YjsError | undefined> {
    // The whole is checked in one turn, cut in the next: each walks all of it (~0.5 µs a struct).
    const started = performance.now();
    await nextTurn();
    let checked: CheckedWhole;
    try {
      checked = checkForSlices(this.#doc, update, this.#limits, judged);
      if (checked.addsNothing) {
        // Sent again: Yjs would skip every struct of it, slice after slice, while the room holds everyone's frames.
        // Only its deletions can be new: they are what is applied (and stored, and sent).
        await nextTurn();
        // It lacks nothing the update did not (its structs the room lacks, the same deleted ranges): judged already.
        update = Y.diffUpdate(update, Y.encodeStateVector(this.#doc));
        checked = checkForSlices(this.#doc, update, this.#limits, true);
      }
    } catch (error) {
      return asRefusal(error);
    }
    await nextTurn();
    const slices = cutIntoSlices(checked, this.#limits);
    this.options.logger.debug("yjs.update_slicing", { room: this.options.room, bytes: update.byteLength, slices: slices.length });
    const changes: Uint8Array[] = [];
    this.#slicesOwn = true;
    let refusal: YjsError | undefined;
    let applied = 0;
    try {
      for (const slice of slices) {
        if (applied > 0) await nextTurn();
        if (this.#log?.lost) return undefined; // its clients were closed: they send it to the room's new node
        this.#sliceChanges = changes;
        const outcome = this.#apply(sender, origin, [slice], null);
        this.#sliceChanges = null;
        if (outcome.refusal) {
          // The whole passed every check but the copy's, which a slice's items may fail: what is in stays, as after a throw.
          this.options.logger.warn("yjs.slice_refused", { room: this.options.room, slice: applied, slices: slices.length, reason: outcome.refusal.message });
          refusal = outcome.refusal;
          break;
        }
        applied++;
      }
    } finally {
      this.#sliceChanges = null;
      // What is in is stored as one entry, and reaches the others, however the slices ended: the live document, its
      // clients and its store never disagree, and a crash meanwhile leaves none of it (its sender, not acked, sends it again).
      if (changes.length > 0) {
        const whole = applied === slices.length && checked.sendWhole ? update : Y.mergeUpdates(changes);
        this.#log?.append(whole);
        this.#whenVisible(this.#slicesOwn ? sender : null, updateFrame(whole), true);
      }
      this.#persistPending();
    }
    if (refusal) return refusal;
    const ms = Math.round(performance.now() - started);
    this.options.logger.debug("yjs.update_sliced", { room: this.options.room, bytes: update.byteLength, slices: slices.length, ms });
    return undefined;
  }

  /** The update applied in slices is in: new connections are greeted, and every frame held meanwhile is handled. */
  #resume(): void {
    this.#slicing = undefined;
    this.#compactor?.recheck(); // a merge the slices' appends asked for was held back until now
    for (const peer of this.#ungreeted.splice(0)) {
      if (this.#slicing)
        this.#ungreeted.push(peer); // a held frame started another
      else if (!peer.closed) this.#greet(peer);
    }
    // In the order they arrived, across connections: one that sends large update after large update does not keep
    // the others' frames, which came before its next, waiting behind each of them.
    const held = [...this.#peers.values()].flatMap((peer) => peer.takeHeld()).sort((a, b) => a.arrival - b.arrival);
    for (const { peer, frame } of held) if (!peer.gone) this.#handle(peer, frame); // held again should slicing restart
    for (const peer of this.#leftWhileLoading.splice(0)) this.#applyWhatItSent(peer);
  }

  /** Resolves once no update is being applied in slices (the burst so far applied too). */
  async #idle(): Promise<void> {
    this.#flush();
    while (this.#slicing) {
      await this.#slicing;
      this.#flush();
    }
  }

  /** Acks the first `count` document messages of `peer` once everything applied so far is stored. */
  #acknowledge(peer: Peer, count: number): void {
    if (!peer.wantsAcks || count === 0) return;
    // The ack covers the messages before this one: a burst of them still waiting is applied (and handed to the log)
    // first. An empty update right behind a change was acked at once, covering a change not even applied yet.
    if (this.#burstPeer === peer) this.#flush();
    // A failed write is logged by the update log; the connection then simply gets no ack for it.
    (this.#log?.whenDurable() ?? SETTLED).then(() => peer.ack(count), ignore);
  }

  #refuse(peer: Peer, error: ProtocolError | YjsError): void {
    this.options.logger.warn("yjs.frame_refused", { code: error.code, room: this.options.room, connection: peer.conn.id, reason: error.message });
    peer.refused = true;
    peer.close(error.closeCode, closeReason(error));
    this.detach(peer.conn);
  }

  #pendingDropped(error: Error): void {
    this.options.logger.warn("yjs.pending_dropped", {
      room: this.options.room,
      reason: `structs waiting for their dependencies threw when retried: ${error.message}`,
    });
  }

  // ---- changes out -----------------------------------------------------------------------------

  /**
   * Sends `frame` (document content) to `peer`, or to every connection but `peer` when `others`: at once, or with
   * strict durability once everything applied so far is stored. Frames wait in order (the log's waiters resolve in
   * the order they were queued).
   */
  #whenVisible(peer: Peer | null, frame: Uint8Array, others = false): void {
    if (!this.#strict || !this.#log) return others ? this.#broadcast(frame, peer) : peer!.send(frame);
    const send = others ? () => this.#broadcast(frame, peer) : () => peer!.send(frame);
    void this.#log.whenDurable().then(send, ignore);
  }

  /** Resolves once no update is being applied in slices: what the document holds then is every update received whole. */
  whenWhole(): Promise<void> {
    return this.#slicing ? this.#idle() : SETTLED;
  }

  /**
   * Resolves once what the document holds now may be shown to anyone: at once, or with strict durability once it is
   * stored (an HTTP read waits for it; rejects if the log closed without storing it).
   */
  whenShareable(): Promise<void> {
    this.#flush();
    if (this.#slicing) return this.#idle().then(() => this.whenShareable());
    return this.#strict && this.#log ? this.#log.whenDurable() : SETTLED;
  }

  /** The same frame to every connection but `without`, framed for the wire once (the frame is not changed meanwhile). */
  #broadcast(frame: Uint8Array | string, without: Peer | null): void {
    sendingToMany(frame, () => {
      for (const peer of this.#peers.values()) if (peer !== without) peer.send(frame);
    });
  }

  /** Every document change: encoded once, the same frame to every connection (not back to a sole sender), then the store. */
  readonly #onUpdate = (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
    this.#changed(update, updateFrame(update), transaction);
  };

  #changed(update: Uint8Array, frame: Uint8Array, transaction: Y.Transaction): void {
    if (this.#sliceChanges === null) {
      this.#log?.append(update);
      this.#whenVisible(transaction === this.#ownTransaction ? this.#applying : null, frame, true);
    } else {
      // A slice's change is stored with the others once they are all in (see #slices): never a part across a crash.
      this.#sliceChanges.push(update);
      if (transaction !== this.#ownTransaction) this.#slicesOwn = false;
    }
    this.#callback?.notify();
  }

  /**
   * A transaction that applied one update exactly as received (burst.ts, `appliedExactly`) changed what its bytes say:
   * they go to the others and the store as they came (an update message's frame as it came, too), and Yjs is spared
   * encoding the change again: the `update` listener is off until the next transaction. Done where the `update`
   * event would come (before the changes observers make in reaction), so the order of changes is Yjs's.
   */
  #sendAsReceived(transaction: Y.Transaction): void {
    const update = appliedExactly(transaction);
    if (update === undefined) return;
    const frame = this.#loneFrame !== null && transaction === this.#ownTransaction ? this.#loneFrame : updateFrame(update);
    this.#changed(update, frame, transaction);
    this.#doc.muteUpdate(this.#onUpdate);
    this.#updatesOff = true;
  }

  /** Turns the `update` listener back on after a change sent as received. */
  #listenForUpdates(): void {
    if (!this.#updatesOff) return;
    this.#updatesOff = false;
    this.#doc.unmuteUpdate(this.#onUpdate);
  }

  /** After every transaction (the room's ready): its size counted, the `update` listener back on, pending state stored, a lone update sent on. */
  readonly #afterTransaction = (transaction: Y.Transaction) => {
    if (this.#sliceChanges !== null) skipFormattingCleanup(transaction);
    this.#size.applied(transaction);
    this.#listenForUpdates();
    this.#persistPending();
    this.#sendAsReceived(transaction);
  };

  /**
   * Yjs holds an update whose dependencies it has not seen as "pending" and emits no `update` event for
   * it: without this, a change acknowledged as stored would only live in memory until the next
   * compaction. The pending state (as a v1 update) goes to the store whenever it changes; on load Yjs
   * keeps it pending again until the missing change arrives.
   */
  #storedPending: { structs: Uint8Array | null; ds: Uint8Array | null } = { structs: null, ds: null };
  #persistPending(): void {
    settlePending(this.#doc);
    if (this.#sliceChanges !== null) return; // stored with the slices, once they are all in
    const { pendingStructs, pendingDs } = this.#doc.store;
    const structs = pendingStructs?.update ?? null;
    const stored = this.#storedPending;
    if (structs === stored.structs && pendingDs === stored.ds) return; // the usual transaction: nothing pending, before or after
    if (structs !== null && structs !== stored.structs) this.#log?.append(Y.convertUpdateFormatV2ToV1(structs));
    if (pendingDs !== null && pendingDs !== stored.ds) this.#log?.append(Y.convertUpdateFormatV2ToV1(pendingDs));
    stored.structs = structs;
    stored.ds = pendingDs;
  }

  readonly #onAwarenessUpdate = (change: AwarenessChange, origin: unknown) => {
    this.#broadcast(this.#awareness.changeFrame(change, origin), null);
  };

  sendCustomMessage(conn: SessionConnection, message: string): void {
    this.#peers.get(conn)?.send(encodeCustomMessage(message));
  }

  broadcastCustomMessage(message: string, without?: SessionConnection): void {
    this.#broadcast(encodeCustomMessage(message), (without && this.#peers.get(without)) ?? null);
  }

  // ---- from outside the sockets ----------------------------------------------------------------

  /** Applies an update from outside the sockets (HTTP, server code); resolves once it is stored. */
  async applyUpdate(update: Uint8Array, origin: unknown = HTTP_ORIGIN): Promise<void> {
    if (this.#state !== "ready") throw new YjsError("ERR_ROOM_STOPPED", `room ${this.options.room} is not loaded`);
    if (this.#slicing) await this.#idle();
    this.#flush();
    this.#admit(update);
    const outcome = this.#apply(null, origin, [update], null);
    let refusal = outcome.refusal;
    if (outcome.oversized) await this.#applyInSlices(null, origin, update, outcome.withinLimit === true, (refused) => void (refusal = refused));
    if (refusal) throw refusal;
    await this.whenDurable({ failFast: true });
  }

  /**
   * Resolves once every change applied so far is stored (at once without persistence). `failFast`: reject as soon
   * as a write of them fails (they stay queued and are retried), e.g. `ERR_STORAGE_FULL` for an HTTP answer.
   */
  whenDurable(options?: { failFast?: boolean }): Promise<void> {
    this.#flush();
    if (this.#slicing) return this.#idle().then(() => this.whenDurable(options));
    return this.#log?.whenDurable(options) ?? Promise.resolve();
  }

  // ---- stop ------------------------------------------------------------------------------------

  /** Flushes the log, runs a pending callback, compacts per policy, then destroys the doc. Idempotent. */
  stop(): Promise<void> {
    if (this.#state === "ready") this.#flush();
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#loading?.catch(() => {});
    if (this.#state === "ready") await this.#idle(); // an update being applied in slices was received: it goes in whole
    if (this.#state === "failed" || this.#state === "created") {
      this.#state = "stopped";
      if (!this.#doc.isDestroyed) this.#doc.destroy();
      return;
    }
    this.#state = "stopping";
    await this.#log?.close().catch(() => {}); // failures are logged by the log itself
    await this.#callback?.close();
    // A room whose writes are refused for good (fenced: another node owns it now) does not encode itself for a merge
    // the store would refuse too: rooms a node loses together stop together.
    if (this.#log?.lost) await this.#compactor?.settled();
    else await this.#compactor?.finish();
    this.#releaseStored?.();
    for (const peer of this.#peers.values()) peer.closed = true;
    this.#peers.clear();
    this.#wakeCalls.stop();
    this.#doc.off("update", this.#onUpdate);
    this.#doc.off("afterTransaction", this.#afterTransaction);
    this.#doc.destroy();
    // Code still holding the document (a request that got it from `unstable_getYDoc` before its room stopped) fails
    // loudly on its next change: nothing stores this document any more, so the change would be lost.
    const room = this.options.room;
    this.#doc.on("beforeAllTransactions", () => {
      throw new YjsError("ERR_ROOM_STOPPED", `the document of room "${room}" was unloaded with its room instance: get it again (its change would be lost)`);
    });
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
