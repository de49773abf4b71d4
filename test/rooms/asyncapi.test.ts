/** docs/rooms.asyncapi.yaml is a valid AsyncAPI 3 document (a real parser says so) and names every message type of the code. */
import { describe, expect, it } from "vitest";
import { MessageType } from "../../src/rooms/wire/index.js";
import { messageNames, parseAsyncApi } from "../helpers/asyncapi.js";

describe("the AsyncAPI document of the rooms protocol", () => {
  it("parses without errors and lists every message type, in the right directions", async () => {
    const { document, errors } = await parseAsyncApi("docs/rooms.asyncapi.yaml");
    expect(errors).toEqual([]);
    expect(document?.version()).toBe("3.0.0");
    const { all, sent, received } = messageNames(document!);
    expect(all).toEqual(new Set(Object.values(MessageType)));
    expect(sent).toEqual(
      new Set(["handshake.ok", "error", "rpc.response", "room.message", "room.message.bytes", "state.snapshot", "state.patch", "match.found"]),
    );
    expect(received).toEqual(
      new Set([
        "handshake",
        "room.join_or_create",
        "room.leave",
        "room.list",
        "room.message",
        "room.message.bytes",
        "state.ack",
        "state.resync",
        "matchmaking.enqueue",
        "matchmaking.dequeue",
      ]),
    );
  });
});
