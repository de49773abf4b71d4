/**
 * A claim that must first release an earlier claim of its room whose answer was lost (leases.ts `#unsettled`), on a
 * slow link (h129): the release's round trip took most of the claim's wait (the lease's validity). Before, the SET was
 * sent all the same with what was left (a fraction of a round trip): judged overdue at once, Redis was taken for
 * silent though it answered (the next claims refused "Redis has not answered…"), and the SET still took the key. Now
 * the claim is refused before anything is sent, and the retry is claimed.
 */
import { afterEach, expect, test } from "vitest";
import { startRedis } from "../helpers/engines.js";
import { pollUntil } from "../helpers/server.js";
import { leaseNode, redisLink, stopLeaseNodes } from "./lease-nodes.js";
import { startTcpProxy } from "./network.js";

afterEach(stopLeaseNodes);

test("the release of an earlier claim leaves less than a round trip of the claim's wait: refused unsent (try again), Redis not taken for silent, and the retry holds the room", async () => {
  // Validity 0.9 × 1000 − 2 = 898 ms; on a link 300 ms each way the release takes some 600 ms, leaving ~300 ms.
  const ttlMs = 1_000;
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", ttlMs);
  const direct = await redisLink(redis.url, ttlMs);
  // The release script cached in Redis (a NOSCRIPT would add a round trip).
  await a.leases.claim("main/r0");
  await a.leases.release("main/r0");
  // A claim that runs in Redis, its answer lost with the connection: its value is left to release.
  proxy.holdReplies();
  const lost = a.leases.claim("main/r1");
  lost.catch(() => {});
  await pollUntil("the claim to run in Redis", async () => (await direct.send<string | null>(["GET", "yparty:lease:main/r1"])) ?? undefined);
  proxy.reset();
  proxy.heal();
  await expect(lost).rejects.toThrow();
  await pollUntil("the link to Redis to be back", () => a.link.send<string>(["PING"]).catch(() => undefined));
  // What the lost claim left is this node's to release before the room's next claim: no renewal before it (slow link).
  proxy.slow(300);
  await expect(a.leases.claim("main/r1")).rejects.toThrow(
    /^the release of an earlier claim of main\/r1 took \d+ ms, leaving \d+ ms for the claim; nothing was claimed$/,
  );
  expect(await direct.send(["GET", "yparty:lease:main/r1"])).toBeNull();
  // Before: refused "Redis has not answered a command sent … ago" (the SET sent with ~300 ms to wait was overdue).
  expect(await a.leases.claim("main/r1")).toEqual({ held: true });
});
