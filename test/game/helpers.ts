/**
 * Game-protocol test helpers: a real server with the game mounted (`startGame`), and a client speaking the
 * envelope over a real `ws` socket (`gameClient`), which keeps every message so a test can wait for the next one of
 * a type (with a timeout), send requests with a fresh `cid` and wait for their answer.
 */
import { createGame, type GameOptions } from "../../src/game/index.js";
import { connect, DEFAULT_WAIT_MS, startServer, type StartOptions, type TestClient, type TestServer } from "../helpers/server.js";

export type P = Record<string, any>;
export interface Message {
  cid?: string;
  type: string;
  payload: P;
}

export async function startGame(options: GameOptions & { server?: StartOptions }): Promise<TestServer> {
  const { server: serverOptions = {}, ...gameOptions } = options;
  const game = createGame(gameOptions);
  return startServer(game.parties, { storage: "memory", ...serverOptions, sockets: game.sockets, routes: game.routes });
}

/**
 * A restart of the server's process: the same storage (`server: {storage: "leveldb"}`), and the game made anew from
 * `options`, so what it keeps in memory (sessions, tickets, the seats matches hold) is gone, as in a new process.
 */
export function restartGame(server: TestServer, options: GameOptions): Promise<TestServer> {
  return server.restart(createGame(options).parties);
}

export interface GameClient {
  client: TestClient;
  received: Message[];
  send(type: string, payload?: P, cid?: string): void;
  /** The next message (not taken before) of `type` that matches. */
  expect(type: string, where?: (payload: P, message: Message) => boolean, ms?: number): Promise<Message>;
  /** The next message (not taken before) that matches, within `ms` in all. */
  until(what: string, matches: (message: Message) => boolean, ms?: number): Promise<Message>;
  /** Sends with a fresh cid; resolves with the answer carrying it (of any type: the result, or `error`). */
  request(type: string, payload?: P): Promise<Message>;
  /** `session.connect {token: "dev:<player>"}` → the `session.connected` payload. */
  connect(player: string): Promise<P>;
}

let cids = 0;

export function gameClient(server: Pick<TestServer, "wsUrl">, path = "/ws"): GameClient {
  const client = connect(server.wsUrl(path));
  const received: Message[] = [];
  const taken = new Set<number>();
  const decodeUpTo = () => {
    while (received.length < client.messages.length) received.push(JSON.parse(client.messages[received.length] as string) as Message);
  };
  const game: GameClient = {
    client,
    received,
    send(type, payload = {}, cid) {
      client.send(JSON.stringify(cid === undefined ? { type, payload } : { cid, type, payload }));
    },
    expect(type, where = () => true, ms) {
      return game.until(`"${type}"`, (message) => message.type === type && where(message.payload, message), ms);
    },
    async until(what, matches, ms = DEFAULT_WAIT_MS) {
      // One deadline for the whole wait: a match sends state every tick, so waiting per message would never end.
      const deadline = Date.now() + ms;
      let index = 0;
      for (;;) {
        decodeUpTo();
        for (; index < received.length; index++) {
          if (!taken.has(index) && matches(received[index]!)) {
            taken.add(index);
            return received[index]!;
          }
        }
        await client.nth(received.length, Math.max(1, deadline - Date.now())).catch(() => {
          throw new Error(`Timed out after ${ms} ms waiting for ${what}; got ${JSON.stringify(received.slice(-6))}`);
        });
      }
    },
    async request(type, payload = {}) {
      const cid = `c${++cids}`;
      await client.opened;
      game.send(type, payload, cid);
      return game.until(`the answer to ${type} (${cid})`, (message) => message.cid === cid);
    },
    async connect(player) {
      const answer = await game.request("session.connect", { token: `dev:${player}` });
      if (answer.type !== "session.connected") throw new Error(`session.connect: ${JSON.stringify(answer)}`);
      return answer.payload;
    },
  };
  return game;
}

/**
 * Players connected at once at most: each open and `session.connect` is waited for within its own deadline from the
 * start, so the scale tests' 1,008 at once timed out on a loaded machine (the handshakes queued behind each other).
 */
const CONNECTING_AT_ONCE = 50;

/** A connected client per player, `CONNECTING_AT_ONCE` at a time. */
export async function players(server: TestServer, ...names: string[]): Promise<GameClient[]> {
  const clients: GameClient[] = [];
  for (let from = 0; from < names.length; from += CONNECTING_AT_ONCE) {
    const group = names.slice(from, from + CONNECTING_AT_ONCE).map(async (name) => {
      const client = gameClient(server);
      await client.connect(name);
      return client;
    });
    clients.push(...(await Promise.all(group)));
  }
  return clients;
}

/** The example game's `arena`: the players' tickets matched, each joined, the match started; its id. */
export async function inStartedArena(clients: readonly GameClient[]): Promise<string> {
  for (const client of clients) await client.request("matchmaker.add", { mode: "arena", properties: {} });
  const matchId = (await clients[0]!.expect("matchmaker.matched")).payload.match_id as string;
  for (const client of clients) await client.request("match.join", { match_id: matchId });
  for (const client of clients) await client.expect("match.started");
  return matchId;
}

/**
 * The answers to `chat.send`s of `m{i}` sent with cids `send-{i}` (i from `from` to `count` - 1), by content: the
 * contents answered `chat.send` and those answered `error` (for the reload tests: each must be stored, or not).
 */
export async function chatSendAnswers(client: GameClient, count: number, from = 0): Promise<{ ok: string[]; error: string[] }> {
  const ok: string[] = [];
  const error: string[] = [];
  for (let i = from; i < count; i++) {
    const answer = await client.until(`the answer to send-${i}`, (message) => message.cid === `send-${i}`, 5_000);
    (answer.type === "chat.send" ? ok : error).push(`m${i}`);
  }
  return { ok, error };
}

/** A REST call under the game's `/api`, as `player` (`Bearer dev:<player>`; undefined: no Authorization). */
export function api(server: TestServer, path: string, player: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = player === undefined ? {} : { authorization: `Bearer dev:${player}` };
  return fetch(server.url + path, { ...init, headers: { ...headers, "content-type": "application/json" } });
}
