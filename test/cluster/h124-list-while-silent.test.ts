/**
 * `yparty list` on a node whose link to Redis is partitioned, once the node knows Redis is silent (h124, an attack on
 * h118's rule): before, every listing still sent its reads (SCAN, MGET) into the partition and waited the lease's
 * validity for them (a dashboard polling the list piled commands up in the link for as long as the partition lasted);
 * now it is refused at once, as claims are, sending nothing.
 *
 * "At once" is told from "waited the lease's validity" with a 3 s lease (validity 0.9 × 3000 − 2 = 2698 ms): at 1 s the
 * ten answers were held to 500 ms, and a loaded CI turn took 676 ms to deliver them, though none had waited.
 */
import { expect, test, vi } from "vitest";
import { TOKEN, startCluster, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 60_000 });

const LEASE_TTL_S = 3;
const VALIDITY_MS = LEASE_TTL_S * 1000 * 0.9 - 2;

test("listings while Redis is silent: answered 503 at once, nothing sent into the partition", async () => {
  const cluster = await startCluster(1, { leaseTtlS: LEASE_TTL_S });
  const [node] = cluster.nodes as [ClusterNode];
  const list = () => fetch(`${node.url}/_yparty/rooms`, { headers: { authorization: `Bearer ${TOKEN}` } });
  node.redisLink.partition();
  // A claim Redis does not answer: from its deadline on, Redis is silent.
  expect((await fetch(`${node.url}/parties/main/h124-first`)).status).toBe(503);
  const held = node.redisLink.heldBytes;
  const startedAt = performance.now();
  const answers = await Promise.all(Array.from({ length: 10 }, list));
  expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 503));
  const { error } = (await answers[0]!.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe("ERR_ROOM_UNAVAILABLE");
  expect(error.message).toMatch(
    /^Redis cannot be reached to list the cluster's rooms: Redis has not answered a command sent \d+ ms ago, so the listing's read of the leases was not sent; try again$/,
  );
  // Before: each waited the lease's validity, its SCANs held in the partition.
  expect(performance.now() - startedAt).toBeLessThan(VALIDITY_MS);
  expect(node.redisLink.heldBytes).toBe(held);
  node.redisLink.heal();
});
