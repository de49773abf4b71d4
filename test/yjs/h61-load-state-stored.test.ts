/**
 * docs/yjs.md: y-partykit's `load` is "state applied first each time the room loads, then the stored state. Not
 * written to the store". With `persist` (and so `gc: false`, its default there) the merge as the room unloads stores
 * the live document, `load()`'s state included (src/yjs/session.ts, `#loadStored`: the snapshot is the live document
 * unless `gc && load`). The next load applies `load()` again (a new Y.Doc, new client id) on top of the stored copy:
 * a template's text doubles with every unload and reload ("Title" → "TitleTitle" → "TitleTitleTitle").
 */
import { afterEach, expect, it } from "vitest";
import * as Y from "yjs";
import type { Request, Room } from "../../src/runtime/index.js";
import { onRequest, type YPartyKitOptions } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const options: YPartyKitOptions = {
  persist: { mode: "snapshot" },
  // A template every load starts from, as y-partykit's README suggests (a fresh Y.Doc each time).
  load: async () => {
    const template = new Y.Doc();
    template.getText("title").insert(0, "Title");
    return template;
  },
};
const party = { onRequest: (req: Request, room: Room) => onRequest(req, room, options) };

const post = (url: string, body: Uint8Array) => fetch(url, { method: "POST", body: body as BodyInit, headers: { "content-type": "application/octet-stream" } });

it("load()'s state is not stored: unloads and reloads do not duplicate it", async () => {
  const server = await startServer({ main: party });
  const url = `${server.url}/parties/main/notes`;
  const seen: unknown[] = [];
  for (let round = 0; round < 3; round++) {
    const edit = new Y.Doc();
    edit.getMap("m").set(`k${round}`, round);
    expect((await post(url, Y.encodeStateAsUpdate(edit))).status).toBe(200);
    seen.push(await (await fetch(url)).json());
    // The room unloads (its document flushed and its log merged), as after limits.idleUnloadMs with nobody in it.
    expect(await server.server.unloadIfIdle("main", "notes")).toBe(true);
  }
  expect(seen).toEqual([
    { title: "Title", m: { k0: 0 } },
    { title: "Title", m: { k0: 0, k1: 1 } },
    { title: "Title", m: { k0: 0, k1: 1, k2: 2 } },
  ]);
});
