/**
 * A WebSocket whose room's claim waits for a Redis that does not answer (a partition) when its node gets SIGTERM
 * (h129). The claim is given up at once (h118: ERR_SHUTTING_DOWN), and the upgrade was then answered HTTP 503: a
 * browser sees that as a bare 1006, no reason, nothing to say a retry is worth it. Now the socket is accepted and
 * closed 1001 (going away: what the node's open sockets get at shutdown) with why, as 1013 is for a room that cannot
 * be claimed.
 */
import { expect, test, vi } from "vitest";
import WebSocket from "ws";
import { waitFor } from "../helpers/server.js";
import { startCluster, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("a SIGTERM while a socket's claim waits in a partition: the client gets close 1001 with a reason, not 1006", async () => {
  // A long lease: the claim's own deadline (0.9 TTL) is far past the shutdown.
  const cluster = await startCluster(1, { leaseTtlS: 10 });
  const [node] = cluster.nodes as [ClusterNode];
  node.redisLink.partition();
  // A plain client, as a browser: a refused upgrade is only an error and 1006 to it.
  const ws = new WebSocket(`ws://${node.host}/parties/main/h129-term`);
  ws.on("error", () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await waitFor(node.redisLink.whenHeld(1), "the claim to be sent into the partition");
  const child = node.process!.child;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  // Before: 1006 and no reason (the upgrade answered HTTP 503 ERR_SHUTTING_DOWN).
  expect(await waitFor(closed, "the socket to close", 5_000)).toEqual({ code: 1001, reason: "This node is shutting down; try again" });
  expect(await waitFor(exited, "the node to exit after SIGTERM", 5_000)).toBe(0);
  node.redisLink.heal();
});
