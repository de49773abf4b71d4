/** Chat channels with history and limits; presence to friends; notifications kept while offline; the REST API. */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, type TestServer } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { fetchMidUpload } from "../helpers/uploads.js";
import { api, gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

const befriend = async (server: TestServer, from: string, to: string) =>
  (await api(server, "/api/friends", from, { method: "POST", body: JSON.stringify({ player_id: to }) })).json();

describe("chat", () => {
  it("a joiner gets the channel's recent history; every member gets each message with sender_id and an ISO 8601 UTC sent_at", async () => {
    const server = await startGame({ matches: { plain }, limits: { chatHistory: 2 } });
    const [ada, bob] = await players(server, "ada", "bob");
    expect(await ada.request("chat.join", { channel_id: "lobby" })).toMatchObject({ type: "chat.join", payload: { channel_id: "lobby", history: [] } });
    for (const content of ["one", "two", "three"]) expect((await ada.request("chat.send", { channel_id: "lobby", content })).type).toBe("chat.send");
    const joined = await bob.request("chat.join", { channel_id: "lobby" });
    // chatHistory 2: the last two, oldest first.
    expect(joined.payload.history.map((m: { content: string }) => m.content)).toEqual(["two", "three"]);
    expect(joined.payload.history[0]).toMatchObject({ channel_id: "lobby", sender_id: "ada" });
    expect(joined.payload.history[0].sent_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    await bob.request("chat.send", { channel_id: "lobby", content: "Hello!" });
    for (const client of [ada, bob]) {
      const message = await client.expect("chat.message", (p) => p.content === "Hello!");
      expect(message.payload).toEqual({
        message_id: expect.any(String),
        channel_id: "lobby",
        sender_id: "bob",
        content: "Hello!",
        sent_at: expect.any(String),
      });
      expect(new Date(message.payload.sent_at).toISOString()).toBe(message.payload.sent_at);
    }
    // After leaving, no more messages; sending there is an error.
    expect(await bob.request("chat.leave", { channel_id: "lobby" })).toMatchObject({ type: "chat.leave", payload: { channel_id: "lobby" } });
    expect(await bob.request("chat.send", { channel_id: "lobby", content: "x" })).toMatchObject({
      type: "error",
      payload: { reason: expect.stringMatching(/not in channel "lobby"/) },
    });
  });

  it("refuses messages too long or too fast, with error and the cid", async () => {
    const server = await startGame({ matches: { plain }, limits: { maxChatLength: 10, chatMessagesPerWindow: 2, chatRateWindowMs: 60_000 } });
    const [ada] = await players(server, "ada");
    await ada.request("chat.join", { channel_id: "lobby" });
    expect(await ada.request("chat.send", { channel_id: "lobby", content: "x".repeat(11) })).toMatchObject({
      type: "error",
      payload: { reason: expect.stringMatching(/at most 10 characters/) },
    });
    await ada.request("chat.send", { channel_id: "lobby", content: "a" });
    await ada.request("chat.send", { channel_id: "lobby", content: "b" });
    expect(await ada.request("chat.send", { channel_id: "lobby", content: "c" })).toMatchObject({
      type: "error",
      payload: { reason: expect.stringMatching(/too many chat messages: at most 2 per 60 s/) },
    });
  });

  it("a message over the chat rate is an answer, not a bad frame: a chatty client is not closed 4400", async () => {
    const server = await startGame({ matches: { plain }, limits: { chatMessagesPerWindow: 2, chatRateWindowMs: 60_000, maxProtocolErrors: 5 } });
    const [ada] = await players(server, "ada");
    await ada.request("chat.join", { channel_id: "lobby" });
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push((await ada.request("chat.send", { channel_id: "lobby", content: `m${i}` })).type);
    expect(answers).toEqual([...Array(2).fill("chat.send"), ...Array(10).fill("error")]);
    expect(await ada.request("session.heartbeat")).toMatchObject({ type: "session.heartbeat" });
  });

  it("the chat rate is per player: reconnecting does not start it again", async () => {
    const server = await startGame({ matches: { plain }, limits: { chatMessagesPerWindow: 2, chatRateWindowMs: 60_000 } });
    const [first] = await players(server, "ada");
    await first.request("chat.join", { channel_id: "lobby" });
    for (const content of ["a", "b"]) expect((await first.request("chat.send", { channel_id: "lobby", content })).type).toBe("chat.send");
    // A new session after the socket closed (no match: the session ended), then a socket taking that one over.
    first.client.close();
    await first.client.closed;
    for (let i = 0; i < 2; i++) {
      const [again] = await players(server, "ada");
      await again.request("chat.join", { channel_id: "lobby" });
      expect(await again.request("chat.send", { channel_id: "lobby", content: "c" })).toMatchObject({
        type: "error",
        payload: { reason: "too many chat messages: at most 2 per 60 s" },
      });
    }
    // Another player has its own count.
    const [bob] = await players(server, "bob");
    await bob.request("chat.join", { channel_id: "lobby" });
    expect((await bob.request("chat.send", { channel_id: "lobby", content: "hi" })).type).toBe("chat.send");
  });

  it("keeps the history across a restart (room storage)", async () => {
    const server = await startGame({ matches: { plain }, server: { storage: "leveldb" } });
    const [ada] = await players(server, "ada");
    await ada.request("chat.join", { channel_id: "kept" });
    await ada.request("chat.send", { channel_id: "kept", content: "still here" });
    const restarted = await server.restart();
    const [bob] = await players(restarted, "bob");
    const joined = await bob.request("chat.join", { channel_id: "kept" });
    expect(joined.payload.history.map((m: { content: string }) => m.content)).toEqual(["still here"]);
  });
});

describe("friends, presence and notifications", () => {
  it("a flood of presence.update is answered each, and friends are told the latest status, not each one (each tell is a request to every friend's room)", async () => {
    const server = await startGame({ matches: { plain } });
    const [ada, bob] = await players(server, "ada", "bob");
    await befriend(server, "ada", "bob");
    await befriend(server, "bob", "ada");
    const FLOOD = 200;
    for (let i = 0; i < FLOOD; i++) ada.send("presence.update", { status: `s${i}` }, `p${i}`);
    for (let i = 0; i < FLOOD; i++) expect((await ada.until(`the answer to p${i}`, (m) => m.cid === `p${i}`)).type).toBe("presence.update");
    await bob.expect("presence.changed", (payload) => payload.status === `s${FLOOD - 1}`);
    const told = bob.received.filter((m) => m.type === "presence.changed" && m.payload.player_id === "ada");
    expect(told.length).toBeLessThan(FLOOD / 4);
    expect(told.at(-1)!.payload.status).toBe(`s${FLOOD - 1}`); // the latest is the last told
    expect(await (await api(server, "/api/friends", "bob")).json()).toEqual({ friends: [{ player_id: "ada", state: "friend", status: `s${FLOOD - 1}` }] });
  });

  it("adding a friend notifies the other live; adding back makes friends; presence changes reach friends only", async () => {
    const server = await startGame({ matches: { plain } });
    const [ada, bob, eve] = await players(server, "ada", "bob", "eve");
    expect(await befriend(server, "ada", "bob")).toEqual({ player_id: "bob", state: "invite_sent" });
    const request = await bob.expect("notification.new");
    expect(request.payload).toEqual({ id: expect.any(String), type: "friend_request", subject: "New friend request", content: { from_player_id: "ada" } });
    expect(await befriend(server, "bob", "ada")).toEqual({ player_id: "ada", state: "friend" });
    expect(await (await api(server, "/api/friends", "ada")).json()).toEqual({ friends: [{ player_id: "bob", state: "friend", status: "online" }] });
    await befriend(server, "eve", "ada"); // an invite only: eve is not ada's friend yet

    expect(await bob.request("presence.update", { status: "in_game", metadata: { match_id: "m1" } })).toMatchObject({
      type: "presence.update",
      payload: { status: "in_game" },
    });
    expect((await ada.expect("presence.changed")).payload).toEqual({ player_id: "bob", status: "in_game", metadata: { match_id: "m1" } });

    await bob.client.close();
    expect((await ada.expect("presence.changed")).payload).toEqual({ player_id: "bob", status: "offline" });
    expect(await (await api(server, "/api/friends", "ada")).json()).toEqual({
      friends: [
        { player_id: "bob", state: "friend", status: "offline" },
        { player_id: "eve", state: "invite_received" },
      ],
    });
    await players(server, "bob");
    expect((await ada.expect("presence.changed")).payload).toEqual({ player_id: "bob", status: "online" });
    // ada's own changes reach bob's new session, never eve (not a friend).
    await eve.client.close();
    expect(ada.received.filter((m) => m.type === "presence.changed" && m.payload.player_id === "eve")).toEqual([]);
  });

  it("a notification for a player who is away is delivered on the next connect, and again until it is read", async () => {
    const server = await startGame({ matches: { plain }, server: { storage: "leveldb" } });
    expect(await befriend(server, "ada", "bob")).toEqual({ player_id: "bob", state: "invite_sent" }); // bob never connected

    const bob = gameClient(server);
    await bob.connect("bob");
    const delivered = await bob.expect("notification.new");
    expect(delivered.payload).toMatchObject({ type: "friend_request", content: { from_player_id: "ada" } });
    const listed = (await (await api(server, "/api/notifications", "bob")).json()) as {
      notifications: Array<{ id: string; read: boolean; created_at: string }>;
    };
    expect(listed.notifications).toEqual([expect.objectContaining({ id: delivered.payload.id, read: false })]);
    await bob.client.close();

    // Not read yet: kept, across a restart too, and sent again.
    const restarted = await server.restart();
    const again = gameClient(restarted);
    await again.connect("bob");
    expect((await again.expect("notification.new")).payload.id).toBe(delivered.payload.id);
    const read = await api(restarted, `/api/notifications/${delivered.payload.id}/read`, "bob", { method: "POST" });
    expect(await read.json()).toEqual({ id: delivered.payload.id, read: true });
    expect((await api(restarted, "/api/notifications/nope/read", "bob", { method: "POST" })).status).toBe(404);
    await again.client.close();

    const third = gameClient(restarted);
    await third.connect("bob");
    await third.request("session.heartbeat"); // anything sent at connect came before this answer
    expect(third.received.filter((m) => m.type === "notification.new")).toEqual([]);
  });

  it("the REST API needs a Bearer token the verifier accepts (401), and answers bad calls with 400/404/405", async () => {
    const server = await startGame({ matches: { plain }, verifyToken: (token) => (token.startsWith("dev:") ? token.slice(4) : null) });
    const none = await api(server, "/api/friends", undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    expect((await fetch(`${server.url}/api/friends`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await api(server, "/api/friends", "ada", { method: "POST", body: "{" })).status).toBe(400);
    expect((await api(server, "/api/friends", "ada", { method: "POST", body: JSON.stringify({}) })).status).toBe(400);
    expect((await api(server, "/api/friends", "ada", { method: "POST", body: JSON.stringify({ player_id: "ada" }) })).status).toBe(400);
    const missing = await api(server, "/api/nothing", "ada");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "ERR_NOT_FOUND", message: "no such endpoint: /api/nothing" } });
    const deleted = await api(server, "/api/notifications", "ada", { method: "DELETE" });
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get("allow")).toBe("GET, HEAD");
  });

  it("the REST API takes the Bearer scheme in any case (RFC 9110: case-insensitive), and HEAD as GET without a body", async () => {
    const server = await startGame({ matches: { plain } });
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const answer = await fetch(`${server.url}/api/friends`, { headers: { authorization: `${scheme} dev:ada` } });
      expect(answer.status, scheme).toBe(200);
      expect(await answer.json()).toEqual({ friends: [] });
    }
    const head = await fetch(`${server.url}/api/notifications`, { method: "HEAD", headers: { authorization: "Bearer dev:ada" } });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await head.text()).toBe("");
    const unauthorized = await fetch(`${server.url}/api/notifications`, { method: "HEAD" });
    expect(unauthorized.status).toBe(401);
    // A malformed percent-escape in a notification id is the caller's mistake, not the server's (was 500).
    for (const id of ["%E0%A4%A", "%"]) {
      const malformed = await api(server, `/api/notifications/${id}/read`, "ada", { method: "POST" });
      expect(malformed.status, id).toBe(400);
      expect(await malformed.json()).toEqual({ error: { code: "ERR_BAD_REQUEST", message: "the notification id is not a valid percent-encoded string" } });
    }
    expect((await api(server, "/api/notifications/nope/read", "ada", { method: "POST" })).status).toBe(404);
    // The parties behind it are not reachable at their own URLs.
    expect((await fetch(`${server.url}/parties/game-player/ada/friends`)).status).toBe(404);
  });

  it("a REST body over maxRequestBytes is answered 413 as it comes in, a chunked one too, and the API goes on", async () => {
    const server = await startGame({ matches: { plain }, limits: { maxRequestBytes: 1024 } });
    const declared = await api(server, "/api/friends", "ada", { method: "POST", body: JSON.stringify({ player_id: "bob", pad: "x".repeat(2000) }) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: { code: "ERR_BODY_TOO_BIG", message: "The body is over 1024 bytes" } });
    // No Content-Length (chunked), 8 MiB still coming in when the answer comes: before, it was read whole (then 400).
    const chunked = await fetchMidUpload(`${server.url}/api/friends`, { bytes: 8 * 1024 * 1024, headers: { authorization: "Bearer dev:ada" } });
    expect(chunked).toMatchObject({ status: 413 });
    expect(await befriend(server, "ada", "bob")).toEqual({ player_id: "bob", state: "invite_sent" });
  });
  it("canJoinChannel decides who joins a channel (a promise too): a refusal is an error that does not count as a bad frame", async () => {
    let decide: ((ok: boolean) => void) | undefined;
    let asked: () => void = () => {};
    const askedSlow = new Promise<void>((resolve) => (asked = resolve));
    const server = await startGame({
      matches: { plain },
      limits: { maxProtocolErrors: 3 },
      canJoinChannel: (player, channel) => {
        if (channel.startsWith("dm:")) return Promise.resolve(channel.split(":").slice(1).includes(player));
        if (channel === "broken") throw new Error("the membership lookup failed");
        if (channel !== "slow") return true;
        asked();
        return new Promise<boolean>((resolve) => (decide = resolve));
      },
    });
    const [ada, bob, cy] = await players(server, "ada", "bob", "cy");
    expect(await ada.request("chat.join", { channel_id: "dm:ada:bob" })).toMatchObject({ type: "chat.join" });
    expect(await bob.request("chat.join", { channel_id: "dm:ada:bob" })).toMatchObject({ type: "chat.join" });
    expect(await cy.request("chat.join", { channel_id: "dm:ada:bob" })).toMatchObject({
      type: "error",
      payload: { reason: 'not allowed in channel "dm:ada:bob"' },
    });
    await ada.request("chat.send", { channel_id: "dm:ada:bob", content: "psst" });
    await bob.expect("chat.message", (p) => p.content === "psst");
    expect(await cy.request("chat.send", { channel_id: "dm:ada:bob", content: "let me in" })).toMatchObject({ type: "error" });
    // A throw is a no (and logged). cy gets three refusals and two bad frames (sends where it is no member), yet its
    // socket stays open: maxProtocolErrors (3) counts bad frames only.
    expect(await cy.request("chat.join", { channel_id: "broken" })).toMatchObject({ type: "error", payload: { reason: 'not allowed in channel "broken"' } });
    expect(server.logs.some((entry) => entry.event === "game.hook_failed" && entry.hook === "canJoinChannel")).toBe(true);
    // Left while the gate decides: the join is answered with an error and does not happen, whatever the gate says then.
    const join = cy.request("chat.join", { channel_id: "slow" });
    await askedSlow;
    expect(await cy.request("chat.leave", { channel_id: "slow" })).toMatchObject({ type: "chat.leave" });
    expect(await join).toMatchObject({ type: "error", payload: { reason: 'left channel "slow" before the join was decided' } });
    decide!(true);
    expect(await cy.request("chat.send", { channel_id: "slow", content: "hi" })).toMatchObject({ type: "error" });
    expect(await cy.request("chat.join", { channel_id: "lobby" })).toMatchObject({ type: "chat.join" });
    expect(cy.received.some((message) => message.type === "chat.message")).toBe(false); // never a member of the DM
  });
  it("a client that drops mid-upload is not logged as an internal error", async () => {
    const plain = defineMatch({ tickRate: 10, init: () => ({}) });
    const server = await startGame({ matches: { plain } });
    const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write('POST /api/friends HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev:ada\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"player_id":"b\r\n');
    socket.destroy(); // gone mid-body
    await server.logged("http.client_gone"); // told apart, at debug level
    expect((await fetch(`${server.url}/api/friends`, { headers: { authorization: "Bearer dev:ada" } })).status).toBe(200);
    // Before: route.failed ERR_INTERNAL "aborted" (rest.ts readAtMost rejects; http-handler.ts answerOther logs any
    // throw as a server fault): any client can write error-level entries at will by hanging up mid-body.
    expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
  });
});
