/**
 * Connection churn: thousands of clients that connect, sync, announce themselves, write and leave, across many
 * rooms. When they are gone, the rooms unload and the server holds no more file descriptors and no more memory
 * than before (within a small allowance), and it still serves every room's document.
 */
import { readdirSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { encodeAwareness, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import WebSocket from "ws";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** 1,000 in `npm test`; `YPARTY_CHURN_CYCLES=20000` for a long run. */
const CYCLES = Number(process.env.YPARTY_CHURN_CYCLES ?? 1_000);
const LANES = 20;
/** About 15 ms a visit on a loaded machine, four times over. */
const VISITS_TIMEOUT_MS = 60_000 + CYCLES * 60;
const ROOMS = 25;
/**
 * What may stay behind after the churn: a few descriptors (LevelDB files opened meanwhile), and 4 MiB of heap
 * (caches that fill once: measured +3.3 MiB after 1,000 visits, +3.9 MiB after 4,000) plus the test server's own
 * log of every entry it saw (under 1 KiB a visit). A connection that left 5 KiB behind would cross it.
 */
const FD_ALLOWANCE = 16;
const HEAP_ALLOWANCE_BYTES = 4 * 1024 * 1024 + CYCLES * 1024;

afterEach(cleanupAll);

const openDescriptors = () => readdirSync("/proc/self/fd").length;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * One visit: connect, wait for the greeting, announce a presence, write one token, leave. A bare socket, not the
 * test helpers' client (which keeps every client it made until the test ends, and would be what grows here).
 */
async function visit(wsUrl: (path: string) => string, cycle: number): Promise<void> {
  const client = new WebSocket(wsUrl(`/parties/main/churn-${cycle % ROOMS}`));
  const closed = new Promise((resolve) => client.once("close", resolve));
  // The first frame is sync step 1: the room is loaded and talking.
  await waitFor(new Promise((resolve, reject) => (client.once("message", resolve), client.once("error", reject))), `greeting of visit ${cycle}`);
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState({ user: `visitor-${cycle}` });
  client.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])));
  doc.on("update", (update: Uint8Array) => client.send(encodeUpdate(update)));
  doc.getArray<number>("visits").push([cycle]);
  awareness.destroy();
  doc.destroy();
  client.close();
  await waitFor(closed, `close of visit ${cycle}`);
}

describe("connection churn", () => {
  it(
    `${CYCLES} connect/sync/write/leave cycles over ${ROOMS} rooms leave no descriptors, rooms or memory behind`,
    async () => {
      const server = await startServer({ main: DocumentParty }, { limits: { idleUnloadMs: 20 } });
      // Warm up once (modules, LevelDB's first files), then measure from there.
      await visit(server.wsUrl, -1);
      const fdBefore = openDescriptors();
      const heapBefore = await settledHeap();

      let next = 0;
      await waitFor(
        Promise.all(
          Array.from({ length: LANES }, async () => {
            while (next < CYCLES) await visit(server.wsUrl, next++);
          }),
        ),
        `${CYCLES} visits`,
        VISITS_TIMEOUT_MS,
      );

      await waitFor(
        new Promise<void>((resolve) => {
          const check = () => (server.server.rooms().length === 0 ? resolve() : undefined);
          server.server.logger.subscribe((entry) => entry.event === "room.stopped" && check());
          check();
        }),
        "every room to unload",
        20_000,
      );
      const fdAfter = openDescriptors();
      const heapAfter = await settledHeap();
      if (process.env.YPARTY_CHURN_REPORT) console.log({ fdBefore, fdAfter, heapBefore, heapAfter, rss: process.memoryUsage().rss });
      expect(fdAfter - fdBefore, `descriptors: ${fdBefore} before, ${fdAfter} after`).toBeLessThanOrEqual(FD_ALLOWANCE);
      expect(heapAfter - heapBefore, `heap: ${heapBefore} before, ${heapAfter} after`).toBeLessThan(HEAP_ALLOWANCE_BYTES);

      // Every write of the churn is still there.
      const res = await fetch(`${server.url}/parties/main/churn-7?format=update`);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
      expect(doc.getArray<number>("visits").length).toBe(CYCLES / ROOMS);
    },
    VISITS_TIMEOUT_MS + 60_000,
  );
});
