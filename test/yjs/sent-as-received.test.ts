/**
 * A lone update that the room applies whole reaches the other connections and the store as it was received (no
 * encode of it again, docs/yjs.md "One owner"), so it must be exactly what the update check walked: bytes after an
 * update's delete set are refused, over a socket and over HTTP, and change nothing. Real server, raw `ws` clients
 * and a y-websocket provider.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode, decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { connect, startServer, waitFor, type Frame, type TestClient, type TestServer } from "../helpers/server.js";
import { makeProvider, until, whenSynced, clientDocs } from "./support/providers.js";

let server: TestServer;
const docs = clientDocs();

/** A doc whose every change is kept as the update Yjs encoded for it (what a provider sends). */
function typist(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  docs.push(doc);
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  return { doc, updates };
}

const isUpdateFrame = (frame: Frame): frame is Uint8Array => typeof frame !== "string" && decodeMessage(frame).type === "update";

/** The next update frame `client` receives after the first `seen` ones. */
async function nextUpdateFrame(client: TestClient, seen: number): Promise<Uint8Array> {
  for (let index = 0; ; index++) {
    const frame = await client.nth(index);
    if (isUpdateFrame(frame) && seen-- === 0) return frame;
  }
}

describe("a lone update sent on as received", () => {
  it("reaches a raw client byte for byte and a y-websocket client applies it; a resent one reaches no one", async () => {
    server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const reader = new Y.Doc();
    docs.push(reader);
    await whenSynced(makeProvider("y-websocket", server.url, "main", "lone", reader));
    const sender = connect(server.wsUrl("/parties/main/lone"));
    const observer = connect(server.wsUrl("/parties/main/lone"));
    await Promise.all([sender.opened, observer.opened]);
    await observer.nth(0); // its greeting: the room is ready for it

    const { doc, updates } = typist();
    doc.getText("t").insert(0, "hello");
    doc.getText("t").insert(5, " world");
    doc.getText("t").delete(0, 1);
    const frames = updates.map(encodeUpdate);
    for (const [i, frame] of frames.entries()) {
      sender.send(frame);
      expect(await nextUpdateFrame(observer, i)).toEqual(frame);
    }
    await until(reader, (d) => d.getText("t").toString() === "ello world", "the provider applied every update");

    // Resent: the room has all of it, so nothing reaches anyone; the next change is the next frame the others get.
    sender.send(frames[0]!);
    doc.getText("t").insert(0, "H");
    sender.send(encodeUpdate(updates.at(-1)!));
    expect(await nextUpdateFrame(observer, frames.length)).toEqual(encodeUpdate(updates.at(-1)!));
    await until(reader, (d) => d.getText("t").toString() === "Hello world", "the provider applied the last update");
    const stored = await (await fetch(`${server.url}/parties/main/lone`)).json();
    expect(stored).toEqual({ t: "Hello world" });
  });

  it("refuses an update with bytes after its delete set: the sender is closed with 1007, nothing is applied or sent on", async () => {
    server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const observer = connect(server.wsUrl("/parties/main/trailing"));
    const sender = connect(server.wsUrl("/parties/main/trailing"));
    await Promise.all([sender.opened, observer.opened]);
    await observer.nth(0);

    const { doc, updates } = typist();
    doc.getText("t").insert(0, "smuggled");
    const withTrailing = Uint8Array.of(...updates[0]!, 7, 7);
    sender.send(encodeUpdate(withTrailing));
    const closed = await waitFor(sender.closed, "the sender's close");
    expect(closed.code).toBe(CloseCode.InvalidMessage);
    expect(closed.reason).toMatch(/^ERR_INVALID_UPDATE: .*2 bytes after its delete set/);

    // The document is untouched: another client's change is the first update the observer gets.
    const other = connect(server.wsUrl("/parties/main/trailing"));
    await other.opened;
    const next = typist();
    next.doc.getText("t").insert(0, "fine");
    other.send(encodeUpdate(next.updates[0]!));
    expect(await nextUpdateFrame(observer, 0)).toEqual(encodeUpdate(next.updates[0]!));
    expect(await (await fetch(`${server.url}/parties/main/trailing`)).json()).toEqual({ t: "fine" });
  });

  it("refuses a POST of an update with bytes after its delete set with 400 ERR_INVALID_UPDATE", async () => {
    server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const { doc, updates } = typist();
    doc.getText("t").insert(0, "posted");
    const post = (body: Uint8Array) =>
      fetch(`${server.url}/parties/main/posted`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: Buffer.from(body) });
    const refused = await post(Uint8Array.of(...updates[0]!, 0));
    expect({ status: refused.status, body: await refused.json() }).toEqual({
      status: 400,
      body: { error: { code: "ERR_INVALID_UPDATE", message: "not a Yjs update: 1 bytes after its delete set" } },
    });
    expect((await fetch(`${server.url}/parties/main/posted`)).status).toBe(404);
    expect((await post(updates[0]!)).status).toBe(200);
    expect(
      await waitFor(
        fetch(`${server.url}/parties/main/posted`).then((res) => res.json()),
        "the document",
      ),
    ).toEqual({ t: "posted" });
  });
});
