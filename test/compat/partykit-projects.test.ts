/**
 * PartyKit-shaped projects, run unchanged under `yparty dev` by the clients their authors use: partysocket,
 * y-partykit's provider, plain WebSockets and fetch. Each project in ./projects is written the way PartyKit's
 * templates and examples write it (`partykit/server` and `y-partykit` imports, partykit.json), and copied to a
 * fresh folder before it runs, as a user's checkout would be.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import PartySocket from "partysocket";
import WebSocket from "ws";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveFixture, serveIn } from "../cli/helpers.js";
import { connectText, within, wsUrl } from "../cli/ws-client.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";

const projects = path.join(path.dirname(fileURLToPath(import.meta.url)), "projects");
const defer = deferredCleanups(afterEach);
afterEach(() => destroyProviders());

/** `yparty dev --port 0` on a fresh copy of one of ./projects. */
const dev = (project: string) => serveFixture(defer, "dev", project, [], projects);

/** A partysocket client, as PartyKit's templates make one, closed after the test. */
function partySocket(url: string, options: { room: string; party?: string; query?: Record<string, string> }) {
  const socket = new PartySocket({ host: new URL(url).host, WebSocket, ...options });
  defer(() => socket.close());
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  socket.addEventListener("message", (event) => {
    messages.push(String(event.data));
    for (const wake of waiters.splice(0)) wake();
  });
  /** Resolves with the first message (received so far or later) that `predicate` accepts. */
  const next = (predicate: (message: string) => boolean, what: string) =>
    within(
      new Promise<string>((resolve) => {
        const look = () => {
          const found = messages.find(predicate);
          if (found === undefined) waiters.push(look);
          else resolve(found);
        };
        look();
      }),
      10_000,
      what,
    );
  return { socket, messages, next };
}

describe("PartyKit projects, unchanged under yparty dev", () => {
  it("chat template: partysocket clients exchange messages, and a late joiner gets the stored history", async () => {
    const { url } = await dev("chat");
    const alice = partySocket(url, { room: "lobby" });
    const bob = partySocket(url, { room: "lobby" });
    await alice.next((m) => JSON.parse(m).type === "all", "alice's history");
    await bob.next((m) => JSON.parse(m).type === "all", "bob's history");
    alice.socket.send(JSON.stringify({ type: "add", id: "1", content: "hi bob", user: "alice", role: "user" }));
    const heard = JSON.parse(await bob.next((m) => JSON.parse(m).type === "add", "bob hears alice"));
    expect(heard).toMatchObject({ content: "hi bob", user: "alice" });

    const carol = partySocket(url, { room: "lobby" });
    const history = JSON.parse(await carol.next((m) => JSON.parse(m).type === "all", "carol's history"));
    expect(history.messages).toEqual([{ id: "1", content: "hi bob", user: "alice", role: "user" }]);
  });

  it("y-partykit editor with two parties: providers on the editor party sync, keep the text across a restart, and the main party counts them", async () => {
    const { url, cli, dir } = await dev("editor");
    const presence = partySocket(url, { room: "doc-1" });
    await presence.next((m) => m === "present:1", "the main party counts its own connection");

    const a = new Y.Doc();
    const b = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", url, "editor", "doc-1", a));
    await whenSynced(makeProvider("y-partykit", url, "editor", "doc-1", b));
    a.getText("content").insert(0, "written in one editor");
    await until(b, (d) => d.getText("content").toString() === "written in one editor", "the other editor");
    destroyProviders();

    await cli.stop("SIGTERM");
    const again = await serveIn(defer, "dev", dir);
    const c = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", again.url, "editor", "doc-1", c));
    await until(c, (d) => d.getText("content").toString() === "written in one editor", "the text after a restart");
  });

  it("legacy-API storage counter: concurrent increments over HTTP and WebSocket all count, and everyone hears each", async () => {
    const { url } = await dev("counter");
    const watcher = connectText(defer, wsUrl(url, "/parties/main/clicks"));
    await watcher.next((m) => m === "0");
    const posts: Response[] = [];
    for (const response of await Promise.all(Array.from({ length: 10 }, () => fetch(`${url}/parties/main/clicks`, { method: "POST" })))) posts.push(response);
    expect(posts.map((r) => r.status)).toEqual(Array(10).fill(200));
    watcher.socket.send("increment");
    await watcher.next((m) => m === "11");
    expect(await (await fetch(`${url}/parties/main/clicks`)).text()).toBe("11");
  });

  it("three parties through context.parties, with an alarm that reports to another party", async () => {
    const { url } = await dev("links");
    const audit = connectText(defer, wsUrl(url, "/parties/audit/log"));
    await audit.opened;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/parties/main/spring-sale`, { method: "POST" });
      expect(await res.json()).toEqual({ link: "spring-sale", hits: i + 1 });
    }
    expect(await (await fetch(`${url}/parties/main/spring-sale`)).json()).toEqual({ link: "spring-sale", hits: 3 });
    // The alarm is set 100 ms after the first hit: on a slow machine it may report 1 or 2 first, then re-armed by the
    // next hit, report again. Whatever the timing, the last report has all three.
    const report = await audit.next((m) => m.includes("spring-sale") && JSON.parse(m).hits === 3);
    expect(JSON.parse(report)).toEqual({ link: "spring-sale", hits: 3 });
  });

  it("sharding: onBeforeConnect hands the client's WebSocket to a shard room through a stub's fetch", async () => {
    const { url } = await dev("sharding");
    const first = connectText(defer, wsUrl(url, "/parties/main/lobby?user=alice"));
    const welcome = await first.next((m) => m.startsWith("welcome to "));
    const shard = welcome.slice("welcome to ".length);
    expect(shard).toMatch(/^shard-\d$/);

    const second = connectText(defer, wsUrl(url, "/parties/main/lobby?user=alice"));
    await second.next((m) => m === `welcome to ${shard}`);
    first.socket.send("hello from alice's first tab");
    await second.next((m) => m === `${shard}: hello from alice's first tab`);
    expect(await (await fetch(`${url}/parties/main/${shard}`)).text()).toBe(`${shard} has 2 connections`);
  });

  it("basic example: rooms, static assets, onFetch through lobby.assets, onSocket, the client's address and binary messages", async () => {
    const { url } = await dev("basic");
    // PARTYKIT_HOST names where the server listens, the port it got too (was 127.0.0.1:0 under --port 0).
    expect(await (await fetch(`${url}/host`)).text()).toBe(new URL(url).host);
    const index = await fetch(`${url}/`);
    expect(await index.text()).toContain("The basic example");
    const another = await fetch(`${url}/another`);
    expect(another.status).toBe(200);
    expect(await another.text()).toContain("Another page");
    const missing = await fetch(`${url}/nowhere`);
    expect({ status: missing.status, body: await missing.text() }).toEqual({ status: 404, body: "onFetch: /nowhere" });

    const room = connectText(defer, wsUrl(url, "/parties/main/hall"));
    await room.next((m) => m === "hello from hall, ip 127.0.0.1");
    await room.opened;
    room.socket.send(new Uint8Array([1, 2, 3]));
    await room.next((m) => m === "binary of 3 bytes");

    const outside = connectText(defer, wsUrl(url, "/some/socket"));
    await outside.opened;
    outside.socket.send("ping");
    await outside.next((m) => m === "onSocket echo: ping");
  });
});
