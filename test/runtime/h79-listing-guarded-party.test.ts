/**
 * `GET /parties/{party}` names every room of a party; a party that guards its rooms (onBeforeConnect or
 * onBeforeRequest) does not have their names listed to anyone who asks, unless the server says `listRooms: true`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

class Open implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest() {
    return new Response(`room ${this.room.id}`);
  }
}
const authorised = (req: Party.Request) => (req.headers.get("authorization") === "Bearer ok" ? req : new Response("no", { status: 401 }));
class ConnectGuarded extends Open {
  static onBeforeConnect = authorised;
}
class RequestGuarded extends Open {
  static onBeforeRequest = authorised;
}

const parties = { open: Open, sockets: ConnectGuarded, requests: RequestGuarded };
const roomIds = async (url: string) => ((await (await fetch(url)).json()) as { rooms: Array<{ id: string }> }).rooms.map((room) => room.id);

describe("the listing of a guarded party", () => {
  it("is a 404 saying why by default, while unguarded parties are listed and the rooms keep working", async () => {
    const { url } = await startServer(parties, { storage: "memory" });
    for (const party of Object.keys(parties)) {
      await fetch(`${url}/parties/${party}/secret-plans`, { headers: { authorization: "Bearer ok" } });
    }
    expect(await roomIds(`${url}/parties/open`)).toEqual(["secret-plans"]);
    for (const party of ["sockets", "requests"]) {
      const listing = await fetch(`${url}/parties/${party}`, { headers: { authorization: "Bearer ok" } });
      expect({ party, status: listing.status, body: await listing.json() }).toEqual({
        party,
        status: 404,
        body: { error: { code: "ERR_NOT_FOUND", message: expect.stringContaining("listRooms: true") } },
      });
    }
  });

  it("is listed with listRooms: true", async () => {
    const { url } = await startServer(parties, { storage: "memory", listRooms: true });
    await fetch(`${url}/parties/requests/secret-plans`, { headers: { authorization: "Bearer ok" } });
    expect(await roomIds(`${url}/parties/requests`)).toEqual(["secret-plans"]);
  });
});
