/**
 * The heartbeat beyond room sockets: a socket mounted at a path (`createServer({ sockets })`) is pinged and, once
 * silent, terminated with its path in the log, and the in-process connections it opened to rooms are left alone
 * (they have no network of their own; the socket they share answers for them).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const closedInRoom = deferred<string>();

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(`${this.room.id}:${String(message)}`);
  }
  onClose(conn: Party.Connection) {
    closedInRoom.resolve(conn.id);
  }
}

/** Each text frame `id|room|text` goes to `room` over an in-process connection with that id; replies come back. */
const relay: SocketHandler = (ws, _request, host) => {
  const links = new Map<string, ReturnType<typeof host.connect>>();
  ws.on("message", (data: Buffer) => {
    const [id, room, text] = data.toString().split("|") as [string, string, string];
    let link = links.get(room);
    if (!link) {
      link = host.connect("echo", room, id, { onMessage: (frame) => ws.send(String(frame)), onClose: () => {} });
      links.set(room, link);
    }
    link.send(text);
  });
  ws.on("close", () => {
    for (const link of links.values()) link.close();
  });
};

const pause = (client: ReturnType<typeof connect>) => (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();

describe("heartbeat of mounted sockets", () => {
  it("terminates a mounted socket that stops answering (its path logged, its rooms' connections closed) and keeps a live one", async () => {
    const { wsUrl, logs } = await startServer(
      { echo: Echo },
      { storage: "memory", sockets: { "/relay": relay }, limits: { heartbeatIntervalMs: 40, heartbeatTimeoutMs: 500 } },
    );
    const live = connect(wsUrl("/relay"));
    const dead = connect(wsUrl("/relay"));
    await Promise.all([live.opened, dead.opened]);
    live.send("live|a|hello");
    dead.send("dead|b|hello");
    expect(await live.next()).toBe("a:hello");
    expect(await dead.next()).toBe("b:hello");
    pause(dead);
    expect(await waitFor(closedInRoom.promise, "the silent socket's room connection to close")).toBe("dead");
    expect(logs.find((entry) => entry.code === "ERR_HEARTBEAT_TIMEOUT")).toMatchObject({ path: "/relay" });
    // Several more rounds: the live socket answers, and its in-process connection is not judged on its own.
    let pings = 0;
    await waitFor(new Promise<void>((resolve) => live.ws.on("ping", () => ++pings === 5 && resolve())), "5 pings");
    live.send("live|a|still here");
    expect(await live.next()).toBe("a:still here");
    expect(logs.filter((entry) => entry.code === "ERR_HEARTBEAT_TIMEOUT")).toHaveLength(1);
  });
});
