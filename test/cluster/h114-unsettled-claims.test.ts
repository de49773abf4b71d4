/**
 * A claim whose answer never came (leases.ts `#unsettled`), attacked from the outside (h114): the same room claimed
 * again on this node before any renewal, a release that must not delete a newer lease, and stop() while Redis does
 * not answer.
 */
import { afterEach, expect, test } from "vitest";
import { startRedis } from "../helpers/engines.js";
import { pollUntil } from "../helpers/server.js";
import { leaseNode, redisLink, stopLeaseNodes } from "./lease-nodes.js";
import { startTcpProxy } from "./network.js";

afterEach(stopLeaseNodes);

/** A node whose claim of `name` ran in Redis but whose answer was lost with the connection; resolves once the link is back. */
async function claimLost(ttlMs: number, name: string) {
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", ttlMs);
  const direct = await redisLink(redis.url, ttlMs);
  // The release script cached in Redis (a NOSCRIPT would add a round trip).
  await a.leases.claim("main/r0");
  await a.leases.release("main/r0");
  proxy.holdReplies();
  const claim = a.leases.claim(name);
  claim.catch(() => {});
  await pollUntil("the claim to run in Redis", async () => (await direct.send<string | null>(["GET", `yparty:lease:${name}`])) ?? undefined);
  proxy.reset();
  proxy.heal();
  await expect(claim).rejects.toThrow();
  await pollUntil("the link to Redis to be back", () => a.link.send<string>(["PING"]).catch(() => undefined));
  return { ...a, direct, proxy, redis };
}

test("the room of a claim whose answer was lost, claimed again on the same node before a renewal: taken at once, not waited out as an earlier process's lease", async () => {
  // A TTL no renewal comes within during the test: only the claim itself can clear what the lost claim left.
  const ttlMs = 60_000;
  const a = await claimLost(ttlMs, "main/r1");
  // Before: refused with this node's own address and a minute to wait (placement.ts waits it out, then 503).
  expect(await a.leases.claim("main/r1")).toEqual({ held: true });
  expect(a.leases.holds("main/r1")).toBe(true);
  // Renewed under the new value: the key is this lease's.
  const value = await a.direct.send<string>(["GET", "yparty:lease:main/r1"]);
  expect(value.startsWith("http://a ")).toBe(true);
  await a.leases.release("main/r1");
  expect(await a.direct.send(["GET", "yparty:lease:main/r1"])).toBeNull();
});

test("a lost claim's release never deletes the lease another node took meanwhile", async () => {
  const ttlMs = 60_000;
  const a = await claimLost(ttlMs, "main/r1");
  // The lost claim's key went (it ran out) and b took the room.
  await a.direct.send(["DEL", "yparty:lease:main/r1"]);
  const b = await leaseNode(a.redis.url, "http://b", ttlMs);
  expect(await b.leases.claim("main/r1")).toEqual({ held: true });
  expect(await a.leases.claim("main/r1")).toMatchObject({ held: false, holder: "http://b" });
  expect(await a.leases.holder("main/r1")).toBe("http://b");
  expect(b.leases.holds("main/r1")).toBe(true);
});

test("stop() while Redis does not answer (a partition): the leases and the link are given up within a second each, not held for as long as the partition lasts", async () => {
  const ttlMs = 1_000;
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", ttlMs);
  expect(await a.leases.claim("main/r1")).toEqual({ held: true });
  proxy.partition();
  const claim = a.leases.claim("main/r2");
  claim.catch(() => {});
  await proxy.whenHeld(1);
  const started = performance.now();
  // As the cluster leaves (src/cluster/index.ts close): the leases, then the link.
  const stopped = (async () => {
    await a.leases.stop();
    await a.link.close();
  })();
  const outcome = await Promise.race([stopped.then(() => "stopped"), new Promise((resolve) => setTimeout(resolve, ttlMs * 3, "still stopping"))]);
  expect(outcome).toBe("stopped");
  // At most a second (redis.ts leavingWaitMs) for the leases, one more for the link.
  expect(performance.now() - started).toBeLessThan(ttlMs * 2.5);
  proxy.heal();
});
