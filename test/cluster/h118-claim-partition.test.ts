/**
 * A room claimed while its node's link to Redis is partitioned (the connection open, nothing back), on built-CLI nodes
 * (h118). Before, the claim waited for as long as the partition lasted, and so did the client: a socket never opened
 * nor closed, a GET or POST never answered, and a SIGTERM waited the whole shutdown timeout for them. Now the claim
 * is given up within the lease's validity: the socket is closed 1013 and HTTP answers 503 with Retry-After, saying
 * Redis did not answer; a SIGTERM gives it up at once.
 */
import { connect as tcpConnect } from "node:net";
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

test("a SIGTERM while a listing waits for a Redis that does not answer: answered 503 ERR_SHUTTING_DOWN, not as Redis's fault", async () => {
  const cluster = await startCluster(1, { leaseTtlS: 10 });
  const [node] = cluster.nodes as [ClusterNode];
  node.redisLink.partition();
  const listing = fetch(`${node.url}/_yparty/rooms`, { headers: { authorization: `Bearer ${TOKEN}` } });
  await waitFor(node.redisLink.whenHeld(1), "the listing's reads to be sent into the partition");
  node.process!.child.kill("SIGTERM");
  const answer = await waitFor(listing, "the listing to be answered", 5_000);
  expect(answer.status).toBe(503);
  // Before: ERR_ROOM_UNAVAILABLE "Redis cannot be reached to list the cluster's rooms: this node is leaving the cluster".
  expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("ERR_SHUTTING_DOWN");
  node.redisLink.heal();
});

/**
 * A raw connection to `node` kept alive after a first request: an upgrade written on it later is read as soon as the
 * node runs (one on a new connection is read a turn after its accept). `upgrade` then resolves with the server's
 * close frame, and `answerClose` sends the client's and resolves once the server ended the connection.
 */
async function keptAliveConnection(node: ClusterNode) {
  const socket = tcpConnect(node.port, "127.0.0.1");
  socket.on("error", () => {});
  let received = Buffer.alloc(0);
  let wake = () => {};
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const until = <T>(parse: () => T | undefined, what: string): Promise<T> =>
    waitFor(
      new Promise<T>((resolve) => {
        const check = () => {
          const found = parse();
          if (found === undefined) wake = check;
          else resolve(found);
        };
        check();
      }),
      what,
      10_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; received: ${JSON.stringify(received.toString("latin1"))}`);
    });
  socket.write("GET /h118-nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  // A 404, its body chunked: complete with its last chunk.
  await until(() => (received.toString("latin1").endsWith("\r\n0\r\n\r\n") ? true : undefined), "the first answer on the connection");
  received = Buffer.alloc(0);
  return {
    upgrade(path: string): Promise<{ status: string; code: number; reason: string }> {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      return until(() => {
        const head = received.indexOf("\r\n\r\n");
        const close = received.subarray(head + 4);
        // A close frame of fewer than 126 bytes, unmasked: 0x88, length, code, reason.
        if (head < 0 || close.length < 2 || close.length < 2 + close[1]!) return undefined;
        const status = received.subarray(0, 12).toString("latin1");
        return { status, code: close.readUInt16BE(2), reason: close.subarray(4, 2 + close[1]!).toString("utf8") };
      }, `the answer to the upgrade of ${path}`);
    },
    async answerClose(code: number): Promise<void> {
      const frame = Buffer.from([0x88, 0x82, 0, 0, 0, 0, code >> 8, code & 0xff]); // masked with a zero mask
      socket.write(frame);
      await ended;
    },
  };
}

test("a socket that reaches a live room just after its lease ran out, while Redis does not answer: closed 1013 saying so, and its close handshake read at once", async () => {
  const cluster = await startCluster(1);
  const [node] = cluster.nodes as [ClusterNode];
  const served = new TokenWriter(node.host, "main", "h118-expired");
  await served.opened;
  const connection = await keptAliveConnection(node);
  node.redisLink.partition();
  // Frozen while idle: on resumption the upgrade is read before the lease's expiry is judged (after the I/O), so it
  // finds the room live, its lease past its validity, and waits for the room's claim, which Redis does not answer.
  await node.kill("SIGSTOP");
  let answer: ReturnType<typeof connection.upgrade>;
  try {
    answer = connection.upgrade("/parties/main/h118-expired");
    await until(async () => (await cluster.owner("main/h118-expired")) === undefined, "the lease to run out in Redis");
  } finally {
    await node.kill("SIGCONT");
  }
  const { status, code, reason } = await answer!;
  // Before: 1011 with no reason (taken for an internal error).
  expect({ status, code }).toEqual({ status: "HTTP/1.1 101", code: 1013 });
  expect(reason).toMatch(/^Redis cannot be reached to claim main\/h118-expired: Redis did not answer the claim within \d+ ms; try again$/);
  // Before: the socket, paused while it waited for its room, never read the client's close: the server ended the
  // connection only at ws's close timeout (30 s), and a client's close event waited as long.
  await waitFor(connection.answerClose(code), "the server to end the connection once the close handshake is done", 3_000);
  expect(await waitFor(served.closed, "the served client to be closed as the lease ran out")).toBe(1013);
  node.redisLink.heal();
});
