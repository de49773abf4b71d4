/**
 * `room.context.parties.<name>.get(id).socket()` resolves, on PartyKit, with the Workers WebSocket of the Durable
 * Object's answer (`res.webSocket`, accepted): a binary message's `event.data` is an ArrayBuffer, as everywhere in
 * Workers (and as yparty hands binary frames to `onMessage` and to `onSocket`'s socket, docs/runtime.md). yparty's
 * stub socket is a `ws` WebSocket left at `binaryType: "nodebuffer"`: binary messages arrive as Node Buffers. The
 * usual relay code `e.data instanceof ArrayBuffer ? binary(e.data) : JSON.parse(e.data)` then parses bytes as JSON.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("stub.socket(): messages another room sends", () => {
  it("hands binary messages over as ArrayBuffer, text as string", async () => {
    const seen = deferred<string[]>();
    class Relay implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(message: string | ArrayBuffer, sender: Party.Connection) {
        // The upstream room answers every message with one binary and one text message.
        if (this.room.id === "upstream") {
          sender.send(new Uint8Array([7, 8, 9]));
          sender.send(JSON.stringify({ echo: message }));
        }
      }
      async onRequest() {
        const socket = await this.room.context.parties.main!.get("upstream").socket();
        const kinds: string[] = [];
        socket.addEventListener("message", (event: MessageEvent) => {
          const data: unknown = event.data;
          kinds.push(
            data instanceof ArrayBuffer
              ? `ArrayBuffer ${[...new Uint8Array(data)].join(",")}`
              : typeof data === "string"
                ? `string ${data}`
                : Object.prototype.toString.call(data),
          );
          if (kinds.length === 2) seen.resolve(kinds);
        });
        socket.send("hi");
        const result = await waitFor(seen.promise, "the upstream room's two answers");
        socket.close();
        return Response.json(result);
      }
    }
    const { url } = await startServer({ main: Relay }, { storage: "memory" });
    const response = await fetch(`${url}/parties/main/relay`);
    // Before: ["[object Uint8Array]", 'string {"echo":"hi"}'] (a Node Buffer).
    expect(await response.json()).toEqual(["ArrayBuffer 7,8,9", 'string {"echo":"hi"}']);
  });
});
