/**
 * A node ended by an uncaught exception (user code throwing in a timer, outside every hook's guard) still exits non-zero
 * with the error logged, but first gives up its leases and node key (bounded): its rooms move to other nodes at once
 * instead of a TTL later, as after kill -9.
 */
import { createClient } from "@redis/client";
import { expect, test, vi } from "vitest";
import { waitFor } from "../helpers/server.js";
import { startCluster, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 60_000 });

test("an uncaught exception: the node logs it, releases its leases and node key, and exits 1", async () => {
  const cluster = await startCluster(2);
  const [doomed, other] = cluster.nodes as [ClusterNode, ClusterNode];
  const counter = (node: ClusterNode, body: unknown) => fetch(`${node.url}/parties/counter/crashing`, { method: "POST", body: JSON.stringify(body) });
  expect((await counter(doomed, {})).status).toBe(200);
  expect(await cluster.owner("counter/crashing")).toBe(doomed.url);
  const redis = createClient({ url: cluster.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  expect(await redis.exists(`yparty:node:${doomed.url}`)).toBe(1);

  const child = doomed.process!.child;
  // "close", not "exit": its output is then read to the end ("exit" may come before the last of it is read). The
  // bound is only for a node that never exits: its last words are bounded by the node itself (1 s; ~50 ms here).
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  // Its answer may or may not leave before the timer throws.
  void counter(doomed, { crash: true }).catch(() => undefined);
  const code = await waitFor(exited, "the node to exit on its uncaught exception", 15_000);
  // Checked at once: a lease left behind would still be there for most of a TTL (1 s).
  const [owner, nodeKeys] = await Promise.all([cluster.owner("counter/crashing"), redis.exists(`yparty:node:${doomed.url}`)]);
  expect({ owner, nodeKeys }).toEqual({ owner: undefined, nodeKeys: 0 });
  expect(code).toBe(1);
  expect(doomed.output).toMatch(/"event":"process\.uncaught_exception".*SyntaxError/);
  // The room moves at once: the next request is served by the other node.
  const moved = await counter(other, {});
  expect(moved.status).toBe(200);
  expect(await cluster.owner("counter/crashing")).toBe(other.url);
  redis.destroy();
});
