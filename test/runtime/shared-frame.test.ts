/**
 * A message sent to many connections in one go is framed once (direct-frame.ts, `sendingToMany`): `room.broadcast`
 * and a document change the room sends to its other connections write one frame object to every socket, each client
 * gets the message whole, and a payload changed after a broadcast goes out changed in the next one (the shared
 * frame lives only as long as the broadcast).
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer, type TestClient } from "../helpers/server.js";
import { documentPartyRecording, recordWrites, type Writes } from "../helpers/socket-writes.js";

afterEach(cleanupAll);

const CLIENTS = 4;
const PAYLOAD = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);

/** Broadcasts PAYLOAD on "go", then the same object with its first byte changed on "again"; text on "text". */
class Broadcaster implements Party.Server {
  static writes: Writes = [];
  readonly payload = PAYLOAD.slice();
  constructor(readonly room: Party.Room) {}
  onConnect(connection: Party.Connection) {
    recordWrites(connection, Broadcaster.writes);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView) {
    if (message === "again") this.payload[0] = 0xee;
    this.room.broadcast(message === "text" ? "à tous ✓" : this.payload);
  }
}

/** The update of the first update message `client` receives. */
async function nextUpdate(client: TestClient): Promise<Uint8Array> {
  for (let index = 0; ; index++) {
    const frame = await client.nth(index);
    const message = typeof frame === "string" ? undefined : decodeMessage(frame);
    if (message?.type === "update") return message.update;
  }
}

async function connectAll(url: string): Promise<TestClient[]> {
  const clients = Array.from({ length: CLIENTS }, () => connect(url));
  for (const client of clients) await client.opened;
  return clients;
}

/** The last frame written to each socket: one object for all of them. */
function lastWrites(writes: Writes): Buffer[] {
  return writes.map((written) => written.at(-1)!);
}

describe("a message sent to many connections", () => {
  it("room.broadcast frames it once: one frame object on every socket, every client gets it whole", async () => {
    Broadcaster.writes = [];
    const { wsUrl } = await startServer({ main: Broadcaster }, { storage: "memory" });
    const clients = await connectAll(wsUrl("/party/shared"));
    clients[0]!.send("go");
    for (const client of clients) expect(await client.nth(0)).toEqual(PAYLOAD);
    const [first, ...rest] = lastWrites(Broadcaster.writes);
    for (const frame of rest) expect(frame, "the same frame object").toBe(first);
    clients[0]!.send("text");
    for (const client of clients) expect(await client.nth(1)).toBe("à tous ✓");
  });

  it("a payload changed after a broadcast goes out changed in the next one", async () => {
    Broadcaster.writes = [];
    const { wsUrl } = await startServer({ main: Broadcaster }, { storage: "memory" });
    const clients = await connectAll(wsUrl("/party/changed"));
    clients[0]!.send("go");
    for (const client of clients) expect(await client.nth(0)).toEqual(PAYLOAD);
    clients[1]!.send("again");
    const changed = PAYLOAD.slice();
    changed[0] = 0xee;
    for (const client of clients) expect(await client.nth(1)).toEqual(changed);
  });

  it("a document change goes to the room's other connections as one frame object", async () => {
    const writes: Writes = [];
    const SpiedDocuments = documentPartyRecording(writes);
    const { wsUrl } = await startServer({ main: SpiedDocuments }, { storage: "memory" });
    const clients = await connectAll(wsUrl("/parties/main/doc"));
    for (const client of clients) await client.nth(0); // greeted
    const doc = new Y.Doc();
    let update: Uint8Array | undefined;
    doc.on("update", (bytes: Uint8Array) => void (update = bytes));
    doc.getText("t").insert(0, "shared");
    clients[0]!.send(encodeUpdate(update!));
    for (const client of clients.slice(1)) expect(await nextUpdate(client)).toEqual(update);
    const [first, ...rest] = lastWrites(writes.slice(1));
    for (const frame of rest) expect(frame, "the same frame object").toBe(first);
  });
});
