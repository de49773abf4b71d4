/**
 * docs/game.asyncapi.yaml is a valid AsyncAPI 3 document (a real parser says so), names every message type of
 * src/game/messages.ts in the right direction, and gives every request its answer: the same type
 * (session.connect: session.connected) or error. And the server speaks it: every frame of a session that uses
 * every message type has the payload keys the document requires, and no key it does not list.
 */
import type { MessageInterface, OperationInterface } from "@asyncapi/parser";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ClientMessageType, connect, ServerMessageType, type GameClient, type RequestType } from "../../game-client/index.js";
import example from "../../examples/game/game.js";
import { cleanupAll } from "../helpers/server.js";
import { messageNames, parseAsyncApi } from "../helpers/asyncapi.js";
import { startGame } from "./helpers.js";

/** Every request of the client, and the type of its answer. */
const answers: Record<RequestType, string> = {
  "session.connect": "session.connected",
  "session.heartbeat": "session.heartbeat",
  "match.join": "match.join",
  "match.leave": "match.leave",
  "matchmaker.add": "matchmaker.add",
  "matchmaker.remove": "matchmaker.remove",
  "chat.join": "chat.join",
  "chat.leave": "chat.leave",
  "chat.send": "chat.send",
  "vote.cast": "vote.cast",
  "vote.veto": "vote.veto",
  "presence.update": "presence.update",
};

describe("the AsyncAPI document of the game protocol", () => {
  it("parses without errors and lists every message type, in the right directions, with the answer of each request", async () => {
    const { document, errors } = await parseAsyncApi("docs/game.asyncapi.yaml");
    expect(errors).toEqual([]);
    expect(document?.version()).toBe("3.0.0");
    const { all, sent, received } = messageNames(document!);
    expect(all).toEqual(new Set([...Object.values(ClientMessageType), ...Object.values(ServerMessageType)]));
    expect(received).toEqual(new Set(Object.values(ClientMessageType)));
    expect(sent).toEqual(new Set(Object.values(ServerMessageType)));
    const replies = Object.fromEntries(
      document!
        .operations()
        .filterByReceive()
        .map((operation) => {
          const [request] = operation
            .messages()
            .all()
            .map((message) => message.name());
          return [
            request,
            operation
              .reply()
              ?.messages()
              .all()
              .map((message) => message.name()) ?? null,
          ];
        }),
    );
    expect(replies).toEqual({ ...Object.fromEntries(Object.entries(answers).map(([request, answer]) => [request, [answer, "error"]])), "match.input": null });
  });
});

/** The frames the sockets carry both ways, as JSON, with the socket's number (cids are per socket). */
const frames: Array<{ socket: number; from: "client" | "server"; frame: { cid?: string; type: string; payload: Record<string, unknown> } }> = [];
let sockets = 0;
class RecordingWebSocket extends WebSocket {
  readonly number = ++sockets;
  constructor(url: string) {
    super(url);
    this.on("message", (data) => frames.push({ socket: this.number, from: "server", frame: JSON.parse(String(data)) }));
  }
  override send(data: unknown, ...rest: unknown[]): void {
    frames.push({ socket: this.number, from: "client", frame: JSON.parse(String(data)) });
    (super.send as (...args: unknown[]) => void)(data, ...rest);
  }
}

const clients: GameClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  frames.length = 0;
  await cleanupAll();
});

/** The keys a message's payload must have, and may have (undefined: any, as match.state and match.input). */
function payloadShape(message: MessageInterface): { required: string[]; allowed: string[] | undefined } {
  const payload = message.payload()?.properties()?.payload;
  const properties = payload?.properties();
  // A payload documented without properties (match.state, match.input) is the game's own: any keys.
  return { required: payload?.required() ?? [], allowed: properties ? Object.keys(properties) : undefined };
}

