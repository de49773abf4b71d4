/**
 * `yparty/game-client` against the real game server (the example's arena on a server on a free port, real `ws`
 * sockets): a match played through the typed helpers, typed refusals, chat history, presence and notifications
 * through events and the REST calls, a reconnect within a match, and the heartbeat keeping an idle session.
 */
import { describe, expect, it } from "vitest";
import { connect, GameApi, GameRequestError, type GameClient, type GameConnectOptions } from "../../game-client/index.js";
import example, { type ArenaState } from "../../examples/game/game.js";
import type { TestServer } from "../helpers/server.js";
import { startGame } from "./helpers.js";
import { trackedClients } from "../helpers/tracked-websocket.js";

/** The sockets the clients open, so a test can cut one. */
const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<GameClient<ArenaState>>();

async function open(server: TestServer, player: string, options: Partial<GameConnectOptions> = {}): Promise<GameClient<ArenaState>> {
  const client = await connect<ArenaState>(server.wsUrl("/ws"), {
    token: `dev:${player}`,
    WebSocket: TrackedWebSocket,
    backoff: { initialMs: 20, maxMs: 100 },
    requestTimeoutMs: 5_000,
    ...options,
  });
  clients.push(client);
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<GameRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GameRequestError);
  return error as GameRequestError;
}

const VOTE = {
  action: "call_vote",
  options: [
    { id: "jungle", label: "Jungle" },
    { id: "volcano", label: "Volcano" },
  ],
  method: "plurality",
  window_ms: 600,
  visibility: "live",
};

/** Two players matched by mode arena and joined: the match id. */
async function matchOf(ada: GameClient<ArenaState>, alan: GameClient<ArenaState>): Promise<string> {
  const matched = [ada.next("matchmaker.matched"), alan.next("matchmaker.matched")];
  const started = [ada.next("match.started"), alan.next("match.started")];
  const tickets = [await ada.matchmaker.add("arena", { skill: 1200 }), await alan.matchmaker.add("arena", { skill: 1210 })];
  expect(tickets[0]).toEqual(expect.any(String));
  expect(tickets[1]).not.toBe(tickets[0]);
  const [forAda, forAlan] = await Promise.all(matched);
  expect(forAda!.match_id).toBe(forAlan!.match_id);
  expect([...forAda!.players].sort()).toEqual(["ada", "alan"]);
  expect(await ada.match.join(forAda!.match_id)).toEqual({ match_id: forAda!.match_id });
  await alan.match.join(forAda!.match_id);
  for (const message of await Promise.all(started)) expect([...message.players].sort()).toEqual(["ada", "alan"]);
  expect(ada.matchId).toBe(forAda!.match_id);
  return forAda!.match_id;
}

