/**
 * An alarm set while its node's link to Redis is partitioned, the partition ending with the connection reset (a
 * middlebox, a reboot, TCP giving up): the alarm's index entry (SADD, sent and not waited for since h118) was lost with
 * the connection, so once the owner died no leader ever woke the alarm: it fired only if the room was loaded again by
 * a client (h124). Now an index write Redis did not answer is sent again until it is.
 */
import { createClient } from "@redis/client";
import { expect, test, vi } from "vitest";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("an alarm set during a partition that ends with a reset still fires after its owner dies (taken over by the leader)", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  const room = "counter/h124-alarm";
  const state = async (node: ClusterNode) =>
    (await (await fetch(`${node.url}/parties/${room}`)).json()) as { alarms: number; alarmPids: number[]; pid: number };
  expect((await state(a)).pid).toBe(a.pid);
  expect(await cluster.owner(room)).toBe(a.url);

  a.redisLink.partition();
  // Answered at once (h118): the room's lease is still valid, the index write goes into the partition.
  const held = a.redisLink.heldBytes;
  const answer = await fetch(`${a.url}/parties/${room}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ alarmInMs: 10_000 }),
  });
  expect(answer.status).toBe(200);
  await a.redisLink.whenHeld(held + 1);
  // The connection dies with the SADD in it; the node reconnects at once.
  a.redisLink.reset();
  a.redisLink.heal();
  // Before: the SADD, lost with the connection, was never sent again.
  const redis = createClient({ url: cluster.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  try {
    // Well before the alarm is due (its firing here would write the entry again).
    await until(async () => (await redis.sIsMember("yparty:alarms", room)) === 1, "the alarm's index entry to be written once Redis answers", 4_000);
  } finally {
    redis.destroy();
  }
  expect(await cluster.owner(room)).toBe(a.url);
  await a.kill("SIGKILL");

  // The leader (b, at the latest once a's leases ran out) wakes the alarm: the room is claimed on b and fires there.
  // Watched in Redis, not by a request (loading the room on b would arm its alarm there by itself).
  await until(async () => (await cluster.owner(room)) === b.url, "the leader to claim the room for its alarm after a died", 20_000);
  await until(async () => (await state(b)).alarms === 1, "the alarm to fire on b");
  // Fired there, not on a before it died (its alarm was 10 s away).
  expect((await state(b)).alarmPids).toEqual([b.pid]);
});

test.each(["delivered", "reset"] as const)(
  "an alarm set during a partition that outlasts the room's lease fires on the same node once Redis answers (the partition's bytes %s)",
  async (ending) => {
    const cluster = await startCluster(1);
    const [node] = cluster.nodes as [ClusterNode];
    const room = `counter/h124-alarm-${ending}`;
    const url = `${node.url}/parties/${room}`;
    expect((await fetch(url)).status).toBe(200);
    node.redisLink.partition();
    const answer = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ alarmInMs: 4_000 }) });
    expect(answer.status).toBe(200);
    // The room's lease runs out meanwhile: it is unloaded here, its alarm left to the index.
    await until(
      () => node.output.split("\n").some((line) => line.includes('"event":"cluster.lease_expired"') && line.includes(`"room":"${room}"`)),
      "the room's lease to run out in the partition",
    );
    if (ending === "reset") node.redisLink.reset();
    node.redisLink.heal();
    await until(async () => (await cluster.owner(room)) === node.url, "the room to be claimed again for its alarm", 20_000);
    await until(async () => ((await (await fetch(url)).json()) as { alarms: number }).alarms === 1, "the alarm to fire");
  },
);
