/**
 * The fuzzer's inputs over real sockets and HTTP (see fuzz-engine.ts). Whether the server took an input: after
 * it, a sync step 1 probe; the answer (a sync step 2) means every frame before it was taken, a close that the
 * server refused one. A connection starts as a client's does, with a step 1 and its one step 2 (a small document's
 * greeting carries it whole, and that step 1 then gets no other answer).
 */
import { decodeMessage, encodeSyncStep1 } from "../../../src/protocol/index.js";
import { connect, type TestClient, type TestServer } from "../../helpers/server.js";
import { DOCUMENTED_HTTP_REFUSALS, DOCUMENTED_REFUSALS, type Oracle } from "./fuzz-engine.js";
import type { FuzzInput } from "./fuzz-inputs.js";

const PROBE = encodeSyncStep1(new Uint8Array([0]));

export class SocketTarget {
  #client: TestClient | undefined;
  #closed = false;
  /** Sync step 2 answers received on the current connection. */
  #answers = 0;
  #counted = 0;

  constructor(
    private readonly server: TestServer,
    private readonly room: string,
  ) {}

  async send(input: FuzzInput, oracle: Oracle): Promise<void> {
    const client = await this.#connection();
    let expected = this.#count(client) + 1;
    for (const frame of input.frames) {
      client.send(frame);
      if (isStateVectorQuery(frame)) expected++;
    }
    client.send(PROBE);
    while (!this.#closed && this.#count(client) < expected) {
      await Promise.race([client.nth(client.messages.length), client.closed]);
    }
    if (this.#closed) {
      const { code, reason } = await client.closed;
      oracle.refused(code, reason, DOCUMENTED_REFUSALS);
      this.#client = undefined;
      return;
    }
    oracle.took(input);
    if (input.kind === "chunked-broken") await this.close(); // a batch left open would swallow the next input
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client && !this.#closed) await client.close();
  }

  async #connection(): Promise<TestClient> {
    if (this.#client) return this.#client;
    const client = connect(this.server.wsUrl(this.room));
    this.#closed = false;
    void client.closed.then(() => (this.#closed = true));
    await client.opened;
    this.#client = client;
    this.#answers = 0;
    this.#counted = 0;
    // As a client does on open: a step 1, answered by one step 2 (the greeting's whole document, or the answer).
    client.send(PROBE);
    while (!this.#closed && this.#count(client) < 1) await Promise.race([client.nth(client.messages.length), client.closed]);
    return client;
  }

  /** Sync step 2 messages among those received (counted incrementally). */
  #count(client: TestClient): number {
    for (; this.#counted < client.messages.length; this.#counted++) {
      const frame = client.messages[this.#counted]!;
      if (typeof frame !== "string" && decodeMessage(frame).type === "sync-step2") this.#answers++;
    }
    return this.#answers;
  }
}

/** A sync step 1 the server answers (one it cannot read closes the connection instead). */
function isStateVectorQuery(frame: Uint8Array | string): boolean {
  if (typeof frame === "string") return false;
  try {
    return decodeMessage(frame).type === "sync-step1";
  } catch {
    return false;
  }
}

/** POSTs `body`; the oracle hears whether the room took it. */
export async function postInput(server: TestServer, room: string, body: Uint8Array, kind: string, oracle: Oracle): Promise<void> {
  const res = await fetch(server.url + room, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: body as Uint8Array<ArrayBuffer>,
  });
  const answer = (await res.json()) as { error?: { code: string } };
  if (res.ok) oracle.took({ frames: [], update: body, kind });
  else oracle.refused(res.status, answer.error?.code ?? "", DOCUMENTED_HTTP_REFUSALS);
}
