/**
 * A cold load answers a fresh client from the stored bytes: right after a restart, the built-in Yjs party
 * (`DocumentParty`) lets a client in at once (room.ts, `holdMessagesUntilConnected: false`) and answers its sync
 * step 1 with the stored document while that document is still loading, before the (slow) apply that ends the load
 * (session.ts `#applyStored`). The client meets it as frame order: its sync step 2 comes before the server's own sync
 * step 1, which greets a connection only once the document is loaded.
 *
 * Two things make it deterministic. The party's load waits until it has the client's first frame (an `onLoad` gate),
 * so that frame is surely held by the loading document, however fast the store reads. Timers stand still from the
 * upgrade until the client is in, so a 101 held until `onConnect` settles (that is, until the load is done) is never
 * let go by its 1 s bound (`FIRST_WRITE_WAIT_MS`): the client is never let in, which this test reports.
 */
import { setTimeout as realTimeout } from "node:timers/promises";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { afterEach, expect, it, vi } from "vitest";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, deferred, onCleanup, startServer, type Frame, type TestClient } from "../helpers/server.js";

afterEach(async () => {
  vi.useRealTimers();
  await cleanupAll();
});

const MiB = 1024 * 1024;

/** The built-in party, its load waiting until the room has a client's first frame (and at cleanup, so none waits on). */
function loadsOnFirstFrame(): typeof DocumentParty {
  const heard = deferred();
  onCleanup(() => heard.resolve());
  return class LoadsOnFirstFrame extends DocumentParty {
    override async onLoad(): Promise<void> {
      await heard.promise;
    }
    override onMessage(message: string | ArrayBuffer | ArrayBufferView, connection: Party.Connection): void {
      super.onMessage(message, connection);
      heard.resolve();
    }
  };
}

/** Waits for `client`'s 101 for at most `ms` of real time (timers may be faked meanwhile). */
async function openedWithin(client: TestClient, ms: number, what: string): Promise<void> {
  const done = new AbortController();
  const deadline = realTimeout(ms, undefined, { signal: done.signal }).then(() => {
    throw new Error(`${what} did not come within ${ms} ms`);
  });
  try {
    await Promise.race([client.opened, deadline]);
  } finally {
    done.abort();
  }
}

/** What y-websocket does with a sync frame: applies it to `doc`; returns its sync type (y-protocols' messageYjsSyncStep1…). */
function readSyncFrame(frame: Frame, doc: Y.Doc): number {
  const decoder = decoding.createDecoder(frame as Uint8Array);
  expect(decoding.readVarUint(decoder)).toBe(0); // y-websocket's messageSync
  return syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, "server");
}

function syncStep1Of(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  syncProtocol.writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

it("right after a restart, a fresh client's sync step 1 is answered from the stored bytes before the document is loaded", async () => {
  const first = await startServer({ main: DocumentParty });
  const written = new Y.Doc();
  written.getText("t").insert(0, "stored before the restart");
  written.getMap("m").set("bulk", new Uint8Array(3 * MiB).fill(7)); // a document a cold load takes a while to apply
  const body = Y.encodeStateAsUpdate(written) as Uint8Array<ArrayBuffer>;
  const posted = await fetch(`${first.url}/party/cold`, { method: "POST", body, headers: { "Content-Type": "application/octet-stream" } });
  expect(posted.status).toBe(200);
  const server = await first.restart({ main: loadsOnFirstFrame() });

  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldClearNativeTimers: true });
  const client = connect(server.wsUrl("/party/cold"));
  await openedWithin(client, 15_000, "the 101 (held until the load is done, which waits for this client's step 1)");
  vi.useRealTimers();

  const doc = new Y.Doc();
  client.send(syncStep1Of(doc));
  const firstType = readSyncFrame(await client.nth(0, 15_000), doc);
  expect(firstType, "the first frame: the answer from the stored bytes (step 2), not the greeting of a loaded room (step 1)").toBe(
    syncProtocol.messageYjsSyncStep2,
  );
  expect(doc.getText("t").toString()).toBe("stored before the restart");
  expect((doc.getMap("m").get("bulk") as Uint8Array).byteLength).toBe(3 * MiB);
  // The server's greeting, sent once the document is loaded, comes after that answer.
  expect(readSyncFrame(await client.nth(1, 15_000), doc), "the second frame: the greeting").toBe(syncProtocol.messageYjsSyncStep1);
}, 60_000);
