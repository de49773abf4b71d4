/**
 * Adversarial reload checks (helper 50). `server.reload(parties)` (`yparty dev` on a code change) closes the rooms'
 * connections with 1012; the game socket stays open, and a session takes its match seat again by itself (docs/game.md
 * and test/game/example.test.ts). Its other rooms must come back too, or the open socket silently stops working as
 * documented: "a player is online while one of its sockets is connected", unread notifications are "delivered
 * live", "every request is answered", and chat membership "lives while the socket is attached".
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { chatSendAnswers, inStartedArena, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

async function gameServer(): Promise<TestServer> {
  const game = createGame(example);
  return startServer(game.parties, { storage: "memory", sockets: game.sockets, routes: game.routes });
}

const reload = (server: TestServer) => server.server.reload(createGame(example).parties);

async function api(server: TestServer, player: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${server.url}/api${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer dev:${player}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json();
}

describe("after a reload, a session whose socket stayed open", () => {
  it("is still online to its friends, and its presence.update is answered", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada", "bob");
    await api(server, "ada", "/friends", { player_id: "bob" });
    await api(server, "bob", "/friends", { player_id: "ada" });
    await reload(server);
    expect(ada.client.ws.readyState).toBe(ada.client.ws.OPEN);
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "online" }] });
    ada.send("presence.update", { status: "busy" }, "presence");
    expect(await ada.until("an answer to presence.update", (message) => message.cid === "presence", 2_000)).toMatchObject({
      type: "presence.update",
      payload: { status: "busy" },
    });
  });

  it("gets a new notification live", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada");
    await reload(server);
    await api(server, "cy", "/friends", { player_id: "ada" });
    expect((await ada.expect("notification.new", undefined, 2_000)).payload).toMatchObject({ type: "friend_request", content: { from_player_id: "cy" } });
  });

  it("is not sent the unread notifications it was sent before the reload again (helper 55): each reaches a session once", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada");
    await api(server, "cy", "/friends", { player_id: "ada" });
    await ada.expect("notification.new", (payload) => payload.content.from_player_id === "cy");
    await reload(server);
    await api(server, "dan", "/friends", { player_id: "ada" });
    // The next notification ada gets is dan's: the player room, started again, sent its unread ones (cy's) to the
    // session's new link, and the session had passed them on to the client again.
    expect((await ada.expect("notification.new", undefined, 2_000)).payload.content).toEqual({ from_player_id: "dan" });
    // A new session of the player is sent every unread one, as before.
    const [again] = await players(server, "ada");
    const unread = [await again!.expect("notification.new"), await again!.expect("notification.new")];
    expect(unread.map((message) => message.payload.content.from_player_id).sort()).toEqual(["cy", "dan"]);
  });

  it("is still in its chat channels (or is told it is not): a message of another member reaches it", async () => {
    const server = await gameServer();
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("chat.join", { channel_id: "lobby" });
    await bob.request("chat.join", { channel_id: "lobby" });
    await reload(server);
    expect(await bob.request("chat.send", { channel_id: "lobby", content: "after the reload" })).toMatchObject({ type: "chat.send" });
    expect((await ada.expect("chat.message", undefined, 2_000)).payload).toMatchObject({ sender_id: "bob", content: "after the reload" });
  });

  it("keeps its matchmaker ticket waiting (tickets live while the socket is attached): a second player's ticket matches it", async () => {
    const server = await gameServer();
    const [ada, bob] = await players(server, "ada", "bob");
    const ticket = await ada.request("matchmaker.add", { mode: "arena", properties: {} });
    await reload(server);
    await bob.request("matchmaker.add", { mode: "arena", properties: {} });
    expect((await ada.expect("matchmaker.matched", undefined, 2_000)).payload).toMatchObject({ ticket_id: ticket.payload.ticket_id });
  });
});

describe("reload with two friends online", () => {
  it("does not stall for shutdownTimeoutMs (each player room's onClose waits on a fetch to the other, which is unloading too)", async () => {
    const server = await gameServer();
    await players(server, "ada", "bob");
    await api(server, "ada", "/friends", { player_id: "bob" });
    await api(server, "bob", "/friends", { player_id: "ada" });
    const started = Date.now();
    await reload(server);
    expect(Date.now() - started).toBeLessThan(2_000); // shutdownTimeoutMs is 5 000; a reload with nobody's friends online takes ~1 ms
  });
});

// Helper 55, on the fixes of the first round.
describe("a refused presence.update, then a reload", () => {
  it("the player's status after the reload is the last one applied (busy), not the refused one's fallback", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada", "bob");
    await api(server, "ada", "/friends", { player_id: "bob" });
    await api(server, "bob", "/friends", { player_id: "ada" });
    expect(await ada.request("presence.update", { status: "busy" })).toMatchObject({ type: "presence.update", payload: { status: "busy" } });
    expect(await ada.request("presence.update", { status: "offline" })).toMatchObject({ type: "error" }); // refused: still busy
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "busy" }] });
    await reload(server);
    await ada.request("session.heartbeat");
    // The quiet re-announce went to the new room before this request: its answer comes after it.
    expect(await ada.request("presence.update", { status: "" })).toMatchObject({ type: "error" });
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "busy" }] });
  });
});

describe("a reload whose code no longer has a mode (yparty dev: the mode was removed)", () => {
  it("matchmaker.add of that mode is answered error (as match.join of a removed match is), not an uncaught ERR_UNKNOWN_PARTY", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada");
    await server.server.reload(createGame({ ...example, modes: {} }).parties);
    ada.send("matchmaker.add", { mode: "arena", properties: {} }, "add");
    const added = await ada.until("an answer to matchmaker.add", (message) => message.cid === "add", 2_000);
    expect(added.type).toBe("error");
    expect(await ada.request("session.heartbeat")).toMatchObject({ type: "session.heartbeat" });
  });
});

describe("a waiting ticket, then a reload whose code no longer has its mode", () => {
  it("the ticket is gone: the client is told, or at least its matchmaker.remove is not answered as if it waited", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada");
    const ticket = await ada.request("matchmaker.add", { mode: "arena", properties: {} });
    await server.server.reload(createGame({ ...example, modes: {} }).parties);
    const removed = await ada.request("matchmaker.remove", { ticket_id: ticket.payload.ticket_id });
    const told = ada.received.some((message) => message.type === "error" && message.cid === undefined);
    expect({ told, removed: removed.type }).not.toEqual({ told: false, removed: "matchmaker.remove" });
  });
});

describe("a vote.cast in flight when the server reloads", () => {
  it("is answered (vote.cast, or error: send it again), not left without an answer", async () => {
    const server = await startGame({ ...example, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await inStartedArena([ada!, bob!]);
    const options = [
      { id: "jungle", label: "Jungle Path" },
      { id: "volcano", label: "Volcano Path" },
    ];
    ada!.send("match.input", { action: "call_vote", options, method: "plurality", window_ms: 5_000, visibility: "live", veto_enabled: false });
    const voteId = (await bob!.expect("match.vote_start")).payload.vote_id as string;
    bob!.send("vote.cast", { vote_id: voteId, option_id: "jungle" }, "cast");
    await bob!.request("session.heartbeat"); // the cast reached the match room (the session passed it on first)
    await server.server.reload(createGame(example).parties);
    const answer = await bob!.until("an answer to the vote.cast", (message) => message.cid === "cast", 3_000);
    expect(["vote.cast", "error"]).toContain(answer.type);
  });
});

describe("chat.send in flight when the server reloads (helper 55)", () => {
  it("each is answered as it ended: chat.send when it is in the channel's history (once), error when it is not", async () => {
    const SENDS = 40;
    const server = await startGame({
      ...example,
      limits: { chatMessagesPerWindow: SENDS },
      server: { storage: "leveldb" },
    });
    const [ada] = await players(server, "ada");
    await ada!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `m${i}` }, `send-${i}`);
    // The reload comes while the channel stores them one after another.
    await ada!.expect("chat.message");
    await server.server.reload(createGame({ ...example, limits: { chatMessagesPerWindow: SENDS } }).parties);
    const { ok: answeredOk, error: answeredError } = await chatSendAnswers(ada!, SENDS);
    const [cy] = await players(server, "cy");
    const history = (await cy!.request("chat.join", { channel_id: "lobby" })).payload.history as Array<{ content: string }>;
    const stored = history.map((message) => message.content);
    expect(new Set(stored).size).toBe(stored.length); // none twice
    expect(answeredOk.length + answeredError.length).toBe(SENDS);
    // A message answered error was not sent: the client sends it again, so it must not be in the channel already.
    expect(answeredError.filter((content) => stored.includes(content))).toEqual([]);
    expect(answeredOk.filter((content) => !stored.includes(content))).toEqual([]);
    // The sender, a member, hears each message it sent once.
    const heard = ada!.received.filter((message) => message.type === "chat.message").map((message) => message.payload.content as string);
    expect(new Set(heard).size).toBe(heard.length);
    expect(heard.sort()).toEqual(answeredOk.sort());
  });
});
