/**
 * What a client reads when its room cannot be claimed because PostgreSQL cannot be reached: the 503's message said
 * what the database driver said, `connect ECONNREFUSED 127.0.0.1:5432` (the database's address, to anyone who asks
 * for a room; since h131 also to a room's client whose stub call met it). The client now reads what could not be done
 * and what to do; the driver's words go to the node's log (cluster.claim_storage_failed), with the room.
 */
import { expect, test, vi } from "vitest";
import { startCluster, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("PostgreSQL down: a room's claim refused 503 says so without the database's address; the log has the driver's error", async () => {
  const cluster = await startCluster(1);
  const [node] = cluster.nodes as [ClusterNode];
  await cluster.postgres.stop("crash");
  const answer = await fetch(`${node.url}/parties/counter/h135-unclaimed`, { method: "POST", body: "{}" });
  expect(answer.status).toBe(503);
  expect(answer.headers.get("retry-after")).toBe("1");
  const { error } = (await answer.json()) as { error: { code: string; message: string } };
  expect(error).toEqual({
    code: "ERR_ROOM_UNAVAILABLE",
    message: "The storage cannot be reached to claim counter/h135-unclaimed (the node's log says why); try again",
  });
  expect(node.output).toMatch(/"event":"cluster\.claim_storage_failed".*"room":"counter\/h135-unclaimed".*ECONNREFUSED/);
});
