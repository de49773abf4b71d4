/**
 * A raw WebSocket client of a Yjs room that writes one token per update (into the array `tokens`) with durable acks
 * on, and records which tokens the server acknowledged as stored (the ack counts this connection's updates in order),
 * and how its socket closed. It never re-sends anything: what it sent to a server that crashed or lost the room
 * stays unacknowledged. The crash, strict-durability and cluster tests write with it.
 */
import WebSocket from "ws";
import * as Y from "yjs";
import { ACK_PARAM, decodeMessage, encodeUpdate } from "../../src/protocol/index.js";

export class TokenWriter {
  readonly #socket: WebSocket;
  readonly #doc = new Y.Doc();
  readonly #sent: string[] = [];
  #acked = 0;
  #waiters: Array<() => void> = [];
  readonly opened: Promise<void>;
  /** The close code, once the socket closed (1006 when the connection was cut). */
  readonly closed: Promise<number>;
  /** When the first and the last ack arrived (performance.now()), for recovery times. */
  firstAckAt: number | undefined;
  lastAckAt: number | undefined;

  constructor(host: string, party: string, room: string) {
    this.#socket = new WebSocket(`ws://${host}/parties/${party}/${encodeURIComponent(room)}?${ACK_PARAM}=1`);
    this.opened = new Promise((resolve, reject) => {
      this.#socket.once("open", () => resolve());
      this.#socket.once("error", reject);
      this.#socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => {}); // `closed` reports it too
    this.closed = new Promise((resolve) => this.#socket.once("close", (code: number) => resolve(code)));
    this.#socket.on("error", () => {}); // a killed node resets the socket: expected here
    this.#socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const message = decodeMessage(new Uint8Array(data));
      if (message.type !== "durable-ack") return;
      this.lastAckAt = performance.now();
      this.firstAckAt ??= this.lastAckAt;
      this.#acked = Math.max(this.#acked, message.count);
      this.#wake();
    });
    void this.closed.then(() => this.#wake());
    this.#doc.on("update", (update: Uint8Array) => {
      if (this.open) this.#socket.send(encodeUpdate(update));
    });
  }

  get open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  write(token: string): void {
    this.#sent.push(token);
    this.#doc.getArray<string>("tokens").push([token]);
  }

  /** The tokens the server said it stored. */
  get acknowledged(): string[] {
    return this.#sent.slice(0, this.#acked);
  }

  /** Sent and never acknowledged. */
  get unacknowledged(): string[] {
    return this.#sent.slice(this.#acked);
  }

  /** Resolves once everything written so far is acknowledged, or the socket closed. */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.#acked >= this.#sent.length || this.#socket.readyState >= WebSocket.CLOSING ? resolve() : this.#waiters.push(check));
      check();
    });
  }

  close(): void {
    this.#socket.close();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
