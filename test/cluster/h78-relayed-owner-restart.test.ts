/**
 * A client connected to node A edits a room whose owner is node B, while B restarts (drained with SIGTERM, or killed
 * with kill -9) and comes back on the same address: A's clients are told how their connection ended (1001 relayed from
 * the draining owner, 1006 when it died), reconnect through A, are served again (by A, or by B once it is back), and
 * every acknowledged update is stored.
 */
import { expect, test, vi } from "vitest";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { waitFor } from "../helpers/server.js";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";
import { KeepWriting, TokenWriter } from "./writer.js";

useCluster();
vi.setConfig({ testTimeout: 120_000 });

for (const [signal, code] of [
  ["SIGTERM", 1001],
  ["SIGKILL", 1006],
] as const) {
  test(`${signal} of the owner while clients edit through another node, then the owner back on its address: the relayed clients see ${code}, move, and every ack is kept`, async () => {
    const cluster = await startCluster(2);
    const [entry, owner] = cluster.nodes as [ClusterNode, ClusterNode];
    const room = `relayed-${signal}`;
    const first = new TokenWriter(owner.host, "main", room);
    await first.opened;
    first.write("on-owner");
    await first.settled();
    first.close();
    expect(await cluster.owner(`main/${room}`)).toBe(owner.url);

    const relayed = new TokenWriter(entry.host, "main", room);
    await relayed.opened;
    relayed.write("relayed-before");
    await relayed.settled();
    expect(relayed.acknowledged).toEqual(["relayed-before"]);
    const writers = [new KeepWriting(entry.host, "main", room, "entry"), new KeepWriting(entry.host, "main", room, "entry2")];
    try {
      await until(() => writers.every((writer) => writer.acknowledged.length > 0), "the writers through the entry node to have acks");
      await owner.kill(signal);
      expect(await waitFor(relayed.closed, "the relayed client to be told")).toBe(code);
      const down = performance.now();
      await until(() => writers.every((writer) => writer.acknowledgedAfter(down)), "acks through the entry node while the owner is down");
      await owner.start();
      const back = performance.now();
      // The room stays where it is now (the entry node) while it has clients; new ones through the restarted node reach it.
      const throughOwner = new KeepWriting(owner.host, "main", room, "owner-back");
      writers.push(throughOwner);
      await until(() => writers.every((writer) => writer.acknowledgedAfter(back)), "acks from every writer once the owner is back");
    } finally {
      await Promise.all(writers.map((writer) => writer.stop()));
    }
    const acknowledged = ["on-owner", "relayed-before", ...writers.flatMap((writer) => writer.acknowledged)];
    const stored = await storedTokens(owner.host, { party: "main", room });
    expect(acknowledged.filter((token) => !stored.has(token))).toEqual([]);
    expect(cluster.nodes.map((node) => node.url)).toContain(await cluster.owner(`main/${room}`));
  });
}
