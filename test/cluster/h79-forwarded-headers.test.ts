/**
 * A request forwarded to the node serving its room carries `x-yparty-cluster: <admin token>`; the owner handed that
 * header to the room's onRequest (and onConnect's ctx.request), so a room echoing or proxying its headers gave the
 * admin token away: the key to the admin API and to skipping onBeforeConnect/onBeforeRequest on every node.
 */
import { expect, test } from "vitest";
import { TOKEN, startCluster, useCluster } from "./cluster.js";

useCluster();

test("a room served on another node is not handed the cluster's headers (nor the admin token in them)", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes as [(typeof cluster.nodes)[number], (typeof cluster.nodes)[number]];
  expect((await fetch(`${a.url}/parties/counter/fwd-1`, { method: "POST", body: "{}" })).status).toBe(200);
  expect(await cluster.owner("counter/fwd-1")).toBe(a.url);
  const forwarded = await fetch(`${b.url}/parties/counter/fwd-1`);
  const body = (await forwarded.json()) as { pid: number; ownHeaders: string[] };
  expect(body.pid).toBe(a.pid); // served by the owner, through b
  expect(body.ownHeaders).toEqual([]);
  expect(JSON.stringify(body)).not.toContain(TOKEN);
});
