/**
 * A payload the server's code reuses once `send`/`broadcast` returned (a scratch buffer refilled for the next message,
 * legal on Workers, whose send copies): a client that has not read the first message yet still gets it as it was
 * sent, whatever its size (direct frames up to 16 KiB, larger ones through `ws`, paced ones past 256 KiB). The copy
 * is made once per broadcast, and not at all for a Yjs room's frames, which are never changed once sent (clients
 * joining an unchanged document share its one step 2).
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { decodeMessage, encodeSyncStep1, encodeUpdate } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DIRECT_FRAME_MAX_BYTES } from "../../src/runtime/direct-frame.js";
import { FRAGMENT_BYTES } from "../../src/runtime/paced-sender.js";
import { cleanupAll, connect, startServer, type TestClient } from "../helpers/server.js";
import { documentPartyRecording, recordWrites, type Writes } from "../helpers/socket-writes.js";

afterEach(cleanupAll);

const FILLER = "f".repeat(256 * 1024);

/** "fill": 256 KiB of text, until the reader's socket queues on the server; "twice N": N bytes of 1s, then the same buffer as 2s. */
class Reuser implements Party.Server {
  static reader: Party.Connection | undefined;
  static fills = 0;
  static payload: Uint8Array | undefined;
  constructor(readonly room: Party.Room) {}
  static writes: Writes = [];
  onConnect(connection: Party.Connection) {
    if (connection.id === "reader") Reuser.reader = connection;
    recordWrites(connection, Reuser.writes);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView) {
    const [command, size] = String(message).split(" ");
    if (command === "once") return this.room.broadcast((Reuser.payload = new Uint8Array(Number(size)).fill(3)));
    const reader = Reuser.reader!;
    if (command === "fill") {
      while (reader.bufferedAmount === 0) {
        this.room.broadcast(FILLER);
        Reuser.fills++;
      }
      return;
    }
    const scratch = new Uint8Array(Number(size));
    this.room.broadcast(scratch.fill(1));
    this.room.broadcast(scratch.fill(2));
  }
}

function socketOf(client: TestClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

describe("a payload reused after it was sent", () => {
  for (const size of [DIRECT_FRAME_MAX_BYTES, DIRECT_FRAME_MAX_BYTES + 1, FRAGMENT_BYTES + 1]) {
    it(`reaches a client that had not read it yet as it was sent (${size} bytes)`, async () => {
      Reuser.reader = undefined;
      Reuser.fills = 0;
      Reuser.writes = [];
      const { wsUrl } = await startServer({ main: Reuser }, { storage: "memory" });
      const reader = connect(wsUrl("/party/reuse?_pk=reader"));
      const driver = connect(wsUrl("/party/reuse?_pk=driver"));
      for (const client of [reader, driver]) await client.opened;
      socketOf(reader).pause();
      driver.send("fill");
      await driver.nth(0);
      driver.send(`twice ${size}`);
      const fills = Reuser.fills;
      await driver.nth(fills + 1, 10_000);
      socketOf(reader).resume();
      const first = (await reader.nth(fills, 10_000)) as Uint8Array;
      const second = (await reader.nth(fills + 1, 10_000)) as Uint8Array;
      expect([first.byteLength, second.byteLength]).toEqual([size, size]);
      expect(
        first.every((byte) => byte === 1),
        "the first message: all 1s",
      ).toBe(true);
      expect(
        second.every((byte) => byte === 2),
        "the second message: all 2s",
      ).toBe(true);
    });
  }

  it("is copied once for a whole broadcast: every socket is written the same copy", async () => {
    Reuser.writes = [];
    const size = DIRECT_FRAME_MAX_BYTES + 1;
    const { wsUrl } = await startServer({ main: Reuser }, { storage: "memory" });
    const clients = ["a", "b", "c"].map((id) => connect(wsUrl(`/party/once?_pk=${id}`)));
    for (const client of clients) await client.opened;
    clients[0]!.send(`once ${size}`);
    for (const client of clients) expect(((await client.nth(0)) as Uint8Array).every((byte) => byte === 3)).toBe(true);
    const copies = new Set(Reuser.writes.map((written) => written.find((chunk) => chunk.byteLength === size)!.buffer));
    expect(copies.size, "one copy for all three sockets").toBe(1);
    expect(copies.has(Reuser.payload!.buffer), "a copy, not the party's own buffer").toBe(false);
  });
});

describe("a Yjs room's large frames", () => {
  it("go out without a copy: two clients joining an unchanged document are written its one step 2", async () => {
    const writes: Writes = [];
    const SpiedDocuments = documentPartyRecording(writes);
    const { wsUrl } = await startServer({ main: SpiedDocuments }, { storage: "memory" });
    const url = wsUrl("/parties/main/large");
    const writer = connect(url);
    await writer.opened;
    const doc = new Y.Doc();
    let update: Uint8Array | undefined;
    doc.on("update", (bytes: Uint8Array) => void (update = bytes));
    doc.getText("t").insert(0, "y".repeat(3 * DIRECT_FRAME_MAX_BYTES));
    writer.send(encodeUpdate(update!));
    /** Resolves once `client` got the document whole: a large step 2, or the update if it joined first. */
    const gotDocument = async (client: TestClient): Promise<void> => {
      for (let index = 0; ; index++) {
        const message = decodeMessage((await client.nth(index)) as Uint8Array);
        if ((message.type === "sync-step2" || message.type === "update") && message.update.byteLength > DIRECT_FRAME_MAX_BYTES) return;
      }
    };
    // The first joiner waits for the document (it may join before the update is in); the next two join it unchanged.
    for (let joined = 0; joined < 3; joined++) {
      const joiner = connect(url);
      await joiner.opened;
      joiner.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
      await gotDocument(joiner);
    }
    const [firstStepTwo, secondStepTwo] = writes.slice(2).map((written) => written.find((chunk) => chunk.byteLength > DIRECT_FRAME_MAX_BYTES)!);
    expect(secondStepTwo!.buffer, "the same bytes written to both sockets").toBe(firstStepTwo!.buffer);
  });
});
