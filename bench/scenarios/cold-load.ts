/**
 * (5) Cold load: the automerge-paper trace document is stored through a client (one sync step 2, awaited
 * with yparty's durable ack), the server is stopped gracefully and started again on the same folder; then
 * one client connects. coldLoadMs: server ready → that client synced (the room loads from LevelDB on first
 * connect). answeredMs stops when the whole step 2 has arrived, before the client applies it (the client's own
 * Yjs work, ~50-150 ms for this document in the harness, which no server can change). startToSyncedMs adds
 * process start-up (node + tsx), which no server code can change either.
 */
import * as Y from "yjs";
import { ACK_PARAM } from "../../src/protocol/index.js";
import { BenchClient } from "../client/bench-client.js";
import { BenchError } from "../errors.js";
import { traceDoc } from "../fixtures.js";
import { TEXT_NAME, TIMEOUTS } from "../limits.js";
import { median } from "../stats.js";
import { pollUntil } from "../timing.js";
import type { Metrics, Scenario } from "./types.js";

const ROOM = "automerge-paper";

export const coldLoad: Scenario = {
  id: "coldLoad",
  title: "Cold load of automerge-paper",
  appliesTo: (target) => target.spec.persistent,
  async run(target, profile) {
    const trace = await traceDoc();
    let acked = 0;
    const seeder = await BenchClient.connect(target.framing, target.server.port, ROOM, {
      query: `${ACK_PARAM}=1`,
      onDurableAck: (count) => (acked = count),
    });
    seeder.sendState(trace.state);
    const durable = await pollUntil(() => acked >= seeder.documentMessagesSent, TIMEOUTS.durableAckMs);
    await seeder.close();
    const coldMs: number[] = [];
    const answeredMs: number[] = [];
    const startMs: number[] = [];
    for (let i = 0; i < profile.coldLoad.restarts; i++) {
      await target.restart();
      const doc = new Y.Doc();
      const client = await BenchClient.connect(target.framing, target.server.port, ROOM, { doc });
      await client.close();
      const got = doc.getText(TEXT_NAME).length;
      if (got !== trace.length) throw new BenchError("ERR_WRONG_CONTENT", `cold load got ${got} of ${trace.length} chars`);
      coldMs.push(client.syncedAt - target.server.readyAt);
      answeredMs.push(client.answeredAt - target.server.readyAt);
      startMs.push(client.syncedAt - target.server.spawnedAt);
    }
    return {
      coldLoadMs: median(coldMs),
      answeredMs: median(answeredMs),
      startToSyncedMs: median(startMs),
      storedKB: trace.state.byteLength / 1024,
      durableAck: durable ? 1 : 0,
    } satisfies Metrics;
  },
};
