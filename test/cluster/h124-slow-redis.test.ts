/**
 * A Redis slow but answering (a slow script, a distant link) is not taken for a silent one (h124, probes of h118's rule).
 */
import { afterEach, expect, test } from "vitest";
import { startRedis } from "../helpers/engines.js";
import { pollUntil } from "../helpers/server.js";
import { leaseNode, redisLink, stopLeaseNodes } from "./lease-nodes.js";
import { startTcpProxy } from "./network.js";

afterEach(stopLeaseNodes);

/** Keeps Redis busy for `ms` (a slow script: every other client waits for it). */
const BUSY = `local t0 = redis.call('TIME')
repeat local t = redis.call('TIME') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= tonumber(ARGV[1]) * 1000
return 1`;
const busyFor = (link: { send<T>(args: string[]): Promise<T> }, ms: number) => link.send(["EVAL", BUSY, "0", String(ms)]);

const TTL_MS = 1_000;

test("claims while Redis is busy for half the lease's validity (a script of 0.4 s): all held, none refused as silent", async () => {
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", TTL_MS);
  const direct = await redisLink(redis.url, TTL_MS);
  await a.leases.claim("main/warm");
  for (let round = 0; round < 5; round++) {
    const busy = busyFor(direct, 400);
    const claims = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => a.leases.claim(`main/r${round}-${i}`)));
    await busy;
    expect(claims.filter((claim) => claim.status === "rejected").map((claim) => String((claim as PromiseRejectedResult).reason))).toEqual([]);
  }
  expect(a.lost).toEqual([]);
});

test("Redis busy past the validity once (a script of 1.2 s): the claim is refused, and the next after Redis answered is held (silence ends with the answer)", async () => {
  const redis = await startRedis();
  const a = await leaseNode(redis.url, "http://a", TTL_MS);
  const direct = await redisLink(redis.url, TTL_MS);
  await a.leases.claim("main/warm");
  const busy = busyFor(direct, 1_200);
  await expect(a.leases.claim("main/busy")).rejects.toThrow(/did not answer/);
  await busy;
  // The late claim's answer comes right after the script's (on the node's own connection): it ends the silence.
  const answeredAt = performance.now();
  const after = await pollUntil(
    "a claim to be held once Redis answered",
    () =>
      a.leases.claim("main/after").then(
        (result) => result,
        () => undefined,
      ),
    1_000,
  );
  expect(after).toEqual({ held: true });
  expect(performance.now() - answeredAt).toBeLessThan(200);
});

test("a Redis 250 ms away each way (TTL 1 s): a claim of a room another node holds names it in one round trip, and Redis is not taken for silent", async () => {
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(redis.url, "http://a", TTL_MS);
  const b = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://b", TTL_MS);
  expect(await a.leases.claim("main/far")).toEqual({ held: true });
  proxy.slow(250);
  // Before: the claim asked the time left of a's lease too, a second round trip past the claim's wait (0.9 TTL), and
  // the node then refused every claim until that answer came.
  for (let i = 0; i < 3; i++) expect(await b.leases.claim("main/far")).toMatchObject({ held: false, holder: "http://a" });
  expect(await b.leases.claim("main/near")).toEqual({ held: true });
  expect(b.lost).toEqual([]);
});
