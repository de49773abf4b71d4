/**
 * A room claimed while its node's link to Redis is partitioned (the connection open, nothing back), on built-CLI nodes
 * (h118). Before, the claim waited for as long as the partition lasted, and so did the client: a socket never opened
 * nor closed, a GET or POST never answered, and a SIGTERM waited the whole shutdown timeout for them. Now the claim
 * is given up within the lease's validity: the socket is closed 1013 and HTTP answers 503 with Retry-After, saying
 * Redis did not answer; a SIGTERM gives it up at once.
 */
import { expect, test, vi } from "vitest";
import * as Y from "yjs";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { connect, pollUntil, waitFor } from "../helpers/server.js";
import { TOKEN, startCluster, until, useCluster, type ClusterNode } from "./cluster.js";
import { KeepWriting, TokenWriter } from "./writer.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

/** A POST of the update that adds `token` to the room's document (docs/yjs.md, the HTTP API). */
function postToken(node: ClusterNode, room: string, token: string): Promise<Response> {
  const doc = new Y.Doc();
  doc.getArray<string>("tokens").push([token]);
  return fetch(`${node.url}/parties/main/${room}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: Buffer.from(Y.encodeStateAsUpdate(doc)),
  });
}

test("rooms claimed while Redis does not answer: the socket is closed 1013 and GET/POST answer 503 with Retry-After within the lease's validity, a room already served goes on meanwhile; healed, the rooms are claimed and nothing acknowledged is lost", async () => {
  const ttlS = 5;
  const cluster = await startCluster(1, { leaseTtlS: ttlS });
  const [node] = cluster.nodes as [ClusterNode];
  const served = new TokenWriter(node.host, "main", "h118-served");
  await served.opened;
  served.write("before");
  await served.settled();

  node.redisLink.partition();
  const sentAt = performance.now();
  const socket = connect(`ws://${node.host}/parties/main/h118-socket`);
  let socketClosed = false;
  void socket.closed.then(() => (socketClosed = true));
  const get = fetch(`${node.url}/parties/main/h118-get`);
  const post = postToken(node, "h118-post", "posted");
  // The served room's lease is still valid (renewed at most TTL/3 ago): its writes are acknowledged while the claims wait.
  served.write("during");
  await served.settled();
  expect(served.acknowledged).toEqual(["before", "during"]);
  expect(socketClosed).toBe(false);

  const closed = await waitFor(socket.closed, "the socket to a room that cannot be claimed to close", ttlS * 1000 + 3_000);
  expect(closed.code).toBe(1013);
  expect(closed.reason).toMatch(/^Redis cannot be reached to claim main\/h118-socket: Redis did not answer the claim within \d+ ms; try again$/);
  for (const [room, answer] of [
    ["h118-get", await get],
    ["h118-post", await post],
  ] as const) {
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("ERR_ROOM_UNAVAILABLE");
    expect(error.message).toMatch(
      new RegExp(`^Redis cannot be reached to claim main/${room}: Redis (did not answer the claim within|has not answered a command sent) \\d+ ms`),
    );
  }
  // Within the lease's validity (0.9 TTL), a turn or two past it.
  expect(performance.now() - sentAt).toBeLessThan(ttlS * 900 + 1_000);
  expect(node.output).toContain('"event":"cluster.redis_silent"');

  node.redisLink.heal();
  // As a provider does: connects again until served.
  const writer = new KeepWriting(node.host, "main", "h118-socket", "after");
  await until(() => writer.acknowledged.length > 0, "a client of the room to be served once Redis answers");
  await writer.stop();
  expect(await cluster.owner("main/h118-socket")).toBe(node.url);
  expect(
    await pollUntil("the POST to be stored once Redis answers", async () => ((await postToken(node, "h118-post", "posted")).status === 200 ? true : undefined)),
  ).toBe(true);
  expect(await storedTokens(node.host, { party: "main", room: "h118-post" })).toEqual(new Set(["posted"]));
  // Whether the served room's lease ran out (its client closed 1013, the room claimed again) or the renewals held in
  // the partition confirmed it in time, every acknowledged write is there.
  served.close();
  const stored = await storedTokens(node.host, { party: "main", room: "h118-served" });
  expect(served.acknowledged.filter((token) => !stored.has(token))).toEqual([]);
});

test("a SIGTERM while a claim waits for a Redis that does not answer: the claim is given up at once (503, Retry-After), and the node exits 0 well before the claim's deadline", async () => {
  // A long lease, so that the claim's deadline (0.9 TTL) is far past what the shutdown may take.
  const ttlS = 10;
  const cluster = await startCluster(1, { leaseTtlS: ttlS });
  const [node] = cluster.nodes as [ClusterNode];
  node.redisLink.partition();
  const get = fetch(`${node.url}/parties/main/h118-term`);
  // The claim reached the partition.
  await waitFor(node.redisLink.whenHeld(1), "the claim to be sent into the partition");
  const child = node.process!.child;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const sentAt = performance.now();
  child.kill("SIGTERM");
  const answer = await waitFor(get, "the GET to be answered", 5_000);
  expect(answer.status).toBe(503);
  expect(answer.headers.get("retry-after")).toBe("1");
  expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("ERR_SHUTTING_DOWN");
  // Its leaving steps wait a second each at most for Redis (h114); the claim's deadline was 9 s away.
  expect(await waitFor(exited, "the node to exit after SIGTERM", 5_000)).toBe(0);
  process.stdout.write(`[cluster h118] exited ${Math.round(performance.now() - sentAt)} ms after SIGTERM with a claim waiting for Redis\n`);
  expect(node.output).not.toContain("ERR_SHUTDOWN_TIMEOUT");
  node.redisLink.heal();
});

test("a room served while Redis does not answer sets an alarm: its request is answered at once (the alarm's index in Redis is a hint, not waited for)", async () => {
  const ttlS = 5;
  const cluster = await startCluster(1, { leaseTtlS: ttlS });
  const [node] = cluster.nodes as [ClusterNode];
  const url = `${node.url}/parties/counter/h118-alarm`;
  expect((await fetch(url)).status).toBe(200);
  node.redisLink.partition();
  // Well within the lease's validity (it was renewed at most TTL/3 ago): the room is still this node's to serve.
  const answer = await waitFor(
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ alarmInMs: 60_000 }) }),
    "the request setting an alarm to be answered",
    ttlS * 300,
  );
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { alarm: number | null }).alarm).toBeGreaterThan(Date.now());
  node.redisLink.heal();
});

test("the admin API while Redis does not answer: a listing and a delete answer 503 with Retry-After, saying Redis did not answer, instead of waiting for as long as the partition lasts", async () => {
  const cluster = await startCluster(1);
  const [node] = cluster.nodes as [ClusterNode];
  const admin = (path: string, method = "GET") => fetch(`${node.url}/_yparty/${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
  expect((await admin("rooms")).status).toBe(200);
  node.redisLink.partition();
  for (const [path, method] of [
    ["rooms", "GET"],
    ["rooms/main/h118-deleted", "DELETE"],
  ] as const) {
    const answer = await waitFor(admin(path, method), `${method} /_yparty/${path} to be answered`, 3_000);
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("ERR_ROOM_UNAVAILABLE");
    expect(error.message).toMatch(/^Redis cannot be reached to .*: Redis (did not answer .* within|has not answered a command sent) \d+ ms/);
  }
  node.redisLink.heal();
  expect(await pollUntil("the listing to be answered again", async () => ((await admin("rooms")).status === 200 ? true : undefined))).toBe(true);
});
