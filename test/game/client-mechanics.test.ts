/**
 * `yparty/game-client`'s own mechanics, against a scripted server: what the real server cannot be made to do on
 * purpose (leave a request unanswered, keep a socket open but go silent). The client against the real server is
 * test/game/client.test.ts.
 */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { apiUrlFor, connect, GameRequestError, type GameClient, type GameFrame } from "../../game-client/index.js";
import { socketsOpenedByFailedConnect } from "../helpers/failed-connect.js";
import { waitFor } from "../helpers/server.js";
import { foreignInputs } from "../helpers/browser-bundle.js";

/** A ws server on a free port that hands each parsed client frame to `script`, with a way to answer. */
interface Scripted {
  url: string;
  frames: GameFrame<string, any>[];
  sockets: WebSocket[];
  close(): Promise<void>;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scriptedServer(
  script: (frame: GameFrame<string, any>, reply: (type: string, payload: unknown) => void, ws: WebSocket) => void,
): Promise<Scripted> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const frames: GameFrame<string, any>[] = [];
  const sockets: WebSocket[] = [];
  wss.on("connection", (ws) => {
    sockets.push(ws);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as GameFrame<string, any>;
      frames.push(frame);
      script(frame, (type, payload) => ws.send(JSON.stringify({ ...(frame.cid === undefined ? {} : { cid: frame.cid }), type, payload })), ws);
    });
  });
  const server: Scripted = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    frames,
    sockets,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
  cleanups.push(server.close);
  return server;
}

/** Answers session.connect as the dev verifier does, and every other request with an empty ack. */
const answering = (frame: GameFrame<string, any>, reply: (type: string, payload: unknown) => void) => {
  if (frame.type === "session.connect") reply("session.connected", { player_id: String(frame.payload.token).replace(/^dev:/, "") });
  else if (frame.cid !== undefined) reply(frame.type, {});
};

async function open(url: string, options: Partial<Parameters<typeof connect>[1]> = {}): Promise<GameClient> {
  const client = await connect(url, { token: "dev:ada", WebSocket, backoff: { initialMs: 10, maxMs: 50 }, ...options });
  cleanups.push(() => client.close());
  return client;
}

/** A chat message of channel "lobby" from bob; its content tells it apart. */
function said(content: string) {
  return { channel_id: "lobby", sender_id: "bob", content, sent_at: `2026-01-01T00:00:0${content.slice(1)}.000Z` };
}

/** The contents of the chat.message events `client` emits, as they come. */
function heardIn(client: GameClient): string[] {
  const heard: string[] = [];
  client.on("chat.message", (message) => void heard.push(message.content));
  return heard;
}

async function rejection(promise: Promise<unknown>): Promise<GameRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GameRequestError);
  return error as GameRequestError;
}

