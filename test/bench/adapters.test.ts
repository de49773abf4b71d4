/**
 * The harness clients against every server under test, for one round trip each: handshake, one update
 * from A seen by B, and (servers with a document) a fresh client syncing what A wrote. Correctness of the
 * clients and framings, not speed.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { AppendTypist } from "../../bench/client/append-updates.js";
import { BenchClient } from "../../bench/client/bench-client.js";
import { withTimeout } from "../../bench/errors.js";
import { TEXT_NAME } from "../../bench/limits.js";
import { SERVERS } from "../../bench/servers/catalog.js";
import { startTarget, type Target } from "../../bench/target.js";

const ROUND_TRIP_MS = 10_000;
const started: Target[] = [];
const clients: BenchClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(started.map((target) => target.stop()));
});

describe.each(SERVERS.map((spec) => [spec.label, spec] as const))("harness client against %s", (_label, spec) => {
  it("syncs, relays one update to another client, and serves it to a fresh one", async () => {
    const target = await startTarget(spec);
    started.push(target);
    const connect = async (room: string, options: Parameters<typeof BenchClient.connect>[3] = {}): Promise<BenchClient> => {
      const client = await BenchClient.connect(target.framing, target.server.port, room, options);
      clients.push(client);
      return client;
    };
    let received!: (update: Uint8Array) => void;
    const arrived = new Promise<Uint8Array>((resolve) => (received = resolve));
    const writer = await connect("round-trip");
    await connect("round-trip", { onUpdate: (update) => received(update.slice()) });

    const update = new AppendTypist(99).next("~0.1~hello");
    writer.sendUpdate(update);
    const got = await withTimeout(arrived, ROUND_TRIP_MS, `${spec.label} round trip`);
    const seen = new Y.Doc();
    Y.applyUpdate(seen, got);
    expect(seen.getText(TEXT_NAME).toString()).toBe("~0.1~hello");

    if (spec.hasDocument) {
      const doc = new Y.Doc();
      const fresh = await connect("round-trip", { doc });
      expect(doc.getText(TEXT_NAME).toString()).toBe("~0.1~hello");
      expect(fresh.syncBytes).toBeGreaterThan(0);
    }
  });
});
