/**
 * A room that stays loaded (someone keeps it open) while visitors come and go: each visitor announces a presence
 * and leaves. What the room keeps per visitor must go with the visitor, or a long-lived room (a lobby, a dashboard
 * left open, or a client that reconnects in a loop announcing 16 fresh ids each time) grows without bound.
 *
 * The room's Awareness keeps `meta` ({ clock, lastUpdated }) for every client id it ever saw: y-protocols'
 * `removeAwarenessStates` deletes the state of a remote id but never its meta, and the room (awareness-relay.ts
 * `forget`) removes a leaving connection's ids that way and keeps the meta on purpose (awareness-owners.ts
 * `#claimClock` reads it to raise a returning id's clock).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as encoding from "lib0/encoding";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Awareness } from "y-protocols/awareness";
import { decodeMessage, encodeAwareness } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { YServer } from "../../src/yjs/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

let roomAwareness: Awareness | undefined;
class Lobby extends YServer {
  override onConnect(connection: Party.Connection, ctx: Party.ConnectionContext): void | Promise<void> {
    roomAwareness = this.document.awareness;
    return super.onConnect(connection, ctx);
  }
}

afterEach(cleanupAll);

const VISITS = 1_000;
const IDS_PER_VISIT = 16; // maxAwarenessIdsPerConnection's default: all of them are taken

function awarenessUpdate(ids: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, ids.length);
  for (const id of ids) {
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarString(encoder, JSON.stringify({ user: `visitor-${id}` }));
  }
  return encoding.toUint8Array(encoder);
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Connects, announces `ids`, waits for the room's relay of them (they are applied), leaves. */
async function visit(url: string, ids: number[]): Promise<void> {
  const ws = new WebSocket(url);
  const closed = new Promise((resolve) => ws.once("close", resolve));
  const relayed = new Promise<void>((resolve, reject) => {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary && decodeMessage(new Uint8Array(data)).type === "awareness") resolve();
    });
    ws.once("error", reject);
  });
  await waitFor(new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject))), "open");
  ws.send(encodeAwareness(awarenessUpdate(ids)));
  await waitFor(relayed, "the relay of the visitor's presence");
  ws.close();
  await waitFor(closed, "close");
}

describe("a long-lived room with visitors that come and go", () => {
  it("keeps no per-visitor awareness bookkeeping once the visitors left", async () => {
    const server = await startServer({ main: Lobby }, { storage: "memory" });
    const url = server.wsUrl("/parties/main/lobby");
    const resident = new WebSocket(url);
    await waitFor(new Promise((resolve) => resident.once("message", resolve)), "the resident's greeting");
    let nextId = 1;
    const idsOfVisit = () => Array.from({ length: IDS_PER_VISIT }, () => nextId++);
    for (let i = 0; i < 50; i++) await visit(url, idsOfVisit()); // warm-up
    const heapBefore = await settledHeap();
    for (let i = 0; i < VISITS; i++) await visit(url, idsOfVisit());
    const heapAfter = await settledHeap();
    resident.terminate();

    const awareness = roomAwareness!;
    expect(awareness.getStates().size, "live presence states").toBeLessThanOrEqual(1);
    // Every visitor is gone, yet the room holds an entry for each id any of them ever announced.
    expect(
      awareness.meta.size,
      `awareness meta entries after ${VISITS} visits of ${IDS_PER_VISIT} ids (heap grew ${heapAfter - heapBefore} bytes)`,
    ).toBeLessThanOrEqual(IDS_PER_VISIT + 1);
  }, 60_000);
});
