/**
 * Requests in the wrong order, twice and all at once, with the socket dropped and connected again in between and a
 * reload of the server's code: every request that carried a cid is answered exactly once (`match.input` only when
 * refused), the session goes on, and the server logs no internal error.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch, type GameOptions } from "../../src/game/index.js";
import { cleanupAll, pollUntil } from "../helpers/server.js";
import { gameClient, startGame, type GameClient, type Message } from "./helpers.js";
import { seededRandom } from "../helpers/seeded-random.js";

afterEach(cleanupAll);

const duel = defineMatch<{ n: number }>({
  tickRate: 30,
  maxPlayers: 2,
  init: () => ({ n: 0 }),
  onInput(state) {
    state.n++;
  },
});
const options: GameOptions = {
  matches: { duel },
  modes: { duel: { size: 2, match: "duel" } },
  limits: { maxProtocolErrors: 10_000, chatMessagesPerWindow: 10_000 },
};

/** A random request of the catalog, some of them wrong (unknown ids, the wrong order). */
function randomRequest(random: () => number, tickets: string[], matched: string[]): [string, Record<string, unknown>] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const match = matched.length > 0 && random() < 0.6 ? matched[matched.length - 1]! : pick(["m1.duel", "m2.duel"]);
  const requests: Array<[string, Record<string, unknown>]> = [
    ["session.heartbeat", {}],
    ["match.join", { match_id: match }],
    ["match.leave", {}],
    ["match.input", { x: 1 }],
    ["matchmaker.add", { mode: "duel", properties: {} }],
    ["matchmaker.remove", { ticket_id: tickets.length > 0 && random() < 0.8 ? pick(tickets) : "nope" }],
    ["chat.join", { channel_id: pick(["a", "b"]) }],
    ["chat.leave", { channel_id: pick(["a", "b"]) }],
    ["chat.send", { channel_id: pick(["a", "b"]), content: "hi" }],
    ["vote.cast", { vote_id: "v", option_id: "o" }],
    ["presence.update", { status: pick(["in_game", "away"]) }],
  ];
  return pick(requests);
}

/** Every message the client received so far. */
function allReceived(client: GameClient): Message[] {
  return client.client.messages.map((frame) => JSON.parse(frame as string) as Message);
}

/** The answer carrying `cid`, looked up in everything received (`until` takes what it finds). */
function answerTo(client: GameClient, cid: string): Promise<Message> {
  return pollUntil(`the answer to ${cid}`, async () => allReceived(client).find((message) => message.cid === cid), 10_000);
}

async function runClient(client: GameClient, random: () => number, rounds: number, cids: Map<string, string>, id: string): Promise<void> {
  const tickets: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const matched = allReceived(client).flatMap((message) => (message.type === "matchmaker.matched" ? [message.payload.match_id as string] : []));
    const [type, payload] = randomRequest(random, tickets, matched);
    const cid = `${id}-${i}`;
    cids.set(cid, type);
    client.send(type, payload, cid);
    if (type !== "match.input" && random() < 0.2) {
      // Wait for this one (a ticket id to remove later), letting the others run behind it.
      const answer = await answerTo(client, cid);
      if (answer.type === "matchmaker.add") tickets.push(answer.payload.ticket_id as string);
    }
  }
}

describe("game requests in the wrong order, twice, at once, across a reconnect and a reload", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: every request with a cid is answered once`, async () => {
      const random = seededRandom(seed);
      const server = await startGame({ ...options, server: { storage: "leveldb" } });
      const cids = new Map<string, string>();
      const clients: GameClient[] = [];
      // Both players at once (their tickets match each other), each on three sockets one after the other.
      const play = async (player: string) => {
        for (let part = 0; part < 3; part++) {
          const client = gameClient(server);
          clients.push(client);
          await client.connect(player);
          if (part === 1 && player === "ada") void server.server.reload(createGame(options).parties);
          await runClient(client, random, 80, cids, `${player}${part}`);
          // All answered before the socket goes: a heartbeat's answer comes after every answer the session owes first.
          const end = `${player}${part}-end`;
          client.send("session.heartbeat", {}, end);
          await answerTo(client, end);
          // The rooms answer after the session: wait for every cid but inputs.
          for (const [cid, type] of cids) if (cid.startsWith(`${player}${part}-`) && type !== "match.input") await answerTo(client, cid);
          client.client.ws.terminate();
        }
      };
      await Promise.all([play("ada"), play("bob")]);
      for (const client of clients) {
        const counts = new Map<string, number>();
        for (const message of allReceived(client)) if (message.cid !== undefined) counts.set(message.cid, (counts.get(message.cid) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1);
        expect(twice, "cids answered more than once").toEqual([]);
      }
      expect(server.logs.filter((entry) => entry.level === "error").map((entry) => entry.event)).toEqual([]);
    }, 60_000);
  }
});
