import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import ChatServer, { legacy } from "./fixtures/partykit-chat.js";
import { cleanupAll, connect, deferred, refusedUpgrade, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("PartyKit code with only the import path changed", () => {
  it("runs the PartyKit-style chat server: auth, tags, state, storage, broadcast, onFetch via lobby.parties", async () => {
    const first = await startServer({ main: ChatServer, legacy }, { vars: { GREETING: "hi" } });
    expect(await refusedUpgrade(first.wsUrl("/party/lobby"))).toEqual({ status: 401, body: "Unauthorized: who are you?" });

    const admin = connect(first.wsUrl("/party/lobby?name=admin&_pk=root"));
    expect(JSON.parse((await admin.next()) as string)).toEqual({ type: "count", count: 1 });
    const guest = connect(first.wsUrl("/party/lobby?name=guest&_pk=g1"));
    expect(JSON.parse((await guest.next()) as string)).toEqual({ type: "count", count: 2 });
    expect(JSON.parse((await admin.next()) as string)).toEqual({ type: "count", count: 2 });

    guest.send("hello all");
    expect(JSON.parse((await admin.next()) as string)).toEqual({ type: "chat", from: "guest@lobby", text: "hello all" });
    expect(await admin.next()).toBe("audit: g1");

    await fetch(`${first.url}/party/lobby`, { method: "POST", body: JSON.stringify({ text: "from http" }) });
    expect(JSON.parse((await guest.next()) as string)).toEqual({ type: "chat", from: "http", text: "from http" });
    expect(await (await fetch(`${first.url}/stats`)).text()).toBe('lobby says: {"messages":1,"env":"hi"}');

    const legacyClient = connect(first.wsUrl("/parties/legacy/x?_pk=old"));
    await legacyClient.opened;
    legacyClient.send("yo");
    expect(await legacyClient.next()).toBe("old says yo (GET)");

    // onStart reloads the stored messages after a restart.
    const second = await first.restart();
    expect(await (await fetch(`${second.url}/party/lobby`)).json()).toEqual({ messages: 1, env: "hi" });
  });
});

describe("static onSocket", () => {
  class Main implements Party.Server {
    constructor(readonly room: Party.Room) {}
    onConnect(conn: Party.Connection) {
      conn.send("a room");
    }
    static onSocket(socket: Party.FetchSocket, lobby: Party.FetchLobby) {
      socket.addEventListener("message", (event) => {
        const data: unknown = event.data;
        const path = new URL(socket.request.url).pathname;
        socket.send(typeof data === "string" ? `echo ${data} at ${path} for ${String(lobby.env.NAME)}` : `bytes ${(data as ArrayBuffer).byteLength}`);
      });
    }
  }

  it("serves WebSockets outside the parties with the request, text and binary frames, and closes them with 1001 with the server", async () => {
    const server = await startServer({ main: Main }, { storage: "memory", vars: { NAME: "yparty" } });
    const client = connect(server.wsUrl("/chat?x=1"));
    await client.opened;
    client.send("hi");
    expect(await client.next()).toBe("echo hi at /chat for yparty");
    client.send(new Uint8Array(3));
    expect(await client.next()).toBe("bytes 3");
    const room = connect(server.wsUrl("/party/r"));
    expect(await room.next()).toBe("a room"); // rooms are still rooms
    await server.stop();
    expect((await client.closed).code).toBe(1001);
  });

  it("is not there without an onSocket: 404, and a throwing onSocket closes the socket with 1011", async () => {
    class Plain implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {}
    }
    const plain = await startServer({ main: Plain }, { storage: "memory" });
    expect((await refusedUpgrade(plain.wsUrl("/chat"))).status).toBe(404);
    class Broken extends Main {
      static override onSocket(): void {
        throw new Error("no sockets today");
      }
    }
    const broken = await startServer({ main: Broken }, { storage: "memory" });
    const client = connect(broken.wsUrl("/chat"));
    expect((await client.closed).code).toBe(1011);
    expect(broken.logs).toContainEqual(expect.objectContaining({ event: "party.hook_failed", hook: "onSocket", code: "ERR_HOOK_FAILED" }));
  });

  it("keeps frames a client sends before onSocket listens (it may await something first)", async () => {
    const tokenChecked = deferred();
    class Late implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {}
      static async onSocket(socket: Party.FetchSocket) {
        if (new URL(socket.request.url).pathname === "/late") await tokenChecked.promise; // e.g. a token check
        socket.addEventListener("message", (event) => socket.send(`got ${String(event.data)}`));
      }
    }
    const { wsUrl } = await startServer({ main: Late }, { storage: "memory" });
    const late = connect(wsUrl("/late"));
    const other = connect(wsUrl("/other"));
    await Promise.all([late.opened, other.opened]);
    late.send("first");
    late.send("second");
    // A round trip sent after them: the server has had the late socket's frames in hand by its answer.
    other.send("ping");
    expect(await other.next()).toBe("got ping");
    tokenChecked.resolve();
    expect([await late.next(), await late.next()]).toEqual(["got first", "got second"]);
  });
});
