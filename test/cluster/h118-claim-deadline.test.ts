/**
 * A claim Redis does not answer (a partition: the connection open, nothing back), on the lease table and a real Redis
 * (h118): it is refused within the lease's validity instead of waiting for as long as the partition lasts; a claim
 * whose answer comes after that never counts as held, and the key it set is released (compare-and-delete) once Redis
 * answers; claims made while an earlier one is still unanswered are refused at once, sending nothing into the
 * partition (a client retrying cannot pile commands up in the link).
 */
import { afterEach, expect, test } from "vitest";
import { leaseKey } from "../../src/cluster/leases.js";
import { startRedis } from "../helpers/engines.js";
import { pollUntil, waitFor } from "../helpers/server.js";
import { leaseNode, redisLink, stopLeaseNodes } from "./lease-nodes.js";
import { startTcpProxy } from "./network.js";

afterEach(stopLeaseNodes);

const TTL_MS = 1_000;

/** The claim's outcome: "held", the holder, or the message it was refused with. */
const outcome = (claim: Promise<{ held: boolean; holder?: string }>) =>
  claim.then(
    (result) => (result.held ? "held" : `held by ${result.holder}`),
    (error: Error) => error.message,
  );

/**
 * Refused for Redis's silence, at a deadline within the lease's validity: the wait the refusal states. (When its timer
 * fires is the machine's: a loaded one runs it late, which says nothing of the deadline.)
 */
function expectRefusedAtItsDeadline(refusal: string) {
  expect(refusal).toMatch(/^Redis did not answer .* within \d+ ms$/);
  expect(Number(/within (\d+) ms$/.exec(refusal)?.[1])).toBeLessThan(TTL_MS);
}

async function nodeThroughProxy() {
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const a = await leaseNode(`redis://127.0.0.1:${proxy.port}`, "http://a", TTL_MS);
  const direct = await redisLink(redis.url, TTL_MS);
  // The scripts cached in Redis (a NOSCRIPT would add a round trip).
  await a.leases.claim("main/r0");
  await a.leases.release("main/r0");
  return { ...a, redis, proxy, direct };
}

test("a claim whose answer comes after its deadline: refused in time, never held, and the key it set released once Redis answers", async () => {
  const a = await nodeThroughProxy();
  a.proxy.holdReplies();
  // Two renewals unanswered (an empty list each, `*0\r\n`): the most in flight, so none is sent with the claim, and
  // only the claim's own settling can clear the key it sets.
  await waitFor(a.proxy.whenHeld(8), "two renewals to wait for their answers");
  const claim = outcome(a.leases.claim("main/late"));
  // Before: it waited for the answer, for as long as the replies were held.
  expectRefusedAtItsDeadline(await waitFor(claim, "the claim to be answered or refused", 3 * TTL_MS));
  // The claim ran in Redis: the key is a's, though a serves nothing under it. Made never to expire: only a release
  // can take it away now.
  const key = leaseKey("main/late");
  expect(await a.direct.send<string>(["GET", key])).toMatch(/^http:\/\/a /);
  await a.direct.send(["PERSIST", key]);
  a.proxy.heal();
  await pollUntil("the late claim's key to be released", async () => ((await a.direct.send<number>(["EXISTS", key])) === 0 ? true : undefined), 3 * TTL_MS);
  expect(a.leases.holds("main/late")).toBe(false);
  expect(a.lost).toEqual([]);
  // One node serves it: whoever claims it next.
  const b = await leaseNode(a.redis.url, "http://b", TTL_MS);
  expect(await b.leases.claim("main/late")).toEqual({ held: true });
  expect(await outcome(a.leases.claim("main/late"))).toBe("held by http://b");
  expect(a.leases.holds("main/late")).toBe(false);
});

test("claims while Redis does not answer: the first is refused at its deadline, those after it at once, sending nothing into the partition; answered again, rooms are claimed", async () => {
  const a = await nodeThroughProxy();
  a.proxy.partition();
  expectRefusedAtItsDeadline(await waitFor(outcome(a.leases.claim("main/first")), "the first claim to be refused", 3 * TTL_MS));
  // By now the renewals in flight are at their most (two): nothing else is sent while Redis is silent.
  const held = a.proxy.heldBytes;
  const retriedAt = performance.now();
  // A client retrying, many clients at once: each was a SET waiting in the link until the partition ended.
  const retries = await waitFor(
    Promise.all(Array.from({ length: 500 }, (_, i) => outcome(a.leases.claim(`main/retry-${i % 5}`)))),
    "the retries to be refused",
    3 * TTL_MS,
  );
  expect(new Set(retries.map((message) => message.replace(/\d+ ms/, "N ms")))).toEqual(
    new Set(["Redis has not answered a command sent N ms ago, so the claim was not sent"]),
  );
  expect(performance.now() - retriedAt).toBeLessThan(TTL_MS / 2);
  expect(a.proxy.heldBytes).toBe(held);
  // Who holds a room is not asked either (the relays' watch, a request held for an unreachable owner).
  await expect(a.leases.holder("main/retry-0")).rejects.toThrow(
    /^Redis has not answered a command sent \d+ ms ago, so the question of who holds the room was not sent$/,
  );
  expect(a.proxy.heldBytes).toBe(held);

  a.proxy.heal();
  expect(await pollUntil("a claim to be answered again", async () => ((await outcome(a.leases.claim("main/after"))) === "held" ? true : undefined))).toBe(true);
  expect(a.leases.holds("main/after")).toBe(true);
  // The first claim ran in Redis once the partition healed: its key is released with the next renewal.
  await pollUntil(
    "the first claim's key to be released",
    async () => ((await a.direct.send<number>(["EXISTS", leaseKey("main/first")])) === 0 ? true : undefined),
    3 * TTL_MS,
  );
});

test("a partition that ends with the connection reset (a middlebox, a reboot): what was unanswered is dropped with it, and the rooms are claimed on the new connection", async () => {
  const a = await nodeThroughProxy();
  a.proxy.partition();
  expect(await waitFor(outcome(a.leases.claim("main/first")), "the first claim to be refused", 3 * TTL_MS)).toMatch(/Redis did not answer/);
  expect(await outcome(a.leases.claim("main/second"))).toMatch(/Redis has not answered/);
  a.proxy.reset();
  a.proxy.heal();
  expect(
    await pollUntil("a claim to be answered on the new connection", async () => ((await outcome(a.leases.claim("main/after"))) === "held" ? true : undefined)),
  ).toBe(true);
  expect(a.leases.holds("main/after")).toBe(true);
});
