/**
 * A request under way on a node that froze (SIGSTOP) past its lease while another node took the room: once resumed,
 * its write is refused (ERR_FENCED). The client is told to try again (503 ERR_ROOM_UNAVAILABLE, Retry-After), not
 * 500 ERR_INTERNAL, and its retry lands on the new owner.
 */
import WebSocket from "ws";
import { expect, test, vi } from "vitest";
import { waitFor } from "../helpers/server.js";
import { startCluster, useCluster, until, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("a write fenced inside onRequest answers 503 ERR_ROOM_UNAVAILABLE with Retry-After, and the retry is served by the new owner", async () => {
  const cluster = await startCluster(2);
  const [owner, next] = cluster.nodes as [ClusterNode, ClusterNode];
  const counter = (node: ClusterNode, init?: RequestInit) => fetch(`${node.url}/parties/counter/fenced`, init);
  expect((await counter(owner, { method: "POST", body: "{}" })).status).toBe(200);
  expect(await cluster.owner("counter/fenced")).toBe(owner.url);
  const socket = new WebSocket(`ws://${owner.host}/parties/counter/fenced`);
  socket.on("error", () => {});
  await waitFor(new Promise((resolve) => socket.once("open", resolve)), "the room's socket to open");
  const holding = new Promise((resolve) => socket.on("message", (data) => String(data) === "holding" && resolve(true)));

  // In onRequest, before its write; the node freezes there and another node takes the room meanwhile.
  const held = counter(owner, { method: "POST", body: JSON.stringify({ holdMs: 500 }) });
  await waitFor(holding, "the POST to be inside onRequest");
  await owner.kill("SIGSTOP");
  try {
    await until(async () => (await cluster.owner("counter/fenced")) !== owner.url, "the frozen owner's lease to run out");
    const taken = await counter(next, { method: "POST", body: "{}" });
    expect(taken.status).toBe(200);
    expect(await cluster.owner("counter/fenced")).toBe(next.url);
  } finally {
    await owner.kill("SIGCONT");
  }

  const answer = await waitFor(held, "the held POST's answer", 20_000);
  const body = (await answer.json()) as { error: { code: string; message: string } };
  console.log(
    owner.output
      .split("\n")
      .filter((l) => /fenced|failed/.test(l))
      .join("\n"),
  );
  expect({ status: answer.status, code: body.error.code }).toEqual({ status: 503, code: "ERR_ROOM_UNAVAILABLE" });
  expect(body.error.message).toMatch(/try again/);
  expect(answer.headers.get("retry-after")).not.toBeNull();
  // The retry goes to the new owner; the refused write was not stored.
  const retried = await counter(owner, { method: "POST", body: "{}" });
  expect(retried.status).toBe(200);
  expect(((await retried.json()) as { count: number }).count).toBe(3);
  socket.terminate();
});