describe("yparty/game-client against the game server", () => {
  it("plays a match: matched, joined, inputs seen in match.state, a vetoed vote and a live vote's result, finished", async () => {
    const server = await startGame(example);
    const ada = await open(server, "ada");
    const alan = await open(server, "alan");
    expect([ada.playerId, alan.playerId, ada.status]).toEqual(["ada", "alan", "open"]);
    const matchId = await matchOf(ada, alan);

    const moved = alan.next("match.state", { where: (state) => state.players.ada?.x === 3 });
    expect(ada.match.input({ action: "move", x: 3, y: 4 })).toBe(true);
    expect((await moved).players).toEqual({ ada: { x: 3, y: 4 }, alan: { x: 0, y: 0 } });
    // A refused input (it carries no cid) comes as an error event.
    const refused = ada.next("error");
    ada.match.input({ action: "fly" });
    expect((await refused).reason).toMatch(/unknown action/);

    // A vote with veto: alan vetoes it; a second veto has no token left (a typed refusal).
    const vetoable = alan.next("match.vote_start");
    ada.match.input({ ...VOTE, window_ms: 5_000, veto_enabled: true });
    const first = await vetoable;
    expect(first).toMatchObject({ options: VOTE.options, method: "plurality", veto_enabled: true });
    const vetoed = ada.next("match.vote_vetoed");
    expect(await alan.vote.veto(first.vote_id)).toEqual({ vote_id: first.vote_id, veto_tokens_left: 0 });
    expect(await vetoed).toEqual({ vote_id: first.vote_id, vetoed_by: "alan" });
    const noToken = await refusal(alan.vote.veto(first.vote_id));
    expect([noToken.kind, noToken.request]).toEqual(["refused", "vote.veto"]);

    // A live vote: a tally after each cast, a recast replaces, the result when the window closes.
    const started = ada.next("match.vote_start");
    ada.match.input(VOTE);
    const { vote_id } = await started;
    const tallied = ada.next("match.vote_tally", { where: (tally) => tally.total_votes === 2 });
    const result = alan.next("match.vote_result", { timeoutMs: 5_000 });
    expect(await ada.vote.cast(vote_id, "volcano")).toEqual({ vote_id });
    await alan.vote.cast(vote_id, "volcano");
    await ada.vote.cast(vote_id, "jungle");
    expect((await tallied).tallies).toEqual({ jungle: 0, volcano: 2 });
    expect(await result).toMatchObject({ vote_id, winner: "jungle", counts: { jungle: 1, volcano: 1 }, total_votes: 2, turnout: 1 }); // a tie: the first listed
    const late = await refusal(ada.vote.cast(vote_id, "jungle"));
    expect(late.message).toMatch(/closed/);

    const finished = alan.next("match.finished");
    ada.match.input({ action: "finish" });
    expect(await finished).toEqual({ match_id: matchId, result: { winner: "ada" } });
    expect(alan.matchId).toBeUndefined();
  });

  it("chat: history on join, messages to every member, limits as typed refusals", async () => {
    const server = await startGame(example);
    const ada = await open(server, "ada");
    const alan = await open(server, "alan");
    expect(await ada.chat.join("lobby")).toEqual({ channel_id: "lobby", history: [] });
    const sent = await ada.chat.send("lobby", "hello");
    expect(sent.sent_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const { history } = await alan.chat.join("lobby");
    expect(history).toEqual([{ message_id: sent.message_id, channel_id: "lobby", sender_id: "ada", content: "hello", sent_at: sent.sent_at }]);
    const heard = ada.next("chat.message");
    await alan.chat.send("lobby", "hi ada");
    expect(await heard).toMatchObject({ channel_id: "lobby", sender_id: "alan", content: "hi ada" });
    const tooLong = await refusal(ada.chat.send("lobby", "x".repeat(1001)));
    expect([tooLong.kind, tooLong.message]).toEqual(["refused", expect.stringMatching(/1000 characters/)]);
    expect((await refusal(ada.chat.send("elsewhere", "?"))).message).toMatch(/chat.join first/);
  });

  it("friends through the REST calls, presence and notifications as events, read through the REST calls", async () => {
    const server = await startGame(example);
    const ada = await open(server, "ada");
    const alan = await open(server, "alan");
    const request = alan.next("notification.new");
    expect(await ada.api.friends.add("alan")).toEqual({ player_id: "alan", state: "invite_sent" });
    const notification = await request;
    expect(notification).toMatchObject({ type: "friend_request", content: { from_player_id: "ada" } });
    expect(await alan.api.friends.add("ada")).toEqual({ player_id: "ada", state: "friend" });
    expect(await ada.api.friends.list()).toEqual([{ player_id: "alan", state: "friend", status: "online" }]);

    const changed = alan.next("presence.changed", { where: (p) => p.status === "in_game" });
    expect(await ada.presence.update("in_game", { match_id: "none" })).toEqual({ status: "in_game" });
    expect(await changed).toMatchObject({ player_id: "ada", status: "in_game" });

    expect(await alan.api.notifications.read(notification.id)).toEqual({ id: notification.id, read: true });
    expect(await alan.api.notifications.list()).toMatchObject([{ id: notification.id, read: true }]);
    const missing = await refusal(alan.api.notifications.read("nope"));
    expect([missing.kind, missing.status]).toEqual(["refused", 404]);
    const unauthorized = await refusal(new GameApi(`${server.url}/api`, "not-a-dev-token").friends.list());
    expect([unauthorized.kind, unauthorized.status]).toEqual(["refused", 401]);
  });

  it("a refused token: connect() rejects and the client is closed for good", async () => {
    const server = await startGame(example);
    const error = await refusal(connect(server.wsUrl("/ws"), { token: "guest", WebSocket: TrackedWebSocket, backoff: { initialMs: 10, maxMs: 10 } }));
    expect(error.kind).toBe("disconnected");
    expect(sockets.length).toBe(1);
  });

  it("reconnects within a match: the client rejoins by itself and play goes on", async () => {
    const server = await startGame(example);
    const ada = await open(server, "ada");
    const alan = await open(server, "alan");
    await matchOf(ada, alan);
    await ada.chat.join("team");
    const reopened = ada.next("status", { where: (e) => e.status === "open" });
    sockets[0]!.terminate(); // ada's
    await reopened;
    // Rejoined: ada's inputs reach the match again, and her channel hears alan.
    const moved = alan.next("match.state", { where: (state) => state.players.ada?.x === 7 });
    await ada.next("match.state");
    ada.match.input({ action: "move", x: 7, y: 7 });
    expect((await moved).players.ada).toEqual({ x: 7, y: 7 });
    await alan.chat.join("team");
    const heard = ada.next("chat.message");
    await alan.chat.send("team", "welcome back");
    expect((await heard).content).toBe("welcome back");
  });

  it("after a reconnect, the chat messages sent while it was away come as chat.message events, once, and none heard before comes again", async () => {
    const server = await startGame(example);
    // A reconnect a second after the loss: alan's message goes out while ada is away.
    const ada = await open(server, "ada", { backoff: { initialMs: 1_000, maxMs: 1_000 } });
    const alan = await open(server, "alan");
    const heard: string[] = [];
    ada.on("chat.message", (message) => void heard.push(message.content));
    await ada.chat.join("team");
    await alan.chat.join("team");
    const one = ada.next("chat.message");
    await alan.chat.send("team", "one");
    await one;
    const away = ada.next("status", { where: (e) => e.status === "reconnecting" });
    sockets[0]!.terminate(); // ada's
    await away;
    await alan.chat.send("team", "two");
    const two = ada.next("chat.message", { where: (message) => message.content === "two" });
    await ada.next("status", { where: (e) => e.status === "open" });
    await two;
    const three = ada.next("chat.message", { where: (message) => message.content === "three" });
    await alan.chat.send("team", "three");
    await three;
    // A second reconnect with nothing new: nothing comes again.
    const awayAgain = ada.next("status", { where: (e) => e.status === "reconnecting" });
    sockets[2]!.terminate(); // ada's second socket (alan's is sockets[1])
    await awayAgain;
    await ada.next("status", { where: (e) => e.status === "open" });
    const four = ada.next("chat.message", { where: (message) => message.content === "four" });
    await alan.chat.send("team", "four");
    await four;
    expect(heard).toEqual(["one", "two", "three", "four"]);
  });

  it("heartbeats keep an idle session past the session timeout; without them the server closes it (4408) and the client reconnects", async () => {
    const server = await startGame({ ...example, limits: { sessionTimeoutMs: 1_000 } }); // ten heartbeats of ada's within it: room for a loaded machine
    const beating = await open(server, "ada", { heartbeatMs: 100 });
    const silent = await open(server, "alan", { heartbeatMs: 60_000 });
    const timedOut = silent.next("status", { where: (e) => e.status === "reconnecting" });
    expect((await timedOut).code).toBe(4408);
    await silent.next("status", { where: (e) => e.status === "open" });
    // ada's first socket is still the one: never closed by the server.
    expect(sockets[0]!.readyState).toBe(1); // OPEN;
    expect(beating.status).toBe("open");
  });
});
