/**
 * Round 2 of the adversarial tests of the frame budget (`limits.maxFrameBytesInFlight`): what a room handles after its
 * client's socket closed must not be counted again. The budget releases a socket's bytes when it closes
 * (frame-budget.ts `onClose`), but a Yjs room takes up what a client that left during a slicing or a load sent after
 * that (`takeBacklog` → `resumeReading` → `heldFramesGone` → `recount`), and the recount adds the socket's unfinished
 * batch back: nothing releases it again. Each such client leaks up to `maxBatchBytes` of the budget for good; enough of
 * them and every message over 16 KiB is refused server-wide. The same goes for a client whose connection dies partway
 * through a large frame while its room slices, or while an async `onConnect` holds its messages (any party: the
 * runtime inbox resumes it the same way): the whole announced length comes back (no batch needed). Before df9d82b the
 * socket's close zeroed `held`, so `heldFramesGone` after it counted nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/party-types.js";
import { DocumentParty } from "../../src/yjs/index.js";
import * as Y from "yjs";
import { budgetCount, closeRawClients, frame, frameHeader, rawClient, textFrame } from "../helpers/raw-websocket.js";
import { startSlicing } from "../helpers/slicing.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

const KiB = 1024;
const MiB = 1024 * KiB;

afterEach(async () => {
  closeRawClients();
  await cleanupAll();
});

/** A masked (mask 0) text frame. */
function textFrameOf(text: string): Buffer {
  const payload = Buffer.from(text);
  const header =
    payload.byteLength < 126
      ? Buffer.from([0x81, 0x80 | payload.byteLength])
      : Buffer.from([0x81, 0x80 | 126, payload.byteLength >> 8, payload.byteLength & 0xff]);
  return Buffer.concat([header, Buffer.alloc(4), payload]);
}

/** A masked (mask 0) close frame with `code`. */
function closeFrame(code: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return Buffer.concat([Buffer.from([0x88, 0x80 | 2]), Buffer.alloc(4), payload]);
}