describe("yparty/game-client mechanics", () => {
  it("correlates answers by cid: a result resolves, an error rejects as refused, silence rejects as timeout", async () => {
    const server = await scriptedServer((frame, reply) => {
      if (frame.type === "matchmaker.add") return reply("matchmaker.add", { ticket_id: "t-1" });
      if (frame.type === "vote.veto") return reply("error", { reason: "no veto tokens left" });
      if (frame.type === "chat.send") return; // never answered
      answering(frame, reply);
    });
    const client = await open(server.url, { requestTimeoutMs: 200 });
    expect(client.playerId).toBe("ada");
    expect(await client.matchmaker.add("arena", { skill: 1200 })).toBe("t-1");
    expect(server.frames.find((f) => f.type === "matchmaker.add")).toEqual({
      cid: expect.any(String),
      type: "matchmaker.add",
      payload: { mode: "arena", properties: { skill: 1200 } },
    });
    const refused = await rejection(client.vote.veto("v1"));
    expect([refused.kind, refused.message, refused.request]).toEqual(["refused", "no veto tokens left", "vote.veto"]);
    const timedOut = await rejection(client.chat.send("lobby", "hello?"));
    expect([timedOut.kind, timedOut.request]).toEqual(["timeout", "chat.send"]);
    // An error with no cid (e.g. for an input, which carries none) comes as an event.
    const unsolicited = client.next("error");
    server.sockets[0]!.send(JSON.stringify({ type: "error", payload: { reason: "unknown action" } }));
    expect(await unsolicited).toEqual({ reason: "unknown action" });
  });

  it("a refused token ends the client: closed, no reconnect, connect() rejects", async () => {
    const server = await scriptedServer((_frame, reply, ws) => {
      reply("error", { reason: "invalid token" });
      ws.close(4401, "Unauthorized");
    });
    const error = await rejection(connect(server.url, { token: "nope", WebSocket, backoff: { initialMs: 10, maxMs: 10 } }));
    expect(error.kind).toBe("disconnected");
    expect(error.message).toMatch(/invalid token|4401/);
    expect(server.frames.map((f) => f.type)).toEqual(["session.connect"]);
  });

  it("a silent server (socket open, no answer to heartbeats) is dropped; the client reconnects and rejoins its match and channel", async () => {
    let silent = false;
    const server = await scriptedServer((frame, reply) => {
      if (!silent) answering(frame, reply);
    });
    const client = await open(server.url, { heartbeatMs: 50, requestTimeoutMs: 150 });
    await client.match.join("m1");
    await client.chat.join("lobby");
    await client.presence.update("in_game", { match_id: "m1" });
    const reconnecting = client.next("status", { where: (e) => e.status === "reconnecting", timeoutMs: 2_000 });
    silent = true;
    await reconnecting;
    silent = false;
    await client.next("status", { where: (e) => e.status === "open", timeoutMs: 2_000 });
    expect(server.sockets.length).toBe(2);
    const onSecond = () => server.frames.slice(server.frames.findLastIndex((f) => f.type === "session.connect"));
    await waitFor(
      new Promise<void>((resolve) => {
        const check = () => (onSecond().length >= 4 ? resolve() : setTimeout(check, 10));
        check();
      }),
      "the rejoins",
    );
    expect(onSecond().map((f) => [f.type, f.payload])).toEqual(
      expect.arrayContaining([
        ["match.join", { match_id: "m1" }],
        ["chat.join", { channel_id: "lobby" }],
        ["presence.update", { status: "in_game", metadata: { match_id: "m1" } }],
      ]),
    );
  });

  it("after a reconnect, a rejoined channel's missed messages come first, then those that came live while the join was on its way, each once", async () => {
    let connections = 0;
    const server = await scriptedServer((frame, reply, ws) => {
      if (frame.type === "session.connect") connections++;
      if (frame.type !== "chat.join") return answering(frame, reply);
      if (connections === 1) return reply("chat.join", { history: [said("m1")] });
      // The rejoin: a message comes live before the join's answer, whose history also holds it.
      ws.send(JSON.stringify({ type: "chat.message", payload: said("m4") }));
      reply("chat.join", { history: ["m1", "m2", "m3", "m4"].map(said) });
      ws.send(JSON.stringify({ type: "chat.message", payload: said("m5") }));
    });
    const client = await open(server.url);
    const heard = heardIn(client);
    await client.chat.join("lobby");
    const m5 = client.next("chat.message", { where: (message) => message.content === "m5" });
    server.sockets[0]!.terminate();
    await m5;
    expect(heard).toEqual(["m2", "m3", "m4", "m5"]);
  });

  it("a rejoin that a second reconnect cuts off is no error: the next rejoin brings what was missed, in order, once", async () => {
    let connections = 0;
    const server = await scriptedServer((frame, reply, ws) => {
      if (frame.type === "session.connect") connections++;
      if (frame.type !== "chat.join") return answering(frame, reply);
      if (connections === 1) return reply("chat.join", { history: [said("m1")] });
      if (connections === 2) {
        ws.send(JSON.stringify({ type: "chat.message", payload: said("m3") })); // live, then cut before the answer
        return ws.terminate();
      }
      reply("chat.join", { history: ["m1", "m2", "m3", "m4"].map(said) });
    });
    const client = await open(server.url);
    const heard = heardIn(client);
    const errors: string[] = [];
    client.on("error", (event) => void errors.push(event.reason));
    await client.chat.join("lobby");
    const m4 = client.next("chat.message", { where: (message) => message.content === "m4" });
    server.sockets[0]!.terminate();
    await m4;
    expect(connections).toBe(3);
    expect(heard).toEqual(["m2", "m3", "m4"]);
    expect(errors).toEqual([]);
  });

  it("a first connection that fails rejects connect() and leaves nothing retrying", async () => {
    const { error, sockets } = await socketsOpenedByFailedConnect((url, WebSocket, backoff) => connect(url, { token: "dev:ada", WebSocket, backoff }), "/ws");
    expect(error).toBeInstanceOf(GameRequestError);
    expect((error as GameRequestError).kind).toBe("disconnected");
    expect(sockets).toBe(1);
  });

  it("requests while disconnected reject at once with kind disconnected; inputs report false", async () => {
    const server = await scriptedServer(answering);
    const client = await open(server.url, { reconnect: false });
    const closed = client.next("status", { where: (e) => e.status === "closed" });
    server.sockets[0]!.terminate();
    await closed;
    expect((await rejection(client.chat.join("lobby"))).kind).toBe("disconnected");
    expect(client.match.input({ action: "move", x: 1, y: 1 })).toBe(false);
  });

  it("finds the REST API next to the socket: same host, /api, https for wss", () => {
    expect(apiUrlFor("ws://127.0.0.1:1999/ws")).toBe("http://127.0.0.1:1999/api");
    expect(apiUrlFor("wss://game.example/custom/ws?x=1")).toBe("https://game.example/api");
  });

  it("bundles for the browser with no Node module", async () => {
    const { foreign, code } = await foreignInputs(
      "game-client/index.ts",
      /^(game-client\/|src\/game\/messages\.ts|rooms-client\/socket\.ts|provider\/backoff\.ts)/,
    );
    expect(foreign).toEqual([]);
    expect(code).not.toMatch(/\brequire\(|from ["']node:/);
  });
});
