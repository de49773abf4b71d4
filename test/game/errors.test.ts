/**
 * Bad input on the game socket: each answered with `error {reason}` carrying the frame's cid, the socket staying
 * usable, until too many close it (4400). And the session's own rules: a refused token (4401), the session
 * timeout (4408), a second socket of the same player taking over (4009).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, waitFor } from "../helpers/server.js";
import example from "../../examples/game/game.js";
import { gameClient, players, startGame, type GameClient } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

async function refused(client: GameClient, type: string, payload: Record<string, unknown>, reason: RegExp): Promise<void> {
  const answer = await client.request(type, payload);
  expect(answer, `${type} ${JSON.stringify(payload)}`).toEqual({
    cid: expect.any(String),
    type: "error",
    payload: { code: expect.any(Number), reason: expect.stringMatching(reason) },
  });
}

describe("bad input", () => {
  it("before session.connect: anything else is an error with its cid, and the socket can still connect", async () => {
    const server = await startGame(example);
    const client = gameClient(server);
    await refused(client, "match.join", { match_id: "x.arena" }, /send session.connect \{token\} first \(got "match.join"\)/);
    await refused(client, "session.connect", {}, /payload.token must be a non-empty string/);
    client.client.send("{nope");
    expect((await client.expect("error")).payload.reason).toBe("the frame is not valid JSON");
    expect(await client.connect("ada")).toEqual({ player_id: "ada" });
  });

  it("a refused token: error with the cid, then close 4401", async () => {
    const server = await startGame(example);
    const client = gameClient(server);
    await refused(client, "session.connect", { token: "not-a-dev-token" }, /the token was refused/);
    expect((await client.client.closed).code).toBe(4401);
  });

  it("after connect: unknown types, malformed JSON, wrong envelopes and payloads, each answered with the cid", async () => {
    const server = await startGame(example);
    const [ada] = await players(server, "ada");
    await refused(ada, "match.teleport", {}, /unknown message type "match.teleport"/);
    await refused(ada, "session.connect", { token: "dev:ada" }, /already connected as "ada"/);
    ada.client.send("[1, 2]");
    expect((await ada.expect("error")).payload.reason).toMatch(/a frame is a JSON object/);
    ada.client.send(JSON.stringify({ cid: "p1", type: "chat.join", payload: "lobby" }));
    expect(await ada.expect("error", (_p, m) => m.cid === "p1")).toEqual({
      cid: "p1",
      type: "error",
      payload: { code: 3, reason: "payload must be an object" },
    });
    await refused(ada, "match.join", {}, /payload.match_id must be a match id/);
    await refused(ada, "match.join", { match_id: "abc.nomatch" }, /no match "abc.nomatch"/);
    await refused(ada, "match.leave", {}, /not in a match/);
    await refused(ada, "match.input", { action: "move" }, /not in a match/);
    await refused(ada, "matchmaker.add", { mode: "ranked" }, /payload.mode must be one of: arena/);
    await refused(
      ada,
      "matchmaker.add",
      { mode: "arena", properties: { skill: { deep: 1 } } },
      /properties.skill must be a string, a finite number or a boolean/,
    );
    await refused(ada, "matchmaker.remove", { ticket_id: "t" }, /no ticket "t"/);
    await refused(ada, "chat.join", { channel_id: "" }, /payload.channel_id must be a channel id/);
    await refused(ada, "chat.send", { channel_id: "lobby", content: "hi" }, /not in channel "lobby"/);
    await refused(ada, "presence.update", { status: "offline" }, /payload.status must be/);
    await refused(ada, "vote.cast", { vote_id: "v1", option_id: "jungle" }, /not in a match/);
    // The socket is still usable.
    expect((await ada.request("session.heartbeat")).type).toBe("session.heartbeat");
  });

  it("in a match: bad inputs, wrong ballots, votes after the window, a second veto, each an error with the cid", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("match.join", { match_id: "m1.arena" });
    await bob.request("match.join", { match_id: "m1.arena" });
    await refused(ada, "match.join", { match_id: "m2.arena" }, /in match "m1.arena" already: leave it first/);
    await refused(ada, "match.input", { action: "move", x: "left" }, /move needs \{x, y\}/);
    await refused(ada, "match.input", { action: "dance" }, /unknown action "dance"/);
    await refused(ada, "match.input", { action: "call_vote", options: [{ id: "a", label: "A" }], window_ms: 100 }, /vote: options must be a list of 2/);

    ada.send("match.input", { action: "call_vote", options: OPTIONS, method: "plurality", window_ms: 150, visibility: "live", veto_enabled: true });
    const short = (await bob.expect("match.vote_start")).payload.vote_id as string;
    await refused(bob, "vote.cast", { vote_id: short, option_id: "lava" }, /"lava" is not an option/);
    await refused(bob, "vote.cast", { vote_id: short, option_id: ["jungle", "volcano"] }, /option_id must be an option id \(method plurality\)/);
    await refused(bob, "vote.cast", { vote_id: "v99", option_id: "jungle" }, /no vote "v99"/);
    await bob.expect("match.vote_result", (p) => p.vote_id === short);
    await refused(bob, "vote.cast", { vote_id: short, option_id: "jungle" }, /vote "v1" is closed/);
    await refused(bob, "vote.veto", { vote_id: short }, /is closed/);

    ada.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 5000, veto_enabled: true });
    const first = (await bob.expect("match.vote_start", (p) => p.vote_id !== short)).payload.vote_id as string;
    expect((await bob.request("vote.veto", { vote_id: first })).payload).toEqual({ vote_id: first, veto_tokens_left: 0 });
    await refused(ada, "vote.veto", { vote_id: first }, /was vetoed by bob/);
    await refused(ada, "vote.cast", { vote_id: first, option_id: "jungle" }, /was vetoed by bob/);
    ada.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 5000, veto_enabled: true });
    const second = (await bob.expect("match.vote_start", (p) => p.vote_id !== short && p.vote_id !== first)).payload.vote_id as string;
    await refused(bob, "vote.veto", { vote_id: second }, /no veto tokens left \(1 per player in this match\)/);
    ada.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 5000 });
    const noVeto = (await bob.expect("match.vote_start", (p) => ![short, first, second].includes(p.vote_id))).payload.vote_id as string;
    await refused(ada, "vote.veto", { vote_id: noVeto }, /cannot be vetoed \(veto_enabled is false\)/);
  });

  it("a frame nested deeper than 64 levels is refused with an error; the server and other matches go on", async () => {
    const server = await startGame(example);
    const [ada, bob, cy] = await players(server, "ada", "bob", "cy");
    await ada.request("match.join", { match_id: "deep.arena" });
    await bob.request("match.join", { match_id: "deep.arena" });
    await cy.request("match.join", { match_id: "other.arena" });
    // 10,000 arrays deep (20 KB): JSON.stringify of it overflowed the stack and ended the process.
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    for (const type of ["match.input", "vote.cast", "presence.update", "chat.send"]) {
      ada.client.send(`{"cid":"d-${type}","type":"${type}","payload":{"action":"move","x":${deep},"vote_id":"v1","option_id":${deep}}}`);
      expect(await ada.expect("error", (_p, m) => m.cid === `d-${type}`)).toEqual({
        cid: `d-${type}`,
        type: "error",
        payload: { code: 3, reason: "the frame nests deeper than 64 levels of arrays and objects" },
      });
    }
    ada.client.send('{"cid":"p","type":"match.input","payload":{"action":"move","__proto__":{"x":1}}}');
    expect((await ada.expect("error", (_p, m) => m.cid === "p")).payload.reason).toBe('the frame holds a "__proto__" key');
    // 62 levels inside the payload (64 with the envelope and the payload) still pass the check.
    const ok = JSON.parse(`${"[".repeat(62)}${"]".repeat(62)}`);
    expect((await ada.request("match.input", { action: "move", x: ok, y: 0 })).payload.reason).toMatch(/move needs \{x, y\}/);
    // The REST API's bodies are at most maxRequestBytes (16 KiB): 4 000 levels fit.
    const deepBody = `${"[".repeat(4_000)}${"]".repeat(4_000)}`;
    const api = await fetch(`${server.url}/api/friends`, {
      method: "POST",
      headers: { authorization: "Bearer dev:ada" },
      body: `{"player_id":"bob","extra":${deepBody}}`,
    });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: "ERR_BAD_REQUEST",
      message: "the body nests deeper than 64 levels of arrays and objects",
    });
    // A "__proto__" key beside it does not hide the depth (the check once stopped at the key)
    const hidden = await fetch(`${server.url}/api/notifications/x/read`, {
      method: "POST",
      headers: { authorization: "Bearer dev:ada" },
      body: `{"__proto__":{},"extra":${deepBody}}`,
    });
    expect(hidden.status).toBe(400);
    // Both matches still tick, and the socket is still usable.
    ada.send("match.input", { action: "move", x: 1, y: 2 });
    await bob.expect("match.state", (p) => p.players.ada?.x === 1);
    const tick = (await cy.expect("match.state")).payload.tick as number;
    await cy.expect("match.state", (p) => p.tick > tick + 2);
    expect((await ada.request("session.heartbeat")).type).toBe("session.heartbeat");
  });

  it("a frame over maxMessageBytes (64 KiB) closes its socket 1009, before or after session.connect; one at the limit is read; others go on", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    const frame = (size: number) => {
      const head = JSON.stringify({ cid: "big", type: "session.heartbeat", payload: { pad: "" } });
      return head.replace('"pad":""', `"pad":"${"x".repeat(size - head.length)}"`);
    };
    ada!.client.send(frame(64 * 1024));
    expect((await ada!.until("the answer to the frame at the limit", (message) => message.cid === "big")).type).toBe("session.heartbeat");
    ada!.client.send(frame(64 * 1024 + 1));
    expect((await ada!.client.closed).code).toBe(1009);
    const early = gameClient(server);
    await early.client.opened;
    early.client.send(frame(200 * 1024));
    expect((await early.client.closed).code).toBe(1009);
    expect(await bob!.request("session.heartbeat")).toMatchObject({ type: "session.heartbeat" });
  });

  it("a binary frame while session.connect's token is checked is answered as at any other time: frames are JSON text", async () => {
    const server = await startGame(example);
    const client = gameClient(server);
    await client.client.opened;
    client.send("session.connect", { token: "dev:ada" }, "connect");
    client.client.send(new Uint8Array([1, 2, 3]));
    expect((await client.until("the answer to session.connect", (message) => message.cid === "connect")).type).toBe("session.connected");
    expect((await client.expect("error")).payload.reason).toBe("frames are JSON text");
  });

  it("too many bad frames close the socket 4400", async () => {
    const server = await startGame({ ...example, limits: { maxProtocolErrors: 3 } });
    const [ada] = await players(server, "ada");
    for (let i = 0; i < 3; i++) ada.send("nope");
    expect((await ada.client.closed).code).toBe(4400);
  });
});

describe("bad frames answered by the rooms count too", () => {
  it("a bad presence.update, vote.cast or match.input (refused by the player or match room) counts toward 4400", async () => {
    const server = await startGame({ ...example, limits: { maxProtocolErrors: 4 } });
    const [ada] = await players(server, "ada");
    await ada.request("match.join", { match_id: "bad.arena" });
    await refused(ada, "presence.update", { status: "" }, /payload.status must be/);
    await refused(ada, "vote.cast", { vote_id: "v9", option_id: "a" }, /no vote "v9"/);
    await refused(ada, "match.input", { action: "dance" }, /unknown action "dance"/);
    ada.send("presence.update", { status: "offline" });
    expect((await waitFor(ada.client.closed, "close 4400")).code).toBe(4400);
  });

  it("an input refused because the match has not started yet does not count", async () => {
    const server = await startGame({ ...example, limits: { maxProtocolErrors: 2 } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) await client.request("matchmaker.add", { mode: "arena", properties: {} });
    const { match_id } = (await ada.expect("matchmaker.matched")).payload;
    await ada.request("match.join", { match_id }); // bob never comes: the match waits for him
    for (let i = 0; i < 3; i++) await refused(ada, "match.input", { action: "move", x: 1, y: 1 }, /the match has not started/);
    expect((await ada.request("session.heartbeat")).type).toBe("session.heartbeat");
  });
});

describe("session lifetime", () => {
  it("a session with no frame within sessionTimeoutMs is closed 4408 and its player goes offline; heartbeats keep it", async () => {
    const server = await startGame({ ...example, limits: { sessionTimeoutMs: 500 } });
    const [ada, bob] = await players(server, "ada", "bob");
    // ada beats; bob is silent.
    const beating = setInterval(() => ada.send("session.heartbeat"), 50);
    try {
      for (const [from, to] of [
        ["ada", "bob"],
        ["bob", "ada"],
      ]) {
        await fetch(`${server.url}/api/friends`, { method: "POST", headers: { authorization: `Bearer dev:${from}` }, body: JSON.stringify({ player_id: to }) });
      }
      expect((await bob.client.closed).code).toBe(4408);
      expect((await ada.expect("presence.changed", (p) => p.status === "offline")).payload).toEqual({ player_id: "bob", status: "offline" });
      expect((await ada.request("session.heartbeat")).type).toBe("session.heartbeat");
    } finally {
      clearInterval(beating);
    }
  });

  it("a second socket of the same player takes the session over; the first is closed 4009", async () => {
    const server = await startGame(example);
    const [first] = await players(server, "ada");
    const [second] = await players(server, "ada");
    expect((await first.client.closed).code).toBe(4009);
    expect((await second.request("session.heartbeat")).type).toBe("session.heartbeat");
  });
});
