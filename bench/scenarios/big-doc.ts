/**
 * (4) Big document: a writer sends N inserts (pipelined, respecting its send buffer) until a listener's
 * Y.Doc holds the whole text; then fresh clients sync it one after another: time from socket creation to
 * the applied sync step 2, and the bytes that took. Every fresh client checks it got the full text. Also the
 * time until the whole step 2 has arrived, before the client applies it (the client's own Yjs work).
 */
import * as Y from "yjs";
import { BenchClient } from "../client/bench-client.js";
import { BenchError } from "../errors.js";
import { bigDocUpdates } from "../fixtures.js";
import { TEXT_NAME } from "../limits.js";
import { rssBytes } from "../proc.js";
import { median } from "../stats.js";
import { pollUntil } from "../timing.js";
import type { Metrics, Scenario } from "./types.js";

const ROOM = "big-doc";
const HIGH_WATER_BYTES = 256 * 1024;

export const bigDoc: Scenario = {
  id: "bigDoc",
  title: "Big document sync",
  appliesTo: (target) => target.spec.hasDocument,
  async run(target, profile) {
    const { inserts, charsPerInsert, freshClients, buildTimeoutMs } = profile.bigDoc;
    const { updates, length } = bigDocUpdates(inserts, charsPerInsert);
    const listenerDoc = new Y.Doc();
    const listener = await BenchClient.connect(target.framing, target.server.port, ROOM, { doc: listenerDoc });
    const writer = await BenchClient.connect(target.framing, target.server.port, ROOM);
    const metrics: Metrics = {};
    // The writer and listener stay connected while fresh clients sync: Hocuspocus (no extensions) drops a
    // document once its last connection closes, and a room with an editor in it is the realistic case anyway.
    try {
      const started = performance.now();
      await sendAll(writer, updates, buildTimeoutMs);
      const built = await pollUntil(() => listenerDoc.getText(TEXT_NAME).length === length, buildTimeoutMs);
      if (!built) throw new BenchError("ERR_TIMEOUT", `${target.spec.label}: big document not built in ${buildTimeoutMs} ms`);
      metrics.ingestMs = performance.now() - started;
      metrics.rssWithDocMB = rssBytes(target.server.pid) / 2 ** 20;
      const times: number[] = [];
      const answered: number[] = [];
      const bytes: number[] = [];
      for (let i = 0; i < freshClients; i++) {
        const doc = new Y.Doc();
        const fresh = await BenchClient.connect(target.framing, target.server.port, ROOM, { doc });
        await fresh.close();
        const got = doc.getText(TEXT_NAME).length;
        if (got !== length) throw new BenchError("ERR_WRONG_CONTENT", `${target.spec.label}: fresh sync got ${got} of ${length} chars`);
        times.push(fresh.syncedAt - fresh.startedAt);
        answered.push(fresh.answeredAt - fresh.startedAt);
        bytes.push(fresh.syncBytes);
      }
      metrics.syncMs = median(times);
      metrics.answeredMs = median(answered);
      metrics.syncKB = median(bytes) / 1024;
      return metrics;
    } finally {
      await Promise.all([writer.close(), listener.close()]);
    }
  },
};

/** Sends every update in order, topping the socket buffer up to a high-water mark between timer ticks. */
async function sendAll(client: BenchClient, updates: readonly Uint8Array[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let next = 0;
  while (next < updates.length) {
    while (next < updates.length && client.bufferedAmount < HIGH_WATER_BYTES) client.sendUpdate(updates[next++] as Uint8Array);
    if (!client.isOpen) throw new BenchError("ERR_CONNECT", "writer closed while sending");
    const drained = await pollUntil(() => client.bufferedAmount < HIGH_WATER_BYTES, deadline - performance.now(), 1);
    if (!drained) throw new BenchError("ERR_TIMEOUT", `writer could not send ${updates.length} updates in ${timeoutMs} ms`);
  }
}
