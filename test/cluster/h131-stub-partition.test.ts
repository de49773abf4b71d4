/**
 * A room's `context.parties` stub asking a room that must be claimed while the node's link to Redis is partitioned
 * (h131). The stub's fetch throws the cluster's 503 (`ERR_ROOM_UNAVAILABLE`, retryable, as a Durable Object stub's
 * infrastructure errors are on Cloudflare). Before, user code that did not catch it (most does not) had its own client
 * answered a bare 500 ERR_INTERNAL, with nothing to say a retry would do; now the client gets the 503 its request met,
 * with its code, message and Retry-After, as a client of that room gets it.
 */
import { expect, test, vi } from "vitest";
import { startCluster, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("an uncaught stub fetch to a room no node can claim during a Redis partition: the room's client gets 503 ERR_ROOM_UNAVAILABLE with Retry-After, not 500", async () => {
  const ttlS = 5;
  const cluster = await startCluster(1, { leaseTtlS: ttlS });
  const [node] = cluster.nodes as [ClusterNode];
  // The relay room and a first target are served: the stub works.
  const served = await fetch(`${node.url}/parties/relay/h131?to=h131-served`);
  expect(served.status).toBe(200);
  expect(((await served.json()) as { pid: number }).pid).toBe(node.pid);

  node.redisLink.partition();
  const answer = await fetch(`${node.url}/parties/relay/h131?to=h131-unclaimed`);
  expect(answer.status).toBe(503);
  expect(answer.headers.get("retry-after")).toBe("1");
  const { error } = (await answer.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe("ERR_ROOM_UNAVAILABLE");
  expect(error.message).toMatch(
    /^Redis cannot be reached to claim counter\/h131-unclaimed: Redis (did not answer the claim within \d+ ms|has not answered a command sent \d+ ms ago, so the claim was not sent); try again$/,
  );
  // Logged as a failure of the moment (warn), not as the code's fault.
  expect(node.output).toContain('"event":"room.request_unavailable"');
  expect(node.output).not.toContain('"event":"room.request_failed"');
  node.redisLink.heal();
});

test("a stub socket() to a room no node can claim during a Redis partition opens, then closes 1013 saying why, as a client's socket to that room does (held up)", async () => {
  const ttlS = 5;
  const cluster = await startCluster(1, { leaseTtlS: ttlS });
  const [node] = cluster.nodes as [ClusterNode];
  const served = await fetch(`${node.url}/parties/relay/h131-socket?to=h131-served&socket=1`);
  expect(await served.json()).toEqual({ opened: true, message: "ping" });

  node.redisLink.partition();
  const answer = await fetch(`${node.url}/parties/relay/h131-socket?to=h131-unclaimed&socket=1`);
  const outcome = (await answer.json()) as { opened: boolean; close: { code: number; reason: string } };
  expect(outcome.opened).toBe(true);
  expect(outcome.close.code).toBe(1013);
  expect(outcome.close.reason).toMatch(/^Redis cannot be reached to claim counter\/h131-unclaimed: Redis did not answer the claim within \d+ ms; try again$/);
  node.redisLink.heal();
});
