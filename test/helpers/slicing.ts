/**
 * A room kept busy applying a large update in slices (`documentLimits.structsPerTurn` small), so that what its clients
 * send meanwhile is held: the setup of every test about held frames.
 */
import * as Y from "yjs";
import type { TestServer } from "./server.js";

/** A document update of `entries` map entries (each one struct). */
export function mapUpdate(entries: number): Uint8Array<ArrayBuffer> {
  const doc = new Y.Doc();
  doc.transact(() => {
    for (let i = 0; i < entries; i++) doc.getMap("m").set(`k${i}`, i);
  });
  return Y.encodeStateAsUpdate(doc) as Uint8Array<ArrayBuffer>;
}

/** POSTs `mapUpdate(entries)` to `room` and waits until the room applies it in slices; resolves with the POST's answer. */
export async function startSlicing(server: TestServer, room: string, entries: number): Promise<{ answered: Promise<Response> }> {
  const answered = fetch(`${server.url}/parties/main/${room}`, {
    method: "POST",
    body: mapUpdate(entries),
    headers: { "Content-Type": "application/octet-stream" },
  });
  await server.logged("yjs.update_slicing", 20_000);
  return { answered };
}
