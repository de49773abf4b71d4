/**
 * A Redis slow but answering (a slow script, a distant link) is not taken for a silent one (h124, probes of h118's rule).
 *
 * Redis is held with CLIENT PAUSE (every client's commands wait, then run in order), as a slow script holds it, but
 * without spinning a core for as long: on two loaded cores (CI) the node's own renewals then came late and it lost its
 * leases to the machine, not to Redis (h135). The pause is in force before the claims are sent (its OK came back), so
 * each claim meets it: no race between two connections.
 */
import { afterEach, expect, test } from "vitest";
import { startRedis } from "../helpers/engines.js";
import { leaseNode, redisLink, stopLeaseNodes } from "./lease-nodes.js";
import { startTcpProxy } from "./network.js";

afterEach(stopLeaseNodes);

/** Holds every client's commands for `ms`, from when it answers (as a slow script of `ms` would). */
const pauseFor = (link: { send<T>(args: string[]): Promise<T> }, ms: number) => link.send(["CLIENT", "PAUSE", String(ms), "ALL"]);

const TTL_MS = 1_000;

test("claims while Redis does not answer for 0.4 of the TTL (paused 1.2 s, TTL 3 s): all held, none refused as silent, no lease lost", async () => {
  // The margin the rule leaves a renewal (0.9 TTL - TTL/3 - 0.4 TTL) is 0.17 TTL: 500 ms of scheduling here, where a
  // TTL of 1 s left 170 ms, which a loaded machine's timers can pass.
  const ttlMs = 3_000;
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", ttlMs);
  const direct = await redisLink(redis.url, ttlMs);
  await a.leases.claim("main/warm");
  for (let round = 0; round < 5; round++) {
    await pauseFor(direct, 0.4 * ttlMs);
    const sentAt = performance.now();
    const claims = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => a.leases.claim(`main/r${round}-${i}`)));
    // They met the pause (a lower bound: a loaded machine only makes it longer).
    expect(performance.now() - sentAt).toBeGreaterThan(0.3 * ttlMs);
    expect(claims.filter((claim) => claim.status === "rejected").map((claim) => String((claim as PromiseRejectedResult).reason))).toEqual([]);
  }
  expect(a.lost).toEqual([]);
});

test("Redis not answering past the validity once (paused 2 s, TTL 1 s): the claim is refused, and the next after Redis answered is held (silence ends with the answer)", async () => {
  const redis = await startRedis();
  const a = await leaseNode(redis.url, "http://a", TTL_MS);
  const direct = await redisLink(redis.url, TTL_MS);
  await a.leases.claim("main/warm");
  // Well past the claim's wait (0.9 s), however late the claim is sent after the pause began.
  await pauseFor(direct, 2_000);
  await expect(a.leases.claim("main/busy")).rejects.toThrow(/did not answer/);
  // Answered in order on the node's own connection: once this is, so is the late claim, and its handlers ran by the
  // next turn. The first claim then is held: no retry, no timing.
  await a.link.send(["PING"]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(await a.leases.claim("main/after")).toEqual({ held: true });
});

test("a Redis 0.25 TTL away each way (750 ms, TTL 3 s): a claim of a room another node holds names it in one round trip, and Redis is not taken for silent", async () => {
  // One round trip is 0.5 TTL, two (the bug) 1 TTL, past the claim's wait (0.9 TTL). At TTL 3 s the one round trip
  // leaves 1.2 s for the proxy's and the node's timers, which a loaded machine delays (at TTL 1 s: 400 ms).
  const ttlMs = 3_000;
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(redis.url, "http://a", ttlMs);
  const b = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://b", ttlMs);
  expect(await a.leases.claim("main/far")).toEqual({ held: true });
  proxy.slow(0.25 * ttlMs);
  // Before: the claim asked the time left of a's lease too, a second round trip past the claim's wait (0.9 TTL), and
  // the node then refused every claim until that answer came.
  for (let i = 0; i < 3; i++) expect(await b.leases.claim("main/far")).toMatchObject({ held: false, holder: "http://a" });
  expect(await b.leases.claim("main/near")).toEqual({ held: true });
  expect(b.lost).toEqual([]);
});
