/**
 * An alarm index write (SADD) of a node cut off from Redis that reaches Redis after a later owner of the room removed
 * the entry (h131). The index is written after the alarm record and not waited for (h118); Redis did not answer
 * it, so it is delivered when the partition ends, or sent again every TTL/3 after a reset (h124). Before, it then ran
 * after the later owner's SREM and left the room listed with no alarm (skipped by the listing, but wrong state, read
 * at every leader tick, and a late SREM could as well have removed a live alarm's entry). Now each index write carries
 * the fence of the room's alarm store, bumped by every claim, and runs only if no later owner's write ran before it.
 */
import { createClient } from "@redis/client";
import { expect, test, vi } from "vitest";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test.each(["delivered", "reset"] as const)(
  "an index SADD sent into a partition lands after the next owner's SREM (the partition's bytes %s): the room is not listed again",
  async (ending) => {
    const cluster = await startCluster(2);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const room = "counter/h131-late-add";
    const state = async (node: ClusterNode) =>
      (await (await fetch(`${node.url}/parties/${room}`)).json().catch(() => ({}))) as { alarms?: number; pid?: number };
    const setAlarm = (node: ClusterNode, alarmInMs: number) =>
      fetch(`${node.url}/parties/${room}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ alarmInMs }) });
    const redis = createClient({ url: cluster.redis.url });
    redis.on("error", () => {});
    await redis.connect();
    const listed = async () => (await redis.sIsMember("yparty:alarms", room)) === 1;
    try {
      expect((await state(a)).pid).toBe(a.pid);
      a.redisLink.partition();
      const held = a.redisLink.heldBytes;
      // Answered at once (h118): the room's lease is still valid; the SADD goes into the partition.
      expect((await setAlarm(a, 60_000)).status).toBe(200);
      await a.redisLink.whenHeld(held + 1);

      // a's lease runs out in Redis; b claims the room, sets an alarm of its own, which fires and is removed.
      await until(async () => (await state(b)).pid === b.pid, "b to serve the room once a's lease ran out");
      expect((await setAlarm(b, 500)).status).toBe(200);
      await until(listed, "b's alarm to be listed");
      await until(async () => (await state(b)).alarms === 1 && !(await listed()), "b's alarm to fire and leave the index");

      if (ending === "reset") a.redisLink.reset();
      a.redisLink.heal();
      // a's SADD reaches Redis: refused (logged), or, before, run.
      await until(async () => a.output.includes('"event":"cluster.alarm_index_superseded"') || (await listed()), "a's late index write to reach Redis");
      expect(await listed()).toBe(false);
      expect(a.output).toContain('"event":"cluster.alarm_index_superseded"');
    } finally {
      redis.destroy();
    }
  },
);

test("Redis remembering a later fence than PostgreSQL gave (a database restored from a backup): the owner's index write is dropped with a warning that says what to do, and runs again once the key is deleted", async () => {
  const cluster = await startCluster(1);
  const [a] = cluster.nodes as [ClusterNode];
  const room = "counter/h131-restored";
  const setAlarm = () =>
    fetch(`${a.url}/parties/${room}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ alarmInMs: 60_000 }) });
  const redis = createClient({ url: cluster.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  try {
    expect((await fetch(`${a.url}/parties/${room}`)).status).toBe(200);
    // What an older database leaves: fences lower than those Redis saw.
    await redis.hSet("yparty:alarm-fences", room, "1000000");
    expect((await setAlarm()).status).toBe(200);
    await until(() => a.output.includes('"event":"cluster.alarm_index_fence_ahead"'), "the warning");
    const line = a.output.split("\n").find((entry) => entry.includes('"event":"cluster.alarm_index_fence_ahead"'))!;
    expect(JSON.parse(line)).toMatchObject({ level: "warn", code: "ERR_CLUSTER_REDIS", room });
    expect(JSON.parse(line).message).toMatch(/was the database restored from a backup\?.*delete yparty:alarm-fences to have index writes run again$/);
    expect(await redis.sIsMember("yparty:alarms", room)).toBe(0);
    // As the warning says.
    await redis.del("yparty:alarm-fences");
    expect((await setAlarm()).status).toBe(200);
    await until(async () => (await redis.sIsMember("yparty:alarms", room)) === 1, "the alarm to be indexed");
  } finally {
    redis.destroy();
  }
});
