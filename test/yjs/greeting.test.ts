/**
 * What a connection to a Yjs room gets first, on a real server with raw `ws` clients and real providers: sync step 1,
 * and for a small document (at most `GREETING_WHOLE_DOCUMENT_BYTES` encoded) the whole document as a sync step 2, so
 * the client is synced without a round trip and its first step 1 gets no answer of its own; a larger document waits
 * for the client's step 1, as before.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { decodeMessage, encodeQueryAwareness, encodeSyncStep1, encodeUpdate, type Message } from "../../src/protocol/index.js";
import { GREETING_WHOLE_DOCUMENT_BYTES } from "../../src/yjs/defaults.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, type TestClient, type TestServer } from "../helpers/server.js";
import { PROVIDER_KINDS, destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const FRESH_STEP1 = encodeSyncStep1(Uint8Array.of(0));

function decoded(client: TestClient): Message[] {
  return client.messages.map((frame) => (typeof frame === "string" ? ({ type: "text" } as unknown as Message) : decodeMessage(frame)));
}

/** Waits for the next frame of `type` from index `from` on; returns its index. */
async function next(client: TestClient, type: Message["type"], from = 0): Promise<number> {
  for (let index = from; ; index++) {
    const frame = await client.nth(index);
    if (typeof frame !== "string" && decodeMessage(frame).type === type) return index;
  }
}

/** A room holding `text`, written by a client that then leaves. */
async function roomWith(server: TestServer, room: string, text: string): Promise<void> {
  const doc = new Y.Doc();
  const writer = makeProvider("y-websocket", server.url, "main", room, doc);
  await whenSynced(writer);
  doc.getText("t").insert(0, text);
  const check = new Y.Doc();
  await whenSynced(makeProvider("y-websocket", server.url, "main", room, check));
  await until(check, (d) => d.getText("t").length === text.length, `the room holding ${text.length} characters`);
}

/** Frames of types `types` received before index `end`. */
const typesBefore = (client: TestClient, end: number): string[] =>
  decoded(client)
    .slice(0, end)
    .map((m) => m.type);

describe("the greeting", () => {
  it("carries a small document whole: the client has it before sending anything, and its first step 1 gets no other answer", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    await roomWith(server, "small", "hello");
    const client = connect(server.wsUrl("/parties/main/small"));
    const step2 = await next(client, "sync-step2");
    expect(typesBefore(client, step2)).toEqual(["sync-step1"]);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (decoded(client)[step2] as { update: Uint8Array }).update);
    expect(doc.getText("t").toString()).toBe("hello");

    client.send(FRESH_STEP1); // answered ahead
    client.send(encodeQueryAwareness());
    const awareness = await next(client, "awareness", step2 + 1);
    expect(typesBefore(client, awareness).filter((type) => type === "sync-step2")).toHaveLength(1);

    client.send(FRESH_STEP1); // a later step 1 (a provider's resync) is answered
    await next(client, "sync-step2", awareness + 1);
  });

  it("waits for the client's step 1 when the document is larger than the limit", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const text = "x".repeat(GREETING_WHOLE_DOCUMENT_BYTES + 1_000);
    await roomWith(server, "large", text);
    const client = connect(server.wsUrl("/parties/main/large"));
    await next(client, "sync-step1");
    client.send(encodeQueryAwareness());
    const awareness = await next(client, "awareness");
    expect(typesBefore(client, awareness)).not.toContain("sync-step2");
    client.send(FRESH_STEP1);
    const step2 = await next(client, "sync-step2", awareness + 1);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (decoded(client)[step2] as { update: Uint8Array }).update);
    expect(doc.getText("t").length).toBe(text.length);
  });

  it("leaves nothing out: a change made between the greeting and the client's step 1 reaches it as an update", async () => {
    const server = await startServer({ main: DocumentParty });
    await roomWith(server, "between", "one");
    const client = connect(server.wsUrl("/parties/main/between"));
    const step2 = await next(client, "sync-step2");
    const other = connect(server.wsUrl("/parties/main/between"));
    await next(other, "sync-step2");
    const change = new Y.Doc();
    Y.applyUpdate(change, (decoded(other)[await next(other, "sync-step2")] as { update: Uint8Array }).update);
    change.getText("t").insert(3, " two");
    other.send(encodeUpdate(Y.encodeStateAsUpdate(change)));
    const update = await next(client, "update", step2 + 1);
    client.send(FRESH_STEP1);
    client.send(encodeQueryAwareness());
    const awareness = await next(client, "awareness", update + 1);
    expect(typesBefore(client, awareness).filter((type) => type === "sync-step2")).toHaveLength(1);

    const doc = new Y.Doc();
    for (const message of decoded(client)) if (message.type === "sync-step2" || message.type === "update") Y.applyUpdate(doc, message.update);
    expect(doc.getText("t").toString()).toBe("one two");
  });

  it("syncs every kind of provider, with offline edits of its own going to the room", async () => {
    const server = await startServer({ main: DocumentParty });
    await roomWith(server, "providers", "shared");
    for (const kind of PROVIDER_KINDS) {
      const doc = new Y.Doc();
      doc.getText("t").insert(0, `${kind} `); // made offline, before connecting
      await whenSynced(makeProvider(kind, server.url, "main", "providers", doc));
      expect(doc.getText("t").toString()).toContain("shared");
    }
    const check = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "providers", check));
    await until(check, (d) => [...PROVIDER_KINDS, "shared"].every((part) => d.getText("t").toString().includes(part)), "every edit in the room");
  });
});
