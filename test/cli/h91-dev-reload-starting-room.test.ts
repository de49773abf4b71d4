/**
 * `yparty dev` reloading a room that is still starting: a client that sent a message and closed (1000) while the
 * room's onStart ran kept neither — the reload stopped the room before it started, its held frames and its close were
 * dropped with the connection, and neither instance got the message or the onClose. The connection, what it sent and
 * its close now go to the room's next instance (the new code), as a request waiting for the start does.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rawClient, frame } from "../helpers/raw-websocket.js";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

/** Records its connections' events, sends them to everyone and the record so far to "observer" when it joins. */
const party = (waitForever: boolean) => `
const WAIT_FOR_START = ${waitForever};
export default class {
  constructor(room) { this.room = room; this.events = []; }
  async onStart() { if (WAIT_FOR_START) await new Promise(() => {}); } // only the reload ends it
  record(event) { this.events.push(event); this.room.broadcast(event); }
  onConnect(conn) {
    if (conn.id === "observer") conn.send(JSON.stringify(this.events));
    else this.record("connect " + conn.id);
  }
  onMessage(message, sender) {
    this.record("message " + sender.id + " " + (typeof message === "string" ? message : new TextDecoder().decode(message)));
  }
  onClose(conn, code) { if (conn.id !== "observer") this.record("close " + conn.id + " " + code); }
}
`;

/** A masked close frame with code 1000 (mask 0). */
const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
/** A masked ping frame without payload: the server's pong says it read what came before it. */
const PING = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);
const HELLO = frame(new TextEncoder().encode("hello"));

/** The events the observer was sent: the record when it joined, then each as it came. */
function eventsOf(messages: string[]): string[] {
  return messages.flatMap((message) => (message.startsWith("[") ? (JSON.parse(message) as string[]) : [message]));
}

/** Edits the party so that it starts at once; resolves once the reload is done. */
async function reload(cli: Awaited<ReturnType<typeof serveIn>>["cli"], dir: string): Promise<{ done: Promise<unknown> }> {
  const mark = cli.stdout.length;
  await writeFile(path.join(dir, "src", "server.ts"), party(false));
  return { done: cli.waitFor(/dev\.reloaded/, 15_000, mark, "stdout") };
}

/** The room's events, once the next instance has recorded `last`. */
async function eventsUntil(url: string, last: string): Promise<string[]> {
  const observer = connectText(defer, wsUrl(url, "/parties/main/r?_pk=observer"));
  await observer.next((message) => eventsOf([message]).includes(last), 15_000);
  return eventsOf(observer.messages);
}

describe("yparty dev reload while a room starts", () => {
  it("hands a client's message and close, sent while the room started, to the next instance", async () => {
    const dir = await projectWith(defer, { "src/server.ts": party(true) });
    const { cli, url } = await serveIn(defer, "dev", dir, ["src/server.ts"]);
    const port = Number(new URL(url).port);

    // Upgraded (the room accepted it and is starting); the message and the close in one write, as a browser may.
    const client = await rawClient(port, "/parties/main/r?_pk=early");
    defer(() => client.socket.destroy());
    await client.write(Buffer.concat([HELLO, CLOSE_1000]));
    // The server answered the close: it read the message before it.
    expect(await within(client.closed, 10_000, "the server to answer the close")).toBe(1000);

    await (await reload(cli, dir)).done;
    expect(await eventsUntil(url, "close early 1000")).toEqual(["connect early", "message early hello", "close early 1000"]);
  });

  it("hands the message of a client still open to the next instance, which gets its close from the reload (1012)", async () => {
    const dir = await projectWith(defer, { "src/server.ts": party(true) });
    const { cli, url } = await serveIn(defer, "dev", dir, ["src/server.ts"]);
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=open");
    defer(() => client.socket.destroy());
    const ponged = new Promise<void>((resolve) => client.socket.on("data", (chunk: Buffer) => chunk.includes(0x8a) && resolve()));
    await client.write(Buffer.concat([HELLO, PING]));
    await within(ponged, 10_000, "the server's pong (it read the message before the ping)");

    const reloaded = await reload(cli, dir);
    // The reload closes it; a message the client sent before it read that close follows, then its answer (the code
    // echoed, as clients do).
    expect(await within(client.closed, 15_000, "the reload's close")).toBe(1012);
    await client.write(Buffer.concat([frame(new TextEncoder().encode("in flight")), Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xf4])]));
    await reloaded.done;
    expect(await eventsUntil(url, "close open 1012")).toEqual(["connect open", "message open hello", "message open in flight", "close open 1012"]);
  });

  it("delivers it when the client came back with the same id first (the old socket does not push the new one out)", async () => {
    const dir = await projectWith(defer, { "src/server.ts": party(true) });
    const { cli, url } = await serveIn(defer, "dev", dir, ["src/server.ts"]);
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=back");
    defer(() => client.socket.destroy());
    const ponged = new Promise<void>((resolve) => client.socket.on("data", (chunk: Buffer) => chunk.includes(0x8a) && resolve()));
    await client.write(Buffer.concat([HELLO, PING]));
    await within(ponged, 10_000, "the server's pong (it read the message before the ping)");

    const reloaded = await reload(cli, dir);
    expect(await within(client.closed, 15_000, "the reload's close")).toBe(1012);
    // Told of the restart, the client reconnects (as PartySocket does, same id) before its old socket finished closing.
    const back = connectText(defer, wsUrl(url, "/parties/main/r?_pk=back"));
    await within(back.opened, 10_000, "the reconnect");
    await client.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xf4]));
    await reloaded.done;

    const events = await eventsUntil(url, "close back 1012");
    expect(events.filter((event) => event === "message back hello")).toHaveLength(1);
    expect(events.filter((event) => event.startsWith("connect back"))).toHaveLength(2);
    // The client that came back is still in the room: it heard the old socket's close.
    await back.next((message) => message === "close back 1012");
    expect(back.socket.readyState).toBe(back.socket.OPEN);
  });
});
