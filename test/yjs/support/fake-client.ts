/**
 * An in-process client for the core session: a Y.Doc and Awareness that talk to a DocumentSession
 * through the abstract connection interface, with every frame it receives recorded and awaitable.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { decodeMessage, encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate, type Message } from "../../../src/protocol/index.js";
import type { DocumentSession } from "../../../src/yjs/session.js";
import type { SessionConnection } from "../../../src/yjs/peer.js";

const FROM_SERVER = Symbol("from-server");
const DEFAULT_WAIT_MS = 2_000;

/**
 * Resolves once the updates sent so far are applied: the session applies a burst of updates at the end of
 * the socket read that delivered it (a microtask), as for a real socket.
 */
export const endOfRead = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

type Waiter = { match: (m: Message | string) => boolean; resolve: (m: Message | string) => void };

export class FakeClient implements SessionConnection {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** Every frame the server sent, raw. */
  readonly frames: Array<Uint8Array | string> = [];
  readonly messages: Array<Message | string> = [];
  closed: { code?: number; reason?: string } | undefined;
  #waiters: Waiter[] = [];
  #closeWaiters: Array<() => void> = [];
  #sentDocMessages = 0;

  constructor(
    readonly session: DocumentSession,
    readonly id: string,
  ) {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === FROM_SERVER) return;
      this.#sentDocMessages++;
      this.session.receive(this, encodeUpdate(update));
    });
    this.awareness.on("update", ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
      if (origin === FROM_SERVER) return;
      const changed = added!.concat(updated!, removed!);
      this.session.receive(this, encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)));
    });
  }

  /** Opens the conversation as y-websocket does: step 1 and our state as step 2. */
  handshake(): void {
    this.session.receive(this, encodeSyncStep1(Y.encodeStateVector(this.doc)));
    this.#sentDocMessages++;
    this.session.receive(this, encodeSyncStep2(Y.encodeStateAsUpdate(this.doc)));
  }

  send(data: Uint8Array | string): void {
    this.frames.push(data);
    const message = typeof data === "string" ? data : decodeMessage(data);
    this.messages.push(message);
    if (typeof message !== "string") this.#apply(message);
    this.#waiters = this.#waiters.filter((w) => (w.match(message) ? (w.resolve(message), false) : true));
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    for (const fn of this.#closeWaiters) fn();
  }

  #apply(message: Message): void {
    switch (message.type) {
      case "sync-step1":
        this.#sentDocMessages++;
        this.session.receive(this, encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector)));
        break;
      case "sync-step2":
      case "update":
        Y.applyUpdate(this.doc, message.update, FROM_SERVER);
        break;
      case "awareness":
        awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, FROM_SERVER);
        break;
      default:
        break;
    }
  }

  /** Resolves with the next received message matching `match` (or an already received one when `past`). */
  next<T extends Message | string>(match: (m: Message | string) => m is T, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return withTimeout(
      new Promise<T>((resolve) => this.#waiters.push({ match, resolve: resolve as (m: Message | string) => void })),
      timeoutMs,
      `client ${this.id}: no matching message`,
    );
  }

  whenClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<{ code?: number; reason?: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return withTimeout(new Promise((resolve) => this.#closeWaiters.push(() => resolve(this.closed!))), timeoutMs, `client ${this.id} not closed`);
  }

  /** How many sync-step2/update messages this client has sent (what the server counts for acks). */
  received(): number {
    return this.#sentDocMessages;
  }

  ofType<K extends Message["type"]>(type: K): Array<Extract<Message, { type: K }>> {
    return this.messages.filter((m): m is Extract<Message, { type: K }> => typeof m !== "string" && m.type === type);
  }

  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}

export const isType =
  <K extends Message["type"]>(type: K) =>
  (m: Message | string): m is Extract<Message, { type: K }> =>
    typeof m !== "string" && m.type === type;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A deferred promise, for stores whose writes the test releases by hand. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
