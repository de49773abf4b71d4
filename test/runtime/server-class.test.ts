import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { documentStorage } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** A chat-like party written exactly as for PartyKit. */
class Echo implements Party.Server {
  static starts = 0;
  constructor(readonly room: Party.Room) {}
  async onStart() {
    Echo.starts++;
  }
  onConnect(conn: Party.Connection, ctx: Party.ConnectionContext) {
    conn.send(`hello ${conn.id} from ${this.room.name}/${this.room.id} ua=${ctx.request.headers.get("x-test") ?? ""}`);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
    if (typeof message === "string") this.room.broadcast(`${sender.id}: ${message}`, [sender.id]);
    else sender.send(message);
  }
  async onRequest(req: Party.Request) {
    const url = new URL(req.url);
    const body = req.method === "POST" ? await req.text() : null;
    return Response.json(
      { method: req.method, path: url.pathname, query: url.search, body, room: this.room.id },
      {
        status: 201,
        headers: { "x-room": this.room.id, "set-cookie": "a=1" },
      },
    );
  }
}

describe("routing and the class API", () => {
  it("serves WebSocket and HTTP on /parties/{party}/{room} and /party/{room}", async () => {
    const { wsUrl, url } = await startServer({ main: Echo, echo: Echo });
    const a = connect(wsUrl("/parties/echo/lobby?_pk=alice"), { headers: { "x-test": "1" } });
    expect(await a.next()).toBe("hello alice from echo/lobby ua=1");
    const b = connect(wsUrl("/party/lobby?id=bob"));
    expect(await b.next()).toBe("hello bob from main/lobby ua=");

    const res = await fetch(`${url}/parties/echo/lobby/extra/path?x=1`, { method: "POST", body: "payload" });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-room")).toBe("lobby");
    expect(res.headers.get("set-cookie")).toBe("a=1");
    expect(await res.json()).toEqual({ method: "POST", path: "/parties/echo/lobby/extra/path", query: "?x=1", body: "payload", room: "lobby" });
  });

  it("keeps one room instance per party+room and broadcasts in it", async () => {
    const { wsUrl } = await startServer({ main: Echo });
    const a = connect(wsUrl("/parties/main/r1?_pk=a"));
    const b = connect(wsUrl("/parties/main/r1?_pk=b"));
    const other = connect(wsUrl("/parties/main/r2?_pk=c"));
    await Promise.all([a.next(), b.next(), other.next()]);
    a.send("hi");
    expect(await b.next()).toBe("a: hi");
    other.send("elsewhere");
    a.send("second");
    expect(await b.next()).toBe("a: second");
    expect(a.messages).toHaveLength(1);
  });

  it("delivers text as string and binary as ArrayBuffer, in order", async () => {
    const received: Array<string | number[]> = [];
    const done = deferred();
    class Recorder implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(message: string | ArrayBuffer | ArrayBufferView) {
        received.push(typeof message === "string" ? message : message instanceof ArrayBuffer ? [...new Uint8Array(message)] : "not an ArrayBuffer");
        if (received.length === 200) done.resolve();
      }
    }
    const { wsUrl } = await startServer({ main: Recorder });
    const client = connect(wsUrl("/party/x"));
    await client.opened;
    for (let i = 0; i < 100; i++) {
      client.send(`t${i}`);
      client.send(new Uint8Array([i, 255 - i]));
    }
    await waitFor(done.promise, "200 messages");
    expect(received.slice(0, 4)).toEqual(["t0", [0, 255], "t1", [1, 254]]);
    expect(received[198]).toBe("t99");
  });

  it("runs onStart once, shared by concurrent arrivals, before onConnect and onRequest; a failed start is retried", async () => {
    const events: string[] = [];
    let attempts = 0;
    const release = deferred();
    class Slow implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        attempts++;
        events.push(`start${attempts}`);
        if (attempts === 1) throw new Error("first start fails");
        await release.promise;
      }
      onConnect(conn: Party.Connection) {
        events.push(`connect ${conn.id}`);
        conn.send("welcome");
      }
      onRequest() {
        events.push("request");
        return new Response("ok");
      }
    }
    const { url, wsUrl, logs } = await startServer({ main: Slow });
    const failed = await fetch(`${url}/party/r`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("1"); // "try again", as every 503 of the runtime says when
    expect((await failed.json()).error.code).toBe("ERR_START_FAILED");
    expect(logs.some((e) => e.event === "room.start_failed" && e.code === "ERR_START_FAILED" && e.party === "main" && e.room === "r")).toBe(true);

    const one = connect(wsUrl("/party/r?_pk=one"));
    const two = connect(wsUrl("/party/r?_pk=two"));
    const request = fetch(`${url}/party/r`);
    await Promise.all([one.opened, two.opened]);
    release.resolve();
    expect(await one.next()).toBe("welcome");
    expect(await two.next()).toBe("welcome");
    expect(await (await request).text()).toBe("ok");
    expect(attempts).toBe(2);
    expect(events[0]).toBe("start1");
    expect(events[1]).toBe("start2");
    expect(events.slice(2).sort()).toEqual(["connect one", "connect two", "request"]);
  });

  it("calls onClose, and exposes connections, ids (given or generated), tags, state and attachments", async () => {
    const closed = deferred<string>();
    let room!: Party.Room;
    class Tagged implements Party.Server {
      constructor(readonly r: Party.Room) {
        room = r;
      }
      getConnectionTags(_conn: Party.Connection, ctx: Party.ConnectionContext) {
        return [new URL(ctx.request.url).searchParams.get("team") ?? "none"];
      }
      onConnect(conn: Party.Connection<{ n: number }>) {
        conn.setState({ n: 1 });
        conn.setState((prev) => ({ n: (prev?.n ?? 0) + 1 }));
        conn.serializeAttachment({ joined: "yes" });
        conn.send(JSON.stringify({ state: conn.state, attachment: conn.deserializeAttachment(), tags: conn.tags, uri: new URL(conn.uri).pathname }));
      }
      onMessage(_message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        const red = [...this.r.getConnections("red")].map((c) => c.id).sort();
        sender.send(JSON.stringify({ red, all: [...this.r.getConnections()].length, byId: this.r.getConnection("b")?.id ?? null }));
      }
      onClose(conn: Party.Connection) {
        closed.resolve(conn.id);
      }
    }
    const { wsUrl } = await startServer({ main: Tagged });
    const a = connect(wsUrl("/party/t?_pk=a&team=red"));
    const b = connect(wsUrl("/party/t?_pk=b&team=blue"));
    const c = connect(wsUrl("/party/t?_pk=c&team=red"));
    expect(JSON.parse((await a.next()) as string)).toEqual({ state: { n: 2 }, attachment: { joined: "yes" }, tags: ["a", "red"], uri: "/party/t" });
    await Promise.all([b.next(), c.next()]);
    a.send("who");
    expect(JSON.parse((await a.next()) as string)).toEqual({ red: ["a", "c"], all: 3, byId: "b" });
    expect(room.connections.size).toBe(3);
    await b.close();
    expect(await waitFor(closed.promise, "onClose")).toBe("b");
    expect(room.connections.has("b")).toBe(false);
    expect(room.internalID).toMatch(/^[0-9a-f]{64}$/);
    const anonymous = connect(wsUrl("/party/t?team=red"));
    const generated = JSON.parse((await anonymous.next()) as string).tags[0];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(room.getConnection(generated)?.id).toBe(generated);
    await anonymous.close();
  });

  it("tags a connection with its id alone when the party has no getConnectionTags, from onConnect to onClose", async () => {
    const closedWith = deferred<readonly string[]>();
    class Untagged implements Party.Server {
      constructor(readonly r: Party.Room) {}
      onConnect(conn: Party.Connection) {
        const found = [...this.r.getConnections(conn.id)].map((c) => c.id);
        conn.send(JSON.stringify({ tags: conn.tags, found, other: [...this.r.getConnections("red")].length, binaryType: conn.binaryType }));
      }
      onClose(conn: Party.Connection) {
        closedWith.resolve(conn.tags);
      }
    }
    const { wsUrl } = await startServer({ main: Untagged });
    const a = connect(wsUrl("/party/u?_pk=a"));
    expect(JSON.parse((await a.next()) as string)).toEqual({ tags: ["a"], found: ["a"], other: 0, binaryType: "arraybuffer" });
    const generated = connect(wsUrl("/party/u"));
    const { tags } = JSON.parse((await generated.next()) as string) as { tags: string[] };
    expect(tags).toHaveLength(1);
    expect(tags[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await a.close();
    expect(await waitFor(closedWith.promise, "onClose")).toEqual(["a"]);
    await generated.close();
  });

  it("gives each room storage on LevelDB that survives a restart, and a DocStore name", async () => {
    let docName = "";
    class Counter implements Party.Server {
      constructor(readonly room: Party.Room) {
        docName = documentStorage(room).name;
      }
      async onRequest(req: Party.Request) {
        const count = ((await this.room.storage.get<number>("count")) ?? 0) + (req.method === "POST" ? 1 : 0);
        await this.room.storage.put("count", count);
        const list = await this.room.storage.list({ prefix: "co" });
        return Response.json({ count, keys: [...list.keys()] });
      }
    }
    const first = await startServer({ counter: Counter });
    await fetch(`${first.url}/parties/counter/c1`, { method: "POST" });
    await fetch(`${first.url}/parties/counter/c1`, { method: "POST" });
    expect(docName).toBe("counter/c1");
    const second = await first.restart();
    const res = await fetch(`${second.url}/parties/counter/c1`);
    expect(await res.json()).toEqual({ count: 2, keys: ["count"] });
  });
});
