/**
 * The leader's read of the alarm index (`SMEMBERS yparty:alarms`, alarm-records.ts `list`, once per leader tick: the
 * server's wakeAlarms) while its link to Redis is partitioned (h129). Before, it had no deadline: each tick's read went
 * into the partition and waited for as long as it lasted, a command more in the link's queue each time. Now it follows
 * the rule of every other question (Leases.question): given up within the lease's validity, after which Redis counts
 * as silent and the next reads are refused without being sent.
 */
import { afterEach, expect, test } from "vitest";
import { MemoryStorage } from "../../persistence/index.js";
import { ClusterPlacement } from "../../src/cluster/placement.js";
import { Forwarder } from "../../src/cluster/forward.js";
import { silentLogger } from "../../src/runtime/index.js";
import { startRedis } from "../helpers/engines.js";
import { waitFor } from "../helpers/server.js";
import { leaseNode, stopLeaseNodes } from "./lease-nodes.js";
import { startTcpProxy } from "./network.js";

afterEach(stopLeaseNodes);

test("leader ticks' reads of the alarm index during a partition: the first is given up within the lease's validity, the next are refused unsent", async () => {
  const ttlMs = 1_000;
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", ttlMs);
  const storage = new MemoryStorage();
  const placement = new ClusterPlacement({
    leases: a.leases,
    redis: a.link,
    forwarder: new Forwarder("secret"),
    storage: () => storage,
    secret: "secret",
    logger: silentLogger(),
  });
  const records = placement.alarmRecords(storage);
  expect(await records.list()).toEqual(new Map());

  proxy.partition();
  const startedAt = performance.now();
  const first = records.list();
  first.catch(() => {});
  await proxy.whenHeld(1);
  // Before: never answered while the partition lasted.
  await expect(waitFor(first, "the first read to be given up", ttlMs * 3)).rejects.toThrow(
    /^The stored alarms of rooms no node serves cannot be woken now: Redis did not answer the read of the alarm index within \d+ ms; the leader tries again at its next tick$/,
  );
  expect(performance.now() - startedAt).toBeLessThan(ttlMs * 1.5);
  // The next ticks' reads: refused at once, nothing more in the link's queue (the renewals in flight are at their
  // limit of two by now: none is sent meanwhile).
  const held = proxy.heldBytes;
  for (let tick = 0; tick < 5; tick++) {
    await expect(records.list()).rejects.toThrow(
      /^The stored alarms of rooms no node serves cannot be woken now: Redis has not answered a command sent \d+ ms ago, so the read of the alarm index was not sent; the leader tries again at its next tick$/,
    );
  }
  expect(proxy.heldBytes).toBe(held);
  proxy.heal();
});
