/**
 * Whose fence a refused alarm index write is judged against (h137). The index write (h131) runs only if Redis remembers
 * no later fence of the room's alarm store; refused, the node told a later owner's write (an info line) from Redis
 * remembering a fence the database never gave (a database restored from a backup: a warning telling the operator to
 * delete yparty:alarm-fences). It compared Redis's fence with the one this node holds, not the database's: when another
 * node claimed the room and wrote the index before this node's write landed, and this node had not yet learnt it lost
 * the room (Redis restarted empty, a write held in a partition), it told the operator to delete the key for nothing.
 * Now the fence Redis remembers is compared with the database's.
 */
import { createClient } from "@redis/client";
import pg from "pg";
import { expect, test, vi } from "vitest";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 60_000 });

test("an index write refused because another node claimed the room meanwhile is a superseded write, not a fence ahead of the database", async () => {
  const cluster = await startCluster(1);
  const [a] = cluster.nodes as [ClusterNode];
  const room = "counter/h137-fence-judged";
  const alarmStore = `__yparty:alarm/${room}`;
  const redis = createClient({ url: cluster.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  const db = new pg.Client({ connectionString: cluster.postgres.url });
  await db.connect();
  try {
    expect((await fetch(`${a.url}/parties/${room}`)).status).toBe(200);
    const held = (await cluster.fence(alarmStore))!;
    expect(held).toBeGreaterThan(0);

    // a's record is stored under its fence; its index write is held in a partition.
    a.redisLink.partition();
    const bytes = a.redisLink.heldBytes;
    const set = await fetch(`${a.url}/parties/${room}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ alarmInMs: 60_000 }),
    });
    expect(set.status).toBe(200);
    await a.redisLink.whenHeld(bytes + 1);
    // Meanwhile another node claims the room (its fence goes up in the database) and writes the index under it, as
    // after Redis restarted empty: a, whose lease is still valid, has not learnt of it yet.
    await db.query("UPDATE rooms SET fence = fence + 1 WHERE name = $1", [alarmStore]);
    await redis.hSet("yparty:alarm-fences", room, String(held + 1));
    await redis.sAdd("yparty:alarms", room);
    a.redisLink.heal();

    const judged = /"event":"cluster\.alarm_index_(superseded|fence_ahead)"/;
    await until(() => judged.test(a.output), "a's late index write to be judged");
    expect(a.output).toContain('"event":"cluster.alarm_index_superseded"');
    expect(a.output).not.toContain('"event":"cluster.alarm_index_fence_ahead"');
  } finally {
    redis.destroy();
    await db.end();
  }
});