describe("the frame budget after a socket closed", () => {
  it("a batch its room holds for a client that closed while the room sliced is not counted again once the socket is gone", async () => {
    const t = await startServer(
      { main: DocumentParty },
      { storage: "memory", limits: { maxFrameBytesInFlight: 8 * MiB }, documentLimits: { structsPerTurn: 4 } },
    );
    const client = await rawClient(Number(new URL(t.url).port), "/parties/main/slicing");
    // An unfinished y-partykit batch of 40 KB: 24 KiB past the socket's free 16 KiB, counted while the room holds it.
    const chunk = Buffer.alloc(20_000, 1);
    await client.write(
      Buffer.concat([textFrameOf(`y-pk-batch#${JSON.stringify({ type: "start", id: "b1", size: 60_000, count: 3 })}`), frame(chunk), frame(chunk)]),
    );
    await pollUntil("the batch to be counted", async () => (budgetCount(t.server) > 0 ? true : undefined));
    const { answered } = await startSlicing(t, "slicing", 50_000);
    // While the room slices: a frame (held: the connection is not read any more), then the client closes, in one write
    // (ws reads the close though the connection is paused).
    await client.write(Buffer.concat([frame(Buffer.from([0, 2, 0])), closeFrame(1000)]));
    client.socket.end();
    await waitFor(client.gone, "the socket to close", 10_000);
    // Released with its socket.
    await pollUntil("the closed socket's bytes to be released", async () => (budgetCount(t.server) === 0 ? true : undefined));
    expect((await waitFor(answered, "the sliced POST", 60_000)).status).toBe(200);
    // The room takes up what the client left after its socket closed: nothing of it may be counted again.
    await t.server.unloadIfIdle("main", "slicing");
    expect(budgetCount(t.server)).toBe(0);
  }, 90_000);

  it("a client whose connection dies partway through a large frame while its room slices leaves nothing counted", async () => {
    const t = await startServer(
      { main: DocumentParty },
      { storage: "memory", limits: { maxFrameBytesInFlight: 64 * MiB }, documentLimits: { structsPerTurn: 4 } },
    );
    const client = await rawClient(Number(new URL(t.url).port), "/parties/main/slicing");
    const { answered } = await startSlicing(t, "slicing", 50_000);
    // An edit (held while the room slices: the connection is not read any more), and the start of a 4 MiB update.
    await client.write(Buffer.concat([frame(textFrame("t", "x", 10)), frameHeader(4 * MiB), Buffer.alloc(100)]));
    await pollUntil("the 4 MiB update to be counted", async () => (budgetCount(t.server) > MiB ? true : undefined));
    client.socket.resetAndDestroy(); // the network goes (a laptop lid, a lost Wi-Fi)
    await pollUntil("the dead socket's bytes to be released", async () => (budgetCount(t.server) === 0 ? true : undefined));
    expect((await waitFor(answered, "the sliced POST", 60_000)).status).toBe(200);
    // The room takes up the edit it held once the slicing ends: the dead socket's unfinished 4 MiB must stay released
    // (it came back for good: 4 178 048 bytes; 62 such clients fill the default 256 MiB, and then every message over
    // 16 KiB is refused, server-wide, until a restart).
    await t.server.unloadIfIdle("main", "slicing");
    expect(budgetCount(t.server)).toBe(0);
  }, 90_000);

  it("a client whose connection dies partway through a large frame during an async onConnect leaves nothing counted", async () => {
    const authorized = deferred();
    let closes = 0;
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(): Promise<void> {
        await authorized.promise; // e.g. a token checked against a database
      }
      onMessage(): void {}
      onClose(): void {
        closes++;
      }
    }
    const t = await startServer({ main: Main }, { storage: "memory", limits: { maxFrameBytesInFlight: 64 * MiB } });
    const client = await rawClient(Number(new URL(t.url).port), "/parties/main/room");
    // A message (held until onConnect settles: the connection is not read meanwhile), and the start of a 4 MiB one.
    await client.write(Buffer.concat([frame(Buffer.alloc(10, 1)), frameHeader(4 * MiB), Buffer.alloc(100)]));
    await pollUntil("the 4 MiB message to be counted", async () => (budgetCount(t.server) > MiB ? true : undefined));
    client.socket.resetAndDestroy();
    await pollUntil("the dead socket's bytes to be released", async () => (budgetCount(t.server) === 0 ? true : undefined));
    authorized.resolve(); // its held message is delivered, then onClose
    await pollUntil("onClose", async () => (closes === 1 ? true : undefined));
    expect(budgetCount(t.server)).toBe(0); // 4 178 048: counted again, for good
  });
});

/**
 * A Yjs room drops what it held for a connection the server closed (`closedByServer`), on the premise that its client
 * sends it again with its next sync. A shutdown's 1001 marks every connection so, also one whose client had already
 * closed cleanly (its close frame unread: the room stopped reading it while it held its edit): that client has no
 * next sync, and its edit, sent before it left, is lost. Before df9d82b it went to `#leftWhileLoading` and was stored.
 */
describe("what a client sent before it left, held by its room, when the server closes", () => {
  it("an edit a client sent and then closed cleanly, held while its room sliced, is stored when the server shuts down meanwhile", async () => {
    const t = await startServer({ main: DocumentParty }, { documentLimits: { structsPerTurn: 4 } });
    const { answered } = await startSlicing(t, "notes", 50_000);
    const client = await rawClient(Number(new URL(t.url).port), "/parties/main/notes");
    // 20 000 characters typed (a paste): past the socket's free 16 KiB, so the budget shows when the room holds it.
    await client.write(frame(textFrame("t", "x", 20_000)));
    await pollUntil("the room to hold the edit", async () => (budgetCount(t.server) > 0 ? true : undefined));
    // The tab closes: its close frame is on the wire (the server does not read the connection while it holds its edit).
    await client.write(closeFrame(1000));
    // A deploy: the server stops before the room is done slicing.
    await t.stop();
    await answered.catch(() => {});
    const restarted = await startServer({ main: DocumentParty }, { dir: t.dir });
    const stored = new Y.Doc();
    Y.applyUpdate(stored, new Uint8Array(await (await fetch(`${restarted.url}/parties/main/notes?format=update`)).arrayBuffer()));
    expect(stored.getMap("m").size).toBe(50_000); // the sliced POST
    expect(stored.getText("t").length).toBe(20_000); // what the client sent before it closed
  }, 90_000);
});
