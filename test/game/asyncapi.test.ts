/**
 * docs/game.asyncapi.yaml is a valid AsyncAPI 3 document (a real parser says so), names every message type of
 * game-client/messages.ts in the right direction, and gives every request its answer: the same type
 * (session.connect: session.connected) or error.
 */
import { describe, expect, it } from "vitest";
import { ClientMessageType, ServerMessageType, type RequestType } from "../../game-client/messages.js";
import { messageNames, parseAsyncApi } from "../helpers/asyncapi.js";

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
      document!.operations().filterByReceive().map((operation) => {
        const [request] = operation.messages().all().map((message) => message.name());
        return [request, operation.reply()?.messages().all().map((message) => message.name()) ?? null];
      }),
    );
    expect(replies).toEqual({ ...Object.fromEntries(Object.entries(answers).map(([request, answer]) => [request, [answer, "error"]])), "match.input": null });
  });
});
