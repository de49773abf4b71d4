/**
 * A rooms client on a slow link reading a large state snapshot is not cut by the heartbeat: the session's socket
 * paces the snapshot as a room connection paces a large message, so the server's ping reaches the client after one
 * fragment, not after the whole snapshot. Nor is it closed as too slow (4008) when the state changes meanwhile: the
 * snapshot's own bytes are not the client being slow.
 */
import { afterEach, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, type TestServer } from "../helpers/server.js";
import { throttlingProxy } from "../helpers/throttling-proxy.js";
import { Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

/** 24 MiB: through the proxy's 6.4 MB/s, at least 3.9 s of reading, past the heartbeat's 2.7 s. */
const STATE_BYTES = 24 * 1024 * 1024;
const big = defineRoomType<{ blob: string; inputs: number }>({
  onCreate() {
    this.state = { blob: "x".repeat(STATE_BYTES), inputs: 0 };
  },
  onInput() {
    this.state.inputs++;
  },
});

/** A rooms client whose socket goes through `proxy` (a slow link). */
const throughProxy = (server: TestServer, proxy: { port: number }) => rawClient({ ...server, wsUrl: (path: string) => `ws://127.0.0.1:${proxy.port}${path}` });

it("a client reading a 24 MiB snapshot through a slow link gets it whole and stays connected", async () => {
  // The client and the server share this process, and the pong goes through the proxy: 2.5 s for it to come back.
  const limits = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2_500 };
  const server = await startRooms({ big }, { server: { limits } });
  const proxy = await throttlingProxy(new URL(server.wsUrl("/")).port, 10);
  const client = throughProxy(server, proxy);
  await client.handshake({ token: "dev:a" });
  const started = performance.now();
  // The room's first join builds, checks and encodes 24 MiB before it answers: seconds on a loaded machine.
  await client.request("room.join_or_create", { room_type: "big", room: "b" }, 30_000);
  const cut = client.client.closed.then(({ code }) => `closed (${code}) while it read`);
  const snapshot = await Promise.race([client.expect("state.snapshot", undefined, 30_000), cut]);
  expect(typeof snapshot, String(snapshot)).toBe("object");
  expect(performance.now() - started, "read for longer than the heartbeat gives").toBeGreaterThan(limits.heartbeatIntervalMs + limits.heartbeatTimeoutMs);
  const listed = await Promise.race([client.request("room.list", { room_type: "big" }), cut]);
  expect(listed, "answered after the snapshot").toMatchObject({ ok: true });
  expect(server.logs.filter((entry) => entry.event === "connection.heartbeat_timeout")).toEqual([]);
  proxy.close();
  // Checked last: the mirror's checksum of 24 MiB holds this process (the server's too) for a while.
  const mirror = new Mirror();
  mirror.apply(snapshot as Exclude<typeof snapshot, string>);
  expect((mirror.state as { blob: string }).blob).toHaveLength(STATE_BYTES);
}, 60_000);

it("a client still reading a 24 MiB snapshot gets the change made meanwhile after it, and is not closed as too slow", async () => {
  const server = await startRooms({ big });
  const fast = rawClient(server);
  await fast.handshake({ token: "dev:fast" });
  await fast.request("room.join_or_create", { room_type: "big", room: "b" }, 30_000);
  await fast.expect("state.snapshot", undefined, 30_000);
  // The change comes while the slow client reads, with more than maxReliableBufferBytes (8 MiB) of the snapshot unsent.
  const proxy = await throttlingProxy(new URL(server.wsUrl("/")).port, 10);
  const slow = throughProxy(server, proxy);
  await slow.handshake({ token: "dev:slow" });
  const cut = slow.client.closed.then(({ code, reason }) => `closed (${code} ${reason})`);
  await slow.request("room.join_or_create", { room_type: "big", room: "b" }, 30_000);
  fast.send("room.message", { room: "b", type: "input", data: null });
  expect(typeof (await Promise.race([slow.expect("state.snapshot", undefined, 30_000), cut]))).toBe("object");
  const patch = await Promise.race([slow.expect("state.patch", undefined, 30_000), cut]);
  expect(patch).toMatchObject({ p: { room: "b", seq: 1, ops: [{ op: "replace", path: "/inputs", value: 1 }] } });
  proxy.close();
}, 60_000);
