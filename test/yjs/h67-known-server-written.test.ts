/**
 * The known-IDs check (known-structs.ts) compares what an update holds with what the room holds by JS value. For
 * structs that server code wrote into the room's document, the room holds the values as the code gave them, not as
 * they travel: a `Date` (Yjs takes one in Y.Map.set and sends it as `{}`), a string cut in the middle of an emoji
 * (sent with U+FFFD in place of the lone surrogate). Every replica holds the sent form; when one of them sends such a
 * struct back (the whole state POSTed again, a doc relaying what a peer gave it, a second tab forwarding the first
 * one's state), the room finds "other content" and refuses the update: HTTP 400 / close 1007, "another connection
 * wrote under this client id", though nobody did.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { YServer } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

/** A room whose server code stamps the document (what a "touch" request or an onConnect hook does). */
class StampingRoom extends YServer {
  override async onRequest(req: Party.Request): Promise<Response> {
    if (new URL(req.url).searchParams.has("touch")) {
      const meta = this.document.getMap<unknown>("meta");
      meta.set("touchedAt", new Date(Date.UTC(2026, 0, 1)));
      meta.set("preview", "Summer 😀 party".slice(0, 8)); // cut mid-emoji, as a length cap does
      return new Response("ok");
    }
    return super.onRequest(req);
  }
}

describe("structs server code wrote, sent back by a replica", () => {
  it("are known and the same: a replica's whole state is taken, not refused as another connection's writes", async () => {
    const server = await startServer({ main: StampingRoom }, { storage: "memory" });
    const room = `${server.url}/parties/main/stamped`;
    const created = new Y.Doc();
    created.getText("t").insert(0, "hello");
    expect(
      (await fetch(room, { method: "POST", body: Y.encodeStateAsUpdate(created) as BodyInit, headers: { "Content-Type": "application/octet-stream" } })).status,
    ).toBeLessThan(300);
    expect(await (await fetch(`${room}?touch`)).text()).toBe("ok");

    // A headless editor: it reads the whole state, edits, and sends its whole state back (Yjs updates are idempotent).
    const editor = new Y.Doc();
    Y.applyUpdate(editor, new Uint8Array(await (await fetch(`${room}?format=update`)).arrayBuffer()));
    expect(editor.getText("t").toString()).toBe("hello");
    editor.getText("t").insert(5, " world");
    const posted = await fetch(room, {
      method: "POST",
      body: Y.encodeStateAsUpdate(editor) as BodyInit,
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(`${posted.status} ${posted.status >= 300 ? await posted.text() : ""}`).toMatch(/^20\d /);

    const after = new Y.Doc();
    Y.applyUpdate(after, new Uint8Array(await (await fetch(`${room}?format=update`)).arrayBuffer()));
    expect(after.getText("t").toString()).toBe("hello world");
  });
});
