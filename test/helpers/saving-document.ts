/**
 * A y-partykit-style room that saves its document's text into `room.storage` from its change callback (docs/yjs.md's
 * save-to-storage pattern), and a writer that edits it over the HTTP API: for tests of what a reload does to a
 * document a request loaded (test/yjs/h57-*, h58-*).
 */
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import type { YPartyKitOptions } from "../../src/yjs/index.js";

/** Options whose callback saves the text of `t` as "saved"; each refused save is recorded in `errors` ("CODE saving "text""). */
export function savingOptions(room: Party.Room, errors: string[], load?: YPartyKitOptions["load"]): YPartyKitOptions {
  return {
    persist: { mode: "snapshot" },
    ...(load ? { load } : {}),
    callback: {
      debounceWait: 10,
      handler: async (doc: Y.Doc) => {
        try {
          await room.storage.put("saved", doc.getText("t").toString());
        } catch (error) {
          errors.push(`${(error as { code?: string }).code ?? String(error)} saving ${JSON.stringify(doc.getText("t").toString())}`);
          throw error;
        }
      },
    },
  };
}

/** The answer to `?saved` (what the callback saved), or undefined for any other request. */
export async function savedAnswer(req: Party.Request, room: Party.Room): Promise<Response | undefined> {
  if (!new URL(req.url).searchParams.has("saved")) return undefined;
  return Response.json({ saved: (await room.storage.get("saved")) ?? null });
}

/** Appends `text` to `t` of a local document, POSTed as an update to the room; `saved()` reads what the callback saved. */
export function documentWriter(url: string, path = "/parties/main/notes") {
  const local = new Y.Doc();
  return {
    post(text: string): Promise<Response> {
      const before = Y.encodeStateVector(local);
      local.getText("t").insert(local.getText("t").length, text);
      const body = Y.encodeStateAsUpdate(local, before);
      return fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: body as BodyInit });
    },
    async saved(): Promise<string | null> {
      return ((await (await fetch(`${url}${path}?saved`)).json()) as { saved: string | null }).saved;
    },
  };
}
