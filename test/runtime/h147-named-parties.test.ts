/**
 * The 404s that name the server's parties (an unknown party's, and that of a path nothing serves: the first page a
 * new user opens) named every party to anyone who asked, the parties of the rooms and game mounts too: a visitor of
 * `/` was sent to `rooms.lobby`, which answers clients 404 itself (only the rooms socket reaches it), and a project's
 * party behind a token (an admin party) was announced to the internet. They now name the parties whose rooms
 * `GET /parties/{party}` lists, by its rule: unguarded ones by default, all with `listRooms: true`, none with false.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, refusedUpgrade, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest() {
    return new Response(this.room.id);
  }
}

class Admin extends Echo {
  static onBeforeRequest(request: Party.Request) {
    return request.headers.get("authorization") === "Bearer s3cret" ? request : new Response("Unauthorized", { status: 401 });
  }
}

async function messages(url: string, wsUrl: (path: string) => string) {
  const root = await fetch(`${url}/`);
  const typo = await fetch(`${url}/parties/chta/lobby`);
  const refused = await refusedUpgrade(wsUrl("/parties/chta/lobby"));
  expect([root.status, typo.status, refused.status]).toEqual([404, 404, 404]);
  return {
    root: ((await root.json()) as { error: { message: string } }).error.message,
    typo: ((await typo.json()) as { error: { code: string; message: string } }).error,
    upgrade: (JSON.parse(refused.body) as { error: { message: string } }).error.message,
  };
}

describe("the 404s name only the parties a client may be told of", () => {
  it("leaves out the rooms mount's parties and a guarded party of the project", async () => {
    const rooms = createRooms({ types: { lobby: defineRoomType({}) } });
    const { url, wsUrl } = await startServer({ main: Echo, admin: Admin, ...rooms.parties }, { storage: "memory", sockets: rooms.sockets });
    const said = await messages(url, wsUrl);
    expect(said.root).toContain("Rooms are at /parties/{party}/{room} (parties here: main);");
    expect(said.typo).toEqual({ code: "ERR_UNKNOWN_PARTY", message: 'There is no party named "chta"; the parties here are: main' });
    expect(said.upgrade).toBe(said.typo.message);
  });

  it("names every party with listRooms: true, and none (without a dangling list) with listRooms: false", async () => {
    const all = await startServer({ main: Echo, admin: Admin }, { storage: "memory", listRooms: true });
    expect((await messages(all.url, all.wsUrl)).typo.message).toBe('There is no party named "chta"; the parties here are: main, admin');
    const none = await startServer({ main: Echo, admin: Admin }, { storage: "memory", listRooms: false });
    const said = await messages(none.url, none.wsUrl);
    expect(said.typo.message).toBe('There is no party named "chta"');
    expect(said.root).toMatch(/^Nothing is served at \/\. Rooms are at \/parties\/\{party\}\/\{room\}; a folder/);
  });
});
