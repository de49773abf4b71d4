/**
 * An honest replica over a raw socket: a Y.Doc that takes what it sends and what the room sends it, and answers the
 * room's step 1 as providers do. `settled()` waits until the room has handled every frame sent before it (a
 * query-awareness, always answered, in order), and throws with the room's close when it refused one.
 */
import * as Y from "yjs";
import { decodeMessage, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "../../../src/protocol/index.js";
import { connect, type TestClient } from "../../helpers/server.js";

const FROM_ROOM = Symbol("from the room");

export class ReplicaSocket {
  readonly doc: Y.Doc;
  readonly #client: TestClient;
  /** Awareness frames received: the answers to `settled()`'s queries (nobody here sets presence). */
  #answers = 0;
  #queries = 0;

  constructor(url: string, gc: boolean) {
    this.doc = new Y.Doc({ gc });
    this.#client = connect(url);
    this.#client.ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.#received(new Uint8Array(data));
    });
    this.#client.ws.once("open", () => this.#client.send(encodeSyncStep1(Y.encodeStateVector(this.doc))));
  }

  /** Sends `update` as an update message or as a sync step 2, once the socket is open. */
  async send(update: Uint8Array, asStep2: boolean): Promise<void> {
    await this.#client.opened;
    Y.applyUpdate(this.doc, update);
    this.#client.send(asStep2 ? encodeSyncStep2(update) : encodeUpdate(update));
  }

  /** Resolves once the room handled everything sent so far; rejects with its close code and reason if it refused something. */
  async settled(what: string): Promise<void> {
    await this.#client.opened;
    const target = ++this.#queries;
    this.#client.send(encodeQueryAwareness());
    const closed = this.#client.closed.then(({ code, reason }) => {
      throw new Error(`${what}: the room closed the socket ${code} ${reason}`);
    });
    closed.catch(() => {}); // a close after this wait is not its concern
    while (this.#answers < target) await Promise.race([this.#client.nth(this.#client.messages.length), closed]);
  }

  close(): Promise<unknown> {
    this.doc.destroy();
    return this.#client.close();
  }

  #received(frame: Uint8Array): void {
    const message = decodeMessage(frame);
    if (message.type === "awareness") this.#answers++;
    else if (message.type === "sync-step1") this.#client.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector)));
    else if (message.type === "sync-step2" || message.type === "update") Y.applyUpdate(this.doc, message.update, FROM_ROOM);
  }
}
