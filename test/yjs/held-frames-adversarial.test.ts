/**
 * Adversarial checks of frames held while a Yjs room applies an update in slices (the connection is not read
 * meanwhile: TCP pushes back on its client). Real server on 127.0.0.1, real clients.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import type { LocalConnection, SocketHandler } from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** An update of `n` map entries: with `structsPerTurn: 4` it takes `n / 4` turns to apply. */
function bigUpdate(n: number, prefix = "k"): Uint8Array<ArrayBuffer> {
  const doc = new Y.Doc();
  doc.transact(() => {
    for (let i = 0; i < n; i++) doc.getMap("m").set(`${prefix}${i}`, i);
  });
  return Y.encodeStateAsUpdate(doc) as Uint8Array<ArrayBuffer>;
}

/** An awareness message for `clientId` at `clock`. */
function awarenessFrame(clientId: number, clock: number, state: unknown = { clock, pad: "x".repeat(100) }): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, clientId);
  encoding.writeVarUint(inner, clock);
  encoding.writeVarString(inner, JSON.stringify(state));
  const outer = encoding.createEncoder();
  encoding.writeVarUint(outer, 1);
  encoding.writeVarUint8Array(outer, encoding.toUint8Array(inner));
  return encoding.toUint8Array(outer);
}

describe("frames held while a room applies an update in slices", () => {
  it("an in-process connection (a sockets mount) that sends past maxBacklogFrames meanwhile is closed 1013, as documented, instead of queueing without bound", async () => {
    let local: LocalConnection | undefined;
    let closeCode: (code: number) => void = () => {};
    const closed = new Promise<number>((resolve) => (closeCode = resolve));
    const handler: SocketHandler = (socket, _request, host) => {
      local = host.connect("main", "mux", "local-1", { onMessage: () => {}, onClose: (code) => closeCode(code) });
      socket.on("message", () => {});
    };
    const t = await startServer({ main: DocumentParty }, { documentLimits: { structsPerTurn: 4 }, sockets: { "/mux": handler } });
    const mux = new WebSocket(t.wsUrl("/mux"));
    await waitFor(new Promise((resolve) => mux.once("open", resolve)), "the mux socket to open");
    // The room is loaded for the local connection (its greeting), then an HTTP POST starts a long slicing.
    const posted = fetch(`${t.url}/parties/main/mux`, {
      method: "POST",
      body: bigUpdate(100_000),
      headers: { "Content-Type": "application/octet-stream" },
    });
    await t.logged("yjs.update_slicing", 20_000);
    // A hostile opener: 30 000 frames while the room slices (10 000 is the documented cap on frames held).
    for (let i = 0; i < 30_000; i++) local!.send(awarenessFrame(4242, i + 1));
    expect((await waitFor(posted, "the large update to be applied", 30_000)).status).toBe(200);
    // Closed 1013 ("too many frames while the room applies a large update") at frame 10 001. When held frames first
    // paused their connection (d899987), the room side of the local socket was paused too: every frame waited in its
    // queue, without a cap, and all were handled after. A local connection pushes back on nothing: it is not paused.
    expect(await waitFor(closed, "the local connection to be closed 1013", 10_000)).toBe(1013);
    mux.close();
  }, 60_000);

  it("a frame held during one slicing is handled before frames another connection sent after it (no starvation by a writer of large updates)", async () => {
    const t = await startServer({ main: DocumentParty }, { documentLimits: { structsPerTurn: 40 } });
    const url = t.wsUrl("/parties/main/fair?yparty_ack=1");
    const client = async () => {
      const ws = new WebSocket(url);
      ws.on("error", () => {});
      const state = { ws, acked: 0, wake: [] as Array<() => void> };
      ws.on("message", (data: Buffer) => {
        const decoder = decoding.createDecoder(new Uint8Array(data));
        if (decoding.readVarUint(decoder) === 100) state.acked = decoding.readVarUint(decoder);
        for (const wake of state.wake.splice(0)) wake();
      });
      await waitFor(new Promise((resolve) => ws.once("open", resolve)), "a socket to open");
      return state;
    };
    const acked = (c: Awaited<ReturnType<typeof client>>, n: number, what: string) =>
      waitFor(
        new Promise<void>((resolve) => {
          const check = () => (c.acked >= n ? resolve() : c.wake.push(check));
          check();
        }),
        what,
        60_000,
      );
    const importer = await client(); // joined first: an import of a large document, in 8 large updates
    const typist = await client();
    const updateMessage = (update: Uint8Array) => {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, 0);
      encoding.writeVarUint(encoder, 2); // sync update
      encoding.writeVarUint8Array(encoder, update);
      return encoding.toUint8Array(encoder);
    };
    const parts = Array.from({ length: 8 }, (_, i) => updateMessage(bigUpdate(20_000, `part${i}_`)));
    const sent = (ws: WebSocket, frame: Uint8Array) => new Promise<void>((resolve, reject) => ws.send(frame, (error) => (error ? reject(error) : resolve())));
    await sent(importer.ws, parts[0]!);
    await t.logged("yjs.update_slicing", 20_000);
    // One keystroke, sent while the first part is applied in slices; the importer's other parts only after it.
    const keystroke = new Y.Doc();
    keystroke.getMap("m").set("typed", true);
    await sent(typist.ws, updateMessage(Y.encodeStateAsUpdate(keystroke)));
    for (const part of parts.slice(1)) importer.ws.send(part);
    await acked(typist, 1, "the keystroke's ack");
    const importedBeforeIt = importer.acked;
    await acked(importer, 8, "the import's acks");
    // The keystroke came in during the first part's slicing, before parts 2-8 were even sent: at most the first part,
    // and the second, go in before it. Before, all 8 did: at the end of each slicing the importer's next part, read
    // meanwhile, was taken up first (its connection first in the room's order) and started another slicing, which
    // held the keystroke again, until the import was done. Held frames are now handled in the order they came.
    expect(importedBeforeIt).toBeLessThanOrEqual(2);
  }, 90_000);
});