describe("the game server speaks what docs/game.asyncapi.yaml says", () => {
  it("every frame of a session using every message type fits its documented payload, in both directions", async () => {
    const { document } = await parseAsyncApi("docs/game.asyncapi.yaml");
    const byName = (operations: OperationInterface[]) =>
      new Map(
        operations.flatMap((operation) =>
          operation
            .messages()
            .all()
            .map((message) => [message.name()!, message] as const),
        ),
      );
    const received = byName(document!.operations().filterByReceive());
    const sent = byName(document!.operations().filterBySend());
    const replies = new Map(
      document!
        .operations()
        .filterByReceive()
        .map((operation) => [operation.messages().all()[0]!.name()!, operation.reply()?.messages().all()[0]] as const),
    );

    const server = await startGame(example);
    const open = async (player: string) => {
      const client = await connect(server.wsUrl("/ws"), { token: `dev:${player}`, WebSocket: RecordingWebSocket });
      clients.push(client);
      return client;
    };
    const ada = await open("ada");
    const alan = await open("alan");
    // Friends (REST), a notification, presence.
    const notified = alan.next("notification.new");
    await ada.api.friends.add("alan");
    await notified;
    await alan.api.friends.add("ada");
    const changed = alan.next("presence.changed", { where: (p) => p.status === "away" });
    await ada.presence.update("away", {});
    await changed;
    // Chat.
    await ada.chat.join("lobby");
    const heard = ada.next("chat.message");
    await ada.chat.send("lobby", "hello");
    await heard;
    await ada.chat.leave("lobby");
    // Matchmaker, a match, inputs, votes (vetoed, then one with a result), a refusal, the end.
    await ada.matchmaker.remove(await ada.matchmaker.add("arena", { skill: 1 }));
    const matched = alan.next("matchmaker.matched");
    await ada.matchmaker.add("arena", {});
    await alan.matchmaker.add("arena", {});
    const { match_id } = await matched;
    const started = alan.next("match.started");
    await Promise.all([ada.match.join(match_id), alan.match.join(match_id)]);
    await started;
    ada.match.input({ action: "move", x: 1, y: 2 });
    await alan.next("match.state", { where: (state: any) => state.players.ada?.x === 1 });
    const options = [
      { id: "a", label: "A" },
      { id: "b", label: "B" },
    ];
    const first = alan.next("match.vote_start");
    ada.match.input({ action: "call_vote", options, method: "plurality", window_ms: 5_000, visibility: "live", veto_enabled: true });
    const { vote_id } = await first;
    const tally = ada.next("match.vote_tally");
    await alan.vote.cast(vote_id, "a");
    await tally;
    const vetoed = ada.next("match.vote_vetoed");
    await alan.vote.veto(vote_id);
    await vetoed;
    await alan.vote.cast(vote_id, "a").catch(() => {}); // error: vetoed
    const second = alan.next("match.vote_start");
    ada.match.input({ action: "call_vote", options, method: "approval", window_ms: 300, visibility: "hidden" });
    const result = ada.next("match.vote_result");
    await alan.vote.cast((await second).vote_id, ["a", "b"]);
    await result;
    await ada.request("session.heartbeat", {});
    const finished = alan.next("match.finished");
    ada.match.input({ action: "finish" });
    await finished;
    await ada.match.leave();

    const requests = new Map(frames.filter((f) => f.from === "client" && f.frame.cid !== undefined).map((f) => [`${f.socket} ${f.frame.cid}`, f.frame.type]));
    const misfits: string[] = [];
    for (const { socket, from, frame } of frames) {
      const request = from === "server" && frame.cid !== undefined && frame.type !== "error" ? requests.get(`${socket} ${frame.cid}`) : undefined;
      const message = from === "client" ? received.get(frame.type) : request !== undefined ? replies.get(request) : sent.get(frame.type);
      if (!message) {
        misfits.push(`${from} ${frame.type}: not in the document${request ? ` as the answer to ${request}` : ""}`);
        continue;
      }
      const { required, allowed } = payloadShape(message);
      const keys = Object.keys(frame.payload ?? {});
      for (const key of required) if (!keys.includes(key)) misfits.push(`${from} ${frame.type}: no ${key}`);
      if (allowed) for (const key of keys) if (!allowed.includes(key)) misfits.push(`${from} ${frame.type}: ${key} is not documented`);
    }
    expect([...new Set(misfits)]).toEqual([]);
    // The session used the whole catalog.
    const seen = new Set(frames.map((f) => f.frame.type));
    expect([...Object.values(ClientMessageType), ...Object.values(ServerMessageType)].filter((type) => !seen.has(type))).toEqual([]);
  });
});
