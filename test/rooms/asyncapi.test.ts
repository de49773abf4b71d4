/** docs/rooms.asyncapi.yaml is a valid AsyncAPI 3 document (a real parser says so) and names every message type of the code. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../cli/helpers.js";
import { MessageType } from "../../src/rooms/wire/index.js";

describe("the AsyncAPI document of the rooms protocol", () => {
  it("parses without errors and lists every message type, in the right directions", async () => {
    const text = await readFile(path.join(repoRoot, "docs", "rooms.asyncapi.yaml"), "utf8");
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe("3.0.0");
    const names = document!.allMessages().all().map((message) => message.name());
    expect(new Set(names)).toEqual(new Set(Object.values(MessageType)));
    const sent = document!.operations().filterBySend().flatMap((operation) => operation.messages().all().map((message) => message.name()));
    const received = document!.operations().filterByReceive().flatMap((operation) => operation.messages().all().map((message) => message.name()));
    expect(new Set(sent)).toEqual(new Set(["handshake.ok", "error", "rpc.response", "room.message", "room.message.bytes", "state.snapshot", "state.patch", "match.found"]));
    expect(new Set(received)).toEqual(new Set(["handshake", "room.join_or_create", "room.leave", "room.list", "room.message", "room.message.bytes", "state.ack", "state.resync", "matchmaking.enqueue", "matchmaking.dequeue"]));
  });
});
